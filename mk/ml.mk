# ML pipeline targets (issue 3). Included by the Makefile; uses $(PY) (the venv's python).
# Runs against whatever AWS_ENDPOINT_URL / AWS_PROFILE / AWS_REGION the environment names:
# the embedded emulator by default (`make up` first), real AWS with a profile and region.

PY ?= .venv/bin/python
# The ml package and the shared layer, importable without an editable install.
ML_PY := PYTHONPATH=$(CURDIR)/services/common:$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH} $(PY)
ML_ARGS ?=
ML_FORCE := $(if $(filter 1 true yes,$(FORCE)),--force,)
# The running local stack, unless AWS_PROFILE / keys / AWS_ENDPOINT_URL name a target; with
# neither, one line says what to run (tradeloop_local target exits 2).
ML_TARGET = exports="$$($(PY) -m tradeloop_local target)" || exit 2; eval "$$exports";

.PHONY: train-and-publish promote rollback ml-report ml-versions

train-and-publish: ## ingest-if-needed -> walk-forward -> train -> publish -> promote (FORCE=1 skips the gate; ML_ARGS=...)
	@$(ML_TARGET) $(ML_PY) -m ml train-and-publish $(ML_FORCE) $(ML_ARGS)

promote: ## point models/<name>/LATEST at VERSION=... (gated; FORCE=1 to override)
	@test -n "$(VERSION)" || { echo "usage: make promote VERSION=<version> [FORCE=1]"; exit 2; }
	@$(ML_TARGET) $(ML_PY) -m ml promote $(VERSION) $(ML_FORCE)

rollback: ## point LATEST back at the previously live model version
	@$(ML_TARGET) $(ML_PY) -m ml rollback

ml-versions: ## list published model versions (* = live)
	@$(ML_TARGET) $(ML_PY) -m ml versions

ml-report: ## print the last run's walk-forward table and where its report is
	@$(ML_PY) -m ml report

# Replay (issue 3 item 10): the live loop day by day over a past period, against the running stack.
REPLAY_START ?= 2012-01-03
REPLAY_END ?= 2012-12-31
REPLAY_ARGS ?=

.PHONY: replay
replay: ## replay the live loop (scheduler -> signal -> SQS -> order -> snapshot) over REPLAY_START..REPLAY_END
	$(PY) -m tradeloop_local replay --start $(REPLAY_START) --end $(REPLAY_END) $(REPLAY_ARGS)

.PHONY: signals
signals: ## run the signal job now on the running local stack and show the signals (AS_OF=YYYY-MM-DD optional)
	$(PY) -m tradeloop_local signals --run $(if $(AS_OF),--as-of $(AS_OF),)

# The daily pipeline: ingest -> fill (the open) + snapshot -> signal -> intents for one session, against the
# running local stack and its fake market-data provider (tradeloop_local.fake_market).
SESSION ?=

.PHONY: pipeline
pipeline: ## run the daily pipeline for SESSION=YYYY-MM-DD on the running local stack (bars appended, quality report, signals)
	$(PY) -m tradeloop_local pipeline $(if $(SESSION),--session $(SESSION),)
