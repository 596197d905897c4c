# Two commands: `make demo` (install and start the demo company) and `make test` (install and run everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-dev demo test test-fast serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-base: $(BIN)/python requirements/base.lock pyproject.toml
	$(BIN)/pip install -q -r requirements/base.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-base requirements/dev.lock
	$(BIN)/pip install -q -r requirements/dev.lock
	touch $@

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/tandem demo $(ARGS)

serve: install
	$(BIN)/tandem serve $(ARGS)

test: install-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/test.sh

# The inner loop: no browser, no slow tests, SQLite, the test database kept between runs, one worker per core.
test-fast: install-dev
	TANDEM_TEST_DATABASE_URL= TANDEM_DATA_DIR="$(CURDIR)/.test-data" $(BIN)/pytest -m "not browser and not slow" --reuse-db -n auto -q -p no:cacheprovider $(ARGS)
