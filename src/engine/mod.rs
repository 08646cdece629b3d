//! The worker's packet engine, pure Rust and DPDK-free: it takes frames as byte slices with
//! packet timestamps and turns them into file events.
//!
//! decode ([`decode`]) → IP defragmentation ([`defrag`]) → flow table ([`flow`]) → TCP
//! reassembly per direction ([`reassembly`]) → protocol parser ([`crate::proto`]) → file sink
//! ([`crate::files`]). [`rss`] is the symmetric flow hash RX lcores use to pick a worker.
//!
//! The public API of [`Engine`] is the contract with the DPDK runtime, the tests and the
//! benchmarks. Per in-order packet nothing is allocated or copied: the payload slice of the frame
//! goes straight to the parser.

pub mod decode;
pub mod defrag;
pub mod flow;
pub mod reassembly;
pub mod rss;
#[cfg(test)]
mod tests;

pub use decode::LinkType;

use crate::config::Config;
use crate::files::{AppProto, FileEvent, FileSink, FileSinkConfig, FileStats};
use crate::proto::{AppParser, Dir, ProtoConfig, ProtoStats, StreamCtx, StreamEnd};
use crate::time::{Nanos, NANOS_PER_SEC};
use decode::{TcpSeg, L4};
use flow::{AppState, Detect, Flow, FlowKey, FlowTable, DETECT_LEN};
use reassembly::{Delivery, Limits, Stream, TcpStats};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Everything an engine needs to know, derived from sensor.yaml.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub proto: ProtoConfig,
    pub files: FileSinkConfig,
    pub tcp: crate::config::TcpCfg,
}

impl EngineConfig {
    pub fn from_config(c: &Config) -> Self {
        use crate::config::HashKind;
        let mut proto = ProtoConfig {
            http_ports: c.protocols.http.ports.clone(),
            smtp_ports: c.protocols.smtp.ports.clone(),
            pop3_ports: c.protocols.pop3.ports.clone(),
            imap_ports: c.protocols.imap.ports.clone(),
            max_decoded: c.protocols.max_decoded_size,
            ..ProtoConfig::default()
        };
        proto.http.max_header_bytes = c.protocols.max_header_size as usize;
        proto.mime.max_header_bytes = c.protocols.max_header_size as usize;
        proto.mime.max_depth = c.protocols.mime_max_depth as usize;
        EngineConfig {
            proto,
            files: FileSinkConfig {
                md5: c.files.hashes.contains(&HashKind::Md5),
                sha1: c.files.hashes.contains(&HashKind::Sha1),
                max_size: c.files.max_size,
                store: c
                    .files
                    .store
                    .enabled
                    .then(|| (c.files.store.dir.clone(), c.files.store.which)),
            },
            tcp: c.tcp.clone(),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig::from_config(&Config::default())
    }
}

/// All counters of one engine (`stats.decode`, `stats.defrag`, `stats.tcp`, `stats.flows`,
/// `stats.files` and one object per protocol in EVE).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    pub decode: decode::DecodeStats,
    pub defrag: defrag::DefragStats,
    pub tcp: reassembly::TcpStats,
    pub flows: flow::FlowStats,
    pub files: FileStats,
    #[serde(flatten)]
    pub proto: ProtoStats,
}

impl EngineStats {
    pub fn add(&mut self, o: &EngineStats) {
        self.decode.add(&o.decode);
        self.defrag.add(&o.defrag);
        self.tcp.add(&o.tcp);
        self.flows.add(&o.flows);
        self.files.add(&o.files);
        self.proto.add(&o.proto);
    }
}

/// Makes the parser of a connection once its protocol is known.
pub type ParserFactory = Box<dyn Fn(AppProto, &ProtoConfig) -> Box<dyn AppParser> + Send>;

/// Payload bytes (both directions) looked at to recognise a protocol before giving up.
pub const DETECT_WAIT: u64 = 64;

/// One worker's engine. Owns its flows; no locks.
pub struct Engine {
    cfg: EngineConfig,
    files: FileSink,
    stats: EngineStats,
    pstats: ProtoStats,
    now: Nanos,
    flows: FlowTable,
    defrag: defrag::Defrag,
    factory: ParserFactory,
    ooo_used: u64,
    next_check: Nanos,
    /// Flows that ended (FIN both ways, RST): (slot, flow id, packet time of the end). Their
    /// entries stay only [`CLOSED_LINGER`] to absorb late packets, not the idle timeout.
    closed: std::collections::VecDeque<(u32, u64, Nanos)>,
    /// The last packet jumped packet time forward by more than [`MAX_UNCONFIRMED_JUMP`] and
    /// was not believed yet.
    jump_pending: bool,
}

/// A single packet whose time is further ahead than this does not move packet time (one bogus
/// timestamp would otherwise time out every live flow); the next packet that is as far ahead
/// confirms the jump (a capture that really resumes later).
pub const MAX_UNCONFIRMED_JUMP: Nanos = 60 * NANOS_PER_SEC;

/// How long the entry of an ended connection stays (packet time): late retransmissions and
/// ACKs are ignored, a new SYN starts a new flow. Bounded by `tcp.timeout`.
pub const CLOSED_LINGER: Nanos = 10 * NANOS_PER_SEC;

/// What a segment did to its connection.
enum Outcome {
    Continue,
    Fin,
    Reset,
}

/// Everything a flow's packet handling borrows from the engine besides the flow.
struct Shared<'a> {
    files: &'a mut FileSink,
    pstats: &'a mut ProtoStats,
    tcp: &'a mut TcpStats,
    ooo_used: &'a mut u64,
    cfg: &'a EngineConfig,
    factory: &'a ParserFactory,
    ts: Nanos,
}

fn dir_index(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn dir_of(i: usize) -> Dir {
    if i == 0 {
        Dir::ToServer
    } else {
        Dir::ToClient
    }
}

/// Counters touched while delivering (kept apart from [`TcpStats`], which the stream borrows).
#[derive(Default)]
struct NoParser {
    bytes: u64,
    flows: u64,
}

impl NoParser {
    fn add_to(&self, t: &mut TcpStats) {
        t.no_parser_bytes += self.bytes;
        t.no_parser_flows += self.flows;
    }
}

/// Hands one delivery of direction `dir` to the flow's parser, or to protocol detection.
fn app_event(
    app: &mut AppState,
    cx: &mut StreamCtx,
    dir: Dir,
    ev: Delivery,
    factory: &ParserFactory,
    pcfg: &ProtoConfig,
    tcp: &mut NoParser,
) {
    let mut next_state: Option<AppState> = None;
    match app {
        AppState::Parser(p) => match ev {
            Delivery::Data(b) => p.data(cx, dir, b),
            Delivery::Gap(n) => p.gap(cx, dir, n),
            Delivery::Fin => p.end(cx, dir, StreamEnd::Fin),
        },
        AppState::Skip => {
            if let Delivery::Data(b) = ev {
                tcp.bytes += b.len() as u64;
            }
        }
        AppState::Detecting(d) => {
            let di = dir_index(dir);
            match ev {
                Delivery::Data(b) => {
                    d.seen += b.len() as u64;
                    let old = d.len[di].min(DETECT_LEN);
                    if !d.done[di] {
                        let take = (DETECT_LEN - old).min(b.len());
                        if let (Some(dst), Some(src)) =
                            (d.buf[di].get_mut(old..old + take), b.get(..take))
                        {
                            dst.copy_from_slice(src);
                        }
                        d.len[di] = old + take;
                        let seen = d.buf[di].get(..d.len[di]).unwrap_or(&[]);
                        if let Some(proto) = crate::proto::detect(dir, seen) {
                            let mut p = factory(proto, pcfg);
                            let oi = 1 - di;
                            if let Some(ob) = d.buf[oi].get(..d.len[oi]) {
                                if !ob.is_empty() {
                                    p.data(cx, dir.flip(), ob);
                                }
                            }
                            if d.fin[oi] {
                                p.end(cx, dir.flip(), StreamEnd::Fin);
                            }
                            if let Some(mine) = d.buf[di].get(..old) {
                                if !mine.is_empty() {
                                    p.data(cx, dir, mine);
                                }
                            }
                            p.data(cx, dir, b);
                            next_state = Some(AppState::Parser(p));
                        } else if d.len[di] >= DETECT_LEN {
                            d.done[di] = true;
                        }
                    }
                }
                Delivery::Gap(_) => d.done[di] = true,
                Delivery::Fin => {
                    d.fin[di] = true;
                    d.done[di] = true;
                }
            }
            if next_state.is_none()
                && (d.done[0] || d.done[1])
                && ((d.done[0] && d.done[1]) || d.seen >= DETECT_WAIT)
            {
                tcp.bytes += d.seen;
                tcp.flows += 1;
                next_state = Some(AppState::Skip);
            }
        }
    }
    if let Some(s) = next_state {
        *app = s;
    }
}

/// Handles one segment of an existing, open flow.
fn handle_segment(f: &mut Flow, di: usize, t: &TcpSeg, sh: &mut Shared) -> Outcome {
    if di == 0 {
        if t.has_ack() && !t.syn() {
            f.client_acked = true;
        }
    } else if !t.syn() && !f.streams[1].is_init() && f.streams[0].syn_seen() && !f.client_acked {
        // The server speaks before answering the SYN. A client in SYN-SENT drops anything but
        // a SYN-ACK (and an RST, which ends nothing here: no data yet), so this segment must
        // not start the server's direction: a FIN with sequence number 0 would end it before
        // the real SYN-ACK (Suricata bug 3286). A lost SYN-ACK is covered by the client's ACK.
        sh.tcp.before_synack += 1;
        return Outcome::Continue;
    }
    if matches!(f.app, AppState::Skip) {
        sh.tcp.no_parser_bytes += t.payload.len() as u64;
        if t.rst() {
            if !f.streams[di].rst_in_window(t.seq) {
                sh.tcp.reset_invalid += 1;
                return Outcome::Continue;
            }
            sh.tcp.resets += 1;
            return Outcome::Reset;
        }
        f.streams[di].skip(t.seq, t.syn(), t.fin(), t.payload.len(), sh.tcp);
        return if f.streams[0].ended() && f.streams[1].ended() {
            Outcome::Fin
        } else {
            Outcome::Continue
        };
    }
    if t.rst() {
        if !f.streams[di].rst_in_window(t.seq) {
            sh.tcp.reset_invalid += 1;
            return Outcome::Continue;
        }
        if !f.data_seen {
            // No byte of either direction yet: no file can be cut short by ignoring it, and a
            // connection that goes on after it (evasion, odd stack) is still followed. One that
            // does not just times out.
            sh.tcp.reset_before_data += 1;
            return Outcome::Continue;
        }
        sh.tcp.resets += 1;
        return Outcome::Reset;
    }
    if !t.payload.is_empty() {
        f.data_seen = true;
    }
    let dir = dir_of(di);
    let mut cx = StreamCtx {
        flow_id: f.id,
        client: f.client,
        server: f.server,
        ts: sh.ts,
        files: &mut *sh.files,
        stats: &mut *sh.pstats,
    };
    let tcfg = &sh.cfg.tcp;
    let mut lim = Limits {
        per_flow: tcfg.max_ooo_per_flow,
        memcap: tcfg.memcap,
        used: &mut *sh.ooo_used,
    };
    let app = &mut f.app;
    let (s0, s1) = f.streams.split_at_mut(1);
    let (mine, peer): (&mut Stream, &mut Stream) = if di == 0 {
        (&mut s0[0], &mut s1[0])
    } else {
        (&mut s1[0], &mut s0[0])
    };
    let pcfg = &sh.cfg.proto;
    let factory = sh.factory;
    let tcp = &mut *sh.tcp;
    {
        let mut tcp_local = NoParser::default();
        let mut out =
            |ev: Delivery| app_event(app, &mut cx, dir, ev, factory, pcfg, &mut tcp_local);
        mine.segment(t.seq, t.syn(), t.fin(), t.payload, tcp, &mut lim, &mut out);
        tcp_local.add_to(tcp);
    }
    if t.has_ack() && peer.is_init() {
        let mut tcp_local = NoParser::default();
        let mut out =
            |ev: Delivery| app_event(app, &mut cx, dir.flip(), ev, factory, pcfg, &mut tcp_local);
        peer.peer_ack(t.ack, tcp, &mut lim, &mut out);
        tcp_local.add_to(tcp);
    }
    if matches!(f.app, AppState::Skip) {
        f.streams[0].clear(&mut lim);
        f.streams[1].clear(&mut lim);
    }
    if f.streams[0].fin_seen() && f.streams[1].fin_seen() {
        // Both sides closed: holes still pending will not be filled.
        Outcome::Fin
    } else {
        Outcome::Continue
    }
}

/// Ends an open flow: gives up holes, ends both directions, finishes the parser.
fn end_flow(f: &mut Flow, how: StreamEnd, sh: &mut Shared) {
    if f.closed {
        return;
    }
    f.closed = true;
    let mut cx = StreamCtx {
        flow_id: f.id,
        client: f.client,
        server: f.server,
        ts: sh.ts,
        files: &mut *sh.files,
        stats: &mut *sh.pstats,
    };
    let tcfg = &sh.cfg.tcp;
    let mut lim = Limits {
        per_flow: tcfg.max_ooo_per_flow,
        memcap: tcfg.memcap,
        used: &mut *sh.ooo_used,
    };
    let pcfg = &sh.cfg.proto;
    let factory = sh.factory;
    let tcp = &mut *sh.tcp;
    let app = &mut f.app;
    if !matches!(app, AppState::Skip) {
        for (di, s) in f.streams.iter_mut().enumerate() {
            let dir = dir_of(di);
            let mut tcp_local = NoParser::default();
            let mut out =
                |ev: Delivery| app_event(app, &mut cx, dir, ev, factory, pcfg, &mut tcp_local);
            if s.is_init() {
                s.flush(tcp, &mut lim, &mut out);
            }
            tcp_local.add_to(tcp);
        }
    }
    if let AppState::Parser(p) = app {
        for (di, s) in f.streams.iter().enumerate() {
            if s.is_init() && !s.ended() {
                p.end(&mut cx, dir_of(di), how);
            }
        }
        p.finish(&mut cx, how);
    }
    f.streams[0].clear(&mut lim);
    f.streams[1].clear(&mut lim);
    f.app = AppState::Skip;
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Self {
        Self::with_parsers(cfg, Box::new(crate::proto::new_parser))
    }

    /// An engine whose parsers come from `factory` (tests plug recording parsers here).
    pub fn with_parsers(cfg: EngineConfig, factory: ParserFactory) -> Self {
        let files = FileSink::new(cfg.files.clone());
        let defrag = defrag::Defrag::new(cfg.tcp.defrag_memcap);
        Engine {
            cfg,
            files,
            stats: EngineStats::default(),
            pstats: ProtoStats::default(),
            now: 0,
            flows: FlowTable::new(),
            defrag,
            factory,
            ooo_used: 0,
            next_check: 0,
            closed: std::collections::VecDeque::new(),
            jump_pending: false,
        }
    }

    /// Handles one captured frame of link type `lt` seen at packet time `ts`.
    pub fn process(&mut self, lt: LinkType, frame: &[u8], ts: Nanos) {
        self.clock(ts);
        self.stats.decode.packets += 1;
        self.stats.decode.bytes += frame.len() as u64;
        if let Some(p) = decode::decode(lt, frame, &mut self.stats.decode) {
            match p.l4 {
                L4::Tcp(t) => self.tcp(p.src, p.dst, &t, ts),
                L4::Fragment(fr) => {
                    if let Some(buf) = self.defrag.push(p.src, p.dst, &fr, self.now) {
                        // TCP, or a tunnel (GRE, VXLAN, ...) whose outer packet was fragmented
                        let st = &mut self.stats.decode;
                        match decode::decode_l4(fr.proto, &buf, p.src, p.dst, st) {
                            Some(decode::Packet {
                                src,
                                dst,
                                l4: L4::Tcp(t),
                            }) => self.tcp(src, dst, &t, ts),
                            Some(_) => st.tunnel_fragments += 1,
                            None => {}
                        }
                    }
                }
            }
        }
        if self.now >= self.next_check {
            self.run_timeouts();
        }
    }

    fn shared(&mut self, ts: Nanos) -> (&mut FlowTable, Shared<'_>) {
        (
            &mut self.flows,
            Shared {
                files: &mut self.files,
                pstats: &mut self.pstats,
                tcp: &mut self.stats.tcp,
                ooo_used: &mut self.ooo_used,
                cfg: &self.cfg,
                factory: &self.factory,
                ts,
            },
        )
    }

    fn tcp(&mut self, src: IpAddr, dst: IpAddr, t: &TcpSeg, ts: Nanos) {
        self.stats.tcp.segments += 1;
        let s = SocketAddr::new(src, t.sport);
        let d = SocketAddr::new(dst, t.dport);
        let key = FlowKey::new(s, d);
        let idx = match self.flows.lookup(&key) {
            Some(i) => {
                let closed = self.flows.get(i).is_some_and(|f| f.closed);
                let new_syn = t.syn()
                    && !t.has_ack()
                    && self
                        .flows
                        .get(i)
                        .is_some_and(|f| f.streams[0].is_new_syn(t.seq) || f.client != s);
                if new_syn && !closed {
                    // The client reconnects on the same 5-tuple before we saw the old one end.
                    self.stats.flows.reused += 1;
                    self.stats.flows.timed_out += 1;
                    let now = self.now;
                    let (flows, mut sh) = self.shared(now);
                    if let Some(f) = flows.get_mut(i) {
                        end_flow(f, StreamEnd::Timeout, &mut sh);
                    }
                    self.flows.remove(i);
                    self.create(key, s, d, t, ts)
                } else if !closed {
                    i
                } else if t.syn() && !t.has_ack() {
                    self.flows.remove(i);
                    self.stats.flows.reused += 1;
                    self.create(key, s, d, t, ts)
                } else {
                    self.stats.tcp.after_end_bytes += t.payload.len() as u64;
                    return;
                }
            }
            None => {
                if t.rst() || (!t.syn() && t.payload.is_empty()) {
                    self.stats.tcp.no_flow += 1;
                    return;
                }
                self.create(key, s, d, t, ts)
            }
        };
        let now = self.now;
        self.flows.touch(idx, now);
        let (flows, mut sh) = self.shared(ts);
        let Some(f) = flows.get_mut(idx) else {
            return;
        };
        let di = if s == f.client { 0 } else { 1 };
        let fid = f.id;
        match handle_segment(f, di, t, &mut sh) {
            Outcome::Continue => return,
            Outcome::Fin => {
                end_flow(f, StreamEnd::Fin, &mut sh);
                self.stats.flows.ended_fin += 1;
            }
            Outcome::Reset => {
                end_flow(f, StreamEnd::Reset, &mut sh);
                self.stats.flows.ended_rst += 1;
            }
        }
        self.closed.push_back((idx, fid, now));
        // Entries of flows already gone (reused tuple, eviction) wait for their time too: cap
        // the queue at the table's size by ending the oldest lingers early.
        if self.closed.len() > self.cfg.tcp.max_flows as usize {
            self.pop_closed();
        }
    }

    fn create(&mut self, key: FlowKey, s: SocketAddr, d: SocketAddr, t: &TcpSeg, ts: Nanos) -> u32 {
        let max = (self.cfg.tcp.max_flows as usize).max(1);
        while self.flows.len() >= max {
            let Some(o) = self.flows.oldest() else { break };
            let closed = self.flows.get(o).is_none_or(|f| f.closed);
            if !closed {
                self.stats.flows.evicted += 1;
                let now = self.now;
                let (flows, mut sh) = self.shared(now);
                if let Some(f) = flows.get_mut(o) {
                    end_flow(f, StreamEnd::Timeout, &mut sh);
                }
            }
            self.flows.remove(o);
        }
        let pc = &self.cfg.proto;
        let (client, server) = if t.syn() && !t.has_ack() {
            (s, d)
        } else if t.syn() {
            (d, s)
        } else {
            self.stats.tcp.midstream += 1;
            // A configured port names the server; failing that, the first segment's content
            // does (a request line comes from the client, a status line from the server);
            // failing that, the lower port is taken for the server.
            let sender = || {
                let payload = t.payload;
                if crate::proto::detect(Dir::ToServer, payload).is_some() {
                    Some(true)
                } else if crate::proto::detect(Dir::ToClient, payload).is_some() {
                    Some(false)
                } else {
                    None
                }
            };
            if pc.by_port(d.port()).is_some() {
                (s, d)
            } else if pc.by_port(s.port()).is_some() {
                (d, s)
            } else if let Some(from_client) = sender() {
                self.stats.tcp.midstream_by_content += 1;
                if from_client {
                    (s, d)
                } else {
                    (d, s)
                }
            } else if s.port() < d.port() {
                (d, s)
            } else {
                (s, d)
            }
        };
        let app = match pc.by_port(server.port()) {
            Some(p) => AppState::Parser((self.factory)(p, pc)),
            None => AppState::Detecting(Box::<Detect>::default()),
        };
        let id = flow::flow_id(&key, ts);
        self.stats.flows.created += 1;
        self.flows
            .insert(Flow::new(key, id, client, server, app, self.now))
    }

    fn run_timeouts(&mut self) {
        self.next_check = self.now.saturating_add(NANOS_PER_SEC);
        self.defrag.expire(self.now);
        let timeout = self.cfg.tcp.timeout;
        while let Some(o) = self.flows.oldest() {
            let Some(f) = self.flows.get(o) else { break };
            if f.last_seen.saturating_add(timeout) > self.now {
                break;
            }
            if !f.closed {
                self.stats.flows.timed_out += 1;
                let now = self.now;
                let (flows, mut sh) = self.shared(now);
                if let Some(f) = flows.get_mut(o) {
                    end_flow(f, StreamEnd::Timeout, &mut sh);
                }
            }
            self.flows.remove(o);
        }
        let linger = CLOSED_LINGER.min(timeout);
        if let Some(until) = self.now.checked_sub(linger) {
            while self.closed.front().is_some_and(|&(_, _, at)| at <= until) {
                self.pop_closed();
            }
        }
    }

    /// Removes the oldest ended connection's entry, if its slot still holds that flow (it may
    /// have been removed and the slot reused since).
    fn pop_closed(&mut self) {
        let Some((i, id, _)) = self.closed.pop_front() else {
            return;
        };
        if self.flows.get(i).is_some_and(|f| f.closed && f.id == id) {
            self.flows.remove(i);
            self.stats.flows.closed_removed += 1;
        }
    }

    /// Moves packet time to `ts` (never back; a far jump forward only once confirmed).
    fn clock(&mut self, ts: Nanos) {
        if self.now != 0 && ts > self.now.saturating_add(MAX_UNCONFIRMED_JUMP) {
            if self.jump_pending {
                self.jump_pending = false;
                self.now = ts;
                self.stats.flows.clock_jumps += 1;
            } else {
                self.jump_pending = true;
                self.stats.flows.clock_jumps_held += 1;
            }
        } else {
            self.jump_pending = false;
            self.now = self.now.max(ts);
        }
    }

    /// Lets packet time pass without a packet (ends idle flows).
    pub fn advance(&mut self, ts: Nanos) {
        self.now = self.now.max(ts);
        self.run_timeouts();
    }

    /// Latest packet time seen.
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Ends every flow (sensor shutdown / end of capture): open files are closed TRUNCATED
    /// unless their protocol completed them. Flows are ended in flow id order.
    pub fn flush(&mut self) {
        for o in self.flows.indices_by_id() {
            let now = self.now;
            let (flows, mut sh) = self.shared(now);
            if let Some(f) = flows.get_mut(o) {
                if !f.closed {
                    end_flow(f, StreamEnd::Timeout, &mut sh);
                    self.stats.flows.flushed += 1;
                }
            }
            self.flows.remove(o);
        }
    }

    /// Moves finished files into `out`.
    pub fn take_events(&mut self, out: &mut Vec<FileEvent>) {
        self.files.take_events(out);
    }

    /// Out-of-order bytes buffered by all flows.
    pub fn ooo_bytes(&self) -> u64 {
        self.ooo_used
    }

    /// Flows tracked (including recently finished ones kept to ignore their late packets).
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// Ended connections waiting out [`CLOSED_LINGER`] (bounded by `tcp.max_flows`).
    pub fn lingering(&self) -> usize {
        self.closed.len()
    }

    /// A snapshot of every counter.
    pub fn stats(&self) -> EngineStats {
        let mut s = self.stats.clone();
        s.defrag = self.defrag.stats.clone();
        s.flows.active = self.flows.len() as u64;
        s.files = self.files.stats.clone();
        s.proto = self.pstats.clone();
        s
    }
}
