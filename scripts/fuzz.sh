#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan) and runs each for a bounded
# number of executions on a fresh copy of its seed corpus; prints one line per target and exits
# non-zero when any target crashed, leaked, hit undefined behaviour, broke a property it checks
# or hung. The CI budget is about 3-4 minutes on 2 cores, the build included.
#
#   scripts/fuzz.sh                             every target, each for its default executions
#   scripts/fuzz.sh config_fuzz redact_fuzz     some targets
#   NODEBOOT_FUZZ_RUNS=N        N executions per target instead of each one's default
#   NODEBOOT_FUZZ_TIME=S        S seconds per target instead (longer local runs; no run bound)
#   NODEBOOT_FUZZ_KEEP_CORPUS=1 keep the corpus grown by earlier runs (build-fuzz/fuzz/corpus)
#   NODEBOOT_FUZZ_JOBS=N        targets run side by side (default 2, at most the CPU count)
#   NODEBOOT_FUZZ_SEED=N        libFuzzer's -seed (default: random, printed in each log)
#   NODEBOOT_FUZZ_ARGS='...'    more libFuzzer flags, e.g. -use_value_profile=1
#   NODEBOOT_FUZZ_BUILD_DIR     the build directory (default build-fuzz)
#
# Seeds are read from tests/data and tests/fuzz/corpus and copied; nothing under tests/ is
# written. A failing input lands in build-fuzz/fuzz/artifacts/<target>/ (kept across runs), its log in
# build-fuzz/fuzz/logs/; replay it with build-fuzz/tests/fuzz/<target> FILE, then turn it into
# a unit test of the module (and, if it is an interesting input, a seed in tests/fuzz/corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${NODEBOOT_FUZZ_BUILD_DIR:-build-fuzz}
cpus=$(nproc)
parallel=${NODEBOOT_FUZZ_JOBS:-2}
((parallel > cpus)) && parallel=$cpus
((parallel < 1)) && parallel=1

# Executions per target for the CI budget: about 30 s each on an idle 2-core machine (the
# slow targets get fewer); on a busy machine the time cap stops them earlier.
declare -A default_runs=(
  [base64_fuzz]=2000000
  [config_fuzz]=120000
  [excerpt_fuzz]=150000
  [fstab_fuzz]=400000
  [legacy_override_fuzz]=800000
  [lvm_report_fuzz]=250000
  [redact_fuzz]=120000
)
all_targets=(base64_fuzz config_fuzz excerpt_fuzz fstab_fuzz legacy_override_fuzz lvm_report_fuzz redact_fuzz)
ci_time_cap=60  # seconds per target when run by execution count

# Where each target's seeds come from.
seed_dirs() {
  case $1 in
    config_fuzz) echo tests/data/config/valid tests/data/config/invalid tests/fuzz/corpus/config ;;
    lvm_report_fuzz) echo tests/data/lvm tests/fuzz/corpus/lvm_report ;;
    *) echo "tests/fuzz/corpus/${1%_fuzz}" ;;
  esac
}

targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ -n ${default_runs[$target]:-} ]] || { echo "fuzz.sh: unknown target $target (known: ${all_targets[*]})" >&2; exit 2; }
done

cxx=$(command -v clang++ || command -v clang++-14 || true)
cc=$(command -v clang || command -v clang-14 || true)
if [[ -z $cxx || -z $cc ]]; then
  echo "fuzz.sh: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

# -O1 with line tables: the usual fuzzing build, and half the compile time of -O2 -g. No
# NDEBUG, so assertions stay armed.
start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DNODEBOOT_FUZZ=ON -DNODEBOOT_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$cpus" --target "${targets[@]}"
build_seconds=$(($(date +%s) - start))

work=$build_dir/fuzz
mkdir -p "$work/logs"

# One target: a fresh working corpus holding a copy of the seeds, then libFuzzer on it.
run_target() {
  local target=$1 corpus=$work/corpus/$1 artifacts=$work/artifacts/$1/
  local log=$work/logs/$1.log
  echo 125 >"$work/logs/$target.rc"  # until libFuzzer says otherwise
  touch "$work/logs/$target.start"   # artifacts newer than this are this run's
  if [[ ${NODEBOOT_FUZZ_KEEP_CORPUS:-0} != 1 ]]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus/seeds" "$artifacts"
  local dir
  for dir in $(seed_dirs "$target"); do
    mkdir -p "$corpus/seeds/${dir//\//_}"
    cp -p "$dir"/* "$corpus/seeds/${dir//\//_}/"
  done
  local bound=() limit
  if [[ -n ${NODEBOOT_FUZZ_TIME:-} ]]; then
    bound=(-max_total_time="$NODEBOOT_FUZZ_TIME")
    limit=$NODEBOOT_FUZZ_TIME
  else
    bound=(-runs="${NODEBOOT_FUZZ_RUNS:-${default_runs[$target]}}" -max_total_time="$ci_time_cap")
    limit=$ci_time_cap
  fi
  local dict=tests/fuzz/$target.dict options=()
  [[ -f $dict ]] && options+=(-dict="$dict")
  [[ -n ${NODEBOOT_FUZZ_SEED:-} ]] && options+=(-seed="$NODEBOOT_FUZZ_SEED")
  # -timeout: an input that takes 10 s is a hang, and a failure. libFuzzer writes new inputs
  # to the first corpus directory only. The outer timeout is for libFuzzer itself: after an
  # out-of-memory the leak check can scan gigabytes of heap for many minutes.
  local rc=0
  # shellcheck disable=SC2086
  timeout -k 10 $((limit + 120)) "$build_dir/tests/fuzz/$target" "$corpus" "${bound[@]}" "${options[@]}" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts" ${NODEBOOT_FUZZ_ARGS:-} \
    >"$log" 2>&1 || rc=$?
  echo "$rc" >"$work/logs/$target.rc"
}

echo "fuzz.sh: built in ${build_seconds}s; running ${targets[*]} ($parallel at a time)"
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  run_target "$target" &
done
wait

# The table: execs and seconds from libFuzzer's final stats, the corpus as it ended.
failed=0
printf '%-22s %10s %8s %9s %12s  %s\n' target execs seconds execs/s corpus result
for target in "${targets[@]}"; do
  log=$work/logs/$target.log
  rc=$(cat "$work/logs/$target.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  # libFuzzer's own count of the inputs it kept, and their bytes: "corp: 123/45Kb".
  corpus=$(sed -n 's/^#[0-9]*.*DONE .* corp: \([^ ]*\).*/\1/p' "$log" | tail -1)
  result=ok
  if [[ $rc != 0 ]]; then
    failed=1
    artifact=$(find "$work/artifacts/$target" -type f -newer "$work/logs/$target.start" | head -1)
    result="FAILED (exit $rc) ${artifact:-no artifact}, log $log"
  fi
  printf '%-22s %10s %8s %9s %12s  %s\n' "$target" "${execs:--}" "${seconds:--}" "${rate:--}" "${corpus:--}" "$result"
done
echo "fuzz.sh: $(($(date +%s) - start))s in all"
if ((failed)); then
  for target in "${targets[@]}"; do
    [[ $(cat "$work/logs/$target.rc") == 0 ]] && continue
    echo "--- $target: the end of $work/logs/$target.log"
    grep -v '^#[0-9]' "$work/logs/$target.log" | tail -40
  done
  exit 1
fi
