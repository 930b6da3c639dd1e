# shellcheck shell=bash
# The checks of the shell tests: the host-side ones (packaging, first boot, the VM harness's own)
# print an ok or FAIL line for each; the storage scenarios, in the VM, redefine ok and bad to
# print only the failures (tests/e2e/storage/lib.sh). Source it; `passes` and `fails` count the
# checks, so a test ends with `exit $((fails > 0))`, check_summary or its own summary.
passes=0
fails=0
ok() { passes=$((passes + 1)); printf 'ok   %s\n' "$*"; }
bad() { fails=$((fails + 1)); printf 'FAIL %s\n' "$*"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output is shown only when it
# fails (the last 20 lines, indented), so a passing run stays one line per check. COMMAND runs
# in a subshell: a function that sets variables sets them there only.
check() {
  local what=$1 output
  shift
  if output=$("$@" 2>&1); then
    ok "$what"
  else
    bad "$what"
    [ -z "$output" ] || printf '%s\n' "$output" | tail -n 20 | sed 's/^/     /'
  fi
}
# check_summary: the closing line, "N passed, N failed"; fails when a check failed.
check_summary() {
  printf '%s passed, %s failed\n' "$passes" "$fails"
  [ "$fails" -eq 0 ]
}
