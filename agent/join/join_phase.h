// The join phase (SPEC §6): join the cluster with kubeadm or with the kubelet's own TLS
// bootstrap, then wait for the Node to be Ready with the labels, taints and maxPods asked for.
//
//   kubeadm: writes /etc/kubernetes/nodeboot-join.yaml (0600) and runs
//            `kubeadm join --config FILE` (timeout 600 s).
//   kubelet: writes /etc/kubernetes/bootstrap-kubelet.conf (0600),
//            /etc/kubernetes/kubelet-config.yaml and
//            /etc/systemd/system/kubelet.service.d/10-nodeboot.conf, then runs
//            `systemctl daemon-reload` and `systemctl enable --now kubelet` (and
//            `systemctl restart kubelet` when a kubelet that ran before got changed files).
//
// Re-runs and repair: when /etc/kubernetes/kubelet.conf exists, the Node is looked at once
// first; Ready with everything asked for, the node is left alone (no file, no command).
// Otherwise kubeadm is not run again (it refuses a node that has a kubelet.conf; `kubeadm
// reset` is the operator's call, not ours) and the phase waits for the Node; kubelet mode
// rewrites its files and (re)starts the kubelet.
//
// Dry run: the writes and commands are printed, the Node is not waited for. The bootstrap
// token is written only into the 0600 files; it is in no log line, error or state entry.
// Errors: NB-JOIN-FAILED (exit 30), NB-JOIN-TIMEOUT (exit 31); see readiness.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "agent/join/readiness.h"
#include "agent/run/phase.h"

namespace nodeboot::join {

// What the phase does not get from the PhaseContext: time, and how long and how often it
// waits (tests pass a fake clock and short delays).
struct JoinEnvironment {
  ReadinessClock clock = RealReadinessClock();
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{std::chrono::seconds(5)};
  // Starting containerd and the kubelet: how long they may take to be active, polled how often.
  std::chrono::milliseconds unit_limit{std::chrono::seconds(120)};
  std::chrono::milliseconds unit_poll{std::chrono::milliseconds(500)};
};

std::unique_ptr<run::Phase> MakeJoinPhase(JoinEnvironment environment = {});

}  // namespace nodeboot::join
