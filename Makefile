# Thin wrapper: setup, then delegate to the `sowpack` CLI (see README.md).
# The venv's interpreter: Debian's python3 when it can make a venv and is recent enough
# (pyproject.toml's requires-python). Debian links the interpreter into the executable; on a
# default pyenv build (`--enable-shared`, no `--enable-optimizations`) every call goes through
# libpython.so, and the benchmark's documents take 10-15% longer.
# Any other python3 on PATH works too: `make PY=python3.12 test`.
PY ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
        && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# One stamp per interpreter: choosing another remakes the venv on it.
STAMP := $(VENV)/.installed-$(subst /,_,$(PY))
ENGAGEMENTS := $(sort $(wildcard sample_inputs/*/engagement.yaml))
# `make deliverables FINISH=--finish` puts page numbers in Word tables of contents through
# LibreOffice (README: "Word table of contents"). Off by default: the samples' ledgers bind
# the files as built without it, and the tests never depend on LibreOffice.
FINISH ?=

.PHONY: deliverables test test-unit lint check golden clean setup sysdeps testdeps bench benchdeps constraints ledgers

deliverables: setup
	$(BIN)/sowpack build $(dir $(ENGAGEMENTS)) --out output $(FINISH)

check: deliverables
	@set -e; for d in output/*/; do $(BIN)/sowpack check $$d; done

# Every test, on every core: the tests of one sample engagement share a worker, which builds it once.
test: setup testdeps
	$(BIN)/python -m pytest -n auto --dist loadgroup

# The fast tier: no sample pack is built (tests marked `packs` are left out).
test-unit: setup testdeps
	$(BIN)/python -m pytest -n auto --dist loadgroup -m "not packs"

# ruff and mypy as configured in pyproject.toml; README's finding-code tables up to date.
lint: setup
	$(BIN)/ruff check pipeline tests tools
	$(BIN)/mypy
	$(BIN)/python tools/codes_table.py --check

# The samples' sign-off ledgers, recorded with `sowpack signoff` (after changes to outputs, before `make golden`).
ledgers: setup
	$(BIN)/python tools/sample_ledgers.py

golden: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup tests/test_golden.py --update-golden

bench: setup benchdeps
	$(BIN)/python tools/bench.py

# The peers the benchmark compares with (pandoc, LibreOffice, XlsxWriter), only when missing.
benchdeps: $(VENV)/.bench-installed
	@sh tools/bench_deps.sh

$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[bench]'
	touch $@

setup: sysdeps $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@if [ -x $(BIN)/python ] && [ "$$(cat $(VENV)/.python 2>/dev/null)" != "$(PY)" ]; then \
	  echo "remaking $(VENV) on $(PY)"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	echo "$(PY)" > $(VENV)/.python
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,dev]'
	touch $(STAMP)

# Re-pin constraints.txt to what a clean venv resolves today (keeping its header comment);
# then run `make golden` and review the diff. pytest-xdist is named until the test extra lists it.
CVENV := .venv-constraints
constraints:
	rm -rf $(CVENV)
	$(PY) -m venv $(CVENV)
	$(CVENV)/bin/pip install -q --disable-pip-version-check -e '.[test,dev]' pytest-xdist
	{ grep '^#' constraints.txt; $(CVENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(CVENV)

# System packages: a CJK font, HarfBuzz subsetting and poppler for Chinese PDFs; Graphviz for diagrams.
sysdeps:
	@sh tools/sysdeps.sh

# The tests also open each pack's index.html in headless Chromium.
testdeps:
	@sh tools/sysdeps.sh --test

clean:
	rm -rf output
