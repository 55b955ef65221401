#!/usr/bin/env bash
# The main job, as the README's first command: set up, build, and profile a bundled real
# dataset (the Wisconsin breast cancer data), printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
mkdir -p out
./build/xferval profile data/breast_cancer.csv --label diagnosis -o out/breast_cancer.profile.json
