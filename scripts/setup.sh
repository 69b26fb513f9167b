#!/usr/bin/env bash
# Installs what building, running and testing Switchboard needs, and nothing that is already
# there: Debian/Ubuntu packages (apt-get), the UI's node packages (npm ci) and, for tests,
# tauri-driver and cargo-nextest (cargo install). Safe to run again; quick when nothing is missing.
#
#   scripts/setup.sh run    what `make run` needs
#   scripts/setup.sh test   what `make test` needs (adds Xvfb, WebKitWebDriver, tauri-driver, …)
set -euo pipefail

mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

# System libraries the Tauri shell links against (WebKitGTK 4.1, GTK 3, libsoup 3, …), ALSA for
# audio, D-Bus and OpenSSL, the C toolchain for -sys crates, and mksquashfs for the AppImage.
packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev
  libasound2-dev libdbus-1-dev libssl-dev
  squashfs-tools
)
if [ "$mode" = test ]; then
  # A real window with no screen (Xvfb), its WebDriver, a D-Bus session and a Secret Service.
  # xdotool answers the app's native save dialogs, as a person typing a path does.
  # squashfuse and fuse3 run the AppImage from a mount, as a desktop with FUSE does.
  packages+=(xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring xdotool squashfuse fuse3)
  # A real PostgreSQL: the store's tests run on it too, in a throwaway cluster of their own.
  packages+=(postgresql)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  if [ ${#sudo[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
    fail "not root and no sudo: install ${missing[*]} yourself"
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust: Tauri 2 needs a recent toolchain, which Debian's own rustc is not.
command -v cargo >/dev/null || fail "cargo not found: install Rust 1.90 or newer with rustup (https://rustup.rs)"
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
[ "$rust_minor" -ge 90 ] || fail "Rust 1.90 or newer is needed, found $(rustc --version): run 'rustup update'"

# Node for the UI build (Vite 8 needs Node 20.19+).
if ! command -v npm >/dev/null; then
  say "installing nodejs and npm"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nodejs npm >/dev/null
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node 20.19 or newer is needed, found $(node --version)"
lock="$root/ui/package-lock.json"
stamp="$root/ui/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  say "installing the UI's node packages (npm ci)"
  (cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$mode" = test ] && ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest (cargo install)"
  cargo install cargo-nextest --locked --quiet
fi

if [ "$mode" = test ] && ! command -v tauri-driver >/dev/null; then
  say "installing tauri-driver (cargo install)"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
