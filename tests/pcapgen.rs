//! The capture generator is deterministic: regenerating every capture into a temporary
//! directory gives byte-identical files to the committed `pcaps/`, and every committed capture
//! reads back cleanly with `fmon::pcap`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn regenerated_captures_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fmon-pcapgen"))
        .arg("all")
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run fmon-pcapgen");
    assert!(
        out.status.success(),
        "fmon-pcapgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = |d: &std::path::Path| -> BTreeSet<String> {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pcap") || n.ends_with(".expected.json"))
            .collect()
    };
    let committed = list(&common::pcaps_dir());
    let fresh = list(dir.path());
    assert_eq!(
        committed, fresh,
        "the set of generated files differs from pcaps/ (run scripts/gen-pcaps.sh)"
    );
    let mut differ = Vec::new();
    for n in &fresh {
        let a = std::fs::read(common::pcaps_dir().join(n)).unwrap();
        let b = std::fs::read(dir.path().join(n)).unwrap();
        if a != b {
            differ.push(n.clone());
        }
    }
    assert!(
        differ.is_empty(),
        "regenerated files differ from pcaps/ (run scripts/gen-pcaps.sh): {differ:?}"
    );
}

#[test]
fn committed_captures_read_back() {
    let mut total = 0u64;
    for m in common::load_manifests() {
        assert_eq!(
            fmon::pcap::file_linktype(&m.pcap).unwrap(),
            1,
            "{}",
            m.capture
        );
        let mut n = 0;
        let mut last = 0;
        for p in fmon::pcap::PcapReader::open(&m.pcap).unwrap() {
            let p = p.unwrap_or_else(|e| panic!("{}: {e}", m.capture));
            assert!(p.ts >= last, "{}: time goes backwards", m.capture);
            last = p.ts;
            assert!(
                p.data.len() >= 54 && p.data.len() <= 1522,
                "{}: frame of {} bytes",
                m.capture,
                p.data.len()
            );
            n += 1;
        }
        assert!(n > 3, "{}: only {n} packets", m.capture);
        total += std::fs::metadata(&m.pcap).unwrap().len();
        for f in &m.files {
            assert_eq!(f.sha256.len(), 64);
            assert!(f.src_ip != f.dest_ip);
        }
    }
    assert!(
        total < 8 << 20,
        "committed captures are {total} bytes, keep them under 8 MB"
    );
}
