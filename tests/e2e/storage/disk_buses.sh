#!/usr/bin/env bash
# Disk identity on every bus: a virtio-scsi disk (/dev/sda, the whole volume id as its VPD page
# 0x80 serial), an NVMe disk (/dev/nvme0n1, the id's first 20 characters without dashes as its
# serial number) and a virtio-blk disk (/dev/vda, the first 20 with dashes), all named by volume
# id under `disks:`. The selectors match only by volumeType, which only the inventory knows: the
# run succeeds only if the SCSI disk is found as the SSD volume and the NVMe disk as the SAS one.
SCENARIO=disk_buses
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

SCSI_ID=3f6d1c2a-9b8e-4d7f-a1c2-b3d4e5f60718   # attached as --scsi 1G:$SCSI_ID
NVME_ID=7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f   # --nvme 1G:7c1e2d3f4a5b4c6d8e9f
VIRTIO_ID=9e8d7c6b-5a49-4837-a261-504f3e2d1c0b # --disk 1G:9e8d7c6b-5a49-4837-a

# The guest has what CMake's registration promised, else the checks below test nothing.
check_eq "scsi disk attached" "$SCSI_ID" "$(tail -c +5 /sys/block/sda/device/vpd_pg80 2>&1)"
check_eq "nvme disk attached" "7c1e2d3f4a5b4c6d8e9f" "$(tr -d ' ' </sys/block/nvme0n1/device/serial 2>&1)"
check_eq "virtio disk attached" "9e8d7c6b-5a49-4837-a" "$(cat /sys/block/vda/serial 2>&1)"

write_config <<YAML
disks:
  - {id: $SCSI_ID, volumetype: SSD}
  - {id: $NVME_ID, volumetype: SAS}
  - {id: $VIRTIO_ID, volumetype: GPSSD}
nodeTemplate:
  storage:
    storageSelectors:
      - {name: cceUse, storageType: evs, matchLabels: {volumeType: SSD}}
      - {name: userUse, storageType: evs, matchLabels: {volumeType: SAS}}
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]
      - name: vguser
        selectorNames: [userUse]
        virtualSpaces: [{name: user, size: "100%", lvmConfig: {path: /data/nvme}}]
YAML

"$NODEBOOT_BIN" plan --output json > /tmp/plan.json 2> /tmp/plan.err || cat /tmp/plan.err >&2
check "plan: each bus identified" python3 - "$SCSI_ID" <<'PY'
import json, sys
p = json.load(open("/tmp/plan.json"))
disks = {d["device"]: d for d in p["disks"]}
expect = {"/dev/sda": (sys.argv[1], "cceUse"), "/dev/nvme0n1": ("7c1e2d3f4a5b4c6d8e9f", "userUse"),
          "/dev/vda": ("9e8d7c6b-5a49-4837-a", "")}
for device, (serial, selector) in expect.items():
    d = disks.get(device)
    assert d is not None, (device, sorted(disks))
    assert d["serial"] == serial and d["kind"] == "evs" and d["usable"], d
    assert d.get("selector", "") == selector, d
groups = {g["name"]: g["devices"] for g in p["groups"]}
assert groups == {"vgpaas": ["/dev/sda"], "vguser": ["/dev/nvme0n1"]}, groups
PY
[ "$fails" -eq 0 ] || cat /tmp/plan.json

check_eq "run exit" 0 "$(nb_storage)"
pvs_of() { lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name -S "vg_name=$1" 2>/dev/null | tr -d ' '; }
not_a_pv() { ! lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name 2>/dev/null | tr -d ' ' | grep -qx "$1"; }
check_eq "vgpaas on the SCSI disk" /dev/sda "$(pvs_of vgpaas)"
check_eq "vguser on the NVMe disk" /dev/nvme0n1 "$(pvs_of vguser)"
check "virtio disk left alone" not_a_pv /dev/vda
check_eq "runtime mount" "/dev/mapper/vgpaas-dockersys ext4" "$(mounted_fs /var/lib/containerd)"
check_eq "kubelet mount" "/dev/mapper/vgpaas-kubernetes ext4" "$(mounted_fs /mnt/paas/kubernetes/kubelet)"
check_eq "user mount" "/dev/mapper/vguser-user ext4" "$(mounted_fs /data/nvme)"
[ "$fails" -eq 0 ] || cat /tmp/nb.err
finish
