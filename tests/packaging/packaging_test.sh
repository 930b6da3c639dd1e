#!/usr/bin/env bash
# ctest packaging_deb: builds the .deb from the build tree BUILD_DIR into OUT_DIR with
# scripts/package.sh (which fails unless lintian and systemd-analyze verify are clean), then
# checks what the package holds.
#   tests/packaging/packaging_test.sh BUILD_DIR OUT_DIR NODEBOOT_BIN
set -euo pipefail
build_dir=$1 out=$2 nodeboot=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/support/check.sh
. "$repo/tests/support/check.sh"

start=$(date +%s)
deb=$("$repo/scripts/package.sh" --build-dir "$build_dir" --out "$out" | tail -n1) ||
  { echo "FAIL scripts/package.sh (lintian, systemd-analyze verify or cpack): see above"; exit 1; }
ok "scripts/package.sh: built $deb, lintian and systemd-analyze verify clean ($(($(date +%s) - start)) s)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nodeboot-pkgtest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | sed 's|^\(.\)[^ ]* |\1 |' >"$tmp/contents"
for f in ./usr/bin/nodeboot ./lib/systemd/system/nodeboot.service \
  ./lib/systemd/system/nodeboot-report.service ./lib/systemd/system/nodeboot-report.timer \
  ./usr/share/nodeboot/errors.yaml ./etc/nodeboot/config.yaml.example \
  ./usr/share/doc/nodeboot/examples/user-data.yaml ./usr/share/doc/nodeboot/copyright \
  ./usr/share/doc/nodeboot/changelog.gz ./usr/share/man/man1/nodeboot.1.gz \
  ./etc/logrotate.d/nodeboot ./usr/lib/tmpfiles.d/nodeboot.conf; do
  check "contains $f (root:root)" grep -qx -- "- root/root $f" "$tmp/contents"
done
dpkg-deb -c "$deb" >"$tmp/contents.long"
check "/usr/bin/nodeboot is 0755" grep -q '^-rwxr-xr-x .* ./usr/bin/nodeboot$' "$tmp/contents.long"
check "does not ship /etc/nodeboot/config.yaml (its presence starts the unit)" \
  bash -c "! grep -q ' ./etc/nodeboot/config.yaml$' '$tmp/contents'"
check "one errors.yaml" test "$(grep -c 'errors.yaml$' "$tmp/contents")" -eq 1

dpkg-deb -e "$deb" "$tmp/control"
check "the example config is a conffile" grep -qx /etc/nodeboot/config.yaml.example "$tmp/control/conffiles"
check "the logrotate file is a conffile" grep -qx /etc/logrotate.d/nodeboot "$tmp/control/conffiles"
for s in postinst prerm postrm; do
  check "$s is executable and sh -n clean" bash -c "test -x '$tmp/control/$s' && sh -n '$tmp/control/$s'"
done
# Issue 18.5: purge removes the files that hold secrets, and keeps state.json (a reinstall must
# not run the install scripts again) and the kubelet's files.
# shellcheck disable=SC2016 # a literal '$1' in the sed address, matched in postrm
postrm_purge=$(sed -n '/^if \[ "$1" = "purge" \]/,/^fi/p' "$tmp/control/postrm")
for f in /etc/nodeboot/config.yaml /var/lib/nodeboot/outbox /var/log/nodeboot /etc/kubernetes/nodeboot-join.yaml \
  /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/nodeboot-patches; do
  check "postrm purge removes $f" grep -q -- " $f\( \|\$\)" <<<"$postrm_purge"
done
for f in state.json /etc/kubernetes/kubelet.conf kubelet-config.yaml 10-nodeboot.conf /var/lib/kubelet /etc/fstab config.yaml.example; do
  check "postrm purge keeps $f" bash -c "! grep -q -- '$f' <<<'$postrm_purge'"
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in e2fsprogs xfsprogs libcurl4 libsystemd0 libc6; do
  check "Depends names $d" grep -q "\\b$d" <<<"$depends"
done
check "Depends names lvm2 (>= 2.03.12) (the first lvm with --devices)" grep -q 'lvm2 (>= 2.03.12)' <<<"$depends"
# The parsers of untrusted input are shared, so that Debian's security updates reach them
# (README "Start-up"); found by dpkg-shlibdeps.
for d in libyaml-cpp0.7 libblkid1 libstdc++6; do
  check "Depends names $d (shared: security updates)" grep -q "\\b$d" <<<"$depends"
done
# The rest is linked in; libcurl and libsystemd are loaded with dlopen (start-up cost, README).
for d in libfmt libspdlog libboost-filesystem libcurl4-openssl-dev libsystemd-dev; do
  check "Depends does not name $d (linked in)" bash -c "! grep -q '\\b$d' <<<'$depends'"
done
check "Section admin" test "$(dpkg-deb -f "$deb" Section)" = admin

dpkg-deb -x "$deb" "$tmp/root"
copyright=$tmp/root/usr/share/doc/nodeboot/copyright
check "copyright: the licenses of the code linked in (BSL-1.0, MIT, BSD-3-clause) and libblkid's LGPL" \
  bash -c "grep -qx 'License: nodeboot and BSL-1.0 and MIT and BSD-3-clause' '$copyright' && grep -q 'LGPL-2.1+' '$copyright'"
check "the binary needs glibc, libstdc++, yaml-cpp and libblkid; not libcurl or libsystemd (dlopen)" \
  test "$(objdump -p "$tmp/root/usr/bin/nodeboot" | awk '$1 == "NEEDED" {print $2}' | sort | tr '\n' ' ')" = \
  "libblkid.so.1 libc.so.6 libgcc_s.so.1 libstdc++.so.6 libyaml-cpp.so.0.7 "
unit=$tmp/root/lib/systemd/system/nodeboot.service
for l in Type=notify NotifyAccess=main RemainAfterExit=yes ExecStart=/usr/bin/nodeboot\ run \
  ConditionPathExists=/etc/nodeboot/config.yaml Wants=network-online.target \
  'After=network-online.target cloud-init.service cloud-config.service' \
  'Before=kubelet.service containerd.service docker.service' WantedBy=multi-user.target \
  Environment=NODEBOOT_CONSOLE=/dev/console; do
  check "nodeboot.service: $l" grep -qx -- "$l" "$unit"
done
check "nodeboot.service: no ProtectSystem/NoNewPrivileges (LVM and install scripts)" \
  bash -c "! grep -Eq '^(ProtectSystem|NoNewPrivileges|PrivateDevices)=' '$unit'"
check "nodeboot-report.service flushes" grep -qx 'ExecStart=/usr/bin/nodeboot report --flush' \
  "$tmp/root/lib/systemd/system/nodeboot-report.service"

# Issue 18.5: a proxy from /etc/default/nodeboot, ordered after time-sync.target (passive: no
# Wants=, which would pull systemd-time-wait-sync into the boot).
report_unit=$tmp/root/lib/systemd/system/nodeboot-report.service
for u in "$unit" "$report_unit"; do
  check "$(basename "$u"): EnvironmentFile=-/etc/default/nodeboot" grep -qx 'EnvironmentFile=-/etc/default/nodeboot' "$u"
  check "$(basename "$u"): After= time-sync.target" grep -Eq '^After=(.* )?time-sync\.target( |$)' "$u"
  check "$(basename "$u"): no Wants=/Requires= of time-sync or time-wait-sync" \
    bash -c "! grep -Eq '^(Wants|Requires)=.*time-(sync\.target|wait-sync)' '$u'"
done
# Issue 18.7: the report unit is sandboxed. systemd-analyze security --offline (systemd >= 252)
# scored it 9.6 UNSAFE before, 1.6 OK now; keep it at or below 2.0.
for l in ProtectSystem=strict 'ReadWritePaths=/var/lib/nodeboot /var/log/nodeboot -/run/nodeboot.lock' \
  CapabilityBoundingSet= NoNewPrivileges=yes MemoryDenyWriteExecute=yes \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service UMask=0077; do
  check "nodeboot-report.service: $l" grep -qx -- "$l" "$report_unit"
done
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  exposure=$(systemd-analyze security --offline=true "$report_unit" 2>&1 |
    sed -n 's/^.*Overall exposure level for nodeboot-report.service: \([0-9.]*\) .*$/\1/p')
  check "nodeboot-report.service: systemd-analyze security exposure ${exposure:-?} <= 2.0" \
    awk -v e="${exposure:-99}" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'
else
  ok "SKIP systemd-analyze security --offline (systemd < 252)"
fi

# Issue 18.5: log rotation.
rotate=$tmp/root/etc/logrotate.d/nodeboot
for l in '/var/log/nodeboot/\*.log' weekly 'rotate 4' compress missingok notifempty copytruncate; do
  check "logrotate: $l" grep -Eq "^[[:space:]]*$l( \\{)?\$" "$rotate"
done
logrotate=$(PATH="$PATH:/usr/sbin:/sbin" command -v logrotate || true)
if [ -n "$logrotate" ]; then
  check "logrotate -d accepts /etc/logrotate.d/nodeboot" \
    bash -c "'$logrotate' -d -s '$tmp/logrotate.state' '$rotate' >'$tmp/logrotate.out' 2>&1 &&
      ! grep -Eiq '^error|unknown|bad' '$tmp/logrotate.out' || { cat '$tmp/logrotate.out'; false; }"
else
  ok "SKIP logrotate -d (logrotate not installed)"
fi
check "tmpfiles.d creates the run lock" grep -qx 'f /run/nodeboot.lock 0600 root root -' \
  "$tmp/root/usr/lib/tmpfiles.d/nodeboot.conf"

# The shipped examples are valid configs for this binary.
check "config.yaml.example: nodeboot validate says config OK" \
  bash -c "'$nodeboot' validate --config '$tmp/root/etc/nodeboot/config.yaml.example' | grep -qx 'config OK'"
userdata=$tmp/root/usr/share/doc/nodeboot/examples/user-data.yaml
check "user-data.yaml starts with #cloud-config" test "$(head -n1 "$userdata")" = '#cloud-config'
# The config inside write_files' literal block (indented 6 spaces).
awk '/^    content: \|/{on=1; next} on && /^[^ ]/{on=0} on{sub(/^      /, ""); print}' "$userdata" \
  >"$tmp/userdata-config.yaml"
check "user-data.yaml: the config it writes is valid" \
  bash -c "'$nodeboot' validate --config '$tmp/userdata-config.yaml' | grep -qx 'config OK'"
check "user-data.yaml writes /etc/nodeboot/config.yaml 0600" \
  bash -c "grep -q 'path: /etc/nodeboot/config.yaml' '$userdata' && grep -q 'permissions: \"0600\"' '$userdata'"

echo "packaging: $fails failed"
[ "$fails" -eq 0 ]
