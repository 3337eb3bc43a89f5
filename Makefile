# InvoiceScript Agent API. `make demo` serves demo data; `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Empty: `make demo` runs a private MariaDB under .demo/ (tools/demo.sh).
DEMO_DATABASE_URL ?=
DEMO_BIND ?= 127.0.0.1:8000

.PHONY: install test lint lint-openapi format openapi demo bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes \
	  -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# System packages first (tools/system-deps.sh): the virtualenv needs python3-venv.
test:
	@tools/system-deps.sh test
	@$(MAKE) --no-print-directory install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) --no-print-directory lint-openapi
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# openapi.yaml against Spectral's spectral:oas and the OWASP API Security rulesets
# (.spectral.yaml), pinned in tools/spectral; any warning fails. Node.js and npm come
# from Debian's packages where missing (tools/system-deps.sh); --ignore-scripts: the packages need no
# install step, and the one script in the tree only reports installs to a third party.
SPECTRAL_DIR := tools/spectral
lint-openapi: $(SPECTRAL_DIR)/node_modules/.installed
	$(SPECTRAL_DIR)/node_modules/.bin/spectral lint --fail-severity=warn openapi.yaml

$(SPECTRAL_DIR)/node_modules/.installed: $(SPECTRAL_DIR)/package.json $(SPECTRAL_DIR)/package-lock.json
	@tools/system-deps.sh lint
	cd $(SPECTRAL_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install
	$(BIN)/agentapi openapi

demo:
	@DEMO_DATABASE_URL='$(DEMO_DATABASE_URL)' tools/system-deps.sh demo
	@$(MAKE) --no-print-directory install
	@DEMO_DATABASE_URL='$(DEMO_DATABASE_URL)' DEMO_BIND='$(DEMO_BIND)' BIN='$(BIN)' tools/demo.sh

# The benchmark (docs/benchmarks.md): never part of `make test`. Installs wrk and
# redis-server where missing; BENCH_* variables are described in bench/run.py.
bench: install
	@tools/system-deps.sh bench
	$(BIN)/python -m bench.run

# Two locks with hashes: requirements.lock (what the service runs: docs/deploy.md)
# and requirements-dev.lock (that plus tests and tools), by pip-tools in a throwaway
# virtualenv. pip-compile keeps the pins already there; `make lock UPGRADE=1` moves
# each to the newest its bounds in pyproject.toml allow.
LOCK_VENV := /tmp/agentapi-lock
COMPILE = CUSTOM_COMPILE_COMMAND='make lock' $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check 'pip-tools>=7.4,<8'
	$(COMPILE) --output-file requirements.lock pyproject.toml
	$(COMPILE) --extra test --constraint requirements.lock --output-file requirements-dev.lock \
	  pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
