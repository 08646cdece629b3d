//! The worker's packet engine, pure Rust and DPDK-free: it takes frames as byte slices with
//! packet timestamps and turns them into file events.
//!
//! decode ([`decode`]) → IP defragmentation ([`defrag`]) → flow table ([`flow`]) → TCP
//! reassembly per direction ([`reassembly`]) → protocol parser ([`crate::proto`]) → file sink
//! ([`crate::files`]). [`rss`] is the symmetric flow hash RX lcores use to pick a worker.
//!
//! TODO(engine helper): implementation. The public API of [`Engine`] is the contract with the
//! DPDK runtime, the tests and the benchmarks.

pub mod decode;
pub mod defrag;
pub mod flow;
pub mod reassembly;
pub mod rss;

pub use decode::LinkType;

use crate::config::Config;
use crate::files::{FileEvent, FileSink, FileSinkConfig, FileStats};
use crate::proto::{ProtoConfig, ProtoStats};
use crate::time::Nanos;
use serde::Serialize;

/// Everything an engine needs to know, derived from sensor.yaml.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub proto: ProtoConfig,
    pub files: FileSinkConfig,
    pub tcp: crate::config::TcpCfg,
}

impl EngineConfig {
    pub fn from_config(c: &Config) -> Self {
        use crate::config::HashKind;
        let mut proto = ProtoConfig {
            http_ports: c.protocols.http.ports.clone(),
            smtp_ports: c.protocols.smtp.ports.clone(),
            pop3_ports: c.protocols.pop3.ports.clone(),
            imap_ports: c.protocols.imap.ports.clone(),
            max_decoded: c.protocols.max_decoded_size,
            ..ProtoConfig::default()
        };
        proto.http.max_header_bytes = c.protocols.max_header_size as usize;
        proto.mime.max_header_bytes = c.protocols.max_header_size as usize;
        proto.mime.max_depth = c.protocols.mime_max_depth as usize;
        EngineConfig {
            proto,
            files: FileSinkConfig {
                md5: c.files.hashes.contains(&HashKind::Md5),
                sha1: c.files.hashes.contains(&HashKind::Sha1),
                max_size: c.files.max_size,
                store: c
                    .files
                    .store
                    .enabled
                    .then(|| (c.files.store.dir.clone(), c.files.store.which)),
            },
            tcp: c.tcp.clone(),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig::from_config(&Config::default())
    }
}

/// All counters of one engine (`stats.decode`, `stats.defrag`, `stats.tcp`, `stats.flows`,
/// `stats.files` and one object per protocol in EVE).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    pub decode: decode::DecodeStats,
    pub defrag: defrag::DefragStats,
    pub tcp: reassembly::TcpStats,
    pub flows: flow::FlowStats,
    pub files: FileStats,
    #[serde(flatten)]
    pub proto: ProtoStats,
}

impl EngineStats {
    pub fn add(&mut self, o: &EngineStats) {
        self.decode.add(&o.decode);
        self.defrag.add(&o.defrag);
        self.tcp.add(&o.tcp);
        self.flows.add(&o.flows);
        self.files.add(&o.files);
        self.proto.add(&o.proto);
    }
}

/// One worker's engine. Owns its flows; no locks.
pub struct Engine {
    cfg: EngineConfig,
    files: FileSink,
    stats: EngineStats,
    now: Nanos,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Self {
        let files = FileSink::new(cfg.files.clone());
        Engine {
            cfg,
            files,
            stats: EngineStats::default(),
            now: 0,
        }
    }

    /// Handles one captured frame of link type `lt` seen at packet time `ts`.
    pub fn process(&mut self, lt: LinkType, frame: &[u8], ts: Nanos) {
        let _ = (lt, frame, &self.cfg);
        self.now = self.now.max(ts);
    }

    /// Lets packet time pass without a packet (ends idle flows).
    pub fn advance(&mut self, ts: Nanos) {
        self.now = self.now.max(ts);
    }

    /// Latest packet time seen.
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Ends every flow (sensor shutdown / end of capture): open files are closed TRUNCATED
    /// unless their protocol completed them.
    pub fn flush(&mut self) {}

    /// Moves finished files into `out`.
    pub fn take_events(&mut self, out: &mut Vec<FileEvent>) {
        self.files.take_events(out);
    }

    /// A snapshot of every counter.
    pub fn stats(&self) -> EngineStats {
        let mut s = self.stats.clone();
        s.files = self.files.stats.clone();
        s
    }
}
