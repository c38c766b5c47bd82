# uktrace: `make demo` and `make test` do every set-up step on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GUEST := guest/build/uktrace-guest.elf
# Material for MkDocs prints a notice about its successor on every build; the build's own warnings stay
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
# the parser and the timeline compiled by mypyc (uktrace/native.py), made again when a source they
# depend on changed; uktrace runs the sources as plain Python while they do not match
NATIVE := build/native/manifest.json
NATIVE_SOURCES := $(wildcard parsers/*.py uktrace/model/*.py uktrace/model/*/*.py) uktrace/native.py uktrace/native_build.py

.PHONY: demo test docs lint schemas bench bench-all system guest clean

demo: $(BIN)/uktrace $(NATIVE) guest
	$(BIN)/uktrace demo

# the tests that need no QEMU on every CPU (replays and TUI frames: CPU-bound, no shared state), then
# the QEMU tests one at a time (their guests' timing is what several of them measure)
test: $(BIN)/uktrace $(NATIVE) guest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MKDOCS) build --strict --quiet
	$(BIN)/pytest -q -n auto -m "not qemu"
	$(BIN)/pytest -q -m qemu

# the docs site (docs/, mkdocs.yml) into site/; open site/index.html. `make test` builds it strictly:
# a broken link, a missing page or anchor fails it
docs: $(BIN)/uktrace
	$(MKDOCS) build

lint: $(BIN)/uktrace
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

# the JSON Schemas of uktrace's outputs, from their types (uktrace/model/shapes): in the package and
# in the docs; tests/unit/test_schemas.py fails until they are remade after a field changes
schemas: $(BIN)/uktrace
	$(BIN)/python -m uktrace.model.shapes.outputs uktrace/schemas docs/schemas

# uktrace's own cost against benchmarks/baseline.json (what got slower); bench-all: every benchmark
bench: $(BIN)/uktrace $(NATIVE) guest
	$(BIN)/python benchmarks/regress.py

bench-all: $(BIN)/uktrace $(NATIVE) guest
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/parse_throughput.py
	$(BIN)/python benchmarks/launch_overhead.py
	$(BIN)/python benchmarks/ui_lag.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/crash_loss.py
	$(BIN)/python benchmarks/cluster.py
	$(BIN)/python benchmarks/host_wakeups.py

# system packages: QEMU (Debian's qemu-system-x86), the toolchain that builds the test guest, and
# asciinema (the export tests play the casts they write), Python's headers (mypyc compiles the parser)
system:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	command -v ld >/dev/null || missing="$$missing binutils"; \
	command -v asciinema >/dev/null || missing="$$missing asciinema"; \
	$(PYTHON) -c 'import os, sysconfig; exit(not os.path.isfile(sysconfig.get_paths()["include"] + "/Python.h"))' \
		|| missing="$$missing python3-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing \
		|| { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; }; \
	fi

$(BIN)/uktrace: pyproject.toml constraints.txt | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,ray]'
	touch $@

$(NATIVE): $(BIN)/uktrace $(NATIVE_SOURCES)
	$(BIN)/python -m uktrace.native_build

guest: system
	@if [ -f guest/Makefile ]; then $(MAKE) -C guest; fi

clean:
	rm -rf $(VENV) guest/build build/native site .pytest_cache .mypy_cache .ruff_cache
