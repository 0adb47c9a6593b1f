# Thin wrapper: setup, then delegate to the `sowpack` CLI (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGAGEMENTS := $(sort $(wildcard sample_inputs/*/engagement.yaml))

.PHONY: deliverables test check golden clean setup sysdeps bench benchdeps

deliverables: setup
	$(BIN)/sowpack build $(dir $(ENGAGEMENTS)) --out output

check: deliverables
	@set -e; for d in output/*/; do $(BIN)/sowpack check $$d; done

test: setup
	$(BIN)/python -m pytest

golden: setup
	$(BIN)/python -m pytest tests/test_golden.py --update-golden

bench: setup benchdeps
	$(BIN)/python tools/bench.py

# The peers the benchmark compares with (pandoc, LibreOffice, XlsxWriter), only when missing.
benchdeps: $(VENV)/.bench-installed
	@sh tools/bench_deps.sh

$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[bench]'
	touch $@

setup: sysdeps $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# System packages for Chinese PDFs: a CJK font, HarfBuzz subsetting, poppler.
sysdeps:
	@sh tools/sysdeps.sh

clean:
	rm -rf output
