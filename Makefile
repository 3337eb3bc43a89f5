# InvoiceScript Agent API. `make demo` serves demo data; `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATABASE_URL ?= mysql://root@localhost/agentapi_demo?unix_socket=/run/mysqld/mysqld.sock
DEMO_BIND ?= 127.0.0.1:8000
DEMO_BUSINESS := 01HTENANT0000000000000000

.PHONY: install test lint lint-openapi format openapi demo bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory lint-openapi
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# openapi.yaml against Spectral's spectral:oas and the OWASP API Security rulesets
# (.spectral.yaml), pinned in tools/spectral; any warning fails. Installs Node.js and
# npm from Debian's packages where missing; --ignore-scripts: the packages need no
# install step, and the one script in the tree only reports installs to a third party.
SPECTRAL_DIR := tools/spectral
lint-openapi: $(SPECTRAL_DIR)/node_modules/.installed
	$(SPECTRAL_DIR)/node_modules/.bin/spectral lint --fail-severity=warn openapi.yaml

$(SPECTRAL_DIR)/node_modules/.installed: $(SPECTRAL_DIR)/package.json $(SPECTRAL_DIR)/package-lock.json
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	  else echo "lint-openapi needs Node.js and npm: install Debian's nodejs and npm packages" >&2; exit 1; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq nodejs npm; \
	fi
	cd $(SPECTRAL_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install
	$(BIN)/agentapi openapi

demo: install
	@export AGENTAPI_DATABASE_URL='$(DEMO_DATABASE_URL)'; \
	$(BIN)/agentapi db init --create-database && \
	$(BIN)/agentapi demo seed && \
	token=$$($(BIN)/agentapi keys create --name "demo $$(date -u +%FT%TZ)" \
	  --scopes businesses:read,invoices:read,services:read,availability:read 2>/dev/null | tail -n 1) && \
	echo && echo "Demo API on http://$(DEMO_BIND) - try:" && echo && \
	echo "  curl \"http://$(DEMO_BIND)/api/agent/v1/invoices?business_id=$(DEMO_BUSINESS)\" -H \"Authorization: Bearer $$token\"" && \
	echo && \
	AGENTAPI_BIND='$(DEMO_BIND)' exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# The benchmark (docs/benchmarks.md): never part of `make test`. Installs wrk and
# redis-server where missing; BENCH_* variables are described in bench/run.py.
bench: install
	@for tool in wrk redis-server; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
	$(BIN)/python -m bench.run

lock:
	rm -rf /tmp/agentapi-lock && $(PYTHON) -m venv /tmp/agentapi-lock
	/tmp/agentapi-lock/bin/pip install --quiet -e '.[test]'
	{ echo '# Exact versions for every install (make install); regenerate with `make lock`.'; \
	  /tmp/agentapi-lock/bin/pip freeze --exclude-editable; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
