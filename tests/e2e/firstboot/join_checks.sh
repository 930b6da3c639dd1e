# shellcheck shell=bash
# The join scenarios' checks (sourced by firstboot_test.sh after boot 1 of join-kubeadm or
# join-kubelet). Uses its helpers (check, r, json, active_exited, boot) and $work, $join,
# $fb_token, $fb_labels, $fb_taints, $fb_max_pods.
# shellcheck disable=SC2154 # all set by firstboot_test.sh and lib.sh

b1=$work/boot1
node_json=$b1/apiserver/nodes/worker-1.json
# py FILE... : python3 with the assertion program on stdin; argv[1:] are the files.
py() { python3 - "$@"; }
requests() { # N: the test API server's request log as JSON lines, of boot N only
  python3 - "$work/boot$1/files/apiserver-requests.jsonl" "$(r "$1" boot_id)" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["boot"] == sys.argv[2]:
        print(json.dumps(d))
PY
}
export E2E_LABELS=$fb_labels E2E_TAINTS=$fb_taints E2E_MAX_PODS=$fb_max_pods

check "report: status succeeded, exit code 0" \
  test "$(json 1 received.json 'd["status"]+" "+str(d["exitCode"])')" = "succeeded 0"
check "report: preInstall, storage, join, postInstall succeeded" \
  test "$(json 1 received.json '" ".join(p["status"] for p in d["phases"] if p["name"] != "gpu")')" = \
  "succeeded succeeded succeeded succeeded"
check "nodeboot.service is active (exited), Result=success" active_exited 1
check "nodeboot.service exited 0" grep -qx 'ExecMainStatus=0' "$b1/nodeboot-service.txt"
check "no failed units" test -z "$(r 1 failed-units.txt)"

# The Node as the cluster holds it.
check "the Node worker-1 is on the API server, Ready, with the labels, taints and pods asked" py "$node_json" <<'PY'
import json, os, sys, yaml
n = json.load(open(sys.argv[1]))
labels = yaml.safe_load(os.environ["E2E_LABELS"])
taints = yaml.safe_load(os.environ["E2E_TAINTS"])
have = n["metadata"].get("labels", {})
missing = {k: v for k, v in labels.items() if have.get(k) != v}
assert not missing, f"labels missing: {missing}; have {have}"
have_t = [{k: t.get(k) for k in ("key", "value", "effect")} for t in n["spec"].get("taints", [])]
for t in taints:
    assert {k: t.get(k) for k in ("key", "value", "effect")} in have_t, f"taint {t} not in {have_t}"
pods = n["status"]["capacity"]["pods"]
assert pods == os.environ["E2E_MAX_PODS"], f"capacity.pods {pods}"
ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"]
assert ready and ready[0]["status"] == "True", ready
assert n["status"]["nodeInfo"]["kubeletVersion"] == "v1.31.4", n["status"]["nodeInfo"]
PY
check "the kubelet registered the Node with its client certificate (TLS bootstrap: one CSR, signed)" \
  py "$b1/apiserver" <<'PY'
import glob, json, sys
csrs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/certificatesigningrequests/*.json")]
assert len(csrs) == 1, [c["metadata"]["name"] for c in csrs]
c = csrs[0]
assert c["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client-kubelet", c["spec"]
assert c["spec"]["username"].startswith("system:bootstrap:"), c["spec"]["username"]
assert c["status"].get("certificate"), c["status"]
PY
check "API requests: CSR by the kubelet with the bootstrap token; Node created with the node's cert" \
  bash -c "$(declare -f requests r); work='$work'; requests 1 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin]
csr = [q for q in reqs if q[\"method\"] == \"POST\" and q[\"path\"].endswith(\"/certificatesigningrequests\")]
assert len(csr) == 1 and csr[0][\"who\"] == \"bootstrap-token\" and csr[0][\"agent\"].startswith(\"kubelet/\"), csr
node = [q for q in reqs if q[\"method\"] == \"POST\" and q[\"path\"] == \"/api/v1/nodes\"]
assert node and node[0][\"who\"] == \"x509:system:node:worker-1\" and node[0][\"status\"] == 201, node
'"
check "nodeboot waited for the Node with kubelet.conf's client certificate (GET nodes/worker-1)" \
  bash -c "$(declare -f requests r); work='$work'; requests 1 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin]
mine = [q for q in reqs if q[\"path\"].startswith(\"/api/v1/nodes/worker-1\") and q[\"method\"] == \"GET\"
        and q[\"who\"] == \"x509:system:node:worker-1\" and not q[\"agent\"].startswith((\"kubelet/\", \"kubeadm/\"))]
assert mine and mine[-1][\"status\"] == 200, mine[-3:]
'"

# The units and where their data lives.
check "kubelet.service is active (running)" \
  bash -c "grep -qx ActiveState=active '$b1/kubelet-service.txt' && grep -qx SubState=running '$b1/kubelet-service.txt'"
check "containerd.service is active (running)" \
  bash -c "grep -qx ActiveState=active '$b1/containerd-service.txt' && grep -qx SubState=running '$b1/containerd-service.txt'"
check "containerd answers (ctr version: client and server)" grep -q '^Server:' "$b1/ctr-version.txt"
check "containerd's metadata database is open on vgpaas/dockersys (/var/lib/containerd)" \
  bash -c "grep -qx '/var/lib/containerd /dev/mapper/vgpaas-dockersys ext4' '$b1/findmnt.txt' &&
           awk '\$1 ~ /meta.db\$/ && \$2 == \$3 {ok=1} END {exit !ok}' '$b1/containerd-db.txt'"
check "the kubelet's root dir is /mnt/paas/kubernetes/kubelet, its client certificate on vgpaas/kubernetes" \
  bash -c "grep -qx '/mnt/paas/kubernetes/kubelet /dev/mapper/vgpaas-kubernetes ext4' '$b1/findmnt.txt' &&
           grep -q '\"rootDir\": \"/mnt/paas/kubernetes/kubelet\"' '$b1/files/kubelet-effective.json' &&
           awk '\$1 ~ /^\/mnt\/paas\/kubernetes\/kubelet\/pki\/kubelet-client-/ && \$2 == \$3 {ok=1} END {exit !ok}' '$b1/kubelet-cert.txt'"
check "kubelet.conf: server, CA and the rotated client certificate (no token)" py "$b1/files/kubelet.conf" <<'PY'
import sys, yaml
k = yaml.safe_load(open(sys.argv[1]))
u = k["users"][0]["user"]
assert u == {"client-certificate": "/mnt/paas/kubernetes/kubelet/pki/kubelet-client-current.pem",
             "client-key": "/mnt/paas/kubernetes/kubelet/pki/kubelet-client-current.pem"}, u
assert k["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443", k["clusters"]
PY
check "the kubelet runs with the cluster's DNS (clusterDNS 10.96.0.10, clusterDomain cluster.local), systemd cgroups" \
  py "$b1/files/kubelet-effective.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["clusterDNS"] == ["10.96.0.10"] and e["clusterDomain"] == "cluster.local", e
assert e["cgroupDriver"] == "systemd", e
assert e["maxPods"] == 64 and e["capacityPods"] == 64, e
assert e["containerRuntimeEndpoint"] == "unix:///run/containerd/containerd.sock", e
PY
check "no secret in anything collected (bootstrap token, task token)" \
  bash -c "! grep -rlF -e '$fb_token' -e '${fb_token#*.}' -e e2e-task-token-not-shown '$b1'"

if [ "$join" = kubeadm ]; then
  check "kubeadm join ran once and said: This node has joined the cluster" \
    test "$(grep -c 'This node has joined the cluster' "$b1/nodeboot.log")" -eq 1
  check "kubeadm: no warning (strict decoding, deprecated API, preflight)" \
    bash -c "! grep -v '^#' '$b1/files/kubeadm-warnings.log'"
  check "the join file is kubeadm.k8s.io/v1beta4 for kubeadm v1.31.4, kubeletExtraArgs a {name, value} list" \
    py "$b1/files/nodeboot-join.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["apiVersion"] == "kubeadm.k8s.io/v1beta4", d["apiVersion"]
args = d["nodeRegistration"]["kubeletExtraArgs"]
assert isinstance(args, list) and all(set(a) == {"name", "value"} for a in args), args
PY
  check "kubeadm-flags.env: max-pods, node-labels, root-dir, the CRI endpoint, the taints" py "$b1/files/kubeadm-flags.env" <<'PY'
import os, shlex, sys, yaml
line = open(sys.argv[1]).read().strip()
assert line.startswith("KUBELET_KUBEADM_ARGS="), line
# KUBELET_KUBEADM_ARGS="--a=1 --b=2", quoted as kubeadm writes it (systemd's EnvironmentFile
# takes the quotes off, then ExecStart splits $KUBELET_KUBEADM_ARGS on spaces).
value = shlex.split(line.split("=", 1)[1])
assert len(value) == 1, value
flags = dict(a[2:].split("=", 1) for a in value[0].split())
assert flags.get("max-pods") == os.environ["E2E_MAX_PODS"], flags
assert flags.get("root-dir") == "/mnt/paas/kubernetes/kubelet", flags
assert flags.get("container-runtime-endpoint") == "unix:///run/containerd/containerd.sock", flags
labels = dict(kv.split("=", 1) for kv in flags.get("node-labels", "").split(","))
assert labels == yaml.safe_load(os.environ["E2E_LABELS"]), labels
assert "register-with-taints" in flags, flags
PY
  check "kubeadm removed bootstrap-kubelet.conf and wrote the cluster CA" \
    bash -c "! grep -q 'bootstrap-kubelet.conf' '$b1/etc-kubernetes.txt' && grep -q ' ca.crt' '$b1/etc-kubernetes.txt'"
  check "kubeadm discovery: cluster-info anonymously, then config with the token" \
    bash -c "$(declare -f requests r); work='$work'; requests 1 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin if \"kubeadm/\" in l]
paths = [(q[\"who\"], q[\"path\"]) for q in reqs]
assert (\"anonymous\", \"/api/v1/namespaces/kube-public/configmaps/cluster-info\") in paths, paths
assert (\"bootstrap-token\", \"/api/v1/namespaces/kube-system/configmaps/kubelet-config\") in paths, paths
'"
else
  check "nodeboot read the cluster's kubelet-config with the bootstrap token (no clusterDNS configured)" \
    bash -c "$(declare -f requests r); work='$work'; requests 1 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin]
mine = [q for q in reqs if q[\"path\"] == \"/api/v1/namespaces/kube-system/configmaps/kubelet-config\"
        and not q[\"agent\"].startswith((\"kubelet/\", \"kubeadm/\"))]
assert mine and mine[0][\"who\"] == \"bootstrap-token\" and mine[0][\"status\"] == 200, mine
assert not [q for q in reqs if q[\"agent\"].startswith(\"kubeadm/\")], \"kubeadm ran\"
'"
  check "the kubelet runs with nodeboot's KubeletConfiguration and finds nothing unknown in it" \
    bash -c "grep -q '\"config\": \"/etc/kubernetes/kubelet-config.yaml\"' '$b1/files/kubelet-effective.json' &&
             test ! -s '$b1/files/kubelet-warnings.log'"
  check "nodeboot's drop-in runs the kubelet with its files and the labels" \
    bash -c "grep -q -- '--config=/etc/kubernetes/kubelet-config.yaml' '$b1/files/10-nodeboot.conf' &&
             grep -q -- '--root-dir=/mnt/paas/kubernetes/kubelet' '$b1/files/10-nodeboot.conf' &&
             grep -q -- '--node-labels=' '$b1/files/10-nodeboot.conf'"
fi

# A reboot: nothing runs again; the kubelet comes back on its own and keeps the Node fresh.
# Not when the join failed: there is nothing to prove then, and a boot costs minutes under TCG.
if [ "$fails" -ne 0 ]; then
  bad "boot 2 (reboot) not run: boot 1 failed"
  return 0
fi
boot 2
b2=$work/boot2
check "boot 2 is another boot" test "$(r 1 boot_id)" != "$(r 2 boot_id)"
check "boot 2: nodeboot.service is active (exited) again" active_exited 2
check "boot 2: its report says succeeded, every phase skipped" python3 - "$b2/received.json" <<'PY'
import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.strip()][-1])
assert d["status"] == "succeeded" and all(p["status"] == "skipped" for p in d["phases"]), d["phases"]
PY
check "boot 2: the scripts did not run again" \
  test "$(r 2 markers/pre-install | grep -c .):$(r 2 markers/post-install | grep -c .)" = 1:1
check "boot 2: no kubeadm, no CSR, no cluster-info, no kubelet-config read" \
  bash -c "$(declare -f requests r); work='$work'; requests 2 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin]
bad = [q for q in reqs if q[\"agent\"].startswith(\"kubeadm/\") or \"certificatesigningrequests\" in q[\"path\"]
       or \"configmaps\" in q[\"path\"]]
assert not bad, bad
'"
check "boot 2: no join in nodeboot's journal (no kubeadm join, no systemctl)" \
  bash -c "! grep -E 'nodeboot\[[0-9]+\].*(kubeadm join|systemctl (restart|start|enable))' '$b2/journal.txt'"
check "boot 2: kubelet.service and containerd.service are active (running)" \
  bash -c "grep -qx SubState=running '$b2/kubelet-service.txt' && grep -qx SubState=running '$b2/containerd-service.txt'"
check "boot 2: the kubelet kept its certificate and heartbeats the Node (its Lease, this boot)" \
  bash -c "$(declare -f requests r); work='$work'; requests 2 | python3 -c '
import json, sys
reqs = [json.loads(l) for l in sys.stdin]
beats = [q for q in reqs if q[\"agent\"].startswith(\"kubelet/\") and q[\"who\"] == \"x509:system:node:worker-1\"
         and q[\"status\"] in (200, 201)]
assert beats, reqs[-5:]
'"
check "boot 2: no failed units" test -z "$(r 2 failed-units.txt)"
check "boot 2: no secret in anything collected" \
  bash -c "! grep -rlF -e '$fb_token' -e '${fb_token#*.}' -e e2e-task-token-not-shown '$b2'"
