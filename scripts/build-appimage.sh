#!/usr/bin/env bash
# Builds Switchboard's AppImage from the .deb the Tauri bundler made (its data tree is the
# AppDir's usr/, as in the bundler's own AppImage step), without downloading anything: the
# AppDir gets AppRun (a link to usr/bin/switchboard), the desktop entry and icon at its root,
# and is packed with our runtime (scripts/pack-appimage.sh). Libraries are not bundled: like
# the .deb, it runs on the host's WebKitGTK 4.1, GTK 3, ALSA and D-Bus.
#
#   scripts/build-appimage.sh debug|release
#
# Run after the bundler's deb step for the same profile; writes
# target/PROFILE/bundle/appimage/Switchboard_VERSION_ARCH.AppImage (the bundler's name for it).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-}
case "$profile" in
  debug) cargo_profile=() level=1 ;;
  release) cargo_profile=(--release) level=9 ;;
  *) echo "usage: $0 debug|release" >&2; exit 2 ;;
esac
fail() { echo "build-appimage: $*" >&2; exit 1; }
bundles=target/$profile/bundle

deb=$(find "$bundles/deb" -maxdepth 1 -name '*.deb' 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no .deb in $bundles/deb: run the bundler's deb step first"
data="${deb%.deb}/data"
[ -x "$data/usr/bin/switchboard" ] || fail "no usr/bin/switchboard in the bundler's tree $data"
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)

cargo build --quiet "${cargo_profile[@]}" -p switchboard-appimage-runtime

appdir=$bundles/appimage/Switchboard.AppDir
rm -rf "$appdir"
mkdir -p "$appdir"
cp -a "$data/usr" "$appdir/usr"
ln -s usr/bin/switchboard "$appdir/AppRun"
ln -s usr/share/applications/Switchboard.desktop "$appdir/Switchboard.desktop"
ln -s usr/share/icons/hicolor/256x256/apps/switchboard.png "$appdir/switchboard.png"
ln -s switchboard.png "$appdir/.DirIcon"

out=$bundles/appimage/Switchboard_${version}_${arch}.AppImage
rm -f "$bundles"/appimage/*.AppImage
scripts/pack-appimage.sh "target/$profile/appimage-runtime" "$appdir" "$out" "$level"
echo "$out"
