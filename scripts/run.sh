#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then the main job: the studio on the embedded default model. With no
# display (a server, CI), it generates one image with dit-cli instead (out/generate.png). Extra
# arguments go to dit-studio or `dit-cli generate` (e.g. --model /path/to/PixArt-XL-2-512x512).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Without --model both run the embedded default model at its own size and steps (its studio.json);
# the studio starts with the model's example prompt.
if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then
  exec ./build/app/dit-studio "$@"
fi
echo "run.sh: no display; generating with dit-cli instead (out/generate.png)" >&2
mkdir -p out
prompt="a large red circle at the top left and a small blue square at the bottom right on a yellow background"
./build/app/dit-cli generate --prompt "$prompt" --seed 1 --output out/generate.png "$@"
