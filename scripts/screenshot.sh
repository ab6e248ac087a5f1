#!/usr/bin/env bash
# Runs dit-studio under Xvfb on the embedded default model, generates once, and saves the window
# to docs/screenshots/studio.png (the app grabs itself after the result arrives, then quits).
#   scripts/screenshot.sh [build-dir]      (default: build; built first if dit-studio is missing)
# Environment: MODEL (model folder), PROMPT, STEPS (fewer on a slow machine), SIZE (WxH).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
if [[ ! -x "$BUILD/app/dit-studio" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target dit-studio -j2
fi
OUT=docs/screenshots/studio.png
mkdir -p "$(dirname "$OUT")"
MODEL=${MODEL:-resources/models/default}
PROMPT=${PROMPT:-a large red circle at the top left and a large blue square at the bottom right on a yellow background}  # the world's caption template (docs/world.md)
STEPS=${STEPS:-20}
SIZE=${SIZE:-128x128}  # the default model's training size
# A private settings folder, so the run neither reads nor writes the user's recent files.
export XDG_CONFIG_HOME=$(mktemp -d)
export XDG_DATA_HOME=$XDG_CONFIG_HOME
trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
timeout 300 xvfb-run -a -s "-screen 0 1366x768x24" \
  "$BUILD/app/dit-studio" --model "$MODEL" --size "$SIZE" --steps "$STEPS" --seed 7 \
    --prompt "$PROMPT" --demo --no-autosave --screenshot "$OUT"
echo "screenshot: $OUT"
