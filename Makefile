# Two entry points: `make demo` and `make test`. Both create .venv and install the
# locked dependencies on first use (a fresh machine needs only Python 3.11 and pip).
# `make check-install` installs WITHOUT the lock, as `pip install .` users do (CI runs it).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all check-install bench clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/govreports demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"
	bash scripts/check_deployments.sh

check-install:
	PYTHON=$(PYTHON) bash scripts/check_install.sh

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/segment.py
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/backfill.py
	$(BIN)/python bench/extraction.py

clean:
	rm -rf $(VENV) data
