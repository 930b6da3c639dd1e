"""The Python end of tests/support/script_server.h, shared by the test servers it starts
(tests/report/task_server.py, tests/join/fake_apiserver.py): where a server says it listens,
how it records a request, how it picks its switchable answer, and TLS.
"""

import http.server
import json
import os
import ssl


def plan_step(directory, index, default):
    """Entry `index` of DIR/plan.json (re-read on every request, so a test can swap it while the
    server runs); the last entry repeats; no file or an empty list means `default`."""
    try:
        with open(os.path.join(directory, "plan.json")) as f:
            plan = json.load(f)
    except FileNotFoundError:
        return default
    return plan[min(index, len(plan) - 1)] if plan else default


def record_request(directory, record):
    """Appends `record` to DIR/requests.jsonl, durably, before the request is answered (the
    caller holds its lock, so lines never interleave)."""
    with open(os.path.join(directory, "requests.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def serve(handler, directory, port, cert=None, key=None, client_ca=None):
    """Listens on 127.0.0.1:port (0: any free port), over TLS with cert/key; with client_ca a
    client certificate is asked for, not required (as kube-apiserver does, since a bootstrap
    token authenticates without one). DIR/port holds the port, written by one rename, once the
    socket listens; then it serves until killed."""
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    if cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if client_ca:
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(client_ca)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port_path = os.path.join(directory, "port")
    with open(port_path + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_path + ".tmp", port_path)
    server.serve_forever()
