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

# nodeboot.service is Type=notify: "active (running)" from its READY=1 (storage done, before the
# join, so that containerd and the kubelet can start) until its process exits, then "active
# (exited)". Units ordered after it (this one) start at READY: wait for the exit, bounded.
for _ in $(seq 1 720); do
  case $(systemctl show -p SubState --value nodeboot.service) in
    start-pre | start | start-post | running | reload) sleep 1 ;;
    *) break ;;
  esac
done
# A node that joined: give a kubelet that (re)started late (a reboot) time to come up.
if [ -f /etc/kubernetes/kubelet.conf ] && systemctl -q is-enabled kubelet.service 2>/dev/null; then
  for _ in $(seq 1 120); do
    python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:10248/healthz", timeout=2)' \
      2>/dev/null && break
    sleep 1
  done
fi

cat /proc/sys/kernel/random/boot_id >boot_id
run uptime.txt cat /proc/uptime
run nodeboot-service.txt systemctl show nodeboot.service \
  -p ActiveState -p SubState -p Result -p ExecMainStatus -p ExecMainStartTimestampMonotonic \
  -p ExecMainExitTimestampMonotonic -p ActiveEnterTimestampMonotonic -p Type
run nodeboot-is-active.txt systemctl is-active nodeboot.service
run report-timer.txt systemctl is-enabled nodeboot-report.timer
run outbox.txt ls -A /var/lib/nodeboot/outbox
# What the timer's service does now (with the outbox empty: skipped by its condition).
run report-service.txt sh -c 'systemctl start nodeboot-report.service;
  systemctl show nodeboot-report.service -p ConditionResult -p Result -p ExecMainStatus'
run failed-units.txt systemctl --failed --no-legend --plain
run status.txt nodeboot status
# What a script or an image test waits on: the run's end, and its exit code (status-wait.txt.rc).
run status-wait.txt timeout 600 nodeboot status --wait
run status.json nodeboot status --output json
run findmnt.txt findmnt -rn -o TARGET,SOURCE,FSTYPE
run lvs.json lvm lvs --config "$lvm_cfg" --reportformat json -o lv_name,vg_name,seg_size_pe,stripes,devices
run fstab.txt cat /etc/fstab
run cloud-init-status.txt cloud-init status --long
run journal.txt journalctl -b --no-pager -o short-monotonic
# nodeboot's own entries with all their fields (NODEBOOT_RUN_ID, NODEBOOT_PHASE, NODEBOOT_CODE).
run nodeboot-journal.json journalctl -b -t nodeboot --no-pager -o json
run status-text.txt systemctl show -p StatusText --value nodeboot.service
run boots.txt journalctl --list-boots --no-pager
run units-timing.txt systemctl show -p Id -p ExecMainStartTimestampMonotonic \
  -p ExecMainExitTimestampMonotonic cloud-init-local.service cloud-init.service \
  cloud-config.service cloud-final.service nodeboot.service
for f in /var/lib/nodeboot-e2e/received.json /var/lib/nodeboot/state.json \
  /var/lib/node_exporter/textfile_collector/nodeboot.prom \
  /var/log/nodeboot/nodeboot.log /var/log/cloud-init.log /var/log/cloud-init-output.log; do
  [ ! -f "$f" ] || cp "$f" .
done
# The join: the kubelet and containerd units, where their data lives, the files kubeadm, nodeboot
# and the kubelet wrote (not the ones holding the bootstrap token: bootstrap-kubelet.conf; the join
# file only with the token masked), the test API server's request log and objects.
run kubelet-service.txt systemctl show kubelet.service -p ActiveState -p SubState -p Result \
  -p NRestarts -p MainPID -p ExecMainStartTimestampMonotonic -p DropInPaths -p UnitFileState
run containerd-service.txt systemctl show containerd.service -p ActiveState -p SubState -p Result \
  -p MainPID -p ExecMainStartTimestampMonotonic -p UnitFileState
run ctr-version.txt ctr version
# Which filesystem containerd's open metadata database is on, beside the LV's (device numbers).
# shellcheck disable=SC2016 # expanded by the inner sh
run containerd-db.txt sh -c 'pid=$(systemctl show -p MainPID --value containerd.service)
  for fd in /proc/$pid/fd/*; do case $(readlink "$fd") in */meta.db)
    echo "$(readlink "$fd") $(stat -L -c %d "$fd") $(stat -c %d /var/lib/containerd)";; esac; done'
# shellcheck disable=SC2016 # expanded by the inner sh
run kubelet-cert.txt sh -c 'f=$(readlink -f /mnt/paas/kubernetes/kubelet/pki/kubelet-client-current.pem) &&
  echo "$f $(stat -c %d "$f") $(stat -c %d /mnt/paas/kubernetes/kubelet)"'
run etc-kubernetes.txt ls -lR /etc/kubernetes /var/lib/kubelet
run kubelet-journal.txt journalctl -b -u kubelet.service --no-pager -o short-monotonic
run containerd-journal.txt journalctl -b -u containerd.service --no-pager -o short-monotonic
mkdir -p files apiserver
for f in /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env /etc/kubernetes/kubelet.conf \
  /etc/kubernetes/kubelet-config.yaml /etc/systemd/system/kubelet.service.d/10-nodeboot.conf \
  /var/lib/nodeboot-e2e/kubelet-effective.json /var/lib/nodeboot-e2e/kubeadm-warnings.log \
  /var/lib/nodeboot-e2e/kubelet-warnings.log /var/lib/nodeboot-e2e/apiserver-requests.jsonl; do
  [ ! -f "$f" ] || cp "$f" files/
done
[ ! -f /etc/kubernetes/nodeboot-join.yaml ] || [ ! -f /etc/nodeboot-e2e/apiserver/token ] ||
  sed "s/$(cat /etc/nodeboot-e2e/apiserver/token)/***/g" /etc/kubernetes/nodeboot-join.yaml >files/nodeboot-join.yaml
cp -a /var/lib/nodeboot-e2e/apiserver/. apiserver/ 2>/dev/null || true

mkdir -p markers
cp -a /var/lib/node-markers/. markers/ 2>/dev/null || true

# nodeboot-report.service under its sandbox (ProtectSystem=strict, no capabilities, a syscall
# filter), live: a report left waiting in the outbox - this boot's, copied under a new run id,
# as a run whose task service was down leaves it - must be delivered by the unit the timer
# starts. (received.json was copied above, before this second delivery.)
if [ -s /var/lib/nodeboot-e2e/received.json ] && [ -d /var/lib/nodeboot/outbox ]; then
  waiting=$(cat /proc/sys/kernel/random/uuid)
  python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); d["runId"]=sys.argv[2]; print(json.dumps(d))' \
    /var/lib/nodeboot-e2e/received.json "$waiting" >"/var/lib/nodeboot/outbox/$waiting.json"
  chmod 0600 "/var/lib/nodeboot/outbox/$waiting.json"
  # The timer may start the unit itself meanwhile (2 min after boot, later under load): then
  # that invocation delivers the report and ours finds the outbox empty. Either way the
  # sandboxed unit must have delivered it; wait for that (bounded) before looking.
  run report-unit-live.txt sh -c "systemctl start nodeboot-report.service
    for i in \$(seq 1 60); do
      [ -z \"\$(ls -A /var/lib/nodeboot/outbox)\" ] && grep -q '$waiting' /var/lib/nodeboot-e2e/received.json && break
      sleep 1
    done
    systemctl show nodeboot-report.service -p Result -p ExecMainStatus -p NRestarts
    echo outbox: \$(ls -A /var/lib/nodeboot/outbox)
    echo delivered: \$(grep -c '$waiting' /var/lib/nodeboot-e2e/received.json)"
  run report-unit-journal.txt journalctl -b -u nodeboot-report.service --no-pager -o short-monotonic
fi
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
