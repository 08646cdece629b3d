#!/bin/bash
# Whole-binary benchmark (issue 2 item 11): generates (once, cached in target/bench/) a large
# file-heavy HTTP capture and a small-packet no-file capture, runs fmon-dpdk on them through
# the pcap PMD with 1 and 2 workers, with `hashes: [sha256]` and with all three hashes, and
# prints bytes, wall seconds, Gbit/s, packets/s, per-worker-core Gbit/s, drops (final stats
# event), files found and peak RSS against the targets. Run as root.
#
# Usage: scripts/bench.sh [--size 1G] [--nofile-size 256M] [--quick]
#   --quick: only 1 worker / sha256 and the no-file run (for a smoke test with --size 50M)
# Env: EAL_MEM (MB, default 2048), LCORES_1 / LCORES_2 (EAL lcore options for 1 / 2 workers),
#      CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=1G
NOFILE_SIZE=256M
QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE="$2"; shift 2 ;;
        --nofile-size) NOFILE_SIZE="$2"; shift 2 ;;
        --quick) QUICK=1; shift ;;
        *) echo "usage: $0 [--size 1G] [--nofile-size 256M] [--quick]" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then echo "bench.sh: run as root (DPDK EAL)" >&2; exit 1; fi
[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

TARGET="${CARGO_TARGET_DIR:-target}"
BENCH=target/bench
mkdir -p "$BENCH"
EAL_MEM="${EAL_MEM:-2048}"
NCPU=$(nproc)
LCORES_1="${LCORES_1:--l 0-1}"
# control + RX + 2 workers: on a 2-CPU machine this shares CPUs (figures are then a floor).
LCORES_2="${LCORES_2:---lcores 0@0,1@1,2@0,3@1}"

echo "== building (release)"
cargo build --release --bin fmon-dpdk --bin fmon-pcapgen >&2
BIN="${FMON_BIN:-$TARGET/release/fmon-dpdk}"
GEN="$TARGET/release/fmon-pcapgen"

gen() { # kind size file
    if [ ! -s "$3" ] || [ "$(cat "$3.size" 2>/dev/null)" != "$2" ] || [ "$GEN" -nt "$3" ]; then
        echo "== generating $3 ($2)"
        "$GEN" "$1" --out "$3" --size "$2" 2> "$3.info"
        echo "$2" > "$3.size"
    fi
    cat "$3.info"
}
FILECAP="$BENCH/bench-$SIZE.pcap"
NOFILECAP="$BENCH/bench-nofile-$NOFILE_SIZE.pcap"
gen bench "$SIZE" "$FILECAP"
gen bench-nofile "$NOFILE_SIZE" "$NOFILECAP"
EXPECTED_FILES=$(sed -n 's/.* \([0-9]*\) files$/\1/p' "$FILECAP.info")

hash_rate() { # MB/s the three hashes together allow on one core (openssl), for the 80 % target
    command -v openssl >/dev/null || { echo 0; return; }
    openssl speed -bytes 16384 -seconds 1 sha256 md5 sha1 2>/dev/null | python3 -c '
import sys
r = {}
for l in sys.stdin:
    p = l.split()
    if p and p[0] in ("sha256", "md5", "sha1") and len(p) >= 2:
        v = p[-1].rstrip("k")
        try: r[p[0]] = float(v) * 1000 / 1e6
        except ValueError: pass
if len(r) == 3: print(round(1 / sum(1 / x for x in r.values()), 1), round(r["sha256"], 1))
else: print(0, 0)'
}

run() { # label capture workers lcores hashes -> prints one result line, records JSON
    local label="$1" cap="$2" workers="$3" lcores="$4" hashes="$5"
    local dir="$BENCH/run-$label"
    rm -rf "$dir"; mkdir -p "$dir"
    cat > "$dir/sensor.yaml" <<EOF
sensor: { name: bench }
files: { log: all, hashes: [$hashes] }
capture: { idle_yield: false, workers: $([ "$workers" = 1 ] && echo 0 || echo "$workers") }
outputs: { eve: { path: $dir/eve.json }, stats: { interval: 1h } }
EOF
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$dir/time.txt" "$BIN" $lcores --no-huge -m "$EAL_MEM" --no-pci \
        --file-prefix "fmon-bench-$label-$$" --vdev "net_pcap0,rx_pcap=$cap" -- -c "$dir/sensor.yaml" \
        > "$dir/stdout.txt" 2> "$dir/stderr.txt" || { echo "fmon-dpdk failed ($label):"; tail -5 "$dir/stderr.txt"; return 1; }
    t1=$(date +%s.%N)
    python3 - "$dir" "$cap" "$t0" "$t1" "$workers" "$label" "${OVERHEAD:-0}" <<'EOF'
import json, os, sys
d, cap, t0, t1, workers, label, overhead = sys.argv[1:]
wall = float(t1) - float(t0)
net = max(wall - float(overhead), 1e-3)
files = 0; stats = None
for l in open(os.path.join(d, "eve.json")):
    try: v = json.loads(l)
    except ValueError: continue
    if v.get("event_type") == "fileinfo": files += 1
    elif v.get("event_type") == "stats": stats = v.get("stats", {})
def walk(o, keys):
    s = 0
    if isinstance(o, dict):
        for k, x in o.items():
            s += x if (k in keys and isinstance(x, (int, float))) else walk(x, keys)
    elif isinstance(o, list):
        for x in o: s += walk(x, keys)
    return s
stats = stats or {}
cap_stats = stats.get("capture", {})
pkts = walk(cap_stats, {"packets", "ipackets"})
byts = walk(cap_stats, {"bytes", "ibytes"})
if not byts: byts = os.path.getsize(cap)
drops = walk(stats.get("dispatch", {}), {"dropped"}) + walk(cap_stats, {"imissed", "ierrors", "rx_nombuf"})
# Time the workers spent processing packets (not reading the capture, not idle polling):
# bits over that time is the rate one worker core sustains.
# (from the exit line on stderr: pcap runs keep wall times out of their events).
busy = 0
for l in open(os.path.join(d, "stderr.txt")):
    if "workers busy [" in l:
        busy = sum(int(x) for x in l.split("workers busy [")[1].split("]")[0].split(",") if x.strip()) / 1000
rss = 0
for l in open(os.path.join(d, "time.txt")):
    if "Maximum resident set size" in l: rss = int(l.split()[-1]) // 1024
gbps = byts * 8 / net / 1e9
busy_gbps = byts * 8 / busy / 1e9 if busy else 0
busy_mpps = pkts / busy / 1e6 if busy else 0
r = dict(label=label, bytes=byts, wall=round(wall, 2), secs=round(net, 2), gbps=round(gbps, 2),
         pps=round(pkts / net), per_core_gbps=round(gbps / int(workers), 2), drops=drops,
         files=files, rss_mb=rss, packets=pkts, busy_s=round(busy, 2),
         per_busy_core_gbps=round(busy_gbps, 2), per_busy_core_mpps=round(busy_mpps, 2))
json.dump(r, open(os.path.join(d, "result.json"), "w"))
print(f"{label:<22} {byts/1e6:>9.1f} MB {net:>7.2f} s {gbps:>7.2f} Gbit/s {pkts/net/1e6:>7.2f} Mpps "
      f"{gbps/int(workers):>7.2f} Gbit/s/worker  drops {drops:<8} files {files:<7} peak RSS {rss} MB")
print(f"{'':<22} worker busy {busy:.2f} s: {busy_gbps:.2f} Gbit/s, {busy_mpps:.2f} Mpps per busy worker core")
EOF
}

echo "== startup overhead (tiny capture)"
OVERHEAD=0
run startup pcaps/http-eicar.pcap 1 "$LCORES_1" sha256 >/dev/null
OVERHEAD=$(python3 -c "import json;print(json.load(open('$BENCH/run-startup/result.json'))['wall'])")
echo "startup + shutdown: ${OVERHEAD} s (subtracted from the runs below)"
export OVERHEAD

echo "== runs ($NCPU CPUs; capture $(du -h "$FILECAP" | cut -f1), $EXPECTED_FILES files generated)"
printf '%-22s %12s %9s %13s %11s %21s\n' run bytes secs rate pps per-worker
run w1-sha256 "$FILECAP" 1 "$LCORES_1" sha256
if [ "$QUICK" = 0 ]; then
    run w1-all3 "$FILECAP" 1 "$LCORES_1" "sha256, md5, sha1"
    run w2-sha256 "$FILECAP" 2 "$LCORES_2" sha256
    run w2-all3 "$FILECAP" 2 "$LCORES_2" "sha256, md5, sha1"
fi
run nofile-w1 "$NOFILECAP" 1 "$LCORES_1" sha256

echo "== against the targets (issue 2, item 11)"
read -r H3 HSHA < <(hash_rate)
python3 - "$BENCH" "$QUICK" "$H3" "$HSHA" "$EXPECTED_FILES" <<'EOF'
import json, os, sys
b, quick, h3, hsha, expected = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def r(l):
    p = os.path.join(b, "run-" + l, "result.json")
    return json.load(open(p)) if os.path.exists(p) else None
def line(ok, text): print(("PASS " if ok else "MISS ") + text)
w1 = r("w1-sha256"); nf = r("nofile-w1")
line(w1["per_busy_core_gbps"] >= 8, f"sha256, 1 worker: {w1['per_busy_core_gbps']} Gbit/s per worker core, from the worker's busy time (target >= 8); end to end with the capture read on the same lcore: {w1['per_core_gbps']} Gbit/s")
line(str(w1["files"]) == expected, f"files found: {w1['files']} of {expected} generated")
line(w1["drops"] == 0, f"drops: {w1['drops']}")
line(nf["per_busy_core_mpps"] >= 10, f"no-file traffic: {nf['per_busy_core_mpps']} Mpps per worker core, from its busy time (target >= 10); end to end: {nf['pps']/1e6:.2f} Mpps")
if not quick:
    a3 = r("w1-all3"); w2 = r("w2-sha256")
    if h3 > 0:
        allow = h3 * 8 / 1000  # Gbit/s the three hashes alone allow on one core
        line(a3["per_busy_core_gbps"] >= 0.8 * allow, f"all three hashes: {a3['per_busy_core_gbps']} Gbit/s per worker core; hashes alone allow {allow:.2f} (target >= 80 %: {0.8*allow:.2f})")
    else:
        print(f"INFO all three hashes: {a3['per_busy_core_gbps']} Gbit/s per worker core (openssl missing: no reference)")
    line(w2["gbps"] >= 1.8 * w1["gbps"], f"2 workers: {w2['gbps']} vs {w1['gbps']} Gbit/s = {w2['gbps']/max(w1['gbps'],1e-9):.2f}x end to end (target >= 1.8x; needs control + RX + 2 workers on >= 4 free CPUs, this machine has {os.cpu_count()})")
    print(f"INFO 2 workers: {w2['per_busy_core_gbps']} Gbit/s per busy worker core vs {w1['per_busy_core_gbps']} with 1 (busy time includes time the CPU was lent to another lcore when they share CPUs)")
rss = [x["rss_mb"] for x in (r("w1-sha256"), r("nofile-w1")) if x]
print(f"INFO peak RSS: {rss} MB (must stay flat as --size grows: compare runs of different sizes)")
EOF
