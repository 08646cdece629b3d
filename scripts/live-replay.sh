#!/bin/bash
# Manual live-capture check (what tests/live_af_packet.rs automates): makes a veth pair with one
# end in its own network namespace, runs fmon-dpdk on the root-namespace end with the af_packet
# PMD, replays captures into the other end with tcpreplay, stops the sensor with SIGTERM and
# prints the fileinfo events. Namespace and veth are removed on exit, whatever happens.
# Usage (root): scripts/live-replay.sh [capture.pcap ...]   (default: a few of pcaps/)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (apt-get install tcpreplay)" >&2; exit 1; }
BIN="${FMON_BIN:-${CARGO_TARGET_DIR:-target}/release/fmon-dpdk}"
[ -x "$BIN" ] || cargo build --release --bin fmon-dpdk
NS="fmon-live-$$"; NEAR="fml$$a"; FAR="fml$$b"
TMP=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    ip link del "$NEAR" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"
ip link add "$NEAR" type veth peer name "$FAR"
ip link set "$FAR" netns "$NS"
ip link set "$NEAR" mtu 1600 up
ip netns exec "$NS" ip link set "$FAR" mtu 1600 up
cat > "$TMP/sensor.yaml" <<YAML
sensor: { name: live }
files: { log: all }
capture: { idle_yield: true }
outputs: { eve: { path: $TMP/eve.json }, stats: { interval: 1s } }
YAML
"$BIN" -l 0-1 --no-huge -m 256 --no-pci --file-prefix "$NS" --vdev "net_af_packet0,iface=$NEAR" \
    -- -c "$TMP/sensor.yaml" 2> "$TMP/stderr.txt" &
PID=$!
for _ in $(seq 1 300); do grep -q '"stats"' "$TMP/eve.json" 2>/dev/null && break; sleep 0.2; done
if [ $# -eq 0 ]; then set -- pcaps/http-cl-exe.pcap pcaps/http-keepalive.pcap pcaps/smtp-attach.pcap pcaps/imap-append.pcap pcaps/pop3-retr.pcap; fi
for p in "$@"; do ip netns exec "$NS" tcpreplay -q -i "$FAR" --topspeed "$p"; done
sleep 2
kill -TERM "$PID"
wait "$PID" || { echo "fmon-dpdk exited with $?"; cat "$TMP/stderr.txt"; }
PID=
python3 - "$TMP/eve.json" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    v = json.loads(l)
    if v.get("event_type") == "fileinfo":
        f = v["fileinfo"]
        print(v.get("app_proto"), v.get("src_ip"), "->", v.get("dest_ip"), f.get("filename"), f.get("size"), f.get("state"), f.get("type"), f.get("sha256"))
PY
