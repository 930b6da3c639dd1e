#!/usr/bin/env bash
# Disks carrying ext4, xfs, swap, a DOS table, a GPT, a lone backup GPT, a foreign PV, ZFS
# labels at the end only and bytes no prober knows in the last MiB are skipped (or refused,
# when the selector has nothing else) and not one byte of them changes.
SCENARIO=unsafe_disks
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

# vda is blank; the others get data first.
mkfs.ext4 -q /dev/vdb
mkfs.xfs -q /dev/vdc
mkswap -q /dev/vdd 2>/dev/null || mkswap /dev/vdd >/dev/null
echo 'label: dos' | sfdisk -q /dev/vde
echo 'label: gpt' | sfdisk -q /dev/vdf
echo 'label: gpt' | sfdisk -q /dev/vdg
dd if=/dev/zero of=/dev/vdg bs=512 count=34 conv=fsync status=none   # only the backup GPT remains
lvm vgcreate --config "$LVM_NO_UDEV" datavg /dev/vdh >/dev/null 2>&1
# ZFS uberblocks (magic 0x00bab10c) in the ring of the last label only, as on a pool member
# whose start was wiped: found by the edge check, named by the second libblkid pass.
size=$(blockdev --getsize64 /dev/vdi)
for i in 0 1 2 3 4 5 6 7; do
  printf '\014\261\272\000\000\000\000\000' |
    dd of=/dev/vdi bs=1 seek=$((size / 262144 * 262144 - 262144 + 131072 + i * 1024)) conv=notrunc,fsync status=none
done
head -c 4096 /dev/urandom | dd of=/dev/vdj bs=4096 seek=$((size / 4096 - 2)) conv=notrunc,fsync status=none
sum() { for d in b c d e f g h i j; do printf '%s ' "$(md5sum < /dev/vd$d | cut -c1-32)"; done; }
before=$(sum)

write_config <<'YAML'
nodeTemplate:
  storage:
    storageSelectors: [{name: local, storageType: local}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [local]
        virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]
YAML
check_eq "run on the blank disk" 0 "$(nb_storage)"
check_eq "vgpaas is on vda only" "/dev/vda" "$(lvm pvs --config "$LVM_NO_UDEV" --noheadings -o pv_name -S vg_name=vgpaas | tr -d ' ')"
for reason in "/dev/vdb skipped: carries a ext4 signature" "/dev/vdc skipped: carries a xfs signature" \
              "/dev/vdd skipped: carries a swap signature" "/dev/vde skipped: carries a dos signature" \
              "/dev/vdf skipped: carries a gpt signature" "/dev/vdg skipped: carries a gpt signature" \
              "/dev/vdh skipped: is a physical volume of volume group datavg, not created by nodeboot" \
              "/dev/vdi skipped: carries a zfs_member signature" \
              "/dev/vdj skipped: holds data in its first or last MiB that no prober recognises"; do
  check "logged: $reason" grep -q "$reason" /var/log/nodeboot/nodeboot.log
done
check_eq "their bytes are unchanged" "$before" "$(sum)"

# Now a selector that only a data disk matches: refused with exit 21, naming disk and signature.
write_config <<'YAML'
disks: [{id: nb-unsafe-ext4-0000-0000-000000000000, volumetype: SAS}]
nodeTemplate:
  storage:
    storageSelectors:
      - {name: sas, storageType: evs, matchLabels: {volumeType: SAS}}
      - {name: local, storageType: local}
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [local]
        virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]
      - name: vgdata
        selectorNames: [sas]
        virtualSpaces: [{name: user, size: "100%", lvmConfig: {path: /data}}]
YAML
check_eq "refused" 21 "$(nb_storage)"
check "names the disk and its signature" grep -q '/dev/vdb carries a ext4 signature, not created by nodeboot' /tmp/nb.err
check_eq "refusal wrote nothing" 0 "$(write_commands)"
check_eq "still unchanged" "$before" "$(sum)"
finish
