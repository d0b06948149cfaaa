#!/usr/bin/env bash
# ctest splits the names catch_discover_tests finds at ';', so a Catch2 test named with one becomes
# two entries that match nothing (and fail under -w NoTests). Catch that in the source, by name.
# Usage: tests/check_test_names.sh [repository root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
if grep -rnE --include='*.cpp' '(TEST_CASE|SCENARIO)[[:space:]]*\([[:space:]]*"[^"]*;' tests; then
  echo "check_test_names: the test names above contain ';' (ctest would split them)"
  exit 1
fi
echo "check_test_names: no test name contains ';'"
