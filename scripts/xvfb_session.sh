# Sourced by the walkthrough scripts: a virtual screen and the studio on it, driven by xdotool.
# Expects DISPLAY, WORK (a scratch folder) and STUDIO (the dit-studio binary); sets XVFB_PID,
# STUDIO_PID and WID (the studio's window).

start_screen() {  # WxH
  [[ -n ${XVFB_PID:-} ]] && kill "$XVFB_PID" && sleep 1
  Xvfb "$DISPLAY" -screen 0 "$1x24" -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  sleep 1
}
start_studio() {  # args...
  "$STUDIO" --no-autosave "$@" >"$WORK/studio.log" 2>&1 &
  STUDIO_PID=$!
  for _ in $(seq 100); do
    WID=$(xdotool search --pid "$STUDIO_PID" --name "DiT Studio" 2>/dev/null | head -1 || true)
    [[ -n $WID ]] && break
    sleep 0.2
  done
  [[ -n $WID ]] || { echo "walkthrough: no studio window" >&2; cat "$WORK/studio.log" >&2; exit 1; }
  sleep 2  # the layout settles
}
# Without a window manager nobody gives the focus back after a dialog: the script does.
keys() { xdotool windowfocus "$WID" 2>/dev/null || true; sleep 0.2; xdotool key --window "$WID" --clearmodifiers "$@"; }
