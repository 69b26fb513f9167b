# Switchboard: the two commands.
#   make run    build and open the console on the built-in simulator, with sample data
#   make test   every test: Rust crates, UI unit tests and type check, lints, and the
#               end-to-end tests of the real app under Xvfb
# Each does its own set-up (scripts/setup.sh).

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

UI_SOURCES := $(shell find ui/src ui/index.html ui/vite.config.ts -type f 2>/dev/null)

.PHONY: run test setup-run setup-test ui lint app

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
	set -o pipefail; xvfb-run -a dbus-run-session -- env NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
		cargo test --workspace --all-targets --no-fail-fast 2>&1 | tee target/cargo-test.log
	@scripts/test-summary.sh target/ui-test.log target/cargo-test.log

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
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# The app binary the end-to-end tests drive.
app: ui
	cargo build -p switchboard
	mkdir -p target
