#!/usr/bin/env bash
# The first boot of a node, end to end: a Debian 12 image with the nodeboot .deb baked in
# (scripts/vm/build-image.sh), booted with systemd as init (scripts/vm/boot-image.sh), two blank
# data disks and a NoCloud seed (a vfat disk labelled CIDATA) whose user-data writes
# /etc/nodeboot/config.yaml. cloud-init and systemd do the rest; the image's test fixtures
# (tests/e2e/firstboot/guest/) run a task service on 127.0.0.1:8080 and, once the boot is over,
# hand the node's state to the host as a tar and power off. All assertions run here, on the host.
#
#   tests/e2e/firstboot/firstboot_test.sh succeeded|preinstall-fails|join-kubeadm|join-kubelet DEB_DIR
#
# succeeded: the report arrives with status succeeded and all phases, the LVs are mounted where
#   SPEC §4 says, nodeboot.service is active (exited), the scripts' markers exist; then a reboot
#   of the same disks runs nothing again (no script, no LVM write) and still mounts the LVs.
# preinstall-fails: the pre-install script fails; the failure report carries the script's
#   stderr and cloud-init's lines, nodeboot.service failed with 10, storage did not run.
# join-kubeadm, join-kubelet: the node also joins a cluster (cluster.join kubeadm / kubelet): a test
#   API server in the image (guest/usr/local/lib/nodeboot-e2e/apiserver.py, PKI and bootstrap token
#   made here), Debian's containerd on the runtime LV, the kubelet package's kubelet.service with
#   kubeadm's 10-kubeadm.conf, and STAND-IN kubelet and kubeadm programs (guest/usr/bin/). The
#   report says succeeded with the join; the Node carries the labels, taints and maxPods asked for
#   and is Ready; kubelet and containerd run, on their LVs; no secret in anything collected. Then
#   a reboot: no join, no CSR, no script runs again; the kubelet is back and heartbeats.
# Keep the work dir for debugging with NODEBOOT_E2E_KEEP=1. Wall times are printed.
set -euo pipefail
scenario=$1 deb_dir=$2
repo=$(cd "$(dirname "$0")/../../.." && pwd)
here=$repo/tests/e2e/firstboot
export PATH="$PATH:/usr/sbin:/sbin"

# shellcheck source=tests/support/check.sh
. "$repo/tests/support/check.sh"
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

debs=("$deb_dir"/nodeboot_*.deb)
[ -f "${debs[0]}" ] || { echo "FAIL no nodeboot .deb in $deb_dir (run the packaging_deb test)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-firstboot.XXXXXX")
if [ "${NODEBOOT_E2E_KEEP:-0}" = 1 ]; then
  echo "work dir: $work"
else
  trap 'rm -rf "$work"' EXIT
fi

# shellcheck source=tests/e2e/firstboot/lib.sh
. "$here/lib.sh"
image=$(fb_image "${debs[0]}")
echo "image: $image (ready after $(elapsed))"

join=none
case $scenario in
  succeeded | preinstall-fails) ;;
  join-kubeadm) join=kubeadm ;;
  join-kubelet) join=kubelet ;;
  *) echo "FAIL unknown scenario '$scenario'"; exit 2 ;;
esac
# What a run in progress looks like from inside it: the unit's status line (STATUS=) and
# `nodeboot status`, taken by the pre-install script while its phase runs.
during='systemctl show -p StatusText --value nodeboot.service >/var/lib/node-markers/status-text-during
nodeboot status >/var/lib/node-markers/status-during 2>&1'
if [ "$scenario" != preinstall-fails ]; then
  task_id=task-e2e-ok
  [ "$join" = none ] || task_id=task-e2e-join-$join
  # shellcheck disable=SC2016 # the script expands its variables on the node
  pre='#!/bin/sh
set -e
mkdir -p /var/lib/node-markers
echo "pre-install ran on $NODE_NAME for $NODEBOOT_INSTANCE_ID" >>/var/lib/node-markers/pre-install
'"$during"'
echo "pre-install: node tools installed"'
else
  task_id=task-e2e-fail
  # shellcheck disable=SC2016 # the script expands its variables on the node
  pre='#!/bin/sh
mkdir -p /var/lib/node-markers
echo "pre-install ran on $NODE_NAME for $NODEBOOT_INSTANCE_ID" >>/var/lib/node-markers/pre-install
'"$during"'
echo "pre-install: installing node tools"
echo "E: Unable to locate package nodeboot-e2e-missing-tool" >&2
exit 3'
fi
# shellcheck disable=SC2016 # the script expands $(findmnt ...) on the node
post='#!/bin/sh
set -e
echo "post-install ran; containerd on $(findmnt -no SOURCE /var/lib/containerd)" >>/var/lib/node-markers/post-install
echo "post-install: done"'
fb_node "$image" "i-e2e-$scenario" "$task_id" "$pre" "$post" "$join"
boot() { fb_boot "$1" || { bad "boot $1: no results"; exit 1; }; }
r() { cat "$work/boot$1/$2" 2>/dev/null; }
json() { # N FILE PYTHON-EXPR (on `d`, the last JSON line of FILE): prints the value
  python3 -c 'import json,sys; d=json.loads([l for l in open(sys.argv[1]) if l.strip()][-1]); print(eval(sys.argv[2]))' \
    "$work/boot$1/$2" "$3" 2>/dev/null
}

active_exited() { # N
  local f=$work/boot$1/nodeboot-service.txt
  grep -qx ActiveState=active "$f" && grep -qx SubState=exited "$f" && grep -qx Result=success "$f"
}

boot 1
check "the config cloud-init wrote is 0600 root" test "$(r 1 config-mode.txt)" = "600 root"
check "cloud-init finished" grep -q 'status: done' "$work/boot1/cloud-init-status.txt"
check "exactly one report arrived" test "$(grep -c . "$work/boot1/received.json")" -eq 1
check "report: taskId and the instance id from the NoCloud meta-data" \
  test "$(json 1 received.json 'd["taskId"]+" "+d["node"]["instanceId"]')" = "$task_id i-e2e-$scenario"
check "report: all five phases, in SPEC §1's order" \
  test "$(json 1 received.json '",".join(p["name"] for p in d["phases"])')" = preInstall,storage,gpu,join,postInstall
# nodeboot started only after cloud-init's init stage had written the config.
check "nodeboot.service started after cloud-init.service finished" python3 - "$work/boot1/journal.txt" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
def first(pat):
    return next(i for i, l in enumerate(lines) if re.search(pat, l))
assert first(r"Finished cloud-init\.service") < first(r"Start(ing|ed) nodeboot\.service")
PY
# nodeboot logs natively to the journal (ident nodeboot, under the unit); the stderr copy of each
# line is dropped.
check "nodeboot's log lines are in the journal once (native, no stderr copy)" python3 - "$work/boot1/journal.txt" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
assert re.search(r"nodeboot\[\d+\]: phase ", text), "no syslog line of nodeboot"
copies = re.findall(r"nodeboot\[\d+\]: nodeboot: (?:info|warning|warn|error) .*", text)
assert not copies, copies[:3]
PY

# Progress, console and journal (README "Logs" and "Progress").
check "STATUS= during the pre-install script names the phase and the command" \
  grep -q '^phase preInstall: .*/var/lib/nodeboot/scripts/preInstall' "$work/boot1/markers/status-text-during"
check "nodeboot status during the pre-install script: in progress, with its phase and step" \
  bash -c "grep -q '^in progress: phase preInstall since ' '$work/boot1/markers/status-during' &&
           grep -q '^  step .*/var/lib/nodeboot/scripts/preInstall since ' '$work/boot1/markers/status-during'"
check "the console shows the run's milestones and its result, not the scripts' output" \
  python3 - "$work/boot1/console.log" "$scenario" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "")
lines = re.findall(r"nodeboot\[\d+\]: (.*)", text)
assert any(l.startswith("phase preInstall: start") for l in lines), lines
if sys.argv[2] == "preinstall-fails":
    assert any(l.startswith("phase preInstall: failed after") for l in lines), lines
    assert any("failed with exit code 10" in l and "NB-PREINSTALL-FAILED" in l for l in lines), lines
else:
    assert any(l.startswith("phase storage: succeeded in") for l in lines), lines
    assert any(re.match(r"run \S+: succeeded with exit code 0 in \d+ ms; report delivered", l) for l in lines), lines
assert "pre-install: node tools" not in text and "installing node tools" not in text, "script output on the console"
assert len(lines) < 25, len(lines)
PY
check "the journal carries NODEBOOT_RUN_ID, NODEBOOT_PHASE, NODEBOOT_CODE and the priority" \
  python3 - "$work/boot1/nodeboot-journal.json" "$work/boot1/received.json" "$scenario" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
run_id = json.loads(open(sys.argv[2]).readline())["runId"]
mine = [e for e in entries if e.get("NODEBOOT_RUN_ID") == run_id]
assert mine, "no entry of run %s" % run_id
assert all(e.get("SYSLOG_IDENTIFIER") == "nodeboot" and e.get("_SYSTEMD_UNIT") == "nodeboot.service" for e in mine)
start = [e for e in mine if e["MESSAGE"] == "phase preInstall: start"]
assert start and start[0]["NODEBOOT_PHASE"] == "preInstall" and start[0]["PRIORITY"] == "6", start
script = [e for e in mine if e["MESSAGE"].startswith("preInstall std")]
assert script and all(e.get("NODEBOOT_PHASE") == "preInstall" for e in script), script[:2]
if sys.argv[3] == "preinstall-fails":
    failed = [e for e in mine if e.get("NODEBOOT_CODE") == "NB-PREINSTALL-FAILED"]
    assert failed and all(e["PRIORITY"] == "3" for e in failed), failed
else:
    assert any(e.get("NODEBOOT_PHASE") == "storage" and "lvcreate" in e["MESSAGE"] for e in mine)
PY
check "nodeboot-report.service, sandboxed, delivers a report left in the outbox (live, not only systemd-analyze)" \
  bash -c "f='$work/boot1/report-unit-live.txt'; grep -qx Result=success \"\$f\" &&
           grep -qx ExecMainStatus=0 \"\$f\" && grep -qx 'outbox:' \"\$f\" && grep -qx 'delivered: 1' \"\$f\""
if [ "$scenario" = preinstall-fails ]; then
  check "STATUS= after the run names the failure" \
    grep -q 'failed with exit code 10: phase preInstall (NB-PREINSTALL-FAILED)' "$work/boot1/status-text.txt"
else
  check "STATUS= after the run: bootstrapped" grep -q '^bootstrapped (run ' "$work/boot1/status-text.txt"
fi

if [ "$join" != none ]; then
  # shellcheck source=tests/e2e/firstboot/join_checks.sh
  . "$here/join_checks.sh"
elif [ "$scenario" = succeeded ]; then
  check "report: status succeeded, exit code 0" \
    test "$(json 1 received.json 'd["status"]+" "+str(d["exitCode"])')" = "succeeded 0"
  check "report: preInstall, storage, postInstall succeeded; gpu skipped (no NVIDIA GPU), join skipped (no cluster)" \
    test "$(json 1 received.json '" ".join(p["name"]+"="+p["status"] for p in d["phases"])')" = \
    "preInstall=succeeded storage=succeeded gpu=skipped join=skipped postInstall=succeeded"
  check "nodeboot.service is active (exited), Result=success" active_exited 1
  check "the Prometheus textfile says the run succeeded, gpu skipped" \
    bash -c "grep -qx 'nodeboot_run_success 1' '$work/boot1/nodeboot.prom' &&
             grep -q 'nodeboot_phase_status{phase=\"gpu\",status=\"skipped\"} 1' '$work/boot1/nodeboot.prom'"
  check "nodeboot status --wait: exit 0, result succeeded" \
    bash -c "grep -qx 0 '$work/boot1/status-wait.txt.rc' && grep -q 'result succeeded' '$work/boot1/status-wait.txt'"
  check "nodeboot.service exited 0" grep -qx 'ExecMainStatus=0' "$work/boot1/nodeboot-service.txt"
  check "no failed units" test -z "$(r 1 failed-units.txt)"
  check "vgpaas/dockersys on /var/lib/containerd (ext4)" \
    grep -qx '/var/lib/containerd /dev/mapper/vgpaas-dockersys ext4' "$work/boot1/findmnt.txt"
  check "vgpaas/kubernetes on /mnt/paas/kubernetes/kubelet (ext4)" \
    grep -qx '/mnt/paas/kubernetes/kubelet /dev/mapper/vgpaas-kubernetes ext4' "$work/boot1/findmnt.txt"
  check "dockersys is striped over both disks" \
    python3 -c 'import json,sys; lv=[l for l in json.load(open(sys.argv[1]))["report"][0]["lv"] if l["lv_name"]=="dockersys"][0]; assert lv["stripes"]=="2", lv' \
    "$work/boot1/lvs.json"
  check "pre-install marker: one run" test "$(r 1 markers/pre-install | grep -c .)" -eq 1
  check "post-install marker: one run, after storage" \
    grep -qx 'post-install ran; containerd on /dev/mapper/vgpaas-dockersys' "$work/boot1/markers/post-install"
  check "nodeboot status: succeeded, report delivered" \
    python3 -c 'import json,sys; s=open(sys.argv[1]).read(); assert "succeeded" in s and "delivered" in s, s' \
    "$work/boot1/status.json"
  check "nodeboot-report.timer is enabled" grep -qx enabled "$work/boot1/report-timer.txt"
  check "the outbox is empty once the report was delivered" test -z "$(r 1 outbox.txt)"
  check "nodeboot-report.service: skipped by its condition (nothing to flush)" \
    grep -qx 'ConditionResult=no' "$work/boot1/report-service.txt"

  boot 2
  check "boot 2 is another boot" test "$(r 1 boot_id)" != "$(r 2 boot_id)"
  check "boot 2: nodeboot.service is active (exited) again" active_exited 2
  check "boot 2: the scripts did not run again" \
    test "$(r 2 markers/pre-install | grep -c .):$(r 2 markers/post-install | grep -c .)" = 1:1
  check "boot 2: no LVM, mkfs or mount write and no script in nodeboot's log of this boot" \
    bash -c "! grep -E 'nodeboot.*(vgcreate|vgextend|lvcreate|mkfs|preInstall stdout|postInstall stdout)' '$work/boot2/journal.txt'"
  check "boot 2: the LVs are mounted again (fstab)" \
    bash -c "grep -qx '/var/lib/containerd /dev/mapper/vgpaas-dockersys ext4' '$work/boot2/findmnt.txt' &&
             grep -qx '/mnt/paas/kubernetes/kubelet /dev/mapper/vgpaas-kubernetes ext4' '$work/boot2/findmnt.txt'"
  check "boot 2: no failed units" test -z "$(r 2 failed-units.txt)"
  check "boot 2: nodeboot status still succeeded" grep -q succeeded "$work/boot2/status.json"
  # A plain run at boot reports too (SPEC §7: every run): success, with every phase skipped.
  check "boot 2: its report says succeeded, every phase skipped" \
    test "$(json 2 received.json 'd["status"]+" "+str(sorted(set(p["status"] for p in d["phases"])))')" = \
    "succeeded ['skipped']"
else
  check "report: status failed in phase preInstall, exit code 10" \
    test "$(json 1 received.json 'd["status"]+" "+d["phase"]+" "+str(d["exitCode"])')" = "failed preInstall 10"
  check "report: later phases not run" \
    test "$(json 1 received.json '" ".join(p["name"]+"="+p["status"] for p in d["phases"])')" = \
    "preInstall=failed storage=not-run gpu=not-run join=not-run postInstall=not-run"
  # (The package name is masked: every 8+ character word of a script is, in its output.)
  check "report: the excerpt starts with the script's stderr" \
    python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); assert d["logExcerpt"][1].startswith("E: Unable to locate package "), d["logExcerpt"][:3]' \
    "$work/boot1/received.json"
  check "report: the excerpt carries cloud-init's lines" \
    python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); assert any("cloud-init" in l.lower() and "nodeboot" not in l.lower() for l in d["logExcerpt"])' \
    "$work/boot1/received.json"
  check "report: an error code, cause and solution" \
    python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline())["error"]; assert e["code"].startswith("NB-") and e["cause"] and e["solution"], e' \
    "$work/boot1/received.json"
  check "report: the task token does not leak" bash -c "! grep -q e2e-task-token-not-shown '$work/boot1/received.json'"
  check "nodeboot status --wait: exit 10, the run's code" grep -qx 10 "$work/boot1/status-wait.txt.rc"
  check "nodeboot.service failed with exit status 10" \
    bash -c "grep -qx 'ActiveState=failed' '$work/boot1/nodeboot-service.txt' && grep -qx 'ExecMainStatus=10' '$work/boot1/nodeboot-service.txt'"
  check "cloud-init's runcmd did not start the failed unit again (one pre-install run)" \
    test "$(r 1 markers/pre-install | grep -c .)" -eq 1
  check "storage did not run: nothing mounted on /var/lib/containerd" \
    bash -c "! grep -q '^/var/lib/containerd ' '$work/boot1/findmnt.txt'"
  check "post-install did not run" test ! -e "$work/boot1/markers/post-install"
fi

if [ "$fails" -ne 0 ]; then
  echo "--- nodeboot log (boot 1):"
  tail -n 60 "$work/boot1/nodeboot.log" 2>/dev/null || true
  echo "--- console (boot 1, last 40 lines):"
  tail -n 40 "$work/boot1/console.log" || true
fi
echo "firstboot $scenario: $(elapsed) in all; $fails failed"
[ "$fails" -eq 0 ]
