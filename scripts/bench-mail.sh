#!/bin/bash
# Flat-memory check for mail (issue 3): generates captures where SMTP DATA, POP3 RETR and IMAP
# FETCH BODY[] each carry one mail whose executable attachment is base64 (20 MiB -> a ~27 MB
# mail), runs the whole binary on each through the pcap PMD, checks that every attachment comes
# out whole (sha256, size, CLOSED), and prints the peak RSS per attachment size. Memory is flat
# when the peak does not grow with the attachment. Run as root.
#
# Usage: scripts/bench-mail.sh [SIZE ...]   (default: 1M 20M 80M; attachment sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "bench-mail.sh: run as root (DPDK EAL)" >&2; exit 1; fi
[ -x /usr/bin/time ] || { echo "bench-mail.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ $# -gt 0 ] || set -- 1M 20M 80M
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --bin fmon-dpdk --bin fmon-pcapgen >&2
BIN="${FMON_BIN:-$TARGET/release/fmon-dpdk}"
GEN="$TARGET/release/fmon-pcapgen"
printf '%-10s %10s %8s %8s %s\n' attachment capture secs peak-RSS files
fail=0
for size in "$@"; do
    dir=target/bench/bigmail-$size
    mkdir -p "$dir"
    if [ ! -s "$dir/bigmail.pcap" ] || [ "$GEN" -nt "$dir/bigmail.pcap" ]; then
        "$GEN" bigmail --out "$dir" --size "$size"
    fi
    cat > "$dir/sensor.yaml" <<EOF
sensor: { name: bench-mail }
files: { log: all, hashes: [sha256] }
capture: { idle_yield: true }
outputs: { eve: { path: $dir/eve.json }, stats: { interval: 1h } }
EOF
    rm -f "$dir/eve.json"
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$dir/time.txt" "$BIN" -l 0-1 --no-huge -m 512 --no-pci \
        --file-prefix "fmbm-$$" --vdev "net_pcap0,rx_pcap=$dir/bigmail.pcap" -- -c "$dir/sensor.yaml" \
        > "$dir/stdout.txt" 2> "$dir/stderr.txt" || { echo "fmon-dpdk failed ($size):"; tail -5 "$dir/stderr.txt"; exit 1; }
    t1=$(date +%s.%N)
    python3 - "$dir" "$size" "$t0" "$t1" <<'PY' || fail=1
import json, os, sys
d, size, t0, t1 = sys.argv[1:]
want = json.load(open(os.path.join(d, "bigmail.expected.json")))["files"]
got = [json.loads(l) for l in open(os.path.join(d, "eve.json")) if l.strip()]
got = [g for g in got if g.get("event_type") == "fileinfo"]
missing = []
for w in want:
    ok = any(g["app_proto"] == w["app_proto"] and g["fileinfo"]["sha256"] == w["sha256"]
             and g["fileinfo"]["size"] == w["size"] and g["fileinfo"]["state"] == "CLOSED"
             for g in got)
    if not ok:
        missing.append("%s %s %d B" % (w["app_proto"], w["filename"] or "(body)", w["size"]))
rss = 0
for l in open(os.path.join(d, "time.txt")):
    if "Maximum resident set size" in l:
        rss = int(l.split()[-1]) // 1024
cap = os.path.getsize(os.path.join(d, "bigmail.pcap")) / 1e6
print("%-10s %7.1f MB %8.2f %5d MB %d/%d whole" % (size, cap, float(t1) - float(t0), rss,
                                                  len(want) - len(missing), len(want)))
for m in missing:
    print("   MISSING:", m)
sys.exit(1 if missing else 0)
PY
done
exit $fail
