#!/usr/bin/env bash
# Adds up the test counts of the UI (vitest) and Rust (cargo test) logs into one closing line.
set -euo pipefail
ui_log=$1
cargo_log=$2
read -r ui_passed ui_failed < <(sed 's/\x1b\[[0-9;]*m//g' "$ui_log" \
  | awk '/^ *Tests +/ { for (i = 1; i < NF; i++) { if ($(i+1) == "passed") p += $i; if ($(i+1) == "failed") f += $i } }
         END { print p + 0, f + 0 }')
read -r rust_passed rust_failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$cargo_log")
echo "ui: $ui_passed passed, $ui_failed failed; rust: $rust_passed passed, $rust_failed failed"
echo "total: $((ui_passed + rust_passed)) passed, $((ui_failed + rust_failed)) failed"
[ $((ui_passed + rust_passed)) -gt 0 ] && [ $((ui_failed + rust_failed)) -eq 0 ]
