#!/usr/bin/env bash
# shellcheck disable=SC2016 # the guest script and the expected lines are literal on purpose
# Tests the VM harness itself (scripts/vm/run.sh), from the host: exit codes, stdout/stderr,
# environment, working directory, argument quoting, disks and serials on each bus (virtio-blk,
# virtio-scsi, NVMe) and their usage errors, module auto-loading, loopback, isolation of guest
# writes, --timeout (qemu's and the guest watchdog's) and SIGTERM. Five boots.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$(cd "$here/../.." && pwd)/scripts/vm/run.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/nb-harness-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck source=tests/support/check.sh
. "$here/../support/check.sh"
has_line() { grep -qxF -- "$2" "$1"; }
not() { ! "$@"; }

# 1. One boot with many checks; the command prints key=value lines and exits 0.
marker="/etc/nodeboot-harness-test.$$"
rm -f "$marker"
guest_script='
set -u
echo "pwd=$PWD"
echo "env=$NB_HARNESS_VAR"
printf "args="; printf "[%s]" "$@"; echo
echo "uid=$(id -u)"
echo "procsub=$(cat <(echo yes))"
echo written >'"$marker"' && echo "etc=$(cat '"$marker"')"
echo "vda=$(cat /sys/block/vda/serial) $(cat /sys/block/vda/size)"
echo "vdb=[$(cat /sys/block/vdb/serial)] $(cat /sys/block/vdb/size)"
echo "sda=$(tail -c +5 /sys/block/sda/device/vpd_pg80) $(cat /sys/block/sda/device/wwid) $(cat /sys/block/sda/queue/optimal_io_size)"
echo "nvme0n1=[$(cat /sys/block/nvme0n1/device/serial)] $(cut -d- -f1 /sys/block/nvme0n1/wwid) $(cat /sys/block/nvme0n1/nsid)"
echo "vda-opt-io=$(cat /sys/block/vda/queue/optimal_io_size)"
mkfs.xfs -q /dev/vdb && mkdir -p /mnt/x && mount /dev/vdb /mnt/x && echo "xfs=mounted" && umount /mnt/x
python3 - <<EOF
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def serve():
    c, _ = srv.accept(); c.sendall(b"pong"); c.close()
threading.Thread(target=serve).start()
cli = socket.create_connection(srv.getsockname()); print("loopback=" + cli.recv(4).decode())
EOF
echo "to-stderr" >&2
'
cd "$here"
rc=0
NB_HARNESS_VAR='a b$c' "$run" --disk 64M:nb-first --opt-io-size 4194304 --disk 512M \
  --scsi 64M:3f6d1c2a-9b8e-4d7f-a1c2-b3d4e5f60718:5000c500a1b2c3d4 --opt-io-size 1048576 --nvme 64M:nb-nvme -- \
  bash -c "$guest_script" guest 'x y' "q'uote" '' '*' >"$work/out1" 2>"$work/err1" || rc=$?
check "exit code 0" [ "$rc" = 0 ]
check "cwd is the host's" has_line "$work/out1" "pwd=$here"
check "environment passed" has_line "$work/out1" 'env=a b$c'
check "arguments quoted" has_line "$work/out1" "args=[x y][q'uote][][*]"
check "runs as root" has_line "$work/out1" "uid=0"
check "/dev/fd works" has_line "$work/out1" "procsub=yes"
check "/etc writable in the guest" has_line "$work/out1" "etc=written"
check "guest write did not reach the host" [ ! -e "$marker" ]
check "first disk is vda with its serial" has_line "$work/out1" "vda=nb-first 131072"
check "second disk is vdb, no serial" has_line "$work/out1" "vdb=[] 1048576"
check "optimal I/O size of a virtio disk" has_line "$work/out1" "vda-opt-io=4194304"
check "scsi disk: serial, WWN, optimal I/O size" has_line "$work/out1" \
  "sda=3f6d1c2a-9b8e-4d7f-a1c2-b3d4e5f60718 naa.5000c500a1b2c3d4 1048576"
check "nvme disk: padded serial, wwid, namespace 1" has_line "$work/out1" \
  "nvme0n1=[nb-nvme             ] nvme.1b36 1"
check "xfs auto-loads and mounts" has_line "$work/out1" "xfs=mounted"
check "loopback works" has_line "$work/out1" "loopback=pong"
check "stderr kept apart" has_line "$work/err1" "to-stderr"
check "stdout has no stderr" not grep -q to-stderr "$work/out1"
check "no kernel noise in stdout" not grep -qE '^\[ *[0-9]+\.[0-9]+\]' "$work/out1" "$work/err1"
if [ "$fails" -gt 0 ]; then
  printf -- '--- stdout:\n'
  cat "$work/out1"
  printf -- '--- stderr:\n'
  cat "$work/err1"
fi

# Usage errors stop before the boot, with 125.
for bad in "--scsi 1G" "--scsi 1G:abc:123" "--scsi 1G:0123456789012345678901234567890123456" \
  "--nvme 1G:012345678901234567890" "--nvme 1G:x --opt-io-size 4096" "--opt-io-size 4096 --disk 1G" \
  "--disk 1G --opt-io-size 1000"; do
  rc=0
  # shellcheck disable=SC2086 # word splitting intended
  "$run" $bad -- true >/dev/null 2>"$work/err-usage" || rc=$?
  check "usage error: $bad" [ "$rc" = 125 ]
done

# 2. Exit code and a large output stream, intact up to its last byte (no newline at the end).
rc=0
"$run" -- sh -c 'seq 1 200000; printf end; exit 7' >"$work/out2" 2>"$work/err2" || rc=$?
check "exit code 7 propagated" [ "$rc" = 7 ]
check "large stdout intact" cmp -s "$work/out2" <(seq 1 200000; printf end)

# 3. --timeout gives 124, and in time.
start=$SECONDS
rc=0
"$run" --timeout 8 -- sleep 600 >"$work/out3" 2>"$work/err3" || rc=$?
check "timeout gives 124" [ "$rc" = 124 ]
check "timeout is prompt" [ $((SECONDS - start)) -lt 30 ]

# 3b. A job still running 30 s before the timeout: the guest says what each process is doing
# (here: sleep, asleep in the kernel), then the job stops with 124, before qemu would be killed.
start=$SECONDS
rc=0
"$run" --timeout 60 -- bash -c 'echo started; sleep 600' >"$work/out3b" 2>"$work/err3b" || rc=$?
check "stuck job gives 124" [ "$rc" = 124 ]
check "its output so far is kept" grep -qx started "$work/out3b"
check "the stuck process is named" grep -qE '^pid [0-9]+ S wchan=[a-z_]+ sleep 600 $' "$work/err3b"
check "the harness says it timed out" grep -q 'run.sh: timed out after 60 s; the job was stopped' "$work/err3b"
check "stopped by the guest, before qemu's kill" [ $((SECONDS - start)) -lt 55 ]

# 4. SIGTERM stops the VM and removes the temp files: sent once the job runs (it says so).
mkdir "$work/t4"
TMPDIR="$work/t4" "$run" --disk 1G -- sh -c 'echo started; sleep 600' >"$work/out4" 2>"$work/err4" &
pid=$!
for _ in $(seq 1 1200); do
  ! grep -qx started "$work/out4" 2>/dev/null || break
  sleep 0.1
done
check "the job runs before the signal" grep -qx started "$work/out4"
rc=0
kill -TERM "$pid"
wait "$pid" || rc=$?
check "SIGTERM gives 143" [ "$rc" = 143 ]
check "temp dir removed" [ -z "$(ls -A "$work/t4")" ]

check_summary
