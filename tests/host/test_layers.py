"""The host layers import only downward (ARCHITECTURE.md): a module in a layer
may import its own layer and the layers listed for it, never one above."""

import ast
from pathlib import Path

import pytest

HOST = Path(__file__).resolve().parents[2] / "host_tools"

ALLOWED = {
    "paths": set(),
    "firmware_files": {"paths"},  # which firmware files a board gets (the flasher's list)
    "config_file": {"paths"},  # a config file checked with the firmware's schema
    "protocol": {"paths"},
    "sim": {"protocol", "paths"},
    "board": {"protocol", "firmware_files", "config_file", "paths"},
    "plots": {"protocol", "paths"},
    "track": {"protocol", "paths"},  # following the beacon: reports, track, GPX/KML
    "droptest": {"board", "sim", "protocol", "plots", "firmware_files", "config_file", "paths"},
    "cli": {
        "droptest",
        "board",
        "sim",
        "protocol",
        "plots",
        "track",
        "firmware_files",
        "config_file",
        "paths",
    },
}


def _layer(path):
    rel = path.relative_to(HOST)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_layers(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "host_tools":
                continue
            if len(parts) > 1:
                yield parts[1]
            else:  # from host_tools import plots, paths
                yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "host_tools" and len(parts) > 1:
                    yield parts[1]


MODULES = sorted(p for p in HOST.rglob("*.py") if _layer(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HOST)))
def test_module_imports_only_its_own_layer_or_lower(path):
    layer = _layer(path)
    wrong = {used for used in _imported_layers(path) if used != layer} - ALLOWED[layer]
    assert not wrong, f"{path.relative_to(HOST)} ({layer}) imports {sorted(wrong)}"


def test_every_host_module_belongs_to_a_layer():
    loose = [p.name for p in HOST.glob("*.py") if p.stem not in ALLOWED]
    assert sorted(loose) == ["__init__.py", "__main__.py"]
