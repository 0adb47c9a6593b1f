# Thin wrapper: setup, then delegate to the `sowpack` CLI (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGAGEMENTS := $(sort $(wildcard sample_inputs/*/engagement.yaml))

.PHONY: deliverables test test-unit check golden clean setup sysdeps bench

deliverables: setup
	$(BIN)/sowpack build $(dir $(ENGAGEMENTS)) --out output

check: deliverables
	@set -e; for d in output/*/; do $(BIN)/sowpack check $$d; done

# Every test, on every core: the tests of one sample engagement share a worker, which builds it once.
test: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup

# The fast tier: no sample pack is built (tests marked `packs` are left out).
test-unit: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup -m "not packs"

golden: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup tests/test_golden.py --update-golden

bench: setup
	$(BIN)/python tools/bench.py

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
