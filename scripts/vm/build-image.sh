#!/usr/bin/env bash
# Builds (or finds in the cache) a bootable Debian 12 node image with the nodeboot .deb
# installed, for scripts/vm/boot-image.sh, and prints its path.
#
#   scripts/vm/build-image.sh --deb FILE [--overlay DIR] [--enable UNIT]...
#
# Two cached layers under $(cache)/images (see common.sh for the cache directory):
#  1. base-KEY.tar: mmdebstrap of bookworm with systemd (as init), udev, cloud-init, lvm2,
#     e2fsprogs, xfsprogs, python3, ifupdown, dbus, containerd, openssl, python3-yaml and the
#     .deb's own dependencies. KEY hashes the
#     package list and this script. The only step that needs the network (Debian's mirror);
#     several minutes on a fresh machine.
#  2. node-KEY.img: a raw ext4 image (label nbroot) of layer 1 plus the .deb (dpkg -i in a
#     chroot: postinst enables nodeboot.service and nodeboot-report.timer as in any image build),
#     the booted kernel's modules (so udev, LVM and mount -t xfs find them), the files of
#     --overlay DIR copied over /, and the --enable units enabled. KEY hashes the base key, the
#     .deb, the kernel version and the overlay. Seconds to a minute.
# Runs as root (mmdebstrap's root mode, dpkg in a chroot, file ownership in the image).
# Concurrent builds are serialised with a lock; images unused for 3 days, and node images
# beyond the 3 newest, are removed (a running VM keeps its open file).
set -euo pipefail
# The system's tools only: mmdebstrap runs python3 (mmtarfilter) once per package, and a python3
# shim earlier in PATH (pyenv) would make that, and the result, depend on the user's setup.
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/common.sh
. "$here/common.sh"

die() { nb_die build-image.sh 1 "$@"; }
say() { printf 'build-image.sh: %s\n' "$*" >&2; }

deb='' overlay='' enable=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --deb) deb=$2; shift 2 ;;
    --overlay) overlay=$2; shift 2 ;;
    --enable) enable+=("$2"); shift 2 ;;
    *) die "usage: build-image.sh --deb FILE [--overlay DIR] [--enable UNIT]..." ;;
  esac
done
[ -f "$deb" ] || die "no .deb: '$deb'"
[ -z "$overlay" ] || [ -d "$overlay" ] || die "no overlay directory '$overlay'"
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, chroot, image ownership)"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (scripts/setup.sh installs it)"
deb=$(readlink -f "$deb")

nb_vm_kernel_dir "no kernel"
mkdir -p "$cache/images"
exec 9>"$cache/images/.lock"
flock 9

# --- layer 1: the Debian root ------------------------------------------------------------------
suite=bookworm
# containerd (with its runc): the real container runtime of the join scenarios, on the runtime LV;
# openssl and python3-yaml: the e2e fixtures' test API server and stand-in kubelet/kubeadm
# (tests/e2e/firstboot/guest/) sign certificates and read YAML as the real ones do.
packages=(systemd systemd-sysv udev dbus cloud-init lvm2 e2fsprogs xfsprogs python3
  ifupdown iproute2 procps kmod less containerd openssl python3-yaml)
# The .deb's dependencies are in the base too, so that layer 2 needs no network.
while IFS= read -r dep; do
  [ -n "$dep" ] && packages+=("$dep")
done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g')
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | LC_ALL=C sort -u)
base_key=$({
  printf '%s\n' "$suite" "${packages[@]}"
  sed -n '/^# --- layer 1/,/^# --- layer 2/p' "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
base="$cache/images/base-$base_key.tar"
if [ ! -f "$base" ]; then
  say "building the Debian $suite base (mmdebstrap, ${#packages[@]} packages; minutes)"
  start=$(date +%s)
  mirror=http://deb.debian.org/debian
  include=$(IFS=,; echo "${packages[*]}")
  # shellcheck disable=SC2016 # the hooks' "$1" (the new root) is mmdebstrap's to expand
  mmdebstrap --mode=root --variant=apt --format=tar \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include="$include" \
    --customize-hook='rm -f "$1"/etc/hostname' \
    --customize-hook='echo "LABEL=nbroot / ext4 defaults 0 1" > "$1"/etc/fstab' \
    --customize-hook='printf "datasource_list: [ NoCloud, None ]\n" > "$1"/etc/cloud/cloud.cfg.d/90-nodeboot-vm.cfg' \
    --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id; touch "$1"/etc/machine-id' \
    "$suite" "$base.tmp" \
    "deb $mirror $suite main" "deb $mirror $suite-updates main" \
    "deb http://deb.debian.org/debian-security $suite-security main" >&2 ||
    { rm -f "$base.tmp"; die "mmdebstrap failed"; }
  mv -f "$base.tmp" "$base"
  say "base built in $(($(date +%s) - start)) s: $base ($(du -h "$base" | cut -f1))"
fi
touch "$base"

# --- layer 2: the node image -------------------------------------------------------------------
key=$({
  printf '%s\n' "$base_key" "$kver" "${enable[@]}"
  sha256sum "$deb" | cut -d' ' -f1
  [ -z "$overlay" ] || (cd "$overlay" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  sed -n '/^# --- layer 2/,$p' "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
img="$cache/images/node-$key.img"
if [ ! -f "$img" ]; then
  start=$(date +%s)
  root=$(mktemp -d "$cache/images/.root.XXXXXX")
  trap 'rm -rf "$root" "$img.tmp"' EXIT
  tar -C "$root" -xf "$base"
  # The booted kernel's modules: filesystems, device-mapper, virtio and what they need.
  mdir=lib/modules/$kver
  mkdir -p "$root/$mdir/kernel/drivers"
  cp -a "$kdir/$mdir"/modules.order "$kdir/$mdir"/modules.builtin* "$root/$mdir/"
  for d in fs lib crypto arch block mm virt drivers/md drivers/block drivers/virtio drivers/char; do
    [ -d "$kdir/$mdir/kernel/$d" ] || continue
    mkdir -p "$root/$mdir/kernel/$(dirname "$d")"
    cp -a "$kdir/$mdir/kernel/$d" "$root/$mdir/kernel/$(dirname "$d")/"
  done
  depmod -b "$root" "$kver"
  # No locale is generated in this image (Debian's cloud images do that): cloud-init's locale
  # module would fail to set en_US.UTF-8 and mark cloud-config.service failed.
  printf 'locale: false\n' >"$root/etc/cloud/cloud.cfg.d/91-nodeboot-vm-locale.cfg"
  # The package, installed as an image build would (no systemd running: postinst enables).
  cp "$deb" "$root/tmp/nodeboot.deb"
  chroot "$root" dpkg -i /tmp/nodeboot.deb >&2 || die "dpkg -i nodeboot failed in the image"
  rm -f "$root/tmp/nodeboot.deb"
  if [ -n "$overlay" ]; then
    cp -a "$overlay/." "$root/"
  fi
  for u in "${enable[@]}"; do
    chroot "$root" systemctl enable "$u" >&2 || die "cannot enable $u"
  done
  size_mb=$(($(du -sm "$root" | cut -f1) * 3 / 2 + 512))
  truncate -s "${size_mb}M" "$img.tmp"
  mkfs.ext4 -q -L nbroot -d "$root" "$img.tmp" || die "mkfs.ext4 -d failed"
  mv -f "$img.tmp" "$img"
  rm -rf "$root"
  trap - EXIT
  say "node image built in $(($(date +%s) - start)) s: $img"
fi
touch "$img"
# Each new .deb makes a new node image (about 0.4 GB on disk): keep the 3 newest, and nothing
# unused for 3 days.
find "$cache/images" -maxdepth 1 \( -name 'node-*.img' -o -name 'base-*.tar' \) -mtime +3 -delete 2>/dev/null || true
# shellcheck disable=SC2012 # our own file names
ls -1t "$cache/images"/node-*.img 2>/dev/null | tail -n +4 | while IFS= read -r old; do
  [ "$old" = "$img" ] || rm -f "$old"
done
printf '%s\n' "$img"
