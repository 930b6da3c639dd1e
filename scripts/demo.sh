#!/usr/bin/env bash
# The main job: builds the nodeboot .deb, bakes it into a Debian 12 node image and boots a fresh
# node from it in the VM harness, the way a node pool's node comes up: systemd as init,
# cloud-init with a NoCloud seed whose user-data writes /etc/nodeboot/config.yaml, and
# nodeboot.service doing the bootstrap: a pre-install script, the LVM layout of the node template
# (runtime striped over two blank SSD volumes, kubernetes), the join (`cluster.join: kubeadm`) of a
# test API server inside the node with Debian's containerd on the runtime LV and STAND-IN kubeadm
# and kubelet programs (tests/e2e/firstboot/guest/; there is no Kubernetes package here), a
# post-install script, and the report to a task service on 127.0.0.1 inside the node. Then it
# reboots the node: nothing runs again. Prints what the task service received, `nodeboot status`
# as run inside the node, and the Node object the API server holds.
# Needs root (the image build). First run: a Release build and the Debian base image (mmdebstrap,
# several minutes, cached under the VM cache); then about 6 minutes, mostly the two boots.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

echo "== building the .deb (scripts/package.sh: Release build in build-pkg/)"
deb=$(scripts/package.sh --no-check 2>/dev/null | tail -n1)
echo "$deb"
work=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/e2e/firstboot/lib.sh
. tests/e2e/firstboot/lib.sh
echo "== the node image (Debian 12 + nodeboot; cached)"
image=$(fb_image "$deb" 2>"$work/image.log") || { cat "$work/image.log"; exit 1; }
echo "$image"

# shellcheck disable=SC2016 # the scripts expand their variables on the node
pre='#!/bin/sh
mkdir -p /var/lib/node-markers
echo "pre-install on $NODE_NAME: installing node tools" | tee -a /var/lib/node-markers/pre-install'
# shellcheck disable=SC2016
post='#!/bin/sh
echo "post-install: containerd is on $(findmnt -no SOURCE /var/lib/containerd)" | tee -a /var/lib/node-markers/post-install'
fb_node "$image" i-demo0001 task-4711 "$pre" "$post" kubeadm
echo "== first boot: cloud-init writes the config, systemd starts nodeboot.service"
fb_boot 1
b=$work/boot1
echo
echo "== nodeboot.service"
grep -E '^(ActiveState|SubState|Result|ExecMainStatus)=' "$b/nodeboot-service.txt"
echo
echo "== nodeboot status (inside the node)"
cat "$b/status.txt"
echo
echo "== the layout (inside the node)"
grep -E ' /dev/mapper/vgpaas-' "$b/findmnt.txt"
echo
echo "== the join: kubeadm's output in nodeboot's log"
grep -E 'join: kubeadm (stdout|stderr): .*(\[kubelet-start\]|\[preflight\]|joined)' "$b/nodeboot.log" |
  sed 's/^.*join: //' || true
echo
echo "== the Node the API server holds"
python3 - "$b/apiserver/nodes/worker-1.json" <<'PY' || echo "(no Node: see $b)"
import json, sys
n = json.load(open(sys.argv[1]))
ready = next((c for c in n["status"]["conditions"] if c["type"] == "Ready"), {})
print(f'name:     {n["metadata"]["name"]}')
print(f'Ready:    {ready.get("status")} ({ready.get("reason")})')
print(f'labels:   {", ".join(f"{k}={v}" for k, v in sorted(n["metadata"]["labels"].items()))}')
print(f'taints:   {", ".join(t["key"] + ("=" + t["value"] if t.get("value") else "") + ":" + t["effect"] for t in n["spec"].get("taints", []))}')
print(f'pods:     {n["status"]["capacity"]["pods"]}')
print(f'kubelet:  {n["status"]["nodeInfo"]["kubeletVersion"]}, runtime {n["status"]["nodeInfo"]["containerRuntimeVersion"]}')
PY
echo
echo "== kubelet.service and containerd.service (inside the node)"
grep -E '^(ActiveState|SubState)=' "$b/kubelet-service.txt" | paste -sd' ' | sed 's/^/kubelet:    /'
grep -E '^(ActiveState|SubState)=' "$b/containerd-service.txt" | paste -sd' ' | sed 's/^/containerd: /'
echo
echo "== what the task service received"
python3 -m json.tool "$b/received.json" 2>/dev/null || cat "$b/received.json"
echo
echo "== reboot: nothing runs again"
fb_boot 2
cat "$work/boot2/status.txt"
grep -E '^(ActiveState|SubState)=' "$work/boot2/kubelet-service.txt" | paste -sd' ' | sed 's/^/kubelet:    /'
