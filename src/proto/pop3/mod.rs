//! Pop3: files carried in mail messages, decoded with [`crate::proto::mime`].
//!
//! TODO(mail helper, issue 3): the real parser; this stub only keeps the interface.

use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;

counters! {
    /// `stats.pop3`
    pub struct Pop3Stats { sessions }
}

pub struct Pop3Parser {}

impl Pop3Parser {
    pub fn new(_cfg: &ProtoConfig) -> Self {
        Pop3Parser {}
    }
}

impl AppParser for Pop3Parser {
    fn data(&mut self, _cx: &mut StreamCtx, _dir: Dir, _data: &[u8]) {}
    fn gap(&mut self, _cx: &mut StreamCtx, _dir: Dir, _len: u64) {}
    fn end(&mut self, _cx: &mut StreamCtx, _dir: Dir, _how: StreamEnd) {}
    fn finish(&mut self, _cx: &mut StreamCtx, _how: StreamEnd) {}
}
