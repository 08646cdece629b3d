//! HTTP/1.x: request and response bodies become files, in both directions.
//!
//! TODO(http helper): the real parser; this stub only keeps the interface.

use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;

counters! {
    /// `stats.http`
    pub struct HttpStats { requests, responses }
}

/// HTTP parser limits.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest request/response header block accepted before the transaction is abandoned.
    pub max_header_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_header_bytes: 64 << 10,
        }
    }
}

pub struct HttpParser {}

impl HttpParser {
    pub fn new(_cfg: &ProtoConfig) -> Self {
        HttpParser {}
    }
}

impl AppParser for HttpParser {
    fn data(&mut self, _cx: &mut StreamCtx, _dir: Dir, _data: &[u8]) {}
    fn gap(&mut self, _cx: &mut StreamCtx, _dir: Dir, _len: u64) {}
    fn end(&mut self, _cx: &mut StreamCtx, _dir: Dir, _how: StreamEnd) {}
    fn finish(&mut self, _cx: &mut StreamCtx, _how: StreamEnd) {}
}
