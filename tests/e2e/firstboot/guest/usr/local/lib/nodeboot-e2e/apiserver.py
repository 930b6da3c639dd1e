#!/usr/bin/env python3
"""The first-boot e2e's test API server: https://127.0.0.1:6443 inside the guest.

It answers what a node's join asks of a kubeadm-built control plane, with the same
authentication and authorization a real one applies to a joining node:

  GET  /api/v1/namespaces/kube-public/configmaps/cluster-info     anonymous (kubeadm discovery);
       data.kubeconfig with the CA, and the bootstrap signer's jws-kubeconfig-<token id>
  GET  /api/v1/namespaces/kube-system/configmaps/kubeadm-config   bootstrap token or a node
  GET  /api/v1/namespaces/kube-system/configmaps/kubelet-config   bootstrap token or a node
  GET  /api/v1/namespaces/kube-system/configmaps/kube-proxy       404 (no kube-proxy add-on)
  POST/GET /apis/certificates.k8s.io/v1/certificatesigningrequests[/NAME]
       bootstrap token (system:node-bootstrapper) or a node; a kubelet client CSR
       (O=system:nodes, CN=system:node:NAME, signer kube-apiserver-client-kubelet) is approved
       and signed with the CA key a moment later, as kube-controller-manager's csrapproving and
       csrsigning controllers do; any other CSR stays pending
  GET  /api/v1/nodes/NAME                                          bootstrap token (kubeadm's
       kubeadm:get-nodes role) or that node's client certificate (NodeRestriction)
  POST /api/v1/nodes, PATCH/PUT /api/v1/nodes/NAME[/status]        that node's client certificate
  GET/POST/PUT coordination.k8s.io/v1 kube-node-lease leases       that node's client certificate

Objects persist under the state directory, so the cluster still knows the Node after the node
reboots. Every request is appended to the request log as one JSON line: time, boot id, method,
path, who (anonymous | bootstrap-token | x509:CN | invalid-token), status and user agent -
never a token value.

  apiserver.py PKI_DIR STATE_DIR REQUEST_LOG

PKI_DIR holds ca.crt, ca.key, server.crt, server.key, token (the bootstrap token, one line) and
optionally kubelet-config.yaml (the cluster's KubeletConfiguration; default: kubeadm's).
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import re
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PKI, STATE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
SERVER = "https://127.0.0.1:6443"
LOCK = threading.RLock()
BOOT_ID = open("/proc/sys/kernel/random/boot_id").read().strip()


def read(path):
    with open(path) as f:
        return f.read()


TOKEN = read(os.path.join(PKI, "token")).strip()
TOKEN_ID, TOKEN_SECRET = TOKEN.split(".", 1)
CA_PEM = read(os.path.join(PKI, "ca.crt"))

# What `kubeadm init` (v1.31) uploads; the test may replace the kubelet's part.
KUBELET_CONFIG = """apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
"""
if os.path.exists(os.path.join(PKI, "kubelet-config.yaml")):
    KUBELET_CONFIG = read(os.path.join(PKI, "kubelet-config.yaml"))

CLUSTER_CONFIGURATION = """apiServer: {}
apiVersion: kubeadm.k8s.io/v1beta4
caCertificateValidityPeriod: 87600h0m0s
certificateValidityPeriod: 8760h0m0s
certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controlPlaneEndpoint: 127.0.0.1:6443
controllerManager: {}
dns: {}
encryptionAlgorithm: RSA-2048
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler: {}
"""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def detached_jws(content, token_id, secret):
    """The bootstrap signer's signature of cluster-info (compact JWS, HS256, payload detached)."""
    header = b64url(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    payload = b64url(content.encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}..{b64url(sig)}"


def cluster_info():
    kubeconfig = (
        "apiVersion: v1\nclusters:\n- cluster:\n"
        f"    certificate-authority-data: {base64.b64encode(CA_PEM.encode()).decode()}\n"
        f"    server: {SERVER}\n"
        '  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n'
    )
    return configmap("kube-public", "cluster-info", {
        "kubeconfig": kubeconfig,
        f"jws-kubeconfig-{TOKEN_ID}": detached_jws(kubeconfig, TOKEN_ID, TOKEN_SECRET),
    })


def configmap(namespace, name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "uid": uid(namespace + name),
                         "resourceVersion": "1"},
            "data": data}


def uid(seed=None):
    h = hashlib.sha256((seed or str(random.random())).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def status(code, reason, message, kind=None, name=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if kind:
        body["details"] = {"name": name, "kind": kind}
    return code, body


# --- object store: kind -> name -> object, persisted as STATE/kind/name.json -------------------
class Store:
    def __init__(self, root):
        self.root = root
        self.objects = {}
        self.version = 1
        for kind in ("nodes", "certificatesigningrequests", "leases"):
            os.makedirs(os.path.join(root, kind), exist_ok=True)
            self.objects[kind] = {}
            for f in os.listdir(os.path.join(root, kind)):
                if f.endswith(".json"):
                    obj = json.loads(read(os.path.join(root, kind, f)))
                    self.objects[kind][obj["metadata"]["name"]] = obj
                    self.version = max(self.version, int(obj["metadata"].get("resourceVersion", 1)))

    def get(self, kind, name):
        with LOCK:
            obj = self.objects[kind].get(name)
            return json.loads(json.dumps(obj)) if obj else None

    def put(self, kind, obj):
        with LOCK:
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)
            name = obj["metadata"]["name"]
            self.objects[kind][name] = obj
            path = os.path.join(self.root, kind, name + ".json")
            with open(path + ".tmp", "w") as f:
                json.dump(obj, f, indent=1, sort_keys=True)
            os.replace(path + ".tmp", path)
            return json.loads(json.dumps(obj))


STORE = Store(STATE)


def merge_patch(target, patch, strategic):
    """JSON merge patch (RFC 7386); strategic: lists of conditions/addresses merge by key."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif strategic and key in ("conditions", "addresses") and isinstance(value, list):
            merge_key = "type"
            merged = list(target.get(key) or [])
            for item in value:
                for i, old in enumerate(merged):
                    if old.get(merge_key) == item.get(merge_key) and (
                            key != "addresses" or old.get("address") == item.get("address")):
                        merged[i] = merge_patch(old, item, strategic)
                        break
                else:
                    merged.append(item)
            target[key] = merged
        else:
            target[key] = merge_patch(target.get(key), value, strategic)
    return target


# --- CSR approval and signing (kube-controller-manager's csrapproving + csrsigning) -------------
def csr_subject(pem):
    out = subprocess.run(["openssl", "req", "-noout", "-subject", "-nameopt", "RFC2253"],
                         input=pem.encode(), capture_output=True, timeout=30)
    if out.returncode:
        return None
    subject = out.stdout.decode().strip().removeprefix("subject=")
    parts = {}
    for rdn in subject.split(","):
        if "=" in rdn:
            k, v = rdn.split("=", 1)
            parts.setdefault(k.strip(), []).append(v.strip())
    return parts


def approve_and_sign(name):
    time.sleep(1)  # the controllers see the new CSR through their informers a moment later
    csr = STORE.get("certificatesigningrequests", name)
    spec = csr["spec"]
    pem = base64.b64decode(spec["request"]).decode()
    subject = csr_subject(pem) or {}
    cn, org = (subject.get("CN") or [""])[0], subject.get("O") or []
    usages = set(spec.get("usages") or [])
    requester = spec.get("username", "")
    is_kubelet_client = (
        spec.get("signerName") == "kubernetes.io/kube-apiserver-client-kubelet"
        and cn.startswith("system:node:") and org == ["system:nodes"]
        and usages <= {"digital signature", "key encipherment", "client auth"}
        and "client auth" in usages)
    self_renewal = requester == cn
    bootstrap = "system:bootstrappers" in (spec.get("groups") or [])
    if not (is_kubelet_client and (bootstrap or self_renewal)):
        return  # no approver for it: it stays pending, as in a real cluster
    csr["status"] = {"conditions": [{
        "type": "Approved", "status": "True", "reason": "AutoApproved",
        "message": "Auto approving kubelet client certificate after SubjectAccessReview.",
        "lastUpdateTime": now(), "lastTransitionTime": now()}]}
    STORE.put("certificatesigningrequests", csr)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "req.pem"), "w") as f:
            f.write(pem)
        with open(os.path.join(tmp, "ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature"
                    + (",keyEncipherment" if "key encipherment" in usages else "")
                    + "\nextendedKeyUsage=clientAuth\n")
        out = subprocess.run(
            ["openssl", "x509", "-req", "-in", os.path.join(tmp, "req.pem"),
             "-CA", os.path.join(PKI, "ca.crt"), "-CAkey", os.path.join(PKI, "ca.key"),
             "-set_serial", str(random.getrandbits(63)), "-days", "365", "-sha256",
             "-extfile", os.path.join(tmp, "ext"), "-out", os.path.join(tmp, "cert.pem")],
            capture_output=True, timeout=60)
        if out.returncode:
            csr["status"]["conditions"].append({
                "type": "Failed", "status": "True", "reason": "SignerFailed",
                "message": out.stderr.decode()[-300:], "lastUpdateTime": now()})
        else:
            csr["status"]["certificate"] = base64.b64encode(
                read(os.path.join(tmp, "cert.pem")).encode()).decode()
    STORE.put("certificatesigningrequests", csr)


def random_suffix():
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))


# --- request handling ---------------------------------------------------------------------------
NODE_PATH = re.compile(r"^/api/v1/nodes/([^/]+)(/status)?$")
CSR_PATH = re.compile(r"^/apis/certificates\.k8s\.io/v1/certificatesigningrequests(?:/([^/]+))?$")
LEASE_PATH = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/kube-node-lease/leases(?:/([^/]+))?$")
CM_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps/([^/]+)$")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def who(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return "bootstrap-token" if hmac.compare_digest(auth[7:].strip(), TOKEN) else "invalid-token"
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        return "x509:" + value
        return "anonymous"

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        entry = {"t": now(), "boot": BOOT_ID, "method": self.command, "path": self.path,
                 "who": self._who, "status": code, "agent": self.headers.get("User-Agent", "")}
        with LOCK, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def handle_any(self):
        self._who = self.who()
        try:
            code, obj = self.route(urllib.parse.urlsplit(self.path).path)
        except Exception as e:  # a bug here must show up as a 500, not a hang
            code, obj = status(500, "InternalError", f"{type(e).__name__}: {e}")
        self.reply(code, obj)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def route(self, path):
        who, method = self._who, self.command
        if who == "invalid-token":
            return status(401, "Unauthorized", "Unauthorized")
        bootstrap = who == "bootstrap-token"
        node = who[len("x509:system:node:"):] if who.startswith("x509:system:node:") else None
        authenticated = bootstrap or node is not None

        m = CM_PATH.match(path)
        if m and method == "GET":
            ns, name = m.groups()
            if (ns, name) == ("kube-public", "cluster-info"):
                return 200, cluster_info()
            if ns == "kube-system" and name in ("kubeadm-config", "kubelet-config", "kube-proxy"):
                if not authenticated:
                    return forbidden(who, "get", "configmaps", name)
                if name == "kubeadm-config":
                    return 200, configmap(ns, name, {"ClusterConfiguration": CLUSTER_CONFIGURATION})
                if name == "kubelet-config":
                    return 200, configmap(ns, name, {"kubelet": KUBELET_CONFIG})
            return status(404, "NotFound", f'configmaps "{name}" not found', "configmaps", name)

        if path == "/api/v1/nodes" and method == "POST":
            obj = self.body()
            name = obj.get("metadata", {}).get("name", "")
            if node is None or node != name:
                return forbidden(who, "create", "nodes", name)
            if STORE.get("nodes", name):
                return status(409, "AlreadyExists", f'nodes "{name}" already exists', "nodes", name)
            obj["metadata"].update({"uid": uid(), "creationTimestamp": now()})
            return 201, STORE.put("nodes", obj)

        m = NODE_PATH.match(path)
        if m:
            name, sub = m.groups()
            if method == "GET" and (bootstrap or node == name):
                obj = STORE.get("nodes", name)
                return (200, obj) if obj else status(404, "NotFound", f'nodes "{name}" not found',
                                                     "nodes", name)
            if method in ("PATCH", "PUT") and node == name:
                obj = STORE.get("nodes", name)
                if not obj:
                    return status(404, "NotFound", f'nodes "{name}" not found', "nodes", name)
                patch = self.body()
                if method == "PUT":
                    if sub:
                        obj["status"] = patch.get("status", {})
                    else:
                        obj.update({k: v for k, v in patch.items() if k != "status"})
                else:
                    strategic = "strategic" in self.headers.get("Content-Type", "")
                    obj = merge_patch(obj, patch, strategic)
                return 200, STORE.put("nodes", obj)
            return forbidden(who, method.lower(), "nodes", name)

        m = CSR_PATH.match(path)
        if m:
            name = m.group(1)
            if not authenticated:
                return forbidden(who, method.lower(), "certificatesigningrequests", name or "")
            if method == "POST" and not name:
                obj = self.body()
                meta = obj.setdefault("metadata", {})
                meta["name"] = meta.get("name") or meta.get("generateName", "csr-") + random_suffix()
                meta.update({"uid": uid(), "creationTimestamp": now()})
                obj["spec"]["username"] = "system:bootstrap:" + TOKEN_ID if bootstrap else who[5:]
                obj["spec"]["groups"] = (["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token",
                                          "system:authenticated"] if bootstrap
                                         else ["system:nodes", "system:authenticated"])
                obj["status"] = {}
                created = STORE.put("certificatesigningrequests", obj)
                threading.Thread(target=approve_and_sign, args=(meta["name"],), daemon=True).start()
                return 201, created
            if method == "GET" and name:
                obj = STORE.get("certificatesigningrequests", name)
                return (200, obj) if obj else status(404, "NotFound",
                                                     f'certificatesigningrequests.certificates.k8s.io "{name}" not found')
            return status(405, "MethodNotAllowed", "the server does not allow this method")

        m = LEASE_PATH.match(path)
        if m:
            name = m.group(1)
            if node is None:
                return forbidden(who, method.lower(), "leases", name or "")
            if method == "GET" and name:
                obj = STORE.get("leases", name)
                return (200, obj) if obj else status(404, "NotFound",
                                                     f'leases.coordination.k8s.io "{name}" not found')
            if method == "POST" and not name:
                obj = self.body()
                if obj["metadata"]["name"] != node:
                    return forbidden(who, "create", "leases", obj["metadata"]["name"])
                if STORE.get("leases", node):
                    return status(409, "AlreadyExists", f'leases.coordination.k8s.io "{node}" already exists')
                return 201, STORE.put("leases", obj)
            if method == "PUT" and name == node:
                if not STORE.get("leases", node):
                    return status(404, "NotFound", f'leases.coordination.k8s.io "{node}" not found')
                return 200, STORE.put("leases", self.body())
            return forbidden(who, method.lower(), "leases", name or "")

        return status(404, "NotFound", "the server could not find the requested resource")

    def log_message(self, *args):
        pass


def forbidden(who, verb, resource, name):
    user = {"anonymous": "system:anonymous", "bootstrap-token": "system:bootstrap:" + TOKEN_ID}.get(
        who, who.removeprefix("x509:"))
    return status(403, "Forbidden",
                  f'{resource} "{name}" is forbidden: User "{user}" cannot {verb} resource '
                  f'"{resource}" in API group "" at the cluster scope')


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 6443), Handler)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(os.path.join(PKI, "server.crt"), os.path.join(PKI, "server.key"))
        self.tls.verify_mode = ssl.CERT_OPTIONAL  # client certificates are one way to log in
        self.tls.load_verify_locations(os.path.join(PKI, "ca.crt"))

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the request's own thread, so a slow client holds up no other.
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def sd_notify(message):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(address)
        s.sendall(message.encode())


if __name__ == "__main__":
    server = Server()
    sd_notify("READY=1")
    server.serve_forever()
