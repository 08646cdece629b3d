//! tests/vt_server.py (a local VirusTotal v3 file endpoint that counts what it is asked) started
//! from a test. Used by tests/virustotal.rs (the client) and tests/e2e_virustotal.rs (the
//! binary): `#[path = "common/vt_server.rs"] mod vt_server;`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// tests/vt_server.py, killed (by its own handle) when dropped.
pub struct VtServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl VtServer {
    /// `table`: sha256 -> behaviour (see vt_server.py); `key`: the key it accepts.
    pub fn start(table: serde_json::Value, key: &str) -> VtServer {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("table.json");
        std::fs::write(&t, table.to_string()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vt_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&t)
            .arg("--key")
            .arg(key)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .expect("PORT line")
            .parse()
            .unwrap();
        VtServer {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// GET /_stats
    pub fn stats(&self) -> serde_json::Value {
        let c = reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .unwrap();
        c.get(format!("{}/_stats", self.url()))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// How many times `sha256_hex` was asked.
    #[allow(dead_code)]
    pub fn asked(&self, sha256_hex: &str) -> u64 {
        self.stats()["per_sha256"][sha256_hex].as_u64().unwrap_or(0)
    }

    /// How many file requests the server got.
    #[allow(dead_code)]
    pub fn total(&self) -> u64 {
        self.stats()["total"].as_u64().unwrap()
    }
}

impl Drop for VtServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
