#!/usr/bin/env bash
# Configures, builds and runs every test label (unit, integration, e2e) with ctest.
#   scripts/test.sh                  all labels
#   NODEBOOT_TEST_LABELS='unit|integration' scripts/test.sh   a subset (a ctest -L regex)
#   NODEBOOT_BUILD_DIR=build-asan NODEBOOT_SANITIZE=ON scripts/test.sh   the ASan+UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${NODEBOOT_BUILD_DIR:-build}
labels=${NODEBOOT_TEST_LABELS:-unit|integration|e2e}
jobs=$(nproc)

cmake -S . -B "$build_dir" -G Ninja \
  -DNODEBOOT_WERROR=ON \
  -DNODEBOOT_SANITIZE="${NODEBOOT_SANITIZE:-OFF}" >/dev/null
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest -L "$labels" -j "$jobs" --output-on-failure --timeout 900
