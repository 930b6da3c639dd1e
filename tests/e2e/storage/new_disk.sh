#!/usr/bin/env bash
# A blank disk that appears after the layout was made, matched by a count-less selector (issue 14
# point 6), must not block repairing what exists: the lost kubelet mount is repaired (exit 0),
# the new disk is left unused with a log line saying why, and `plan` shows it.
SCENARIO=new_disk
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
# At first boot /dev/vda holds somebody's data, so only /dev/vdb is taken.
printf 'somebody else s data' | dd of=/dev/vda bs=1 seek=4096 conv=notrunc,fsync status=none
check_eq "first run" 0 "$(nb_storage)"
check_eq "vgpaas on vdb only" "/dev/vdb" "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name -S vg_name=vgpaas | tr -d ' ')"

# Later: /dev/vda is blank (as a new volume is) and the kubelet mount is lost.
dd if=/dev/zero of=/dev/vda bs=1M count=1 conv=fsync status=none
umount /mnt/paas/kubernetes/kubelet
check_eq "plan exit" 0 "$("$NODEBOOT_BIN" plan > /tmp/plan.txt 2>&1; echo $?)"
check "plan shows the new disk left unused" grep -q '/dev/vda.*left unused' /tmp/plan.txt
check "plan mounts the kubelet volume again" grep -q 'would mount vgpaas/kubernetes' /tmp/plan.txt
check_eq "repair" 0 "$(nb_storage)"
check_eq "kubelet volume mounted again" "/dev/mapper/vgpaas-kubernetes ext4" "$(mounted_fs /mnt/paas/kubernetes/kubelet)"
check "the log says the new disk is left unused" grep -q 'storage: /dev/vda matches selector cceUse but is left unused' /tmp/nb.err
check_eq "vgpaas still on vdb only" "/dev/vdb" "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name -S vg_name=vgpaas | tr -d ' ')"
check_eq "the new disk is untouched" "$(head -c 1048576 /dev/zero | md5sum)" "$(head -c 1048576 /dev/vda | md5sum)"
finish
