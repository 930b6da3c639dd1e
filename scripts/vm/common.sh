# shellcheck shell=bash
# Shared by fetch-kernel.sh and run.sh (sourced, not executed).
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
