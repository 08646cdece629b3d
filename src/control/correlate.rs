//! Correlation (placeholder interface; lands with issue 5).

pub struct FileEvidence {
    pub ts: crate::time::Nanos,
    pub host: std::net::IpAddr,
    pub remote_ip: std::net::IpAddr,
    pub sha256: [u8; 32],
    pub ftype: crate::files::FileType,
    pub category: crate::files::Category,
    pub rank: u8,
    pub filename: String,
    pub app_proto: crate::files::AppProto,
}

crate::counters! {
    pub struct CorrelateStats { hosts }
}

pub struct Correlator {}

impl Correlator {
    pub fn new(_cfg: &crate::config::IdsCfg, _home_net: Vec<ipnet::IpNet>) -> Correlator {
        Correlator {}
    }
    pub fn add_file(&mut self, _f: FileEvidence, _sensor: &str) -> Vec<serde_json::Value> {
        Vec::new()
    }
    pub fn add_alert(&mut self, _a: &super::ids::Alert, _sensor: &str) -> Vec<serde_json::Value> {
        Vec::new()
    }
    pub fn stats(&self) -> CorrelateStats {
        CorrelateStats::default()
    }
}
