//! Live capture: a veth pair whose far end sits in its own network namespace; the binary runs on
//! the near end with DPDK's af_packet PMD, tcpreplay replays committed captures into the far end,
//! then SIGTERM makes the sensor flush and write every event. The expected files must appear.
//! The namespace and veth are always deleted (a Drop guard), even when the test fails.
//! Needs root, iproute2 and tcpreplay.

mod common;

use common::{compare, eve_files, load_manifest, pcaps_dir, Manifest};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sh(cmd: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .map_err(|e| format!("{}: {e}", cmd[0]))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Owns the namespace and the veth pair; deletes both on drop.
struct Net {
    ns: String,
    near: String,
    far: String,
}

impl Net {
    fn create() -> Net {
        let pid = std::process::id();
        let net = Net {
            ns: format!("fmon-ns-{pid}"),
            near: format!("fmv{pid}a"),
            far: format!("fmv{pid}b"),
        };
        // From here on, Drop cleans up whatever part was made.
        let steps: Vec<Vec<String>> = vec![
            vec!["ip".into(), "netns".into(), "add".into(), net.ns.clone()],
            vec![
                "ip".into(),
                "link".into(),
                "add".into(),
                net.near.clone(),
                "type".into(),
                "veth".into(),
                "peer".into(),
                "name".into(),
                net.far.clone(),
            ],
            vec![
                "ip".into(),
                "link".into(),
                "set".into(),
                net.far.clone(),
                "netns".into(),
                net.ns.clone(),
            ],
            vec![
                "ip".into(),
                "link".into(),
                "set".into(),
                net.near.clone(),
                "mtu".into(),
                "1600".into(),
                "up".into(),
            ],
            vec![
                "ip".into(),
                "netns".into(),
                "exec".into(),
                net.ns.clone(),
                "ip".into(),
                "link".into(),
                "set".into(),
                net.far.clone(),
                "mtu".into(),
                "1600".into(),
                "up".into(),
            ],
        ];
        for s in steps {
            let v: Vec<&str> = s.iter().map(String::as_str).collect();
            if let Err(e) = sh(&v) {
                panic!("setting up the test network: {e}");
            }
        }
        net
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = sh(&["ip", "link", "del", &self.near]);
        let _ = sh(&["ip", "netns", "del", &self.ns]);
    }
}

/// Kills the sensor if the test fails before it exits.
struct Child(Option<std::process::Child>);

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn live_veth_replay_finds_the_files() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the live test creates a network namespace and needs root (CI runs as root)"
    );
    assert!(
        Command::new("tcpreplay").arg("--version").output().is_ok(),
        "tcpreplay is not installed (apt-get install tcpreplay)"
    );
    let names = [
        "http-cl-exe",
        "http-keepalive",
        "smtp-attach",
        "imap-append",
        "pop3-retr",
    ];
    let manifests: Vec<Manifest> = names
        .iter()
        .map(|n| load_manifest(&pcaps_dir().join(format!("{n}.expected.json"))))
        .collect();

    let net = Net::create();
    let dir = tempfile::tempdir().unwrap();
    let eve = dir.path().join("eve.json");
    let cfg = dir.path().join("sensor.yaml");
    std::fs::write(
        &cfg,
        format!(
            "sensor:\n  name: live\nfiles:\n  log: all\ncapture:\n  idle_yield: true\noutputs:\n  eve:\n    path: {}\n  stats:\n    interval: 1s\n",
            eve.display()
        ),
    )
    .unwrap();
    let args = vec![
        "-l".to_string(),
        "0-1".into(),
        "--no-huge".into(),
        "-m".into(),
        "256".into(),
        "--no-pci".into(),
        "--file-prefix".into(),
        format!("fmon-live-{}", std::process::id()),
        "--vdev".into(),
        format!("net_af_packet0,iface={}", net.near),
        "--".into(),
        "-c".into(),
        cfg.display().to_string(),
    ];
    let mut child = Child(Some(
        Command::new(env!("CARGO_BIN_EXE_fmon-dpdk"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fmon-dpdk"),
    ));
    let mut err_pipe = child.0.as_mut().unwrap().stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    // Wait for the sensor to be up: it writes its first stats event (interval 1s) once running.
    let start = Instant::now();
    while !std::fs::read_to_string(&eve)
        .map(|s| s.contains("\"stats\""))
        .unwrap_or(false)
    {
        if let Some(st) = child.0.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "fmon-dpdk exited early with {st}: {}",
                reader.join().unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "fmon-dpdk did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for m in &manifests {
        let p: &Path = &m.pcap;
        sh(&[
            "ip",
            "netns",
            "exec",
            &net.ns,
            "tcpreplay",
            "-q",
            "-i",
            &net.far,
            "--topspeed",
            &p.display().to_string(),
        ])
        .unwrap_or_else(|e| panic!("replaying {}: {e}", m.capture));
    }
    std::thread::sleep(Duration::from_secs(2));
    let pid = child.0.as_ref().unwrap().id() as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.0.as_mut().unwrap().try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "fmon-dpdk did not exit within 60 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    child.0 = None;
    let stderr = reader.join().unwrap_or_default();
    assert!(
        status.success(),
        "fmon-dpdk exited with {status} after SIGTERM: {stderr}"
    );
    let text = std::fs::read_to_string(&eve).unwrap_or_default();
    let got = eve_files(&text);
    let mut report = Vec::new();
    for m in &manifests {
        // Other captures' files are on other endpoints; only this capture's must all be there.
        let problems: Vec<String> = compare(m, &got)
            .into_iter()
            .filter(|p| !p.starts_with("unexpected"))
            .collect();
        if !problems.is_empty() {
            report.push(format!("{}:\n    {}", m.capture, problems.join("\n    ")));
        }
    }
    let all = Manifest {
        capture: "all".into(),
        pcap: manifests[0].pcap.clone(),
        description: String::new(),
        ports: Vec::new(),
        files: manifests
            .iter()
            .flat_map(|m| m.files.iter().cloned())
            .collect(),
    };
    report.extend(
        compare(&all, &got)
            .into_iter()
            .filter(|p| p.starts_with("unexpected")),
    );
    drop(net);
    assert!(report.is_empty(), "live capture:\n{}", report.join("\n"));
}
