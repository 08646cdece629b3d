//! Engine tests: frames built with etherparse's PacketBuilder go through a full engine whose
//! parsers record what they are given (bytes, gaps, ends per direction).

use super::*;
use crate::engine::decode::{ACK, FIN, RST, SYN};
use etherparse::PacketBuilder;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Data(Dir, Vec<u8>),
    Gap(Dir, u64),
    End(Dir, StreamEnd),
    Finish(StreamEnd),
}

type Log = Arc<Mutex<Vec<(u64, AppProto, Ev)>>>;

struct Recorder {
    log: Log,
    proto: AppProto,
}

impl AppParser for Recorder {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        self.log
            .lock()
            .unwrap()
            .push((cx.flow_id, self.proto, Ev::Data(dir, data.to_vec())));
    }
    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64) {
        self.log
            .lock()
            .unwrap()
            .push((cx.flow_id, self.proto, Ev::Gap(dir, len)));
    }
    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        self.log
            .lock()
            .unwrap()
            .push((cx.flow_id, self.proto, Ev::End(dir, how)));
    }
    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        self.log
            .lock()
            .unwrap()
            .push((cx.flow_id, self.proto, Ev::Finish(how)));
    }
}

fn engine_with(cfg: EngineConfig) -> (Engine, Log) {
    let log: Log = Arc::default();
    let l2 = log.clone();
    let e = Engine::with_parsers(
        cfg,
        Box::new(move |p, _| {
            Box::new(Recorder {
                log: l2.clone(),
                proto: p,
            })
        }),
    );
    (e, log)
}

fn engine() -> (Engine, Log) {
    engine_with(EngineConfig::default())
}

/// Bytes of direction `dir`, gaps shown as `len` '?' bytes.
fn bytes(log: &Log, dir: Dir) -> Vec<u8> {
    let mut v = Vec::new();
    for (_, _, e) in log.lock().unwrap().iter() {
        match e {
            Ev::Data(d, b) if *d == dir => v.extend_from_slice(b),
            Ev::Gap(d, n) if *d == dir => v.extend(std::iter::repeat_n(b'?', *n as usize)),
            _ => {}
        }
    }
    v
}

fn gaps(log: &Log, dir: Dir) -> Vec<u64> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|(_, _, e)| match e {
            Ev::Gap(d, n) if *d == dir => Some(*n),
            _ => None,
        })
        .collect()
}

fn ends(log: &Log) -> Vec<Ev> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(_, _, e)| matches!(e, Ev::End(..) | Ev::Finish(_)))
        .map(|x| x.2.clone())
        .collect()
}

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];
const SEC: Nanos = NANOS_PER_SEC;

fn tcp_builder(
    b: etherparse::PacketBuilderStep<etherparse::IpHeaders>,
    sp: u16,
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = b.tcp(sp, dp, seq, 65535);
    if flags & SYN != 0 {
        t = t.syn();
    }
    if flags & FIN != 0 {
        t = t.fin();
    }
    if flags & RST != 0 {
        t = t.rst();
    }
    if flags & ACK != 0 {
        t = t.ack(ack);
    }
    let mut v = Vec::with_capacity(t.size(payload.len()));
    t.write(&mut v, payload).unwrap();
    v
}

/// Ethernet + IPv4 + TCP frame.
#[allow(clippy::too_many_arguments)]
fn f4(
    src: [u8; 4],
    sp: u16,
    dst: [u8; 4],
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4(src, dst, 64);
    tcp_builder(b, sp, dp, seq, ack, flags, payload)
}

/// Raw IPv4 + TCP packet (no link header).
fn raw4(
    src: [u8; 4],
    sp: u16,
    dst: [u8; 4],
    dp: u16,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ipv4(src, dst, 64);
    tcp_builder(b, sp, dp, seq, 0, flags, payload)
}

/// A TCP connection between C:cport and S:sport whose packets we generate.
struct Conn {
    cport: u16,
    sport: u16,
    cseq: u32,
    sseq: u32,
}

impl Conn {
    fn new(cport: u16, sport: u16, cisn: u32, sisn: u32) -> Self {
        Conn {
            cport,
            sport,
            cseq: cisn,
            sseq: sisn,
        }
    }
    fn handshake(&mut self, e: &mut Engine, ts: Nanos) {
        e.process(
            LinkType::Ethernet,
            &f4(C, self.cport, S, self.sport, self.cseq, 0, SYN, b""),
            ts,
        );
        e.process(
            LinkType::Ethernet,
            &f4(
                S,
                self.sport,
                C,
                self.cport,
                self.sseq,
                self.cseq.wrapping_add(1),
                SYN | ACK,
                b"",
            ),
            ts,
        );
        self.cseq = self.cseq.wrapping_add(1);
        self.sseq = self.sseq.wrapping_add(1);
        e.process(
            LinkType::Ethernet,
            &f4(C, self.cport, S, self.sport, self.cseq, self.sseq, ACK, b""),
            ts,
        );
    }
    /// Client data segment at relative offset `off` from the current client seq (no advance).
    fn c_at(&self, off: u32, data: &[u8], flags: u8) -> Vec<u8> {
        f4(
            C,
            self.cport,
            S,
            self.sport,
            self.cseq.wrapping_add(off),
            self.sseq,
            ACK | flags,
            data,
        )
    }
    fn s_at(&self, off: u32, data: &[u8], flags: u8) -> Vec<u8> {
        f4(
            S,
            self.sport,
            C,
            self.cport,
            self.sseq.wrapping_add(off),
            self.cseq,
            ACK | flags,
            data,
        )
    }
    fn c_send(&mut self, e: &mut Engine, data: &[u8], flags: u8, ts: Nanos) {
        e.process(LinkType::Ethernet, &self.c_at(0, data, flags), ts);
        self.cseq = self
            .cseq
            .wrapping_add(data.len() as u32 + u32::from(flags & FIN != 0));
    }
    fn s_send(&mut self, e: &mut Engine, data: &[u8], flags: u8, ts: Nanos) {
        e.process(LinkType::Ethernet, &self.s_at(0, data, flags), ts);
        self.sseq = self
            .sseq
            .wrapping_add(data.len() as u32 + u32::from(flags & FIN != 0));
    }
    /// Server pure ACK of client byte `off` (relative to the current client seq).
    fn s_ack(&self, e: &mut Engine, off: u32, ts: Nanos) {
        let p = f4(
            S,
            self.sport,
            C,
            self.cport,
            self.sseq,
            self.cseq.wrapping_add(off),
            ACK,
            b"",
        );
        e.process(LinkType::Ethernet, &p, ts);
    }
}

const REQ: &[u8] = b"GET /a.exe HTTP/1.1\r\nHost: x\r\n\r\n";
const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn in_order_fin_both_sides() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, &REQ[..10], 0, SEC);
    c.c_send(&mut e, &REQ[10..], 0, SEC);
    c.s_send(&mut e, RESP, 0, SEC);
    c.c_send(&mut e, b"", FIN, SEC);
    c.s_send(&mut e, b"", FIN, SEC);
    assert_eq!(bytes(&log, Dir::ToServer), REQ);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert_eq!(
        ends(&log),
        vec![
            Ev::End(Dir::ToServer, StreamEnd::Fin),
            Ev::End(Dir::ToClient, StreamEnd::Fin),
            Ev::Finish(StreamEnd::Fin)
        ]
    );
    let st = e.stats();
    assert_eq!(st.flows.created, 1);
    assert_eq!(st.flows.ended_fin, 1);
    assert_eq!(st.tcp.in_order, 3);
    assert_eq!(st.tcp.midstream, 0);
    assert!(log.lock().unwrap().iter().all(|x| x.1 == AppProto::Http));
    // the last ACK after both FINs creates nothing; flush finishes nothing more
    c.s_ack(&mut e, 1, SEC);
    e.flush();
    assert_eq!(ends(&log).len(), 3);
    assert_eq!(e.stats().flows.created, 1);
    assert_eq!(e.flow_count(), 0);
}

#[test]
fn reordered_and_duplicated() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    let p0 = c.c_at(0, &REQ[..10], 0);
    let p1 = c.c_at(10, &REQ[10..20], 0);
    let p2 = c.c_at(20, &REQ[20..], 0);
    for p in [&p2, &p1, &p1, &p0, &p0, &p2] {
        e.process(LinkType::Ethernet, p, SEC);
    }
    assert_eq!(bytes(&log, Dir::ToServer), REQ);
    let st = e.stats();
    assert!(st.tcp.ooo_buffered >= 2);
    assert!(st.tcp.retransmits >= 2, "{:?}", st.tcp);
    assert_eq!(st.tcp.overlap_conflicts, 0);
    assert_eq!(e.ooo_bytes(), 0);
}

#[test]
fn overlap_first_data_wins() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    // Out of order: [5, 15) "XXXXXXXXXX" first, then [0, 10) "YYYYYYYYYY".
    e.process(LinkType::Ethernet, &c.c_at(5, b"XXXXXXXXXX", 0), SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"YYYYYYYYYY", 0), SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"YYYYYXXXXXXXXXX");
    // In order then overlapping retransmission with other bytes: the first stays.
    e.process(LinkType::Ethernet, &c.c_at(10, b"ZZZZZZZZZZ", 0), SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"YYYYYXXXXXXXXXXZZZZZ");
    let st = e.stats();
    assert!(st.tcp.overlap_conflicts >= 1);
    assert!(st.tcp.overlaps >= 5);
}

#[test]
fn lost_segment_gap_on_ack() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123456789", 0), SEC);
    // [10, 20) lost
    e.process(LinkType::Ethernet, &c.c_at(20, b"abcdefghij", 0), SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"0123456789");
    c.s_ack(&mut e, 30, SEC);
    assert_eq!(gaps(&log, Dir::ToServer), vec![10]);
    assert_eq!(
        bytes(&log, Dir::ToServer),
        b"0123456789??????????abcdefghij"
    );
    // late arrival of the lost bytes changes nothing
    e.process(LinkType::Ethernet, &c.c_at(10, b"KLMNOPQRST", 0), SEC);
    assert_eq!(bytes(&log, Dir::ToServer).len(), 30);
    let st = e.stats();
    assert_eq!(st.tcp.gaps, 1);
    assert_eq!(st.tcp.gap_bytes, 10);
}

#[test]
fn lost_tail_acked_is_a_gap() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123456789", 0), SEC);
    c.s_ack(&mut e, 25, SEC);
    // one ACK ahead of the data may be capture reordering: wait
    assert!(gaps(&log, Dir::ToServer).is_empty());
    c.s_ack(&mut e, 25, SEC);
    assert_eq!(gaps(&log, Dir::ToServer), vec![15]);
}

#[test]
fn ack_before_data_is_not_a_gap() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123456789", 0), SEC);
    c.s_ack(&mut e, 20, SEC);
    e.process(LinkType::Ethernet, &c.c_at(10, b"abcdefghij", 0), SEC);
    c.s_ack(&mut e, 20, SEC);
    // the peer ACKs the client's FIN before the FIN shows up
    c.s_ack(&mut e, 21, SEC);
    e.process(LinkType::Ethernet, &c.c_at(20, b"", FIN), SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"0123456789abcdefghij");
    assert!(gaps(&log, Dir::ToServer).is_empty());
    assert_eq!(ends(&log), vec![Ev::End(Dir::ToServer, StreamEnd::Fin)]);
}

#[test]
fn hole_at_fin_and_flush() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123", 0), SEC);
    e.process(LinkType::Ethernet, &c.c_at(8, b"89", FIN), SEC);
    // FIN with a hole before it: not ended yet (the missing bytes may still come)
    assert!(ends(&log).is_empty());
    e.process(LinkType::Ethernet, &c.c_at(4, b"4567", 0), SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"0123456789");
    assert_eq!(ends(&log), vec![Ev::End(Dir::ToServer, StreamEnd::Fin)]);

    // Second flow: the hole never fills; flush gives it up.
    let (mut e, log) = engine();
    let mut c = Conn::new(40001, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123", 0), SEC);
    e.process(LinkType::Ethernet, &c.c_at(8, b"89", FIN), SEC);
    e.flush();
    assert_eq!(bytes(&log, Dir::ToServer), b"0123????89");
    assert_eq!(
        ends(&log),
        vec![
            Ev::End(Dir::ToServer, StreamEnd::Fin),
            Ev::End(Dir::ToClient, StreamEnd::Timeout),
            Ev::Finish(StreamEnd::Timeout)
        ]
    );
    assert_eq!(e.stats().flows.flushed, 1);
}

#[test]
fn fin_before_last_data_reordered() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.s_send(&mut e, &RESP[..10], 0, SEC);
    let last = c.s_at(0, &RESP[10..], 0);
    let fin = c.s_at((RESP.len() - 10) as u32, b"", FIN);
    e.process(LinkType::Ethernet, &fin, SEC);
    e.process(LinkType::Ethernet, &last, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert_eq!(ends(&log), vec![Ev::End(Dir::ToClient, StreamEnd::Fin)]);
}

#[test]
fn midstream_start() {
    let (mut e, log) = engine();
    // first packet seen goes server -> client (src port 80): server is still port 80
    let c = Conn::new(40000, 80, 777, 999);
    e.process(LinkType::Ethernet, &c.s_at(0, RESP, 0), SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, REQ, 0), SEC);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert_eq!(bytes(&log, Dir::ToServer), REQ);
    assert_eq!(e.stats().tcp.midstream, 1);
    // no configured port: lower port is the server
    let (mut e, log) = engine_with(EngineConfig::default());
    let p = f4(S, 5555, C, 40000, 1, 1, ACK, b"HTTP/1.1 200 OK\r\n\r\n");
    e.process(LinkType::Ethernet, &p, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn midstream_roles_by_content() {
    // No configured port, no SYN, the client has the lower port: the request line tells
    // which side is the client, so the parser sees it as to-server data.
    let (mut e, log) = engine_with(EngineConfig::default());
    let req = b"GET /api HTTP/1.1\r\nHost: x\r\n\r\n";
    e.process(
        LinkType::Ethernet,
        &f4(C, 39976, S, 64000, 1, 1, ACK, req),
        SEC,
    );
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    e.process(
        LinkType::Ethernet,
        &f4(S, 64000, C, 39976, 1, 1 + req.len() as u32, ACK, resp),
        SEC,
    );
    assert_eq!(bytes(&log, Dir::ToServer), req);
    assert_eq!(bytes(&log, Dir::ToClient), resp);
    assert_eq!(e.stats().tcp.midstream_by_content, 1);
    // A status line from the higher port: that side is the server.
    let (mut e, log) = engine_with(EngineConfig::default());
    e.process(
        LinkType::Ethernet,
        &f4(S, 64000, C, 39976, 1, 1, ACK, resp),
        SEC,
    );
    assert_eq!(bytes(&log, Dir::ToClient), resp);
    // Content that says nothing: the lower port is still the server.
    let (mut e, log) = engine_with(EngineConfig::default());
    e.process(
        LinkType::Ethernet,
        &f4(S, 64000, C, 39976, 1, 1, ACK, b"xyz"),
        SEC,
    );
    assert_eq!(e.stats().tcp.midstream_by_content, 0);
    assert!(bytes(&log, Dir::ToClient).is_empty());
}

#[test]
fn one_sided_flow() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    // only the client side was captured: SYN, then data, no server packets at all
    e.process(
        LinkType::Ethernet,
        &f4(C, 40000, S, 80, 1000, 0, SYN, b""),
        SEC,
    );
    c.cseq = 1001;
    c.c_send(&mut e, &REQ[..5], 0, SEC);
    c.c_send(&mut e, &REQ[5..], 0, SEC);
    assert_eq!(bytes(&log, Dir::ToServer), REQ);
    e.flush();
    assert_eq!(
        ends(&log),
        vec![
            Ev::End(Dir::ToServer, StreamEnd::Timeout),
            Ev::Finish(StreamEnd::Timeout)
        ]
    );
}

#[test]
fn reset_ends_both_and_ignores_later_data() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    c.s_send(&mut e, &RESP[..8], 0, SEC);
    // RST far outside the window: ignored
    e.process(
        LinkType::Ethernet,
        &f4(
            S,
            80,
            C,
            40000,
            c.sseq.wrapping_add(0x7000_0000),
            0,
            RST,
            b"",
        ),
        SEC,
    );
    assert!(ends(&log).is_empty());
    c.s_send(&mut e, b"", RST, SEC);
    assert_eq!(
        ends(&log),
        vec![
            Ev::End(Dir::ToServer, StreamEnd::Reset),
            Ev::End(Dir::ToClient, StreamEnd::Reset),
            Ev::Finish(StreamEnd::Reset)
        ]
    );
    c.s_send(&mut e, &RESP[8..], 0, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), &RESP[..8]);
    let st = e.stats();
    assert_eq!(st.flows.ended_rst, 1);
    assert_eq!(st.tcp.resets, 1);
    assert_eq!(st.tcp.reset_invalid, 1);
    assert!(st.tcp.after_end_bytes > 0);
}

#[test]
fn reset_before_any_data_does_not_end_flow() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    // An in-window RST right after the handshake, then the connection goes on anyway.
    c.c_send(&mut e, b"", RST, SEC);
    assert!(ends(&log).is_empty());
    c.c_send(&mut e, REQ, 0, SEC);
    c.s_send(&mut e, RESP, 0, SEC);
    assert_eq!(bytes(&log, Dir::ToServer), REQ);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    // Once data has flowed, a RST ends the flow as before.
    c.s_send(&mut e, b"", RST, SEC);
    assert_eq!(ends(&log).last(), Some(&Ev::Finish(StreamEnd::Reset)));
    let st = e.stats();
    assert_eq!(st.tcp.reset_before_data, 1);
    assert_eq!(st.tcp.resets, 1);
    assert_eq!(st.flows.ended_rst, 1);
}

#[test]
fn port_reuse_starts_new_flow() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, b"GET / HTTP/1.1\r\n\r\n", 0, SEC);
    c.s_send(&mut e, b"", RST, SEC);
    let mut c2 = Conn::new(40000, 80, 90000, 7000);
    c2.handshake(&mut e, 2 * SEC);
    c2.c_send(&mut e, b"GET /2", 0, 2 * SEC);
    let st = e.stats();
    assert_eq!(st.flows.created, 2);
    assert_eq!(st.flows.reused, 1);
    let ids: std::collections::BTreeSet<u64> = log.lock().unwrap().iter().map(|x| x.0).collect();
    assert_eq!(ids.len(), 2);
    assert!(bytes(&log, Dir::ToServer).ends_with(b"GET /2"));
}

#[test]
fn sequence_wraparound() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 0xffff_fff0, 0xffff_fffe);
    c.handshake(&mut e, SEC);
    let data: Vec<u8> = (0..64u8).collect();
    let segs: Vec<Vec<u8>> = (0..8)
        .map(|i| c.c_at(i * 8, &data[i as usize * 8..i as usize * 8 + 8], 0))
        .collect();
    for i in [1usize, 0, 3, 2, 5, 4, 7, 6] {
        e.process(LinkType::Ethernet, &segs[i], SEC);
    }
    assert_eq!(bytes(&log, Dir::ToServer), data);
    c.s_send(&mut e, RESP, 0, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert_eq!(e.stats().tcp.gaps, 0);
}

#[test]
fn one_byte_per_segment_and_any_split() {
    let msg: Vec<u8> = (0..600u32).map(|i| (i * 7 % 251) as u8).collect();
    let run = |cuts: &[usize], order: &dyn Fn(usize) -> Vec<usize>| {
        let (mut e, log) = engine();
        let mut c = Conn::new(40000, 80, 123_456, 5000);
        c.handshake(&mut e, SEC);
        let mut pieces = Vec::new();
        let mut prev = 0;
        for &x in cuts.iter().chain(std::iter::once(&msg.len())) {
            if x > prev {
                pieces.push(c.c_at(prev as u32, &msg[prev..x], 0));
                prev = x;
            }
        }
        for i in order(pieces.len()) {
            e.process(LinkType::Ethernet, &pieces[i], SEC);
        }
        e.flush();
        (bytes(&log, Dir::ToServer), e.stats())
    };
    let all: Vec<usize> = (1..msg.len()).collect();
    let inorder = |n: usize| (0..n).collect::<Vec<_>>();
    let (b, st) = run(&all, &inorder);
    assert_eq!(b, msg);
    assert_eq!(st.tcp.in_order, 600);
    // pseudo-random splits and local reorders
    let mut x: u64 = 0x1234_5678;
    for _ in 0..20 {
        let mut cuts = Vec::new();
        let mut p = 0;
        loop {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            p += 1 + (x >> 33) as usize % 97;
            if p >= msg.len() {
                break;
            }
            cuts.push(p);
        }
        let seed = x;
        let order = move |n: usize| {
            let mut v: Vec<usize> = (0..n).collect();
            let mut y = seed;
            for i in 0..n.saturating_sub(1) {
                y = y.wrapping_mul(6364136223846793005).wrapping_add(1);
                if (y >> 40).is_multiple_of(3) {
                    v.swap(i, i + 1);
                }
            }
            v
        };
        let (b, st) = run(&cuts, &order);
        assert_eq!(b, msg);
        assert_eq!(st.tcp.gaps, 0);
    }
}

#[test]
fn ooo_limit_per_flow_gives_up_hole() {
    let mut cfg = EngineConfig::default();
    cfg.tcp.max_ooo_per_flow = 20;
    let (mut e, log) = engine_with(cfg);
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &c.c_at(0, b"0123456789", 0), SEC);
    // hole [10, 20), then three 10-byte segments: the third does not fit
    e.process(LinkType::Ethernet, &c.c_at(20, b"aaaaaaaaaa", 0), SEC);
    e.process(LinkType::Ethernet, &c.c_at(30, b"bbbbbbbbbb", 0), SEC);
    assert_eq!(e.ooo_bytes(), 20);
    e.process(LinkType::Ethernet, &c.c_at(40, b"cccccccccc", 0), SEC);
    assert_eq!(
        bytes(&log, Dir::ToServer),
        b"0123456789??????????aaaaaaaaaabbbbbbbbbbcccccccccc"
    );
    let st = e.stats();
    assert_eq!(st.tcp.ooo_limit_flow, 1);
    assert_eq!(st.tcp.gap_bytes, 10);
    assert_eq!(e.ooo_bytes(), 0);
}

#[test]
fn global_memcap_gives_up_hole() {
    let mut cfg = EngineConfig::default();
    cfg.tcp.memcap = 15;
    let (mut e, log) = engine_with(cfg);
    let mut a = Conn::new(40000, 80, 1000, 5000);
    let mut b = Conn::new(40001, 80, 1000, 5000);
    a.handshake(&mut e, SEC);
    b.handshake(&mut e, SEC);
    e.process(LinkType::Ethernet, &a.c_at(10, b"AAAAAAAAAA", 0), SEC);
    assert_eq!(e.ooo_bytes(), 10);
    e.process(LinkType::Ethernet, &b.c_at(10, b"BBBBBBBBBB", 0), SEC);
    // b could not buffer: its own hole was given up instead
    assert_eq!(e.stats().tcp.ooo_memcap, 1);
    assert_eq!(e.ooo_bytes(), 10);
    assert!(bytes(&log, Dir::ToServer).ends_with(b"??????????BBBBBBBBBB"));
}

#[test]
fn idle_timeout_by_packet_time() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    e.advance(SEC + e.cfg.tcp.timeout - 1);
    assert!(ends(&log).is_empty());
    e.advance(2 * SEC + e.cfg.tcp.timeout);
    assert_eq!(ends(&log).last(), Some(&Ev::Finish(StreamEnd::Timeout)));
    assert_eq!(e.stats().flows.timed_out, 1);
    assert_eq!(e.flow_count(), 0);
    // a packet of another flow long after also expires it
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    let mut d = Conn::new(40001, 80, 1000, 5000);
    d.handshake(&mut e, 500 * SEC);
    assert_eq!(ends(&log).len(), 3);
    assert_eq!(e.flow_count(), 1);
}

#[test]
fn ended_connection_entry_lingers_then_goes() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    c.s_send(&mut e, RESP, 0, SEC);
    c.c_send(&mut e, b"", FIN, SEC);
    c.s_send(&mut e, b"", FIN, SEC);
    assert_eq!(ends(&log).last(), Some(&Ev::Finish(StreamEnd::Fin)));
    assert_eq!(e.flow_count(), 1, "the entry stays for late packets");
    // A late retransmission within the linger is ignored, not a new midstream flow.
    e.process(LinkType::Ethernet, &c.c_at(0, REQ, 0), 5 * SEC);
    assert_eq!(e.stats().flows.created, 1);
    assert_eq!(e.stats().tcp.after_end_bytes, REQ.len() as u64);
    // Past CLOSED_LINGER (well before tcp.timeout) the entry is gone, not counted as a timeout.
    assert!(CLOSED_LINGER < e.cfg.tcp.timeout);
    e.advance(SEC + CLOSED_LINGER + SEC);
    assert_eq!(e.flow_count(), 0);
    let st = e.stats();
    assert_eq!((st.flows.closed_removed, st.flows.timed_out), (1, 0));
    // A flow that ended and was replaced in the same slot is not removed by the old entry.
    let (mut e, _log) = engine();
    let mut a = Conn::new(40000, 80, 1000, 5000);
    a.handshake(&mut e, SEC);
    a.c_send(&mut e, REQ, 0, SEC);
    a.c_send(&mut e, b"", RST, SEC);
    assert_eq!(e.stats().flows.ended_rst, 1);
    let mut b = Conn::new(40000, 80, 9000, 7000);
    b.handshake(&mut e, 2 * SEC);
    b.c_send(&mut e, REQ, 0, 2 * SEC);
    e.advance(3 * SEC + CLOSED_LINGER);
    assert_eq!(
        e.flow_count(),
        1,
        "the new connection on the same tuple lives on"
    );
    assert_eq!(e.stats().flows.closed_removed, 0);
    // Many short connections within the linger: the queue stays within the table's size.
    let mut cfg = EngineConfig::default();
    cfg.tcp.max_flows = 4;
    let (mut e, _log) = engine_with(cfg);
    for port in 40000..40020u16 {
        let mut c = Conn::new(port, 80, 1000, 5000);
        c.handshake(&mut e, SEC);
        c.c_send(&mut e, REQ, 0, SEC);
        c.c_send(&mut e, b"", RST, SEC);
        assert!(e.lingering() <= 4, "{}", e.lingering());
        assert!(e.flow_count() <= 4);
    }
    assert_eq!(e.stats().flows.ended_rst, 20);
}

#[test]
fn one_packet_from_the_future_does_not_time_out_live_flows() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    // One packet of another flow stamped four years ahead, then the capture goes on.
    let future = SEC + 4 * 365 * 86_400 * SEC;
    e.process(
        LinkType::Ethernet,
        &f4(C, 40001, S, 80, 7000, 0, SYN, b""),
        future,
    );
    c.s_send(&mut e, RESP, 0, 2 * SEC);
    c.c_send(&mut e, b"", FIN, 2 * SEC);
    c.s_send(&mut e, b"", FIN, 2 * SEC);
    let st = e.stats();
    assert_eq!((st.flows.timed_out, st.flows.clock_jumps), (0, 0));
    assert!(st.flows.clock_jumps_held >= 1);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert!(ends(&log).contains(&Ev::Finish(StreamEnd::Fin)));
    assert!(!ends(&log).contains(&Ev::Finish(StreamEnd::Timeout)));
    // A capture that really resumes later: the second packet confirms, idle flows time out.
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    let mut d = Conn::new(40001, 80, 7000, 9000);
    d.handshake(&mut e, 1000 * SEC);
    let st = e.stats();
    assert_eq!((st.flows.clock_jumps, st.flows.timed_out), (1, 1));
    assert!(ends(&log).contains(&Ev::Finish(StreamEnd::Timeout)));
}

#[test]
fn eviction_past_max_flows() {
    let mut cfg = EngineConfig::default();
    cfg.tcp.max_flows = 2;
    let (mut e, log) = engine_with(cfg);
    for (i, port) in [40000u16, 40001, 40002].iter().enumerate() {
        let mut c = Conn::new(*port, 80, 1000, 5000);
        c.handshake(&mut e, (i as u64 + 1) * SEC);
        c.c_send(&mut e, b"GET /", 0, (i as u64 + 1) * SEC);
    }
    let st = e.stats();
    assert_eq!(st.flows.evicted, 1);
    assert_eq!(st.flows.active, 2);
    let l = log.lock().unwrap();
    let first = l.first().unwrap().0;
    assert!(l
        .iter()
        .any(|x| x.0 == first && x.2 == Ev::Finish(StreamEnd::Timeout)));
}

#[test]
fn flow_ids_are_stable_across_engines() {
    let run = || {
        let (mut e, log) = engine();
        let mut c = Conn::new(40000, 80, 1000, 5000);
        c.handshake(&mut e, 42 * SEC);
        c.c_send(&mut e, REQ, 0, 42 * SEC);
        let id = log.lock().unwrap()[0].0;
        id
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a > 0 && a < 1 << 53);
}

#[test]
fn content_detection_on_unknown_port() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 8080, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, b"GE", 0, SEC);
    c.c_send(&mut e, b"T / HTTP/1.1\r\n\r\n", 0, SEC);
    assert_eq!(bytes(&log, Dir::ToServer), b"GET / HTTP/1.1\r\n\r\n");
    assert!(log.lock().unwrap().iter().all(|x| x.1 == AppProto::Http));
    // server greeting: SMTP on 2525
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 2525, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.s_send(&mut e, b"220 mx ESMTP\r\n", 0, SEC);
    c.c_send(&mut e, b"EHLO me\r\n", 0, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), b"220 mx ESMTP\r\n");
    assert_eq!(bytes(&log, Dir::ToServer), b"EHLO me\r\n");
    assert!(log.lock().unwrap().iter().all(|x| x.1 == AppProto::Smtp));
    // unknown protocol: skipped, counted
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 443, 1000, 5000);
    c.handshake(&mut e, SEC);
    for _ in 0..10 {
        c.c_send(&mut e, &[0x16u8; 100], 0, SEC);
        c.s_send(&mut e, &[0x17u8; 100], 0, SEC);
    }
    c.c_send(&mut e, b"", FIN, SEC);
    c.s_send(&mut e, b"", FIN, SEC);
    assert!(log.lock().unwrap().is_empty());
    let st = e.stats();
    assert_eq!(st.tcp.no_parser_flows, 1);
    assert_eq!(st.tcp.no_parser_bytes, 2000);
    assert_eq!(st.flows.ended_fin, 1);
}

fn check_one_flow(lt: LinkType, frames: &[Vec<u8>], want: &[u8]) -> EngineStats {
    let (mut e, log) = engine();
    for f in frames {
        e.process(lt, f, SEC);
    }
    assert_eq!(bytes(&log, Dir::ToServer), want, "{lt:?}");
    e.stats()
}

#[test]
fn link_types() {
    let a = raw4(C, 40000, S, 80, 1, 0, b"GET /x");
    let b = raw4(C, 40000, S, 80, 7, 0, b" HTTP");
    let wrap = |hdr: &[u8], p: &[u8]| [hdr, p].concat();
    let cases: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::RawIp, vec![]),
        (LinkType::Null, 2u32.to_le_bytes().to_vec()),
        (LinkType::Null, 2u32.to_be_bytes().to_vec()),
        (LinkType::LinuxSll, [&[0u8; 14][..], &[0x08, 0x00]].concat()),
        (
            LinkType::LinuxSll2,
            [&[0x08u8, 0x00][..], &[0u8; 18]].concat(),
        ),
        (LinkType::CiscoHdlc, vec![0x0f, 0x00, 0x08, 0x00]),
        // Ethernet + MPLS (two labels) + IPv4
        (
            LinkType::Ethernet,
            [
                &[1u8; 12][..],
                &[0x88, 0x47, 0, 0, 0x10, 64, 0, 0, 0x21, 64],
            ]
            .concat(),
        ),
        // Ethernet + PPPoE session + IPv4
        (
            LinkType::Ethernet,
            [
                &[1u8; 12][..],
                &[0x88, 0x64, 0x11, 0, 0, 1, 0, 0x30, 0x00, 0x21],
            ]
            .concat(),
        ),
    ];
    for (lt, hdr) in cases {
        check_one_flow(lt, &[wrap(&hdr, &a), wrap(&hdr, &b)], b"GET /x HTTP");
    }
    assert_eq!(LinkType::from_dlt(104), Some(LinkType::CiscoHdlc));
    assert_eq!(LinkType::from_dlt(228), Some(LinkType::RawIp));
    assert_eq!(LinkType::from_dlt(9999), None);
}

#[test]
fn vlan_qinq_and_deep_stacks() {
    let v = |outer: u16, inner: u16, seq: u32, d: &[u8]| {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .double_vlan(
                etherparse::VlanId::try_new(outer).unwrap(),
                etherparse::VlanId::try_new(inner).unwrap(),
            )
            .ipv4(C, S, 64);
        tcp_builder(b, 40000, 80, seq, 0, 0, d)
    };
    let st = check_one_flow(
        LinkType::Ethernet,
        &[v(10, 20, 1, b"GET "), v(10, 20, 5, b"/")],
        b"GET /",
    );
    assert_eq!(st.decode.vlan, 4);
    // three tags, inserted by hand
    let mut f = v(10, 20, 1, b"GET /");
    f.splice(12..12, [0x81u8, 0x00, 0x00, 0x05]);
    let st = check_one_flow(LinkType::Ethernet, &[f.clone()], b"GET /");
    assert_eq!(st.decode.vlan, 3);
    // too many tags: counted, dropped
    for _ in 0..10 {
        f.splice(12..12, [0x81u8, 0x00, 0x00, 0x05]);
    }
    let st = check_one_flow(LinkType::Ethernet, &[f], b"");
    assert_eq!(st.decode.too_deep, 1);
}

#[test]
fn ipv6_with_extension_headers() {
    let c6: [u8; 16] = "2001:db8::1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let s6: [u8; 16] = "2001:db8::2"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let p = |seq: u32, d: &[u8]| {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv6(c6, s6, 64);
        tcp_builder(b, 40000, 80, seq, 0, 0, d)
    };
    let st = check_one_flow(
        LinkType::Ethernet,
        &[p(1, b"GET "), p(5, b"/six")],
        b"GET /six",
    );
    assert_eq!(st.decode.ipv6, 2);
    // insert a hop-by-hop header (8 bytes) by hand: next header of IPv6 = 0, hbh next = 6
    let mut f = p(1, b"GET /hbh");
    let ip = 14;
    f[ip + 6] = 0;
    let plen = u16::from_be_bytes([f[ip + 4], f[ip + 5]]) + 8;
    f[ip + 4..ip + 6].copy_from_slice(&plen.to_be_bytes());
    f.splice(ip + 40..ip + 40, [6u8, 0, 1, 4, 0, 0, 0, 0]);
    check_one_flow(LinkType::Ethernet, &[f], b"GET /hbh");
}

/// Splits an IPv4 packet (no link header) into fragments of `chunk` bytes of payload.
fn fragment4(pkt: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let hl = usize::from(pkt[0] & 0xf) * 4;
    let payload = &pkt[hl..];
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let mut h = pkt[..hl].to_vec();
        let tl = (hl + end - off) as u16;
        h[2..4].copy_from_slice(&tl.to_be_bytes());
        let more = end < payload.len();
        let fo = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        h[4..6].copy_from_slice(&0x4242u16.to_be_bytes());
        h.extend_from_slice(&payload[off..end]);
        out.push(h);
        off = end;
    }
    out
}

#[test]
fn ipv4_fragments_out_of_order() {
    let data: Vec<u8> = [b"GET /frag HTTP/1.1\r\n".as_slice(), &[b'a'; 100]].concat();
    let pkt = raw4(C, 40000, S, 80, 1, 0, &data);
    let mut frags = fragment4(&pkt, 32);
    assert!(frags.len() >= 4);
    frags.reverse();
    let dup = frags[1].clone();
    frags.insert(2, dup);
    let (mut e, log) = engine();
    for (i, f) in frags.iter().enumerate() {
        e.process(LinkType::RawIp, f, SEC);
        // every fragment hashes to the same worker
        assert_eq!(
            rss::flow_hash(LinkType::RawIp, f),
            rss::flow_hash(LinkType::RawIp, &frags[0]),
            "{i}"
        );
    }
    assert_eq!(bytes(&log, Dir::ToServer), data);
    let st = e.stats();
    assert_eq!(st.defrag.reassembled, 1);
    assert!(st.defrag.overlaps >= 1);
}

#[test]
fn ipv6_fragments() {
    let c6: [u8; 16] = "2001:db8::1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let s6: [u8; 16] = "2001:db8::2"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let data: Vec<u8> = [b"GET /v6frag HTTP/1.1\r\n".as_slice(), &[b'b'; 60]].concat();
    let b = PacketBuilder::ipv6(c6, s6, 64);
    let pkt = tcp_builder(b, 40000, 80, 1, 0, 0, &data);
    let l4 = &pkt[40..];
    let mut frags = Vec::new();
    let mut off = 0;
    while off < l4.len() {
        let end = (off + 40).min(l4.len());
        let more = end < l4.len();
        let mut h = pkt[..40].to_vec();
        h[6] = 44;
        h[4..6].copy_from_slice(&((end - off + 8) as u16).to_be_bytes());
        let fo = ((off / 8) as u16) << 3 | u16::from(more);
        h.extend_from_slice(&[6, 0]);
        h.extend_from_slice(&fo.to_be_bytes());
        h.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        h.extend_from_slice(&l4[off..end]);
        frags.push(h);
        off = end;
    }
    frags.rotate_left(1);
    let st = check_one_flow(LinkType::RawIp, &frags, &data);
    assert_eq!(st.defrag.reassembled, 1);
    assert_eq!(st.decode.ipv6_fragments as usize, frags.len());
}

#[test]
fn rss_is_symmetric() {
    let a = f4(C, 40000, S, 80, 1, 0, 0, b"x");
    let b = f4(S, 80, C, 40000, 1, 0, 0, b"y");
    let h = rss::flow_hash(LinkType::Ethernet, &a);
    assert_ne!(h, 0);
    assert_eq!(h, rss::flow_hash(LinkType::Ethernet, &b));
    let other = f4(C, 40000, [10, 0, 0, 3], 80, 1, 0, 0, b"x");
    assert_ne!(h, rss::flow_hash(LinkType::Ethernet, &other));
    let arp = [&[1u8; 12][..], &[0x08, 0x06], &[0u8; 28]].concat();
    assert_eq!(rss::flow_hash(LinkType::Ethernet, &arp), 0);
    assert_eq!(rss::flow_hash(LinkType::Ethernet, &[]), 0);
}

#[test]
fn hostile_frames_never_panic() {
    let (mut e, _log) = engine();
    let good = f4(C, 40000, S, 80, 1, 0, 0, REQ);
    for lt in [
        LinkType::Ethernet,
        LinkType::RawIp,
        LinkType::Null,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::CiscoHdlc,
    ] {
        for n in 0..good.len() {
            e.process(lt, &good[..n], SEC);
            let _ = rss::flow_hash(lt, &good[..n]);
        }
    }
    // random bytes
    let mut x: u64 = 99;
    for _ in 0..2000 {
        let mut f = good.clone();
        for _ in 0..4 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (x >> 33) as usize % f.len();
            f[i] = (x >> 13) as u8;
        }
        e.process(LinkType::Ethernet, &f, SEC);
    }
    e.flush();
    let st = e.stats();
    assert!(st.decode.truncated > 0);
    assert!(st.decode.packets > 2000);
    // non-IP and non-TCP are counted
    let (mut e, _log) = engine();
    e.process(
        LinkType::Ethernet,
        &[&[1u8; 12][..], &[0x08, 0x06], &[0u8; 28]].concat(),
        SEC,
    );
    let udp = {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(C, S, 64)
            .udp(1, 2);
        let mut v = Vec::new();
        b.write(&mut v, b"x").unwrap();
        v
    };
    e.process(LinkType::Ethernet, &udp, SEC);
    let st = e.stats();
    assert_eq!(st.decode.non_ip, 1);
    assert_eq!(st.decode.non_tcp, 1);
}

#[test]
fn new_syn_on_live_flow_starts_new_flow() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, b"GET /1", 0, SEC);
    // the same SYN again is a retransmission
    e.process(
        LinkType::Ethernet,
        &f4(C, 40000, S, 80, 1000, 0, SYN, b""),
        SEC,
    );
    assert_eq!(e.stats().flows.created, 1);
    let mut c2 = Conn::new(40000, 80, 777_777, 9000);
    c2.handshake(&mut e, 2 * SEC);
    c2.c_send(&mut e, b"GET /2", 0, 2 * SEC);
    let st = e.stats();
    assert_eq!(st.flows.created, 2);
    assert_eq!(st.flows.reused, 1);
    assert_eq!(bytes(&log, Dir::ToServer), b"GET /1GET /2");
    assert!(ends(&log).contains(&Ev::Finish(StreamEnd::Timeout)));
}

#[test]
fn both_fins_with_hole_pending_gap_then_finish() {
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    c.handshake(&mut e, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    // server: [0, 10) lost, [10, ..) + FIN seen, then client FIN without acking the data
    e.process(LinkType::Ethernet, &c.s_at(10, &RESP[10..], FIN), SEC);
    let p = f4(C, 40000, S, 80, c.cseq, c.sseq, FIN, b"");
    e.process(LinkType::Ethernet, &p, SEC);
    assert_eq!(gaps(&log, Dir::ToClient), vec![10]);
    assert_eq!(&bytes(&log, Dir::ToClient)[10..], &RESP[10..]);
    assert_eq!(ends(&log).last(), Some(&Ev::Finish(StreamEnd::Fin)));
    assert_eq!(e.stats().flows.ended_fin, 1);
}

/// Runs every corpus capture through an engine (recording parsers) and prints what reassembly
/// saw. Reads the captures in place; `cargo test corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn corpus_captures() {
    let dir = std::path::Path::new("/work/shared/corpus/suricata-verify");
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    let mut total = EngineStats::default();
    for d in names {
        if std::env::var("CAP").is_ok_and(|c| !d.ends_with(c)) {
            continue;
        }
        let Ok(buf) = std::fs::read(d.join("input.pcap")) else {
            continue;
        };
        if buf.len() < 24 || buf[..4] != [0xd4, 0xc3, 0xb2, 0xa1] {
            continue;
        }
        let dlt = u32::from_le_bytes([buf[20], buf[21], buf[22], buf[23]]);
        let Some(lt) = LinkType::from_dlt(dlt) else {
            println!("{}: link type {dlt} unsupported", d.display());
            continue;
        };
        let (mut e, log) = engine();
        let mut off = 24;
        while off + 16 <= buf.len() {
            let h = &buf[off..off + 16];
            let sec = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as u64;
            let usec = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
            let incl = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
            off += 16;
            let Some(fr) = buf.get(off..off + incl) else {
                break;
            };
            e.process(lt, fr, sec * NANOS_PER_SEC + usec * 1000);
            off += incl;
        }
        e.flush();
        let st = e.stats();
        let delivered: usize = log
            .lock()
            .unwrap()
            .iter()
            .map(|x| {
                if let Ev::Data(_, b) = &x.2 {
                    b.len()
                } else {
                    0
                }
            })
            .sum();
        println!(
            "{:70} dlt={dlt:3} pkts={:6} flows={:4} bytes={:9} gaps={:3}/{:7} ooo={:4} conflicts={} midstream={} noparser={} trunc={} bad={}",
            d.file_name().unwrap().to_string_lossy(),
            st.decode.packets,
            st.flows.created,
            delivered,
            st.tcp.gaps,
            st.tcp.gap_bytes,
            st.tcp.ooo_buffered,
            st.tcp.overlap_conflicts,
            st.tcp.midstream,
            st.tcp.no_parser_flows,
            st.decode.truncated,
            st.decode.bad_header,
        );
        if std::env::var("CAP").is_ok() {
            let mut offs = [0u64; 2];
            for (_, _, ev) in log.lock().unwrap().iter() {
                match ev {
                    Ev::Data(d, b) => offs[dir_index(*d)] += b.len() as u64,
                    Ev::Gap(d, n) => {
                        println!("gap {d:?} at {} len {n}", offs[dir_index(*d)]);
                        offs[dir_index(*d)] += n;
                    }
                    other => println!("{other:?}"),
                }
            }
        }
        total.add(&st);
    }
    println!("TOTAL {:?}", total);
}

#[test]
fn server_segments_before_synack_do_not_start_its_direction() {
    // Suricata bug 3286: after the SYN the "server" sends RST / FIN (and here data) with an
    // arbitrary sequence number, then the real SYN-ACK; Linux and Windows clients go on.
    for (client_rst, bogus_seq) in [(true, 0u32), (false, 0), (false, 0xdead_beef)] {
        let (mut e, log) = engine();
        let mut c = Conn::new(40000, 80, 1000, 5000);
        e.process(
            LinkType::Ethernet,
            &f4(C, 40000, S, 80, 1000, 0, SYN, b""),
            SEC,
        );
        for (flags, data) in [
            (RST | ACK, &b""[..]),
            (FIN | ACK, &b""[..]),
            (ACK, &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"[..]),
        ] {
            let p = f4(S, 80, C, 40000, bogus_seq, 1001, flags, data);
            e.process(LinkType::Ethernet, &p, SEC);
        }
        if client_rst {
            let p = f4(C, 40000, S, 80, 1001, 0, RST, b"");
            e.process(LinkType::Ethernet, &p, SEC);
        }
        let p = f4(S, 80, C, 40000, 5000, 1001, SYN | ACK, b"");
        e.process(LinkType::Ethernet, &p, SEC);
        c.cseq = 1001;
        c.sseq = 5001;
        c.c_send(&mut e, b"", 0, SEC);
        c.c_send(&mut e, REQ, 0, SEC);
        c.s_send(&mut e, RESP, FIN, SEC);
        c.c_send(&mut e, b"", FIN, SEC);
        assert_eq!(bytes(&log, Dir::ToServer), REQ);
        assert_eq!(bytes(&log, Dir::ToClient), RESP, "{client_rst} {bogus_seq}");
        assert_eq!(ends(&log).last(), Some(&Ev::Finish(StreamEnd::Fin)));
        let st = e.stats();
        assert_eq!(st.tcp.before_synack, 3);
        assert_eq!(st.flows.created, 1);
    }
    // A lost SYN-ACK: once the client ACKs, the server's data starts its direction.
    let (mut e, log) = engine();
    let mut c = Conn::new(40000, 80, 1000, 5000);
    e.process(
        LinkType::Ethernet,
        &f4(C, 40000, S, 80, 1000, 0, SYN, b""),
        SEC,
    );
    c.cseq = 1001;
    c.sseq = 5001;
    c.c_send(&mut e, b"", 0, SEC);
    c.c_send(&mut e, REQ, 0, SEC);
    c.s_send(&mut e, RESP, 0, SEC);
    assert_eq!(bytes(&log, Dir::ToClient), RESP);
    assert_eq!(e.stats().tcp.before_synack, 0);
}

#[test]
fn fragmented_gre_outer_packet_is_reassembled_then_opened() {
    // The inner packet (client SYN then data) rides in GRE; the outer IPv4 packet carrying the
    // data is fragmented on the way, out of order.
    let data: Vec<u8> = [b"GET /gre HTTP/1.1\r\n".as_slice(), &[b'g'; 120]].concat();
    let wrap = |inner: &[u8]| {
        let g = [&[0x20u8, 0, 0x08, 0x00, 0, 0, 0, 9][..], inner].concat();
        let b = PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64);
        let mut v = Vec::new();
        b.write(&mut v, etherparse::IpNumber(47), &g).unwrap();
        v
    };
    let (mut e, log) = engine();
    e.process(
        LinkType::RawIp,
        &wrap(&raw4(C, 40000, S, 80, 1, SYN, b"")),
        SEC,
    );
    let mut frags = fragment4(&wrap(&raw4(C, 40000, S, 80, 2, 0, &data)), 48);
    assert!(frags.len() >= 3);
    frags.reverse();
    for f in &frags {
        e.process(LinkType::RawIp, f, SEC);
    }
    assert_eq!(bytes(&log, Dir::ToServer), data);
    let st = e.stats();
    assert_eq!(st.defrag.reassembled, 1);
    assert_eq!(st.decode.gre, 2);
    assert_eq!(st.flows.created, 1);
    // garbage inside a reassembled GRE packet is counted, not followed
    let truncated = e.stats().decode.truncated;
    for f in fragment4(&wrap(&[0x45u8; 30]), 8) {
        e.process(LinkType::RawIp, &f, SEC);
    }
    let st = e.stats();
    assert_eq!(st.defrag.reassembled, 2);
    assert_eq!(st.decode.truncated, truncated + 1);
    assert_eq!(st.flows.created, 1);
}
