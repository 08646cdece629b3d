//! The real-capture corpus (suricata-verify captures with ground truth, kept outside the
//! project): runs the pure-Rust engine over every `<name>/input.pcap` and checks that every
//! required, high-confidence, hash-matched file of its `expected.json` is reported with the same
//! sha256 (or an `accept_sha256` alternative) and size. Ignored by default because the corpus
//! is not in the repository: run with
//! `FMON_CORPUS=/path/to/corpus/suricata-verify cargo test --no-default-features --test corpus_engine -- --ignored`
//! (default path: `../shared/corpus/suricata-verify` next to the checkout).

use fmon::config::{Config, Which};
use fmon::engine::{Engine, EngineConfig, LinkType};
use fmon::files::FileEvent;
use fmon::pcap::PcapReader;
use serde_json::Value;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    std::env::var_os("FMON_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/suricata-verify")
        })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run(pcap: &std::path::Path) -> Result<Vec<FileEvent>, String> {
    let mut cfg = Config::default();
    cfg.files.log = Which::All;
    let mut engine = Engine::new(EngineConfig::from_config(&cfg));
    let mut r = PcapReader::open(pcap).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut events = Vec::new();
    loop {
        match r.next_into(&mut buf) {
            Ok(Some((ts, dlt, _))) => {
                if let Some(lt) = LinkType::from_dlt(dlt) {
                    engine.process(lt, &buf, ts);
                }
                engine.take_events(&mut events);
            }
            Ok(None) => break,
            // A capture cut short at its end is common in the corpus: keep what was read.
            Err(e) => {
                eprintln!(
                    "{}: read error after {} packets: {e}",
                    pcap.display(),
                    engine.stats().decode.packets
                );
                break;
            }
        }
    }
    engine.flush();
    engine.take_events(&mut events);
    Ok(events)
}

#[test]
#[ignore = "needs the external corpus (FMON_CORPUS)"]
fn corpus_high_confidence_files_are_found() {
    let dir = corpus_dir();
    let mut caps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e} (set FMON_CORPUS)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").exists())
        .collect();
    caps.sort();
    let (mut want, mut found) = (0, 0);
    let mut report = Vec::new();
    for c in &caps {
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(c.join("expected.json")).unwrap())
                .unwrap();
        let events = match run(&c.join("input.pcap")) {
            Ok(e) => e,
            Err(e) => {
                report.push(format!("{}: {e}", c.display()));
                continue;
            }
        };
        let got: Vec<(String, u64)> = events.iter().map(|e| (hex(&e.sha256), e.size)).collect();
        for f in exp
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let required = f.get("required").and_then(Value::as_bool).unwrap_or(false);
            let high = f.get("confidence").and_then(Value::as_str) == Some("high");
            let by_hash = f.get("match").and_then(Value::as_str) == Some("sha256");
            if !(required && high && by_hash) {
                continue;
            }
            want += 1;
            let mut hashes: Vec<String> =
                vec![f["sha256"].as_str().unwrap_or_default().to_string()];
            for a in f
                .get("accept_sha256")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                hashes.push(a.as_str().unwrap_or_default().to_string());
            }
            if got.iter().any(|(h, _)| hashes.contains(h)) {
                found += 1;
            } else {
                report.push(format!(
                    "{}: missing {} {:?} size {} sha256 {}",
                    c.file_name().unwrap_or_default().to_string_lossy(),
                    f["app_proto"].as_str().unwrap_or_default(),
                    f["filename"]
                        .as_str()
                        .or(f["url_path"].as_str())
                        .unwrap_or_default(),
                    f["size"],
                    &hashes[0][..12.min(hashes[0].len())]
                ));
            }
        }
    }
    eprintln!(
        "corpus: {found}/{want} high-confidence required files found in {} captures",
        caps.len()
    );
    assert!(
        report.is_empty(),
        "corpus: {found}/{want} found; missing:\n{}",
        report.join("\n")
    );
}
