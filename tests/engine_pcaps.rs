//! Runs the pure-Rust engine (no DPDK) over every committed capture in `pcaps/` and checks the
//! files it reports against `<name>.expected.json`: sha256, size, state, gaps, type, category,
//! filename, endpoints, and no unexpected dangerous file. All mismatches of all captures are
//! listed in one failure message.

mod common;

use common::{compare, load_manifests, Got, Manifest};
use fmon::config::{Config, Which};
use fmon::engine::{Engine, EngineConfig, LinkType};
use fmon::files::FileEvent;
use fmon::pcap::PcapReader;

fn config_for(m: &Manifest) -> Config {
    let mut cfg = Config::default();
    cfg.files.log = Which::All;
    for (proto, ports) in &m.ports {
        match proto.as_str() {
            "http" => cfg.protocols.http.ports = ports.clone(),
            "smtp" => cfg.protocols.smtp.ports = ports.clone(),
            "pop3" => cfg.protocols.pop3.ports = ports.clone(),
            "imap" => cfg.protocols.imap.ports = ports.clone(),
            other => panic!("{}: unknown protocol {other} in ports", m.capture),
        }
    }
    cfg
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn json_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn to_got(e: &FileEvent) -> Got {
    Got {
        app_proto: e.meta.app_proto.as_str().to_string(),
        sha256: hex(&e.sha256),
        size: e.size,
        state: json_str(&e.state),
        gaps: e.gaps,
        ftype: json_str(&e.ftype),
        category: json_str(&e.category),
        filename: e.meta.filename.clone(),
        src_ip: e.src.ip().to_string(),
        src_port: e.src.port(),
        dest_ip: e.dst.ip().to_string(),
        dest_port: e.dst.port(),
        direction: None,
        flow_id: e.flow_id,
    }
}

/// Every packet of the capture through one engine, then flush.
fn run_engine(m: &Manifest) -> Vec<FileEvent> {
    let mut engine = Engine::new(EngineConfig::from_config(&config_for(m)));
    let mut reader =
        PcapReader::open(&m.pcap).unwrap_or_else(|e| panic!("{}: {e}", m.pcap.display()));
    let mut buf = Vec::new();
    let mut events = Vec::new();
    while let Some((ts, dlt, _)) = reader
        .next_into(&mut buf)
        .unwrap_or_else(|e| panic!("{}: {e}", m.pcap.display()))
    {
        let lt =
            LinkType::from_dlt(dlt).unwrap_or_else(|| panic!("{}: link type {dlt}", m.capture));
        engine.process(lt, &buf, ts);
        engine.take_events(&mut events);
    }
    engine.flush();
    engine.take_events(&mut events);
    events
}

#[test]
fn every_capture_yields_its_expected_files() {
    let mut report = Vec::new();
    let manifests = load_manifests();
    for m in &manifests {
        let got: Vec<Got> = run_engine(m).iter().map(to_got).collect();
        let problems = compare(m, &got);
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

#[test]
fn engine_is_deterministic() {
    // Same capture twice: the same events in the same order.
    for name in ["tcp-interleaved", "smtp-two-messages", "imap-fetch"] {
        let m = common::load_manifest(&common::pcaps_dir().join(format!("{name}.expected.json")));
        let a = run_engine(&m);
        let b = run_engine(&m);
        assert_eq!(a, b, "{name}: two runs differ");
    }
}

/// Debugging aid: `FMON_PCAP=<file> cargo test --test engine_pcaps -- --ignored --nocapture
/// dump_one` prints every file event and the engine's counters for one capture.
#[test]
#[ignore = "debugging aid: needs FMON_PCAP"]
fn dump_one() {
    let Some(p) = std::env::var_os("FMON_PCAP") else {
        return;
    };
    let mut cfg = Config::default();
    cfg.files.log = Which::All;
    let mut engine = Engine::new(EngineConfig::from_config(&cfg));
    let mut reader = PcapReader::open(std::path::Path::new(&p)).expect("open");
    let mut buf = Vec::new();
    let mut events = Vec::new();
    while let Ok(Some((ts, dlt, _))) = reader.next_into(&mut buf) {
        if let Some(lt) = LinkType::from_dlt(dlt) {
            engine.process(lt, &buf, ts);
        }
        engine.take_events(&mut events);
    }
    engine.flush();
    engine.take_events(&mut events);
    for e in &events {
        let g = to_got(e);
        println!(
            "file {} {} {} size {} gaps {} {:?} {}:{} -> {}:{}",
            g.app_proto,
            g.sha256,
            g.state,
            g.size,
            g.gaps,
            g.filename,
            g.src_ip,
            g.src_port,
            g.dest_ip,
            g.dest_port
        );
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&engine.stats()).unwrap_or_default()
    );
}
