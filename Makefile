# kesu — the two commands a newcomer needs:
#   make run    set up and run kesu (embedded: SQLite + file broker in var/, demo data)
#   make test   the whole suite: lint gates, pytest on SQLite, pytest on PostgreSQL + Redis
# Tools: Python 3.11 (uv, pinned, bootstrapped into .tools/), Node.js + npm (front-end assets).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
PYTHON3 ?= python3
UV := .tools/bin/uv
BIN := .venv/bin
KESU := $(BIN)/kesu
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# The data directory (SQLite database, broker folders, uploads, secret key); override with
# `make run KESU_DATA_DIR=/srv/kesu`.
export KESU_DATA_DIR ?= $(CURDIR)/var
# Never let uv fetch an interpreter, nor Playwright a browser: the machine's are used.
export UV_PYTHON_DOWNLOADS := never
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help run setup python assets test lint messages status

help:
	@echo "make run       set up and run kesu at http://$(HOST):$(PORT)/ with demo data"
	@echo "make test      lint gates + pytest on SQLite (+ PostgreSQL when KESU_TEST_DATABASE_URL is set)"
	@echo "make lint      ruff, mypy, makemigrations --check, i18n completeness"
	@echo "make assets    npm ci + copy front-end assets into kesu/static/vendor"
	@echo "make messages  refresh and compile the zh_Hans catalogue (needs gettext)"

$(UV):
	$(PYTHON3) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The virtual environment exactly as uv.lock says (dev group included), compiled to bytecode
# once: a process that compiles Django from source on every start (no __pycache__ written, as
# with PYTHONDONTWRITEBYTECODE) spends ~0.7 s more starting (CLI, workers, import workers).
python: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	$(BIN)/python -m compileall -q kesu

# Front-end assets from npm (package-lock.json), copied into kesu/static/vendor.
node_modules/.kesu-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

kesu/static/vendor/.kesu-built: node_modules/.kesu-installed scripts/assets.mjs
	npm run --silent build
	touch $@

assets:
	rm -f node_modules/.kesu-installed
	$(MAKE) --no-print-directory kesu/static/vendor/.kesu-built

setup: python kesu/static/vendor/.kesu-built

run: setup
	$(KESU) init
	$(KESU) demo
	@echo
	@echo "Open http://$(HOST):$(PORT)/ (staff console) and http://$(HOST):$(PORT)/portal/ (customers);"
	@echo "sign in with one of the demo accounts above. Data: $(KESU_DATA_DIR). Stop with Ctrl+C."
	@echo
	$(KESU) serve --host $(HOST) --port $(PORT)

status: python
	$(KESU) status

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy kesu
	$(KESU) makemigrations --check --dry-run
	$(BIN)/python scripts/check_i18n.py

test: setup
	$(MAKE) --no-print-directory lint
	$(BIN)/python scripts/run_tests.py $(PYTEST_ARGS)

messages: python
	$(BIN)/python scripts/i18n_update.py
