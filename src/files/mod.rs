//! The protocol-independent file sink (Zeek's file analysis, in small).
//!
//! Protocol parsers call [`FileSink::open`], [`FileSink::write`] and [`FileSink::close`]; they
//! never hash, type or store anything themselves. Everything done to a file is an analyzer
//! attached to its stream here: streaming hashes ([`hash`]), type detection from the first bytes
//! ([`magic`]), the size cap, and the optional store ([`store`]). A closed file becomes a
//! [`FileEvent`] that the worker forwards to the control lcore.
//!
//! This module never imports a parser.

pub mod hash;
pub mod magic;
mod sink;
pub mod store;

pub use magic::{Category, FileType};
pub use sink::{FileSink, FileSinkConfig, FileStats, OpenFile};

use crate::time::Nanos;
use serde::Serialize;
use std::net::SocketAddr;

/// Application protocol a file was carried by (`app_proto` in EVE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppProto {
    Http,
    Smtp,
    Pop3,
    Imap,
}

impl AppProto {
    pub fn as_str(self) -> &'static str {
        match self {
            AppProto::Http => "http",
            AppProto::Smtp => "smtp",
            AppProto::Pop3 => "pop3",
            AppProto::Imap => "imap",
        }
    }
}

/// `fileinfo.state` in EVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FileState {
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "TRUNCATED")]
    Truncated,
}

/// Why a file was cut short. Any of these makes the file `TRUNCATED`, never `CLOSED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncReason {
    /// Bytes were lost in capture (a TCP gap).
    Gap,
    /// `files.max_size` (or a decoder's output cap) was reached.
    SizeCap,
    /// The connection ended (FIN) before the protocol said the file was complete.
    ConnectionClosed,
    /// The connection was reset.
    Reset,
    /// The flow timed out, or the sensor shut down with the file open.
    Timeout,
    /// The protocol itself delivered only part of the entity (HTTP 206 range, POP3 TOP).
    Partial,
    /// Content or transfer decoding failed (bad gzip, bad base64 beyond repair, ...).
    DecodeError,
    /// A parser limit was hit (header size, MIME depth, line length, ...).
    Limit,
}

/// How a file ended, as told by the protocol parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileEnd {
    Complete,
    Truncated(TruncReason),
}

/// Where a file's bytes travel: `src` SENT them, `dst` RECEIVED them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileCtx {
    pub flow_id: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// Packet time of the data being handled now.
    pub ts: Nanos,
}

/// HTTP details of the transaction that carried a file (`http` object in EVE).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpInfo {
    pub hostname: String,
    pub url: String,
    pub http_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub http_user_agent: String,
    pub http_content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_range: Option<String>,
}

/// Mail details of the message that carried a file (`email` object in EVE).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EmailInfo {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// SMTP envelope sender (MAIL FROM), smtp only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    /// SMTP envelope recipients (RCPT TO), smtp only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rcpt_to: Vec<String>,
}

/// What the protocol parser knows about a file when it opens it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub app_proto: AppProto,
    /// From Content-Disposition / Content-Type name / URL path, as sent (may be empty). It is
    /// only ever written into JSON (escaped), never used as a path.
    pub filename: String,
    pub http: Option<Box<HttpInfo>>,
    pub email: Option<Box<EmailInfo>>,
    /// A short remark from the parser (e.g. "imap part stored as fetched"), optional in EVE.
    pub note: Option<&'static str>,
}

impl FileMeta {
    pub fn new(app_proto: AppProto) -> Self {
        FileMeta {
            app_proto,
            filename: String::new(),
            http: None,
            email: None,
            note: None,
        }
    }
}

/// A finished file, sent from a worker to the control lcore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEvent {
    /// Packet time when the file ended.
    pub ts: Nanos,
    pub flow_id: u64,
    /// Sender of the file's bytes.
    pub src: SocketAddr,
    /// Receiver of the file's bytes.
    pub dst: SocketAddr,
    pub meta: FileMeta,
    /// Decoded bytes delivered to the sink (hashed), after any cap.
    pub size: u64,
    pub state: FileState,
    pub trunc_reason: Option<TruncReason>,
    pub gaps: bool,
    pub sha256: [u8; 32],
    pub md5: Option<[u8; 16]>,
    pub sha1: Option<[u8; 20]>,
    pub ftype: FileType,
    pub category: Category,
    pub stored: bool,
    /// Order of this file among the files of its flow (for deterministic output ordering).
    pub seq: u32,
}
