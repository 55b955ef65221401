#!/usr/bin/env bash
# Builds the tests with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/ and runs
# them all (the end-to-end tests then drive the sanitized binary). Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CCACHE_BASEDIR="$PWD"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DXFERVAL_SANITIZE=ON \
    -DXFERVAL_BUILD_BENCH=OFF >/dev/null
fi
cmake --build build-asan -j "$(nproc)"
# The TPE agreement study (Optuna against bench/tpe_bench, not built here) is statistics, not memory
# safety: it runs in the plain suite; its C++ runs here through tune_tests.
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900 -E '^e2e\.test_tune_optuna$'
