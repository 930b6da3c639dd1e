#!/usr/bin/env bash
# ctest lint_shellcheck: every shell script of the repository must be clean under
# `shellcheck -x` at its default severity (style and info included). Needs no build.
#   tests/lint/shellcheck_test.sh [REPO_ROOT]   (default: the checkout this script is in)
# The scripts are the tracked *.sh files (sourced libraries carry a `# shellcheck shell=`
# directive) and every tracked file whose first line is a sh, bash or dash shebang. Outside
# a git checkout (a source tarball) the same rule runs over scripts/, tests/ and packaging/.
# It runs shellcheck from the repository root, where the `source=` directives' paths resolve.
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
cd "$repo"

if ! command -v shellcheck >/dev/null; then
  echo "FAIL shellcheck is not installed (scripts/setup.sh installs it)"
  exit 1
fi

# The candidate files, NUL-separated.
candidates() {
  if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$repo" ]; then
    git ls-files -z
  else
    find scripts tests packaging -type f -print0 2>/dev/null || true
  fi
}

# A sh/bash/dash shebang: #!/bin/sh, #!/bin/bash -e, #!/usr/bin/env bash, ...
shebang='^#![[:space:]]*(/[^[:space:]]*/)?(env[[:space:]]+)?(ba|da)?sh([[:space:]]|$)'
files=()
while IFS= read -r -d '' f; do
  case $f in
    tests/fuzz/corpus/*) continue ;; # fuzz inputs, some shaped like scripts on purpose
  esac
  [ -f "$f" ] || continue
  # (grep reads a process substitution: under pipefail, grep -q ending a pipeline early
  # could fail the pipeline with its writer's SIGPIPE.)
  if [[ $f == *.sh ]] || LC_ALL=C grep -aEq "$shebang" < <(head -c 256 -- "$f" | head -n 1); then
    files+=("$f")
  fi
done < <(candidates)

if [ "${#files[@]}" -eq 0 ]; then
  echo "FAIL no shell scripts found under $repo"
  exit 1
fi

if findings=$(shellcheck -x -- "${files[@]}" 2>&1); then
  echo "ok   shellcheck -x: ${#files[@]} scripts clean"
else
  printf '%s\n' "$findings"
  echo "FAIL shellcheck -x: findings above (${#files[@]} scripts checked)"
  exit 1
fi
