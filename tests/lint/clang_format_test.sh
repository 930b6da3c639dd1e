#!/usr/bin/env bash
# ctest lint_clang_format: every C++ file of the repository is formatted as the checked-in
# .clang-format says (`clang-format --dry-run -Werror`). Needs no build.
#   tests/lint/clang_format_test.sh [REPO_ROOT]   (default: the checkout this script is in)
# The files are the tracked *.cc and *.h; outside a git checkout, those under agent/, storage/
# and tests/. Fix a finding with `clang-format -i FILE` (Debian 12's clang-format 14, what
# scripts/setup.sh installs: another major version may format differently).
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
cd "$repo"

if ! command -v clang-format >/dev/null; then
  echo "FAIL clang-format is not installed (scripts/setup.sh installs it)"
  exit 1
fi

files=()
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$repo" ]; then
  while IFS= read -r -d '' f; do files+=("$f"); done < <(git ls-files -z -- '*.cc' '*.h')
else
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find agent storage tests -type f \( -name '*.cc' -o -name '*.h' \) -print0)
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "FAIL no C++ files found under $repo"
  exit 1
fi

if ! clang-format --dry-run -Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/clang-format.$$"; then
  grep -E '^[^ ].*: (error|warning):' "${TMPDIR:-/tmp}/clang-format.$$" | cut -d: -f1 | sort -u |
    sed 's/^/FAIL not formatted: /'
  head -n 40 "${TMPDIR:-/tmp}/clang-format.$$"
  rm -f "${TMPDIR:-/tmp}/clang-format.$$"
  echo "fix: clang-format -i FILE..."
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/clang-format.$$"
echo "ok   ${#files[@]} C++ files formatted as .clang-format says ($(clang-format --version))"
