#!/usr/bin/python3
"""Benchmark (prints figures, asserts nothing): what nodeboot costs a node, next to cloud-init.

    tests/bench/overhead.py [--nodeboot build-bench/agent/cli/nodeboot] [--runs 20] [--disks 16]
                            [--rusage build-bench/tests/bench/bench_rusage]
                            [--cache /var/cache/nodeboot-bench] [--no-cloud-init]

Needs root and the targets nodeboot and bench_rusage built (ninja -C build-bench nodeboot
bench_rusage). Measures, each --runs times after one warm-up run, as separate processes with
stdin/stdout/stderr on /dev/null:
  /bin/true                             the floor of the measurement itself
  nodeboot --version                    process start-up alone (no config, no work; `nodeboot
                                        version` also loads libcurl to print its version)
  nodeboot validate --config C          the whole config check of a 16-disk node
  nodeboot run --dry-run --root R       the whole run: config, identity, the four phases in
                                        dry-run mode (scripts written, 16 disks discovered and
                                        probed with libblkid, `lvm version` and
                                        `lvm fullreport` run for real, plan, join files)
  ... --skip storage, and the two lvm reads alone: where the dry run's time goes
  cloud-init --version                  Debian 12's cloud-init 22.4.2, on Debian's python3
  cloud-init schema --config-file U     the same node as cloud-config (disk_setup, fs_setup and
                                        mounts for 16 disks, write_files, runcmd)
and prints the median CPU (user + sys) and wall time and the largest peak RSS. bench_rusage
(tests/bench/rusage.cc) starts each process: "CPU total" is the process and every child it
waited for (wait4), "own CPU" the process alone (/proc/PID/schedstat, read while it is a
zombie), so the dry run's lvm processes count in the first and not in the second. Peak RSS is
ru_maxrss: the larger of the process's and its children's. (Not measured from Python: a
process spawned by Python inherits the interpreter's 13 MiB high-water mark in ru_maxrss.)

How the dry run sees 16 disks without 16 disks. `--root R` prefixes every host *file*
nodeboot reads (SPEC §1), so R/sys/block holds a fake sysfs: the root disk vda (with vda1
mounted on / in R/proc/self/mountinfo) and vdb..vdq with size, dev and serial. Device paths
stay real, as SPEC says: libblkid opens /dev/vdb itself. So the measurement runs in a private
mount namespace (`unshare --mount`) in which an overlay over /dev adds /dev/vdb..vdq as sparse
all-zero files (100 and 500 GiB): blank disks to nodeboot, invisible to the rest of the host,
gone when the namespace ends. Nothing is added to the product for this. Needs root.

cloud-init is NOT installed as a package (that would add boot-time units to this host): on
first use the script runs `apt-get download cloud-init` into --cache, unpacks it there with
`dpkg-deb -x`, and installs only the Python libraries it imports from Debian's archive
(`apt-get install --no-install-recommends python3-jsonschema python3-jinja2 ...`, printed
before it runs). cloud-init then runs as `/usr/bin/python3 CACHE/.../usr/bin/cloud-init` with
PYTHONPATH into the unpacked tree (Debian's python, not a pyenv one on PATH). One warm-up run
of each command precedes the measured ones (for cloud-init it writes the .pyc files that
Debian's postinst would have compiled).
"""

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOUD_INIT_PY_DEPS = ["python3-yaml", "python3-jsonschema", "python3-jinja2", "python3-configobj",
                      "python3-requests", "python3-jsonpatch", "python3-oauthlib",
                      "python3-netifaces", "python3-serial"]
GIB = 1 << 30
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
             "HOME": "/root"}

# The node: vdb, vdc are SSDs for vgpaas (runtime striped over both, kubernetes); vdd.. are
# SAS volumes for a striped user space at /data.
SSD_DISKS = 2


def disk_names(count):
    return ["vd" + chr(ord("b") + i) for i in range(count)]


def volume_id(i):
    return f"{0x5a2b3c00 + i:08x}-1e2f-4a5b-8c9d-0e1f2a3b4c{i:02x}"


def disk_size_gib(i):
    return 100 if i < SSD_DISKS else 500


def disk_type(i):
    return "SSD" if i < SSD_DISKS else "SAS"


PRE_INSTALL = """#!/bin/bash
# pre-install: kernel settings and a registry mirror before the runtime starts
set -euo pipefail
modprobe br_netfilter || true
cat > /etc/sysctl.d/90-node.conf <<'EOF'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
vm.max_map_count = 262144
fs.inotify.max_user_watches = 524288
EOF
sysctl --system >/dev/null
mkdir -p /etc/containerd/certs.d/registry.example.com
cat > /etc/containerd/certs.d/registry.example.com/hosts.toml <<'EOF'
server = "https://registry.example.com"
[host."https://mirror.example.com"]
  capabilities = ["pull", "resolve"]
EOF
echo "pre-install done on $(hostname)"
"""

POST_INSTALL = """#!/bin/bash
# post-install: node-local agents once the node has joined
set -euo pipefail
systemctl enable --now node-exporter.service || true
echo "post-install done on $(hostname)"
"""


def nodeboot_config(count):
    b64 = lambda text: base64.b64encode(text.encode()).decode()
    lines = [
        "node:", "  name: bench-node-16", "  instanceId: i-0bench16",
        "task:", "  id: task-4711", "  url: https://tasks.example.com/v1/tasks/task-4711/result",
        '  token: "bench-task-token-0123456789abcdef"', "  timeoutSeconds: 10", "  deliverySeconds: 300",
        "cluster:", "  join: kubeadm", "  apiServer: https://10.0.0.10:6443",
        "  caCertHash: sha256:" + "0123456789abcdef" * 4, "  bootstrapToken: abcdef.0123456789abcdef",
        "  criSocket: unix:///run/containerd/containerd.sock", "  readyTimeoutSeconds: 600",
        "disks:",
    ]
    for i in range(count):
        lines += [f"  - id: {volume_id(i)}", f"    volumetype: {disk_type(i)}", f"    size: {disk_size_gib(i)}"]
        if i < SSD_DISKS:
            lines += ['    encrypted: "1"', "    cmkid: 3c1b2a4d-0000-4000-8000-000000000001"]
    lines += [
        "scripts:", "  preInstallTimeoutSeconds: 900", "  postInstallTimeoutSeconds: 1800",
        "storage:", "  filesystem: ext4",
        "nodeTemplate:", "  flavor: c7.4xlarge.2", "  az: eu-de-01",
        "  os: Debian 12", "  runtime:", "    name: containerd",
        "  rootVolume:", "    volumetype: SSD", "    size: 50",
        "  dataVolumes:",
    ]
    for i in range(count):
        lines += [f"    - volumetype: {disk_type(i)}", f"      size: {disk_size_gib(i)}"]
        if i < SSD_DISKS:
            lines += ["      metadata:", '        __system__encrypted: "1"',
                      "        __system__cmkid: 3c1b2a4d-0000-4000-8000-000000000001"]
    lines += [
        "  k8sTags:", "    node.kubernetes.io/pool: storage-16", "    topology.kubernetes.io/zone: eu-de-01",
        "    team: data",
        "  taints:", "    - key: dedicated", "      value: storage", "      effect: NoSchedule",
        "  extendParam:", "    maxPods: 110",
        f"    alpha.cce/preInstall: {b64(PRE_INSTALL)}", f"    alpha.cce/postInstall: {b64(POST_INSTALL)}",
        "  storage:",
        "    storageSelectors:",
        "      - name: cceUse", "        storageType: evs", "        matchLabels:",
        "          volumeType: SSD", '          metadataEncrypted: "1"', f'          count: "{SSD_DISKS}"',
        "      - name: bulk", "        storageType: evs", "        matchLabels:", "          volumeType: SAS",
        "    storageGroups:",
        "      - name: vgpaas", "        cceManaged: true", "        selectorNames: [cceUse]",
        "        virtualSpaces:",
        "          - name: runtime", "            size: 90%", "            runtimeConfig:", "              lvType: striped",
        "          - name: kubernetes", "            size: 10%", "            lvmConfig:", "              lvType: linear",
        "      - name: vgdata", "        selectorNames: [bulk]", "        virtualSpaces:",
        "          - name: user", "            size: 100%", "            lvmConfig:",
        "              lvType: striped", "              path: /data",
    ]
    return "\n".join(lines) + "\n"


def cloud_config(count):
    """The same node as cloud-config: what cloud-init would be told to do without nodeboot."""
    names = disk_names(count)
    out = ["#cloud-config", "# The 16-disk node of nodeboot's config, expressed as cloud-config.", "disk_setup:"]
    for name in names:
        out += [f"  /dev/{name}:", "    table_type: gpt", "    layout: true", "    overwrite: false"]
    out += ["fs_setup:"]
    for i, name in enumerate(names):
        out += [f"  - label: data{i:02d}", "    filesystem: ext4", f"    device: /dev/{name}",
                "    partition: auto", "    overwrite: false"]
    out += ["mounts:"]
    for i, name in enumerate(names):
        out += [f'  - [/dev/{name}1, /mnt/disk{i:02d}, ext4, "defaults,nofail", "0", "2"]']
    out += ["mount_default_fields: [None, None, auto, \"defaults,nofail\", \"0\", \"2\"]",
            "write_files:",
            "  - path: /etc/kubernetes/kubeadm-join.yaml", "    owner: root:root", '    permissions: "0600"',
            "    content: |",
            "      apiVersion: kubeadm.k8s.io/v1beta3", "      kind: JoinConfiguration", "      discovery:",
            "        bootstrapToken:", "          apiServerEndpoint: 10.0.0.10:6443",
            "          token: abcdef.0123456789abcdef",
            "          caCertHashes: [sha256:" + "0123456789abcdef" * 4 + "]",
            "      nodeRegistration:", "        name: bench-node-16",
            "        criSocket: unix:///run/containerd/containerd.sock",
            "        taints: [{key: dedicated, value: storage, effect: NoSchedule}]",
            "        kubeletExtraArgs:",
            "          node-labels: node.kubernetes.io/pool=storage-16,topology.kubernetes.io/zone=eu-de-01,team=data",
            "          max-pods: \"110\"",
            "  - path: /usr/local/sbin/pre-install.sh", '    permissions: "0700"', "    encoding: b64",
            "    content: " + base64.b64encode(PRE_INSTALL.encode()).decode(),
            "  - path: /usr/local/sbin/post-install.sh", '    permissions: "0700"', "    encoding: b64",
            "    content: " + base64.b64encode(POST_INSTALL.encode()).decode(),
            "runcmd:",
            "  - [/usr/local/sbin/pre-install.sh]"]
    ssd = " ".join(f"/dev/{n}" for n in names[:SSD_DISKS])
    sas = " ".join(f"/dev/{n}" for n in names[SSD_DISKS:])
    for i, name in enumerate(names):
        out += [f"  - [umount, /mnt/disk{i:02d}]"]
    out += [f"  - [sh, -c, 'vgcreate --addtag nodeboot vgpaas {ssd}']",
            f"  - [lvcreate, --type, striped, --stripes, \"{SSD_DISKS}\", -l, 90%VG, -n, dockersys, vgpaas]",
            "  - [lvcreate, -l, 100%FREE, -n, kubernetes, vgpaas]",
            f"  - [sh, -c, 'vgcreate vgdata {sas}']",
            f"  - [lvcreate, --type, striped, --stripes, \"{count - SSD_DISKS}\", -l, 100%VG, -n, user, vgdata]",
            "  - [mkfs.ext4, /dev/vgpaas/dockersys]", "  - [mkfs.ext4, /dev/vgpaas/kubernetes]",
            "  - [mkfs.ext4, /dev/vgdata/user]",
            "  - [mkdir, -p, /var/lib/containerd, /mnt/paas/kubernetes/kubelet, /data]",
            "  - [sh, -c, 'echo /dev/mapper/vgpaas-dockersys /var/lib/containerd ext4 defaults 0 2 >> /etc/fstab']",
            "  - [sh, -c, 'echo /dev/mapper/vgpaas-kubernetes /mnt/paas/kubernetes/kubelet ext4 defaults 0 2 >> /etc/fstab']",
            "  - [sh, -c, 'echo /dev/mapper/vgdata-user /data ext4 defaults 0 2 >> /etc/fstab']",
            "  - [mount, -a]",
            "  - [kubeadm, join, --config, /etc/kubernetes/kubeadm-join.yaml]",
            "  - [/usr/local/sbin/post-install.sh]"]
    return "\n".join(out) + "\n"


def make_fake_root(root, count):
    """A --root whose sysfs shows the root disk vda and `count` blank data disks."""
    def write(rel, text):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    write("sys/block/vda/dev", "254:0\n")
    write("sys/block/vda/size", str(50 * GIB // 512) + "\n")
    write("sys/block/vda/vda1/partition", "1\n")
    write("sys/block/vda/vda1/dev", "254:1\n")
    os.makedirs(os.path.join(root, "sys/dev/block"), exist_ok=True)
    os.symlink("../../block/vda/vda1", os.path.join(root, "sys/dev/block/254:1"))
    os.symlink("../../block/vda", os.path.join(root, "sys/dev/block/254:0"))
    for i, name in enumerate(disk_names(count)):
        major, minor = 254, 16 * (i + 1)
        write(f"sys/block/{name}/dev", f"{major}:{minor}\n")
        write(f"sys/block/{name}/size", str(disk_size_gib(i) * GIB // 512) + "\n")
        write(f"sys/block/{name}/serial", volume_id(i).replace("-", "")[:20] + "\n")
        write(f"sys/block/{name}/ro", "0\n")
        write(f"sys/block/{name}/removable", "0\n")
        write(f"sys/block/{name}/queue/rotational", "0\n" if i < SSD_DISKS else "1\n")
        os.makedirs(os.path.join(root, f"sys/block/{name}/holders"), exist_ok=True)
        os.symlink(f"../../block/{name}", os.path.join(root, f"sys/dev/block/{major}:{minor}"))
    write("proc/self/mountinfo", "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                                 "23 22 0:21 / /proc rw,nosuid,nodev,noexec shared:2 - proc proc rw\n")
    write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n")
    write("etc/fstab", "/dev/vda1 / ext4 defaults 0 1\n")
    write("etc/nodeboot/config.yaml", nodeboot_config(count))


def add_disk_nodes(work, count):
    """In this (private) mount namespace: /dev gets vdb.. as sparse zero files, via an overlay."""
    over = os.path.join(work, "devoverlay")
    os.makedirs(over)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "nodeboot-bench", over], check=True)
    os.makedirs(os.path.join(over, "upper"))
    os.makedirs(os.path.join(over, "work"))
    subprocess.run(["mount", "-t", "overlay", "nodeboot-bench-dev", "-o",
                    f"lowerdir=/dev,upperdir={over}/upper,workdir={over}/work", "/dev"], check=True)
    for i, name in enumerate(disk_names(count)):
        with open(f"/dev/{name}", "wb") as f:
            f.truncate(disk_size_gib(i) * GIB)


def ensure_cloud_init(cache):
    """Unpacked Debian cloud-init under `cache`; its Python dependencies from Debian's apt."""
    tree = os.path.join(cache, "cloud-init-root")
    entry = os.path.join(tree, "usr/bin/cloud-init")
    if not os.path.exists(entry):
        os.makedirs(cache, exist_ok=True)
        print(f"# fetching cloud-init: apt-get download cloud-init (into {cache}), dpkg-deb -x", file=sys.stderr)
        subprocess.run(["apt-get", "download", "cloud-init"], cwd=cache, check=True, stdout=subprocess.DEVNULL)
        debs = sorted(f for f in os.listdir(cache) if f.startswith("cloud-init_") and f.endswith(".deb"))
        tmp = tree + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(cache, debs[-1]), tmp], check=True)
        os.rename(tmp, tree)
    missing = [p for p in CLOUD_INIT_PY_DEPS
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
               .stdout != "install ok installed"]
    if missing:
        print("# installing cloud-init's Python dependencies: apt-get install -y --no-install-recommends "
              + " ".join(missing), file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing, check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    env = dict(CLEAN_ENV, PYTHONPATH=os.path.join(tree, "usr/lib/python3/dist-packages"))
    version = subprocess.run(["/usr/bin/python3", entry, "--version"], env=env, capture_output=True, text=True)
    return ["/usr/bin/python3", entry], env, version.stdout.strip().split()[-1]


def measure(rusage, label, argv, env, runs):
    """Median CPU (total, own) and wall, largest peak RSS of `runs` runs after one warm-up."""
    out = subprocess.run([rusage, str(runs + 1), "--"] + argv, env=env, check=True, capture_output=True,
                         text=True).stdout
    samples = [line.split() for line in out.splitlines()][1:]  # the first run warms caches (.pyc files)
    column = lambda i: [float(s[i]) for s in samples]
    return {"label": label, "wall": statistics.median(column(0)), "cpu": statistics.median(column(1)),
            "own": statistics.median(column(2)), "rss": max(column(3)) / 1024,
            "exit": ",".join(sorted({s[4] for s in samples}))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodeboot", default=os.path.join(REPO, "build-bench/agent/cli/nodeboot"))
    parser.add_argument("--rusage", help="bench_rusage (default: beside --nodeboot's build tree)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--disks", type=int, default=16)
    parser.add_argument("--cache", default="/var/cache/nodeboot-bench")
    parser.add_argument("--no-cloud-init", action="store_true")
    parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    nodeboot = os.path.abspath(args.nodeboot)
    if not os.access(nodeboot, os.X_OK):
        sys.exit(f"no nodeboot binary at {nodeboot}: build it (ninja -C build-bench nodeboot) or pass --nodeboot")
    rusage = os.path.abspath(args.rusage or os.path.join(os.path.dirname(nodeboot), "../../tests/bench/bench_rusage"))
    if not os.access(rusage, os.X_OK):
        sys.exit(f"no bench_rusage at {rusage}: ninja -C build-bench bench_rusage, or pass --rusage")
    if not 4 <= args.disks <= 25:
        sys.exit("--disks: 4 to 25 (vdb..vdz; two SSDs for vgpaas, the rest striped for /data)")
    if os.geteuid() != 0:
        sys.exit("needs root: the dry run's disks are added to /dev inside a private mount namespace")

    cloud_init = None if args.no_cloud_init else ensure_cloud_init(args.cache)
    if not args.in_namespace:
        # Everything below runs in a private mount namespace, so /dev's extra files stay there.
        os.execv("/usr/bin/unshare", ["unshare", "--mount", "--propagation", "private", "--",
                                      "/usr/bin/python3", os.path.abspath(__file__), "--in-namespace"]
                 + sys.argv[1:])

    work = tempfile.mkdtemp(prefix="nodeboot-overhead.")
    try:
        root = os.path.join(work, "root")
        make_fake_root(root, args.disks)
        add_disk_nodes(work, args.disks)
        config = os.path.join(root, "etc/nodeboot/config.yaml")
        user_data = os.path.join(work, "user-data.yaml")
        with open(user_data, "w") as f:
            f.write(cloud_config(args.disks))

        # The join phase asks the node's kubeadm for its version even in a dry run (it picks the
        # kubeadm API); this host has none, so a stand-in that answers as kubeadm 1.31 does.
        bin_dir = os.path.join(work, "bin")
        os.makedirs(bin_dir)
        with open(os.path.join(bin_dir, "kubeadm"), "w") as f:
            f.write("#!/bin/sh\n[ \"$*\" = 'version -o short' ] && echo v1.31.4\n")
        os.chmod(os.path.join(bin_dir, "kubeadm"), 0o755)
        node_env = dict(CLEAN_ENV, PATH=bin_dir + ":" + CLEAN_ENV["PATH"])

        # The dry run must see every disk and plan both groups; say so before timing it.
        check = subprocess.run([nodeboot, "run", "--dry-run", "--root", root], env=node_env,
                               capture_output=True, text=True)
        vgcreates = [l for l in check.stdout.splitlines() if "would run: lvm vgcreate" in l]
        devices = sum(l.split(" --devices")[0].count(" /dev/") for l in vgcreates)
        print(f"dry run check: exit {check.returncode}, {len(check.stdout.splitlines())} lines of "
              f"'would ...', {len(vgcreates)} vgcreate over {devices} disks (expected {args.disks})")
        if check.returncode != 0 or devices != args.disks:
            print(check.stderr[-3000:], file=sys.stderr)
            sys.exit("the dry run did not see the disks; not measuring")

        dry_run = [nodeboot, "run", "--dry-run", "--root", root]
        rows = [
            measure(rusage, "/bin/true (the floor of this measurement)", ["/bin/true"], CLEAN_ENV, args.runs),
            measure(rusage, "nodeboot --version", [nodeboot, "--version"], CLEAN_ENV, args.runs),
            measure(rusage, "nodeboot validate", [nodeboot, "validate", "--config", config], CLEAN_ENV, args.runs),
            measure(rusage, f"nodeboot run --dry-run ({args.disks} disks)", dry_run, node_env, args.runs),
            measure(rusage, "  the same with --skip storage", dry_run + ["--skip", "storage"], node_env, args.runs),
            measure(rusage, "  its lvm version + lvm fullreport, alone", ["/bin/sh", "-c",
                    "lvm version >/dev/null 2>&1; lvm fullreport --reportformat json >/dev/null 2>&1"],
                    CLEAN_ENV, args.runs),
        ]
        sizes = f"config {os.path.getsize(config)} bytes"
        if cloud_init:
            argv, env, version = cloud_init
            check = subprocess.run(argv + ["schema", "--config-file", user_data], env=env, capture_output=True, text=True)
            print(f"cloud-init {version} schema check: exit {check.returncode}: "
                  f"{(check.stdout + check.stderr).strip().splitlines()[-1]}")
            rows.append(measure(rusage, f"cloud-init --version ({version})", argv + ["--version"], env, args.runs))
            rows.append(measure(rusage, "cloud-init schema --config-file USER-DATA",
                                argv + ["schema", "--config-file", user_data], env, args.runs))
            sizes += f", user-data {os.path.getsize(user_data)} bytes"

        print(f"\n{args.runs} runs each after one warm-up; medians of CPU and wall, largest peak RSS; {sizes}")
        print(f"{'command':<48} {'exit':>4} {'CPU total ms':>12} {'own CPU ms':>10} {'wall ms':>8} {'peak RSS MiB':>12}")
        for r in rows:
            print(f"{r['label']:<48} {r['exit']:>4} {r['cpu']:>12.1f} {r['own']:>10.1f} {r['wall']:>8.1f} {r['rss']:>12.1f}")
        storage = rows[3]["own"] - rows[4]["own"]
        print(f"\nthe dry run's storage phase: {storage:.1f} ms of nodeboot's own CPU, {storage / args.disks:.1f} ms per disk "
              f"(libblkid probes, 2 MiB zero check), plus {rows[3]['cpu'] - rows[3]['own']:.1f} ms in its 2 lvm processes")
        if cloud_init:
            schema = rows[-1]["cpu"]
            print(f"cloud-init schema CPU / nodeboot CPU:  validate {schema / rows[2]['own']:.0f}x,  "
                  f"run --dry-run own {schema / rows[3]['own']:.0f}x,  "
                  f"run --dry-run with its lvm children {schema / rows[3]['cpu']:.0f}x")
        print("targets: nodeboot's own CPU < 20 ms and peak RSS < 10 MiB per run; >= 20x less CPU than "
              "cloud-init's schema check")
    finally:
        subprocess.run(["umount", "/dev"], stderr=subprocess.DEVNULL)
        subprocess.run(["umount", os.path.join(work, "devoverlay")], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
