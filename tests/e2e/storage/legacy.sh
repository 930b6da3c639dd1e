#!/usr/bin/env bash
# The legacy DockerLVMConfigOverride string, with a user LV.
SCENARIO=legacy
# shellcheck source=tests/e2e/storage/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<'YAML'
nodeTemplate:
  dataVolumes: [{volumetype: SATA, size: 1}]
  extendParam:
    DockerLVMConfigOverride: "dockerThinpool=vgpaas/60%VG;kubernetesLV=vgpaas/20%VG;userLV=vgpaas/20%VG;userPath=/opt/data;diskType=evs;lvType=linear"
YAML
check_eq "run exit" 0 "$(nb_storage)"
grep -E 'error' /tmp/nb.err | head || true
check_eq "dockersys extents" 153 "$(lv_extents vgpaas/dockersys)"  # floor(0.6*255)
check_eq "kubernetes extents" 51 "$(lv_extents vgpaas/kubernetes)"
check_eq "user extents" 51 "$(lv_extents vgpaas/user)"
check_eq "user mount" "/dev/mapper/vgpaas-user ext4" "$(mounted_fs /opt/data)"
check_eq "runtime mount" "/dev/mapper/vgpaas-dockersys ext4" "$(mounted_fs /var/lib/containerd)"
finish
