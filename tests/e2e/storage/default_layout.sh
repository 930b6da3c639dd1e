#!/usr/bin/env bash
# The default CCE layout (vgpaas: runtime 90% + kubernetes 10%) on one disk: plan, dry run,
# run, the exact result, existing files carried over, and a re-run that changes nothing.
SCENARIO=default_layout
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 1}]
  storage:
    storageSelectors: [{name: cceUse, storageType: evs, matchLabels: {volumeType: SAS, count: "1"}}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]
YAML

"$NODEBOOT_BIN" plan --output json > /tmp/plan.json
check "plan JSON" python3 - <<'PY'
import json
p = json.load(open("/tmp/plan.json"))
d = p["disks"][0]
assert d["device"] == "/dev/vda" and d["serial"] == "nb-default-a" and d["sizeBytes"] == 1 << 30, d
assert d["kind"] == "evs" and d["usable"] and d["selector"] == "cceUse", d
g = p["groups"][0]
assert g["name"] == "vgpaas" and g["devices"] == ["/dev/vda"] and g["extents"] == 255, g
assert [(v["space"], v["lv"], v["extents"], v["stripes"], v["mountPoint"], v["filesystem"]) for v in g["volumes"]] == [
    ("runtime", "dockersys", 229, 1, "/var/lib/containerd", "ext4"),
    ("kubernetes", "kubernetes", 25, 1, "/mnt/paas/kubernetes/kubelet", "ext4")], g
assert p["actions"][0]["command"][:6] == ["vgcreate", "--addtag", "nodeboot", "--physicalextentsize", "4m", "vgpaas"], p["actions"][0]
PY

rc=$("$NODEBOOT_BIN" run --only storage --dry-run > /tmp/dry.out 2>&1; echo $?)
check_eq "dry run exit" 0 "$rc"
check "dry run prints the vgcreate" grep -q 'would run: lvm vgcreate --addtag nodeboot' /tmp/dry.out
check "dry run prints the fstab write" grep -q 'would write /etc/fstab' /tmp/dry.out
check "dry run created no VG" test -z "$(vg_field vgpaas vg_name)"

# A file already in the runtime's directory must survive the mount.
mkdir -p /var/lib/containerd/io.containerd.content.v1
echo "kept" > /var/lib/containerd/io.containerd.content.v1/marker

check_eq "run exit" 0 "$(nb_storage)"
[ "$fails" -eq 0 ] || { cat /tmp/nb.err; }
check_eq "vg tag" nodeboot "$(vg_field vgpaas vg_tags)"
check_eq "vg extents" 255 "$(vg_field vgpaas vg_extent_count)"
check_eq "dockersys extents" 229 "$(lv_extents vgpaas/dockersys)"
check_eq "kubernetes extents" 25 "$(lv_extents vgpaas/kubernetes)"
check_eq "dockersys tag" nodeboot "$(lvs_field vgpaas/dockersys lv_tags)"
check_eq "runtime mount" "/dev/mapper/vgpaas-dockersys ext4" "$(mounted_fs /var/lib/containerd)"
check_eq "kubelet mount" "/dev/mapper/vgpaas-kubernetes ext4" "$(mounted_fs /mnt/paas/kubernetes/kubelet)"
check_eq "existing file carried over" kept "$(cat /var/lib/containerd/io.containerd.content.v1/marker 2>&1)"
check_eq "fstab lines" 2 "$(grep -c '^# nodeboot: ' /etc/fstab)"
check "fstab entry" grep -qx '/dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2' /etc/fstab

before=$(layout)
check_eq "re-run exit" 0 "$(nb_storage)"
check_eq "re-run wrote nothing" 0 "$(write_commands)"
check_eq "re-run: lvm read once (the same observation is verified)" 1 "$(started read 'lvm fullreport')"
check_eq "re-run layout" "$before" "$(layout)"
check_eq "fstab still 2 lines" 2 "$(grep -c '^# nodeboot: ' /etc/fstab)"
"$NODEBOOT_BIN" plan --output json > /tmp/plan2.json
check "plan after: nothing to do" python3 -c 'import json; assert json.load(open("/tmp/plan2.json"))["actions"] == []'
finish
