#!/usr/bin/env bash
# The main job, as the README's first command: set up, build, and run the Fashion-MNIST pipeline
# (examples/fashion-mnist/pipeline.toml): profile the new data, write the card of the source
# model (classes 0-4), check the new data (classes 5-9) against it with the model, rank candidate
# models, fine-tune with a TPE search, verify the tuned model on a holdout, and report (PASS).
# Then the same with inverted target images: the data check fails and tuning does not start.
set -euo pipefail
cd "$(dirname "$0")/.."
XFERVAL_BUILD_TARGET=xferval bash scripts/build.sh >/dev/null
echo "== xferval run examples/fashion-mnist/pipeline.toml"
./build/xferval run examples/fashion-mnist/pipeline.toml
echo
echo "== xferval run examples/fashion-mnist/shifted.toml (inverted images: expected to FAIL)"
status=0
./build/xferval run examples/fashion-mnist/shifted.toml || status=$?
if [[ $status -ne 1 ]]; then
  echo "example: the inverted target should have failed the data check (exit 1), got exit $status" >&2
  exit 1
fi
echo
echo "Open out/fashion-mnist/report.html for the whole story; out/fashion-mnist-shifted/report.html"
echo "for the failed data check. The tabular example: docs/checks.md and examples/tabular/."
