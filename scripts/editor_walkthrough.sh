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
# A dialog by its title, once it shows (a loaded machine shows it late).
find_dialog() {  # title
  local d=
  for _ in $(seq 150); do d=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -1 || true); [[ -n $d ]] && break; sleep 0.2; done
  [[ -n $d ]] || { import -window root /tmp/editor-walkthrough-debug.png; echo "editor walkthrough: no '$1' dialog (screen: /tmp/editor-walkthrough-debug.png)" >&2; exit 1; }
  echo "$d"
}
# Waits until the dialog stands where Qt puts it: a dialog just mapped may still be at the
# screen's corner, or not yet laid out, before Qt centres it over the window. Sets X Y WIDTH HEIGHT.
wait_placed() {  # window
  local g0= g1=
  for _ in $(seq 50); do
    g0=$(xdotool getwindowgeometry --shell "$1" 2>/dev/null) || return 1
    sleep 0.3
    g1=$(xdotool getwindowgeometry --shell "$1" 2>/dev/null) || return 1
    eval "$g1"
    [[ $g0 == "$g1" && $X -gt 0 && $Y -gt 0 ]] && return 0
  done
  return 1
}
# Its OK clicked until it has closed. The button box puts OK left of Cancel at the bottom right
# (Cancel's centre 51 px, OK's 137 px from the right edge in this style at either screen size).
# Clicking at a share of the width (as before) hit OK in the narrow upscale dialog but empty space
# in the wider extend-canvas one; and a click before the dialog was placed landed on the window's
# Generate button (an extra result) while the dialog stayed open: the hand-made click at 1920x1080.
click_ok_until_closed() {  # title window
  for _ in $(seq 10); do
    xdotool search --onlyvisible --name "^$1\$" >/dev/null 2>&1 || return 0
    wait_placed "$2" || return 0
    xdotool mousemove $((X + WIDTH - 137)) $((Y + HEIGHT - 22)) click 1
    sleep 1
  done
  import -window root /tmp/editor-walkthrough-debug.png
  echo "editor walkthrough: the '$1' dialog never closed (screen: /tmp/editor-walkthrough-debug.png)" >&2; exit 1
}
# Keys to a dialog, the last of them Return. Without a window manager a dialog may not have the
# keyboard yet when it shows: the keys are sent once it is placed and focused, and again (up to
# three times) while it stays open with none of them taken.
dialog_keys() {  # title keys...
  local title=$1 d; shift
  d=$(find_dialog "$title")
  for _ in 1 2 3; do
    wait_placed "$d" || return 0
    xdotool windowfocus "$d" 2>/dev/null || true; sleep 0.5
    xdotool key --window "$d" "$@" 2>/dev/null || true  # the dialog may close before the last key-up
    sleep 1
    xdotool search --onlyvisible --name "^$title\$" >/dev/null 2>&1 || return 0
  done
  import -window root /tmp/editor-walkthrough-debug.png
  echo "editor walkthrough: the '$title' dialog took no keys (screen: /tmp/editor-walkthrough-debug.png)" >&2; exit 1
}
# Accepted by its OK button (a Return it never got would go to the window's focused button).
dialog_ok() {  # title
  local d
  d=$(find_dialog "$1")
  click_ok_until_closed "$1" "$d"
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
