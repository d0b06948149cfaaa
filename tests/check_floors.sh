#!/usr/bin/env bash
# The floors of the house (README: Layout): a file may include only its own folder's floor or the
# floors below it: tools > train > nets > losses = layers > kernels > core, and losses and layers
# not each other. Prints every include that goes up, and fails if there is one.
# Usage: tests/check_floors.sh [repository root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

dirs=()
for d in core kernels layers losses nets train tools; do [ -d "$d" ] && dirs+=("$d"); done
grep -rnE --include='*.h' --include='*.cpp' --include='*.cu' --include='*.cuh' \
     '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${dirs[@]}" |
awk -F: '
  BEGIN { f["core"] = 0; f["kernels"] = 1; f["layers"] = 2; f["losses"] = 2; f["nets"] = 3; f["train"] = 4; f["tools"] = 5 }
  {
    file = $1; line = $2
    text = $0; sub(/^[^"]*"/, "", text); sub(/".*$/, "", text)
    split(file, a, "/"); from = a[1]
    split(text, b, "/"); to = b[1]
    if (!(to in f)) next  # not one of ours
    if (f[to] > f[from] || (f[to] == f[from] && to != from)) {
      printf "%s:%s: #include \"%s\" goes up from %s/ to %s/\n", file, line, text, from, to
      bad = 1
    }
  }
  END {
    if (bad) { print "check_floors: the includes above go up the floors (README: Layout)"; exit 1 }
    print "check_floors: every include stays on its floor or below"
  }'
