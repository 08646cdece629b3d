#!/usr/bin/env bash
# The whole test suite (run as root on Debian 12): installs what is needed, checks format and
# lints, builds, runs every test (unit, pcap end-to-end through the real binary with the pcap
# PMD, the live af_packet test in its own network namespace), and checks the fuzz targets build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo build --all-targets
cargo test --no-fail-fast -- --test-threads=2
echo "fuzz targets:"
CARGO_TARGET_DIR=target/fuzz-check cargo check --quiet --manifest-path fuzz/Cargo.toml --bins
echo "fuzz targets build"
echo "demo (the README's first command):"
./scripts/demo.sh > target/demo-events.json
n=$(grep -c '"event_type":"fileinfo"' target/demo-events.json || true)
[ "$n" -ge 3 ] || { echo "demo printed $n fileinfo events, expected >= 3" >&2; exit 1; }
echo "demo: $n fileinfo events"
