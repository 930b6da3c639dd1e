#!/usr/bin/env bash
# Mount targets and fstab lines that must stop the run before its first write (issue 14 points
# 4 and 5): symlinks anywhere in the path, a file where a directory belongs, a filesystem
# mounted below the target, a foreign fstab line for the target. Each: exit 21 naming why, no
# VG, /etc/fstab unchanged, nothing created through the link. Then on a finished node: an
# operator's line after a stale nodeboot marker survives, `findmnt --verify` stays clean, and a
# repair does not mount anything twice.
SCENARIO=hostile_targets
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

config() {  # config USER_PATH
  write_config <<YAML
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 2}]
  storage:
    storageSelectors: [{name: cceUse, storageType: evs}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces:
          - {name: runtime, size: "60%"}
          - {name: kubernetes, size: "20%"}
          - {name: user, size: "20%", lvmConfig: {path: $1}}
YAML
}

refused() {  # refused WHAT EXPECTED_MESSAGE: the run exits 21 with the message, writes nothing
  local what=$1 message=$2 before rc
  before=$(md5sum < /etc/fstab)
  rc=$(nb_storage)
  check_eq "$what: exit" 21 "$rc"
  check "$what: says why ($message)" grep -qF -- "$message" /tmp/nb.err
  check_eq "$what: no volume group" "" "$(vg_field vgpaas vg_name)"
  check_eq "$what: fstab unchanged" "$before" "$(md5sum < /etc/fstab)"
  check_eq "$what: no write command" 0 "$(write_commands)"
}

touch /etc/fstab
mkdir -p /srv/real

config /data/x
ln -s /etc /data
refused "parent is a symlink" "mount target /data/x: /data is a symbolic link (to /etc)"
check "nothing created through the link" test ! -e /etc/x
rm /data

config /opt/app
ln -s /etc /opt/app
refused "target is a symlink" "mount target /opt/app: /opt/app is a symbolic link (to /etc)"
rm /opt/app

config /data/x
mkdir -p /var/lib
ln -s /srv/real /var/lib/containerd
refused "runtime target is a symlink" "mount target /var/lib/containerd: /var/lib/containerd is a symbolic link (to /srv/real)"
rm /var/lib/containerd

config /srv/file/x
echo data > /srv/file
refused "parent is a file" "mount target /srv/file/x: /srv/file is not a directory"
rm /srv/file

config /mnt/deep
mkdir -p /mnt/deep/sub && mount -t tmpfs tmpfs /mnt/deep/sub
refused "a mount below" "mount target /mnt/deep has /mnt/deep/sub mounted below it"
umount /mnt/deep/sub

config /data/x
cp /etc/fstab /tmp/fstab.orig
echo 'LABEL=old /var/lib/containerd ext4 defaults 0 2' >> /etc/fstab
refused "foreign fstab line" '("LABEL=old /var/lib/containerd ext4 defaults 0 2") mounts /var/lib/containerd, and nodeboot did not write it'
cp /tmp/fstab.orig /etc/fstab

# A finished node, then an operator's line after a stale marker of nodeboot's.
check_eq "clean run" 0 "$(nb_storage)"
printf '# nodeboot: vgpaas/olddata\ntmpfs /srv/scratch tmpfs defaults 0 0\n' >> /etc/fstab
check_eq "repair" 0 "$(nb_storage)"
check "the operator's line is kept" grep -qx 'tmpfs /srv/scratch tmpfs defaults 0 0' /etc/fstab
check "the stale marker is gone" sh -c "! grep -q 'nodeboot: vgpaas/olddata' /etc/fstab"
check_eq "one fstab entry per target" 1 "$(grep -c ' /var/lib/containerd ' /etc/fstab)"
mkdir -p /srv/scratch
check "findmnt --verify is clean" findmnt --verify --tab-file /etc/fstab
check_eq "repair again" 0 "$(nb_storage)"
for target in /var/lib/containerd /mnt/paas/kubernetes/kubelet /data/x; do
  check_eq "$target mounted once" 1 "$(awk -v m="$target" '$5 == m' /proc/self/mountinfo | wc -l)"
done
finish
