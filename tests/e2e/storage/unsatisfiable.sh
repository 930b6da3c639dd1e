#!/usr/bin/env bash
# Selectors that no disk satisfies: exit 20, and nothing is written.
SCENARIO=unsatisfiable
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

cp /etc/fstab /tmp/fstab.before 2>/dev/null || : > /tmp/fstab.before
write_config <<'YAML'
nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 1}]
  storage:
    storageSelectors: [{name: big, storageType: evs, matchLabels: {size: "100"}}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [big]
        virtualSpaces: [{name: runtime, size: "90%"}, {name: kubernetes, size: "10%"}]
YAML
check_eq "exit" 20 "$(nb_storage)"
check "says why" grep -q 'group vgpaas: no usable disk matches its selectors (big)' /tmp/nb.err
check_eq "no write command ran" 0 "$(write_commands)"
check "no VG" test -z "$(vg_field vgpaas vg_name)"
check "disk still blank" test -z "$(blkid -p /dev/vda 2>/dev/null)"
check "fstab unchanged" cmp -s /tmp/fstab.before /etc/fstab
check_eq "state says storage failed with 20" 20 "$(python3 -c 'import json; print(json.load(open("/var/lib/nodeboot/state.json"))["phases"]["storage"]["exitCode"])')"
finish
