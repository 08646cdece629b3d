//! Control-side tests: fileinfo lines as EVENTS.md wants them, files.log, ordering.

use super::*;
use crate::files::{AppProto, Category, FileMeta, FileState, FileType};

fn cfg(dir: &std::path::Path, log: &str) -> Config {
    Config::parse(&format!(
        "sensor: {{name: t}}\nfiles: {{log: {log}}}\noutputs: {{eve: {{path: {}/eve.json}}}}\n",
        dir.display()
    ))
    .unwrap()
}

fn ev(ts: u64, flow: u64, ftype: FileType, category: Category, name: &str) -> FileEvent {
    let mut meta = FileMeta::new(AppProto::Http);
    meta.filename = name.to_string();
    FileEvent {
        ts,
        flow_id: flow,
        src: "203.0.113.5:80".parse().unwrap(),
        dst: "10.0.0.7:50000".parse().unwrap(),
        meta,
        size: 3,
        state: FileState::Closed,
        trunc_reason: None,
        gaps: false,
        sha256: [0xab; 32],
        md5: Some([1; 16]),
        sha1: None,
        ftype,
        category,
        stored: false,
        seq: 0,
    }
}

fn lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("eve.json"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run(c: &Config, workers: usize, msgs: Vec<ToControl>) {
    let mut ctl = Control::new(c, workers, true).unwrap();
    for m in msgs {
        ctl.handle(m);
        ctl.tick();
    }
    ctl.finish(&CaptureStats::default()).unwrap();
}

#[test]
fn fileinfo_line_has_the_contract_fields() {
    let d = tempfile::tempdir().unwrap();
    let c = cfg(d.path(), "dangerous");
    let e = ev(
        1_796_306_400_123_456_000,
        42,
        FileType::Exe,
        Category::Executable,
        "a\"b\n../../x.exe",
    );
    run(
        &c,
        1,
        vec![ToControl::Files {
            worker: 0,
            events: vec![e],
            watermark: 0,
        }],
    );
    let l = lines(d.path());
    assert_eq!(l.len(), 2, "one fileinfo + the final stats");
    let f = &l[0];
    assert_eq!(f["event_type"], "fileinfo");
    assert_eq!(f["timestamp"], "2026-12-03T14:00:00.123456+0000");
    assert_eq!(f["sensor"], "t");
    assert_eq!(f["flow_id"], 42);
    assert_eq!(f["src_ip"], "203.0.113.5");
    assert_eq!(f["src_port"], 80);
    assert_eq!(f["dest_ip"], "10.0.0.7");
    assert_eq!(f["dest_port"], 50000);
    assert_eq!(f["proto"], "TCP");
    assert_eq!(f["app_proto"], "http");
    assert_eq!(f["direction"], "inbound");
    assert_eq!(f["rank"], 60);
    assert_eq!(
        f["fileinfo"]["filename"], "a\"b\n../../x.exe",
        "escaped, not altered"
    );
    assert_eq!(f["fileinfo"]["state"], "CLOSED");
    assert_eq!(f["fileinfo"]["gaps"], false);
    assert_eq!(f["fileinfo"]["sha256"], "ab".repeat(32));
    assert_eq!(f["fileinfo"]["md5"], "01".repeat(16));
    assert!(f["fileinfo"].get("sha1").is_none());
    assert_eq!(f["fileinfo"]["type"], "exe");
    assert_eq!(f["fileinfo"]["category"], "executable");
    assert_eq!(f["fileinfo"]["stored"], false);
    assert_eq!(f["virustotal"]["status"], "disabled");
    assert_eq!(l[1]["event_type"], "stats");
    assert_eq!(l[1]["stats"]["control"]["fileinfo_written"], 1);
}

/// One worker sends a dangerous file (pdf) and a harmless one (html).
fn run_pdf_then_html(c: &Config) {
    let a = ev(10, 1, FileType::Pdf, Category::Document, "a.pdf");
    let mut b = ev(11, 1, FileType::Html, Category::Other, "index.html");
    b.seq = 1;
    let events = vec![a, b];
    run(
        c,
        1,
        vec![ToControl::Files {
            worker: 0,
            events,
            watermark: 11,
        }],
    );
}

#[test]
fn files_log_policy() {
    for (log, want) in [("dangerous", 1), ("all", 2), ("none", 0)] {
        let d = tempfile::tempdir().unwrap();
        let c = cfg(d.path(), log);
        run_pdf_then_html(&c);
        let n = lines(d.path())
            .iter()
            .filter(|l| l["event_type"] == "fileinfo")
            .count();
        assert_eq!(n, want, "files.log {log}");
    }
}

#[test]
fn disabled_virustotal_only_on_files_lookup_selects() {
    for (lookup, pdf, html) in [
        ("dangerous", Some("disabled"), None),
        ("all", Some("disabled"), Some("disabled")),
    ] {
        let d = tempfile::tempdir().unwrap();
        let c = Config::parse(&format!(
            "sensor: {{name: t}}\nfiles: {{log: all}}\nvirustotal: {{lookup: {lookup}}}\n\
             outputs: {{eve: {{path: {}/eve.json}}}}\n",
            d.path().display()
        ))
        .unwrap();
        run_pdf_then_html(&c);
        let l = lines(d.path());
        let status = |i: usize| l[i].get("virustotal").map(|v| v["status"].clone());
        assert_eq!(status(0), pdf.map(Into::into), "lookup {lookup}: {}", l[0]);
        assert_eq!(status(1), html.map(Into::into), "lookup {lookup}: {}", l[1]);
    }
}

#[test]
fn output_is_in_packet_time_order_across_workers() {
    let d = tempfile::tempdir().unwrap();
    let c = cfg(d.path(), "all");
    let msgs = vec![
        ToControl::Files {
            worker: 1,
            events: vec![ev(15, 3, FileType::Text, Category::Other, "c")],
            watermark: 30,
        },
        ToControl::Files {
            worker: 0,
            events: vec![ev(10, 1, FileType::Text, Category::Other, "a")],
            watermark: 12,
        },
        ToControl::Files {
            worker: 0,
            events: vec![ev(20, 2, FileType::Text, Category::Other, "b")],
            watermark: 40,
        },
        ToControl::Done { worker: 0 },
        ToControl::Done { worker: 1 },
    ];
    run(&c, 2, msgs);
    let names: Vec<String> = lines(d.path())
        .iter()
        .filter(|l| l["event_type"] == "fileinfo")
        .map(|l| l["fileinfo"]["filename"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "c", "b"]);
}

#[test]
fn direction_from_home_net() {
    let c = Config::default();
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(direction(&c, ip("10.0.0.1"), ip("8.8.8.8")), "outbound");
    assert_eq!(direction(&c, ip("8.8.8.8"), ip("192.168.1.1")), "inbound");
    assert_eq!(direction(&c, ip("10.0.0.1"), ip("172.16.0.1")), "internal");
    assert_eq!(direction(&c, ip("8.8.8.8"), ip("1.1.1.1")), "external");
}
