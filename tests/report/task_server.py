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
    args = parser.parse_args()

    lock = threading.Lock()
    state = {"count": 0}

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
                script_server.record_request(args.dir, record)
            answer = script_server.plan_step(args.dir, index, {"status": 200})
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

    script_server.serve(Handler, args.dir, args.port, args.cert, args.key)


if __name__ == "__main__":
    main()
