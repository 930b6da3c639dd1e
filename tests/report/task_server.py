#!/usr/bin/env python3
"""A fake task service for nodeboot's integration tests, on 127.0.0.1.

    task_server.py --dir DIR [--port N] [--cert CERT --key KEY]

Writes DIR/port once it listens (port 0: any free port). Every request is appended to
DIR/requests.jsonl *before* it is answered, as {"time", "method", "path", "headers" (names
lower-cased), "body"}. The answers are switchable while it runs: DIR/plan.json, re-read on
every request, is a list of {"status", "headers", "body"}; request n gets entry n, the last
entry repeats, and no file means 200. With --cert/--key it speaks TLS.
"""

import argparse
import http.server
import json
import os
import ssl
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()

    lock = threading.Lock()
    state = {"count": 0}
    log_path = os.path.join(args.dir, "requests.jsonl")
    plan_path = os.path.join(args.dir, "plan.json")

    def answer_for(index):
        try:
            with open(plan_path) as f:
                plan = json.load(f)
        except FileNotFoundError:
            return {"status": 200}
        if not plan:
            return {"status": 200}
        return plan[min(index, len(plan) - 1)]

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            with lock:
                index = state["count"]
                state["count"] += 1
                record = {
                    "time": time.time(),
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                with open(log_path, "a") as f:
                    f.write(json.dumps(record) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            answer = answer_for(index)
            payload = answer.get("body", '{"ok":true}').encode()
            self.send_response(answer.get("status", 200))
            for name, value in answer.get("headers", {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = handle_any
        do_POST = handle_any

        def log_message(self, *unused):
            pass  # the request log is the record

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port_path = os.path.join(args.dir, "port")
    with open(port_path + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_path + ".tmp", port_path)
    server.serve_forever()


if __name__ == "__main__":
    main()
