//! TCP reassembly for one direction of a connection: in-order fast path without copying,
//! bounded out-of-order buffering, retransmissions and overlaps (first data wins), gaps.
//!
//! Sequence numbers are turned into 64-bit stream offsets relative to the next expected byte
//! (signed 32-bit distance), so wrap-around and streams over 4 GiB need no special case.
//! Delivery goes through a callback ([`Delivery`]) so this module knows nothing of parsers.

use crate::counters;
use std::collections::BTreeMap;

counters! {
    /// `stats.tcp`
    pub struct TcpStats {
        segments,
        /// Segments delivered straight from the packet (no copy).
        in_order,
        ooo_buffered,
        /// Segments (or parts) whose bytes were all already delivered.
        retransmits,
        /// Bytes already delivered or buffered seen again.
        overlaps,
        /// Overlapping bytes that differ from what was kept (first data wins).
        overlap_conflicts,
        gaps,
        gap_bytes,
        /// `tcp.max_ooo_per_flow` reached: a hole was given up.
        ooo_limit_flow,
        /// `tcp.memcap` reached: a hole was given up.
        ooo_memcap,
        /// Segment too far from the expected sequence number: dropped.
        out_of_window,
        resets,
        /// RST outside the window: ignored.
        reset_invalid,
        /// RSTs seen before any payload: the flow is kept (it may go on), not ended.
        reset_before_data,
        /// Segments (RST, FIN, data) from the server after the client's SYN but before the
        /// server's SYN-ACK: ignored, as a stack in SYN-SENT drops them (evasions send a FIN or
        /// RST with an arbitrary sequence number there).
        before_synack,
        fins,
        /// Flows first seen without their SYN.
        midstream,
        /// Midstream flows whose client and server were told apart by the first segment's
        /// content (request line / status line), not by a port.
        midstream_by_content,
        /// Payload of flows with no parser (skipped).
        no_parser_bytes,
        /// Flows whose protocol could not be recognised.
        no_parser_flows,
        /// Payload after the connection ended (RST, both FINs): ignored.
        after_end_bytes,
        /// Packets without payload nor SYN for an unknown flow: ignored.
        no_flow,
        /// Segments with data received after this direction's FIN.
        data_after_fin,
        /// ACKs one past everything a direction sent, with no FIN seen: taken for the ACK of
        /// a FIN the capture missed, not for a lost byte.
        ack_of_unseen_fin,
    }
}

/// What a stream hands to its consumer, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    Data(&'a [u8]),
    /// `len` bytes were lost.
    Gap(u64),
    /// Every byte before the FIN was delivered.
    Fin,
}

/// Bounds on out-of-order buffering, and the worker-wide usage counter.
pub struct Limits<'a> {
    pub per_flow: u64,
    pub memcap: u64,
    pub used: &'a mut u64,
}

/// Largest distance ahead of the expected byte accepted for a segment (or behind it for an RST).
pub const MAX_WINDOW: i64 = 1 << 26;
/// An ACK declares bytes lost only up to this far past the highest byte seen in the stream
/// (challenge ACKs and stale ACKs carry arbitrary numbers).
pub const MAX_ACK_AHEAD: u64 = 1 << 20;

/// One direction of a TCP connection.
#[derive(Default)]
pub struct Stream {
    init: bool,
    /// Sequence number of the next expected byte.
    next_seq: u32,
    /// Stream offset of the next expected byte (bytes delivered or declared lost).
    next_off: u64,
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: u64,
    fin_off: Option<u64>,
    ended: bool,
    /// Sequence number of the SYN that started this direction, if seen.
    syn_seq: Option<u32>,
    /// Highest stream offset seen in a segment (delivered, buffered or not).
    high: u64,
    /// Highest offset the peer acknowledged (0: none).
    acked: u64,
}

impl Stream {
    pub fn is_init(&self) -> bool {
        self.init
    }
    /// The FIN was delivered.
    pub fn ended(&self) -> bool {
        self.ended
    }
    /// A FIN was seen (maybe with a hole before it).
    pub fn fin_seen(&self) -> bool {
        self.fin_off.is_some()
    }
    /// Bytes delivered or declared lost so far.
    pub fn offset(&self) -> u64 {
        self.next_off
    }
    /// Out-of-order bytes buffered.
    pub fn buffered(&self) -> u64 {
        self.ooo_bytes
    }
    pub fn has_hole(&self) -> bool {
        !self.ooo.is_empty() || self.fin_off.is_some_and(|f| f > self.next_off)
    }

    /// Signed offset of `seq` relative to the stream start.
    fn off_of(&self, seq: u32) -> i64 {
        let d = seq.wrapping_sub(self.next_seq) as i32 as i64;
        self.next_off as i64 + d
    }

    fn advance(&mut self, n: u64) {
        self.next_off += n;
        self.next_seq = self.next_seq.wrapping_add(n as u32);
    }

    /// Starts the stream at `seq` (the sequence number of its first data byte) if not started.
    pub fn init_at(&mut self, seq: u32) {
        if !self.init {
            self.init = true;
            self.next_seq = seq;
            self.next_off = 0;
        }
    }

    /// Handles one segment's payload. `syn`: the segment carries SYN (data starts at seq+1).
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        st: &mut TcpStats,
        lim: &mut Limits,
        out: &mut dyn FnMut(Delivery),
    ) {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        if syn && !self.init {
            self.syn_seq = Some(seq);
        }
        self.init_at(data_seq);
        if self.ended {
            if !payload.is_empty() {
                st.data_after_fin += 1;
            }
            return;
        }
        let start = self.off_of(data_seq);
        let end = start + payload.len() as i64;
        if start - self.next_off as i64 > MAX_WINDOW || end < -MAX_WINDOW {
            st.out_of_window += 1;
            return;
        }
        if fin && self.fin_off.is_none() && end >= 0 {
            st.fins += 1;
            self.fin_off = Some(end as u64);
        }
        if end > self.high as i64 {
            self.high = end as u64;
        }
        if let Some(f) = self.fin_off {
            if !payload.is_empty() && end > f as i64 {
                st.data_after_fin += 1;
            }
        }
        if !payload.is_empty() {
            let next = self.next_off as i64;
            if end <= next {
                st.retransmits += 1;
                st.overlaps += payload.len() as u64;
            } else {
                let skip = (next - start).max(0) as usize;
                if skip > 0 {
                    st.overlaps += skip as u64;
                }
                let data = payload.get(skip..).unwrap_or(&[]);
                let at = (start + skip as i64) as u64;
                if at == self.next_off && self.ooo.is_empty() {
                    st.in_order += 1;
                    self.advance(data.len() as u64);
                    out(Delivery::Data(data));
                } else {
                    self.insert(at, data, st, lim, out);
                    if self.acked > self.next_off {
                        // data after a hole the peer already acknowledged: it is lost
                        self.gap_upto(self.acked, st, lim, out);
                    }
                }
                self.drain(lim, out);
            }
        }
        self.check_fin(out);
    }

    fn check_fin(&mut self, out: &mut dyn FnMut(Delivery)) {
        if !self.ended && self.fin_off.is_some_and(|f| self.next_off >= f) {
            self.ended = true;
            out(Delivery::Fin);
        }
    }

    /// Buffers `data` at offset `at` (> next), trimmed against what is buffered (first wins).
    fn insert(
        &mut self,
        at: u64,
        data: &[u8],
        st: &mut TcpStats,
        lim: &mut Limits,
        out: &mut dyn FnMut(Delivery),
    ) {
        let end = at + data.len() as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut pos = at;
        let first_key = self
            .ooo
            .range(..=at)
            .next_back()
            .map(|(k, _)| *k)
            .unwrap_or(at);
        for (&k, v) in self.ooo.range(first_key..end) {
            let ke = k + v.len() as u64;
            if ke <= pos {
                continue;
            }
            if k > pos {
                pieces.push((pos, k));
            }
            let os = k.max(pos);
            let oe = ke.min(end);
            st.overlaps += oe - os;
            let new = data.get((os - at) as usize..(oe - at) as usize);
            let old = v.get((os - k) as usize..(oe - k) as usize);
            if new != old {
                st.overlap_conflicts += 1;
            }
            pos = oe;
            if pos >= end {
                break;
            }
        }
        if pos < end {
            pieces.push((pos, end));
        }
        if pieces.is_empty() {
            st.retransmits += 1;
            return;
        }
        st.ooo_buffered += 1;
        for (s, e) in pieces {
            let Some(mut b) = data.get((s - at) as usize..(e - at) as usize) else {
                continue;
            };
            // Make room: give up holes (oldest first) until the piece fits or is in order.
            loop {
                if s <= self.next_off {
                    let skip = (self.next_off - s) as usize;
                    b = b.get(skip..).unwrap_or(&[]);
                    if !b.is_empty() {
                        self.advance(b.len() as u64);
                        out(Delivery::Data(b));
                    }
                    self.drain(lim, out);
                    break;
                }
                let n = b.len() as u64;
                let flow_ok = self.ooo_bytes + n <= lim.per_flow;
                let mem_ok = lim.used.saturating_add(n) <= lim.memcap;
                if flow_ok && mem_ok {
                    self.ooo.insert(s, b.to_vec());
                    self.ooo_bytes += n;
                    *lim.used += n;
                    break;
                }
                if flow_ok {
                    st.ooo_memcap += 1;
                } else {
                    st.ooo_limit_flow += 1;
                }
                let target = self.ooo.keys().next().copied().unwrap_or(s).min(s);
                self.gap_to(target, st, out);
                self.drain(lim, out);
            }
        }
    }

    fn gap_to(&mut self, target: u64, st: &mut TcpStats, out: &mut dyn FnMut(Delivery)) {
        if target > self.next_off {
            let n = target - self.next_off;
            st.gaps += 1;
            st.gap_bytes += n;
            self.advance(n);
            out(Delivery::Gap(n));
        }
    }

    /// Delivers buffered segments that are now in order.
    fn drain(&mut self, lim: &mut Limits, out: &mut dyn FnMut(Delivery)) {
        while let Some(e) = self.ooo.first_entry() {
            let k = *e.key();
            if k > self.next_off {
                break;
            }
            let v = e.remove();
            self.ooo_bytes = self.ooo_bytes.saturating_sub(v.len() as u64);
            *lim.used = lim.used.saturating_sub(v.len() as u64);
            let skip = (self.next_off - k) as usize;
            if let Some(rest) = v.get(skip..) {
                if !rest.is_empty() {
                    self.advance(rest.len() as u64);
                    out(Delivery::Data(rest));
                }
            }
        }
    }

    /// The peer acknowledged `ack`: bytes before it were sent; holes before it are lost.
    pub fn peer_ack(
        &mut self,
        ack: u32,
        st: &mut TcpStats,
        lim: &mut Limits,
        out: &mut dyn FnMut(Delivery),
    ) {
        if !self.init || self.ended {
            return;
        }
        let a = self.off_of(ack);
        let d = a - self.next_off as i64;
        if d <= 0 || d > MAX_WINDOW || a as u64 > self.high.saturating_add(MAX_ACK_AHEAD) {
            return;
        }
        let mut a = a as u64;
        if self.fin_off.is_none() && a == self.high + 1 && self.next_off == self.high {
            // Everything seen was delivered and the ACK covers one more sequence number: the
            // FIN, lost to the capture (or mangled). It is not a lost data byte.
            st.ack_of_unseen_fin += 1;
            a = self.high;
            if a <= self.next_off {
                return;
            }
        }
        let prev = self.acked;
        self.acked = self.acked.max(a);
        // Captures reorder an ACK before the data it acknowledges, so one ACK past a hole is
        // not enough: the hole is given up when data after it was seen too, or when a second
        // ACK confirms the first.
        if self.ooo.keys().next().is_some_and(|&k| k < a) {
            self.gap_upto(a, st, lim, out);
        } else if prev > self.next_off {
            self.gap_upto(prev, st, lim, out);
        }
        self.check_fin(out);
    }

    /// Gives up holes up to `target` (capped at the FIN), delivering what follows them.
    fn gap_upto(
        &mut self,
        target: u64,
        st: &mut TcpStats,
        lim: &mut Limits,
        out: &mut dyn FnMut(Delivery),
    ) {
        let target = self.fin_off.map_or(target, |f| target.min(f));
        while self.next_off < target {
            let hole_end = self
                .ooo
                .keys()
                .next()
                .copied()
                .unwrap_or(target)
                .min(target);
            self.gap_to(hole_end, st, out);
            self.drain(lim, out);
        }
    }

    /// Gives up every hole (end of the connection): gaps, then what follows them, then the
    /// FIN if one was seen.
    pub fn flush(&mut self, st: &mut TcpStats, lim: &mut Limits, out: &mut dyn FnMut(Delivery)) {
        if self.ended {
            return;
        }
        while let Some(k) = self.ooo.keys().next().copied() {
            self.gap_to(k, st, out);
            self.drain(lim, out);
        }
        if let Some(f) = self.fin_off {
            self.gap_to(f, st, out);
        } else if self.acked > self.next_off {
            self.gap_to(self.acked, st, out);
        }
        self.check_fin(out);
    }

    /// Tracks a segment of a flow whose payload nobody wants: no buffering, every byte counts as
    /// delivered. Returns true once the FIN of this direction was reached.
    pub fn skip(&mut self, seq: u32, syn: bool, fin: bool, len: usize, st: &mut TcpStats) -> bool {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        self.init_at(data_seq);
        if self.ended {
            return true;
        }
        let end = self.off_of(data_seq) + len as i64;
        let d = end - self.next_off as i64;
        if d > 0 && d <= MAX_WINDOW {
            self.advance(d as u64);
        }
        if fin && self.fin_off.is_none() && end >= 0 {
            st.fins += 1;
            self.fin_off = Some(end as u64);
        }
        if self.fin_off.is_some_and(|f| self.next_off >= f) {
            self.ended = true;
        }
        self.ended
    }

    /// Frees the buffers (the flow goes away).
    pub fn clear(&mut self, lim: &mut Limits) {
        *lim.used = lim.used.saturating_sub(self.ooo_bytes);
        self.ooo_bytes = 0;
        self.ooo.clear();
    }

    /// This direction was started by a SYN.
    pub fn syn_seen(&self) -> bool {
        self.syn_seq.is_some()
    }

    /// Whether a SYN with this sequence number starts a new connection on this 5-tuple (it is
    /// not a retransmission of the SYN that started this one).
    pub fn is_new_syn(&self, seq: u32) -> bool {
        self.init && self.syn_seq != Some(seq)
    }

    /// Whether an RST with this sequence number is plausible for this direction.
    pub fn rst_in_window(&self, seq: u32) -> bool {
        if !self.init {
            return true;
        }
        let d = self.off_of(seq) - self.next_off as i64;
        d.abs() <= MAX_WINDOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut Stream, segs: &[(u32, &[u8])], used: &mut u64, st: &mut TcpStats) -> Vec<u8> {
        let mut got = Vec::new();
        let mut lim = Limits {
            per_flow: 1 << 20,
            memcap: 1 << 20,
            used,
        };
        for (seq, d) in segs {
            s.segment(*seq, false, false, d, st, &mut lim, &mut |ev| match ev {
                Delivery::Data(b) => got.extend_from_slice(b),
                Delivery::Gap(n) => got.extend(std::iter::repeat_n(b'?', n as usize)),
                Delivery::Fin => got.push(b'$'),
            });
        }
        got
    }

    #[test]
    fn wraparound_reorder_and_window() {
        let mut s = Stream::default();
        let mut used = 0;
        let mut st = TcpStats::default();
        let base = u32::MAX - 3;
        let got = run(
            &mut s,
            &[
                (base, b"ab"),
                (base.wrapping_add(4), b"ef"),
                (base.wrapping_add(2), b"cd"),
            ],
            &mut used,
            &mut st,
        );
        assert_eq!(got, b"abcdef");
        assert_eq!(s.offset(), 6);
        assert_eq!(used, 0);
        // far beyond the window: dropped, nothing buffered
        let got = run(
            &mut s,
            &[(base.wrapping_add(6 + (1 << 27)), b"zz")],
            &mut used,
            &mut st,
        );
        assert!(got.is_empty());
        assert_eq!(st.out_of_window, 1);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn buffered_bytes_are_accounted_and_freed() {
        let mut s = Stream::default();
        let mut used = 0;
        let mut st = TcpStats::default();
        run(
            &mut s,
            &[(100, b"a"), (105, b"xyz"), (110, b"q")],
            &mut used,
            &mut st,
        );
        assert_eq!(s.buffered(), 4);
        assert_eq!(used, 4);
        assert!(s.has_hole());
        let mut lim = Limits {
            per_flow: 1 << 20,
            memcap: 1 << 20,
            used: &mut used,
        };
        let mut gaps = Vec::new();
        s.flush(&mut st, &mut lim, &mut |ev| {
            if let Delivery::Gap(n) = ev {
                gaps.push(n)
            }
        });
        assert_eq!(gaps, vec![4, 2]);
        assert_eq!(*lim.used, 0);
        assert_eq!(s.offset(), 11);
    }

    #[test]
    fn ack_of_a_missed_fin_is_not_a_lost_byte() {
        let mut s = Stream::default();
        let mut used = 0;
        let mut st = TcpStats::default();
        assert_eq!(run(&mut s, &[(100, b"abc")], &mut used, &mut st), b"abc");
        let mut lim = Limits {
            per_flow: 1 << 20,
            memcap: 1 << 20,
            used: &mut used,
        };
        let mut evs = Vec::new();
        for _ in 0..2 {
            s.peer_ack(104, &mut st, &mut lim, &mut |ev| {
                evs.push(format!("{ev:?}"))
            });
        }
        s.flush(&mut st, &mut lim, &mut |ev| evs.push(format!("{ev:?}")));
        assert!(evs.is_empty(), "{evs:?}");
        assert_eq!(st.ack_of_unseen_fin, 2);
        assert_eq!(st.gaps, 0);
        // three sequence numbers past: bytes were lost, a gap as before
        s.peer_ack(106, &mut st, &mut lim, &mut |ev| {
            evs.push(format!("{ev:?}"))
        });
        s.peer_ack(106, &mut st, &mut lim, &mut |ev| {
            evs.push(format!("{ev:?}"))
        });
        assert_eq!(evs, vec!["Gap(3)".to_string()]);
        // with a hole pending the rule does not apply: the hole is lost as before
        let mut s = Stream::default();
        let got = run(&mut s, &[(100, b"a"), (102, b"c")], lim.used, &mut st);
        assert_eq!(got, b"a");
        let mut got = Vec::new();
        s.peer_ack(103, &mut st, &mut lim, &mut |ev| {
            got.push(format!("{ev:?}"))
        });
        assert_eq!(got, vec!["Gap(1)".to_string(), "Data([99])".to_string()]);
    }
}
