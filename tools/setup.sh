#!/usr/bin/env bash
# Installs what ocellus needs from Debian's packages, only when something is missing (idempotent,
# and quick when everything is present). Used by `make demo` and `make test`.
set -euo pipefail

packages=(cmake g++ make catch2 nlohmann-json3-dev libstb-dev libpng-dev libturbojpeg0-dev zlib1g-dev libopenblas-dev pkg-config
          dataset-fashion-mnist opencv-doc clang-15 libfuzzer-15-dev openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
