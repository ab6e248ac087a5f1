#!/usr/bin/env bash
# Installs what DiT Studio needs from Debian's packages, only what is missing, then configures
# and builds the project into build/. Safe to run again. `--deps-only` stops after the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev libgl-dev
  libopencv-dev nlohmann-json3-dev libsentencepiece-dev libopenblas-dev
  python3-torch python3-numpy python3-sentencepiece python3-opencv
  xvfb xauth xdotool imagemagick
  clang libclang-rt-14-dev libomp-14-dev dpkg-dev
  redis-server libhiredis-dev stunnel4
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ ${1:-} == --deps-only ]] && exit 0

BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build -j"$(nproc)"
