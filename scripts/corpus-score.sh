#!/bin/bash
# Runs the real binary (pcap PMD) on every capture of the external corpus and scores the EVE
# output with the corpus's score.py. Root needed (EAL).
# Usage: scripts/corpus-score.sh [corpus-dir (default ../shared/corpus)] [--confidence high]
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${1:-../shared/corpus}"; shift || true
BIN="${FMON_BIN:-${CARGO_TARGET_DIR:-target}/release/fmon-dpdk}"
[ -x "$BIN" ] || cargo build --release --bin fmon-dpdk
EV=target/corpus-events; rm -rf "$EV"; mkdir -p "$EV"
for d in "$CORPUS"/suricata-verify/*/; do
    name=$(basename "$d")
    [ -f "$d/input.pcap" ] || continue
    cat > "$EV/sensor.yaml" <<YAML
sensor: { name: corpus }
files: { log: all }
capture: { idle_yield: true }
outputs: { eve: { path: $PWD/$EV/$name.json }, stats: { interval: 1h } }
YAML
    timeout 120 "$BIN" -l 0-1 --no-huge -m 256 --no-pci --file-prefix "fmon-corpus-$$" \
        --vdev "net_pcap0,rx_pcap=$d/input.pcap" -- -c "$EV/sensor.yaml" > /dev/null 2> "$EV/$name.stderr" \
        || echo "$name: fmon-dpdk exit $?" >&2
done
python3 "$CORPUS/score.py" --expected-dir "$CORPUS/suricata-verify" --events-dir "$EV" "$@"
