#!/usr/bin/env bash
# Builds the nodeboot .deb and checks it: lintian, and systemd-analyze verify of the units as
# installed (the package unpacked into a temp root).
#
#   scripts/package.sh [--build-dir DIR] [--out DIR] [--no-check]
#
# Without --build-dir: a Release build (Debian's -O2 and hardening flags from dpkg-buildflags,
# no tests) in build-pkg/. With --build-dir: package that already configured build tree as it
# is (the ctest `packaging_deb` packages the tree it tests, so CI compiles nothing twice).
# --out: where the .deb goes (default: <build dir>/pkg). The last line on stdout is the .deb's
# path; everything else goes to stderr. Exit 0 only when the package was built and every check
# is clean: lintian shows no error or warning (info tags are shown but do not fail; justified
# exceptions are in packaging/lintian-overrides), systemd-analyze verify says nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

build_dir='' out='' check=1
while [ "$#" -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    -h | --help) sed -n 's/^#   \(scripts\/package.sh.*\)/usage: \1/p' "$0" >&2; exit 0 ;;
    *) echo "package.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
say() { printf 'package.sh: %s\n' "$*" >&2; }

if [ -z "$build_dir" ]; then
  build_dir=build-pkg
  # -O2 as Debian builds, plus Debian's hardening: fortify, stack protector, relro, bindnow
  # (cheap: the binary's only shared library is glibc).
  cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
  ldflags="$(dpkg-buildflags --get LDFLAGS) -Wl,-z,now"
  say "configuring a Release build in $build_dir"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODEBOOT_TESTS=OFF \
    -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_CXX_FLAGS_RELEASE="-DNDEBUG" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >&2
  cmake --build "$build_dir" -j "$(nproc)" >&2
fi
[ -f "$build_dir/CPackConfig.cmake" ] || { say "$build_dir is not a configured build tree"; exit 2; }
# Brings the tree up to date (and re-generates CPackConfig.cmake after a CMakeLists change).
cmake --build "$build_dir" --target nodeboot nodeboot_package_docs >&2
build_dir=$(cd "$build_dir" && pwd)
out=${out:-$build_dir/pkg}
mkdir -p "$out"
out=$(cd "$out" && pwd)

say "cpack -G DEB in $out"
rm -f "$out"/nodeboot_*.deb
(cd "$build_dir" && cpack -G DEB -B "$out" --config CPackConfig.cmake) >&2
rm -rf "$out/_CPack_Packages"
debs=("$out"/nodeboot_*.deb)
{ [ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ]; } || { say "cpack made no single .deb in $out"; exit 1; }
deb=${debs[0]}

if [ "$check" -eq 1 ]; then
  failed=0
  say "lintian $deb"
  # --fail-on: warnings fail too; info tags are shown (-I) but do not fail.
  if ! lintian -I --fail-on error,warning --tag-display-limit 0 "$deb" >&2; then
    say "lintian: not clean"
    failed=1
  fi

  # systemd-analyze verify needs the units' ExecStart binaries: check the units as installed.
  root=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-pkgroot.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  dpkg-deb -x "$deb" "$root"
  # The units refer to systemd's own (sysinit.target, network-online.target, ...): give the
  # root this machine's, without touching the package's files.
  cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
  say "systemd-analyze verify (root: the unpacked package)"
  units=(nodeboot.service nodeboot-report.service nodeboot-report.timer)
  verify_log="$root.verify"
  if ! (cd "$root/lib/systemd/system" &&
    SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no --root="$root" "${units[@]/#/$root/lib/systemd/system/}") \
    >"$verify_log" 2>&1; then
    cat "$verify_log" >&2
    failed=1
  fi
  # Units it cannot find that only exist on a node (kubelet, containerd, cloud-init) are fine;
  # anything else it says about our units is not.
  if grep -v -E 'kubelet\.service|containerd\.service|docker\.service|cloud-(init|config)\.service' \
    "$verify_log" | grep -q .; then
    cat "$verify_log" >&2
    failed=1
  fi
  rm -f "$verify_log"
  if [ "$failed" -ne 0 ]; then
    say "checks failed"
    exit 1
  fi
  say "lintian and systemd-analyze verify: clean"
fi
printf '%s\n' "$deb"
