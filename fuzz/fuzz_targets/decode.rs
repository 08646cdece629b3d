#![no_main]
//! Arbitrary bytes through the frame decoder, tunnels included (GRE, ERSPAN, VXLAN, Geneve,
//! Teredo, IP in IP, PPPoE). Input: one byte picking the link type (or, with the high bit set,
//! an IP protocol for `decode_l4`), then the frame. A decoded payload must lie inside the input.
use fmon::engine::decode::{decode, decode_l4, DecodeStats, L4, UNSPEC};
use libfuzzer_sys::fuzz_target;

#[path = "link.rs"]
mod link;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let mut st = DecodeStats::default();
    let p = if sel & 0x80 != 0 {
        let proto = [6u8, 47, 17, 4, 41][usize::from(sel & 0x7f) % 5];
        decode_l4(proto, frame, UNSPEC, UNSPEC, &mut st)
    } else {
        let lt = link::pick(sel);
        decode(lt, frame, &mut st)
    };
    if let Some(p) = p {
        let inner = match p.l4 {
            L4::Tcp(t) => t.payload,
            L4::Fragment(f) => f.data,
        };
        let (lo, hi) = (
            frame.as_ptr() as usize,
            frame.as_ptr() as usize + frame.len(),
        );
        let s = inner.as_ptr() as usize;
        assert!(inner.is_empty() || (s >= lo && s + inner.len() <= hi));
    }
});
