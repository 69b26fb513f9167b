#!/usr/bin/env bash
# Checks what `make package` ships, on the debug binary `make test` has built (no release
# compile): the Tauri bundler packs it as a .deb and an .rpm; the .deb holds the binary, the
# desktop entry and the icon, and installed (dpkg --root) into a temporary root it puts
# `switchboard` on the PATH and a menu entry that runs it. The AppImage is built and checked when
# the bundler's AppImage tools are at hand; it downloads them from GitHub, which a machine that
# reaches only package registries cannot, and then that part is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

tauri=ui/node_modules/.bin/tauri
bundles=target/debug/bundle
tools="${XDG_CACHE_HOME:-$HOME/.cache}/tauri"
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

if [ -e "$tools/linuxdeploy-x86_64.AppImage" ]; then
  bundle appimage
  appimage=$(find "$bundles/appimage" -name '*.AppImage' | head -n 1)
  [ -x "$appimage" ] || fail "no AppImage in $bundles/appimage"
  pass
else
  echo "package: AppImage skipped: the Tauri bundler downloads its AppImage tools (linuxdeploy, AppRun)" \
    "from GitHub into $tools, and they are not there"
fi
echo "package: $checked passed, 0 failed"
