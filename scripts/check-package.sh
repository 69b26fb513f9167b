#!/usr/bin/env bash
# Checks what `make package` ships, on the debug binary `make test` has built (no release
# compile): the Tauri bundler packs it as a .deb and an .rpm; the .deb holds the binary, the
# desktop entry and the icon, and installed (dpkg --root) into a temporary root it puts
# `switchboard` on the PATH and a menu entry that runs it. The AppImage (scripts/build-appimage.sh,
# our runtime around the .deb's tree) carries the AppImage magic, extracts to an AppDir with the
# binary, menu entry and icon, and runs the binary both from a FUSE mount and extracted.
set -euo pipefail
cd "$(dirname "$0")/.."

tauri=ui/node_modules/.bin/tauri
bundles=target/debug/bundle
checked=0
fail() { echo "package: $*" >&2; exit 1; }
pass() { checked=$((checked + 1)); }

[ -x target/debug/switchboard ] || fail "no target/debug/switchboard: build the app first (make app)"
[ -x "$tauri" ] || fail "no Tauri CLI at $tauri: run scripts/setup.sh test"
rm -rf "$bundles"
log=target/package-check.log
bundle() { "$tauri" bundle --ci --debug --bundles "$1" >"$log" 2>&1 || { cat "$log" >&2; fail "the bundler failed ($1)"; }; }
bundle deb,rpm

deb=$(find "$bundles/deb" -name 'switchboard_*.deb' -o -name 'Switchboard_*.deb' | head -n 1)
[ -n "$deb" ] || fail "no .deb in $bundles/deb"
[ "$(dpkg-deb -f "$deb" Package)" = switchboard ] || fail "the .deb's package is not named switchboard"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./||')
for path in usr/bin/switchboard usr/share/applications/Switchboard.desktop \
  usr/share/icons/hicolor/256x256/apps/switchboard.png; do
  grep -qx "$path" <<<"$contents" || fail "the .deb lacks $path"
  pass
done

# Installed into a root of its own, as dpkg installs it (its dependencies are the system's).
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --log=/dev/null --force-depends --force-script-chrootless -i "$deb" >"$log" 2>&1 \
  || { cat "$log" >&2; fail "dpkg could not install the .deb"; }
dpkg --root="$root" -s switchboard | grep -qx 'Status: install ok installed' || fail "dpkg did not install it"
pass
version=$(PATH="$root/usr/bin:$PATH" switchboard --version)
[ "$version" = "switchboard $(dpkg-deb -f "$deb" Version)" ] || fail "switchboard on the PATH says: $version"
pass
entry="$root/usr/share/applications/Switchboard.desktop"
for line in Type=Application Name=Switchboard Exec=switchboard Icon=switchboard Terminal=false; do
  grep -qx "$line" "$entry" || fail "the menu entry lacks $line"
done
[ -s "$root/usr/share/icons/hicolor/256x256/apps/switchboard.png" ] || fail "the menu entry's icon is empty"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$entry"; fi
pass

rpm=$(find "$bundles/rpm" -name '*.rpm' | head -n 1)
[ -s "$rpm" ] || fail "no .rpm in $bundles/rpm"
pass

scripts/build-appimage.sh debug >"$log" 2>&1 || { cat "$log" >&2; fail "the AppImage could not be built"; }
appimage=$(tail -n 1 "$log")
[ -x "$appimage" ] || fail "no AppImage at $appimage"
[ "$(head -c 11 "$appimage" | tail -c 3 | od -An -c | tr -d ' ')" = 'AI002' ] \
  || fail "the AppImage lacks the magic AI\\x02 at offset 8"
pass
appimage=$(realpath "$appimage")
mkdir "$root/appimage" "$root/appimage/cache"
(cd "$root/appimage" && "$appimage" --appimage-extract >/dev/null) || fail "--appimage-extract failed"
appdir="$root/appimage/squashfs-root"
for path in AppRun Switchboard.desktop switchboard.png .DirIcon usr/bin/switchboard; do
  [ -e "$appdir/$path" ] || fail "the AppImage's AppDir lacks $path"
done
[ "$(readlink "$appdir/AppRun")" = usr/bin/switchboard ] || fail "the AppImage's AppRun is not usr/bin/switchboard"
cmp -s "$appdir/Switchboard.desktop" "$entry" || fail "the AppImage's menu entry is not the .deb's"
pass
want="switchboard $(dpkg-deb -f "$deb" Version)"
# Extracted once into the cache, then run from there (the way without FUSE).
said=$(APPIMAGE_EXTRACT_AND_RUN=1 XDG_CACHE_HOME="$root/appimage/cache" "$appimage" --version)
[ "$said" = "$want" ] || fail "the AppImage, extracted and run, says: $said"
[ -x "$(echo "$root"/appimage/cache/appimage-runtime/*/AppRun)" ] || fail "extract-and-run left no copy in the cache"
pass
# Mounted with squashfuse where the host has it and FUSE works: nothing extracted, nothing left mounted.
if command -v squashfuse >/dev/null && [ -w /dev/fuse ]; then
  mkdir "$root/appimage/tmp"
  said=$(TMPDIR="$root/appimage/tmp" XDG_CACHE_HOME="$root/appimage/mounted-cache" "$appimage" --version)
  [ "$said" = "$want" ] || fail "the AppImage, mounted and run, says: $said"
  [ ! -e "$root/appimage/mounted-cache" ] || fail "the AppImage was extracted, not mounted"
  [ -z "$(ls -A "$root/appimage/tmp")" ] || fail "the AppImage left its mount point behind"
  pass
else
  echo "package: the AppImage's FUSE mount not checked: no squashfuse or no usable /dev/fuse here"
fi
echo "package: $checked passed, 0 failed"
