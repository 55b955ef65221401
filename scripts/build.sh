#!/usr/bin/env bash
# Configures and builds xferval in build/ (Release, Ninja, ccache). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Cache hits across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD"
build_dir=${XFERVAL_BUILD_DIR:-build}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
fi
# XFERVAL_BUILD_TARGET=xferval builds the binary alone (the main job needs no tests or benches).
cmake --build "$build_dir" -j "$(nproc)" ${XFERVAL_BUILD_TARGET:+--target "$XFERVAL_BUILD_TARGET"}
