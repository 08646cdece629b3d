#![no_main]
//! Fuzzes the smtp parser: the input is a script of records (direction bit + length byte +
//! bytes), delivered with occasional gaps, then the connection ends.
use fmon::files::{FileSink, FileSinkConfig};
use fmon::proto::smtp::SmtpParser;
use fmon::proto::{AppParser, Dir, ProtoConfig, ProtoStats, StreamCtx, StreamEnd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = ProtoConfig::default();
    let mut p = SmtpParser::new(&cfg);
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut stats = ProtoStats::default();
    let mut cx = StreamCtx {
        flow_id: 1,
        client: "10.0.0.1:1000".parse().unwrap(),
        server: "10.0.0.2:25".parse().unwrap(),
        ts: 0,
        files: &mut sink,
        stats: &mut stats,
    };
    let mut rest = data;
    while let [hdr, len, tail @ ..] = rest {
        let dir = if hdr & 1 == 0 { Dir::ToServer } else { Dir::ToClient };
        let n = (*len as usize).min(tail.len());
        if hdr & 0x80 != 0 {
            p.gap(&mut cx, dir, *len as u64);
        }
        p.data(&mut cx, dir, &tail[..n]);
        rest = &tail[n..];
    }
    p.finish(&mut cx, StreamEnd::Fin);
});
