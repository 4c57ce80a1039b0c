# Benchmark harness: figures side by side with the alternative (scripts/bench.py, bench_scale.py),
# written down in docs/benchmarks.json (docs/benchmarks.md reads them). Timings live here, never in
# the tests. BENCH_ARGS=--quick for a smoke run, --only signal,orders ... (about 30 min in full on 2 cores)

BENCH_ARGS ?= --json docs/benchmarks.json

.PHONY: bench

bench: install ## figures vs the alternatives: universe scale (signal, rebalance, orders/s, cost), ONNX vs TF, vectorbt
	$(PY) scripts/bench.py $(BENCH_ARGS)

.PHONY: bench-dashboard
bench-dashboard: install ## dashboard page load in headless Chromium with 1,000 orders and 20 positions
	$(PY) scripts/bench_dashboard.py --direct
