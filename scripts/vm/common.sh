# shellcheck shell=bash
# Shared by the VM scripts (fetch-kernel.sh, run.sh, boot-image.sh, build-image.sh,
# mkinitramfs.sh; sourced, not executed): the kernel cache, the kernel both boots use, the common
# part of their qemu command line, the disk serial rule, and one die helper.
#
# The kernel cache lives in one stable place per machine and user:
#   $NODEBOOT_VM_CACHE if set, else /var/cache/nodeboot-vm for root,
#   else ${XDG_CACHE_HOME:-$HOME/.cache}/nodeboot-vm.
# Layout:
#   kernel-<pkg>/            the unpacked Debian kernel package (boot/, lib/modules/<ver>/)
#   kernel-<pkg>/.complete   written last; a directory without it is ignored
#   current -> kernel-<pkg>  the kernel run.sh boots
#   initramfs/<key>.cpio     cached initramfs images (key: kernel version + inputs' hash)

nb_vm_cache_dir() {
  if [ -n "${NODEBOOT_VM_CACHE:-}" ]; then
    printf '%s\n' "$NODEBOOT_VM_CACHE"
  elif [ "$(id -u)" -eq 0 ]; then
    printf '%s\n' /var/cache/nodeboot-vm
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/nodeboot-vm"
  fi
}

# Prints the kernel version found in an unpacked kernel directory (from boot/vmlinuz-*).
nb_vm_kernel_version() {
  local dir=$1 f
  for f in "$dir"/boot/vmlinuz-*; do
    [ -e "$f" ] || continue
    printf '%s\n' "${f##*/vmlinuz-}"
    return 0
  done
  return 1
}

# Writes DIR/boot/vmlinux-VER, the uncompressed ELF kernel inside the bzImage. qemu boots it
# through its PVH entry point, which skips the xz decompression (about 4 s under TCG).
nb_vm_extract_vmlinux() {
  local dir=$1 ver=$2 img off tmpf
  img="$dir/boot/vmlinuz-$ver"
  tmpf="$dir/boot/.vmlinux-$ver.$$"
  # shellcheck disable=SC2013 # one offset per line
  for off in $(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$img" | cut -d: -f1); do
    # xz complains about the bytes after the stream; what counts is an ELF image came out.
    tail -c "+$((off + 1))" "$img" | xz -dc >"$tmpf" 2>/dev/null || true
    if [ "$(od -An -tx1 -N4 "$tmpf" | tr -d ' ')" = 7f454c46 ]; then
      mv -f "$tmpf" "$dir/boot/vmlinux-$ver"
      return 0
    fi
  done
  rm -f "$tmpf"
  return 1
}

nb_vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# nb_die PROG CODE MESSAGE...: prints "PROG: MESSAGE" on stderr and exits with CODE. Each script
# wraps it as its own die() (run.sh and boot-image.sh exit 125, the others 1).
nb_die() {
  local prog=$1 code=$2
  shift 2
  printf '%s: %s\n' "$prog" "$*" >&2
  exit "$code"
}

# nb_vm_kernel_dir FETCH_FAILED_MESSAGE: sets cache (nb_vm_cache_dir), kdir (the unpacked kernel
# that cache/current points at) and kver, running fetch-kernel.sh first when the cache has no
# complete kernel. Dies (the caller's die) with FETCH_FAILED_MESSAGE when fetch-kernel.sh fails,
# with "no kernel in KDIR" when KDIR has no vmlinuz.
# shellcheck disable=SC2034 # cache, kdir, kver are the caller's
nb_vm_kernel_dir() {
  cache=$(nb_vm_cache_dir)
  if [ ! -f "$cache/current/.complete" ]; then
    "$nb_vm_dir/fetch-kernel.sh" >&2 || die "$1"
  fi
  kdir=$(readlink -f "$cache/current")
  kver=$(nb_vm_kernel_version "$kdir") || die "no kernel in $kdir"
}

# nb_vm_boot_kernel: sets kernel, the image to boot of kdir/kver (nb_vm_kernel_dir): the extracted
# vmlinux (extracted now if it is not there yet), else the bzImage, about 4 s slower under TCG.
# shellcheck disable=SC2034 # kernel is the caller's
nb_vm_boot_kernel() {
  kernel="$kdir/boot/vmlinux-$kver"
  if [ ! -f "$kernel" ] && ! nb_vm_extract_vmlinux "$kdir" "$kver" 2>/dev/null; then
    kernel="$kdir/boot/vmlinuz-$kver" # cannot unpack it here: boot the bzImage
  fi
}

# The kernel command line's options that both boots share; each adds its own around them
# (console=ttyS0 first; run.sh's `quiet` must come before loglevel=3, which lowers the console
# log level that quiet sets). cryptomgr.notests skips the crypto self-tests (0.5 s under TCG);
# tsc=reliable keeps the clocksource watchdog from dropping to the slow HPET when the host is
# loaded.
# shellcheck disable=SC2034 # used by run.sh and boot-image.sh
nb_vm_kernel_options="loglevel=3 panic=-1 cryptomgr.notests tsc=reliable 8250.nr_uarts=1"
nb_vm_kernel_options+=" i8042.noaux i8042.nokbd random.trust_cpu=on"

# nb_vm_qemu MEM KERNEL INITRD CMDLINE CONSOLE_LOG: sets qemu, the start of both boots' qemu
# command: the machine (pc, TCG with a thread per vCPU, 2 vCPUs, MEM MB, no display, no reboot:
# the guest's power-off ends qemu), the kernel, initramfs and command line, and the console
# (ttyS0) written to CONSOLE_LOG. The caller adds its devices.
# shellcheck disable=SC2034 # qemu is the caller's
nb_vm_qemu() {
  # shellcheck disable=SC2054 # commas are qemu's
  qemu=(qemu-system-x86_64 -nodefaults -no-user-config -machine pc
    -accel tcg,thread=multi -cpu max -smp 2 -m "$1"
    -display none -no-reboot
    -kernel "$2" -initrd "$3" -append "$4"
    -serial "file:$5")
}

# nb_vm_qemu_port ID NAME FILE: adds to qemu a virtio-serial port on the controller vser (the
# caller adds `-device virtio-serial-pci,id=vser` before): /dev/virtio-ports/NAME in the guest,
# whatever the guest writes to it appended to FILE (synchronously under TCG).
nb_vm_qemu_port() {
  qemu+=(-chardev "file,id=$1,path=$3,append=on"
    -device "virtserialport,bus=vser.0,chardev=$1,name=$2")
}

# nb_vm_qemu_disk ID FILE FORMAT DEVICE: adds to qemu the drive ID, FILE as FORMAT (raw, qcow2),
# its writes not flushed to the host's disk (the VM is thrown away) and discards passed down to
# FILE, then DEVICE, the guest's device for it (its drive=ID).
nb_vm_qemu_disk() {
  qemu+=(-drive "file=$2,if=none,id=$1,format=$3,cache=unsafe,discard=unmap" -device "$4")
}

# nb_vm_valid_serial SERIAL [MIN MAX]: whether SERIAL is MIN to MAX (default 0 to 20: a
# virtio-blk serial, none when empty) of A-Z a-z 0-9 . _ -.
nb_vm_valid_serial() {
  local re="^[A-Za-z0-9._-]{${2:-0},${3:-20}}\$"
  [[ $1 =~ $re ]]
}
