#!/usr/bin/env bash
# Installs every build and test dependency of nodeboot on a fresh Debian 12 machine.
# Idempotent and non-interactive: safe to run again; packages already present are kept.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format git
  # libraries (one adapter file each, see DESIGN.md)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libboost-dev libboost-filesystem-dev libcurl4-openssl-dev libblkid-dev libsystemd-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 openssl
  # the shell scripts' lint (tests/lint)
  shellcheck
  # the fuzz job: clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # what the storage phase drives, and the VM harness that proves it
  lvm2 e2fsprogs xfsprogs util-linux fdisk
  qemu-system-x86 qemu-utils busybox-static kmod cpio xz-utils lintian mmdebstrap mtools
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel the VM tests boot (downloaded as a Debian package, unpacked, cached).
if [ -x scripts/vm/fetch-kernel.sh ]; then
  scripts/vm/fetch-kernel.sh
fi
