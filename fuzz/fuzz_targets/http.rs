#![no_main]
//! Fuzzes the HTTP parser: each record is [dir/op byte, len byte, bytes...]; the op byte picks
//! the direction and sometimes a gap or an end, the length gives random-size chunks.
use fmon::files::{FileSink, FileSinkConfig};
use fmon::proto::http::HttpParser;
use fmon::proto::{AppParser, Dir, ProtoConfig, ProtoStats, StreamCtx, StreamEnd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = ProtoConfig { max_decoded: 1 << 20, ..ProtoConfig::default() };
    let mut sink = FileSink::new(FileSinkConfig { max_size: 4 << 20, ..FileSinkConfig::default() });
    let mut stats = ProtoStats::default();
    let mut p = HttpParser::new(&cfg);
    let mut cx = StreamCtx {
        flow_id: 1,
        client: "10.0.0.1:1234".parse().unwrap(),
        server: "10.0.0.2:80".parse().unwrap(),
        ts: 0,
        files: &mut sink,
        stats: &mut stats,
    };
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let dir = if op & 1 == 0 { Dir::ToServer } else { Dir::ToClient };
        let n = (*len as usize + 1).min(tail.len());
        match op >> 1 {
            0x70 => p.gap(&mut cx, dir, u64::from(*len)),
            0x71 => p.end(&mut cx, dir, StreamEnd::Fin),
            0x72 => p.end(&mut cx, dir, StreamEnd::Reset),
            _ => p.data(&mut cx, dir, &tail[..n]),
        }
        rest = &tail[n..];
    }
    p.finish(&mut cx, StreamEnd::Timeout);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
});
