#!/usr/bin/env bash
# Builds (or finds in the cache) the VM's initramfs and prints its path.
#   scripts/vm/mkinitramfs.sh KERNEL_DIR KERNEL_VERSION CACHE_DIR [INIT]
# Contents: static busybox, INIT (default: init, the run.sh harness; boot-image.sh passes
# init-image) as /init, modprobe-helper as /sbin/modprobe, and the modules below with
# their dependencies (resolved by the host's modprobe against KERNEL_DIR's modules.dep), in
# load order in /modules/order (loaded at boot) and /modules/order.scsi, /modules/order.nvme
# (loaded by init only for a job with such disks). Cached as CACHE_DIR/initramfs/VERSION-KEY.cpio,
# the key hashing the kernel, the module lists, busybox and these files; images unused for 7 days
# are dropped.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/common.sh
. "$here/common.sh"
kdir=$1 kver=$2 cache=$3 init_file=${4:-$here/init}

# Loaded at boot (dm-striped is part of dm-mod in 6.1; a name that is built in is skipped).
# Everything else (xfs, dm-thin-pool, dm-snapshot, ...) the kernel loads on demand through
# modprobe-helper, as on a real node: xfs alone would add 0.7 s to every boot.
MODULES=(virtio_pci virtio_blk virtio_console 9pnet_virtio 9p overlay
  dm-mod ext4 crc32c_generic)
# The drivers of run.sh's --scsi and --nvme disks. Nothing here would load them on demand (udev
# does that on a real node, when the device appears), so init loads each group, from
# /modules/order.scsi and /modules/order.nvme, before the job when the job has such disks: both
# on every boot would add 0.7 s.
SCSI_MODULES=(virtio_scsi sd_mod)
NVME_MODULES=(nvme_core nvme)

die() { nb_die mkinitramfs.sh 1 "$@"; }

busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
key=$({
  printf '%s\n' "$kver" "$kdir" "${MODULES[@]}" "${SCSI_MODULES[@]}" "${NVME_MODULES[@]}"
  cat "$init_file" "$here/modprobe-helper" "${BASH_SOURCE[0]}" "$busybox"
} | sha256sum | cut -c1-16)
initrd="$cache/initramfs/$kver-$key.cpio"
if [ -f "$initrd" ]; then
  touch "$initrd" 2>/dev/null || true
  printf '%s\n' "$initrd"
  exit 0
fi

mkdir -p "$cache/initramfs"
root=$(mktemp -d "$cache/initramfs/.build.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,modules,lower,upper,newroot,job}
cp "$busybox" "$root/bin/busybox"
"$busybox" --list | while read -r a; do
  [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
rm -f "$root/bin/modprobe"
cp "$here/modprobe-helper" "$root/sbin/modprobe"
cp "$init_file" "$root/init"
chmod 755 "$root/init" "$root/sbin/modprobe"

# Copies MODULE... and their dependencies into the image and appends them, in load order, to
# ORDER_FILE, skipping any already listed in the base order (each optional group is complete
# without the other).
declare -A base=()
add_modules() { # ORDER_FILE MODULE...
  local order=$1 m deps kind path rel
  local -A seen=()
  shift
  : >"$order"
  for m in "$@"; do
    deps=$(modprobe -d "$kdir" -S "$kver" --show-depends "$m") || die "module $m not found"
    while read -r kind path _; do
      [ "$kind" = insmod ] || continue
      rel=${path#"$kdir/lib/modules/$kver/"}
      if [ -n "${seen[$rel]:-}" ] || [ -n "${base[$rel]:-}" ]; then continue; fi
      seen[$rel]=1
      mkdir -p "$root/modules/${rel%/*}"
      cp "$path" "$root/modules/$rel"
      printf '%s\n' "$rel" >>"$order"
    done <<<"$deps"
  done
}
add_modules "$root/modules/order" "${MODULES[@]}"
while read -r rel; do base[$rel]=1; done <"$root/modules/order"
add_modules "$root/modules/order.scsi" "${SCSI_MODULES[@]}"
add_modules "$root/modules/order.nvme" "${NVME_MODULES[@]}"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) \
  >"$root.cpio"
mv -f "$root.cpio" "$initrd" # atomic: concurrent runs may build the same image
find "$cache/initramfs" -maxdepth 1 -name '*.cpio' -mtime +7 -delete 2>/dev/null || true
printf '%s\n' "$initrd"
