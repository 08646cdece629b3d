#![no_main]
//! Fuzzes type detection: the Sniffer sees the input in pieces whose size comes from the first
//! byte, then detect runs on the head.
use fmon::files::magic::{detect, Sniffer, HEAD_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else { return };
    let mut s = Sniffer::default();
    let mut off = 0u64;
    for piece in body.chunks(usize::from(step) + 1) {
        s.feed(off, piece);
        off += piece.len() as u64;
    }
    let _ = detect(&body[..body.len().min(HEAD_LEN)], &s);
});
