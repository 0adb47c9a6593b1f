# Thin wrapper: setup, then delegate to the `sowpack` CLI (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGAGEMENTS := $(sort $(wildcard sample_inputs/*/engagement.yaml))

.PHONY: deliverables test check golden clean setup sysdeps bench

deliverables: setup
	$(BIN)/sowpack build $(dir $(ENGAGEMENTS)) --out output

check: deliverables
	@set -e; for d in output/*/; do $(BIN)/sowpack check $$d; done

test: setup
	$(BIN)/python -m pytest

golden: setup
	$(BIN)/python -m pytest tests/test_golden.py --update-golden

bench: setup
	$(BIN)/python tools/bench.py

setup: sysdeps $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# System packages: a CJK font, HarfBuzz subsetting and poppler for Chinese PDFs; Graphviz for diagrams.
sysdeps:
	@sh tools/sysdeps.sh

clean:
	rm -rf output
