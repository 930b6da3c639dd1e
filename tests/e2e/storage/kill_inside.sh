#!/usr/bin/env bash
# Kills inside every changing command (issue 14 point 3): a wrapper on PATH starts the real
# command, SIGKILLs it and nodeboot after a random delay (inside it, or just after it ended),
# and the next run must complete exactly the layout an uninterrupted run makes - two groups,
# xfs, and a mount target whose files are copied (so the kill can land in the copy, leaving
# the staging mount behind). The seed is printed; NODEBOOT_E2E_SEED replays a failure.
SCENARIO=kill_inside
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
storage: {filesystem: xfs}
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 2}, {volumetype: SAS, size: 1}]
  storage:
    storageSelectors:
      - {name: cceUse, storageType: evs, matchLabels: {size: "2"}}
      - {name: userUse, storageType: evs, matchLabels: {size: "1"}}
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces: [{name: runtime, size: "80%"}, {name: kubernetes, size: "20%"}]
      - name: vguser
        selectorNames: [userUse]
        virtualSpaces: [{name: user, size: "100%", lvmConfig: {path: /data/user}}]
YAML
cp /etc/fstab /tmp/fstab.orig 2>/dev/null || : > /tmp/fstab.orig
seed=${NODEBOOT_E2E_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$seed
say "seed $seed"

populate() {  # files the runtime space must carry over
  mkdir -p /var/lib/containerd/io.containerd.content.v1
  for i in $(seq 1 200); do echo "blob $i" > "/var/lib/containerd/io.containerd.content.v1/blob$i"; done
}

reset_node() {
  take_down /dev/vda /dev/vdb
  rm -rf /var/lib/containerd /data/user
  populate
}

populate
check_eq "uninterrupted run" 0 "$(nb_storage)"
# shellcheck disable=SC2012 # counts the content store's entries; its names are plain
reference=$(layout /data/user; ls /var/lib/containerd/io.containerd.content.v1 | wc -l)
check "reference has the three LVs" sh -c "echo '$reference' | grep -q dockersys && echo '$reference' | grep -q vguser"

wrappers=/tmp/killers
kill_inside() {  # kill_inside NAME MATCH DELAY: NAME's run whose args match MATCH dies after DELAY s
  local real
  real=$(command -v "$1")
  rm -rf "$wrappers" && mkdir -p "$wrappers"
  cat > "$wrappers/$1" <<SH
#!/bin/sh
case "\$*" in
  *"$2"*) ;;
  *) exec $real "\$@" ;;
esac
$real "\$@" &
child=\$!
sleep $3
kill -KILL \$child 2>/dev/null
kill -KILL \$PPID
wait
exit 137
SH
  chmod +x "$wrappers/$1"
}

# Where, and how long after the command starts: the delays land at its start, in its middle,
# and after its end, on this slow emulated machine.
delay() { printf '0.%03d' $(( RANDOM % ${1} )); }
cases=(
  "lvm|vgcreate --addtag nodeboot --physicalextentsize 4m vgpaas|$(delay 150)"
  "lvm|vgcreate --addtag nodeboot --physicalextentsize 4m vguser|$(delay 150)"
  "lvm|vgcreate --addtag nodeboot --physicalextentsize 4m vguser|$(delay 600)"
  "lvm|lvcreate|$(delay 200)"
  "lvm|--name user|$(delay 400)"
  "mkfs.xfs|vgpaas-dockersys|$(delay 100)"
  "mkfs.xfs|vguser-user|$(delay 300)"
  "mkfs.xfs|vgpaas-kubernetes|$(delay 900)"
  "cp|containerd|0.$(( RANDOM % 3 ))$(( RANDOM % 10 ))"
  "mount|/data/user|0.0"
)
for entry in "${cases[@]}"; do
  IFS='|' read -r name match pause <<< "$entry"
  reset_node
  kill_inside "$name" "$match" "$pause"
  rc=$(PATH="$wrappers:$PATH" nb_storage)
  what="killed in $name '$match' after ${pause}s"
  check_eq "$what: exit" 137 "$rc"
  rc=$(nb_storage)
  check_eq "$what: next run completes" 0 "$rc"
  [ "$rc" = 0 ] || tail -n 5 /tmp/nb.err
  # shellcheck disable=SC2012 # as for $reference above
  check_eq "$what: same layout" "$reference" "$(layout /data/user; ls /var/lib/containerd/io.containerd.content.v1 | wc -l)"
  check "$what: no staging mount left" sh -c "! grep -q ' /run/nodeboot/staging/' /proc/self/mountinfo"
  check "$what: no intent left" test ! -e /var/lib/nodeboot/storage-intent.json
done
finish
