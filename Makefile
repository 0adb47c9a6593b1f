# Thin wrapper: setup, then delegate to the `sowpack` CLI (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGAGEMENTS := $(sort $(wildcard sample_inputs/*/engagement.yaml))
# Page numbers in Word tables of contents when LibreOffice is installed (README: "Word table
# of contents"); the tests never depend on it.
FINISH := $(if $(shell command -v soffice 2>/dev/null),--finish,)

.PHONY: deliverables test check golden clean setup sysdeps bench ledgers

deliverables: setup
	$(BIN)/sowpack build $(dir $(ENGAGEMENTS)) --out output $(FINISH)

check: deliverables
	@set -e; for d in output/*/; do $(BIN)/sowpack check $$d; done

test: setup
	$(BIN)/python -m pytest

# The samples' sign-off ledgers, recorded with `sowpack signoff` (after changes to outputs, before `make golden`).
ledgers: setup
	$(BIN)/python tools/sample_ledgers.py

golden: setup
	$(BIN)/python -m pytest tests/test_golden.py --update-golden

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
