# Clubportal — the two commands a newcomer needs are `make run` and `make test`.
# Everything installs into .venv; nothing else is needed for the zero-setup mode.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run install install-dev migrate seed serve test test-fast lint format worker beat bench messages check-deploy clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Clubportal needs Python 3.11: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed  ## Create .venv with the runtime dependencies

install-dev: $(VENV)/.installed-dev  ## Add the test and lint tools

migrate: install  ## Apply database migrations
	@echo "Migrating the database..."
	$(MANAGE) migrate --noinput -v 0

seed: migrate  ## Load the demo club (idempotent) and print the demo logins
	$(MANAGE) seed_demo

run: seed  ## Zero-setup: install, migrate, demo data, serve at http://127.0.0.1:8000
	@echo ""
	@echo "  Clubportal is starting at http://$(HOST):$(PORT)/  (e-mails are written to var/mail/)"
	@echo ""
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(MANAGE) runserver_with_jobs $(HOST):$(PORT)

test: install-dev  ## Run the test suite (SQLite; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(VENV)/bin/pytest

lint: install-dev  ## ruff, the floors (import-linter) and the migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=clubportal.settings.test $(MANAGE) makemigrations --check --dry-run

format: install-dev  ## Format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install  ## A real Celery worker against REDIS_URL
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0" && exit 1)
	$(VENV)/bin/celery -A clubportal worker --loglevel=INFO

beat: install  ## Celery beat (exactly one per deployment) against REDIS_URL
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0" && exit 1)
	$(VENV)/bin/celery -A clubportal beat --loglevel=INFO

bench: install-dev  ## Performance benchmarks (not tests); figures go to docs/performance.md
	@if ls bench/*.py >/dev/null 2>&1; then for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done; else echo "No benchmarks yet."; fi

messages: install-dev  ## Update and compile the translations (needs gettext)
	$(MANAGE) makemessages -l sv -l nl --ignore=.venv --ignore=var --ignore=tests --ignore=artifacts --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv

check-deploy: install  ## Django's deployment checks and collectstatic against production settings
	DJANGO_SETTINGS_MODULE=clubportal.settings.production $(MANAGE) check --deploy --fail-level WARNING
	DJANGO_SETTINGS_MODULE=clubportal.settings.production $(MANAGE) collectstatic --noinput --clear -v0

clean:  ## Remove the virtualenv, the SQLite database and generated files
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* var artifacts .pytest_cache .ruff_cache
