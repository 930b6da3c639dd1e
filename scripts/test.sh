#!/usr/bin/env bash
# Runs the test jobs; with no argument all three, which is what CI runs:
#   main  the normal build (build/): every ctest label (unit, integration, e2e)
#   asan  the ASan+UBSan build (build-asan/): the unit and integration labels
#   fuzz  the libFuzzer targets, each for a bounded number of executions (scripts/fuzz.sh)
#
#   scripts/test.sh                         main, then asan, then fuzz
#   scripts/test.sh main                    one job (or several: scripts/test.sh main fuzz)
#   NODEBOOT_TEST_LABELS='unit|integration' scripts/test.sh main   a subset of the main job's
#                                           labels (a ctest -L regex)
#   NODEBOOT_BUILD_DIR=DIR                  the main job's build dir (default build)
# Every job runs even when an earlier one failed; the exit status says whether all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

jobs=$(nproc)

# Configures and builds `build_dir` with warnings as errors, then runs ctest on `labels`.
# Extra arguments go to cmake's configure step.
build_and_ctest() {
  local build_dir=$1 labels=$2
  shift 2
  cmake -S . -B "$build_dir" -G Ninja -DNODEBOOT_WERROR=ON "$@" >/dev/null &&
    cmake --build "$build_dir" -j "$jobs" &&
    (cd "$build_dir" && ctest -L "$labels" -j "$jobs" --output-on-failure --timeout 900)
}

run_job() {
  case $1 in
    main)
      build_and_ctest "${NODEBOOT_BUILD_DIR:-build}" "${NODEBOOT_TEST_LABELS:-unit|integration|e2e}" \
        -DNODEBOOT_SANITIZE=OFF ;;
    asan)
      # -O1: the sanitizers' cost is in the run, not worth -O2's compile time here.
      build_and_ctest build-asan 'unit|integration' -DNODEBOOT_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG='-O1 -g1' ;;
    fuzz)
      scripts/fuzz.sh ;;
    *)
      echo "scripts/test.sh: unknown job '$1' (main, asan, fuzz)" >&2
      return 2 ;;
  esac
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(main asan fuzz)

failed=()
for job in "${selected[@]}"; do
  echo "=== test job: $job"
  start=$SECONDS
  if run_job "$job"; then
    echo "=== test job $job: passed in $((SECONDS - start)) s"
  else
    echo "=== test job $job: FAILED after $((SECONDS - start)) s"
    failed+=("$job")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "failed test jobs: ${failed[*]}"
  exit 1
fi
echo "all test jobs passed: ${selected[*]}"
