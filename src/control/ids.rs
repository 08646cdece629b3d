//! IDS alert inputs (placeholder interface; lands with issue 5).

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub ts: crate::time::Nanos,
    pub src_ip: std::net::IpAddr,
    pub src_port: Option<u16>,
    pub dest_ip: std::net::IpAddr,
    pub dest_port: Option<u16>,
    pub proto: String,
    pub signature_id: u64,
    pub gid: u64,
    pub rev: u64,
    pub signature: String,
    pub category: String,
    pub severity: u32,
    pub source: String,
}

impl Alert {
    pub fn to_eve(&self, sensor: &str) -> serde_json::Value {
        serde_json::json!({"event_type": "alert", "sensor": sensor})
    }
}

crate::counters! {
    pub struct IdsStats { alerts }
}

pub struct IdsInputs {}

impl IdsInputs {
    pub fn new(_inputs: &[crate::config::IdsInput]) -> IdsInputs {
        IdsInputs {}
    }
    pub fn poll(&mut self, _clock: crate::time::Nanos) -> Vec<Alert> {
        Vec::new()
    }
    pub fn stats(&self) -> IdsStats {
        IdsStats::default()
    }
}
