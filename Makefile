# Two commands: `make demo` (install and start the demo company) and `make test` (install and run everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-dev demo test serve

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
