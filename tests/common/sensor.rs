//! Shared by the end-to-end tests of the control side (tests/e2e_virustotal.rs, tests/e2e_ids.rs):
//! runs the real binary on committed captures with DPDK's pcap PMD and a sensor.yaml the test
//! writes. Included with
//! `#[path = "common/sensor.rs"] mod sensor;` next to `mod common;`.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(120);

pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "the end-to-end tests run DPDK's EAL and need root (run them as root, as CI does)"
    );
}

static RUN: AtomicU32 = AtomicU32::new(0);

/// A unique, short (< 20 chars) EAL --file-prefix: `tag` (<= 4 chars), pid, run number.
pub fn prefix(tag: &str) -> String {
    let tag: String = tag.chars().take(4).collect();
    format!(
        "{tag}{}-{}",
        std::process::id() % 1_000_000,
        RUN.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct Out {
    pub code: Option<i32>,
    pub stderr: String,
    pub eve: String,
}

/// The start of a sensor.yaml: name, every file logged, EVE at `dir/eve.json`, one worker.
/// Append further top-level sections to it.
pub fn base_yaml(dir: &Path) -> String {
    format!(
        "sensor:\n  name: e2e\nfiles:\n  log: all\ncapture:\n  idle_yield: true\n  workers: 0\noutputs:\n  eve:\n    path: {}\n  stats:\n    interval: 1h\n",
        dir.join("eve.json").display()
    )
}

/// Writes `yaml` to `dir/sensor.yaml`, runs `fmon-dpdk` on `pcaps` (one pcap vdev each,
/// `-l 0-1`) and waits for it to exit by itself (kills it after TIMEOUT and fails). The EVE
/// file is removed first, so each run's output stands alone.
pub fn run_pcaps(tag: &str, pcaps: &[&Path], dir: &Path, yaml: &str) -> Out {
    let cfg = dir.join("sensor.yaml");
    std::fs::write(&cfg, yaml).unwrap();
    let _ = std::fs::remove_file(dir.join("eve.json"));
    let mut eal: Vec<String> = vec!["-l".into(), "0-1".into()];
    for (i, p) in pcaps.iter().enumerate() {
        eal.push("--vdev".into());
        eal.push(format!("net_pcap{i},rx_pcap={}", p.display()));
    }
    run_eal(tag, &eal, &cfg, dir)
}

/// Runs `fmon-dpdk --no-huge -m 256 --no-pci --file-prefix <unique> <eal> -- -c <cfg>` and
/// waits for it to exit by itself (kills it after TIMEOUT and fails); reads `dir/eve.json`.
pub fn run_eal(tag: &str, eal: &[String], cfg: &Path, dir: &Path) -> Out {
    let mut args: Vec<String> = ["--no-huge", "-m", "256", "--no-pci", "--file-prefix"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(prefix(tag));
    args.extend(eal.iter().cloned());
    args.push("--".into());
    args.push("-c".into());
    args.push(cfg.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_fmon-dpdk"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fmon-dpdk");
    let mut stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let err = reader.join().unwrap_or_default();
            panic!(
                "{tag}: fmon-dpdk {args:?} did not exit within {TIMEOUT:?}; killed. stderr:\n{err}"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap_or_default();
    let eve = std::fs::read_to_string(dir.join("eve.json")).unwrap_or_default();
    Out {
        code: status.code(),
        stderr,
        eve,
    }
}

pub fn must_succeed(what: &str, out: &Out) {
    assert_eq!(
        out.code,
        Some(0),
        "{what}: fmon-dpdk exited with {:?}. stderr:\n{}",
        out.code,
        out.stderr
    );
}

/// Every EVE line as JSON (fails on a line that is not JSON).
pub fn events(eve: &str) -> Vec<serde_json::Value> {
    eve.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn of_type<'a>(evs: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    evs.iter()
        .filter(|v| v["event_type"].as_str() == Some(t))
        .collect()
}

/// A local TCP port with nothing listening on it (bound, then released).
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

pub fn tmp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
