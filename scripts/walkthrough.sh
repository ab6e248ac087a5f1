#!/usr/bin/env bash
# Drives the real studio window under Xvfb with the mouse and keyboard, as a new user would, and
# keeps a screenshot of every stage in docs/screenshots/walkthrough-*.png (look at them):
#   1. first start at 1366x768: Generate in view, the example prompt, the tool bar;
#   2. Generate clicked: the result on the canvas and in the gallery;
#   3. tools: E (the mask eraser, shown as such), D (the thin edge brush) and a stroke;
#   4. Ctrl+S into a project, quit, start again on it: the results are back;
#   5. a result opened as the image and exported, the studio started on that PNG: its picture
#      on the canvas and "Restore its parameters" offered; clicked: restored;
#   6. the smallest window people use, 800x500: canvas and Generate still in view.
#   scripts/walkthrough.sh [build-dir]      needs xvfb, xdotool and ImageMagick (scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=docs/screenshots
WORK=$(mktemp -d)
export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data DIT_STUDIO_GALLERY=$WORK/gallery
STUDIO="$PWD/$BUILD/app/dit-studio"
DISPLAY_NUM=:$((90 + RANDOM % 100))
export DISPLAY=$DISPLAY_NUM
cleanup() { pkill -f "dit-studio.*$WORK" 2>/dev/null || true; kill "${XVFB_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

source scripts/xvfb_session.sh
shot() { sleep 0.7; import -window root "$OUT/walkthrough-$1.png"; echo "walkthrough: $OUT/walkthrough-$1.png"; }
click() { xdotool mousemove --window "$WID" "$1" "$2" click "${3:-1}"; }
type_path() { sleep 1.5; xdotool type --delay 20 "$1"; xdotool key Return; sleep 1.5; }
wait_gallery_file() { for _ in $(seq 150); do [[ $(ls "$DIT_STUDIO_GALLERY" 2>/dev/null | wc -l) -ge $1 ]] && return; sleep 0.2; done; echo "walkthrough: no result" >&2; exit 1; }
quit() { keys ctrl+q 2>/dev/null || true;  # the window may be gone before the key is released
  for _ in $(seq 50); do kill -0 "$STUDIO_PID" 2>/dev/null || return 0; sleep 0.2; done; import -window root /tmp/walkthrough-debug.png; echo "walkthrough: the studio did not quit (screen: /tmp/walkthrough-debug.png)" >&2; exit 1; }

mkdir -p "$OUT"
start_screen 1366x768
start_studio --model resources/models/default --seed 7
shot 1-first-start
click 69 37                      # Generate, top left of the Generate bar
wait_gallery_file 1
shot 2-generated
keys e                           # the mask brush's eraser
xdotool mousemove --window "$WID" 640 300
shot 3a-mask-eraser
keys d                           # the edge brush: its own size, not erasing
xdotool mousemove --window "$WID" 560 220 mousedown 1 mousemove --window "$WID" 620 260 \
  mousemove --window "$WID" 700 240 mousemove --window "$WID" 760 330 mouseup 1
shot 3b-edge-brush
keys ctrl+s
type_path "$WORK/project"
[[ -f $WORK/project/project.json ]] || { echo "walkthrough: the project was not saved" >&2; exit 1; }
quit
start_studio "$WORK/project"
shot 4-project-reopened
grep -q '"results/0001.png"' "$WORK/project/project.json"
xdotool mousemove --window "$WID" 137 640 click --repeat 2 1   # open the result as the image
keys ctrl+shift+e
type_path "$WORK/result.png"
[[ -f $WORK/result.png ]] || { echo "walkthrough: the result was not exported" >&2; exit 1; }
keys ctrl+s                       # the opened result is an edit of the project: saved, quit asks nothing
quit
start_studio "$WORK/result.png"
shot 5a-result-reopened
RESTORE_AT=${RESTORE_AT:-1070 754}
click $RESTORE_AT                 # "Restore its parameters" in the status bar
shot 5b-parameters-restored
kill "$STUDIO_PID"                # restored parameters are an unsaved edit: quitting would ask
wait "$STUDIO_PID" 2>/dev/null || true
start_screen 800x500
start_studio --model resources/models/default
shot 6-small-window
kill "$STUDIO_PID"
