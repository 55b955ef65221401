#!/usr/bin/env bash
# Installs the Debian packages xferval needs to build, test and benchmark. Idempotent: when
# everything is installed it only checks, in well under a second. Run as root.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libeigen3-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libxxhash-dev zlib1g-dev libboost-math-dev libfast-float-dev libstb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libopenblas0-pthread
  libsqlite3-dev libboost1.74-dev libtorch-dev libpq-dev postgresql
  python3 python3-numpy python3-pandas python3-scipy python3-sklearn python3-pil python3-optuna python3-torch python3-psycopg2
  dataset-fashion-mnist chromium
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run this script as root (it uses apt-get) or install them yourself" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
