#!/usr/bin/env bash
# Demo (run as root on Debian 12): installs what is needed, builds the sensor, runs it on a
# bundled capture with the pcap poll-mode driver (no hugepages, no NIC) and prints its events.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --bin fmon-dpdk
pcap=${1:-pcaps/ids-infection.pcap}
out=$(mktemp -d)
cat > "$out/sensor.yaml" <<YAML
sensor: { name: demo }
capture: { idle_yield: true }
files: { log: all }
outputs: { eve: { path: $out/eve.json }, stats: { interval: 1h } }
YAML
./target/release/fmon-dpdk -l 0-1 --no-huge -m 256 --no-pci --file-prefix fmon-demo-$$ \
  --vdev "net_pcap0,rx_pcap=$pcap" -- -c "$out/sensor.yaml" 2> "$out/stderr.txt" \
  || { cat "$out/stderr.txt" >&2; exit 1; }
if command -v jq >/dev/null 2>&1; then jq -c . "$out/eve.json"; else cat "$out/eve.json"; fi
echo "(events in $out/eve.json)" >&2
