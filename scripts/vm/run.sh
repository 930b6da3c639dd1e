#!/usr/bin/env bash
# Runs a command as root inside a throw-away VM with a real kernel (device-mapper, LVM, ext4, xfs).
#
#   scripts/vm/run.sh [--disk SIZE[:SERIAL]]... [--scsi SIZE:SERIAL[:WWN]]... [--nvme SIZE:SERIAL]...
#                     [--opt-io-size BYTES] [--mem MB] [--timeout S] -- COMMAND [ARG...]
#
# The VM boots Debian's kernel (fetched by fetch-kernel.sh) under qemu TCG with a busybox
# initramfs (mkinitramfs.sh, cached), sees the host root read-only over 9p under an overlay with a
# tmpfs upper layer (writes stay in the VM), and runs COMMAND chrooted there, in the host's
# current directory, with the host's environment. Each disk is a sparse raw file: --disk attaches
# it as virtio-blk with that serial (/dev/vda, /dev/vdb, ... in order), --scsi as a scsi-hd on one
# virtio-scsi controller (/dev/sda, ...; serial in VPD page 0x80, WWN as an NAA designator in page
# 0x83), --nvme as an NVMe controller with one namespace (/dev/nvme0n1, ...). --opt-io-size sets
# the optimal I/O size the disk given just before it reports. COMMAND's stdout and stderr come
# back on this script's stdout and stderr; its exit code is this script's exit code.
# Exit codes of the harness itself: 124 timeout (30 s before it, the guest prints what each
# process is doing to stderr and stops the job), 125 the VM failed (usage error, boot failure, no
# exit status came back); the console log is then shown on stderr.
# See scripts/vm/README.md.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/common.sh
. "$here/common.sh"

die() { nb_die run.sh 125 "$@"; }
usage() {
  sed -n 's/^#   \(scripts\/vm\/run.sh.*\)/usage: \1/p' "${BASH_SOURCE[0]}" >&2
  exit 125
}

# One entry per disk, in the order given: its bus (virtio, scsi, nvme), size, serial, WWN and
# optimal I/O size ('' when unset).
disk_buses=()
disk_sizes=()
disk_serials=()
disk_wwns=()
disk_opt_io=()
mem=1024
timeout_s=300
add_disk() { # BUS SIZE SERIAL WWN
  [[ $2 =~ ^[0-9]+[KMGT]?$ ]] || die "bad disk size '$2' (e.g. 1G, 512M)"
  disk_buses+=("$1")
  disk_sizes+=("$2")
  disk_serials+=("$3")
  disk_wwns+=("$4")
  disk_opt_io+=("")
}
while [ "$#" -gt 0 ]; do
  case $1 in
    --disk | --scsi | --nvme | --opt-io-size | --mem | --timeout)
      [ "$#" -ge 2 ] || usage
      opt=$1 val=$2
      shift 2
      ;;
    --disk=* | --scsi=* | --nvme=* | --opt-io-size=* | --mem=* | --timeout=*)
      opt=${1%%=*} val=${1#*=}
      shift
      ;;
    --)
      shift
      break
      ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  case $opt in
    --disk)
      size=${val%%:*} serial=
      [[ $val != *:* ]] || serial=${val#*:}
      nb_vm_valid_serial "$serial" ||
        die "bad disk serial '$serial' (at most 20 of A-Z a-z 0-9 . _ -)"
      add_disk virtio "$size" "$serial" ''
      ;;
    --scsi)
      IFS=: read -r size serial wwn extra <<<"$val"
      [ -z "$extra" ] || die "bad --scsi '$val' (SIZE:SERIAL[:WWN])"
      # qemu puts at most 36 characters into VPD page 0x80 (and newer qemu refuses longer ones).
      nb_vm_valid_serial "$serial" 1 36 ||
        die "bad scsi serial '$serial' (1 to 36 of A-Z a-z 0-9 . _ -)"
      wwn=${wwn#0x}
      [[ $wwn =~ ^([0-9A-Fa-f]{16})?$ ]] || die "bad scsi WWN '$wwn' (16 hex digits, e.g. 5000c500a1b2c3d4)"
      add_disk scsi "$size" "$serial" "$wwn"
      ;;
    --nvme)
      IFS=: read -r size serial extra <<<"$val"
      [ -z "$extra" ] || die "bad --nvme '$val' (SIZE:SERIAL)"
      # The controller's serial number is a 20-byte field; qemu needs one and would cut it.
      nb_vm_valid_serial "$serial" 1 20 ||
        die "bad nvme serial '$serial' (1 to 20 of A-Z a-z 0-9 . _ -)"
      add_disk nvme "$size" "$serial" ''
      ;;
    --opt-io-size)
      [ "${#disk_sizes[@]}" -gt 0 ] || die "--opt-io-size applies to the disk before it: give a disk first"
      # qemu 7.2's nvme takes opt_io_size but the guest still sees one logical block.
      [ "${disk_buses[-1]}" != nvme ] || die "--opt-io-size: qemu's nvme does not report it to the guest"
      if ! [[ $val =~ ^[0-9]+$ ]] || [ "$val" -eq 0 ] || [ $((val % 512)) -ne 0 ]; then
        die "bad --opt-io-size '$val' (bytes, a multiple of 512)"
      fi
      disk_opt_io[${#disk_opt_io[@]} - 1]=$val
      ;;
    --mem)
      if ! [[ $val =~ ^[0-9]+$ ]] || [ "$val" -lt 128 ]; then
        die "bad --mem '$val' (MB, >= 128)"
      fi
      mem=$val
      ;;
    --timeout)
      if ! [[ $val =~ ^[0-9]+$ ]] || [ "$val" -eq 0 ]; then
        die "bad --timeout '$val' (seconds)"
      fi
      timeout_s=$val
      ;;
  esac
done
[ "$#" -ge 1 ] || usage
count_bus() { # BUS -> how many disks are on it
  local b n=0
  for b in "${disk_buses[@]}"; do
    [ "$b" != "$1" ] || n=$((n + 1))
  done
  echo "$n"
}
n_virtio=$(count_bus virtio) n_scsi=$(count_bus scsi) n_nvme=$(count_bus nvme)
[ "$n_virtio" -le 26 ] || die "at most 26 --disk disks"
[ "$n_scsi" -le 26 ] || die "at most 26 --scsi disks"
[ "$n_nvme" -le 8 ] || die "at most 8 --nvme disks"

# --- kernel -----------------------------------------------------------------------------------
nb_vm_kernel_dir "no kernel: scripts/vm/fetch-kernel.sh failed"
[ -d "$kdir/lib/modules/$kver" ] || die "no modules in $kdir"
nb_vm_boot_kernel

# --- per-run temp dir and cleanup ---------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-vm.XXXXXX")
qpid='' tpids=()
# shellcheck disable=SC2317 # called from traps
cleanup() {
  local p
  for p in $qpid "${tpids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in $qpid "${tpids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
# shellcheck disable=SC2317 # called from traps
on_signal() {
  trap - INT TERM HUP
  printf 'run.sh: interrupted, stopping the VM\n' >&2
  exit "$1" # the EXIT trap stops qemu and removes the temp dir
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
[[ $tmp != *,* ]] || die "temp dir '$tmp' contains a comma, which qemu cannot take (set TMPDIR)"
[[ $cache != *,* ]] || die "cache dir '$cache' contains a comma, which qemu cannot take"

# --- initramfs (built once, cached) ------------------------------------------------------------
initrd=$("$here/mkinitramfs.sh" "$kdir" "$kver" "$cache") || die "cannot build the initramfs"

# --- the job: parameters for init, and the script run in the VM ---------------------------------
mkdir "$tmp/job"
{
  printf 'NB_VIRTIO_DISKS=%s\n' "$n_virtio"
  printf 'NB_SCSI_DISKS=%s\n' "$n_scsi"
  printf 'NB_NVME_DISKS=%s\n' "$n_nvme"
  printf 'NB_MODULES_DIR=%q\n' "$kdir/lib/modules/$kver"
  printf 'NB_9P_CACHE=%q\n' "${NODEBOOT_VM_9P_CACHE:-loose}"
  # The guest's watchdog describes a stuck job 30 s before qemu is killed (a boot takes 5 to 20 s
  # under TCG); with less than a minute there is no time for it.
  if [ "$timeout_s" -ge 60 ]; then
    printf 'NB_JOB_SECONDS=%s\n' $((timeout_s - 30))
  else
    printf 'NB_JOB_SECONDS=%s\n' "$timeout_s"
  fi
} >"$tmp/job/params"
{
  printf '# generated by scripts/vm/run.sh\n'
  while IFS= read -r name; do
    case $name in
      PWD | OLDPWD | SHLVL | _ | BASH_* | BASHOPTS | SHELLOPTS) continue ;;
    esac
    printf 'export %s=%q\n' "$name" "${!name}"
  done < <(compgen -e)
  # shellcheck disable=SC2016 # expanded in the VM
  printf '[ -z "${TMPDIR:-}" ] || mkdir -p -- "$TMPDIR" 2>/dev/null || true\n'
  printf 'cd -- %q 2>/dev/null || cd /\n' "$PWD"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$tmp/job/job.sh"

# --- qemu --------------------------------------------------------------------------------------
# Kernel console on ttyS0 (a log file, shown only when the VM fails), quiet; the machine, the
# kernel options and the console as boot-image.sh's (common.sh).
nb_vm_qemu "$mem" "$kernel" "$initrd" "console=ttyS0 quiet $nb_vm_kernel_options" "$tmp/console.log"
# shellcheck disable=SC2054 # commas are qemu's
qemu+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$tmp/job,mount_tag=nodeboot-job,security_model=none,readonly=on"
  -device virtio-serial-pci,id=vser)
for ch in stdout stderr status; do
  : >"$tmp/$ch"
  nb_vm_qemu_port "nb$ch" "nodeboot.$ch" "$tmp/$ch"
done
# Each disk's drive, then its device. SCSI disks share one virtio-scsi controller, each its own
# target (scsi-id) with LUN 0; each NVMe disk is a controller whose drive is namespace 1.
[ "$n_scsi" -eq 0 ] || qemu+=(-device "virtio-scsi-pci,id=scsi0")
target=0
for i in "${!disk_sizes[@]}"; do
  truncate -s "${disk_sizes[$i]}" "$tmp/disk$i.img"
  serial=${disk_serials[$i]}
  case ${disk_buses[$i]} in
    virtio)
      dev="virtio-blk-pci,drive=d$i"
      [ -z "$serial" ] || dev+=",serial=$serial"
      ;;
    scsi)
      # device_id (the vendor-specific designator of page 0x83) spelled out as qemu 7.2 derives
      # it from the serial, because newer qemu refuses a serial over 20 characters without it.
      dev="scsi-hd,bus=scsi0.0,channel=0,scsi-id=$target,lun=0,drive=d$i"
      dev+=",serial=$serial,device_id=${serial:0:20}"
      [ -z "${disk_wwns[$i]}" ] || dev+=",wwn=0x${disk_wwns[$i]}"
      target=$((target + 1))
      ;;
    nvme)
      dev="nvme,drive=d$i,serial=$serial"
      ;;
  esac
  [ -z "${disk_opt_io[$i]}" ] || dev+=",opt_io_size=${disk_opt_io[$i]}"
  nb_vm_qemu_disk "d$i" "$tmp/disk$i.img" raw "$dev"
done

# timeout runs qemu in its own process group; TERM to it reaches qemu (KILL 10 s later).
timeout -s TERM -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!
# The guest's writes land in plain files (synchronously under TCG); tail streams them out and
# stops once qemu is gone and the files are drained.
tail -q -s 0.1 -c +1 -f --pid="$qpid" "$tmp/stdout" &
tpids+=("$!")
tail -q -s 0.1 -c +1 -f --pid="$qpid" "$tmp/stderr" >&2 &
tpids+=("$!")

qrc=0
wait "$qpid" || qrc=$?
qpid=''
for p in "${tpids[@]}"; do
  wait "$p" || true
done
tpids=()

if [ -n "${NODEBOOT_VM_CONSOLE:-}" ]; then
  cp "$tmp/console.log" "$NODEBOOT_VM_CONSOLE" || true
fi
rc=$(sed -n 's/^rc=\([0-9][0-9]*\)$/\1/p' "$tmp/status" | tail -n1)
if grep -qx 'timeout=1' "$tmp/status"; then
  printf 'run.sh: timed out after %s s; the job was stopped (what it was doing is above)\n' "$timeout_s" >&2
  exit 124
fi
if [ -n "$rc" ]; then
  exit "$rc"
fi
if [ "$qrc" -eq 124 ]; then
  {
    printf 'run.sh: timed out after %s s; the VM was stopped\n' "$timeout_s"
    printf -- '--- console (last 40 lines):\n'
    tail -n 40 "$tmp/console.log"
  } >&2
  exit 124
fi
{
  printf 'run.sh: the VM returned no exit status (qemu exited %s)\n' "$qrc"
  printf -- '--- qemu output:\n'
  tail -n 20 "$tmp/qemu.log"
  printf -- '--- console (last 40 lines):\n'
  tail -n 40 "$tmp/console.log"
} >&2
exit 125
