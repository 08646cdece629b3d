#!/usr/bin/env python3
"""A local stand-in for the VirusTotal v3 file endpoint, for tests (python3 stdlib only).

Usage: vt_server.py TABLE.json [--key KEY]

Binds 127.0.0.1 on a free port and prints `PORT <n>` as its first stdout line.
Serves GET /api/v3/files/<sha256> from TABLE (sha256 -> behaviour); a hash missing from the table
is a 404 NotFoundError. A request whose x-apikey header is not KEY (default "test-key") gets 401.
GET /_stats returns what was asked: total, per_sha256, per_minute (unix minute -> count),
max_in_60s (most requests in any sliding 60 s window), bad_key (401s sent), order (hashes in
the order they were asked).

Behaviours (JSON objects, "kind" selects):
  {"kind": "malicious", "malicious": N, "suspicious": S, "undetected": U, "harmless": H, "date": T}
  {"kind": "clean", "undetected": U, "harmless": H, "date": T}
  {"kind": "not_found"}
  {"kind": "quota"}                     429 QuotaExceededError
  {"kind": "error500"}                  500
  {"kind": "slow", "sleep": SECONDS, "answer": {...}}  sleeps, then answers (default clean)
  {"kind": "malformed"}                 200 with a body that is not JSON
  {"kind": "unauthorized"}              401 even with the right key
Any behaviour may carry "times": K and "then": {...}: the first K requests for that hash get the
behaviour, later ones get "then".
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {"total": 0, "per_sha256": {}, "per_minute": {}, "bad_key": 0, "order": []}
TIMES = []  # arrival time of every file request
SEEN = {}  # sha256 -> requests so far


def error_body(code, message):
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def file_object(sha, b):
    stats = {
        "harmless": b.get("harmless", 0),
        "type-unsupported": b.get("type_unsupported", 0),
        "suspicious": b.get("suspicious", 0),
        "confirmed-timeout": 0,
        "timeout": 0,
        "failure": 0,
        "malicious": b.get("malicious", 0),
        "undetected": b.get("undetected", 60),
    }
    return json.dumps(
        {
            "data": {
                "id": sha,
                "type": "file",
                "links": {"self": "https://www.virustotal.com/api/v3/files/" + sha},
                "attributes": {
                    "last_analysis_date": b.get("date", 1796306400),
                    "last_analysis_stats": stats,
                    "sha256": sha,
                    "meaningful_name": "sample",
                },
            }
        }
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                now = time.time()
                best = 0
                j = 0
                for i, t in enumerate(TIMES):
                    while TIMES[j] <= t - 60.0:
                        j += 1
                    best = max(best, i - j + 1)
                out = dict(STATS, max_in_60s=best, last_60s=sum(1 for t in TIMES if t > now - 60))
                body = json.dumps(out).encode()
            return self.send(200, body)
        prefix = "/api/v3/files/"
        if not self.path.startswith(prefix):
            return self.send(404, error_body("NotFoundError", "no such endpoint"))
        sha = self.path[len(prefix):].lower()
        now = time.time()
        with LOCK:
            STATS["total"] += 1
            STATS["order"].append(sha)
            STATS["per_sha256"][sha] = STATS["per_sha256"].get(sha, 0) + 1
            minute = str(int(now // 60))
            STATS["per_minute"][minute] = STATS["per_minute"].get(minute, 0) + 1
            TIMES.append(now)
            n = SEEN.get(sha, 0)
            SEEN[sha] = n + 1
        if self.headers.get("x-apikey") != KEY:
            with LOCK:
                STATS["bad_key"] += 1
            return self.send(401, error_body("WrongCredentialsError", "Wrong API key"))
        b = TABLE.get(sha, {"kind": "not_found"})
        while "times" in b and n >= b["times"]:
            n -= b["times"]
            b = b.get("then", {"kind": "not_found"})
        self.answer(sha, b)

    def answer(self, sha, b):
        kind = b.get("kind", "not_found")
        if kind in ("malicious", "clean"):
            if kind == "clean":
                b = dict(b, malicious=0, suspicious=0)
            return self.send(200, file_object(sha, b))
        if kind == "not_found":
            return self.send(404, error_body("NotFoundError", 'File "%s" not found' % sha))
        if kind == "quota":
            return self.send(429, error_body("QuotaExceededError", "Quota exceeded"))
        if kind == "error500":
            return self.send(500, error_body("TransientError", "internal error"))
        if kind == "malformed":
            return self.send(200, b'{"data": {"attributes": {"last_analysis_stats": ', "application/json")
        if kind == "unauthorized":
            return self.send(401, error_body("WrongCredentialsError", "Wrong API key"))
        if kind == "slow":
            time.sleep(float(b.get("sleep", 5)))
            return self.answer(sha, b.get("answer", {"kind": "clean"}))
        return self.send(400, error_body("BadRequestError", "unknown behaviour " + kind))


def main():
    global TABLE, KEY
    args = sys.argv[1:]
    KEY = "test-key"
    if "--key" in args:
        i = args.index("--key")
        KEY = args[i + 1]
        del args[i : i + 2]
    with open(args[0]) as f:
        TABLE = {k.lower(): v for k, v in json.load(f).items()}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
