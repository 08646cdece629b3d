//! Test helpers shared by the parsers' unit tests: drive a parser with a scripted exchange over
//! a real `FileSink`, in pieces of any size, and collect the file events.

use super::{AppParser, Dir, ProtoStats, StreamCtx, StreamEnd};
use crate::files::{FileEvent, FileSink, FileSinkConfig};
use sha2::{Digest, Sha256};

pub fn sha(d: &[u8]) -> [u8; 32] {
    Sha256::digest(d).into()
}

/// Runs `f` with a stream context over a real `FileSink` (for tests that need gaps or ends
/// of their own); returns the files and counters.
pub fn with_ctx(
    (flow_id, client, server): (u64, &str, &str),
    f: impl FnOnce(&mut StreamCtx<'_>),
) -> (Vec<FileEvent>, ProtoStats) {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut stats = ProtoStats::default();
    f(&mut StreamCtx {
        flow_id,
        client: client.parse().unwrap(),
        server: server.parse().unwrap(),
        ts: 0,
        files: &mut sink,
        stats: &mut stats,
    });
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    (ev, stats)
}

/// Feeds `script` ((direction, bytes) turns) to `p` in `step`-byte pieces, then ends the
/// connection with FIN; returns the files and counters.
pub fn run_script<B: AsRef<[u8]>>(
    p: &mut dyn AppParser,
    endpoints: (u64, &str, &str),
    script: &[(Dir, B)],
    step: usize,
) -> (Vec<FileEvent>, ProtoStats) {
    with_ctx(endpoints, |cx| {
        for (dir, bytes) in script {
            for c in bytes.as_ref().chunks(step.max(1)) {
                p.data(cx, *dir, c);
            }
        }
        p.finish(cx, StreamEnd::Fin);
    })
}
