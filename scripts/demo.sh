#!/usr/bin/env bash
# The main job, as far as it exists today: builds nodeboot and runs it against the NodePool
# API's own examples and a broken config. (Grows into a booted-node demo with the later issues.)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${NODEBOOT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target nodeboot >/dev/null
nodeboot="$build_dir/agent/cli/nodeboot"

echo "== nodeboot validate: the CCE NodePool API's example request (nodeTemplate verbatim)"
"$nodeboot" validate --config tests/data/config/valid/cce-cluster-request.json
echo
echo "== nodeboot validate: a config with several mistakes (every error, each with its field path)"
cat > /tmp/nodeboot-demo-bad.yaml <<'YAML'
task: {id: t1, url: "https://tasks.example.com/r", token: "s3cret-token", timeoutSeconds: 0}
nodeTemplate:
  k8sTags: {node-role.kubernetes.io/worker: ""}
  extendParam:
    alpha.cce/preInstall: "ls -l"
    DockerLVMConfigOverride: "dockerThinpool=vgpaas/95%VG;kubernetesLV=vgpaas/10%VG"
YAML
"$nodeboot" validate --config /tmp/nodeboot-demo-bad.yaml || echo "(exit $?)"
