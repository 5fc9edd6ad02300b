# Thin wrapper over CMake. `make run` does the main job, `make test` runs the
# whole test suite; both install the Debian packages they need first.

BUILD    ?= build
BENCH    ?= build-bench
ASAN     ?= build-asan
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   := $(if $(CI),ON,OFF)

.PHONY: all deps build run test coverage bench asan valgrind format clean

all: build

deps:
	@sh .ci/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DMT5_COVERAGE=ON -DMT5_WERROR=$(WERROR) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@sh tools/make-run.sh $(BUILD)/bin reports

test: build
	@find $(BUILD) -name '*.gcda' -delete
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory coverage

# Line coverage of libcore, from the counters the last test run left; fails
# under 85%.
coverage:
	gcovr -r . --object-directory $(BUILD) --filter 'libcore/' --print-summary --fail-under-line 85 $(BUILD)

bench: deps
	cmake -S . -B $(BENCH) -DCMAKE_BUILD_TYPE=Release -DMT5_WERROR=$(WERROR) >/dev/null
	cmake --build $(BENCH) -j $(JOBS)
	$(BENCH)/bench/bench_rtt
	$(BENCH)/bench/bench_verify
	$(BENCH)/bench/bench_gate

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMT5_SANITIZE=ON -DMT5_WERROR=$(WERROR) >/dev/null
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS)

# Every test binary under valgrind, then the gateway integration test with
# the gateway process itself under valgrind (its exit status carries the
# verdict to the test's teardown).
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: build
	@set -e; for t in $(BUILD)/tests/test_*; do \
	  echo "valgrind $$t"; \
	  $(VALGRIND) $$t >/dev/null; \
	done
	@echo "valgrind mt5-gateway under tests/integration/test_gateway"
	@MT5_TEST_WRAPPER="$(VALGRIND)" $(BUILD)/tests/test_gateway >/dev/null

format:
	clang-format -i libcore/include/mt5/*.h libcore/src/*.[ch] tools/*/*.c gates/*/*.[ch] tests/*/*.[ch]

clean:
	rm -rf $(BUILD) $(BENCH) $(ASAN)
