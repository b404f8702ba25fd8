# Thin wrapper over CMake + CTest. `make demo` and `make check` are the two
# commands of the README's quick start; both install missing Debian packages.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
TSAN_TESTS := test_pipeline test_ledger test_ledger_events test_ledger_sync
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build asan tsan demo check test test-asan bench clean format

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The multi-threaded core (pipeline, ledger readers) under ThreadSanitizer.
tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSY_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)

# Every test on the release build, then again under ASan+UBSan (+LSan)
# except the few labelled heavy (tests/CMakeLists.txt), then the threaded
# tests under TSan.
check: build asan tsan
	@echo "== tests (release build) =="
	@cd $(BUILD) && ctest $(CTEST_ARGS) -j $(JOBS)
	@echo "== tests (ASan + UBSan) =="
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS) -j $(JOBS) -LE heavy
	@echo "== threaded tests (TSan) =="
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest $(CTEST_ARGS) -R '^($(subst $() ,|,$(TSAN_TESTS)))$$'


test: build
	@cd $(BUILD) && ctest $(CTEST_ARGS) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

# Solo node vs a local 3-peer etcd cluster under the same load (bench/README.md;
# figures in docs/benchmarks.md). Environment: RUNS, TXS, CONNS, PEER_ARGS, SOLO.
bench: build
	@bench/cluster_bench.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# libFuzzer campaign (fuzz/README.md): clang build with -DSY_FUZZ=ON in
# $(FUZZ_BUILD), then each fuzz target for FUZZ_SECONDS on a copy of its
# corpus, one at a time; new inputs stay in $(FUZZ_BUILD)/corpus-work.
# `make check` only replays the committed corpora (no time-based fuzzing).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSY_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target sy_fuzzers
	@fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
