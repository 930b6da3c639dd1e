#!/usr/bin/env bash
# A second group with a user space at a custom path, on xfs; the first selector takes one disk
# (the 2 GiB one: xfs needs 300 MB at least, for the kubernetes space too), the second the rest.
SCENARIO=user_group
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
storage: {filesystem: xfs}
nodeTemplate:
  runtime: {name: docker}
  dataVolumes: [{volumetype: SAS, size: 2}, {volumetype: SAS, size: 1}]
  storage:
    storageSelectors:
      - {name: cceUse, storageType: evs, matchLabels: {count: "1"}}
      - {name: userUse, storageType: evs}
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces: [{name: runtime, size: "80%"}, {name: kubernetes, size: "20%"}]
      - name: vguser
        selectorNames: [userUse]
        virtualSpaces: [{name: user, size: "100%", lvmConfig: {path: /data/custom_1}}]
YAML
check_eq "run exit" 0 "$(nb_storage)"
grep -E 'error|skipped' /tmp/nb.err | head || true
check_eq "vgpaas on vda" "/dev/vda" "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name -S vg_name=vgpaas | tr -d ' ')"
check_eq "vguser extents" 510 "$(vg_field vguser vg_extent_count)"
check_eq "user extents" 510 "$(lv_extents vguser/user)"
check_eq "dockersys extents" 408 "$(lv_extents vgpaas/dockersys)"  # floor(0.8*511)
check_eq "kubernetes extents" 102 "$(lv_extents vgpaas/kubernetes)"  # floor(0.2*511)
check_eq "docker runtime mount" "/dev/mapper/vgpaas-dockersys xfs" "$(mounted_fs /var/lib/docker)"
check_eq "user mount" "/dev/mapper/vguser-user xfs" "$(mounted_fs /data/custom_1)"
check "user fstab" grep -qx '/dev/mapper/vguser-user /data/custom_1 xfs defaults 0 0' /etc/fstab
finish
