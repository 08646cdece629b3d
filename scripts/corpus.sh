#!/usr/bin/env bash
# Runs the sensor (pcap PMD) on every capture of a ground-truth corpus laid out as
# <dir>/<capture>/input.pcap + expected.json (e.g. ../shared/corpus/suricata-verify) and scores
# the events with the corpus' score.py. Usage: scripts/corpus.sh CORPUS_DIR [OUT_DIR] [score args]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: scripts/corpus.sh CORPUS_DIR [OUT_DIR] [score.py args]}
out=${2:-target/corpus}
shift $(( $# >= 2 ? 2 : 1 ))
bin=${FMON_BIN:-target/release/fmon-dpdk}
[ -x "$bin" ] || cargo build --release --bin fmon-dpdk
mkdir -p "$out/events" "$out/logs"
cat > "$out/sensor.yaml" <<YAML
sensor: { name: corpus }
capture: { idle_yield: true }
files: { log: all, hashes: [sha256, md5, sha1] }
outputs: { eve: { path: /dev/null }, stats: { interval: 1h } }
YAML
run_one() {
  local dir=$1 name
  name=$(basename "$dir")
  rm -f "$out/events/$name.json"
  timeout 120 "$bin" -l 0-1 --no-huge -m 256 --no-pci --file-prefix "fmon-corpus-$name" \
    --vdev "net_pcap0,rx_pcap=$dir/input.pcap" -- -c "$out/sensor.yaml" \
    --eve "$out/events/$name.json" >"$out/logs/$name.log" 2>&1 || echo "FAILED: $name (see $out/logs/$name.log)"
}
export -f run_one
export bin out
find "$corpus" -mindepth 1 -maxdepth 1 -type d | sort | xargs -P 2 -I{} bash -c 'run_one {}'
score=$(dirname "$corpus")/score.py
python3 "$score" --expected-dir "$corpus" --events-dir "$out/events" "$@" | tee "$out/score.txt" | tail -n 1
