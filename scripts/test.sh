#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (GoogleTest suites and the end-to-end
# comparisons with NumPy and pandas) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir=${XFERVAL_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
