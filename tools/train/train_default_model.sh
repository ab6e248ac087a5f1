#!/usr/bin/env bash
# Reproduces the embedded default model from scratch: the world (dit-cli world), the tokenizer,
# the VAE, then T5 + DiT, exports resources/models/default, then trains the edge and pose adapters. Every stage resumes from its
# checkpoint in $DIT_TRAIN_DIR (default ~/.cache/dit-studio/train), so the command can be
# killed and run again. Runs niced: the machine stays usable.
set -euo pipefail
cd "$(dirname "$0")/../.."
py="nice -n 19 /usr/bin/python3"
train_dir=${DIT_TRAIN_DIR:-$HOME/.cache/dit-studio/train}
world=$train_dir/world
cli=${DIT_CLI:-build/app/dit-cli}
if [[ -z ${DIT_CLI:-} ]]; then
  [[ -d build ]] && cmake --build build --target dit-cli >/dev/null || scripts/setup.sh
fi
if [[ ! -f $world/done ]]; then
  read -r count seed people < <($py -c 'import sys; sys.path.insert(0, "tools/train"); import config as c; w = c.WORLD; print(w["count"], w["seed"], w["people_fraction"])')
  rm -rf "$world"
  "$cli" world --count "$count" --seed "$seed" --people-fraction "$people" --size 128 --out "$world"
  touch "$world/done"
fi
cd tools/train
[[ -f $train_dir/spiece.model ]] || $py train_tokenizer.py "$world"
$py train_vae.py "$world"
$py train_dit.py "$world"
$py export.py
# Stage 4: the control adapters, on the exported (frozen) base; each exports into the model folder.
for kind in edges pose; do
  $py train_control.py "$kind" "$world"
done
