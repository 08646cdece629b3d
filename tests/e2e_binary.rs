//! End-to-end through the real binary and DPDK's pcap PMD: every committed capture in `pcaps/`
//! must give the files its manifest lists (sha256, size, state, gaps, type, category, filename,
//! endpoints, direction, app_proto); two runs give byte-identical EVE; 3 workers on 2 cores give
//! the same (sha256, flow_id) set as 1 worker; a bad config fails naming the key; two pcap
//! vdevs at once; 20 MiB base64 attachments over SMTP, POP3 and IMAP. Needs root (EAL); fails with a clear message otherwise.

mod common;
#[path = "common/sensor.rs"]
mod sensor;

use common::{compare, eve_files, load_manifest, load_manifests, pcaps_dir, Manifest};
use sensor::{must_succeed, require_root, run_eal, Out};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// sensor.yaml for a run; `workers` 1 is written as 0 ("all remaining lcores"), so that with
/// `-l 0-1` the one extra lcore does RX and the work itself.
fn yaml(dir: &Path, workers: u32, ports: &[(String, Vec<u16>)]) -> PathBuf {
    let workers = if workers == 1 { 0 } else { workers };
    let mut y = format!(
        "sensor:\n  name: e2e\nfiles:\n  log: all\ncapture:\n  idle_yield: true\n  workers: {workers}\noutputs:\n  eve:\n    path: {}\n  stats:\n    interval: 1h\n",
        dir.join("eve.json").display()
    );
    if !ports.is_empty() {
        y.push_str("protocols:\n");
        for (p, l) in ports {
            let l: Vec<String> = l.iter().map(|x| x.to_string()).collect();
            y.push_str(&format!("  {p}:\n    ports: [{}]\n", l.join(", ")));
        }
    }
    let p = dir.join("sensor.yaml");
    std::fs::write(&p, y).unwrap();
    p
}

fn run_pcaps(
    test: &str,
    pcaps: &[&Path],
    workers: u32,
    lcores: &[&str],
    ports: &[(String, Vec<u16>)],
) -> (Out, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = yaml(dir.path(), workers, ports);
    let mut eal: Vec<String> = lcores.iter().map(|s| s.to_string()).collect();
    for (i, p) in pcaps.iter().enumerate() {
        eal.push("--vdev".into());
        eal.push(format!("net_pcap{i},rx_pcap={}", p.display()));
    }
    let out = run_eal(test, &eal, &cfg, dir.path());
    (out, dir)
}

fn manifest(name: &str) -> Manifest {
    load_manifest(&pcaps_dir().join(format!("{name}.expected.json")))
}

#[test]
fn every_capture_through_the_binary() {
    require_root();
    let mut report = Vec::new();
    let manifests = load_manifests();
    for m in &manifests {
        let (out, _dir) = run_pcaps("all", &[&m.pcap], 1, &["-l", "0-1"], &m.ports);
        if out.code != Some(0) {
            report.push(format!(
                "{}: exit {:?}: {}",
                m.capture,
                out.code,
                out.stderr.lines().last().unwrap_or("")
            ));
            continue;
        }
        let problems = compare(m, &eve_files(&out.eve));
        if common::last_stats(&out.eve).is_none() {
            report.push(format!("{}: no final stats event", m.capture));
        }
        if !problems.is_empty() {
            report.push(format!(
                "{} ({}):\n    {}",
                m.capture,
                m.description,
                problems.join("\n    ")
            ));
        }
    }
    assert!(
        report.is_empty(),
        "{} of {} captures wrong:\n{}",
        report.len(),
        manifests.len(),
        report.join("\n")
    );
}

/// Issue 3's big mail: SMTP, POP3 and IMAP each carry a ~27 MB mail whose 20 MiB executable is
/// base64; every attachment must come out whole. (Peak memory: scripts/bench-mail.sh.)
#[test]
fn twenty_mib_base64_attachments_over_smtp_pop3_imap() {
    require_root();
    let gen_dir = tempfile::tempdir().unwrap();
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_fmon-pcapgen"))
        .args(["bigmail", "--size", "20M", "--out"])
        .arg(gen_dir.path())
        .status()
        .unwrap();
    assert!(st.success(), "fmon-pcapgen bigmail failed");
    let mut m = load_manifest(&gen_dir.path().join("bigmail.expected.json"));
    m.pcap = gen_dir.path().join("bigmail.pcap");
    assert_eq!(m.files.len(), 6, "3 text bodies + 3 attachments");
    let (out, _dir) = run_pcaps("bigmail", &[&m.pcap], 1, &["-l", "0-1"], &m.ports);
    must_succeed("bigmail", &out);
    let problems = compare(&m, &eve_files(&out.eve));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn same_capture_twice_gives_identical_eve() {
    require_root();
    for name in ["tcp-interleaved", "smtp-two-messages"] {
        let m = manifest(name);
        let (a, _d1) = run_pcaps("det", &[&m.pcap], 1, &["-l", "0-1"], &m.ports);
        let (b, _d2) = run_pcaps("det", &[&m.pcap], 1, &["-l", "0-1"], &m.ports);
        must_succeed(name, &a);
        must_succeed(name, &b);
        assert!(!a.eve.is_empty(), "{name}: empty eve.json");
        if a.eve != b.eve {
            let diff = a.eve.lines().zip(b.eve.lines()).find(|(x, y)| x != y);
            panic!("{name}: two runs gave different eve.json; first differing lines: {diff:?}");
        }
    }
}

fn sha_flow_set(eve: &str) -> BTreeSet<(String, u64)> {
    eve_files(eve)
        .into_iter()
        .map(|g| (g.sha256, g.flow_id))
        .collect()
}

#[test]
fn three_workers_on_two_cores_find_the_same_files() {
    require_root();
    let m1 = manifest("tcp-interleaved");
    let m2 = manifest("http-keepalive");
    let pcaps = [m1.pcap.as_path(), m2.pcap.as_path()];
    let (one, _d1) = run_pcaps("w1", &pcaps, 1, &["-l", "0-1"], &[]);
    must_succeed("1 worker", &one);
    let (three, _d3) = run_pcaps("w3", &pcaps, 3, &["--lcores", "0@0,1@1,2@0,3@1,4@0"], &[]);
    must_succeed("3 workers", &three);
    let a = sha_flow_set(&one.eve);
    let b = sha_flow_set(&three.eve);
    assert_eq!(
        a.len(),
        m1.files.len() + m2.files.len(),
        "1 worker: wrong number of files"
    );
    assert_eq!(
        a, b,
        "1 worker and 3 workers found different (sha256, flow_id) sets"
    );
}

#[test]
fn two_pcap_vdevs_at_once() {
    require_root();
    let m1 = manifest("http-pipelined");
    let m2 = manifest("smtp-attach");
    let (out, _d) = run_pcaps("two", &[&m1.pcap, &m2.pcap], 1, &["-l", "0-1"], &[]);
    must_succeed("two vdevs", &out);
    let got = eve_files(&out.eve);
    let both = Manifest {
        capture: "http-pipelined + smtp-attach".into(),
        pcap: m1.pcap.clone(),
        description: "two ports".into(),
        ports: Vec::new(),
        files: m1.files.iter().chain(m2.files.iter()).cloned().collect(),
    };
    let problems = compare(&both, &got);
    assert!(problems.is_empty(), "two vdevs:\n{}", problems.join("\n"));
    let stats = common::last_stats(&out.eve).expect("final stats event");
    let cap = stats.pointer("/stats/capture").expect("stats.capture");
    let n = cap
        .as_array()
        .map(|a| a.len())
        .or_else(|| cap.as_object().map(|o| o.len()))
        .unwrap_or(0);
    assert_eq!(n, 2, "stats.capture should list two ports: {cap}");
}

#[test]
fn unknown_config_key_is_a_startup_error_naming_it() {
    require_root();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sensor.yaml");
    std::fs::write(
        &cfg,
        format!("sensor:\n  name: bad\nfiles:\n  log: all\n  hashez: [sha256]\noutputs:\n  eve:\n    path: {}\n", dir.path().join("eve.json").display()),
    )
    .unwrap();
    let m = manifest("http-cl-exe");
    let eal = vec![
        "-l".to_string(),
        "0-1".into(),
        "--vdev".into(),
        format!("net_pcap0,rx_pcap={}", m.pcap.display()),
    ];
    let out = run_eal("badcfg", &eal, &cfg, dir.path());
    assert_ne!(
        out.code,
        Some(0),
        "a config with an unknown key must not start"
    );
    assert!(
        out.stderr.contains("hashez"),
        "stderr should name the unknown key `hashez`:\n{}",
        out.stderr
    );
}
