#!/usr/bin/env bash
# Boots a node image (scripts/vm/build-image.sh) with systemd as init in the VM harness's qemu,
# and waits until the guest powers off.
#
#   scripts/vm/boot-image.sh --root FILE [--drive FILE[:SERIAL]]... [--port NAME=FILE]...
#                            [--mem MB] [--timeout S] [--console FILE]
#
# --root FILE: the root disk (raw, or qcow2 by its .qcow2 name: give each test its own qcow2
#   overlay of the cached image, `qemu-img create -f qcow2 -F raw -b IMAGE FILE`), attached
#   first (/dev/vda, serial nb-root). It is written to: boot it again for a reboot.
# --drive FILE[:SERIAL]: more disks, /dev/vdb, /dev/vdc, ... in order (a NoCloud seed, data
#   disks). Files, not sizes: they outlive the boot so that a second boot sees the same disks.
# --port NAME=FILE: a virtio-serial port; in the guest /dev/virtio-ports/NAME, whatever the
#   guest writes to it is appended to FILE (synchronously under TCG, complete at power-off).
# --console FILE: keep the console log (kernel and systemd's boot messages) there.
# Exit status: 0 the guest powered off; 124 timeout (qemu killed); 125 qemu failed or usage.
# The console's last lines are printed on stderr when the exit status is not 0.
# Same kernel, machine and TCG settings as run.sh (common.sh); no 9p share, no job: the image's
# systemd runs whatever the image and its seed say, and the guest powers itself off.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/common.sh
. "$here/common.sh"

die() { nb_die boot-image.sh 125 "$@"; }

root='' drives=() ports=() mem=1536 timeout_s=900 console=''
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || die "missing value for $1"
  case $1 in
    --root) root=$2 ;;
    --drive) drives+=("$2") ;;
    --port) ports+=("$2") ;;
    --mem) mem=$2 ;;
    --timeout) timeout_s=$2 ;;
    --console) console=$2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
  shift 2
done
[ -f "$root" ] || die "no root disk '$root'"
{ [[ $mem =~ ^[0-9]+$ ]] && [[ $timeout_s =~ ^[0-9]+$ ]]; } || die "bad --mem or --timeout"

nb_vm_kernel_dir "no kernel"
nb_vm_boot_kernel
initrd=$("$here/mkinitramfs.sh" "$kdir" "$kver" "$cache" "$here/init-image") ||
  die "cannot build the initramfs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-boot.XXXXXX")
qpid=''
# shellcheck disable=SC2317 # called from traps
cleanup() {
  [ -z "$qpid" ] || kill -TERM "$qpid" 2>/dev/null || true
  [ -z "$qpid" ] || wait "$qpid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'trap - INT TERM HUP; echo "boot-image.sh: interrupted" >&2; exit 130' INT
trap 'trap - INT TERM HUP; echo "boot-image.sh: interrupted" >&2; exit 143' TERM
trap 'trap - INT TERM HUP; exit 129' HUP

fmt_of() { case $1 in *.qcow2) echo qcow2 ;; *) echo raw ;; esac; }

# systemd's status lines on the console; the kernel itself quiet. nb.root: see init-image. The
# machine, the kernel options and the console as run.sh's (common.sh).
nb_vm_qemu "$mem" "$kernel" "$initrd" \
  "console=ttyS0 $nb_vm_kernel_options nb.root=nb-root systemd.show_status=yes" "$tmp/console.log"
# shellcheck disable=SC2054 # commas are qemu's
qemu+=(-device virtio-serial-pci,id=vser)
nb_vm_qemu_disk d0 "$root" "$(fmt_of "$root")" virtio-blk-pci,drive=d0,serial=nb-root
i=1
for d in "${drives[@]}"; do
  file=${d%%:*} serial=
  [[ $d != *:* ]] || serial=${d#*:}
  [ -f "$file" ] || die "no disk file '$file'"
  nb_vm_valid_serial "$serial" || die "bad serial '$serial'"
  dev="virtio-blk-pci,drive=d$i"
  [ -z "$serial" ] || dev+=",serial=$serial"
  nb_vm_qemu_disk "d$i" "$file" "$(fmt_of "$file")" "$dev"
  i=$((i + 1))
done
i=0
for p in "${ports[@]}"; do
  name=${p%%=*} file=${p#*=}
  { [[ $p == *=* ]] && [ -n "$name" ] && [ -n "$file" ]; } || die "bad --port '$p' (NAME=FILE)"
  : >>"$file"
  nb_vm_qemu_port "port$i" "$name" "$file"
  i=$((i + 1))
done

timeout -s TERM -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!
rc=0
wait "$qpid" || rc=$?
qpid=''
[ -z "$console" ] || cp "$tmp/console.log" "$console" 2>/dev/null || true
if [ "$rc" -ne 0 ]; then
  if [ "$rc" -eq 124 ]; then
    printf 'boot-image.sh: timed out after %s s; the VM was stopped\n' "$timeout_s" >&2
  else
    printf 'boot-image.sh: qemu exited %s\n' "$rc" >&2
    tail -n 20 "$tmp/qemu.log" >&2
    rc=125
  fi
  printf -- '--- console (last 60 lines):\n' >&2
  tail -n 60 "$tmp/console.log" >&2
fi
exit "$rc"
