//! Bounded IPv4 / IPv6 defragmentation, keyed by (src, dst, id, protocol). Overlapping
//! fragments: the first bytes received win. Memory is capped per worker (`tcp.defrag_memcap`),
//! incomplete datagrams expire by packet time, and datagrams over 65535 bytes are dropped.

use super::decode::Frag;
use crate::counters;
use crate::time::{Nanos, NANOS_PER_SEC};
use hashbrown::HashMap;
use std::collections::BTreeMap;
use std::net::IpAddr;

counters! {
    /// `stats.defrag`
    pub struct DefragStats {
        fragments,
        reassembled,
        overlaps,
        overlap_conflicts,
        /// Datagram would exceed 65535 bytes: dropped.
        too_large,
        /// Fragment dropped because `tcp.defrag_memcap` was reached.
        memcap_drops,
        /// Incomplete datagrams dropped after the timeout.
        timeouts,
        /// Inconsistent fragments (conflicting last fragment, data past the end).
        bad_fragments,
        /// Datagram with too many fragments: dropped.
        too_many,
    }
}

/// Largest reassembled payload.
pub const MAX_DATAGRAM: u32 = 65535;
/// Incomplete datagrams are dropped after this much packet time.
pub const TIMEOUT: Nanos = 30 * NANOS_PER_SEC;
/// Most fragments kept for one datagram.
pub const MAX_PIECES: usize = 256;
/// Bytes charged to the memcap per datagram and per piece besides the data.
const OVERHEAD: u64 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

struct Datagram {
    pieces: BTreeMap<u32, Vec<u8>>,
    total: Option<u32>,
    first_ts: Nanos,
    /// Memory charged (data + overheads).
    charged: u64,
    data: u64,
}

/// One worker's fragment reassembler.
pub struct Defrag {
    map: HashMap<FragKey, Datagram>,
    used: u64,
    memcap: u64,
    next_expire: Nanos,
    pub stats: DefragStats,
}

impl Defrag {
    pub fn new(memcap: u64) -> Self {
        Defrag {
            map: HashMap::new(),
            used: 0,
            memcap,
            next_expire: 0,
            stats: DefragStats::default(),
        }
    }

    /// Bytes currently buffered (with overheads).
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Datagrams waiting for fragments.
    pub fn pending(&self) -> usize {
        self.map.len()
    }

    fn drop_key(&mut self, k: &FragKey) {
        if let Some(d) = self.map.remove(k) {
            self.used = self.used.saturating_sub(d.charged);
        }
    }

    /// Drops incomplete datagrams older than [`TIMEOUT`] (checked at most once a second).
    pub fn expire(&mut self, now: Nanos) {
        if now < self.next_expire {
            return;
        }
        self.next_expire = now.saturating_add(NANOS_PER_SEC);
        let mut freed = 0u64;
        let mut n = 0u64;
        self.map.retain(|_, d| {
            let keep = d.first_ts.saturating_add(TIMEOUT) > now;
            if !keep {
                freed += d.charged;
                n += 1;
            }
            keep
        });
        self.used = self.used.saturating_sub(freed);
        self.stats.timeouts += n;
    }

    /// Adds a fragment; returns the reassembled payload (protocol `f.proto`) when complete.
    pub fn push(&mut self, src: IpAddr, dst: IpAddr, f: &Frag, ts: Nanos) -> Option<Vec<u8>> {
        self.stats.fragments += 1;
        self.expire(ts);
        let key = FragKey {
            src,
            dst,
            id: f.id,
            proto: f.proto,
        };
        let len = u32::try_from(f.data.len()).unwrap_or(u32::MAX);
        let end = f.offset.saturating_add(len);
        if end > MAX_DATAGRAM {
            self.stats.too_large += 1;
            self.drop_key(&key);
            return None;
        }
        if !self.map.contains_key(&key) {
            if self.used.saturating_add(OVERHEAD) > self.memcap {
                self.stats.memcap_drops += 1;
                return None;
            }
            self.used += OVERHEAD;
            let d = Datagram {
                pieces: BTreeMap::new(),
                total: None,
                first_ts: ts,
                charged: OVERHEAD,
                data: 0,
            };
            self.map.insert(key, d);
        }
        let d = self.map.get_mut(&key)?;
        // The last fragment fixes the size.
        let mut bad = false;
        if !f.more {
            match d.total {
                Some(t) if t != end => bad = true,
                _ => {
                    let past = d
                        .pieces
                        .iter()
                        .next_back()
                        .is_some_and(|(k, v)| u64::from(*k) + v.len() as u64 > u64::from(end));
                    if past {
                        bad = true;
                    } else {
                        d.total = Some(end);
                    }
                }
            }
        } else if d.total.is_some_and(|t| end > t) {
            bad = true;
        }
        if bad {
            self.stats.bad_fragments += 1;
            return None;
        }
        // Trim against what is there: first bytes win.
        let mut pieces: Vec<(u32, u32)> = Vec::new();
        let mut pos = f.offset;
        let first_key = d
            .pieces
            .range(..=f.offset)
            .next_back()
            .map(|(k, _)| *k)
            .unwrap_or(f.offset);
        for (&k, v) in d.pieces.range(first_key..end) {
            let ke = k.saturating_add(v.len() as u32);
            if ke <= pos {
                continue;
            }
            if k > pos {
                pieces.push((pos, k));
            }
            let os = k.max(pos);
            let oe = ke.min(end);
            self.stats.overlaps += 1;
            let new = f
                .data
                .get((os - f.offset) as usize..(oe - f.offset) as usize);
            let old = v.get((os - k) as usize..(oe - k) as usize);
            if new != old {
                self.stats.overlap_conflicts += 1;
            }
            pos = oe;
            if pos >= end {
                break;
            }
        }
        if pos < end {
            pieces.push((pos, end));
        }
        if d.pieces.len() + pieces.len() > MAX_PIECES {
            self.stats.too_many += 1;
            self.drop_key(&key);
            return None;
        }
        let add: u64 = pieces
            .iter()
            .map(|(s, e)| u64::from(e - s) + OVERHEAD)
            .sum();
        if self.used.saturating_add(add) > self.memcap {
            self.stats.memcap_drops += 1;
            return None;
        }
        for (s, e) in pieces {
            if let Some(b) = f.data.get((s - f.offset) as usize..(e - f.offset) as usize) {
                d.pieces.insert(s, b.to_vec());
                d.data += b.len() as u64;
            }
        }
        d.charged += add;
        self.used += add;
        let total = d.total?;
        if d.data != u64::from(total) {
            return None;
        }
        let d = self.map.remove(&key)?;
        self.used = self.used.saturating_sub(d.charged);
        let mut out = Vec::with_capacity(total as usize);
        for (_, v) in d.pieces {
            out.extend_from_slice(&v);
        }
        self.stats.reassembled += 1;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(off: u32, more: bool, data: &[u8]) -> Frag<'_> {
        Frag {
            id: 7,
            proto: 6,
            offset: off,
            more,
            data,
        }
    }
    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn out_of_order_and_overlap_first_wins() {
        let mut d = Defrag::new(1 << 20);
        let data: Vec<u8> = (0..48u8).collect();
        assert!(d.push(A, B, &fr(32, false, &data[32..]), 0).is_none());
        // overlapping, conflicting bytes at 8..24: old (none yet) so inserted
        assert!(d.push(A, B, &fr(8, true, &data[8..24]), 0).is_none());
        let bogus = [0xffu8; 16];
        assert!(d.push(A, B, &fr(16, true, &bogus), 0).is_none());
        let out = d.push(A, B, &fr(0, true, &data[..8]), 0).expect("complete");
        // 16..24 came first from the real data; 24..32 from the bogus one (nothing before).
        assert_eq!(&out[..24], &data[..24]);
        assert_eq!(&out[24..32], &bogus[8..]);
        assert_eq!(&out[32..], &data[32..]);
        assert_eq!(d.stats.overlaps, 1);
        assert_eq!(d.stats.overlap_conflicts, 1);
        assert_eq!(d.used(), 0);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn too_large_memcap_timeout() {
        let mut d = Defrag::new(200);
        assert!(d.push(A, B, &fr(65528, true, &[0u8; 16]), 0).is_none());
        assert_eq!(d.stats.too_large, 1);
        assert!(d.push(A, B, &fr(0, true, &[0u8; 64]), 0).is_none());
        assert_eq!(d.pending(), 1);
        assert!(d.push(A, B, &fr(64, true, &[0u8; 64]), 0).is_none());
        assert_eq!(d.stats.memcap_drops, 1);
        d.expire(TIMEOUT + 1);
        assert_eq!(d.stats.timeouts, 1);
        assert_eq!(d.used(), 0);
    }

    #[test]
    fn inconsistent_last() {
        let mut d = Defrag::new(1 << 20);
        assert!(d.push(A, B, &fr(0, false, &[1u8; 16]), 0).is_some());
        assert!(d.push(A, B, &fr(16, true, &[1u8; 16]), 0).is_none());
        assert!(d.push(A, B, &fr(8, false, &[1u8; 4]), 0).is_none());
        assert_eq!(d.stats.bad_fragments, 1);
    }
}
