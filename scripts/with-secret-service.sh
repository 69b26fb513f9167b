#!/usr/bin/env bash
# Runs a command with gnome-keyring's Secret Service on this D-Bus session, unlocked, its files
# in a temporary home: the OS keychain of the tests. Started once, before any test, so no test
# starts or replaces another daemon while the others use it, and D-Bus never activates a locked
# one. Use it inside `dbus-run-session`, as `make test` does.
set -euo pipefail
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
# The login keyring's password (empty: one blank line) on stdin; the daemon forks and stays.
printf '\n' | HOME=$home XDG_DATA_HOME=$home/data gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$@"
