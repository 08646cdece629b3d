//! Symmetric flow hash for dispatch: RX lcores hash each frame's IP pair (both directions and
//! every fragment of a datagram give the same value) to choose the worker that owns the flow.
//! Ports are ignored on purpose: non-first IP fragments carry none.

use super::decode::{ip_layer, DecodeStats};
use super::LinkType;

#[inline]
fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[inline]
fn fold(b: &[u8]) -> u64 {
    let mut h = 0u64;
    for c in b.chunks(8) {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        h = mix(h ^ u64::from_le_bytes(w));
    }
    h
}

/// Hash of the frame's (unordered) IP address pair; 0 for frames that carry no IP.
pub fn flow_hash(lt: LinkType, frame: &[u8]) -> u32 {
    let mut st = DecodeStats::default();
    let Some(ip) = ip_layer(lt, frame, &mut st) else {
        return 0;
    };
    let (a, b) = match ip.first().map(|v| v >> 4) {
        Some(4) => match (ip.get(12..16), ip.get(16..20)) {
            (Some(a), Some(b)) => (a, b),
            _ => return 0,
        },
        Some(6) => match (ip.get(8..24), ip.get(24..40)) {
            (Some(a), Some(b)) => (a, b),
            _ => return 0,
        },
        _ => return 0,
    };
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let h = mix(fold(lo).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fold(hi));
    let v = (h ^ (h >> 32)) as u32;
    if v == 0 {
        1
    } else {
        v
    }
}
