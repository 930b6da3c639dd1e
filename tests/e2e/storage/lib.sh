# shellcheck shell=bash
# Shared by the storage e2e scenarios, which run as root inside the VM harness
# (scripts/vm/run.sh) with real lvm, mkfs and mount. The guest root is a throw-away overlay,
# so each scenario writes /etc/nodeboot/config.yaml and runs nodeboot against `/`.
set -euo pipefail

: "${NODEBOOT_BIN:?NODEBOOT_BIN must name the nodeboot binary}"
LVM_NO_UDEV='activation{udev_sync=0 udev_rules=0} devices{obtain_device_list_from_udev=0}'

say() { printf '%s: %s\n' "${SCENARIO:-e2e}" "$*"; }

# The shared check (and passes, fails, check_summary); a scenario makes dozens of checks, so only
# the failures print, named after the scenario (a failing command's output follows, indented).
# shellcheck source=tests/support/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../support/check.sh"
ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); say "FAIL: $*"; }

check_eq() {  # check_eq DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    ok
  else
    bad "$1: expected [$2], got [$3]"
  fi
}

finish() { check_summary; }

write_config() {  # write_config < YAML
  mkdir -p /etc/nodeboot
  { echo "node: {name: e2e-node, instanceId: i-e2e}"; cat; } > /etc/nodeboot/config.yaml
}

# nodeboot run for the storage phase only; prints its exit code, keeps its log per call.
# shellcheck disable=SC2120 # extra nodeboot arguments are optional
nb_storage() {
  local rc=0
  mkdir -p /var/log/nodeboot && : > /var/log/nodeboot/nodeboot.log
  "$NODEBOOT_BIN" run --only storage --repair "$@" > /tmp/nb.out 2> /tmp/nb.err || rc=$?
  [ "$rc" -eq 0 ] || grep -E ' error ' /tmp/nb.err >&2 || true
  echo "$rc"
}

lvs_field() {  # lvs_field VG/LV FIELD
  lvm lvs --config "$LVM_NO_UDEV" --noheadings --nosuffix --units b -o "$2" "$1" 2>/dev/null | tr -d ' '
}

lv_extents() {  # the sum over an LV's segments
  lvm lvs --config "$LVM_NO_UDEV" --noheadings -o seg_size_pe "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

vg_field() {
  lvm vgs --config "$LVM_NO_UDEV" --noheadings --nosuffix --units b -o "$2" "$1" 2>/dev/null | tr -d ' '
}

mounted_fs() {  # mounted_fs MOUNTPOINT -> "SOURCE FSTYPE"
  awk -v m="$1" '$5 == m { for (i = 7; $i != "-"; i++); print $(i + 2), $(i + 1) }' /proc/self/mountinfo | tail -n 1
}

# Commands started in the last run, by kind (the log marks read-only ones "read:", the others
# "exec:"; each command has a start line and an end line, only start lines are counted).
started() { grep -v ': exit [0-9-]* in [0-9]* ms$' /var/log/nodeboot/nodeboot.log | grep -c " $1: $2" || true; }
write_commands() { started exec ''; }

# The layout as one comparable string.
# shellcheck disable=SC2120 # the extra mount points are optional
layout() {
  lvm lvs --config "$LVM_NO_UDEV" --noheadings -o vg_name,lv_name,seg_size_pe,stripes,devices,lv_tags 2>/dev/null | sort | tr -s ' '
  for m in /var/lib/containerd /var/lib/docker /mnt/paas/kubernetes/kubelet "$@"; do
    [ -n "$(mounted_fs "$m")" ] && echo "$m $(mounted_fs "$m")"
  done
  grep -A1 '^# nodeboot' /etc/fstab || true
}

# Takes nodeboot's layout down and leaves DISK... blank as fresh volumes are: unmounted, the LVs'
# filesystems wiped (the next LVs land on the same extents, and lvcreate rightly refuses, without
# -y, to wipe a signature it finds there), the VGs removed, the first 4 MiB and last 2 MiB zeroed
# (wipefs alone leaves LVM's metadata text, which nodeboot rightly refuses as data it cannot
# name), fstab restored from /tmp/fstab.orig, nodeboot's state gone.
take_down() {  # take_down DISK...
  local mount_point lv disk
  while mount_point=$(awk '$5 ~ "^(/run/nodeboot/staging/|/var/lib/containerd|/var/lib/docker|/mnt/paas/|/data/)" { print $5 }' \
      /proc/self/mountinfo | tail -n 1) && [ -n "$mount_point" ]; do
    umount "$mount_point"
  done
  for lv in /dev/mapper/*-*; do
    [ -e "$lv" ] && wipefs -q -a "$lv" 2>/dev/null
  done
  lvm vgremove --config "$LVM_NO_UDEV" -f vgpaas vguser >/dev/null 2>&1 || true
  for disk in "$@"; do
    dd if=/dev/zero of="$disk" bs=1M count=4 conv=fsync status=none
    dd if=/dev/zero of="$disk" bs=1M count=2 seek=$(( $(blockdev --getsize64 "$disk") / 1048576 - 2 )) conv=fsync status=none
  done
  if [ -f /tmp/fstab.orig ]; then cp /tmp/fstab.orig /etc/fstab; else sed -i '/^# nodeboot: /,+1d' /etc/fstab; fi
  rm -rf /var/lib/nodeboot
}
