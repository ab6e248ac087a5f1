#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then the main job: the studio on the embedded default model. With no
# display (a server, CI), it generates one image with dit-cli instead (out/generate.png). Extra
# arguments go to dit-studio or `dit-cli generate` (e.g. --model /path/to/PixArt-XL-2-512x512).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
model=resources/models/default
prompt="a large red circle at the top left and a small blue square at the bottom right on a yellow background"
if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then
  exec ./build/app/dit-studio --model "$model" --prompt "$prompt" --size 128x128 "$@"
fi
echo "run.sh: no display; generating with dit-cli instead (out/generate.png)" >&2
mkdir -p out
./build/app/dit-cli generate --model "$model" --prompt "$prompt" \
  --width 128 --height 128 --steps 20 --seed 1 --output out/generate.png "$@"
