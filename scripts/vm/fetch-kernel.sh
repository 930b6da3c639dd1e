#!/usr/bin/env bash
# Downloads and unpacks the Debian kernel the VM harness (scripts/vm/run.sh) boots.
#
# It fetches the package that linux-image-amd64 depends on (apt-get download + dpkg -x; nothing
# is installed), runs depmod on the unpacked tree, and points <cache>/current at it. The cache
# directory is described in common.sh. Idempotent: when the wanted kernel is already unpacked it
# does nothing. Only this script needs the network; run.sh does not.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/vm/common.sh
. "$here/common.sh"

cache=$(nb_vm_cache_dir)
mkdir -p "$cache"

log() { printf 'fetch-kernel: %s\n' "$*" >&2; }
die() { nb_die fetch-kernel 1 "$@"; }

# Serialise concurrent callers (setup.sh and run.sh may both get here).
exec 9>"$cache/.lock"
flock 9

wanted_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1
}

pkg=$(wanted_pkg || true)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
  log "apt lists know no linux-image-amd64; running apt-get update"
  apt-get update -qq || true
  pkg=$(wanted_pkg || true)
fi

if [ -z "$pkg" ]; then
  if [ -f "$cache/current/.complete" ]; then
    log "cannot resolve linux-image-amd64; keeping cached $(readlink "$cache/current")"
    exit 0
  fi
  die "cannot resolve the package linux-image-amd64 depends on (apt-get update?)"
fi

dest="$cache/kernel-$pkg"
if [ -f "$dest/.complete" ]; then
  if [ "$(readlink "$cache/current" 2>/dev/null || true)" != "kernel-$pkg" ]; then
    ln -sfn "kernel-$pkg" "$cache/current"
  fi
  exit 0
fi

log "fetching $pkg into $dest"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
apt_opts=(-q)
# As root, apt would drop to the _apt user, who may not write here; it warns and goes on as root.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
(cd "$work" && apt-get download "${apt_opts[@]}" "$pkg")
deb=$(find "$work" -maxdepth 1 -name '*.deb' -print -quit)
[ -n "$deb" ] || die "apt-get download produced no .deb"
mkdir "$work/root"
dpkg -x "$deb" "$work/root"
rm -f "$deb"

ver=$(nb_vm_kernel_version "$work/root") || die "no boot/vmlinuz-* in $pkg"
if [ ! -d "$work/root/lib/modules/$ver" ] && [ -d "$work/root/usr/lib/modules/$ver" ]; then
  mkdir -p "$work/root/lib/modules"
  mv "$work/root/usr/lib/modules/$ver" "$work/root/lib/modules/$ver"
fi
[ -d "$work/root/lib/modules/$ver" ] || die "no lib/modules/$ver in $pkg"
depmod -b "$work/root" "$ver"
nb_vm_extract_vmlinux "$work/root" "$ver" || log "no vmlinux extracted; run.sh boots the bzImage (slower)"
chmod -R a+rX "$work/root"
touch "$work/root/.complete"

rm -rf "$dest"
mv "$work/root" "$dest"
ln -sfn "kernel-$pkg" "$cache/current"

# Drop older kernels and the initramfs images built for them.
for old in "$cache"/kernel-*; do
  [ "$old" = "$dest" ] || rm -rf "$old"
done
rm -rf "$cache/initramfs"
log "kernel $ver ready in $dest"
