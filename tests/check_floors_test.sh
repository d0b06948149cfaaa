#!/usr/bin/env bash
# check_floors.sh fails on an include that goes up (a kernel including a layer, a layer including a
# loss) and passes on includes that go down or stay on the floor.
set -euo pipefail
check="$(cd "$(dirname "$0")" && pwd)/check_floors.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{core,kernels/relu,layers,losses,nets}
printf '#include "core/tensor.h"\n#include "kernels/relu/relu.h"\n' > "$tmp/kernels/relu/relu.cpp"
printf '#include "kernels/relu/relu.h"\n' > "$tmp/nets/net.cpp"
"$check" "$tmp" > "$tmp/ok.log" || { echo "FAIL: a clean tree was rejected"; cat "$tmp/ok.log"; exit 1; }

printf '#include "layers/conv.h"\n' > "$tmp/kernels/relu/relu_cpu.cpp"
printf '#include "losses/losses.h"\n' > "$tmp/layers/conv.cpp"
if "$check" "$tmp" > "$tmp/bad.log"; then echo "FAIL: includes going up were accepted"; exit 1; fi
grep -q 'kernels/relu/relu_cpu.cpp:1: #include "layers/conv.h" goes up from kernels/ to layers/' "$tmp/bad.log" ||
  { echo "FAIL: kernels -> layers not named"; cat "$tmp/bad.log"; exit 1; }
grep -q 'layers/conv.cpp:1: #include "losses/losses.h" goes up from layers/ to losses/' "$tmp/bad.log" ||
  { echo "FAIL: layers -> losses not named"; cat "$tmp/bad.log"; exit 1; }
echo "check_floors_test: ok"
