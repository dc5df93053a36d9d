"""Where the firmware's sources sit, and which of them each board is given.

The source tree is grouped (`firmware/` for the flight software,
`firmware/drivers/` for the parts on a bus or a pin, `firmware/tools/` for
design scripts that never fly); a board's flash is flat (`import ms5611`
works on the board). This module is the only one that knows the layout:
the flasher, the drop test's firmware digest, the benchmarks and the tests'
MicroPython path all ask it.

What a board gets (its manifest) follows from its board file:
- every module in `firmware/` except the hardware layer of the other mode
  (`hw_sim` on a "sim" board, `hw_real` on a "hw" board);
- on a "hw" board, the drivers `hw_real` imports by name (`import battery`),
  the sensor drivers the board's `baro`/`accel`/`accel2` entries name (through
  hw_real's BARO_DRIVERS/ACCEL_DRIVERS tables) and the radio driver the board
  names, plus the drivers those import (`drv_wide`);
- the board file, as `board_NAME.py` (a board on a base board flashes its
  resolved dictionary: `board_source`).
"""

import ast

from host_tools.paths import (  # noqa: F401  (the layout, re-exported for its users)
    BOARDS_DIR,
    CPYTHON_DIR,
    DRIVERS_DIR,
    FIRMWARE_DIR,
    ROOT,
    TOOLS_DIR,
    use_cpython_stand_ins,
)

# The firmware's import path on the host's MicroPython (the board's flat flash)
MICROPYTHON_PATH = (FIRMWARE_DIR, DRIVERS_DIR)
MODE_LAYER = {"sim": "hw_sim", "hw": "hw_real"}  # board mode -> its hardware layer
ROLE_DRIVERS = {"ground": ("sx127x_rx",)}  # board role -> drivers its loop imports (ground.py)
SENSOR_PARTS = {"baro": "BARO_DRIVERS", "accel": "ACCEL_DRIVERS", "accel2": "ACCEL_DRIVERS"}


class FirmwareFilesError(Exception):
    pass


def _board_file_dict(board):
    """The BOARD dictionary of boards/<board>.py as written, read without running it."""
    path = BOARDS_DIR / (board + ".py")
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "BOARD" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise FirmwareFilesError(f"{path.name}: no BOARD dict")


def _take(base, path):
    """`base`'s entry at a dotted path ("buses.spi0"), as a one-entry dict tree."""
    head, _, rest = path.partition(".")
    if head not in base:
        raise FirmwareFilesError(f"take {path!r}: the base board has no {head!r}")
    return {head: _take(base[head], rest) if rest else base[head]}


def _merge(into, over):
    """`over` laid on `into`: a dict on a dict merges key by key, anything else replaces."""
    out = dict(into)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            value = _merge(out[key], value)
        out[key] = value
    return out


def board_dict(board):
    """The BOARD dictionary of boards/<board>.py, read without running it.

    A board file that names a `"base"` board is wired as that board: it
    `"take"`s the base's entries it has (dotted paths reach into `buses`),
    and its own entries are laid over them (a dict merges: `"radio":
    {"plan": ...}` adds the plan to the base's radio). So a Pico's pins have
    one home, boards/pico.py, and the ground station on a Pico names them."""
    data = _board_file_dict(board)
    if "base" not in data:
        return data
    base = board_dict(data["base"])
    taken = {}
    for path in data.get("take", ()):
        taken = _merge(taken, _take(base, path))
    own = {k: v for k, v in data.items() if k not in ("base", "take")}
    return _merge(taken, own)


def board_source(board):
    """The text flashed as board_<board>.py: the board file itself, or for a
    board on a base, its resolved dictionary (the firmware reads no base)."""
    path = BOARDS_DIR / (board + ".py")
    if "base" not in _board_file_dict(board):
        return path.read_text()
    return (
        f"# {path.name} on its base board, resolved by the flasher\nBOARD = {board_dict(board)!r}\n"
    )


def source(module):
    """The source file of a firmware module (`"ms5611"` -> firmware/drivers/ms5611.py)."""
    for folder in MICROPYTHON_PATH:
        path = folder / (module + ".py")
        if path.exists():
            return path
    raise FirmwareFilesError(f"no firmware module {module!r}")


def _tree(path):
    return ast.parse(path.read_text())


def _imports(tree):
    """Module names a source imports by `import X` or `from X import ...`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _module_dict(tree, name):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise FirmwareFilesError(f"hw_real.py: no {name}")


def board_drivers(data):
    """Driver module names (firmware/drivers/) a board dictionary needs."""
    if data.get("mode") != "hw":
        return []
    drivers = {p.stem for p in DRIVERS_DIR.glob("*.py")}
    hw_real = _tree(FIRMWARE_DIR / "hw_real.py")
    wanted = {m for m in _imports(hw_real) if m in drivers}
    for part, table_name in SENSOR_PARTS.items():
        name = (data.get(part) or {}).get("driver")
        table = _module_dict(hw_real, table_name)
        if name in table:
            wanted.add(table[name][0])
    radio = (data.get("radio") or {}).get("driver")
    if radio in drivers:
        wanted.add(radio)
    wanted.update(ROLE_DRIVERS.get(data.get("role"), ()))
    todo = list(wanted)
    while todo:  # the drivers a driver imports
        for m in _imports(_tree(DRIVERS_DIR / (todo.pop() + ".py"))):
            if m in drivers and m not in wanted:
                wanted.add(m)
                todo.append(m)
    return sorted(wanted)


def image_sources(board):
    """[(source path, file name on the board)] for `board`: the firmware, the
    drivers it names, and its board file (as board_<board>.py)."""
    data = board_dict(board)
    mode = data.get("mode")
    other_layers = {m for k, m in MODE_LAYER.items() if k != mode}
    files = [(p, p.name) for p in sorted(FIRMWARE_DIR.glob("*.py")) if p.stem not in other_layers]
    files += [(DRIVERS_DIR / (m + ".py"), m + ".py") for m in board_drivers(data)]
    files.append((BOARDS_DIR / (board + ".py"), f"board_{board}.py"))
    names = [name for _, name in files]
    if len(set(names)) != len(names):
        raise FirmwareFilesError(f"two firmware sources flash to the same name: {sorted(names)}")
    return files
