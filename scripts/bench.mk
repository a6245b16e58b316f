# Benchmarks of issue 6: the export's speed and memory. Included by the top-level Makefile
# (`include scripts/bench.mk`); also usable alone: make -f scripts/bench.mk TARGET.
#
#   make bench         the benchmark table: the encoder against encoding/csv, the pipeline at 10,000, 100,000 and
#                      1,000,000 queue entries (each in its own process, peak RSS from wait4), each stage alone, the
#                      end-to-end run on embedded FerretDB, the cold start; then the targets; then the latency
#                      table: 100,000 and 1,000,000 entries × MongoDB round trip 0/5/20 ms × Drive chunk latency
#                      0/100 ms, with the CPU, queue-chain and chunk floors and the latency targets (about 6 minutes)
#   make bench-latency the latency table and its targets alone (about 4 minutes)
#   make bench-curve   wall time and peak RSS of the pipeline for each upload chunk size and buffer count, on
#                      loopback and with 100 ms added to every chunk request as a real Drive's round trip (about
#                      5 minutes)
#   make bench-smoke   every benchmark once (-benchtime=1x) at a hundredth of its size, so they keep compiling and
#                      working (the latency path included: BenchmarkLatency at 1,000 and 10,000 entries with 5 and
#                      20 ms MongoDB round trips and 100 ms Drive chunks), and the memory test (peak RSS of
#                      200,000 entries under 128 MiB), which needs a build without the race detector (what CI
#                      runs; about a minute)
#
# Details and results: internal/bench/README.md.

BENCH_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
BENCH_GO ?= $(or $(GO),go)

.PHONY: bench bench-latency bench-curve bench-smoke

bench:
	@cd $(BENCH_ROOT) && $(BENCH_GO) run ./internal/bench/cmd/bench

bench-latency:
	@cd $(BENCH_ROOT) && $(BENCH_GO) run ./internal/bench/cmd/bench -latency-only

bench-curve:
	@cd $(BENCH_ROOT) && $(BENCH_GO) run ./internal/bench/cmd/bench -curve
	@cd $(BENCH_ROOT) && $(BENCH_GO) run ./internal/bench/cmd/bench -curve -latency 100ms

bench-smoke:
	cd $(BENCH_ROOT) && LEDGER_BENCH_SMOKE=1 $(BENCH_GO) test -count=1 -run '^TestPipelineMemory$$' -v -bench . -benchtime=1x -benchmem ./internal/bench/
