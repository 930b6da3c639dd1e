#!/usr/bin/env bash
# The main job: builds nodeboot and bootstraps a fresh node in the VM harness: two blank 2 GiB
# SSD volumes, a pre-install script, the LVM layout of the node template (runtime striped
# over both disks), a post-install script, and the report to a task service on 127.0.0.1.
# (Issue #8 replaces this with a booted Debian image, systemd and cloud-init.)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${NODEBOOT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target nodeboot >/dev/null
export NODEBOOT_BIN="$PWD/$build_dir/agent/cli/nodeboot"
exec scripts/vm/run.sh --disk 2G:5a2b3c4d1e2f4a5b8c9d --disk 2G:6b3c4d5e2f304b6c9d0e --timeout 300 -- scripts/demo/guest.sh
