#![no_main]
//! Arbitrary frames through an engine with the default parsers. Input: one byte picking the
//! link type, then frames as (u16 little-endian length, bytes, one byte of time step).
use fmon::engine::{rss, Engine, EngineConfig};
use libfuzzer_sys::fuzz_target;

#[path = "link.rs"]
mod link;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let lt = link::pick(sel);
    let mut cfg = EngineConfig::default();
    cfg.tcp.max_flows = 64;
    cfg.tcp.max_ooo_per_flow = 4096;
    cfg.tcp.memcap = 16384;
    cfg.tcp.defrag_memcap = 16384;
    let mut e = Engine::new(cfg);
    let mut ts: u64 = 1_000_000_000;
    let mut events = Vec::new();
    while rest.len() >= 2 {
        let n = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        let n = n.min(rest.len());
        let (frame, tail) = rest.split_at(n);
        let _ = rss::flow_hash(lt, frame);
        e.process(lt, frame, ts);
        rest = tail;
        if let Some((&step, tail)) = rest.split_first() {
            ts += u64::from(step) * 100_000_000;
            rest = tail;
        }
        e.take_events(&mut events);
    }
    e.flush();
    e.take_events(&mut events);
    let _ = e.stats();
});
