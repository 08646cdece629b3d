//! VirusTotal v3 lookups (placeholder interface; the client lands with issue 4).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VtStatus {
    Malicious,
    Clean,
    NotFound,
    Error,
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: VtStatus,
    pub malicious: u32,
    pub suspicious: u32,
    pub total: u32,
    pub permalink: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_date: Option<String>,
}

crate::counters! {
    pub struct VtStats { requests }
}

pub struct VirusTotal {}

impl VirusTotal {
    pub fn new(cfg: &crate::config::VirusTotalCfg) -> Result<Option<VirusTotal>, String> {
        let _ = cfg;
        Ok(None)
    }
    pub fn cached(&mut self, _sha256: &[u8; 32]) -> Option<Verdict> {
        None
    }
    pub fn request(&mut self, _sha256: &[u8; 32]) {}
    pub fn poll(&mut self) -> Vec<([u8; 32], Verdict)> {
        Vec::new()
    }
    pub fn drain(&mut self, _wait: std::time::Duration) -> Vec<([u8; 32], Verdict)> {
        Vec::new()
    }
    pub fn stats(&self) -> VtStats {
        VtStats::default()
    }
}
