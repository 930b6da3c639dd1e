#!/usr/bin/env bash
# Both spaces striped over two equal disks: one stripe per PV, exact extents.
SCENARIO=striped
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
disks:
  - {id: nb-striped-a-0000-0000-000000000000, volumetype: SSD}
  - {id: nb-striped-b-0000-0000-000000000000, volumetype: SSD}
nodeTemplate:
  storage:
    storageSelectors: [{name: fast, storageType: evs, matchLabels: {volumeType: SSD}}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [fast]
        virtualSpaces:
          - {name: runtime, size: "90%", runtimeConfig: {lvType: striped}}
          - {name: kubernetes, size: "10%", lvmConfig: {lvType: striped}}
YAML
check_eq "run exit" 0 "$(nb_storage)"
grep -E 'storage|error' /tmp/nb.err | head -20 || true
check_eq "vg extents" 510 "$(vg_field vgpaas vg_extent_count)"
check_eq "dockersys extents" 458 "$(lv_extents vgpaas/dockersys)"   # floor(0.9*510/2)*2
check_eq "dockersys stripes" 2 "$(lvs_field vgpaas/dockersys stripes)"
check_eq "kubernetes extents" 50 "$(lv_extents vgpaas/kubernetes)"  # floor(0.1*510/2)*2
check_eq "kubernetes stripes" 2 "$(lvs_field vgpaas/kubernetes stripes)"
check "dockersys on both disks" sh -c "lvm lvs --config '$LVM_NO_UDEV' --noheadings -o devices vgpaas/dockersys | grep -q '/dev/vda' && lvm lvs --config '$LVM_NO_UDEV' --noheadings -o devices vgpaas/dockersys | grep -q '/dev/vdb'"
check "dm table is striped" sh -c "dmsetup table vgpaas-dockersys | grep -q ' striped 2 '"
check_eq "runtime mount" "/dev/mapper/vgpaas-dockersys ext4" "$(mounted_fs /var/lib/containerd)"
finish
