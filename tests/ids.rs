//! Integration tests of IDS alert ingestion (tailing real alert lines from files, rotation,
//! year inference) and of host correlation with file evidence. No DPDK involved.

use fmon::config::{FromWhere, IdsCfg, IdsFormat, IdsInput};
use fmon::control::correlate::{Correlator, FileEvidence};
use fmon::control::ids::{Alert, IdsInputs};
use fmon::files::{AppProto, Category, FileType};
use fmon::time::{format_eve, Nanos, NANOS_PER_SEC};
use std::io::Write;
use std::path::Path;

/// 2026-12-03T14:00:00Z
const DEC3: Nanos = 1_796_306_400 * NANOS_PER_SEC;
const MIN: Nanos = 60 * NANOS_PER_SEC;

// Lines as the IDSes print them.
const SNORT2_FAST: &str = "12/03-14:00:00.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 203.0.113.5:80 -> 10.0.0.6:49152\n";
const SNORT3_FAST: &str = "12/03-14:00:01.000001 [**] [1:2018959:4] \"ET POLICY PE EXE or DLL Windows file download HTTP\" [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] [AppID: HTTP] {TCP} 203.0.113.5:80 -> 10.0.0.6:49153\n";
const SNORT_FAST_ICMP6: &str = "12/03-14:00:02.000000  [**] [1:1000010:1] ICMPv6 echo [**] [Priority: 3] {IPV6-ICMP} 2001:db8::9 -> fd00::6\n";
const SNORT3_JSON: &str = r#"{ "timestamp" : "12/03-14:00:03.500000", "pkt_num" : 17, "proto" : "TCP", "pkt_gen" : "stream_tcp", "pkt_len" : 1460, "dir" : "S2C", "src_ap" : "203.0.113.5:80", "dst_ap" : "10.0.0.6:49154", "rule" : "1:2018959:4", "action" : "allow" }
"#;
const SNORT3_JSON_FULL: &str = r#"{ "seconds" : 1796306404, "timestamp" : "12/03-14:00:04.250000", "proto" : "TCP", "src_addr" : "203.0.113.5", "src_port" : 80, "dst_addr" : "10.0.0.6", "dst_port" : 49155, "gid" : 1, "sid" : 2019714, "rev" : 3, "msg" : "ET INFO Executable Retrieved With Minimal HTTP Headers", "class" : "Potentially Bad Traffic", "priority" : 2, "rule" : "1:2019714:3", "action" : "allow" }
"#;
const SURICATA_ALERT: &str = r#"{"timestamp":"2026-12-03T14:00:05.000000+0000","flow_id":1348917316386213,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.5","src_port":80,"dest_ip":"10.0.0.6","dest_port":49156,"proto":"TCP","pkt_src":"wire/pcap","alert":{"action":"allowed","gid":1,"signature_id":2018959,"rev":4,"signature":"ET POLICY PE EXE or DLL Windows file download HTTP","category":"Potential Corporate Privacy Violation","severity":1},"app_proto":"http","flow":{"pkts_toserver":5,"pkts_toclient":9,"bytes_toserver":420,"bytes_toclient":9000,"start":"2026-12-03T14:00:04.900000+0000"}}
"#;
const SURICATA_FLOW: &str = r#"{"timestamp":"2026-12-03T14:00:06.000000+0000","flow_id":1,"event_type":"flow","src_ip":"10.0.0.6","src_port":49156,"dest_ip":"203.0.113.5","dest_port":80,"proto":"TCP"}
"#;

fn input(path: &Path, format: IdsFormat, from: FromWhere) -> IdsInput {
    IdsInput {
        path: path.to_path_buf(),
        format,
        from,
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn all_three_formats_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let fast = dir.path().join("alert_fast.txt");
    let json = dir.path().join("alert_json.txt");
    let eve = dir.path().join("eve.json");
    append(
        &fast,
        &format!("{SNORT2_FAST}{SNORT3_FAST}{SNORT_FAST_ICMP6}garbage line\n"),
    );
    append(&json, &format!("{SNORT3_JSON}{SNORT3_JSON_FULL}"));
    append(&eve, &format!("{SURICATA_FLOW}{SURICATA_ALERT}"));
    let mut ids = IdsInputs::new(&[
        input(&fast, IdsFormat::SnortFast, FromWhere::Beginning),
        input(&json, IdsFormat::Snort3Json, FromWhere::Beginning),
        input(&eve, IdsFormat::SuricataEve, FromWhere::Beginning),
    ]);
    let alerts = ids.poll(DEC3);
    assert_eq!(alerts.len(), 6, "{alerts:#?}");
    let s = ids.stats();
    assert_eq!(
        (s.lines, s.alerts, s.parse_errors, s.skipped_events),
        (8, 6, 1, 1)
    );

    assert_eq!(alerts[0].signature_id, 2100498);
    assert_eq!(format_eve(alerts[0].ts), "2026-12-03T14:00:00.123456+0000");
    assert_eq!(
        alerts[1].signature,
        "ET POLICY PE EXE or DLL Windows file download HTTP"
    );
    assert_eq!(alerts[1].severity, 1);
    assert_eq!(alerts[2].proto, "IPV6-ICMP");
    assert_eq!(
        (alerts[2].src_port, alerts[2].dest_ip.to_string()),
        (None, "fd00::6".into())
    );
    assert_eq!(alerts[3].dest_port, Some(49154));
    assert_eq!(format_eve(alerts[3].ts), "2026-12-03T14:00:03.500000+0000");
    assert_eq!(format_eve(alerts[4].ts), "2026-12-03T14:00:04.250000+0000");
    assert_eq!(alerts[4].category, "Potentially Bad Traffic");
    assert_eq!(alerts[5].source, eve.display().to_string());
    let ev = alerts[5].to_eve("sensor-1");
    assert_eq!(ev["event_type"], "alert");
    assert_eq!(ev["dest_ip"], "10.0.0.6");
    assert_eq!(ev["alert"]["signature_id"], 2018959);
    assert_eq!(ev["alert"]["severity"], 1);
    // Nothing new: nothing returned.
    assert!(ids.poll(DEC3).is_empty());
}

#[test]
fn from_end_skips_old_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_fast.txt");
    append(&p, SNORT2_FAST);
    append(&p, "12/03-14:00:00.1  [**] [1:5:1] half a line wri");
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::End)]);
    assert!(ids.poll(DEC3).is_empty());
    append(&p, "tten before start [**] {TCP} 1.2.3.4:1 -> 10.0.0.1:2\n");
    append(&p, SNORT3_FAST);
    let a = ids.poll(DEC3);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].signature_id, 2018959);
    assert_eq!(ids.stats().parse_errors, 0);
}

#[test]
fn missing_file_that_appears_later_is_read_from_its_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("eve.json");
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SuricataEve, FromWhere::End)]);
    assert!(ids.poll(DEC3).is_empty());
    assert!(ids.poll(DEC3).is_empty());
    append(&p, SURICATA_ALERT);
    let a = ids.poll(DEC3);
    assert_eq!(a.len(), 1);
    assert_eq!(ids.stats().opens, 1);
}

#[test]
fn rename_and_create_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_fast.txt");
    append(&p, SNORT2_FAST);
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::Beginning)]);
    assert_eq!(ids.poll(DEC3).len(), 1);
    // The writer keeps its descriptor: a line lands in the old file after the rename.
    let mut old = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    std::fs::rename(&p, dir.path().join("alert_fast.txt.1")).unwrap();
    old.write_all(SNORT3_FAST.as_bytes()).unwrap();
    // Not re-created yet: the old file is still read.
    let a = ids.poll(DEC3);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].signature_id, 2018959);
    // A last line without newline in the old file, then the new file appears.
    old.write_all(b"12/03-14:00:09.000000  [**] [1:77:1] tail [**] {TCP} 1.2.3.4:1 -> 10.0.0.1:2")
        .unwrap();
    append(&p, SNORT_FAST_ICMP6);
    let a = ids.poll(DEC3);
    let sids: Vec<u64> = a.iter().map(|a| a.signature_id).collect();
    assert_eq!(sids, vec![77, 1000010]);
    assert_eq!(ids.stats().rotations, 1);
    append(&p, SNORT2_FAST);
    assert_eq!(ids.poll(DEC3).len(), 1);
}

#[test]
fn copy_truncate_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_json.txt");
    append(&p, SNORT3_JSON);
    append(&p, SNORT3_JSON_FULL);
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::Snort3Json, FromWhere::Beginning)]);
    assert_eq!(ids.poll(DEC3).len(), 2);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(0)
        .unwrap();
    assert!(ids.poll(DEC3).is_empty());
    append(&p, SNORT3_JSON_FULL);
    let a = ids.poll(DEC3);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].signature_id, 2019714);
    assert_eq!(ids.stats().truncations, 1);
    assert_eq!(ids.stats().rotations, 0);
}

#[test]
fn line_arriving_one_byte_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("eve.json");
    append(&p, "");
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SuricataEve, FromWhere::End)]);
    assert!(ids.poll(DEC3).is_empty());
    let mut got = Vec::new();
    for b in SURICATA_ALERT.bytes().chain(SURICATA_ALERT.bytes()) {
        append(&p, std::str::from_utf8(&[b]).unwrap());
        got.extend(ids.poll(DEC3));
    }
    assert_eq!(got.len(), 2);
    assert_eq!(ids.stats().parse_errors, 0);
}

#[test]
fn overlong_line_is_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("eve.json");
    let long = format!(
        "{{\"event_type\":\"alert\",\"x\":\"{}\"}}\n",
        "a".repeat(200_000)
    );
    append(&p, &long);
    append(&p, SURICATA_ALERT);
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SuricataEve, FromWhere::Beginning)]);
    let mut a = Vec::new();
    for _ in 0..3 {
        a.extend(ids.poll(DEC3));
    }
    assert_eq!(a.len(), 1);
    assert_eq!(ids.stats().lines_too_long, 1);
}

#[test]
fn year_inference_around_new_year() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_fast.txt");
    append(
        &p,
        "12/31-23:59:59.900000  [**] [1:1:1] late [**] {UDP} 10.0.0.1:53 -> 8.8.8.8:53\n\
         01/01-00:00:00.100000  [**] [1:2:1] early [**] {UDP} 10.0.0.1:53 -> 8.8.8.8:53\n",
    );
    // Clock just after New Year 2027 (pcap packet time or wall clock).
    let jan1_2027 = 1_798_761_600 * NANOS_PER_SEC + 30 * NANOS_PER_SEC;
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::Beginning)]);
    let a = ids.poll(jan1_2027);
    assert_eq!(format_eve(a[0].ts), "2026-12-31T23:59:59.900000+0000");
    assert_eq!(format_eve(a[1].ts), "2027-01-01T00:00:00.100000+0000");
    // The same lines read on 31 December.
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::Beginning)]);
    let a = ids.poll(jan1_2027 - 3600 * NANOS_PER_SEC);
    assert_eq!(format_eve(a[0].ts), "2026-12-31T23:59:59.900000+0000");
    assert_eq!(format_eve(a[1].ts), "2027-01-01T00:00:00.100000+0000");
}

// ---- correlation ----

fn correlator(window: Nanos) -> Correlator {
    let cfg = IdsCfg {
        window,
        ..IdsCfg::default()
    };
    Correlator::new(
        &cfg,
        vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()],
    )
}

fn exe(host: &str, ts: Nanos, sha: u8, rank: u8) -> FileEvidence {
    FileEvidence {
        ts,
        host: host.parse().unwrap(),
        remote_ip: "203.0.113.5".parse().unwrap(),
        sha256: [sha; 32],
        ftype: FileType::Exe,
        category: Category::Executable,
        rank,
        filename: "invoice.exe".into(),
        app_proto: AppProto::Http,
    }
}

fn parsed_alerts() -> Vec<Alert> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_fast.txt");
    append(&p, &format!("{SNORT2_FAST}{SNORT3_FAST}"));
    IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::Beginning)]).poll(DEC3)
}

#[test]
fn file_then_alert_gives_one_event_with_both() {
    let mut c = correlator(10 * MIN);
    assert!(c
        .add_file(exe("10.0.0.6", DEC3 - MIN, 1, 100), "s1")
        .is_empty());
    let alerts = parsed_alerts();
    let ev = c.add_alert(&alerts[0], "s1");
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!(e["event_type"], "correlation");
    assert_eq!(e["sensor"], "s1");
    let k = &e["correlation"];
    assert_eq!(k["host"], "10.0.0.6");
    assert_eq!(k["score"], 100);
    assert_eq!(k["first_seen"], format_eve(DEC3 - MIN));
    assert_eq!(k["last_seen"], "2026-12-03T14:00:00.123456+0000");
    let f = &k["files"][0];
    assert_eq!(f["sha256"], "01".repeat(32));
    assert_eq!(
        (f["type"].as_str(), f["category"].as_str()),
        (Some("exe"), Some("executable"))
    );
    assert_eq!(
        (f["rank"].as_u64(), f["app_proto"].as_str()),
        (Some(100), Some("http"))
    );
    assert_eq!(
        (f["filename"].as_str(), f["remote_ip"].as_str()),
        (Some("invoice.exe"), Some("203.0.113.5"))
    );
    assert_eq!(f["timestamp"], format_eve(DEC3 - MIN));
    let a = &k["alerts"][0];
    assert_eq!(
        (a["signature_id"].as_u64(), a["gid"].as_u64()),
        (Some(2100498), Some(1))
    );
    assert_eq!(a["signature"], "GPL ATTACK_RESPONSE id check returned root");
    assert_eq!(
        (a["severity"].as_u64(), a["remote_ip"].as_str()),
        (Some(2), Some("203.0.113.5"))
    );
    // New evidence (a second alert) re-emits the whole story.
    let ev = c.add_alert(&alerts[1], "s1");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["correlation"]["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(ev[0]["correlation"]["files"].as_array().unwrap().len(), 1);
    // An exact repeat does not.
    assert!(c.add_alert(&alerts[1], "s1").is_empty());
    assert_eq!(c.stats().events, 2);
}

#[test]
fn alert_then_file_gives_one_event_with_both() {
    let mut c = correlator(10 * MIN);
    let alerts = parsed_alerts();
    assert!(c.add_alert(&alerts[0], "s1").is_empty());
    let ev = c.add_file(exe("10.0.0.6", DEC3 + 5 * MIN, 2, 60), "s1");
    assert_eq!(ev.len(), 1);
    let k = &ev[0]["correlation"];
    assert_eq!(k["files"].as_array().unwrap().len(), 1);
    assert_eq!(k["alerts"].as_array().unwrap().len(), 1);
    let score = k["score"].as_u64().unwrap();
    assert!(score > 0 && score < 100, "{score}");
    // A second, different file joins: re-emitted with both files.
    let ev = c.add_file(exe("10.0.0.6", DEC3 + 6 * MIN, 3, 60), "s1");
    assert_eq!(ev[0]["correlation"]["files"].as_array().unwrap().len(), 2);
    // The same file again (same rank) is not new evidence.
    assert!(c
        .add_file(exe("10.0.0.6", DEC3 + 7 * MIN, 3, 60), "s1")
        .is_empty());
}

#[test]
fn one_kind_only_or_outside_window_gives_none() {
    let mut c = correlator(10 * MIN);
    // Only a file on .7, only an alert on .6 (files on another host).
    assert!(c.add_file(exe("10.0.0.7", DEC3, 1, 100), "s").is_empty());
    for a in parsed_alerts() {
        assert!(c.add_alert(&a, "s").is_empty());
    }
    // A file on .6 eleven minutes after the alerts: outside the window.
    assert!(c
        .add_file(
            exe("10.0.0.6", DEC3 + 11 * MIN + NANOS_PER_SEC, 9, 100),
            "s"
        )
        .is_empty());
    // A file on an external host is not correlated.
    assert!(c
        .add_file(exe("198.51.100.1", DEC3, 1, 100), "s")
        .is_empty());
    let s = c.stats();
    assert_eq!(s.events, 0);
    assert_eq!(s.files_not_home, 1);
}

#[test]
fn correlation_bounds_hold() {
    let cfg = IdsCfg {
        window: 10 * MIN,
        max_hosts: 3,
        max_evidence_per_host: 4,
        ..IdsCfg::default()
    };
    let mut c = Correlator::new(&cfg, vec!["10.0.0.0/8".parse().unwrap()]);
    for h in 0..10u8 {
        for i in 0..10u8 {
            c.add_file(exe(&format!("10.0.1.{h}"), DEC3 + u64::from(i), i, 50), "s");
        }
    }
    let s = c.stats();
    assert_eq!(s.hosts_dropped, 7);
    assert_eq!(s.hosts_tracked, 3);
    assert_eq!(s.evidence_dropped, 10 * 6);
    // The newest host still correlates, with at most 4 pieces in its story.
    let a = parsed_alerts();
    let mut alert = a[0].clone();
    alert.dest_ip = "10.0.1.9".parse().unwrap();
    let ev = c.add_alert(&alert, "s");
    assert_eq!(ev.len(), 1);
    let k = &ev[0]["correlation"];
    let n = k["files"].as_array().unwrap().len() + k["alerts"].as_array().unwrap().len();
    assert_eq!(n, 4);
    // The evicted first host has forgotten its files.
    alert.dest_ip = "10.0.1.0".parse().unwrap();
    assert!(c.add_alert(&alert, "s").is_empty());
}

#[test]
fn correlation_output_is_deterministic() {
    let run = || {
        let mut c = correlator(10 * MIN);
        let mut out = Vec::new();
        for i in 0..20u8 {
            out.extend(c.add_file(
                exe(&format!("10.0.2.{}", i % 5), DEC3 + u64::from(i), i, 50),
                "s",
            ));
        }
        for a in parsed_alerts() {
            for h in 0..5 {
                let mut a = a.clone();
                a.dest_ip = format!("10.0.2.{h}").parse().unwrap();
                out.extend(c.add_alert(&a, "s"));
            }
        }
        serde_json::to_string(&out).unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn directory_or_fifo_input_never_blocks_or_fails() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("alerts.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut ids = IdsInputs::new(&[
        input(dir.path(), IdsFormat::SnortFast, FromWhere::Beginning),
        input(&fifo, IdsFormat::SuricataEve, FromWhere::Beginning),
    ]);
    assert!(ids.poll(DEC3).is_empty());
    assert!(ids.poll(DEC3).is_empty());
    assert_eq!(ids.stats().not_regular, 6);
    assert_eq!(ids.stats().opens, 0);
}

/// The whole control side: a file event from a worker (an internal host downloading an
/// executable) plus an alert log naming that host gives an `alert` and a `correlation` line with
/// both; a host with only an alert gets none.
#[test]
fn control_loop_writes_alert_and_correlation() {
    use fmon::config::Config;
    use fmon::control::stats::CaptureStats;
    use fmon::control::{Control, ToControl};
    use fmon::files::{FileEvent, FileMeta, FileState};

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alert_fast.txt");
    // One alert on 10.0.0.6 (which downloads the exe), one on 10.0.0.99 (which downloads nothing).
    append(&log, SNORT3_FAST);
    append(
        &log,
        "12/03-14:00:02.000000  [**] [1:2000001:1] ET SCAN probe [**] [Priority: 2] {TCP} 198.51.100.7:4444 -> 10.0.0.99:445\n",
    );
    let cfg = Config::parse(&format!(
        "sensor: {{name: t}}\nids:\n  inputs:\n    - {{ path: {}, format: snort-fast, from: beginning }}\n  window: 10m\noutputs: {{eve: {{path: {}/eve.json}}}}\n",
        log.display(),
        dir.path().display()
    ))
    .unwrap();
    let mut meta = FileMeta::new(AppProto::Http);
    meta.filename = "invoice.exe".into();
    let ev = FileEvent {
        ts: DEC3 + 500_000_000,
        flow_id: 7,
        src: "203.0.113.5:80".parse().unwrap(),
        dst: "10.0.0.6:49153".parse().unwrap(),
        meta,
        size: 4096,
        state: FileState::Closed,
        trunc_reason: None,
        gaps: false,
        sha256: [0x5a; 32],
        md5: None,
        sha1: None,
        ftype: FileType::Exe,
        category: Category::Executable,
        stored: false,
        seq: 0,
    };
    let mut ctl = Control::new(&cfg, 1, true).unwrap();
    ctl.handle(ToControl::Files {
        worker: 0,
        events: vec![ev],
        watermark: DEC3 + 600_000_000,
    });
    ctl.tick();
    ctl.handle(ToControl::Done { worker: 0 });
    ctl.finish(&CaptureStats::default()).unwrap();

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("eve.json"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |t: &str| {
        lines
            .iter()
            .filter(|l| l["event_type"] == t)
            .collect::<Vec<_>>()
    };
    assert_eq!(of("alert").len(), 2, "{lines:#?}");
    let corr = of("correlation");
    assert_eq!(corr.len(), 1, "{lines:#?}");
    let k = &corr[0]["correlation"];
    assert_eq!(k["host"], "10.0.0.6");
    assert_eq!(k["files"][0]["filename"], "invoice.exe");
    assert_eq!(k["files"][0]["sha256"], "5a".repeat(32));
    assert_eq!(k["alerts"][0]["signature_id"], 2018959);
    assert!(lines
        .iter()
        .all(|l| l["correlation"]["host"] != "10.0.0.99"));
}

#[test]
fn poll_work_is_bounded_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alert_fast.txt");
    let n = fmon::control::ids::MAX_LINES_PER_POLL as usize + 500;
    append(&p, &SNORT2_FAST.repeat(n));
    let mut ids = IdsInputs::new(&[input(&p, IdsFormat::SnortFast, FromWhere::Beginning)]);
    let first = ids.poll(DEC3).len();
    assert!(first < n, "{first}");
    assert!(ids.behind());
    let mut total = first;
    while ids.behind() {
        total += ids.poll(DEC3).len();
    }
    assert_eq!(total, n);
    assert!(ids.poll(DEC3).is_empty());
    assert!(!ids.behind());
}
