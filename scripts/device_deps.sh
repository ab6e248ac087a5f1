#!/usr/bin/env bash
# Fills .device/ (git-ignored) with what the GPU machine lacks for the Qt-free build
# (DIT_DEVICE_ONLY): nlohmann/json's headers and sentencepiece's header and library, from this
# machine's Debian packages (scripts/setup.sh --deps-only installs them). The device tool carries
# the folder: run(..., carry=[".device"]). About 2.3 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device
mkdir -p .device/include .device/lib
cp -r /usr/include/nlohmann .device/include/
cp /usr/include/sentencepiece_processor.h .device/include/
cp -P /usr/lib/x86_64-linux-gnu/libsentencepiece.so* .device/lib/
du -sh .device
