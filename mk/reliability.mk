# Reliability harness (issue 12): faults, kills and fuzzing against a scratch embedded stack, one table
# of figures (scripts/reliability.py, tradeloop_local.reliability). `make test` runs a bounded version
# (tests/reliability). Never touches the stack of `make up`.
# RELIABILITY_ARGS=--intents 2000 --throttle 0.05 --kills emulator,runtime --keep ...

PY ?= .venv/bin/python
RELIABILITY_ARGS ?=

.PHONY: reliability

reliability: install ## fault injection + kills + schemathesis on a scratch stack: prints lost/duplicated/reconciliation figures
	$(PY) scripts/reliability.py $(RELIABILITY_ARGS)

.PHONY: bench-persistence
bench-persistence: install ## what keeping the emulator's state costs: per request, snapshots, restarts with N orders
	$(PY) scripts/bench_persistence.py $(BENCH_ARGS)
