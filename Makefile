# Switchboard: the two commands, and the installers.
#   make run    build and open the console on the built-in simulator, with sample data
#   make test   every test: Rust crates, UI unit tests and type check, lints, and the
#               end-to-end tests of the real app under Xvfb (cargo-nextest runs the Rust tests,
#               each in its own process, side by side: .config/nextest.toml); the benches run
#               once each on a small input
#   make package   release installers: .deb and .rpm (Tauri's bundler) and AppImage, in
#               target/release/bundle/ (see README, "Install")
# Each does its own set-up (scripts/setup.sh).

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

UI_SOURCES := $(shell find ui/src ui/index.html ui/vite.config.ts -type f 2>/dev/null)

.PHONY: run test package setup-run setup-test ui lint app rust-tests

run: setup-run ui
	cargo build -p switchboard
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display found: running the console under Xvfb (invisible). Set DISPLAY to see it."; \
		xvfb-run -a ./target/debug/switchboard; \
	else \
		./target/debug/switchboard; \
	fi

test: setup-test ui lint app
	cd ui && npm run --silent check
	set -o pipefail; cd ui && npm run --silent test 2>&1 | tee ../target/ui-test.log
	cargo test --workspace --all-targets --no-run --quiet
	set -o pipefail; xvfb-run -a dbus-run-session -- scripts/with-secret-service.sh \
		env NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 $(MAKE) --no-print-directory rust-tests 2>&1 \
		| tee target/cargo-test.log
	set -o pipefail; cargo test --workspace --bench '*' 2>&1 | tee target/bench-smoke.log
	scripts/check-package.sh
	@scripts/test-summary.sh target/ui-test.log target/cargo-test.log

# A release build, bundled: the .deb and .rpm by Tauri's bundler, then the AppImage made of the
# .deb's tree with our runtime (scripts/build-appimage.sh: nothing is downloaded).
TAURI := ui/node_modules/.bin/tauri
package: setup-run ui
	$(TAURI) build --ci --bundles deb,rpm
	scripts/build-appimage.sh release

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

# The console's built UI, embedded in the binary at compile time.
ui: ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES) ui/package-lock.json
	cd ui && npm run --silent build

lint:
	cargo fmt --all --check
	scripts/check-one-build.sh
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# The app binary the end-to-end tests drive.
app: ui
	cargo build -p switchboard
	mkdir -p target

# The tests that race the clock run first, two at a time on an otherwise idle machine (as they
# ran under `cargo test`): audio frames timed against it, and write outages timed against the
# store's busy timeout. Then every other test, many at once.
CLOCKED_TESTS := (package(switchboard-telephony) & kind(test) & \
	test(/^listen::(a_listener_that_stops_draining|the_tap_carries_both)|^pipeline::a_quote_is_collected_with_record_field/)) | \
	(package(switchboard-sim) & kind(test) & test(/^write_failures::/))
RUST_TESTS := cargo nextest run --workspace --lib --bins --tests --no-fail-fast

rust-tests:
	status=0; \
	$(RUST_TESTS) --test-threads 2 -E '$(CLOCKED_TESTS)' || status=1; \
	$(RUST_TESTS) -E 'not ($(CLOCKED_TESTS))' || status=1; \
	exit $$status
