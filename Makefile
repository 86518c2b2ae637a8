# The README's two commands: `make demo` and `make test`. Both install what they need into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck pytest lock clean

$(VENV)/.runtime: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(VENV)/.runtime node_modules/.installed
	GOROD_PROFILE=$${GOROD_PROFILE:-demo} $(BIN)/gorod demo

test: lint typecheck pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.dev
	GOROD_PROFILE=test $(BIN)/mypy src tests  # the Django plugin loads the settings

pytest: $(VENV)/.dev node_modules/.installed
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Re-pin every dependency after changing pyproject.toml.
lock: $(VENV)/.dev
	$(BIN)/pip freeze --exclude-editable | grep -v '^gorod' > requirements.lock

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache .ruff_cache
