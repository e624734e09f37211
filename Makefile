# The index of commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
PYTEST_WORKERS ?= auto

.PHONY: help run test system-packages lint format check messages worker beat shell clean bench bench-cases bench-registry bench-import bench-peer bench-open311 bench-datagov

help:
	@echo "make run       start web + Celery worker + beat on $(HOST):$(PORT) with the demo district"
	@echo "make test      run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)"
	@echo "make lint      ruff, import contracts, migrations check"
	@echo "make format    ruff format and import sorting"
	@echo "make messages  refresh and compile the Chinese translations"
	@echo "make bench     filing (and beside django-helpdesk), dashboard, sweep, import, memory, registry"
	@echo "               (needs DATABASE_URL, PostgreSQL, and REDIS_URL; bench/README.md)"

$(RUNTIME): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# `make run` prints web access lines and warnings; `make run LOG_LEVEL=INFO` shows everything.
LOG_LEVEL ?= WARNING
run: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input -v 0
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo --cases 300
	@echo
	@echo "Sanhua is starting at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo "Stop it with Ctrl-C."
	@echo
	PATH="$(BIN):$$PATH" DJANGO_DEBUG=1 SANHUA_ADDR=$(HOST):$(PORT) LOG_LEVEL=$(LOG_LEVEL) \
		DJANGO_LOG_LEVEL=$(LOG_LEVEL) $(BIN)/honcho -f Procfile.dev start

# Debian's chromium, Chinese fonts and gettext: installed when missing (scripts/system-packages.sh).
system-packages:
	@scripts/system-packages.sh

test: $(DEV) system-packages
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_DEBUG=1 SANHUA_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run

format: $(DEV)
	$(BIN)/ruff check --fix --select I .
	$(BIN)/ruff format .

check: lint test

messages: $(DEV)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --ignore=staticfiles
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

# All need DATABASE_URL (PostgreSQL); bench-cases also REDIS_URL. See bench/README.md.
bench: bench-cases bench-registry bench-import bench-peer bench-open311 bench-datagov

# Filing side by side with django-helpdesk's ticket creation, in one run with one load generator
# (../shared/peers/side, beside the repository; skipped where it is not). It clones this
# checkout's committed HEAD, uses its own databases, Redis db 10 and ports 8751-8752.
PEER_SIDE ?= $(CURDIR)/../shared/peers/side
bench-peer:
	@if [ ! -x "$(PEER_SIDE)/repeat.sh" ]; then echo "no peer at $(PEER_SIDE): skipped"; exit 0; fi; \
	side=$$(mktemp -d); \
	PROJECT_DIR=$(CURDIR) SIDE_DIR=$$side "$(PEER_SIDE)/repeat.sh" $$side/side.jsonl \
	  || echo "(the peer's script stopped early; its measurements so far follow)"; \
	python3 "$(PEER_SIDE)/summarize.py" $$side/side.jsonl

bench-cases: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python bench/cases.py $(BENCH_CASES_ARGS)

bench-open311: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python bench/open311.py $(BENCH_OPEN311_ARGS)

bench-datagov: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python bench/datagov.py $(BENCH_DATAGOV_ARGS)

bench-registry: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python bench/registry.py $(BENCH_ARGS)

bench-import: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python bench/imports.py $(BENCH_IMPORT_ARGS)

worker: $(RUNTIME)
	$(BIN)/celery -A governance worker --loglevel INFO

beat: $(RUNTIME)
	$(BIN)/celery -A governance beat --loglevel INFO

shell: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python manage.py shell

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
