#!/bin/sh
# Regenerates the committed test captures in pcaps/ (and their .expected.json manifests) with
# the project's generator, then checks them with the independent python reader.
# Usage: scripts/gen-pcaps.sh            (run from anywhere inside the repository)
set -eu
cd "$(dirname "$0")/.."
cargo build --release --no-default-features --bin fmon-pcapgen
bin="${CARGO_TARGET_DIR:-target}/release/fmon-pcapgen"
rm -f pcaps/*.pcap pcaps/*.expected.json
"$bin" all --out pcaps
if command -v python3 >/dev/null 2>&1; then
    python3 scripts/check-pcaps.py pcaps
fi
echo "pcaps/: $(ls pcaps/*.pcap | wc -l) captures, $(du -sh pcaps | cut -f1)"
