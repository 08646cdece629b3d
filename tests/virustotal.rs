//! Integration tests of the VirusTotal client against tests/vt_server.py, a local HTTP server
//! that speaks the v3 file endpoint and counts what it is asked (no DPDK, no internet).

use fmon::config::{Secret, VirusTotalCfg};
use fmon::control::virustotal::{hex, permalink, Verdict, VirusTotal, VtStatus, VtTuning};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "common/vt_server.rs"]
mod vt_server;
use vt_server::VtServer;

const EICAR: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
const KEY: &str = "test-key";

fn h(n: u8) -> [u8; 32] {
    let mut s = [n; 32];
    s[0] = 0xf0;
    s
}

fn eicar() -> [u8; 32] {
    let mut o = [0u8; 32];
    assert!(fmon::control::virustotal::decode_hex(EICAR, &mut o));
    o
}

fn cfg(url: &str, cache: &Path) -> VirusTotalCfg {
    VirusTotalCfg {
        api_key: Secret::new(KEY),
        url: url.to_string(),
        requests_per_minute: 1000,
        requests_per_day: 100_000,
        cache: cache.to_path_buf(),
        timeout: 2_000_000_000,
        ..VirusTotalCfg::default()
    }
}

fn fast() -> VtTuning {
    VtTuning {
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        max_retries: 3,
        ..VtTuning::default()
    }
}

/// Polls until `n` verdicts arrived (or 15 s passed).
/// A client of `srv` with the fast tuning and a fresh cache (kept while the TempDir lives).
fn client(srv: &VtServer) -> (VirusTotal, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let vt = VirusTotal::new_with(&cfg(&srv.url(), &dir.path().join("c")), fast())
        .unwrap()
        .unwrap();
    (vt, dir)
}

fn wait_for(vt: &mut VirusTotal, n: usize) -> Vec<([u8; 32], Verdict)> {
    let end = Instant::now() + Duration::from_secs(15);
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < end {
        out.extend(vt.poll());
        std::thread::sleep(Duration::from_millis(10));
    }
    out
}

fn find(v: &[([u8; 32], Verdict)], sha: &[u8; 32]) -> Verdict {
    v.iter()
        .find(|(s, _)| s == sha)
        .map(|(_, v)| v.clone())
        .expect("verdict for hash")
}

#[test]
fn eicar_malicious_clean_clean_unknown_not_found_one_query_each() {
    let srv = VtServer::start(
        serde_json::json!({
            EICAR: {"kind": "malicious", "malicious": 62, "suspicious": 1, "undetected": 10, "date": 1796306400},
            hex(&h(1)): {"kind": "clean", "undetected": 70},
        }),
        KEY,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut vt = VirusTotal::new(&cfg(&srv.url(), &dir.path().join("c")))
        .unwrap()
        .unwrap();
    let e = eicar();
    for _ in 0..3 {
        vt.request(&e);
        vt.request(&h(1));
        vt.request(&h(2));
    }
    let got = wait_for(&mut vt, 3);
    assert_eq!(got.len(), 3);
    let m = find(&got, &e);
    assert_eq!(m.status, VtStatus::Malicious);
    assert_eq!((m.malicious, m.suspicious, m.total), (62, 1, 73));
    assert_eq!(
        m.permalink,
        format!("https://www.virustotal.com/gui/file/{EICAR}")
    );
    assert_eq!(m.scan_date.as_deref(), Some("2026-12-03T14:00:00Z"));
    let c = find(&got, &h(1));
    assert_eq!((c.status, c.malicious, c.total), (VtStatus::Clean, 0, 70));
    assert_eq!(find(&got, &h(2)).status, VtStatus::NotFound);
    assert_eq!(find(&got, &h(2)).permalink, permalink(&h(2)));
    // One query per distinct hash; later requests are answered from memory.
    vt.request(&e);
    assert!(vt.poll().is_empty());
    assert_eq!(
        (
            srv.asked(&hex(&e)),
            srv.asked(&hex(&h(1))),
            srv.asked(&hex(&h(2)))
        ),
        (1, 1, 1)
    );
    let s = vt.stats();
    assert_eq!(
        (
            s.requests_sent,
            s.verdict_malicious,
            s.verdict_clean,
            s.verdict_not_found
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(s.deduplicated + s.cache_hits, 7);
    assert_eq!(vt.cached(&e).unwrap().status, VtStatus::Malicious);
}

#[test]
fn quota_429_backs_off_then_succeeds() {
    let srv = VtServer::start(
        serde_json::json!({
            hex(&h(1)): {"kind": "quota", "times": 2, "then": {"kind": "malicious", "malicious": 3}},
            hex(&h(2)): {"kind": "error500", "times": 1, "then": {"kind": "clean"}},
        }),
        KEY,
    );
    let (mut vt, _dir) = client(&srv);
    vt.request(&h(1));
    vt.request(&h(2));
    let got = wait_for(&mut vt, 2);
    assert_eq!(find(&got, &h(1)).status, VtStatus::Malicious);
    assert_eq!(find(&got, &h(2)).status, VtStatus::Clean);
    assert_eq!((srv.asked(&hex(&h(1))), srv.asked(&hex(&h(2)))), (3, 2));
    let s = vt.stats();
    assert_eq!(
        (s.http_429, s.http_5xx, s.retries, s.requests_sent),
        (2, 1, 3, 5)
    );
}

#[test]
fn server_error_500_and_malformed_give_error_after_bounded_retries() {
    let srv = VtServer::start(
        serde_json::json!({
            hex(&h(1)): {"kind": "error500"},
            hex(&h(2)): {"kind": "malformed"},
            hex(&h(3)): {"kind": "malformed", "times": 1, "then": {"kind": "clean"}},
        }),
        KEY,
    );
    let dir = tempfile::tempdir().unwrap();
    let t = VtTuning {
        max_retries: 2,
        ..fast()
    };
    let mut vt = VirusTotal::new_with(&cfg(&srv.url(), &dir.path().join("c")), t)
        .unwrap()
        .unwrap();
    for i in 1..=3 {
        vt.request(&h(i));
    }
    let got = wait_for(&mut vt, 3);
    assert_eq!(find(&got, &h(1)).status, VtStatus::Error);
    assert_eq!(find(&got, &h(2)).status, VtStatus::Error);
    assert_eq!(find(&got, &h(3)).status, VtStatus::Clean);
    // 1 try + 2 retries.
    assert_eq!(
        (
            srv.asked(&hex(&h(1))),
            srv.asked(&hex(&h(2))),
            srv.asked(&hex(&h(3)))
        ),
        (3, 3, 2)
    );
    let s = vt.stats();
    assert_eq!((s.verdict_error, s.http_5xx, s.malformed), (2, 3, 4));
    // A failed hash is not asked again at once, and errors are not cached.
    vt.request(&h(1));
    assert!(vt.cached(&h(1)).is_none());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(srv.asked(&hex(&h(1))), 3);
}

#[test]
fn slow_server_times_out_and_gives_error() {
    let srv = VtServer::start(
        serde_json::json!({
            hex(&h(1)): {"kind": "slow", "sleep": 3, "answer": {"kind": "malicious", "malicious": 9}},
        }),
        KEY,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&srv.url(), &dir.path().join("c"));
    c.timeout = 300_000_000;
    let t = VtTuning {
        max_retries: 1,
        ..fast()
    };
    let mut vt = VirusTotal::new_with(&c, t).unwrap().unwrap();
    vt.request(&h(1));
    let got = wait_for(&mut vt, 1);
    assert_eq!(find(&got, &h(1)).status, VtStatus::Error);
    let s = vt.stats();
    assert_eq!((s.timeouts, s.requests_sent, s.verdict_error), (2, 2, 1));
}

#[test]
fn rejected_key_stops_querying_and_never_leaks() {
    let srv = VtServer::start(serde_json::json!({}), KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&srv.url(), &dir.path().join("c"));
    c.api_key = Secret::new("wrong-key-s3cr3t");
    let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
    for i in 1..=4 {
        vt.request(&h(i));
    }
    let end = Instant::now() + Duration::from_secs(10);
    while vt.stats().auth_rejected == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(vt.poll().is_empty(), "no verdict: files keep their status");
    vt.request(&h(9));
    let t0 = Instant::now();
    assert!(vt.drain(Duration::from_secs(10)).is_empty());
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "drain gives up at once with a rejected key"
    );
    assert_eq!(srv.total(), 1, "one request, then stop");
    assert_eq!(srv.stats()["bad_key"], 1);
    let s = vt.stats();
    assert_eq!(s.auth_rejected, 1);
    assert_eq!(s.not_checked_key_rejected, 5);
    assert_eq!(s.not_checked_at_exit, 4);
    assert!(!format!("{vt:?}").contains("s3cr3t"));
    assert!(!serde_json::to_string(&s).unwrap().contains("s3cr3t"));
}

#[test]
fn bad_key_value_and_empty_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg("http://127.0.0.1:9", &dir.path().join("c"));
    c.api_key = Secret::new("s3cr3t\nx");
    let e = VirusTotal::new(&c).unwrap_err();
    assert!(
        e.contains("virustotal.api_key") && !e.contains("s3cr3t"),
        "{e}"
    );
    c.api_key = Secret::new("");
    assert!(VirusTotal::new(&c).unwrap().is_none());
}

#[test]
fn quota_is_never_exceeded_and_rest_stays_queued() {
    let srv = VtServer::start(serde_json::json!({}), KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&srv.url(), &dir.path().join("c"));
    c.requests_per_minute = 2;
    let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
    for i in 1..=5 {
        vt.request(&h(i));
    }
    // The third request could only go a minute later: drain stops as soon as it knows that.
    let got = vt.drain(Duration::from_secs(8));
    assert_eq!(got.len(), 2);
    let st = srv.stats();
    assert_eq!(st["total"], 2);
    assert!(st["max_in_60s"].as_u64().unwrap() <= 2);
    let s = vt.stats();
    assert_eq!(
        (s.requests_sent, s.not_checked_at_exit, s.queued),
        (2, 3, 5)
    );
    assert!(s.quota_waits >= 1);
    vt.request(&h(7));
    assert_eq!(vt.stats().requested_after_exit, 1);
}

#[test]
fn queue_overflow_drops_oldest_counted() {
    let srv = VtServer::start(serde_json::json!({}), KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&srv.url(), &dir.path().join("c"));
    c.requests_per_day = 0; // nothing may be sent: the queue only fills
    c.queue_size = 2;
    let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
    for i in 1..=5 {
        vt.request(&h(i));
    }
    vt.request(&h(5)); // still queued: deduplicated
    vt.request(&h(1)); // dropped earlier: queued again
    assert_eq!(vt.queued(), 2);
    let s = vt.stats();
    assert_eq!((s.queued, s.queue_dropped, s.deduplicated), (6, 4, 1));
    assert!(vt.drain(Duration::from_secs(5)).is_empty());
    assert_eq!(vt.stats().not_checked_at_exit, 2);
    assert_eq!(srv.total(), 0);
}

#[test]
fn newest_request_is_asked_first() {
    let srv = VtServer::start(
        serde_json::json!({
            hex(&h(1)): {"kind": "slow", "sleep": 0.7, "answer": {"kind": "clean"}},
        }),
        KEY,
    );
    let (mut vt, _dir) = client(&srv);
    vt.request(&h(1));
    // h(1) is in flight (the server is slow) while the others queue up.
    std::thread::sleep(Duration::from_millis(250));
    for i in 2..=4 {
        vt.request(&h(i));
    }
    assert_eq!(vt.drain(Duration::from_secs(10)).len(), 4);
    let order: Vec<String> = serde_json::from_value(srv.stats()["order"].clone()).unwrap();
    assert_eq!(order, [1, 4, 3, 2].map(|i| hex(&h(i))));
}

#[test]
fn drain_gives_up_on_a_request_still_in_flight() {
    let srv = VtServer::start(
        serde_json::json!({
            hex(&h(1)): {"kind": "slow", "sleep": 3, "answer": {"kind": "clean"}},
        }),
        KEY,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&srv.url(), &dir.path().join("c"));
    c.timeout = 10_000_000_000;
    let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
    vt.request(&h(1));
    // The answer comes after 3 s: a drain of 400 ms returns without it and counts it.
    assert!(vt.drain(Duration::from_millis(400)).is_empty());
    assert_eq!(vt.stats().not_checked_at_exit, 1);
}

#[test]
fn drain_finishes_the_queue() {
    let srv = VtServer::start(
        serde_json::json!({ EICAR: {"kind": "malicious", "malicious": 50} }),
        KEY,
    );
    let (mut vt, _dir) = client(&srv);
    vt.request(&eicar());
    for i in 1..=5 {
        vt.request(&h(i));
    }
    let got = vt.drain(Duration::from_secs(15));
    assert_eq!(got.len(), 6);
    assert_eq!(find(&got, &eicar()).status, VtStatus::Malicious);
    assert_eq!(vt.stats().not_checked_at_exit, 0);
}

#[test]
fn second_instance_with_same_cache_sends_nothing_for_known_hashes() {
    let srv = VtServer::start(
        serde_json::json!({
            EICAR: {"kind": "malicious", "malicious": 50},
            hex(&h(1)): {"kind": "clean"},
        }),
        KEY,
    );
    let dir = tempfile::tempdir().unwrap();
    // A directory as `virustotal.cache`: verdicts.jsonl inside it.
    let cache = dir.path().join("vt-cache");
    std::fs::create_dir(&cache).unwrap();
    let c = cfg(&srv.url(), &cache);
    {
        let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
        vt.request(&eicar());
        vt.request(&h(1));
        vt.request(&h(2));
        assert_eq!(wait_for(&mut vt, 3).len(), 3);
    }
    assert!(cache.join("verdicts.jsonl").is_file());
    assert_eq!(srv.total(), 3);
    {
        let mut vt = VirusTotal::new_with(&c, fast()).unwrap().unwrap();
        assert_eq!(vt.stats().cache_loaded, 3);
        let m = vt.cached(&eicar()).unwrap();
        assert_eq!((m.status, m.malicious), (VtStatus::Malicious, 50));
        assert_eq!(m.permalink, permalink(&eicar()));
        assert_eq!(vt.cached(&h(1)).unwrap().status, VtStatus::Clean);
        assert_eq!(vt.cached(&h(2)).unwrap().status, VtStatus::NotFound);
        vt.request(&eicar());
        vt.request(&h(1));
        vt.request(&h(2));
        assert!(vt.drain(Duration::from_secs(2)).is_empty());
        assert_eq!(vt.stats().requests_sent, 0);
    }
    assert_eq!(srv.total(), 3, "no request for cached hashes");
    // Clean and not_found verdicts are asked again once old; malicious ones are kept for ever.
    let mut c2 = c.clone();
    c2.recheck_after = 0;
    let mut vt = VirusTotal::new_with(&c2, fast()).unwrap().unwrap();
    assert!(vt.cached(&eicar()).is_some());
    assert!(vt.cached(&h(1)).is_none());
    vt.request(&eicar());
    vt.request(&h(1));
    assert_eq!(vt.drain(Duration::from_secs(10)).len(), 1);
    assert_eq!((srv.asked(&hex(&eicar())), srv.asked(&hex(&h(1)))), (1, 2));
}

#[test]
fn unwritable_cache_is_counted_not_fatal() {
    let srv = VtServer::start(serde_json::json!({}), KEY);
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    // Parent is a regular file: the cache cannot be created.
    let mut vt = VirusTotal::new_with(&cfg(&srv.url(), &blocker.join("c")), fast())
        .unwrap()
        .unwrap();
    vt.request(&h(1));
    assert_eq!(wait_for(&mut vt, 1)[0].1.status, VtStatus::NotFound);
    assert_eq!(vt.stats().cache_write_errors, 1);
}

#[test]
fn dead_server_loses_nothing() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let t = VtTuning {
        max_retries: 1,
        ..fast()
    };
    let mut vt = VirusTotal::new_with(
        &cfg(&format!("http://127.0.0.1:{port}"), &dir.path().join("c")),
        t,
    )
    .unwrap()
    .unwrap();
    for i in 1..=3 {
        vt.request(&h(i));
    }
    let got = vt.drain(Duration::from_secs(10));
    let s = vt.stats();
    // Every hash either got an Error verdict or is counted as not checked.
    assert_eq!(got.len() as u64 + s.not_checked_at_exit, 3);
    assert!(got.iter().all(|(_, v)| v.status == VtStatus::Error));
    assert!(s.transport_errors >= 1);
}
