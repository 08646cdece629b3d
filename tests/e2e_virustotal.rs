//! End-to-end VirusTotal (issue 4) through the real binary and DPDK's pcap PMD, against
//! tests/vt_server.py: the EICAR file (pcaps/http-eicar) is rank 100 with the permalink, the
//! clean files (pcaps/http-keepalive) are not; the quota holds and each sha256 is asked once; a
//! second run with the same cache asks nothing and writes the verdicts on the first lines; a
//! dead server or a wrong key loses no file event; the key never shows; a local blocklist gives
//! rank 100 with an `intel` object and promotes the file in a `which: malicious` store.
//! Needs root (EAL).

mod common;
#[path = "common/sensor.rs"]
mod sensor;

use common::{compare, eve_files, load_manifest, pcaps_dir, Manifest};
use sensor::{events, must_succeed, of_type, require_root, run_pcaps, Out};
#[path = "common/vt_server.rs"]
mod vt_server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use vt_server::VtServer;

const EICAR: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
const KEY: &str = "e2e-Secret-Key-9f3a71c2";

fn manifest(name: &str) -> Manifest {
    load_manifest(&pcaps_dir().join(format!("{name}.expected.json")))
}

/// http-eicar (EICAR, typed text) and http-keepalive (zip, docx, png: clean files).
fn captures() -> (Manifest, Manifest) {
    (manifest("http-eicar"), manifest("http-keepalive"))
}

fn clean_hashes(m: &Manifest) -> Vec<String> {
    m.files.iter().map(|f| f.sha256.clone()).collect()
}

/// The server's table: EICAR malicious, every keep-alive file clean.
fn table(clean: &[String]) -> Value {
    let mut t = serde_json::Map::new();
    t.insert(
        EICAR.into(),
        json!({"kind": "malicious", "malicious": 62, "suspicious": 1, "undetected": 10}),
    );
    for h in clean {
        t.insert(
            h.clone(),
            json!({"kind": "clean", "undetected": 58, "harmless": 8}),
        );
    }
    Value::Object(t)
}

fn vt_yaml(dir: &Path, url: &str, key: &str, extra: &str) -> String {
    format!(
        "{}virustotal:\n  api_key: {key}\n  lookup: all\n  url: {url}\n  requests_per_minute: 4\n  cache: {}\n  exit_wait: 10s\n  timeout: 2s\n{extra}",
        sensor::base_yaml(dir),
        dir.join("vt-cache").display()
    )
}

fn run_both(tag: &str, dir: &Path, yaml: &str) -> Out {
    let (a, b) = captures();
    run_pcaps(tag, &[&a.pcap, &b.pcap], dir, yaml)
}

/// fileinfo lines for one sha256, in output order.
fn lines_for<'a>(evs: &'a [Value], sha: &str) -> Vec<&'a Value> {
    of_type(evs, "fileinfo")
        .into_iter()
        .filter(|v| v["fileinfo"]["sha256"].as_str() == Some(sha))
        .collect()
}

fn control_stat(evs: &[Value], k: &str) -> u64 {
    let s = of_type(evs, "stats");
    let last = s.last().expect("a final stats event");
    last["stats"]["control"][k]
        .as_u64()
        .unwrap_or_else(|| panic!("stats.control.{k} missing: {last}"))
}

fn no_key_anywhere(out: &Out, key: &str) {
    assert!(
        !out.eve.contains(key),
        "the API key appears in the EVE output"
    );
    assert!(!out.stderr.contains(key), "the API key appears on stderr");
}

/// Every file of both captures has its fileinfo line (nothing lost).
fn all_files_logged(out: &Out) {
    let (a, b) = captures();
    let both = Manifest {
        capture: "http-eicar + http-keepalive".into(),
        pcap: PathBuf::new(),
        description: String::new(),
        ports: Vec::new(),
        files: a.files.iter().chain(b.files.iter()).cloned().collect(),
    };
    // Update lines repeat a file (same flow_id and sha256): count each file once.
    let mut seen = std::collections::HashSet::new();
    let mut got = eve_files(&out.eve);
    got.retain(|g| seen.insert((g.flow_id, g.sha256.clone())));
    let problems = compare(&both, &got);
    assert!(problems.is_empty(), "files lost:\n{}", problems.join("\n"));
}

#[test]
fn eicar_rank_100_clean_files_not_then_cache_asks_nothing() {
    require_root();
    let (_, keep) = captures();
    let clean = clean_hashes(&keep);
    let srv = VtServer::start(table(&clean), KEY);
    let dir = tempfile::tempdir().unwrap();
    let yaml = vt_yaml(dir.path(), &srv.url(), KEY, "");

    // First run: every file asked once, the verdicts arrive as update lines.
    let out = run_both("vt1", dir.path(), &yaml);
    must_succeed("first run", &out);
    no_key_anywhere(&out, KEY);
    all_files_logged(&out);
    let evs = events(&out.eve);
    let e = lines_for(&evs, EICAR);
    assert_eq!(e.len(), 2, "EICAR: a first line and an update line: {e:#?}");
    assert!(e[0].get("virustotal").is_none(), "first line: {}", e[0]);
    assert_eq!(e[1]["rank"], 100, "{}", e[1]);
    assert_eq!(e[1]["virustotal"]["status"], "malicious");
    assert_eq!(e[1]["virustotal"]["malicious"], 62);
    assert_eq!(
        e[1]["virustotal"]["permalink"],
        format!("https://www.virustotal.com/gui/file/{EICAR}")
    );
    assert_eq!(e[1]["flow_id"], e[0]["flow_id"]);
    for h in &clean {
        let l = lines_for(&evs, h);
        assert_eq!(l.len(), 2, "{h}: first line and update: {l:#?}");
        assert!(
            l.iter().all(|v| v["rank"].as_u64().unwrap() < 100),
            "{l:#?}"
        );
        assert_eq!(l[1]["virustotal"]["status"], "clean", "{}", l[1]);
    }
    assert_eq!(
        control_stat(&evs, "fileinfo_updates"),
        1 + clean.len() as u64
    );
    assert_eq!(control_stat(&evs, "vt_pending_at_exit"), 0);

    let st = srv.stats();
    assert!(
        st["max_in_60s"].as_u64().unwrap() <= 4,
        "quota of 4 a minute exceeded: {st}"
    );
    assert_eq!(st["total"], 1 + clean.len() as u64, "{st}");
    for h in clean.iter().chain([EICAR.to_string()].iter()) {
        assert_eq!(st["per_sha256"][h.as_str()], 1, "{h} asked once: {st}");
    }

    // Second run, same cache: no request, verdicts on the first (only) lines.
    let out = run_both("vt2", dir.path(), &yaml);
    must_succeed("second run", &out);
    no_key_anywhere(&out, KEY);
    let st = srv.stats();
    assert_eq!(
        st["total"],
        1 + clean.len() as u64,
        "second run asked: {st}"
    );
    let evs = events(&out.eve);
    let e = lines_for(&evs, EICAR);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0]["rank"], 100);
    assert_eq!(e[0]["virustotal"]["status"], "malicious");
    for h in &clean {
        let l = lines_for(&evs, h);
        assert_eq!(l.len(), 1, "{h}: {l:#?}");
        assert_eq!(l[0]["virustotal"]["status"], "clean");
    }
    assert_eq!(control_stat(&evs, "fileinfo_updates"), 0);
}

#[test]
fn dead_server_loses_no_file_event() {
    require_root();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", sensor::dead_port());
    let yaml = vt_yaml(dir.path(), &url, KEY, "").replace("exit_wait: 10s", "exit_wait: 2s");
    let out = run_both("vtd", dir.path(), &yaml);
    must_succeed("dead server", &out);
    no_key_anywhere(&out, KEY);
    all_files_logged(&out);
    let evs = events(&out.eve);
    assert!(
        of_type(&evs, "fileinfo").iter().all(|v| v["rank"] != 100),
        "no verdict, so no rank 100"
    );
}

#[test]
fn wrong_key_one_error_line_and_lookups_stop() {
    require_root();
    let (_, keep) = captures();
    let srv = VtServer::start(table(&clean_hashes(&keep)), "the-right-key");
    let dir = tempfile::tempdir().unwrap();
    let yaml = vt_yaml(dir.path(), &srv.url(), KEY, "");
    let out = run_both("vtk", dir.path(), &yaml);
    must_succeed("wrong key", &out);
    no_key_anywhere(&out, KEY);
    all_files_logged(&out);
    let rejected: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("API key rejected"))
        .collect();
    assert_eq!(rejected.len(), 1, "one error line:\n{}", out.stderr);
    let st = srv.stats();
    assert_eq!(st["bad_key"], 1, "lookups must stop after the 401: {st}");
    assert_eq!(st["total"], 1, "{st}");
}

#[test]
fn blocklist_rank_100_with_intel_and_store_promotion_without_a_key() {
    require_root();
    let (_, keep) = captures();
    let zip = keep
        .files
        .iter()
        .find(|f| f.ftype == "zip")
        .expect("http-keepalive carries a zip")
        .sha256
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("bad-hashes.txt");
    std::fs::write(
        &list,
        format!(
            "# local intel\n{EICAR}  eicar test file\n{}\n",
            zip.to_uppercase()
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    let yaml = format!(
        "{}intel:\n  blocklists: [{}]\n",
        sensor::base_yaml(dir.path()),
        list.display()
    )
    .replace(
        "files:\n  log: all\n",
        &format!(
            "files:\n  log: all\n  store:\n    enabled: true\n    dir: {}\n    which: malicious\n",
            store.display()
        ),
    );
    let out = run_both("vtb", dir.path(), &yaml);
    must_succeed("blocklist", &out);
    all_files_logged(&out);
    let evs = events(&out.eve);
    for (sha, stored) in [(EICAR, false), (zip.as_str(), true)] {
        let l = lines_for(&evs, sha);
        assert_eq!(l.len(), 1, "{sha}: {l:#?}");
        assert_eq!(l[0]["rank"], 100, "{}", l[0]);
        assert_eq!(l[0]["intel"]["list"], list.display().to_string());
        // `virustotal.lookup: dangerous`: the zip says "disabled", EICAR (text) has no object.
        let want = if stored {
            json!("disabled")
        } else {
            Value::Null
        };
        assert_eq!(l[0]["virustotal"]["status"], want, "{}", l[0]);
        assert_eq!(l[0]["fileinfo"]["stored"], stored, "{}", l[0]);
    }
    // The zip (dangerous) was parked and is now in the store; the docx (not listed) is not.
    let zip_path = store.join(&zip[..2]).join(&zip);
    assert!(zip_path.exists(), "{} not promoted", zip_path.display());
    let docx = &keep
        .files
        .iter()
        .find(|f| f.ftype == "docx")
        .unwrap()
        .sha256;
    assert!(!store.join(&docx[..2]).join(docx).exists());
    // Its verdict (no key, not listed) is in and below 100: it left the pending area too.
    assert!(
        !store.join(".pending").join(docx).exists(),
        "docx still parked"
    );
    assert_eq!(control_stat(&evs, "store_promoted"), 1);
    assert!(control_stat(&evs, "store_discarded") >= 1);
    for h in clean_hashes(&keep).iter().filter(|h| **h != zip) {
        let l = lines_for(&evs, h);
        assert!(l
            .iter()
            .all(|v| v["rank"] != 100 && v.get("intel").is_none()));
    }
}
