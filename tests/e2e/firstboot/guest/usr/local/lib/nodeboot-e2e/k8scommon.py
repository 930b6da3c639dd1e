"""Shared by the stand-in kubelet and kubeadm (/usr/bin/kubelet, /usr/bin/kubeadm): klog-style
logging, versions, Go durations, kubeconfig loading and a small API client. Test fixture only."""
import base64
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

E2E_ETC = "/etc/nodeboot-e2e"


def version_of(program):
    """The version this stand-in plays: /etc/nodeboot-e2e/<program>-version, default v1.31.4."""
    try:
        with open(os.path.join(E2E_ETC, program + "-version")) as f:
            v = f.read().strip()
            if v:
                return v
    except OSError:
        pass
    return "v1.31.4"


def parse_version(v):
    m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", v)
    if not m:
        raise ValueError(f"could not parse {v!r} as version")
    return tuple(int(x) for x in m.groups())


def klog(level, message, source="main.go:1"):
    """A klog header line, as the Kubernetes binaries print on stderr."""
    t = time.time()
    lt = time.localtime(t)
    stamp = time.strftime("%m%d %H:%M:%S", lt) + f".{int((t % 1) * 1e6):06d}"
    sys.stderr.write(f"{level}{stamp} {os.getpid():7d} {source}] {message}\n")
    sys.stderr.flush()


def go_duration(text):
    """Go's time.ParseDuration for the units configs use (h, m, s, ms): seconds as a float."""
    text = str(text).strip()
    if text in ("0", ""):
        return 0.0
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        if m.start() != pos:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise ValueError(f'time: invalid duration "{text}"')
    return total


def format_go_duration(seconds):
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


def socket_path(endpoint):
    return endpoint[len("unix://"):] if endpoint.startswith("unix://") else endpoint


def cri_answers(endpoint, timeout=10):
    """Does the container runtime answer on this endpoint? (`ctr version` from containerd's
    package: the same socket the CRI plugin serves.) Returns (ok, combined output)."""
    try:
        out = subprocess.run(["ctr", "--address", socket_path(endpoint), "--timeout", "5s", "version"],
                             capture_output=True, timeout=timeout)
        return out.returncode == 0, (out.stdout + out.stderr).decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)


class Kubeconfig:
    """The parts of a kubeconfig a client uses: server, CA, token or client certificate."""

    def __init__(self, path):
        self.path = path
        with open(path) as f:
            doc = yaml.safe_load(f) or {}
        contexts = {c["name"]: c.get("context") or {} for c in doc.get("contexts") or []}
        context = contexts.get(doc.get("current-context"), {})
        clusters = {c["name"]: c.get("cluster") or {} for c in doc.get("clusters") or []}
        users = {u["name"]: u.get("user") or {} for u in doc.get("users") or []}
        cluster = clusters.get(context.get("cluster"), {})
        user = users.get(context.get("user"), {})
        if not cluster:
            raise ValueError(f"invalid configuration: no configuration has been provided in {path}")
        self.server = cluster.get("server", "")
        self.ca_file = cluster.get("certificate-authority")
        ca_data = cluster.get("certificate-authority-data")
        self.ca_data = base64.b64decode(ca_data).decode() if ca_data else None
        self.token = user.get("token")
        self.client_cert = user.get("client-certificate")
        self.client_key = user.get("client-key")
        for f in (self.ca_file, self.client_cert, self.client_key):
            if f and not os.path.exists(f):
                raise ValueError(f"unable to read {f}: open {f}: no such file or directory")

    def client(self, agent):
        return ApiClient(self.server, agent, ca_file=self.ca_file, ca_data=self.ca_data,
                         token=self.token, cert=self.client_cert, key=self.client_key)


class ApiError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ApiClient:
    def __init__(self, server, agent, ca_file=None, ca_data=None, token=None, cert=None, key=None,
                 insecure=False, timeout=10):
        self.server, self.agent, self.token, self.timeout = server.rstrip("/"), agent, token, timeout
        if insecure:
            self.tls = ssl.create_default_context()
            self.tls.check_hostname = False
            self.tls.verify_mode = ssl.CERT_NONE
        else:
            self.tls = ssl.create_default_context(cafile=ca_file, cadata=ca_data)
        if cert:
            self.tls.load_cert_chain(cert, key or cert)

    def request(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        req.add_header("User-Agent", self.agent)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, context=self.tls, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get("message", "")
            except ValueError:
                message = ""
            raise ApiError(e.code, message or f"the server responded with the status code {e.code}")
        except (urllib.error.URLError, OSError, ssl.SSLError) as e:
            reason = getattr(e, "reason", e)
            raise ApiError(0, f'Get "{self.server}{path}": {reason}')


def write_file(path, content, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(content)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def kubeconfig_yaml(server, cluster_name, ca_file=None, ca_data=None, user_name="", user=None,
                    context_name="", namespace=None):
    """clientcmd.WriteToFile's layout (keys sorted, as client-go marshals)."""
    cluster = {"server": server}
    if ca_file:
        cluster["certificate-authority"] = ca_file
    if ca_data:
        cluster["certificate-authority-data"] = base64.b64encode(ca_data.encode()).decode()
    context = {"cluster": cluster_name, "user": user_name}
    if namespace:
        context["namespace"] = namespace
    doc = {"apiVersion": "v1",
           "clusters": [{"cluster": cluster, "name": cluster_name}],
           "contexts": [{"context": context, "name": context_name}],
           "current-context": context_name, "kind": "Config", "preferences": {},
           "users": [{"name": user_name, "user": user or {}}]}
    return yaml.safe_dump(doc, default_flow_style=False, sort_keys=True)
