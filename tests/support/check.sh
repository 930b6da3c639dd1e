# shellcheck shell=bash
# The ok/FAIL lines of the host-side shell tests (packaging, first boot). Source it; `fails`
# counts the failed checks, so a test ends with `exit $((fails > 0))` or its own summary.
fails=0
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output is shown only when it
# fails (the last 20 lines, indented), so a passing run stays one line per check.
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
