# The two commands of the README, `make run` and `make test`, and the quick daily `make check`.
# Each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
ARGS ?=

.PHONY: run test check lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed  ## start the mock with the built-in demo fixtures (extra options: ARGS="--port 9000")
	$(BIN)/tango-mock $(ARGS)

test: $(BIN)/.installed  ## lint, type-check and run the whole test suite (mock tests + contract suite)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(ARGS)

check: $(BIN)/.installed  ## the quick daily run, under a minute: lint, type-check, the tests not marked slow
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest tests -m "not slow" -q $(ARGS)

bench: $(BIN)/.installed  ## benchmark the mock against bare aiohttp and Prism (bench/RESULTS.md; ARGS="--smoke")
	$(BIN)/python -m bench $(ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis
