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
finish
