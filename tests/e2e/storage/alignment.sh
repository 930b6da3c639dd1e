#!/usr/bin/env bash
# Disks and lvm.conf that move lvm's first PE (issue 14 point 2): a disk reporting a 16 MiB
# optimal I/O size, then lvm.conf's data_alignment. The LVs must be sized from the VG lvm really
# made (SPEC §4's formula on its real extent count), the run must succeed, and a re-run must
# change nothing.
SCENARIO=alignment
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 1}]
  storage:
    storageSelectors: [{name: cceUse, storageType: evs}]
    storageGroups:
      - {name: vgpaas, cceManaged: true, selectorNames: [cceUse],
         virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]}
YAML

exact() {  # exact WHAT: the LVs follow floor(pct x vg_extents / 100) of the real VG
  local extents
  extents=$(vg_field vgpaas vg_extent_count)
  check_eq "$1: dockersys is 90% of the real VG ($extents)" $(( 90 * extents / 100 )) "$(lv_extents vgpaas/dockersys)"
  check_eq "$1: kubernetes is 10% of the real VG" $(( 10 * extents / 100 )) "$(lv_extents vgpaas/kubernetes)"
}

say "optimal_io_size of /dev/vda: $(cat /sys/block/vda/queue/optimal_io_size)"
"$NODEBOOT_BIN" plan --output json > /tmp/plan.json
check "plan predicts the aligned PV (252 extents)" grep -q '"extents":252' /tmp/plan.json
check_eq "optimal_io_size disk: run" 0 "$(nb_storage)"
check_eq "pe_start is the disk's 16 MiB" 16777216 "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings --nosuffix --units b -o pe_start /dev/vda | tr -d ' ')"
exact "optimal_io_size disk"
check_eq "optimal_io_size disk: re-run" 0 "$(nb_storage)"
check_eq "optimal_io_size disk: re-run changes nothing" 0 "$(write_commands)"

# The same disk again, blank, with lvm.conf asking for an 8 MiB data alignment.
take_down /dev/vda
mkdir -p /etc/lvm
printf 'devices {\n  data_alignment_detection = 0\n  data_alignment = 8192\n}\n' > /etc/lvm/lvm.conf
check_eq "data_alignment: run" 0 "$(nb_storage)"
check_eq "pe_start is lvm.conf's 8 MiB" 8388608 "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings --nosuffix --units b -o pe_start /dev/vda | tr -d ' ')"
exact "data_alignment"
check_eq "data_alignment: re-run" 0 "$(nb_storage)"
check_eq "data_alignment: re-run changes nothing" 0 "$(write_commands)"
finish
