#!/usr/bin/env python3
"""Benchmark of the log excerpt (issue #7): `nodeboot logs` against
`grep cloud-init FILE | tail -n 200` on a 1 GiB and a 4 GiB /var/log/messages.

    tests/bench/excerpt_bench.py [--nodeboot BUILD/agent/cli/nodeboot] [--sizes 1,4] [--runs 5]

Each file is generated in a temp dir - a 1 MiB block of syslog lines (a cloud-init line about
every 64 KiB among kernel, systemd and sshd lines) written over and over, then the last boot's
300 cloud-init and nodeboot lines - measured, and deleted. Both tools are measured with the
file in the page cache (warm) and evicted from it before every run (cold, with
posix_fadvise(DONTNEED), as for a big log on a node that has been up for a while).

Printed per file, cache state and tool: the median wall time of --runs runs (process start
included), the bytes read (nodeboot's own count from its stderr; grep reads the whole file by
construction), the peak RSS (GNU time's %M, the process tree's ru_maxrss) and the lines printed.
Targets: >= 50x faster than grep|tail at 1 GiB, flat in the file size, peak RSS under 16 MiB.
Not part of ctest: it writes 5 GiB.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1 << 20
GIB = 1 << 30


def make_block():
    lines = []
    size = 0
    i = 0
    while size < MIB - 256:
        if i % 500 == 0:
            line = f"Nov 21 03:{i % 60:02}:00 node-1 cloud-init[811]: util.py[DEBUG]: Read 2451 bytes from /etc/hosts\n"
        elif i % 3 == 0:
            line = f"Nov 21 03:{i % 60:02}:01 node-1 kernel: [{i:>8}.123456] IPVS: rr: TCP 10.96.0.1:443 - no destination available\n"
        elif i % 3 == 1:
            line = f"Nov 21 03:{i % 60:02}:02 node-1 systemd[1]: Started Session {i} of user root.\n"
        else:
            line = f"Nov 21 03:{i % 60:02}:03 node-1 sshd[{i}]: Accepted publickey for root from 10.0.0.5 port 5{i % 10000:04}\n"
        lines.append(line)
        size += len(line)
        i += 1
    block = "".join(lines).encode()
    return block + b"\n" * (MIB - len(block))


def make_tail():
    lines = []
    for i in range(300):
        lines.append(f"Nov 22 10:00:{i % 60:02} node-1 cloud-init[812]: running module step {i}\n")
        lines.append(f"Nov 22 10:00:{i % 60:02} node-1 kubelet[900]: I1122 unrelated kubelet line {i}\n")
        if i % 10 == 0:
            lines.append(f"Nov 22 10:00:{i % 60:02} node-1 nodeboot[1000]: phase storage: step {i}\n")
    return "".join(lines).encode()


def write_messages(path, size):
    block = make_block() * 64  # 64 MiB per write
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
        f.write(make_tail())


def evict(path):
    """Drops the file's pages from the page cache (they are clean: written and fsynced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(path):
    with open(path, "rb") as f:
        while f.read(64 * MIB):
            pass


def run(argv, shell):
    """Wall seconds, stdout, stderr and exit code of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    return time.perf_counter() - start, out, err, proc.returncode


def peak_rss_kib(argv, shell):
    """GNU time's %M: ru_maxrss from wait4, which covers the children a shell reaped. A child
    forked from this Python process would carry the interpreter's high-water mark instead."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    command = ["/usr/bin/time", "-f", "%M"] + (["/bin/sh", "-c", argv] if shell else argv)
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return int(result.stderr.strip().splitlines()[-1])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodeboot", default=os.path.join(here, "..", "..", "build", "agent", "cli", "nodeboot"))
    parser.add_argument("--sizes", default="1,4", help="file sizes in GiB")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write the files (default: $TMPDIR)")
    args = parser.parse_args()
    nodeboot = os.path.abspath(args.nodeboot)
    if not os.access(nodeboot, os.X_OK):
        sys.exit(f"excerpt_bench: no nodeboot binary at {nodeboot} (build it, or pass --nodeboot)")

    nb = "nodeboot logs"
    grep = "grep cloud-init | tail -n 200"
    rows = []
    results = {}
    for gib in [int(s) for s in args.sizes.split(",")]:
        root = tempfile.mkdtemp(prefix="nodeboot-bench-", dir=args.dir)
        try:
            messages = os.path.join(root, "var", "log", "messages")
            os.makedirs(os.path.dirname(messages))
            sys.stderr.write(f"writing {gib} GiB to {messages} ...\n")
            write_messages(messages, gib * GIB)
            file_bytes = os.path.getsize(messages)
            tools = [(nb, [nodeboot, "logs", "--root", root], False),
                     (grep, f"grep cloud-init '{messages}' | tail -n 200", True)]
            for cache in ("warm", "cold"):
                if cache == "warm":
                    warm(messages)
                for name, argv, shell in tools:
                    walls = []
                    for _ in range(args.runs):
                        if cache == "cold":
                            evict(messages)
                        wall, out, err, code = run(argv, shell)
                        if code != 0:
                            sys.exit(f"excerpt_bench: {name} exited with {code}: {err.decode()}")
                        walls.append(wall)
                    if name == nb:
                        match = re.search(rb"read (\d+) of (\d+) bytes", err)
                        read = int(match.group(1)) if match else None
                    else:
                        read = file_bytes  # grep reads it all
                    rss = peak_rss_kib(argv, shell)
                    wall = statistics.median(walls)
                    results[(gib, cache, name)] = (wall, read, rss)
                    rows.append((f"{gib} GiB", cache, name, wall * 1000, read,
                                 "n/a" if rss is None else f"{rss / 1024:.1f}", out.count(b"\n")))
        finally:
            shutil.rmtree(root, ignore_errors=True)

    print(f"{'file':<7} {'cache':<5} {'tool':<30} {'wall ms':>9} {'bytes read':>13} {'peak RSS MiB':>13} {'lines':>6}")
    for file, cache, name, wall_ms, read, rss, lines in rows:
        print(f"{file:<7} {cache:<5} {name:<30} {wall_ms:>9.1f} {read:>13} {rss:>13} {lines:>6}")

    sizes = sorted({gib for gib, _, _ in results})
    ok = True
    for cache in ("warm", "cold"):
        if 1 in sizes:
            speedup = results[(1, cache, grep)][0] / results[(1, cache, nb)][0]
            ok &= speedup >= 50
            print(f"speedup at 1 GiB, {cache} cache: {speedup:.0f}x (target >= 50x)")
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        for cache in ("warm", "cold"):
            growth = results[(big, cache, nb)][0] / results[(small, cache, nb)][0]
            same = results[(big, cache, nb)][1] == results[(small, cache, nb)][1]
            print(f"nodeboot logs at {big} GiB vs {small} GiB, {cache} cache: {growth:.2f}x the time, "
                  f"{'the same' if same else 'different'} bytes read (target: flat)")
            ok &= same
    peaks = [results[key][2] for key in results if key[2] == nb and results[key][2] is not None]
    if peaks:
        ok &= max(peaks) / 1024 < 16
        print(f"nodeboot logs peak RSS: {max(peaks) / 1024:.1f} MiB (target < 16 MiB)")
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
