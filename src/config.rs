//! sensor.yaml (CONFIG.md): every key, its default, and start-up validation. An unknown key, a
//! wrong type or an impossible value is an error naming the key and its line.

use crate::files::store::StoreWhich;
use crate::time::{Nanos, NANOS_PER_SEC};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sensor: SensorCfg,
    pub home_net: Vec<IpNet>,
    pub capture: CaptureCfg,
    pub protocols: ProtocolsCfg,
    pub files: FilesCfg,
    pub tcp: TcpCfg,
    pub virustotal: VirusTotalCfg,
    pub intel: IntelCfg,
    pub ids: IdsCfg,
    pub outputs: OutputsCfg,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sensor: SensorCfg::default(),
            home_net: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            capture: CaptureCfg::default(),
            protocols: ProtocolsCfg::default(),
            files: FilesCfg::default(),
            tcp: TcpCfg::default(),
            virustotal: VirusTotalCfg::default(),
            intel: IntelCfg::default(),
            ids: IdsCfg::default(),
            outputs: OutputsCfg::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SensorCfg {
    pub name: String,
}

impl Default for SensorCfg {
    fn default() -> Self {
        SensorCfg {
            name: "sensor-1".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureCfg {
    /// lcores polling NIC queues.
    pub rx_lcores: u32,
    /// worker lcores; 0 = all remaining lcores.
    pub workers: u32,
    /// yield the CPU when a poll finds nothing.
    pub idle_yield: bool,
    /// Capacity of each RX -> worker queue (packets).
    pub queue_size: u32,
    /// mbufs in the packet pool; 0 = sized from queues and workers.
    pub mbufs: u32,
    /// Packets read per rx_burst.
    pub burst: u16,
    /// When reading pcap files, wait for a full worker queue instead of dropping (a file is not a
    /// live link: nothing is gained by loss). Live ports always drop and count.
    pub pcap_backpressure: bool,
}

impl Default for CaptureCfg {
    fn default() -> Self {
        CaptureCfg {
            rx_lcores: 1,
            workers: 0,
            idle_yield: false,
            queue_size: 4096,
            mbufs: 0,
            burst: 32,
            pcap_backpressure: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortsCfg {
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolsCfg {
    pub http: PortsCfg,
    pub smtp: PortsCfg,
    pub pop3: PortsCfg,
    pub imap: PortsCfg,
    /// Largest header block (HTTP headers, MIME part headers) accepted.
    #[serde(deserialize_with = "de_size")]
    pub max_header_size: u64,
    /// Cap on what one content/transfer decoder may produce for one file (gzip bombs).
    #[serde(deserialize_with = "de_size")]
    pub max_decoded_size: u64,
    /// Deepest MIME nesting opened.
    pub mime_max_depth: u32,
}

impl Default for ProtocolsCfg {
    fn default() -> Self {
        ProtocolsCfg {
            http: PortsCfg { ports: vec![80] },
            smtp: PortsCfg { ports: vec![25] },
            pop3: PortsCfg { ports: vec![110] },
            imap: PortsCfg { ports: vec![143] },
            max_header_size: 64 << 10,
            max_decoded_size: 100 << 20,
            mime_max_depth: 8,
        }
    }
}

/// Which files something applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Dangerous,
    All,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    Sha256,
    Md5,
    Sha1,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesCfg {
    pub log: Which,
    pub hashes: Vec<HashKind>,
    #[serde(deserialize_with = "de_size")]
    pub max_size: u64,
    pub store: StoreCfg,
}

impl Default for FilesCfg {
    fn default() -> Self {
        FilesCfg {
            log: Which::Dangerous,
            hashes: vec![HashKind::Sha256, HashKind::Md5, HashKind::Sha1],
            max_size: 100 << 20,
            store: StoreCfg::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreCfg {
    pub enabled: bool,
    pub dir: PathBuf,
    pub which: StoreWhich,
}

impl Default for StoreCfg {
    fn default() -> Self {
        StoreCfg {
            enabled: false,
            dir: "/var/lib/fmon/files".into(),
            which: StoreWhich::Dangerous,
        }
    }
}

/// TCP tracking and reassembly bounds (per worker).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TcpCfg {
    /// Flows tracked per worker; the oldest idle flow is evicted past it.
    pub max_flows: u32,
    /// Idle time (packet time) after which a flow is ended.
    #[serde(deserialize_with = "de_duration")]
    pub timeout: Nanos,
    /// Out-of-order bytes buffered per direction of a flow.
    #[serde(deserialize_with = "de_size")]
    pub max_ooo_per_flow: u64,
    /// Out-of-order bytes buffered by all flows of a worker.
    #[serde(deserialize_with = "de_size")]
    pub memcap: u64,
    /// IPv4/IPv6 fragments buffered per worker.
    #[serde(deserialize_with = "de_size")]
    pub defrag_memcap: u64,
}

impl Default for TcpCfg {
    fn default() -> Self {
        TcpCfg {
            max_flows: 1 << 18,
            timeout: 120 * NANOS_PER_SEC,
            max_ooo_per_flow: 1 << 20,
            memcap: 256 << 20,
            defrag_memcap: 16 << 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VirusTotalCfg {
    pub api_key: Secret,
    pub lookup: Which,
    pub url: String,
    pub requests_per_minute: u32,
    pub requests_per_day: u32,
    pub malicious_threshold: u32,
    pub cache: PathBuf,
    /// Age after which clean / not_found verdicts are asked again.
    #[serde(deserialize_with = "de_duration")]
    pub recheck_after: Nanos,
    /// Lookups waiting for quota; the oldest are dropped (and counted) past it.
    pub queue_size: u32,
    /// At the end of a pcap run, how long to keep looking up what is queued.
    #[serde(deserialize_with = "de_duration")]
    pub exit_wait: Nanos,
    #[serde(deserialize_with = "de_duration")]
    pub timeout: Nanos,
}

/// A secret (the VirusTotal API key): its Debug and Display never show it.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that sends it (the x-apikey header).
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"<redacted>\""
        })
    }
}

impl Default for VirusTotalCfg {
    fn default() -> Self {
        VirusTotalCfg {
            api_key: Secret::default(),
            lookup: Which::Dangerous,
            url: "https://www.virustotal.com".into(),
            requests_per_minute: 4,
            requests_per_day: 500,
            malicious_threshold: 1,
            cache: "/var/lib/fmon/vt-cache".into(),
            recheck_after: 24 * 3600 * NANOS_PER_SEC,
            queue_size: 10_000,
            exit_wait: 60 * NANOS_PER_SEC,
            timeout: 20 * NANOS_PER_SEC,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntelCfg {
    pub blocklists: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum IdsFormat {
    #[serde(rename = "snort3-json")]
    Snort3Json,
    #[serde(rename = "snort-fast")]
    SnortFast,
    #[serde(rename = "suricata-eve")]
    SuricataEve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FromWhere {
    End,
    Beginning,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdsInput {
    pub path: PathBuf,
    pub format: IdsFormat,
    #[serde(default = "default_from")]
    pub from: FromWhere,
}

fn default_from() -> FromWhere {
    FromWhere::End
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdsCfg {
    pub inputs: Vec<IdsInput>,
    #[serde(deserialize_with = "de_duration")]
    pub window: Nanos,
    /// Hosts whose evidence is kept for correlation; the least recently seen is dropped past it.
    pub max_hosts: u32,
    /// Pieces of evidence (files + alerts) kept per host.
    pub max_evidence_per_host: u32,
}

impl Default for IdsCfg {
    fn default() -> Self {
        IdsCfg {
            inputs: Vec::new(),
            window: 600 * NANOS_PER_SEC,
            max_hosts: 100_000,
            max_evidence_per_host: 64,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveCfg {
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsCfg {
    #[serde(deserialize_with = "de_duration")]
    pub interval: Nanos,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputsCfg {
    pub eve: EveCfg,
    pub stats: StatsCfg,
}

impl Default for OutputsCfg {
    fn default() -> Self {
        OutputsCfg {
            eve: EveCfg {
                path: "/var/log/fmon/eve.json".into(),
            },
            stats: StatsCfg {
                interval: 30 * NANOS_PER_SEC,
            },
        }
    }
}

/// A start-up configuration error: which key, which line, what is wrong.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates sensor.yaml.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
        Config::parse(&text).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parses and validates sensor.yaml text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| ConfigError(e.to_string()))?
        };
        cfg.validate(text)?;
        Ok(cfg)
    }

    fn validate(&self, text: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| {
            let leaf = key.rsplit('.').next().unwrap_or(key);
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start().starts_with(&format!("{leaf}:"))
                        || l.contains(&format!(" {leaf}:"))
                })
                .map(|n| format!(" at line {}", n + 1))
                .unwrap_or_default();
            Err(ConfigError(format!("{key}: {why}{line}")))
        };
        if self.sensor.name.is_empty() {
            return bad("sensor.name", "must not be empty");
        }
        if self.capture.rx_lcores == 0 {
            return bad("capture.rx_lcores", "must be at least 1");
        }
        if self.capture.queue_size < 64 || !self.capture.queue_size.is_power_of_two() {
            return bad("capture.queue_size", "must be a power of two >= 64");
        }
        if self.capture.burst == 0 || self.capture.burst > 512 {
            return bad("capture.burst", "must be 1..=512");
        }
        for (k, p) in [
            ("protocols.http.ports", &self.protocols.http.ports),
            ("protocols.smtp.ports", &self.protocols.smtp.ports),
            ("protocols.pop3.ports", &self.protocols.pop3.ports),
            ("protocols.imap.ports", &self.protocols.imap.ports),
        ] {
            if p.contains(&0) {
                return bad(k, "port 0 is not a port");
            }
        }
        if self.files.max_size == 0 {
            return bad("files.max_size", "must be greater than 0");
        }
        if self.files.store.enabled && self.files.store.dir.as_os_str().is_empty() {
            return bad(
                "files.store.dir",
                "must be set when files.store.enabled is true",
            );
        }
        if self.tcp.max_flows == 0 {
            return bad("tcp.max_flows", "must be at least 1");
        }
        if self.tcp.timeout == 0 {
            return bad("tcp.timeout", "must be greater than 0");
        }
        if self.protocols.mime_max_depth == 0 || self.protocols.mime_max_depth > 64 {
            return bad("protocols.mime_max_depth", "must be 1..=64");
        }
        if self.virustotal.lookup == Which::None {
            return bad(
                "virustotal.lookup",
                "must be dangerous or all (leave api_key empty to disable)",
            );
        }
        if self.virustotal.requests_per_minute == 0 {
            return bad("virustotal.requests_per_minute", "must be at least 1");
        }
        if self.virustotal.malicious_threshold == 0 {
            return bad("virustotal.malicious_threshold", "must be at least 1");
        }
        if !self.virustotal.url.starts_with("http://")
            && !self.virustotal.url.starts_with("https://")
        {
            return bad("virustotal.url", "must start with http:// or https://");
        }
        if self.ids.window == 0 {
            return bad("ids.window", "must be greater than 0");
        }
        if self.outputs.stats.interval == 0 {
            return bad("outputs.stats.interval", "must be greater than 0");
        }
        if self.outputs.eve.path.as_os_str().is_empty() {
            return bad("outputs.eve.path", "must be set");
        }
        Ok(())
    }

    /// Whether `ip` is inside `home_net`.
    pub fn is_home(&self, ip: IpAddr) -> bool {
        self.home_net.iter().any(|n| n.contains(&ip))
    }
}

/// Parses sizes such as `100MiB`, `64KiB`, `1GB`, `1500` (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// Parses durations such as `10m`, `30s`, `500ms`, `2h`, `1d` into nanoseconds.
pub fn parse_duration(s: &str) -> Option<Nanos> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit.trim() {
        "ns" => 1,
        "us" => 1000,
        "ms" => 1_000_000,
        "" | "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3600 * NANOS_PER_SEC,
        "d" => 86_400 * NANOS_PER_SEC,
        _ => return None,
    };
    n.checked_mul(mul)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Num(u64),
    Str(String),
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => parse_size(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid size {s:?} (use e.g. 1500, 64KiB, 100MiB, 1GiB)"
            ))
        }),
    }
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Nanos, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => n
            .checked_mul(NANOS_PER_SEC)
            .ok_or_else(|| serde::de::Error::custom("duration too large")),
        NumOrStr::Str(s) => parse_duration(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid duration {s:?} (use e.g. 500ms, 30s, 10m, 2h)"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.sensor.name, "sensor-1");
        assert_eq!(c.files.max_size, 100 << 20);
        assert!(c.is_home("10.1.2.3".parse().unwrap()));
        assert!(!c.is_home("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn full_example_parses() {
        let text = include_str!("../config/sensor.yaml");
        let c = Config::parse(text).unwrap();
        assert_eq!(c.ids.window, 600 * NANOS_PER_SEC);
        assert_eq!(c.outputs.stats.interval, 30 * NANOS_PER_SEC);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = Config::parse("sensor:\n  name: a\ncapture:\n  wrokers: 2\n")
            .unwrap_err()
            .0;
        assert!(e.contains("wrokers"), "{e}");
        assert!(e.contains("line 4"), "{e}");
    }

    #[test]
    fn wrong_type_names_key() {
        let e = Config::parse("capture:\n  workers: lots\n").unwrap_err().0;
        assert!(e.contains("capture.workers"), "{e}");
    }

    #[test]
    fn impossible_value_names_key_and_line() {
        let e = Config::parse("virustotal:\n  malicious_threshold: 0\n")
            .unwrap_err()
            .0;
        assert!(e.starts_with("virustotal.malicious_threshold"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = Config::parse("files:\n  max_size: 12 parsecs\n")
            .unwrap_err()
            .0;
        assert!(
            e.contains("files") && e.contains("12 parsecs") && e.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn api_key_never_in_debug() {
        let c = Config::parse("virustotal:\n  api_key: topsecret123\n").unwrap();
        assert_eq!(c.virustotal.api_key.expose(), "topsecret123");
        assert!(!format!("{c:?}").contains("topsecret123"));
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("100MiB"), Some(100 << 20));
        assert_eq!(parse_size("1500"), Some(1500));
        assert_eq!(parse_size("99999999999999999999GiB"), None);
        assert_eq!(parse_duration("10m"), Some(600 * NANOS_PER_SEC));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("ten"), None);
    }
}
