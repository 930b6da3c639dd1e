#!/usr/bin/env bash
# Inside the demo VM: a node with two blank data disks boots; nodeboot bootstraps it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/task_service.py" 8080 /tmp/received.json &
for _ in $(seq 100); do  # python starts slowly under TCG
  (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
  sleep 0.2
done

pre=$(printf '#!/bin/sh\necho "pre-install on $NODE_NAME: installing node tools"\ntouch /etc/pre-install-ran\n' | base64 -w0)
post=$(printf 'echo "post-install: containerd dir is $(findmnt -no SOURCE /var/lib/containerd)"\n' | base64 -w0)
mkdir -p /etc/nodeboot
cat > /etc/nodeboot/config.yaml <<YAML
node: {name: demo-node-1, instanceId: i-demo0001}
task: {id: task-4711, url: "http://127.0.0.1:8080/v1/tasks/task-4711/result", token: demo-token-not-shown}
disks:
  - {id: 5a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d, volumetype: SSD}
  - {id: 6b3c4d5e-2f30-4b6c-9d0e-1f2a3b4c5d6e, volumetype: SSD}
nodeTemplate:
  extendParam:
    alpha.cce/preInstall: $pre
    alpha.cce/postInstall: $post
    maxPods: 110
  storage:
    storageSelectors: [{name: cceUse, storageType: evs, matchLabels: {volumeType: SSD}}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces:
          - {name: runtime, size: "90%", runtimeConfig: {lvType: striped}}
          - {name: kubernetes, size: "10%"}
YAML

echo "== nodeboot run (its log on stderr)"
"$NODEBOOT_BIN" run || echo "(exit $?)"
echo
echo "== nodeboot status"
"$NODEBOOT_BIN" status
echo
echo "== the layout"
lvm lvs --config 'activation{udev_sync=0 udev_rules=0} devices{obtain_device_list_from_udev=0}' \
  -o lv_name,vg_name,seg_size_pe,stripes,devices 2>/dev/null
for m in /var/lib/containerd /mnt/paas/kubernetes/kubelet; do findmnt -no TARGET,SOURCE,FSTYPE "$m"; done
grep -A1 '^# nodeboot' /etc/fstab
echo
echo "== what the task service received"
python3 -m json.tool /tmp/received.json 2>/dev/null || cat /tmp/received.json
echo
echo "== a second run (a reboot) does nothing"
"$NODEBOOT_BIN" run 2>&1 | grep -E 'phase|run ' || true
