# PAE Ops: the two commands are `make run` (demo) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The suite's services (override in the environment).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pae_ops
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test suite install lint format messages bench bench-load lock clean

# Installs the pinned versions (requirements/lock-dev.txt, what CI tests), then the
# project itself without resolving again; pyproject.toml keeps the ranges.
$(STAMP): pyproject.toml requirements/lock-dev.txt requirements/build-constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --build-constraint requirements/build-constraints.txt \
	  -r requirements/lock-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

## make lock: re-pin requirements/lock.txt (image) and lock-dev.txt (CI, make test)
## from the ranges in pyproject.toml; commit both.
lock: $(STAMP)
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements/lock.txt pyproject.toml
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	  --extra dev --output-file requirements/lock-dev.txt pyproject.toml

install: $(STAMP)

## make run: the demo on the embedded PostgreSQL (data under var/) and the filesystem
## broker, http://127.0.0.1:8000; DATABASE_URL names another server. RUN_ARGS: e.g.
## RUN_ARGS="--addrport 127.0.0.1:8010".
run: $(STAMP)
	$(PY) -m pae_ops.embedded_db exec --database pae_ops -- $(PY) manage.py run_demo $(RUN_ARGS)

## make test: the whole suite (browser tests included) on PostgreSQL and Redis. Without
## DATABASE_URL: the machine's server on 127.0.0.1:5432, or, when nothing answers there,
## the embedded one (data under var/postgres-test).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} $(PY) -m pae_ops.embedded_db exec \
	  --fallback-url $(TEST_DATABASE_URL) --data-dir var/postgres-test --database pae_ops --fast \
	  -- $(MAKE) --no-print-directory suite

# The suite itself, with DATABASE_URL and REDIS_URL set (make test sets them).
suite:
	$(PY) -m tests.preflight
	DJANGO_ENV=test $(VENV)/bin/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Regenerate and compile the translations (needs gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l es -l en --ignore=.venv --ignore=var --ignore=test-output
	$(PY) manage.py compilemessages --ignore=.venv

## make bench: the performance budgets of DESIGN.md on the scale data set (not part of make test).
## Creates and seeds $(BENCH_DATABASE_URL) when needed (seed_scale), then writes docs/benchmarks.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pae_ops_scale
bench: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$${REDIS_URL:-} DJANGO_ENV=development DEBUG=false \
	  $(PY) manage.py bench $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-load

## make bench-load: only the load test (wrk against gunicorn) on the seeded scale data set.
bench-load: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$${REDIS_URL:-} DJANGO_ENV=development DEBUG=false \
	  $(PY) manage.py load_test $(LOAD_ARGS)

## Stop the demo's and the suite's embedded servers and delete their data (a fresh demo).
clean:
	-test -x $(PY) && $(PY) -m pae_ops.embedded_db stop
	-test -x $(PY) && $(PY) -m pae_ops.embedded_db stop --data-dir var/postgres-test
	rm -rf var test-output
