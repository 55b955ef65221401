#!/usr/bin/env bash
# The main job, as the README's first command: set up, build, profile a bundled real dataset
# (the Wisconsin breast cancer data), write the card of a model built on half of it, and check two
# new datasets against that card: one from the same distribution (PASS), one drawn with a
# selection bias toward large tumours (FAIL, exit 1, with the checks that caught it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
mkdir -p out
./build/xferval profile data/breast_cancer.csv --label diagnosis -o out/breast_cancer.profile.json
echo
./build/xferval card --data examples/tabular/source.csv --label diagnosis -o out/breast_cancer.card.json
echo
echo "== xferval check: new data from the same distribution"
./build/xferval check --card out/breast_cancer.card.json --data examples/tabular/target.csv \
  -o out/target.report.json
echo
echo "== xferval check: new data with a covariate shift (expected to FAIL)"
status=0
./build/xferval check --card out/breast_cancer.card.json --data examples/tabular/target_shifted.csv \
  -o out/target_shifted.report.json || status=$?
./build/xferval report out/target_shifted.report.json --html out/target_shifted.report.html >/dev/null || true
echo "HTML report: out/target_shifted.report.html"
if [[ $status -ne 1 ]]; then
  echo "example: the shifted data should have failed the check (exit 1), got exit $status" >&2
  exit 1
fi
