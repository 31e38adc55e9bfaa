# optviz: set-up, run, test.  GNU make; recipes are indented with tabs.

SHELL := /bin/bash

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3)

NODE   ?= node

PORT    ?= 8501
ADDRESS ?= localhost
PYTEST_ARGS ?=

.PHONY: venv warm run test bench lint clean

# The stamp is rebuilt (pip install re-run) only when a requirements file or the
# project's metadata changes. Creating the venv is skipped when it already exists.
# optviz itself is installed editable (its pinned dependencies are requirements.txt's).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

$(VENV): $(STAMP)

venv: $(STAMP)

# The trainer's compiled engine (numba) for every optimizer, into numba's disk cache
# (__pycache__ beside optviz/train_kernels.py, or NUMBA_CACHE_DIR): seconds the first time,
# under a second once cached. `run` does it first, so the server's first run takes it.
warm: $(STAMP)
	$(PY) -m optviz warm

run: warm
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

# pytest, then the explorer chart's JavaScript unit tests (node:test, Node >= 18): both
# always run, and the target fails if either does.
test: $(STAMP)
	status=0; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	$(NODE) --test tests/js/ || status=1; \
	exit $$status

bench: $(STAMP)
	@set -e; shopt -s nullglob; \
	scripts=(benchmarks/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks/*.py scripts yet"; fi; \
	for f in "$${scripts[@]}"; do echo "== $$f"; $(PY) "$$f"; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-results build dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
