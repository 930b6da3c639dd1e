#!/usr/bin/env bash
# Smoke scenario, run INSIDE the VM: real LVM on two disks, a striped LV, ext4, a file round trip.
#   scripts/vm/run.sh --disk 1G:nb-smoke-a --disk 1G:nb-smoke-b -- tests/e2e/smoke.sh
# Exits 0 only if every step checked out.
set -euo pipefail

# The VM has no udev: lvm must create the device nodes itself. Passed on each call on purpose (no
# global lvm.conf change), as the product's own lvm code has to.
LVM_CONFIG='activation{udev_sync=0 udev_rules=0} devices{obtain_device_list_from_udev=0}'
vg=nbsmoke
lv=data
mnt=/mnt/nbsmoke

lvmc() { lvm "$1" --config "$LVM_CONFIG" "${@:2}"; }
step() { printf '== %s\n' "$*"; }
fail() {
  printf 'smoke: FAIL: %s\n' "$*" >&2
  exit 1
}

step "disks"
for d in vda:nb-smoke-a vdb:nb-smoke-b; do
  dev=${d%%:*} want=${d#*:}
  [ -b "/dev/$dev" ] || fail "/dev/$dev missing"
  got=$(cat "/sys/block/$dev/serial")
  [ "$got" = "$want" ] || fail "/dev/$dev serial '$got', expected '$want'"
done

step "lvm version"
lvm version

step "pvcreate, vgcreate"
lvmc pvcreate -q /dev/vda /dev/vdb
lvmc vgcreate -q "$vg" /dev/vda /dev/vdb
pv_count=$(lvmc vgs --noheadings -o pv_count "$vg" | tr -d ' ')
[ "$pv_count" = 2 ] || fail "vg has $pv_count PVs, expected 2"

step "striped LV over both PVs"
lvmc lvcreate -q -y -n "$lv" -i 2 -I 64k -L 1G "$vg"
stripes=$(lvmc lvs --noheadings -o stripes "$vg/$lv" | tr -d ' ')
[ "$stripes" = 2 ] || fail "lvs -o stripes says '$stripes', expected 2"
devices=$(lvmc lvs --noheadings -o devices "$vg/$lv")
case $devices in
  *"/dev/vda"*"/dev/vdb"* | *"/dev/vdb"*"/dev/vda"*) ;;
  *) fail "LV devices '$devices' do not span vda and vdb" ;;
esac
[ -b "/dev/$vg/$lv" ] || fail "/dev/$vg/$lv missing (lvm did not create the node)"
dmsetup table "$vg-$lv" | grep -q ' striped 2 ' || fail "dm table is not a 2-way stripe"

step "mkfs.ext4, mount"
mkfs.ext4 -q -F "/dev/$vg/$lv"
mkdir -p "$mnt"
mount "/dev/$vg/$lv" "$mnt"

step "write, read back"
head -c 8M /dev/urandom >"$mnt/blob"
want=$(sha256sum <"$mnt/blob")
sync
umount "$mnt"
mount "/dev/$vg/$lv" "$mnt" # a fresh mount reads from the LV, not the page cache
got=$(sha256sum <"$mnt/blob")
[ "$got" = "$want" ] || fail "checksum mismatch after remount"
umount "$mnt"

step "deactivate"
lvmc vgchange -q -an "$vg"
[ ! -e "/dev/mapper/$vg-$lv" ] || fail "/dev/mapper/$vg-$lv still there after vgchange -an"

echo "smoke: OK"
