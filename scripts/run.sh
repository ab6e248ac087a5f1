#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then the main job: generate an image with dit-cli. Extra arguments
# go to `dit-cli generate` (e.g. --model /path/to/PixArt-XL-2-512x512 --steps 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
model=resources/models/default
# Until the embedded default model lands, the tiny PixArt test pipeline stands in for it: it
# exercises the whole path (T5, DiT steps, VAE) but its random weights draw noise, not scenes.
[[ -d $model ]] || model=tests/fixtures/tiny-pixart-alpha
mkdir -p out
./build/app/dit-cli generate --model "$model" \
  --prompt "a red circle at the top left and a blue square on a yellow background" \
  --width 256 --height 256 --steps 20 --seed 1 --output out/generate.png "$@"
