# repro: `make figures` installs (once) and regenerates every figure; `make test` runs the tests.
# PROFILE=quick (default, a 2-core laptop CPU in minutes) or PROFILE=paper (the papers' scale).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PROFILE ?= quick
PYTEST_WORKERS ?= 2

.PHONY: install test test-slow lint format figures bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

test: install
	$(PY) -m pytest -q -n $(PYTEST_WORKERS)

test-slow: install
	$(PY) -m pytest -q -m slow

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

figures: install
	$(PY) -m experiments.gradient_flow --config=experiments/configs/gradient_flow.py:$(PROFILE)
	$(PY) -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:$(PROFILE)

bench: install
	$(PY) -m bench.jacobians

clean:
	rm -rf runs .pytest_cache .ruff_cache .hypothesis
