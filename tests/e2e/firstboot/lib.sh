# shellcheck shell=bash
# Shared by firstboot_test.sh and scripts/demo.sh (sourced): a node image with the .deb baked
# in, a node (root overlay, NoCloud seed, two blank data disks) and its boots.
# Needs: $repo (the repository root) and $work (a scratch directory that this code fills).
# shellcheck disable=SC2154 # $repo and $work are set by the sourcing script

fb_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fb_image DEB: builds (or finds) the node image for DEB with the e2e fixtures; prints its path.
fb_image() {
  rm -rf "${work:?}/overlay"
  mkdir -p "$work/overlay"
  cp -a "$fb_here/guest/." "$work/overlay/"
  cp "$repo/scripts/demo/task_service.py" "$work/overlay/usr/local/lib/nodeboot-e2e/task_service.py"
  # kubelet.service crash-loops until configured, as after installing the kubelet package.
  "$repo/scripts/vm/build-image.sh" --deb "$1" --overlay "$work/overlay" \
    --enable nodeboot-e2e-tasks.service --enable nodeboot-e2e-collect.service \
    --enable nodeboot-e2e-apiserver.service --enable kubelet.service --enable containerd.service
}

# fb_pki DIR: the test cluster's PKI, made on the host: a CA (RSA 2048, as kubeadm's), the API
# server's certificate for 127.0.0.1, a fresh bootstrap token. Sets fb_token and fb_ca_hash
# (sha256 of the CA's SubjectPublicKeyInfo, kubeadm's caCertHashes form).
fb_pki() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 30 \
    -subj /CN=kubernetes -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
    -subj /CN=kube-apiserver 2>/dev/null
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes' \
    'extendedKeyUsage=serverAuth' 'keyUsage=critical,digitalSignature,keyEncipherment' >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial 2 \
    -days 30 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
  fb_token=$(python3 -c 'import secrets,string; a=string.ascii_lowercase+string.digits; r=lambda n: "".join(secrets.choice(a) for _ in range(n)); print(r(6)+"."+r(16))')
  printf '%s\n' "$fb_token" >"$d/token"
  fb_ca_hash=sha256:$(openssl x509 -pubkey -noout -in "$d/ca.crt" | openssl pkey -pubin -outform DER |
    sha256sum | cut -d' ' -f1)
}

# fb_write_file PATH MODE FILE: a user-data write_files entry with FILE's content.
fb_write_file() {
  printf -- '- path: %s\n  owner: root:root\n  permissions: "%s"\n  content: |\n' "$1" "$2"
  sed 's/^/    /' "$3"
}

# fb_fill TEMPLATE KEY=VALUE...: the template with @KEY@ replaced; a placeholder alone on its line
# is replaced by VALUE's lines at that line's indentation (an empty VALUE drops the line).
fb_fill() {
  python3 - "$@" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
values = dict(a.split("=", 1) for a in sys.argv[2:])
out = []
for line in text.splitlines():
    m = re.fullmatch(r"(\s*)@([A-Z_]+)@", line)
    if m and m.group(2) in values:
        out += [m.group(1) + v if v else "" for v in values[m.group(2)].splitlines()]
        continue
    out.append(re.sub(r"@([A-Z_]+)@", lambda m: values.get(m.group(1), m.group(0)), line))
print("\n".join(out))
PY
}

# fb_node IMAGE INSTANCE_ID TASK_ID PRE_SCRIPT POST_SCRIPT [JOIN]: a fresh node in $work: a
# qcow2 overlay of IMAGE as its root, two blank 2 GiB data disks, and a NoCloud seed (vfat, label
# CIDATA) with user-data.yaml.in filled in. JOIN: none (default: no cluster section), kubeadm or
# kubelet: the node joins the test API server in the image (fb_pki makes its PKI and token in
# $work/pki) with the labels, taints and maxPods in fb_labels, fb_taints and fb_max_pods;
# fb_kubeadm_version, when set, is the stand-in kubeadm's version.
fb_labels='e2e.nodeboot.io/pool: pool-a
node.kubernetes.io/e2e-role: worker'
fb_taints='- key: e2e.nodeboot.io/dedicated
  value: join-test
  effect: NoSchedule'
fb_max_pods=64
fb_node() {
  local image=$1 instance=$2 task_id=$3 pre=$4 post=$5 join=${6:-none}
  local cluster='' template='' files='' max_pods=110
  rm -f "${work:?}/root.qcow2" "$work/data-a.img" "$work/data-b.img" "$work/seed.img"
  qemu-img create -q -f qcow2 -F raw -b "$image" "$work/root.qcow2"
  truncate -s 2G "$work/data-a.img" "$work/data-b.img"
  mkdir -p "$work/seed"
  if [ "$join" != none ]; then
    rm -rf "$work/pki"
    fb_pki "$work/pki"
    max_pods=$fb_max_pods
    cluster="cluster:
  join: $join
  apiServer: https://127.0.0.1:6443
  bootstrapToken: \"$fb_token\"
  readyTimeoutSeconds: 300"
    if [ "$join" = kubeadm ]; then
      cluster+=$'\n'"  caCertHash: $fb_ca_hash"
    else
      cluster+=$'\n'"  caFile: /etc/kubernetes/pki/ca.crt"
    fi
    template="k8sTags:
$(printf '%s\n' "$fb_labels" | sed 's/^/  /')
taints:
$(printf '%s\n' "$fb_taints" | sed 's/^/  /')"
    local f
    for f in ca.crt ca.key server.crt server.key token; do
      files+=$(fb_write_file "/etc/nodeboot-e2e/apiserver/$f" 0600 "$work/pki/$f")$'\n'
    done
    # kubeadm join refuses a node that already has the cluster CA (preflight FileAvailable);
    # the kubelet's TLS bootstrap needs it there (cluster.caFile).
    [ "$join" = kubeadm ] ||
      files+=$(fb_write_file /etc/kubernetes/pki/ca.crt 0644 "$work/pki/ca.crt")$'\n'
    if [ -n "${fb_kubeadm_version:-}" ]; then
      printf '%s\n' "$fb_kubeadm_version" >"$work/pki/kubeadm-version"
      files+=$(fb_write_file /etc/nodeboot-e2e/kubeadm-version 0644 "$work/pki/kubeadm-version")$'\n'
    fi
  fi
  fb_fill "$fb_here/user-data.yaml.in" "TASK_ID=$task_id" \
    "PRE_INSTALL=$(printf '%s\n' "$pre" | base64 -w0)" "POST_INSTALL=$(printf '%s\n' "$post" | base64 -w0)" \
    "MAX_PODS=$max_pods" "CLUSTER=$cluster" "NODE_TEMPLATE=$template" "FILES=$files" >"$work/seed/user-data"
  printf 'instance-id: %s\nlocal-hostname: worker-1\n' "$instance" >"$work/seed/meta-data"
  mformat -i "$work/seed.img" -C -T 2880 -h 2 -s 18 -v CIDATA :: >/dev/null
  mcopy -i "$work/seed.img" "$work/seed/user-data" "$work/seed/meta-data" ::
}

# fb_boot N: boots the node until it powers itself off; its collected state lands in
# $work/bootN/ (see guest/usr/local/lib/nodeboot-e2e/collect.sh). Prints the wall time.
fb_boot() {
  local n=$1 start rc=0
  start=$(date +%s)
  rm -rf "${work:?}/boot$n" "$work/boot$n.tar"
  mkdir -p "$work/boot$n"
  "$repo/scripts/vm/boot-image.sh" --root "$work/root.qcow2" --drive "$work/seed.img:nb-seed" \
    --drive "$work/data-a.img:5a2b3c4d1e2f4a5b8c9d" --drive "$work/data-b.img:6b3c4d5e2f304b6c9d0e" \
    --port "nodeboot.results=$work/boot$n.tar" --console "$work/boot$n/console.log" \
    --mem 1536 --timeout 900 || rc=$?
  echo "boot $n: $(($(date +%s) - start)) s wall (qemu start to power-off), exit $rc"
  if ! tar -C "$work/boot$n" -xf "$work/boot$n.tar" 2>/dev/null; then
    echo "boot $n: no results came back from the guest; console:"
    tail -n 80 "$work/boot$n/console.log"
    return 1
  fi
  python3 - "$work/boot$n" "$n" <<'PY' || true
import sys
d, n = sys.argv[1], sys.argv[2]
v = dict(l.strip().split("=", 1) for l in open(d + "/nodeboot-service.txt") if "=" in l)
up = float(open(d + "/uptime.txt").read().split()[0])
s, e = int(v["ExecMainStartTimestampMonotonic"]) / 1e6, int(v["ExecMainExitTimestampMonotonic"]) / 1e6
ready = int(v.get("ActiveEnterTimestampMonotonic") or 0) / 1e6
# Type=notify: active from READY=1 (storage done, before the join) until the process exits.
at_ready = f", READY at {ready:.1f} s" if v.get("Type") == "notify" and s <= ready <= e else ""
print(f"boot {n}: guest uptime: nodeboot.service ran {s:.1f}-{e:.1f} s ({e - s:.1f} s{at_ready}), "
      f"state collected at {up:.1f} s")
PY
}
