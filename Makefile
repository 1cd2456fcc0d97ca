# Certif — build and run tooling.
#
# Two ways to run (see shared/DESIGN.md, "Two ways to run"):
#   make demo   embedded mode: SQLite, eager Celery, console e-mail; one command from a fresh clone
#   make test   real mode: PostgreSQL + Redis (+ the Celery worker the test suite starts itself)
#
# Every step is idempotent and cheap when there is nothing to do, so targets can be re-run freely.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# apt (chromium, postgresql, ...) must never run twice at once: keep recipes sequential.
.NOTPARALLEL:

# ---------------------------------------------------------------------------------------------
# Settings (override on the command line: `make test PYTEST_ARGS="-k jury -x"`)
# ---------------------------------------------------------------------------------------------
VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
RUN_ADDR    ?= 127.0.0.1:8000
# Links in e-mails, QR codes and credential issuer ids point to the address the demo serves
# (set SITE_URL yourself when the demo is reached through another name, e.g. RUN_ADDR=0.0.0.0:8000).
SITE_URL    ?= http://$(RUN_ADDR)
PYTEST_ARGS ?=
# pytest-xdist worker processes for `make test` / `make test-fast`: one per core, at most 4
# (each has its own database, queue and files; PYTEST_WORKERS=0 runs in one process).
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n > 4 ? 4 : n )))
BENCH_ARGS  ?=

# Real mode (tests, bench): the local services that scripts/ensure_services.sh provides.
# The application role (owns nothing) and the owner role (creates and migrates the test and
# bench databases); see scripts/ensure_services.sh.
DATABASE_URL ?= postgres://certif:certif@127.0.0.1:5432/certif
DATABASE_MIGRATE_URL ?= postgres://certif_owner:certif_owner@127.0.0.1:5432/certif
REDIS_URL    ?= redis://127.0.0.1:6379/0

# Debian packages.
#  - rendering (WeasyPrint): pango, plus libharfbuzz-subset0 so fonts are subset in C (3x faster),
#    poppler-utils (pdftotext/pdftoppm, used to check PDFs), a base font;
#  - browser tests: Debian's Chromium (/usr/bin/chromium, driven by Playwright) and fonts.
RENDER_APT := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils fonts-dejavu-core
TEST_APT   := $(RENDER_APT) chromium fonts-liberation2

# Embedded mode must not pick up a real-mode database from the caller's shell.
EMBEDDED_ENV := env -u DATABASE_URL -u DATABASE_MIGRATE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=config.settings.base SITE_URL='$(SITE_URL)'
# Real mode (tests, bench); the venv's bin/ comes first so `celery` etc. resolve to it.
REAL_ENV := env DATABASE_URL='$(DATABASE_URL)' DATABASE_MIGRATE_URL='$(DATABASE_MIGRATE_URL)' REDIS_URL='$(REDIS_URL)' PATH="$(abspath $(VENV))/bin:$$PATH"
TEST_ENV := $(REAL_ENV) DJANGO_SETTINGS_MODULE=config.settings.test
BENCH_SETTINGS ?= config.settings.test

.PHONY: help demo setup run venv sysdeps-render sysdeps-test services node test test-fast test-pure lint lint-checks format bench load clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------------------------
# Embedded mode (demo)
# ---------------------------------------------------------------------------------------------
demo: setup run ## fresh clone -> venv, system packages, migrate, demo data, serve on 127.0.0.1:8000

setup: venv sysdeps-render node ## everything `demo` does before serving (venv, apt, migrate, demo_seed)
	$(EMBEDDED_ENV) $(PY) manage.py migrate --noinput
	$(EMBEDDED_ENV) $(PY) manage.py demo_seed

run: venv ## serve the embedded mode on RUN_ADDR (default 127.0.0.1:8000), after `make setup`
	$(EMBEDDED_ENV) $(PY) manage.py runserver $(RUN_ADDR)

# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------
venv: ## create .venv if missing; pip install -e '.[dev]' only when pyproject.toml changed
	@VENV='$(VENV)' PYTHON='$(PYTHON)' bash scripts/ensure_venv.sh

sysdeps-render: ## apt-install the rendering packages that are missing
	@bash scripts/ensure_apt.sh $(RENDER_APT)

# PostgreSQL and Redis are added to the same apt run (one `apt-get update`) when their binaries
# are missing; scripts/ensure_services.sh checks again on its own when run by hand.
sysdeps-test: ## apt-install rendering + Chromium (+ PostgreSQL/Redis if missing)
	@pkgs="$(TEST_APT)"; \
	if ! command -v pg_ctlcluster >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then \
		pkgs="$$pkgs postgresql postgresql-client"; fi; \
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then \
		pkgs="$$pkgs redis-server redis-tools"; fi; \
	bash scripts/ensure_apt.sh $$pkgs

services: ## start PostgreSQL and Redis if needed; ensure the `certif_owner`/`certif` roles and database
	@bash scripts/ensure_services.sh

# axe-core for the accessibility checks: `npm ci` again only when package*.json changed.
node: node_modules/.package-lock.json ## npm ci when node_modules is missing or stale
	@:
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@test -f node_modules/axe-core/axe.min.js || { echo "ERROR: node_modules/axe-core/axe.min.js missing after npm ci" >&2; exit 1; }
	@touch $@

# ---------------------------------------------------------------------------------------------
# Real mode: tests, lint, bench
# ---------------------------------------------------------------------------------------------
test: venv sysdeps-test services node ## lint (ruff, import-linter, mypy), then the test suite against PostgreSQL + Redis (PYTEST_ARGS=...)
	@$(MAKE) --no-print-directory lint-checks || \
		{ echo "make test: lint failed (see above); 'make format' fixes most ruff issues." >&2; exit 1; }
	$(TEST_ENV) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: venv services ## lint, then the suite without the slow tests (browser, worker, demo, scale): make test-fast PYTEST_ARGS=...
	@$(MAKE) --no-print-directory lint-checks
	$(TEST_ENV) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

# Pure code needs no service: the addresses below lead nowhere, so a test that reached for
# PostgreSQL or Redis would fail here. The modules are tests/conftest.py's PURE_MODULES (marked
# `pure`; tests/test_architecture.py checks the two lists agree): naming them spares collecting
# the whole suite.
PURE_TESTS := tests/core tests/referentiels/test_regles.py tests/referentiels/test_regles_parcours_seed004.py \
	tests/referentiels/test_rncp_parser.py tests/juries/test_rules.py tests/juries/test_natural_order.py \
	tests/candidates/test_validators.py tests/certificateur/test_cdc.py tests/test_architecture.py
test-pure: venv ## the tests of pure code (règle engine, core.dates, core.numbers, parsers), without PostgreSQL nor Redis
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgres://nobody@127.0.0.1:9/none \
		DATABASE_MIGRATE_URL=postgres://nobody@127.0.0.1:9/none REDIS_URL=redis://127.0.0.1:9/0 \
		$(VENV)/bin/pytest -p no:cacheprovider -m pure $(PURE_TESTS) $(PYTEST_ARGS)

lint: venv lint-checks ## ruff (lint + format), import-linter (the layers), mypy (types)

# The checks alone (no venv step), shared by `lint` and `test`.
lint-checks:
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/lint-imports --no-cache
	$(EMBEDDED_ENV) $(VENV)/bin/mypy

format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: venv sysdeps-render services ## run the benchmarks (python -m bench) once bench/__main__.py exists
	@if [ -f bench/__main__.py ]; then \
		$(REAL_ENV) DJANGO_SETTINGS_MODULE=$(BENCH_SETTINGS) $(PY) -m bench $(BENCH_ARGS); \
	else \
		echo "bench: no benchmarks yet (bench/__main__.py does not exist)"; \
	fi

# Own database <name>_load (recreated), gunicorn -w 2 on a free loopback port, 50 clients × 60 s on
# list / detail / marking / public verification; prints requests, errors, p50/p95/p99 (bench/load.py).
load: venv services ## load test: gunicorn -w 2, 50 clients for 60 s (LOAD_CLIENTS, LOAD_SECONDS)
	$(REAL_ENV) DJANGO_SETTINGS_MODULE=$(BENCH_SETTINGS) $(PY) bench/load.py

clean: ## remove caches and generated files (keeps .venv, node_modules and db.sqlite3)
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
		\( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache -o -name .mypy_cache \) -type d -print0 \
		| xargs -0 rm -rf
	rm -rf staticfiles bench/results/tmp
