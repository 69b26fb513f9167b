#!/usr/bin/env bash
# Adds up the test counts of the UI (vitest) and Rust (cargo-nextest) logs into one closing line.
set -euo pipefail
ui_log=$1
cargo_log=$2
read -r ui_passed ui_failed < <(sed 's/\x1b\[[0-9;]*m//g' "$ui_log" \
  | awk '/^ *Tests +/ { for (i = 1; i < NF; i++) { if ($(i+1) == "passed") p += $i; if ($(i+1) == "failed") f += $i } }
         END { print p + 0, f + 0 }')
# nextest's closing lines (one per run): "Summary [ 423.3s] 635 tests run: 632 passed (3 slow), 3 failed, 10 skipped".
# A test that passed when run again is "(1 flaky)" after the passed count.
read -r rust_passed rust_failed rust_flaky < <(sed 's/\x1b\[[0-9;]*m//g' "$cargo_log" \
  | awk '/^ *Summary \[/ { for (i = 1; i < NF; i++) { w = $(i+1); sub(/,$/, "", w); if (w == "passed") p += $i; if (w == "failed" || w == "timed") f += $i; if (w ~ /^flaky\)/) { n = $i; sub(/^\(/, "", n); k += n } } }
         END { print p + 0, f + 0, k + 0 }')
echo "ui: $ui_passed passed, $ui_failed failed; rust: $rust_passed passed ($rust_flaky flaky: passed when run again), $rust_failed failed"
echo "total: $((ui_passed + rust_passed)) passed, $((ui_failed + rust_failed)) failed"
[ $((ui_passed + rust_passed)) -gt 0 ] && [ $((ui_failed + rust_failed)) -eq 0 ]
