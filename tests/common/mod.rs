//! Shared by the integration tests: the committed captures and their manifests, the sensor
//! configuration a manifest asks for, and the comparison of reported files with expected ones
//! (every mismatch listed, not just the first).

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn pcaps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pcaps")
}

/// One expected file from `pcaps/<name>.expected.json`.
#[derive(Clone, Debug)]
pub struct Expected {
    pub app_proto: String,
    pub sha256: String,
    pub size: u64,
    pub state: String,
    pub gaps: bool,
    pub ftype: String,
    pub category: String,
    pub filename: String,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub direction: String,
    /// sha256 and size must match exactly; otherwise `size` is an upper bound.
    pub exact: bool,
}

pub struct Manifest {
    pub capture: String,
    pub pcap: PathBuf,
    pub description: String,
    /// Ports per protocol the sensor must listen on, e.g. {"http": [80, 8081]}.
    pub ports: Vec<(String, Vec<u16>)>,
    pub files: Vec<Expected>,
}

/// A file as the sensor reported it (from an engine FileEvent or an EVE fileinfo line).
#[derive(Clone, Debug)]
pub struct Got {
    pub app_proto: String,
    pub sha256: String,
    pub size: u64,
    pub state: String,
    pub gaps: bool,
    pub ftype: String,
    pub category: String,
    pub filename: String,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    /// Not known at engine level.
    pub direction: Option<String>,
    pub flow_id: u64,
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or_default()
}

pub fn load_manifests() -> Vec<Manifest> {
    let dir = pcaps_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no manifests in {}", dir.display());
    names.iter().map(|p| load_manifest(p)).collect()
}

pub fn load_manifest(p: &Path) -> Manifest {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let capture = s(&v, "capture");
    let ports = v
        .get("ports")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, l)| {
                    let ports = l
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_u64())
                                .map(|x| x as u16)
                                .collect()
                        })
                        .unwrap_or_default();
                    (k.clone(), ports)
                })
                .collect()
        })
        .unwrap_or_default();
    let files = v
        .get("files")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| Expected {
                    app_proto: s(f, "app_proto"),
                    sha256: s(f, "sha256"),
                    size: n(f, "size"),
                    state: s(f, "state"),
                    gaps: f.get("gaps").and_then(Value::as_bool).unwrap_or(false),
                    ftype: s(f, "type"),
                    category: s(f, "category"),
                    filename: s(f, "filename"),
                    src_ip: s(f, "src_ip"),
                    src_port: n(f, "src_port") as u16,
                    dest_ip: s(f, "dest_ip"),
                    dest_port: n(f, "dest_port") as u16,
                    direction: s(f, "direction"),
                    exact: f.get("exact").and_then(Value::as_bool).unwrap_or(true),
                })
                .collect()
        })
        .unwrap_or_default();
    Manifest {
        pcap: pcaps_dir().join(format!("{capture}.pcap")),
        description: s(&v, "description"),
        capture,
        ports,
        files,
    }
}

pub fn is_dangerous(category: &str) -> bool {
    matches!(category, "executable" | "document" | "archive" | "script")
}

/// Compares what the sensor reported with the manifest. Returns every problem found.
pub fn compare(m: &Manifest, got: &[Got]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut used = vec![false; got.len()];
    for e in &m.files {
        let same_ends = |g: &Got| {
            g.src_ip == e.src_ip
                && g.src_port == e.src_port
                && g.dest_ip == e.dest_ip
                && g.dest_port == e.dest_port
        };
        let label = format!(
            "{} {:?} ({} {}:{} -> {}:{})",
            e.ftype, e.filename, e.app_proto, e.src_ip, e.src_port, e.dest_ip, e.dest_port
        );
        // Exact files by sha256; the others by filename, then by type, among the same endpoints.
        let pick = if e.exact {
            (0..got.len()).find(|&i| !used[i] && got[i].sha256 == e.sha256)
        } else {
            (0..got.len())
                .find(|&i| {
                    !used[i]
                        && same_ends(&got[i])
                        && got[i].filename == e.filename
                        && got[i].app_proto == e.app_proto
                })
                .or_else(|| {
                    (0..got.len())
                        .find(|&i| !used[i] && same_ends(&got[i]) && got[i].ftype == e.ftype)
                })
        };
        let Some(i) = pick else {
            let near: Vec<String> = got
                .iter()
                .enumerate()
                .filter(|(i, g)| !used[*i] && same_ends(g))
                .map(|(_, g)| {
                    format!(
                        "{} {:?} size {} {} sha256 {}",
                        g.ftype,
                        g.filename,
                        g.size,
                        g.state,
                        &g.sha256[..g.sha256.len().min(12)]
                    )
                })
                .collect();
            problems.push(format!(
                "missing {label} sha256 {} size {} (unmatched files on these endpoints: {near:?})",
                &e.sha256[..12.min(e.sha256.len())],
                e.size
            ));
            continue;
        };
        used[i] = true;
        let g = &got[i];
        let mut field = |name: &str, want: String, have: String| {
            if want != have {
                problems.push(format!("{label}: {name} expected {want:?}, got {have:?}"));
            }
        };
        if e.exact {
            field("size", e.size.to_string(), g.size.to_string());
        } else if g.size > e.size {
            field("size (at most)", e.size.to_string(), g.size.to_string());
        }
        field("state", e.state.clone(), g.state.clone());
        field("gaps", e.gaps.to_string(), g.gaps.to_string());
        field("type", e.ftype.clone(), g.ftype.clone());
        field("category", e.category.clone(), g.category.clone());
        field("filename", e.filename.clone(), g.filename.clone());
        field("app_proto", e.app_proto.clone(), g.app_proto.clone());
        field(
            "src",
            format!("{}:{}", e.src_ip, e.src_port),
            format!("{}:{}", g.src_ip, g.src_port),
        );
        field(
            "dest",
            format!("{}:{}", e.dest_ip, e.dest_port),
            format!("{}:{}", g.dest_ip, g.dest_port),
        );
        if let Some(d) = &g.direction {
            field("direction", e.direction.clone(), d.clone());
        }
    }
    for (i, g) in got.iter().enumerate() {
        if !used[i] && is_dangerous(&g.category) {
            problems.push(format!(
                "unexpected dangerous file {} {:?} size {} {} ({} {}:{} -> {}:{})",
                g.ftype,
                g.filename,
                g.size,
                g.state,
                g.app_proto,
                g.src_ip,
                g.src_port,
                g.dest_ip,
                g.dest_port
            ));
        }
    }
    problems
}

/// Parses EVE JSON lines; returns the fileinfo events as [`Got`] (and fails on a line that is
/// not JSON).
pub fn eve_files(text: &str) -> Vec<Got> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("eve line {} is not JSON ({e}): {line}", n + 1));
        if v.get("event_type").and_then(Value::as_str) != Some("fileinfo") {
            continue;
        }
        let fi = v.get("fileinfo").cloned().unwrap_or(Value::Null);
        out.push(Got {
            app_proto: s(&v, "app_proto"),
            sha256: s(&fi, "sha256"),
            size: n_(&fi, "size"),
            state: s(&fi, "state"),
            gaps: fi.get("gaps").and_then(Value::as_bool).unwrap_or(false),
            ftype: s(&fi, "type"),
            category: s(&fi, "category"),
            filename: s(&fi, "filename"),
            src_ip: s(&v, "src_ip"),
            src_port: n_(&v, "src_port") as u16,
            dest_ip: s(&v, "dest_ip"),
            dest_port: n_(&v, "dest_port") as u16,
            direction: Some(s(&v, "direction")),
            flow_id: n_(&v, "flow_id"),
        });
    }
    out
}

fn n_(v: &Value, k: &str) -> u64 {
    n(v, k)
}

/// The final `stats` event of an EVE file, if any.
pub fn last_stats(text: &str) -> Option<Value> {
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("event_type").and_then(Value::as_str) == Some("stats"))
}
