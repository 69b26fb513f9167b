#!/usr/bin/env bash
# Packs an AppDir into an AppImage (type 2, as the AppImage specification lays it out): the
# runtime's ELF (switchboard-appimage-runtime), then a SquashFS image of the AppDir made by
# mksquashfs (squashfs-tools), with the magic "AI\x02" written at offset 8 of the ELF header.
#
#   scripts/pack-appimage.sh RUNTIME APPDIR OUT [GZIP_LEVEL]
#
# GZIP_LEVEL (1-9, default 9) trades size for time: the test build packs with 1.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 RUNTIME APPDIR OUT [GZIP_LEVEL]" >&2; exit 2; }
runtime=$1 appdir=$2 out=$3 level=${4:-9}
fail() { echo "pack-appimage: $*" >&2; exit 1; }

[ -x "$runtime" ] || fail "no runtime at $runtime"
[ -d "$appdir" ] || fail "no AppDir at $appdir"
for entry in AppRun .DirIcon; do
  [ -e "$appdir/$entry" ] || fail "the AppDir lacks $entry"
done
compgen -G "$appdir/*.desktop" >/dev/null || fail "the AppDir lacks a .desktop file at its root"
command -v mksquashfs >/dev/null || fail "no mksquashfs: install squashfs-tools (scripts/setup.sh run)"

image=$(mktemp "${out}.squashfs.XXXXXX")
trap 'rm -f "$image"' EXIT
mksquashfs "$appdir" "$image" -noappend -all-root -quiet -no-progress \
  -comp gzip -Xcompression-level "$level" >/dev/null
cat "$runtime" "$image" >"$out"
printf 'AI\002' | dd of="$out" bs=1 seek=8 conv=notrunc status=none
chmod 755 "$out"

# The runtime finds the image at the end of its ELF; that must be where it was put.
offset=$("$out" --appimage-offset) || fail "the AppImage's runtime does not answer --appimage-offset"
[ "$offset" = "$(stat -c %s "$runtime")" ] \
  || fail "the runtime looks for the image at $offset, but it is at $(stat -c %s "$runtime")"
