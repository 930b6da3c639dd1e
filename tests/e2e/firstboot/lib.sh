# shellcheck shell=bash
# Shared by firstboot_test.sh and scripts/demo.sh (sourced): a node image with the .deb baked
# in, a node (root overlay, NoCloud seed, two blank data disks) and its boots.
# Needs: $repo (the repository root) and $work (a scratch directory that this code fills).
# shellcheck disable=SC2154 # $repo and $work are set by the sourcing script

fb_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fb_image DEB: builds (or finds) the node image for DEB with the e2e fixtures; prints its path.
fb_image() {
  rm -rf "${work:?}/overlay"
  mkdir -p "$work/overlay"
  cp -a "$fb_here/guest/." "$work/overlay/"
  cp "$repo/scripts/demo/task_service.py" "$work/overlay/usr/local/lib/nodeboot-e2e/task_service.py"
  "$repo/scripts/vm/build-image.sh" --deb "$1" --overlay "$work/overlay" \
    --enable nodeboot-e2e-tasks.service --enable nodeboot-e2e-collect.service
}

# fb_node IMAGE INSTANCE_ID TASK_ID PRE_SCRIPT POST_SCRIPT: a fresh node in $work: a qcow2 overlay
# of IMAGE as its root, two blank 2 GiB data disks, and a NoCloud seed (vfat, label CIDATA) with
# user-data.yaml.in filled in.
fb_node() {
  local image=$1 instance=$2 task_id=$3 pre=$4 post=$5
  rm -f "${work:?}/root.qcow2" "$work/data-a.img" "$work/data-b.img" "$work/seed.img"
  qemu-img create -q -f qcow2 -F raw -b "$image" "$work/root.qcow2"
  truncate -s 2G "$work/data-a.img" "$work/data-b.img"
  mkdir -p "$work/seed"
  sed -e "s|@TASK_ID@|$task_id|g" -e "s|@PRE_INSTALL@|$(printf '%s\n' "$pre" | base64 -w0)|" \
    -e "s|@POST_INSTALL@|$(printf '%s\n' "$post" | base64 -w0)|" \
    "$fb_here/user-data.yaml.in" >"$work/seed/user-data"
  printf 'instance-id: %s\nlocal-hostname: worker-1\n' "$instance" >"$work/seed/meta-data"
  mformat -i "$work/seed.img" -C -T 2880 -h 2 -s 18 -v CIDATA :: >/dev/null
  mcopy -i "$work/seed.img" "$work/seed/user-data" "$work/seed/meta-data" ::
}

# fb_boot N: boots the node until it powers itself off; its collected state lands in
# $work/bootN/ (see guest/usr/local/lib/nodeboot-e2e/collect.sh). Prints the wall time.
fb_boot() {
  local n=$1 start rc=0
  start=$(date +%s)
  rm -rf "${work:?}/boot$n" "$work/boot$n.tar"
  mkdir -p "$work/boot$n"
  "$repo/scripts/vm/boot-image.sh" --root "$work/root.qcow2" --drive "$work/seed.img:nb-seed" \
    --drive "$work/data-a.img:5a2b3c4d1e2f4a5b8c9d" --drive "$work/data-b.img:6b3c4d5e2f304b6c9d0e" \
    --port "nodeboot.results=$work/boot$n.tar" --console "$work/boot$n/console.log" \
    --mem 1536 --timeout 900 || rc=$?
  echo "boot $n: $(($(date +%s) - start)) s wall (qemu start to power-off), exit $rc"
  if ! tar -C "$work/boot$n" -xf "$work/boot$n.tar" 2>/dev/null; then
    echo "boot $n: no results came back from the guest; console:"
    tail -n 80 "$work/boot$n/console.log"
    return 1
  fi
  python3 - "$work/boot$n" "$n" <<'PY' || true
import sys
d, n = sys.argv[1], sys.argv[2]
v = dict(l.strip().split("=", 1) for l in open(d + "/nodeboot-service.txt") if "=" in l)
up = float(open(d + "/uptime.txt").read().split()[0])
s, e = int(v["ExecMainStartTimestampMonotonic"]) / 1e6, int(v["ExecMainExitTimestampMonotonic"]) / 1e6
print(f"boot {n}: guest uptime: nodeboot.service ran {s:.1f}-{e:.1f} s ({e - s:.1f} s), "
      f"state collected at {up:.1f} s")
PY
}
