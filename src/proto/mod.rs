//! Application-layer parsers. Each protocol has its own folder and only talks to the file sink
//! (open / write / close); none of them hashes, types, stores or knows about VirusTotal.
//!
//! The engine picks a parser per TCP connection by the server port (`protocols.*.ports`) or,
//! failing that, by the first bytes of the stream ([`detect`]), then feeds it reassembled bytes
//! in order for each direction, with gaps and the end of each direction.

pub mod http;
pub mod imap;
pub mod mime;
pub mod pop3;
pub mod smtp;
#[cfg(test)]
pub mod testkit;

use crate::files::{AppProto, FileCtx, FileSink};
use crate::time::Nanos;
use std::net::SocketAddr;

/// Direction of data within a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client (connection initiator) to server.
    ToServer,
    /// Server to client.
    ToClient,
}

impl Dir {
    pub fn flip(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }
}

/// How one direction of a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// FIN, with every byte before it delivered.
    Fin,
    /// RST.
    Reset,
    /// Idle timeout, memory pressure eviction, or sensor shutdown.
    Timeout,
}

impl StreamEnd {
    /// Why a file still open when its stream ended this way is TRUNCATED.
    pub fn trunc_reason(self) -> crate::files::TruncReason {
        use crate::files::TruncReason;
        match self {
            StreamEnd::Fin => TruncReason::ConnectionClosed,
            StreamEnd::Reset => TruncReason::Reset,
            StreamEnd::Timeout => TruncReason::Timeout,
        }
    }
}

/// What a parser may see of its connection and use to reach the file sink.
pub struct StreamCtx<'a> {
    pub flow_id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Packet time of the data being delivered.
    pub ts: Nanos,
    pub files: &'a mut FileSink,
    pub stats: &'a mut ProtoStats,
}

impl StreamCtx<'_> {
    /// File context for bytes travelling in `dir` (sender -> receiver).
    pub fn file_ctx(&self, dir: Dir) -> FileCtx {
        let (src, dst) = match dir {
            Dir::ToServer => (self.client, self.server),
            Dir::ToClient => (self.server, self.client),
        };
        FileCtx {
            flow_id: self.flow_id,
            src,
            dst,
            ts: self.ts,
        }
    }
}

/// Counters of every protocol parser, one struct per protocol, kept by each worker.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProtoStats {
    pub http: http::HttpStats,
    pub smtp: smtp::SmtpStats,
    pub pop3: pop3::Pop3Stats,
    pub imap: imap::ImapStats,
    pub mime: mime::MimeStats,
}

impl ProtoStats {
    pub fn add(&mut self, o: &ProtoStats) {
        self.http.add(&o.http);
        self.smtp.add(&o.smtp);
        self.pop3.add(&o.pop3);
        self.imap.add(&o.imap);
        self.mime.add(&o.mime);
    }
}

/// A parser for one TCP connection. Must survive data arriving one byte at a time, keep its
/// memory bounded whatever the input, and never panic.
pub trait AppParser: Send {
    /// In-order bytes of direction `dir`.
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]);
    /// `len` bytes of direction `dir` were lost in capture. Open files in that direction get a
    /// gap; the parser resyncs where the protocol allows.
    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64);
    /// Direction `dir` ended.
    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd);
    /// The connection is being removed: close every open file (TRUNCATED unless complete).
    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd);
}

/// Settings of the parsers, from `protocols:` in sensor.yaml.
#[derive(Clone, Debug)]
pub struct ProtoConfig {
    pub http_ports: Vec<u16>,
    pub smtp_ports: Vec<u16>,
    pub pop3_ports: Vec<u16>,
    pub imap_ports: Vec<u16>,
    /// Cap on bytes one decoder (gzip, deflate, base64) may produce for one file.
    pub max_decoded: u64,
    pub http: http::HttpConfig,
    pub mime: mime::MimeLimits,
}

impl Default for ProtoConfig {
    fn default() -> Self {
        ProtoConfig {
            http_ports: vec![80],
            smtp_ports: vec![25],
            pop3_ports: vec![110],
            imap_ports: vec![143],
            max_decoded: 100 << 20,
            http: http::HttpConfig::default(),
            mime: mime::MimeLimits::default(),
        }
    }
}

impl ProtoConfig {
    /// The protocol configured for a server port.
    pub fn by_port(&self, port: u16) -> Option<AppProto> {
        if self.http_ports.contains(&port) {
            Some(AppProto::Http)
        } else if self.smtp_ports.contains(&port) {
            Some(AppProto::Smtp)
        } else if self.pop3_ports.contains(&port) {
            Some(AppProto::Pop3)
        } else if self.imap_ports.contains(&port) {
            Some(AppProto::Imap)
        } else {
            None
        }
    }
}

/// Guesses the protocol from the first bytes seen in a direction (content detection for
/// services on ports not listed in `protocols:`). `None` means "not (yet) recognised".
pub fn detect(dir: Dir, first: &[u8]) -> Option<AppProto> {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"OPTIONS ",
        b"DELETE ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    match dir {
        Dir::ToServer => {
            if METHODS.iter().any(|m| first.starts_with(m)) {
                return Some(AppProto::Http);
            }
            let up = first.get(..5).map(|p| p.to_ascii_uppercase());
            match up.as_deref() {
                Some(b"EHLO ") | Some(b"HELO ") => Some(AppProto::Smtp),
                _ => None,
            }
        }
        Dir::ToClient => {
            if first.starts_with(b"HTTP/1.") {
                Some(AppProto::Http)
            } else if first.starts_with(b"* OK") {
                Some(AppProto::Imap)
            } else if first.starts_with(b"+OK") {
                Some(AppProto::Pop3)
            } else if first.starts_with(b"220 ") || first.starts_with(b"220-") {
                Some(AppProto::Smtp)
            } else {
                None
            }
        }
    }
}

/// A new parser for a connection of protocol `p`.
pub fn new_parser(p: AppProto, cfg: &ProtoConfig) -> Box<dyn AppParser> {
    match p {
        AppProto::Http => Box::new(http::HttpParser::new(cfg)),
        AppProto::Smtp => Box::new(smtp::SmtpParser::new(cfg)),
        AppProto::Pop3 => Box::new(pop3::Pop3Parser::new(cfg)),
        AppProto::Imap => Box::new(imap::ImapParser::new(cfg)),
    }
}
