# Rapport — common tasks. `make run` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export PYTHONPATH := $(CURDIR)/src
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/rapport
PYTEST_ARGS ?=

.PHONY: install test-deps run worker test test-postgres test-browser lint format bench loadtest serve clean

$(BIN)/python:
	@py=$$(command -v python$(PYTHON_VERSION) || true); \
	if [ -z "$$py" ] && command -v pyenv >/dev/null; then py=$$(pyenv root)/versions/$$(pyenv latest $(PYTHON_VERSION))/bin/python$(PYTHON_VERSION); fi; \
	if [ -z "$$py" ] || ! "$$py" -c 'import sys; assert sys.version_info[:2] >= (3, 13)' 2>/dev/null; then \
	  echo "Python $(PYTHON_VERSION) is needed (pyenv install $(PYTHON_VERSION))."; exit 1; fi; \
	"$$py" -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv>=0.13.8,<0.14"

$(VENV)/.synced: $(BIN)/python pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

install: $(VENV)/.synced ## create .venv and install the locked dependencies

run: install ## migrate, load demo data, start the web server and a task worker
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting Rapport on http://$(HOST):$(PORT)/ with a background task worker (Ctrl-C stops both)."
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/python manage.py rapport_worker & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	$(BIN)/python manage.py rapport_worker

# The browser tests need Debian's Chromium and axe-core (npm registry); installed here so that
# `make test` alone sets everything up on a fresh machine.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's Chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "The browser tests need Debian's Chromium: sudo apt-get install chromium"; exit 1; fi

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-deps: install /usr/bin/chromium tests/browser/node_modules/.installed

test: test-deps ## the whole suite on DATABASE_URL (SQLite by default)
	RAPPORT_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: test-deps ## the whole suite on PostgreSQL
	RAPPORT_ENV=test DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-browser: test-deps ## only the real-browser tests (Playwright + Debian's Chromium)
	RAPPORT_ENV=test $(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Benchmarks: a production server (gunicorn) on DATABASE_URL, measured over HTTP; see docs/benchmarks.md.
#   make bench BENCH_ARGS="--contacts 100000"    (tops the demo workspace up to that size first)
bench: install ## benchmarks: one table (median, p95, SQL queries, targets) + JSON in bench/results/
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo > /dev/null
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Load test: locust, headless, 127.0.0.1 only, bounded in time; see docs/benchmarks.md.
#   make loadtest LOADTEST_ARGS="--users 50 --seconds 120"
LOADTEST_ARGS ?=
loadtest: install ## locust against a local production server; results beside the benchmarks
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo > /dev/null
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# Production serving on one machine: gunicorn workers + task workers, JSON logs (docs/operations.md).
# Needs the production environment (RAPPORT_ENV=production, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, EMAIL_URL).
WEB_WORKERS ?= 4
TASK_WORKERS ?= 2
serve: install ## production: gunicorn ($(WEB_WORKERS) workers) + $(TASK_WORKERS) task workers on $(HOST):$(PORT)
	$(BIN)/python manage.py serve --migrate --bind $(HOST):$(PORT) --web-workers $(WEB_WORKERS) --task-workers $(TASK_WORKERS)

clean:
	rm -rf $(VENV) var/static .pytest_cache
