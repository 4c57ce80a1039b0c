# tradeloop — `make demo` runs the whole thing locally; `make test` runs every suite.
# Everything installs itself into .venv (Python 3.11) on first use.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= local,ml,serve,dashboard,test,lint
CONSTRAINTS := requirements/constraints.txt
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install up down reset run status demo seed test test-unit test-integration screenshots lint fmt openapi openapi-check clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN{FS=":.*?## "}{printf "  %-20s %s\n",$$1,$$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "tradeloop needs Python 3.11 (the Lambda runtime); '$(PYTHON)' is not. Install python3.11 or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 2; }
	@test -x $(PY) && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade "pip>=24" "setuptools>=77" wheel
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install everything (pinned by requirements/constraints.txt)

up: install ## start what is not running (emulator, API, dashboard), keep what is; state kept across down/up
	$(PY) -m tradeloop_local up

down: ## stop exactly what `make up` started; the state (orders, cash, models, data) is kept
	@test -x $(PY) && $(PY) -m tradeloop_local down || true

reset: install ## DELETE the local stack's state (says what first, asks; YES=1 does not ask); then `make up` is fresh
	$(PY) -m tradeloop_local reset $(if $(filter 1 true yes,$(YES)),--yes,)

run: install ## like `up`, in the foreground; Ctrl-C stops everything
	$(PY) -m tradeloop_local run

status: ## each local component: up, unresponsive, dead or absent
	@$(PY) -m tradeloop_local status

demo: install ## fresh machine -> running stack, model trained and published, demo order, URLs
	@start=$$(date +%s); \
	$(PY) -m tradeloop_local up && \
	$(MAKE) --no-print-directory demo-pipeline && \
	$(MAKE) --no-print-directory demo-model && \
	$(MAKE) --no-print-directory demo-replay && \
	$(PY) -m tradeloop_local targets && \
	$(PY) -m tradeloop_local demo-script && \
	echo "make demo took $$(( $$(date +%s) - start ))s; stop it with: make down" && \
	$(PY) -m tradeloop_local urls

test: install ## every suite: unit, integration, e2e (browser), iac (terraform)
	$(PY) -m pytest $(PYTEST_ARGS)

# No unit test fuzzes the API: schemathesis' pytest plugin stays unloaded (its imports cost a second).
# Spread over the cores (pytest-xdist); `make test` stays serial (its integration tests share one stack).
test-unit: install ## fast tests, no emulator, no training (the slow ones run in `make test`)
	$(PY) -m pytest tests/unit -m "not slow" -p no:schemathesis -n auto $(PYTEST_ARGS)

test-integration: install ## through the local router against moto server
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

# The browser tests that draw the docs' pictures; a normal run leaves docs/img alone.
SCREENSHOT_TESTS := tests/e2e/test_dashboard.py::test_every_page_loads_without_console_errors_and_is_screenshotted \
  tests/e2e/test_risk_pages.py
screenshots: install ## refresh docs/img (overview, model, controls) from the browser tests
	TRADELOOP_UPDATE_DOC_IMAGES=1 $(PY) -m pytest $(SCREENSHOT_TESTS) $(PYTEST_ARGS)

lint: install ## ruff (with the complexity rule), mypy, openapi drift
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check services ml dashboard tests scripts
	$(VENV)/bin/mypy
	$(PY) -m tradeloop_local openapi --check

fmt: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format services ml dashboard tests scripts

openapi: install ## regenerate the merged OpenAPI document
	$(PY) -m tradeloop_local openapi

clean: down ## remove build output, logs and caches (keeps .venv and the stack's state: `make reset` deletes that)
	rm -rf build dist tests/artifacts .pytest_cache .ruff_cache .tradeloop/logs .tradeloop/terraform/check

-include mk/*.mk

.PHONY: demo-model
demo-model: ## train and publish a model into the running local stack (forced live: FORCE=1)
	@echo "demo: FORCE=1 - the model goes live even if the promotion gate refuses it, so the loop can be"
	@echo "demo: watched end to end; LATEST then records action=force-promote and the gate verdict is printed"
	@eval "$$($(PY) -m tradeloop_local env)" && $(MAKE) --no-print-directory train-and-publish FORCE=1 \
	  || echo "NOTE: no model went live (see above); signals will HOLD until one does"

.PHONY: demo-pipeline
demo-pipeline: ## the pipeline's ingest for 2013-03-01: the fake provider's sessions after the seeding cutoff (2013-02-15)
	@echo "demo: the stack's bars stop at 2013-02-15; the daily pipeline's ingest for 2013-03-01 appends the sessions since"
	@echo "demo: from the local fake provider (real sample days in Alpaca's format). No model is live yet: the universe is"
	@echo "demo: TRADELOOP_SIGNAL_SYMBOLS (what a new deployment collects before its first model), and it stops after ingest"
	@TRADELOOP_SIGNAL_SYMBOLS=AAPL,GOOG,IBM,MSFT $(PY) -m tradeloop_local pipeline --session 2013-03-01 --until ingest \
	  || echo "NOTE: the ingest did not complete (see above)"

.PHONY: demo-replay
demo-replay: ## paper-trade the last two months of the sample through the live loop (fills the dashboard)
	@echo "demo: replaying 2013-01-02..2013-03-01 through scheduler -> signal -> SQS -> order -> snapshot"
	@echo "demo: the final model was fit on data up to 2013-03-01, so this shows the loop working, not performance"
	@$(MAKE) --no-print-directory replay REPLAY_START=2013-01-02 REPLAY_END=2013-03-01 REPLAY_ARGS=--decide-last-day \
	  || echo "NOTE: the replay did not complete (see above); the stack is still up"
