#!/usr/bin/env bash
# Builds the Debian package (CPack) for any x86-64 machine (no -march=native), then checks it the
# way a user meets it: unpacked into an empty root, its dit-cli finds the model it ships and
# generates an image. `--install` also installs it with apt (root) and runs /usr/bin/dit-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
command -v dpkg-shlibdeps >/dev/null || { echo "package: dpkg-dev is needed" >&2; exit 1; }
cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=Release -DDIT_NATIVE=OFF -DDIT_FIND_SOURCE_TREE=OFF >/dev/null
cmake --build build-package --target dit-cli dit-studio -j"$(nproc)"
(cd build-package && cpack -G DEB >/dev/null)
deb=$(ls -t build-package/dit-studio_*.deb | head -1)
echo "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Depends/p'

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
for f in usr/bin/dit-cli usr/bin/dit-studio usr/share/dit-studio/models/default/model_index.json \
         usr/share/dit-studio/presets/draft.json usr/share/applications/dit-studio.desktop \
         usr/share/metainfo/io.github.ditstudio.DitStudio.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/io.github.ditstudio.DitStudio.svg; do
  [[ -e $root/$f ]] || { echo "package: $f missing" >&2; exit 1; }
done
# From a folder outside the source tree, so only the packaged model can be found.
(cd "$root" && env -u DIT_DEFAULT_MODEL "$root/usr/bin/dit-cli" generate --quiet --steps 4 --width 128 --height 128 \
   --prompt "a red circle at the top left on a blue background" --output "$root/out.png")
[[ -s $root/out.png ]] && echo "package: unpacked dit-cli generated $root/out.png"

if [[ ${1:-} == --install ]]; then
  apt-get install -y -qq "./$deb" >/dev/null
  (cd /tmp && /usr/bin/dit-cli generate --quiet --steps 4 --width 128 --height 128 \
     --prompt "a red circle at the top left on a blue background" --output /tmp/dit-package-check.png)
  echo "package: installed /usr/bin/dit-cli generated /tmp/dit-package-check.png"
fi
