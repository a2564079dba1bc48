# Walidata: `make run` (nightly pipeline on the sample data) and `make test` (the test suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin

# Airflow lives inside the repo (.airflow/, git-ignored) with its embedded SQLite metadata DB.
# `airflow standalone` spawns `airflow` from PATH, hence the venv's bin first.
export PATH := $(BIN):$(PATH)
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER ?= $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER ?= $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export AIRFLOW__CORE__DEFAULT_TIMEZONE ?= Asia/Jakarta
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION ?= False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= INFO
export GX_ANALYTICS_ENABLED ?= false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup airflow-db run test test-fast bench airflow lint sample clean

help:
	@echo "make run      set up, run the nightly pipeline on the bundled sample data, print the summary"
	@echo "make test     set up and run the whole test suite (what CI runs)"
	@echo "make test-fast  unit and integration tests without the slow corpora (no Airflow runs, CLI, browser, faults)"
	@echo "make airflow  start the Airflow UI on http://localhost:8080 with the project's DAGs"
	@echo "make bench    time each stage against a hand-written baseline"
	@echo "make lint     ruff"
	@echo "make sample   regenerate the bundled sample workbooks (deterministic)"

$(BIN)/.installed: requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	@touch $@

setup: $(BIN)/.installed

# The metadata DB, then the pool of the tasks that write the warehouse (walidata_gudang: 1 slot on DuckDB).
$(AIRFLOW_HOME)/airflow.db: $(BIN)/.installed
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	$(BIN)/python -m walidata.worker --kolam >> $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; rm -f $@; exit 1; }

airflow-db: $(AIRFLOW_HOME)/airflow.db

# Every DAG through one Airflow process (walidata.worker: dag.test per DAG); task logs where `make airflow` reads them.
run: setup airflow-db
	$(BIN)/walidata nightly --api-contoh

# Two pytest-xdist workers (PYTEST_WORKERS=0: one process): each module stays on one worker, and the modules that
# drive the project's Airflow run in turn on one of them (tests/conftest.py, SERIAL_AIRFLOW).
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS) --dist loadgroup)

test: setup airflow-db
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The classes and the slow suites are set in tests/conftest.py (TEST_CLASSES, SLOW_SUITES); the PostgreSQL
# cases of the tests that run on both warehouses are left to `make test` (the DuckDB cases run the same code).
test-fast: setup airflow-db
	$(BIN)/python -m pytest $(XDIST) -m "(unit or integration) and not slow and not postgres" $(PYTEST_ARGS)

# One harness (bench/run.py): Katingan ×1, ×10 and Kalimantan Tengah per stage beside their baselines, then the
# component benches (bench_*.py) with their embedded defaults; figures in bench/results/, see docs/PERFORMANCE.md.
# The national workload is opt-in: $(BIN)/python bench/run.py --nasional --workload nasional --tanpa-komponen
bench: setup airflow-db
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The same harness on one tiny workload (< 1 min); tests/test_bench_smoke.py runs it in the test suite.
.PHONY: bench-smoke
bench-smoke: setup
	$(BIN)/python bench/run.py --smoke

airflow: setup airflow-db
	@echo "Airflow UI: http://localhost:8080 — user 'admin'; the password is printed below by Airflow and kept in"
	@echo "  $(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated"
	@$(BIN)/python -m walidata.worker --kolam
	$(BIN)/airflow standalone

lint: setup
	$(BIN)/ruff check include dags tests bench plugins

sample: setup
	$(BIN)/python -m walidata.sample
	$(BIN)/python -m walidata.sample_api

clean:
	rm -rf data .airflow great_expectations/uncommitted
