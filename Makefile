# One entry point for developers and CI. Every target creates the virtualenv it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: test test-postgres test-reliability tox lint docs demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the whole test suite (SQLite, in-memory Celery broker; PostgreSQL-only scenarios skip).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

PG_AND_REDIS = DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/django_octy} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}

## Run the test suite but the reliability scenarios against PostgreSQL and Redis on this machine.
test-postgres: $(STAMP)
	$(PG_AND_REDIS) $(BIN)/python -m pytest -m "not reliability" $(PYTEST_ARGS)

## Run the reliability scenarios (worker kills, broker outage, fault storm, hostile input,
## security) against PostgreSQL and Redis on this machine.
test-reliability: $(STAMP)
	$(PG_AND_REDIS) $(BIN)/python -m pytest -m reliability $(PYTEST_ARGS)

# tox looks for python3.12 and python3.13 on PATH; pyenv's shims there fail for a version
# that is installed but not selected, so its interpreters are handed to tox directly.
PYENV_PYTHONS = $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.1[1-3]*/bin/python3.1[1-3])
TOX_ARGS ?=

## The tox matrix (Python 3.11-3.13, Django 5.2 and 6.0), with pyenv's interpreters found.
tox: $(STAMP)
	$(BIN)/tox run $(if $(PYENV_PYTHONS),--discover $(PYENV_PYTHONS)) $(TOX_ARGS)

# Material for MkDocs prints a banner about its successor on every build.
MKDOCS = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

## The documentation site, in site/ (strict: a broken link or anchor, or a page missing
## from the nav in mkdocs.yml, fails). `$(BIN)/mkdocs serve` previews it.
docs: $(STAMP)
	$(MKDOCS) build --strict

## ruff, mypy, a check that models and migrations agree, and the documentation site.
lint: $(STAMP)
	$(BIN)/ruff check django_octy tests example_project benchmarks mkdocs_hooks.py
	$(BIN)/ruff format --check django_octy tests example_project benchmarks mkdocs_hooks.py
	$(BIN)/mypy django_octy
	$(BIN)/python -m django makemigrations django_octy --check --dry-run --settings=tests.settings
	$(MKDOCS) build --strict --site-dir $(VENV)/site

## The example shop, synced to a fake Octy by a Celery worker, served at http://127.0.0.1:8000.
## DEMO_NO_SERVE=1 stops after the summary and fails unless everything (but the expected refusals) arrived.
demo: $(STAMP)
	$(BIN)/python example_project/demo.py

clean:
	rm -rf $(VENV) .tox .pytest_cache .mypy_cache .ruff_cache build site *.egg-info
