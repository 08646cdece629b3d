//! End-to-end IDS correlation (issue 5) through the real binary and DPDK's pcap PMD, on the
//! generated pcaps/ids-infection capture: 10.0.5.20 downloads a PE exe, 10.0.5.21 only an HTML
//! page, 10.0.5.22 only a PDF. The test writes alert logs as Snort 3 (alert_json, alert_fast with
//! -U) and Suricata (eve.json) print them, a minute after the downloads, naming 10.0.5.20 (in
//! all three formats) and 10.0.5.21. Expected: every alert as an `alert` event, one
//! `correlation` for 10.0.5.20 with the exe and the alert, none for the other two hosts, and
//! byte-identical output on a second run. Needs root (EAL).

mod common;
#[path = "common/sensor.rs"]
mod sensor;

use common::{load_manifest, pcaps_dir, Manifest};
use sensor::{events, must_succeed, of_type, require_root, run_pcaps, Out};
use std::path::Path;

const INFECTED: &str = "10.0.5.20";
const ALERT_ONLY: &str = "10.0.5.21";
const FILE_ONLY: &str = "10.0.5.22";

// The capture's packets are at 2026-12-01T10:00:00Z and a few ms after; the alerts a minute
// later. Lines exactly as the IDSes write them.
const SNORT3_JSON: &str = r#"{ "seconds" : 1796119260, "timestamp" : "12/01-10:01:00.100000", "pkt_num" : 412, "proto" : "TCP", "pkt_gen" : "stream_tcp", "pkt_len" : 1460, "dir" : "S2C", "src_ap" : "203.0.113.50:80", "dst_ap" : "10.0.5.20:51000", "rule" : "1:2018959:4", "action" : "allow", "src_addr" : "203.0.113.50", "src_port" : 80, "dst_addr" : "10.0.5.20", "dst_port" : 51000, "gid" : 1, "sid" : 2018959, "rev" : 4, "msg" : "ET POLICY PE EXE or DLL Windows file download HTTP", "class" : "Potential Corporate Privacy Violation", "priority" : 1 }
"#;
const SNORT_FAST: &str = "12/01-10:01:00.200000 [**] [1:2018959:4] \"ET POLICY PE EXE or DLL Windows file download HTTP\" [**] [Classification: Potential Corporate Privacy Violation] [Priority: 1] [AppID: HTTP] {TCP} 203.0.113.50:80 -> 10.0.5.20:51000\n\
12/01-10:01:00.300000 [**] [1:2100498:7] \"GPL ATTACK_RESPONSE id check returned root\" [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 203.0.113.60:80 -> 10.0.5.21:51100\n";
const SURICATA_EVE: &str = r#"{"timestamp":"2026-12-01T10:01:00.150000+0000","flow_id":1348917316386213,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.50","src_port":80,"dest_ip":"10.0.5.20","dest_port":51000,"proto":"TCP","pkt_src":"wire/pcap","alert":{"action":"allowed","gid":1,"signature_id":2018959,"rev":4,"signature":"ET POLICY PE EXE or DLL Windows file download HTTP","category":"Potential Corporate Privacy Violation","severity":1},"app_proto":"http","flow":{"pkts_toserver":5,"pkts_toclient":31,"bytes_toserver":420,"bytes_toclient":41000,"start":"2026-12-01T10:00:00.000000+0000"}}
{"timestamp":"2026-12-01T10:01:00.400000+0000","flow_id":1,"event_type":"flow","src_ip":"10.0.5.21","src_port":51100,"dest_ip":"203.0.113.60","dest_port":80,"proto":"TCP"}
{"timestamp":"2026-12-01T10:01:00.500000+0000","flow_id":998877,"in_iface":"eth0","event_type":"alert","src_ip":"10.0.5.21","src_port":51100,"dest_ip":"203.0.113.60","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2027865,"rev":2,"signature":"ET INFO Observed DNS Query to .cloud TLD","category":"Potentially Bad Traffic","severity":2}}
"#;

fn manifest() -> Manifest {
    load_manifest(&pcaps_dir().join("ids-infection.expected.json"))
}

/// Writes the three logs into `dir` and the sensor.yaml reading them from the beginning.
fn setup(dir: &Path) -> String {
    let json = dir.join("alert_json.txt");
    let fast = dir.join("alert_fast.txt");
    let eve = dir.join("suricata-eve.json");
    std::fs::write(&json, SNORT3_JSON).unwrap();
    std::fs::write(&fast, SNORT_FAST).unwrap();
    std::fs::write(&eve, SURICATA_EVE).unwrap();
    format!(
        "{}ids:\n  window: 10m\n  inputs:\n    - {{ path: {}, format: snort3-json, from: beginning }}\n    - {{ path: {}, format: snort-fast, from: beginning }}\n    - {{ path: {}, format: suricata-eve, from: beginning }}\n",
        sensor::base_yaml(dir),
        json.display(),
        fast.display(),
        eve.display()
    )
}

fn run(tag: &str, dir: &Path) -> Out {
    let yaml = setup(dir);
    let m = manifest();
    run_pcaps(tag, &[&m.pcap], dir, &yaml)
}

#[test]
fn infected_host_gets_one_correlation_with_file_and_alerts() {
    require_root();
    let m = manifest();
    let exe = m
        .files
        .iter()
        .find(|f| f.ftype == "exe")
        .expect("ids-infection carries an exe");
    assert_eq!(exe.dest_ip, INFECTED);
    let dir = tempfile::tempdir().unwrap();
    let out = run("ids1", dir.path());
    must_succeed("ids", &out);
    let evs = events(&out.eve);

    // Every file is there, and every alert line became an alert event.
    let problems = common::compare(&m, &common::eve_files(&out.eve));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let alerts = of_type(&evs, "alert");
    assert_eq!(alerts.len(), 5, "{alerts:#?}");
    let to_infected: Vec<_> = alerts.iter().filter(|a| a["dest_ip"] == INFECTED).collect();
    assert_eq!(to_infected.len(), 3, "one per format: {to_infected:#?}");
    assert!(to_infected
        .iter()
        .all(|a| a["alert"]["signature_id"] == 2018959
            && a["alert"]["signature"] == "ET POLICY PE EXE or DLL Windows file download HTTP"
            && a["timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2026-12-01T10:01:00.")));

    // One correlation, for the infected host, with the exe and the alert.
    let corr = of_type(&evs, "correlation");
    assert_eq!(corr.len(), 1, "{corr:#?}");
    let c = &corr[0]["correlation"];
    assert_eq!(c["host"], INFECTED, "{c}");
    let files = c["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{c}");
    assert_eq!(files[0]["sha256"], exe.sha256.as_str());
    assert_eq!(files[0]["type"], "exe");
    assert_eq!(files[0]["category"], "executable");
    assert_eq!(files[0]["filename"], "update.exe");
    assert_eq!(files[0]["remote_ip"], "203.0.113.50");
    let ca = c["alerts"].as_array().unwrap();
    assert_eq!(
        ca.len(),
        1,
        "the three lines are one alert seen thrice: {c}"
    );
    assert_eq!(ca[0]["signature_id"], 2018959);
    assert_eq!(ca[0]["severity"], 1);
    assert_eq!(ca[0]["remote_ip"], "203.0.113.50");
    assert!(c["score"].as_u64().unwrap() > 0, "{c}");
    assert!(c["first_seen"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-01T10:00:00."));
    assert!(c["last_seen"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-01T10:01:00."));
    for host in [ALERT_ONLY, FILE_ONLY] {
        assert!(
            !out.eve.contains(&format!("\"host\":\"{host}\"")),
            "no correlation for {host}"
        );
    }
    let stats = common::last_stats(&out.eve).expect("stats");
    assert_eq!(
        stats["stats"]["ids"]["parse_errors"], 0,
        "{}",
        stats["stats"]["ids"]
    );
    assert_eq!(stats["stats"]["control"]["correlations_written"], 1);

    // Same inputs again (same directory, fresh eve.json): byte-identical output.
    let again = run("ids2", dir.path());
    must_succeed("ids again", &again);
    let (a, b) = (&out.eve, &again.eve);
    if a != b {
        let diff = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        panic!("two runs gave different eve.json; first differing lines: {diff:?}");
    }
}
