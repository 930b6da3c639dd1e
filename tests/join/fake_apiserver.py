#!/usr/bin/env python3
"""A fake Kubernetes API server for nodeboot's join tests, on 127.0.0.1.

    fake_apiserver.py --dir DIR [--port N] [--cert CERT --key KEY [--client-ca CA]]

It answers GET /api/v1/nodes/NAME with DIR/node.json (a Node object; NAME must be its
metadata.name, else 404) and a Ready condition decided by DIR/plan.json, both re-read on
every request so a test can change them while it runs. plan.json is a list of steps; Node
request n gets step n and the last step repeats; no file means [{"ready": true}]. A step is
  {"ready": true|false}                        the Node, Ready=True or Ready=False
  {"status": 429, "headers": {"Retry-After": "1"}}   an error Status with that code
GET /api/v1/namespaces/kube-system/configmaps/kubelet-config answers the ConfigMap with
DIR/kubelet-config.yaml as its data.kubelet (404 without the file).
Every request is appended to DIR/requests.jsonl before it is answered: {"time", "path",
"authorization", "clientCN"} (clientCN: the client certificate's subject CN, or null).
With --cert/--key it speaks TLS; with --client-ca it demands a client certificate signed by
that CA (asked for, not required, as kube-apiserver does). A request with neither a token nor a
client certificate gets 403, as system:anonymous would. DIR/port holds the port once it listens.
"""

import argparse
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import script_server  # noqa: E402  (tests/support/script_server.py)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca")
    args = parser.parse_args()

    lock = threading.Lock()
    state = {"count": 0}

    def read_json(name, default):
        try:
            with open(os.path.join(args.dir, name)) as f:
                return json.load(f)
        except FileNotFoundError:
            return default

    def client_cn(handler):
        try:
            cert = handler.connection.getpeercert()
        except (AttributeError, ValueError):
            return None
        for rdn in (cert or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def send_json(self, status, body, headers=None):
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            with lock:
                is_node = self.path.startswith("/api/v1/nodes/")
                index = state["count"]
                if is_node:
                    state["count"] += 1
                record = {"time": time.time(), "path": self.path,
                          "authorization": self.headers.get("Authorization"),
                          "clientCN": client_cn(self)}
                script_server.record_request(args.dir, record)
            if not record["authorization"] and not record["clientCN"]:
                self.send_json(403, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "reason": "Forbidden", "code": 403,
                                     "message": "forbidden: User \"system:anonymous\" cannot get path \"%s\""
                                                % self.path})
                return
            if self.path == "/api/v1/namespaces/kube-system/configmaps/kubelet-config":
                try:
                    with open(os.path.join(args.dir, "kubelet-config.yaml")) as f:
                        kubelet = f.read()
                except FileNotFoundError:
                    self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                         "reason": "NotFound", "code": 404,
                                         "message": "configmaps \"kubelet-config\" not found"})
                    return
                self.send_json(200, {"kind": "ConfigMap", "apiVersion": "v1",
                                     "metadata": {"name": "kubelet-config", "namespace": "kube-system"},
                                     "data": {"kubelet": kubelet}})
                return
            step = script_server.plan_step(args.dir, index, {"ready": True})
            node = read_json("node.json", {})
            name = node.get("metadata", {}).get("name")
            status = step.get("status", 200)
            if status == 200 and self.path != "/api/v1/nodes/%s" % name:
                status = 404
            if status != 200:
                self.send_json(status, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "message": step.get("message", "fake answer %d" % status),
                                        "code": status}, step.get("headers"))
                return
            ready = step.get("ready", True)
            not_ready = "container runtime network not ready: cni plugin not initialized"
            condition = {"type": "Ready", "status": "True" if ready else "False",
                         "reason": "KubeletReady" if ready else "KubeletNotReady",
                         "message": "kubelet is posting ready status" if ready else not_ready}
            node.setdefault("status", {})["conditions"] = [
                {"type": "MemoryPressure", "status": "False"}, condition]
            self.send_json(200, node)

        def log_message(self, *unused):
            pass  # requests.jsonl is the record

    script_server.serve(Handler, args.dir, args.port, args.cert, args.key, args.client_ca)


if __name__ == "__main__":
    main()
