//! The per-worker flow table (hashbrown), keyed by the symmetric 5-tuple, with stable flow ids,
//! idle timeouts by packet time and eviction past `tcp.max_flows`.
//!
//! Flows live in a slab; an intrusive doubly linked list orders them by last packet time
//! (least recently seen at the head), so timeouts and eviction look at the head only: O(1)
//! per packet, no scan.

use super::reassembly::Stream;
use crate::counters;
use crate::proto::AppParser;
use crate::time::Nanos;
use hashbrown::HashMap;
use std::net::{IpAddr, SocketAddr};

counters! {
    /// `stats.flows`
    pub struct FlowStats {
        created,
        ended_fin,
        ended_rst,
        timed_out,
        evicted,
        /// Flows ended by `flush()` (end of capture, shutdown).
        flushed,
        /// A SYN on the 5-tuple of a finished connection started a new flow.
        reused,
        /// Entries of ended connections removed after `CLOSED_LINGER` (not counted as timed out).
        closed_removed,
        /// Packet time jumped forward by more than a minute and the next packet confirmed it.
        clock_jumps,
        /// A packet's time was over a minute ahead of the others: not believed (yet).
        clock_jumps_held,
        /// Flows currently tracked (gauge).
        active,
    }
}

/// Canonical (unordered) 5-tuple: the lower endpoint first. TCP only, so no protocol field.
/// Plain integers, so hashing and comparing are a few instructions on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    lo: u128,
    hi: u128,
    /// `lo_port << 16 | hi_port`
    ports: u32,
    v6: bool,
}

#[inline]
fn ip_bits(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), false),
        IpAddr::V6(a) => (u128::from(a), true),
    }
}

impl FlowKey {
    #[inline]
    pub fn new(a: SocketAddr, b: SocketAddr) -> Self {
        let (ai, v6) = ip_bits(a.ip());
        let (bi, _) = ip_bits(b.ip());
        let (ap, bp) = (a.port(), b.port());
        if (ai, ap) <= (bi, bp) {
            FlowKey {
                lo: ai,
                hi: bi,
                ports: (u32::from(ap) << 16) | u32::from(bp),
                v6,
            }
        } else {
            FlowKey {
                lo: bi,
                hi: ai,
                ports: (u32::from(bp) << 16) | u32::from(ap),
                v6,
            }
        }
    }
}

#[inline]
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Stable flow id: a fixed hash of the canonical 5-tuple and the packet time of the flow's first
/// packet, below 2^53 (exact in JSON) and never 0. Same on any worker, any run.
pub fn flow_id(key: &FlowKey, first_ts: Nanos) -> u64 {
    let mut h = mix(0x51_7cc1_b727_220a ^ u64::from(key.v6));
    for w in [
        (key.lo >> 64) as u64,
        key.lo as u64,
        (key.hi >> 64) as u64,
        key.hi as u64,
    ] {
        h = mix(h ^ w);
    }
    h = mix(h ^ u64::from(key.ports));
    h = mix(h ^ first_ts);
    let id = h & ((1u64 << 53) - 1);
    if id == 0 {
        1
    } else {
        id
    }
}

/// Bytes kept per direction while waiting to recognise the protocol.
pub const DETECT_LEN: usize = 16;

/// Protocol detection state of a flow whose server port names no protocol.
#[derive(Default)]
pub struct Detect {
    pub buf: [[u8; DETECT_LEN]; 2],
    pub len: [usize; 2],
    /// This direction can tell no more (enough bytes seen, or a gap).
    pub done: [bool; 2],
    /// The direction ended (FIN) while detecting.
    pub fin: [bool; 2],
    /// Payload bytes seen in both directions while detecting.
    pub seen: u64,
}

/// Which parser a flow has.
pub enum AppState {
    /// Still looking at the first bytes.
    Detecting(Box<Detect>),
    Parser(Box<dyn AppParser>),
    /// No parser: payload is skipped.
    Skip,
}

/// One TCP connection.
pub struct Flow {
    pub key: FlowKey,
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// `[to_server, to_client]`.
    pub streams: [Stream; 2],
    pub app: AppState,
    /// The connection ended (RST, both FINs): the entry only remembers it, so late packets are
    /// ignored and a SYN starts a new flow.
    pub closed: bool,
    /// A segment with payload was seen (either direction). A RST before that is not trusted
    /// to end the flow: nothing is lost by waiting, and evasions send one and go on.
    pub data_seen: bool,
    /// The client sent a segment with ACK after its SYN (it got, or acts as if it got, the
    /// SYN-ACK): from then on the server's direction may start without its SYN-ACK.
    pub client_acked: bool,
    pub last_seen: Nanos,
    prev: u32,
    next: u32,
}

impl Flow {
    pub fn new(
        key: FlowKey,
        id: u64,
        client: SocketAddr,
        server: SocketAddr,
        app: AppState,
        now: Nanos,
    ) -> Self {
        Flow {
            key,
            id,
            client,
            server,
            streams: [Stream::default(), Stream::default()],
            app,
            closed: false,
            data_seen: false,
            client_acked: false,
            last_seen: now,
            prev: NIL,
            next: NIL,
        }
    }
}

const NIL: u32 = u32::MAX;

/// Flows of one worker.
pub struct FlowTable {
    map: HashMap<FlowKey, u32>,
    slots: Vec<Option<Flow>>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    pub stats: FlowStats,
}

impl Default for FlowTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FlowTable {
    pub fn new() -> Self {
        FlowTable {
            map: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            stats: FlowStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn lookup(&self, key: &FlowKey) -> Option<u32> {
        self.map.get(key).copied()
    }

    pub fn get_mut(&mut self, idx: u32) -> Option<&mut Flow> {
        self.slots.get_mut(idx as usize).and_then(|s| s.as_mut())
    }

    pub fn get(&self, idx: u32) -> Option<&Flow> {
        self.slots.get(idx as usize).and_then(|s| s.as_ref())
    }

    fn unlink(&mut self, idx: u32) {
        let (p, n) = match self.get(idx) {
            Some(f) => (f.prev, f.next),
            None => return,
        };
        match self.get_mut(p) {
            Some(pf) => pf.next = n,
            None => self.head = n,
        }
        match self.get_mut(n) {
            Some(nf) => nf.prev = p,
            None => self.tail = p,
        }
        if let Some(f) = self.get_mut(idx) {
            f.prev = NIL;
            f.next = NIL;
        }
    }

    fn link_tail(&mut self, idx: u32) {
        let t = self.tail;
        if let Some(f) = self.get_mut(idx) {
            f.prev = t;
            f.next = NIL;
        }
        match self.get_mut(t) {
            Some(tf) => tf.next = idx,
            None => self.head = idx,
        }
        self.tail = idx;
    }

    /// Marks the flow as just seen (moves it to the LRU tail).
    pub fn touch(&mut self, idx: u32, now: Nanos) {
        if self.tail != idx {
            self.unlink(idx);
            self.link_tail(idx);
        }
        if let Some(f) = self.get_mut(idx) {
            f.last_seen = f.last_seen.max(now);
        }
    }

    /// Adds a flow (its key must not be present).
    pub fn insert(&mut self, flow: Flow) -> u32 {
        let key = flow.key;
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i as usize) {
                    *s = Some(flow);
                }
                i
            }
            None => {
                self.slots.push(Some(flow));
                (self.slots.len() - 1) as u32
            }
        };
        self.map.insert(key, idx);
        self.link_tail(idx);
        idx
    }

    /// Removes a flow and returns it.
    pub fn remove(&mut self, idx: u32) -> Option<Flow> {
        self.get(idx)?;
        self.unlink(idx);
        let f = self.slots.get_mut(idx as usize)?.take()?;
        self.map.remove(&f.key);
        self.free.push(idx);
        Some(f)
    }

    /// The least recently seen flow.
    pub fn oldest(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    /// Every flow index, in flow id order (deterministic).
    pub fn indices_by_id(&self) -> Vec<u32> {
        let mut v: Vec<(u64, FlowKey, u32)> = self
            .map
            .values()
            .filter_map(|&i| self.get(i).map(|f| (f.id, f.key, i)))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, _, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn key_is_symmetric_and_id_stable() {
        let a = sa("10.0.0.1:1234");
        let b = sa("10.0.0.2:80");
        assert_eq!(FlowKey::new(a, b), FlowKey::new(b, a));
        let k = FlowKey::new(a, b);
        assert_eq!(flow_id(&k, 5), flow_id(&k, 5));
        assert_ne!(flow_id(&k, 5), flow_id(&k, 6));
        assert!(flow_id(&k, 5) < 1 << 53);
        let k6 = FlowKey::new(sa("[::1]:1"), sa("[::2]:2"));
        assert!(flow_id(&k6, 0) < 1 << 53);
        assert_ne!(
            FlowKey::new(sa("10.0.0.1:5"), sa("10.0.0.1:6")),
            FlowKey::new(sa("10.0.0.1:6"), sa("10.0.0.1:7"))
        );
        assert_ne!(
            FlowKey::new(sa("0.0.0.1:1"), sa("0.0.0.2:2")),
            FlowKey::new(sa("[::1]:1"), sa("[::2]:2"))
        );
    }

    #[test]
    fn lru_order() {
        let mut t = FlowTable::new();
        let mk = |p: u16| {
            let (a, b) = (
                sa("1.1.1.1:1"),
                SocketAddr::new("2.2.2.2".parse().unwrap(), p),
            );
            Flow::new(FlowKey::new(a, b), p as u64, a, b, AppState::Skip, 0)
        };
        let a = t.insert(mk(1));
        let b = t.insert(mk(2));
        let c = t.insert(mk(3));
        assert_eq!(t.oldest(), Some(a));
        t.touch(a, 1);
        assert_eq!(t.oldest(), Some(b));
        t.remove(b);
        assert_eq!(t.oldest(), Some(c));
        t.remove(c);
        assert_eq!(t.oldest(), Some(a));
        t.remove(a);
        assert_eq!(t.oldest(), None);
        assert!(t.is_empty());
        let d = t.insert(mk(4));
        assert_eq!(t.oldest(), Some(d));
        assert_eq!(t.indices_by_id(), vec![d]);
    }
}
