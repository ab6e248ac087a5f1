#!/usr/bin/env bash
# Drives the studio as an editor under Xvfb with the mouse and keyboard (docs/editor.md), and keeps
# a screenshot of every stage in docs/screenshots/editor-<size>-*.png (look at them):
#   1. Generate: the result lands as a layer; 2. a new layer (Ctrl+Shift+N), colour sampled from
#   the picture (I) and painted on it (B); 3. a rectangle selection (Ctrl+R) inpainted
#   (Ctrl+Shift+Return) without touching the mask; 4. the canvas extended to 16:9 (Ctrl+Alt+C)
#   and the new area generated; 5. upscaled and refined (Ctrl+Alt+U, 2x).
#   scripts/editor_walkthrough.sh [build-dir] [WxH ...]   (default sizes: 1366x768 1920x1080)
#   needs xvfb, xdotool and ImageMagick (scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
SIZES=("${@:-1366x768}")
[[ $# -eq 0 ]] && SIZES=(1366x768 1920x1080)
OUT=docs/screenshots
WORK=$(mktemp -d)
export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data DIT_STUDIO_GALLERY=$WORK/gallery
STUDIO="$PWD/$BUILD/app/dit-studio"
DISPLAY_NUM=:$((90 + RANDOM % 100))
export DISPLAY=$DISPLAY_NUM
cleanup() { [[ -n ${STUDIO_PID:-} ]] && kill "$STUDIO_PID" 2>/dev/null; kill "${XVFB_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

source scripts/xvfb_session.sh
shot() { sleep 0.7; import -window root "$OUT/editor-$SIZE-$1.png"; echo "editor walkthrough: $OUT/editor-$SIZE-$1.png"; }
# Keys to a dialog by its title, once it shows (a loaded machine shows it late, and without a
# window manager it may not have the focus).
dialog_keys() {  # title keys...
  local title=$1 d=; shift
  for _ in $(seq 50); do d=$(xdotool search --onlyvisible --name "^$title\$" 2>/dev/null | head -1 || true); [[ -n $d ]] && break; sleep 0.2; done
  [[ -n $d ]] || { echo "editor walkthrough: no '$title' dialog" >&2; exit 1; }
  xdotool windowfocus "$d" 2>/dev/null || true; sleep 0.3
  xdotool key --window "$d" "$@" 2>/dev/null || true  # the dialog may close before the last key-up
  sleep 0.5
  # Still open (without a window manager a dialog may never get the keyboard): click its OK, the
  # left button of the row at its bottom.
  if xdotool search --onlyvisible --name "^$title\$" >/dev/null 2>&1; then
    eval "$(xdotool getwindowgeometry --shell "$d")"
    xdotool mousemove $((X + WIDTH * 34 / 100)) $((Y + HEIGHT - 16)) click 1
  fi
}
# Its OK clicked: the left button of the row at its bottom (a dialog that never got the keyboard
# would pass Return on to the window's focused button).
dialog_ok() {  # title
  local d=
  for _ in $(seq 50); do d=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -1 || true); [[ -n $d ]] && break; sleep 0.2; done
  [[ -n $d ]] || { echo "editor walkthrough: no '$1' dialog" >&2; exit 1; }
  sleep 0.5
  eval "$(xdotool getwindowgeometry --shell "$d")"
  xdotool mousemove $((X + WIDTH * 34 / 100)) $((Y + HEIGHT - 16)) click 1
}
results() { ls "$DIT_STUDIO_GALLERY" 2>/dev/null | wc -l; }
wait_results() {  # N [seconds]
  for _ in $(seq $((${2:-60} * 5))); do [[ $(results) -ge $1 ]] && { sleep 1; return; }; sleep 0.2; done
  import -window root /tmp/editor-walkthrough-debug.png
  echo "editor walkthrough: result $1 never came (screen: /tmp/editor-walkthrough-debug.png)" >&2; exit 1
}
# The centre of the red pixels in the canvas's part of the screen (the generated circle): where
# the eyedropper picks a colour that reads on the yellow ground.
red_at() {
  import -window root "$WORK/find.png"
  convert "$WORK/find.png" -crop "$((W * 55 / 100))x$((H * 65 / 100))+$((W * 20 / 100))+0" +repage txt:- |
    awk -F'[,:() ]+' -v ox=$((W * 20 / 100)) 'NR > 1 && $3 > 190 && $4 < 90 && $5 < 90 { x += $1; y += $2; n++ }
      END { if (n) printf "%d %d\n", ox + x / n, y / n; else print "" }'
}
drag() {  # x0 y0 x1 y1: a left drag in steps, in screen pixels
  xdotool mousemove "$1" "$2" mousedown 1
  for i in 1 2 3 4 5 6; do xdotool mousemove $(($1 + ($3 - $1) * i / 6)) $(($2 + ($4 - $2) * i / 6)); sleep 0.05; done
  xdotool mouseup 1
}

mkdir -p "$OUT"
for SIZE in "${SIZES[@]}"; do
  W=${SIZE%x*} H=${SIZE#*x}
  rm -rf "$DIT_STUDIO_GALLERY"
  start_screen "$SIZE"
  start_studio --model resources/models/default --seed 7
  # No window manager maximises it: the window takes the whole screen, as a user would have it.
  xdotool windowmove "$WID" 0 0 windowsize "$WID" "$W" "$H"
  sleep 2
  # The canvas's centre: the window's middle, a little left of it (the right docks are wider).
  CX=$((W * 45 / 100)) CY=$((H * 45 / 100)) R=$((H / 10))
  xdotool mousemove 69 37 click 1            # Generate
  wait_results 1
  shot 1-generated
  keys ctrl+shift+n                          # a new layer for paint
  keys i                                     # the eyedropper: the red of the circle
  RED=$(red_at)
  [[ -n $RED ]] || { echo "editor walkthrough: no red circle to pick from" >&2; exit 1; }
  xdotool mousemove $RED click 1
  keys b                                     # the colour brush
  drag $((CX - 2 * R)) $((CY + R)) $((CX + 2 * R)) $((CY + R))
  drag $((CX - 2 * R)) $((CY + R + 12)) $((CX + R)) $((CY + R + 30))
  shot 2-painted-layer
  keys ctrl+r                                # a rectangle selection around the paint
  drag $((CX - 2 * R - 10)) $((CY + R / 2)) $((CX + 2 * R + 10)) $((CY + 2 * R))
  shot 3a-selection
  keys ctrl+shift+Return                     # inpaint the selection
  wait_results 2
  shot 3b-inpainted-selection
  keys ctrl+alt+c                            # extend the canvas to 16:9 (the aspect list's 5th)
  dialog_keys "Extend canvas" Down Down Down Down Return; sleep 1.5
  xdotool mousemove 69 37 click 1            # Generate fills the new area
  wait_results 3 120
  shot 4-extended
  keys ctrl+alt+u                            # upscale and refine 2x
  dialog_ok "Upscale and refine"
  wait_results 4 600
  shot 5-upscaled
  kill "$STUDIO_PID"; wait "$STUDIO_PID" 2>/dev/null || true
  STUDIO_PID=
done
