#![no_main]
//! Fuzzes the streaming MIME decoder: a message split at a fuzzer-chosen point, plus the HTTP
//! multipart entry point.
use fmon::files::{AppProto, FileCtx, FileEnd, FileMeta, FileSink, FileSinkConfig};
use fmon::proto::mime::{MimeDecoder, MimeLimits, MimeStats};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else { return };
    let fc = FileCtx { flow_id: 1, src: "10.0.0.1:1".parse().unwrap(), dst: "10.0.0.2:2".parse().unwrap(), ts: 0 };
    let limits = MimeLimits { max_depth: 4, max_header_bytes: 4096, max_line: 4096, max_parts: 64 };
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let step = (split as usize % 17) + 1;
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &limits);
    for (i, c) in body.chunks(step).enumerate() {
        if i == 3 && split & 0x80 != 0 {
            d.gap(&mut sink, &fc);
        }
        d.push(&mut sink, &mut st, &fc, c);
    }
    d.finish(&mut sink, &mut st, &fc, FileEnd::Complete);
    let mut m = MimeDecoder::multipart(b"b", FileMeta::new(AppProto::Http), &limits);
    m.push(&mut sink, &mut st, &fc, body);
    m.finish(&mut sink, &mut st, &fc, FileEnd::Complete);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
});
