#!/bin/bash
# Collects the node's state after a boot (see nodeboot-e2e-collect.service) into a tar on the
# virtio port nodeboot.results, then powers the VM off. Every command's output is a file; a
# command that fails leaves its error there (the host-side test decides what matters).
set -u
out=/run/nodeboot-e2e/results
rm -rf "$out"
mkdir -p "$out"
cd "$out" || exit 1
run() { # FILE COMMAND...
  local f=$1
  shift
  "$@" >"$f" 2>&1
  echo "$?" >"$f.rc"
}
lvm_cfg='devices{obtain_device_list_from_udev=0}'

cat /proc/sys/kernel/random/boot_id >boot_id
run uptime.txt cat /proc/uptime
run nodeboot-service.txt systemctl show nodeboot.service \
  -p ActiveState -p SubState -p Result -p ExecMainStatus -p ExecMainStartTimestampMonotonic \
  -p ExecMainExitTimestampMonotonic
run nodeboot-is-active.txt systemctl is-active nodeboot.service
run report-timer.txt systemctl is-enabled nodeboot-report.timer
run outbox.txt ls -A /var/lib/nodeboot/outbox
# What the timer's service does now (with the outbox empty: skipped by its condition).
run report-service.txt sh -c 'systemctl start nodeboot-report.service;
  systemctl show nodeboot-report.service -p ConditionResult -p Result -p ExecMainStatus'
run failed-units.txt systemctl --failed --no-legend --plain
run status.txt nodeboot status
run status.json nodeboot status --output json
run findmnt.txt findmnt -rn -o TARGET,SOURCE,FSTYPE
run lvs.json lvm lvs --config "$lvm_cfg" --reportformat json -o lv_name,vg_name,seg_size_pe,stripes,devices
run fstab.txt cat /etc/fstab
run cloud-init-status.txt cloud-init status --long
run journal.txt journalctl -b --no-pager -o short-monotonic
run boots.txt journalctl --list-boots --no-pager
run units-timing.txt systemctl show -p Id -p ExecMainStartTimestampMonotonic \
  -p ExecMainExitTimestampMonotonic cloud-init-local.service cloud-init.service \
  cloud-config.service cloud-final.service nodeboot.service
for f in /var/lib/nodeboot-e2e/received.json /var/lib/nodeboot/state.json \
  /var/log/nodeboot/nodeboot.log /var/log/cloud-init.log /var/log/cloud-init-output.log; do
  [ ! -f "$f" ] || cp "$f" .
done
mkdir -p markers
cp -a /var/lib/node-markers/. markers/ 2>/dev/null || true
stat -c '%a %U' /etc/nodeboot/config.yaml >config-mode.txt 2>&1

port=/dev/virtio-ports/nodeboot.results
if [ ! -e "$port" ]; then # without udev's symlink: find the port by its name in sysfs
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = nodeboot.results ] && port=/dev/${p##*/}
  done
fi
tar -C "$out" -cf "$port" .
sync
systemctl poweroff --no-block
