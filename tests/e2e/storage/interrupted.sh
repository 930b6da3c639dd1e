#!/usr/bin/env bash
# A run killed (SIGKILL, by a wrapper on PATH) after vgcreate, after lvcreate and after mkfs is
# completed by the next run, with exactly the layout an uninterrupted run makes.
SCENARIO=interrupted
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 1}]
  storage:
    storageSelectors: [{name: cceUse, storageType: evs}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces:
          - {name: runtime, size: "90%", runtimeConfig: {lvType: striped}}
          - {name: kubernetes, size: "10%"}
YAML
cp /etc/fstab /tmp/fstab.orig 2>/dev/null || : > /tmp/fstab.orig

reset_node() { take_down /dev/vda /dev/vdb; }

check_eq "uninterrupted run" 0 "$(nb_storage)"
reference=$(layout)
check "reference has both LVs" sh -c "echo '$reference' | grep -q dockersys && echo '$reference' | grep -q kubernetes"

real_lvm=$(command -v lvm)
wrappers=/tmp/killers
kill_at() {  # kill_at NAME MATCH: a wrapper NAME that SIGKILLs nodeboot when its args match
  mkdir -p "$wrappers"
  cat > "$wrappers/$1" <<SH
#!/bin/sh
case "\$*" in
  *$2*) kill -KILL \$PPID; sleep 5; exit 1 ;;
esac
exec $3 "\$@"
SH
  chmod +x "$wrappers/$1"
}

for point in after-vgcreate after-lvcreate after-mkfs; do
  reset_node
  rm -rf "$wrappers"
  case $point in
    after-vgcreate) kill_at lvm lvcreate "$real_lvm" ;;
    after-lvcreate) kill_at mkfs.ext4 '' "$(command -v mkfs.ext4)" ;;
    after-mkfs) kill_at mount 'vgpaas' "$(command -v mount)" ;;
  esac
  rc=$(PATH="$wrappers:$PATH" nb_storage)
  check_eq "$point: killed" 137 "$rc"
  check "$point: something was left half done" test -n "$(vg_field vgpaas vg_name)"
  check_eq "$point: next run completes" 0 "$(nb_storage)"
  check_eq "$point: same layout" "$reference" "$(layout)"
done

# What a kill inside lvcreate can leave of the new LV's activation (libdm makes the /dev/mapper
# node last; kill_inside met it): live without its node, or suspended. Made here on the kubelet
# LV of a finished node, unmounted: the next run must bring it back, not fail on a missing
# device or block on a suspended one.
rm -rf "$wrappers"
umount /mnt/paas/kubernetes/kubelet
rm -f /dev/mapper/vgpaas-kubernetes /dev/vgpaas/kubernetes
check_eq "no node: lvm still says active" "active" "$(lvs_field vgpaas/kubernetes lv_active)"
check_eq "no node: next run completes" 0 "$(nb_storage)"
check "no node: the node is back" test -b /dev/mapper/vgpaas-kubernetes
check_eq "no node: mounted again" "/dev/mapper/vgpaas-kubernetes ext4" "$(mounted_fs /mnt/paas/kubernetes/kubelet)"
check_eq "no node: same layout" "$reference" "$(layout)"

umount /mnt/paas/kubernetes/kubelet
dmsetup suspend --noudevsync vgpaas-kubernetes
check_eq "suspended: lvm says so" "suspended" "$(lvs_field vgpaas/kubernetes lv_suspended)"
check_eq "suspended: next run completes (within the job's time: a read would block)" 0 "$(nb_storage)"
check_eq "suspended: resumed" "ACTIVE" "$(dmsetup info vgpaas-kubernetes | awk '/^State:/ { print $2 }')"
check_eq "suspended: mounted again" "/dev/mapper/vgpaas-kubernetes ext4" "$(mounted_fs /mnt/paas/kubernetes/kubelet)"
check_eq "suspended: same layout" "$reference" "$(layout)"
finish
