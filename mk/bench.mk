# Benchmark harness: figures side by side with the alternative (scripts/bench.py). Timings
# live here, never in the tests. BENCH_ARGS=--quick for a smoke run, --only backtest,api ...

BENCH_ARGS ?=

.PHONY: bench

bench: install ## performance figures vs the alternatives (ONNX vs TF, ours vs vectorbt, router vs in-process)
	$(PY) scripts/bench.py $(BENCH_ARGS)

.PHONY: bench-dashboard
bench-dashboard: install ## dashboard page load in headless Chromium with 1,000 orders and 20 positions
	$(PY) scripts/bench_dashboard.py --direct
