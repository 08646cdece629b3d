//! TCP session builder: handshake, data cut into segments of a chosen MSS, ACKs, FIN or RST, and
//! the hostile variants (reordering, retransmissions, overlaps, a lost segment, no handshake, RST
//! mid-transfer), rendered to Ethernet frames (802.1Q / QinQ, IPv4 / IPv6, IPv4 fragments) with
//! etherparse's PacketBuilder, optionally wrapped in a tunnel (GRE, VXLAN) between two routers.

use crate::Rng;
use etherparse::{PacketBuilder, PacketBuilderStep};
use std::net::{IpAddr, SocketAddr};

pub const SYN: u8 = 1;
pub const ACK: u8 = 2;
pub const FIN: u8 = 4;
pub const RST: u8 = 8;
pub const PSH: u8 = 16;

/// Direction of a segment: 0 = client -> server, 1 = server -> client.
pub const C2S: usize = 0;
pub const S2C: usize = 1;

#[derive(Clone, Copy, Debug)]
pub struct Seg {
    pub dir: usize,
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    /// Stream offset of the payload.
    pub off: u64,
    pub len: u32,
}

/// Link-layer framing of a connection.
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// 802.1Q tags, outermost first (0, 1 or 2).
    pub vlans: Vec<u16>,
    /// Cut IPv4 packets whose IP payload exceeds this many bytes into fragments.
    pub frag: Option<usize>,
    /// Carry every frame through this tunnel (outer IPv4 between [`TUNNEL_A`] and [`TUNNEL_B`]).
    pub tunnel: Option<Tunnel>,
}

/// An encapsulation between two tunnel endpoints.
#[derive(Clone, Copy, Debug)]
pub enum Tunnel {
    /// GRE with checksum, key and sequence number present; `teb`: the whole Ethernet frame is
    /// carried (protocol 0x6558), else only the IP packet (0x0800 / 0x86dd).
    Gre { teb: bool },
    /// VXLAN on UDP 4789 (VNI 11); `reserved`: reserved bits set, as some senders do.
    Vxlan { reserved: bool },
}

/// Client-side tunnel endpoint.
pub const TUNNEL_A: [u8; 4] = [192, 0, 2, 1];
/// Server-side tunnel endpoint.
pub const TUNNEL_B: [u8; 4] = [192, 0, 2, 2];

pub struct Conn {
    pub cli: SocketAddr,
    pub srv: SocketAddr,
    pub streams: [Vec<u8>; 2],
    pub segs: Vec<Seg>,
    isn: [u32; 2],
    fin_sent: [bool; 2],
    /// Segment size per direction, or a random size in `small` when set.
    pub mss: [usize; 2],
    pub small: Option<(usize, usize)>,
    pub link: Link,
    rng: Rng,
}

impl Conn {
    /// A connection with its three-way handshake already in place.
    pub fn new(cli: SocketAddr, srv: SocketAddr, seed: u64) -> Conn {
        let mut rng = Rng::new(seed);
        let isn = [rng.next() as u32, rng.next() as u32];
        let mut c = Conn {
            cli,
            srv,
            streams: [Vec::new(), Vec::new()],
            segs: Vec::new(),
            isn,
            fin_sent: [false; 2],
            mss: if cli.is_ipv6() {
                [1440, 1440]
            } else {
                [1460, 1460]
            },
            small: None,
            link: Link::default(),
            rng,
        };
        c.segs.push(Seg {
            dir: C2S,
            flags: SYN,
            seq: isn[0],
            ack: 0,
            off: 0,
            len: 0,
        });
        c.segs.push(Seg {
            dir: S2C,
            flags: SYN | ACK,
            seq: isn[1],
            ack: isn[0].wrapping_add(1),
            off: 0,
            len: 0,
        });
        c.push_ctl(C2S, ACK);
        c
    }

    fn ack_for(&self, dir: usize) -> u32 {
        let o = 1 - dir;
        self.isn[o]
            .wrapping_add(1)
            .wrapping_add(self.streams[o].len() as u32)
            .wrapping_add(self.fin_sent[o] as u32)
    }

    fn push_ctl(&mut self, dir: usize, flags: u8) {
        let off = self.streams[dir].len() as u64;
        let seq = self.isn[dir].wrapping_add(1).wrapping_add(off as u32);
        let ack = self.ack_for(dir);
        self.segs.push(Seg {
            dir,
            flags,
            seq,
            ack,
            off,
            len: 0,
        });
    }

    /// Sends `data` from `dir`; returns the stream offset of its first byte.
    pub fn send(&mut self, dir: usize, data: &[u8]) -> u64 {
        let start = self.streams[dir].len() as u64;
        // The stream grows segment by segment, so an ACK acknowledges what was sent before it.
        self.streams[dir].reserve(data.len());
        let mut pos = 0usize;
        let mut n = 0;
        while pos < data.len() {
            let sz = match self.small {
                Some((lo, hi)) => lo + self.rng.below((hi - lo + 1) as u64) as usize,
                None => self.mss[dir],
            };
            let len = sz.min(data.len() - pos);
            let off = start + pos as u64;
            let seq = self.isn[dir].wrapping_add(1).wrapping_add(off as u32);
            let ack = self.ack_for(dir);
            let last = pos + len == data.len();
            self.streams[dir].extend_from_slice(&data[pos..pos + len]);
            self.segs.push(Seg {
                dir,
                flags: ACK | if last { PSH } else { 0 },
                seq,
                ack,
                off,
                len: len as u32,
            });
            pos += len;
            n += 1;
            if n % 2 == 0 || last {
                self.push_ctl(1 - dir, ACK);
            }
        }
        start
    }

    /// Orderly close: `first` sends FIN, the other side answers FIN, the first ACKs.
    pub fn close(&mut self, first: usize) {
        self.push_ctl(first, FIN | ACK);
        self.fin_sent[first] = true;
        self.push_ctl(1 - first, FIN | ACK);
        self.fin_sent[1 - first] = true;
        self.push_ctl(first, ACK);
    }

    fn data_idx(&self, dir: usize) -> Vec<usize> {
        (0..self.segs.len())
            .filter(|&i| self.segs[i].dir == dir && self.segs[i].len > 0)
            .collect()
    }

    /// Whether the peer sends data between list positions `a` and `b` (a < b): moving data of
    /// `dir` across it would break causality (a client does not send the message before the
    /// server's `354`), which no network reordering can do.
    fn peer_data_between(&self, dir: usize, a: usize, b: usize) -> bool {
        self.segs[a + 1..b]
            .iter()
            .any(|s| s.dir != dir && (s.len > 0 || s.flags & (FIN | RST) != 0))
    }

    /// Swaps pairs of consecutive data segments of `dir` (every `every`-th pair), within one
    /// burst of the sender.
    pub fn reorder(&mut self, dir: usize, every: usize) {
        let idx = self.data_idx(dir);
        let mut k = 0;
        while k + 1 < idx.len() {
            if (k / 2) % every == 0 && !self.peer_data_between(dir, idx[k], idx[k + 1]) {
                self.segs.swap(idx[k], idx[k + 1]);
            }
            k += 2;
        }
    }

    /// Retransmits every `every`-th data segment of `dir` two packets later.
    pub fn duplicate(&mut self, dir: usize, every: usize) {
        let idx = self.data_idx(dir);
        for (n, &i) in idx.iter().enumerate().rev() {
            if n % every == 1 {
                let s = self.segs[i];
                let at = (i + 3).min(self.segs.len());
                self.segs.insert(at, s);
            }
        }
    }

    /// Every `every`-th data segment of `dir` is followed by a segment overlapping it and the
    /// next one (the same bytes), before the next one.
    pub fn overlap(&mut self, dir: usize, every: usize) {
        let idx = self.data_idx(dir);
        for n in (0..idx.len().saturating_sub(1)).rev() {
            if n % every != 0 {
                continue;
            }
            let a = self.segs[idx[n]];
            let b = self.segs[idx[n + 1]];
            if a.off + a.len as u64 != b.off
                || a.len < 2
                || b.len < 2
                || self.peer_data_between(dir, idx[n], idx[n + 1])
            {
                continue;
            }
            let off = a.off + a.len as u64 / 2;
            let len = (b.off + b.len as u64 / 2 - off) as u32;
            let seq = self.isn[dir].wrapping_add(1).wrapping_add(off as u32);
            let s = Seg {
                dir,
                flags: ACK,
                seq,
                ack: b.ack,
                off,
                len,
            };
            self.segs.insert(idx[n + 1], s);
        }
    }

    /// Drops the data segment(s) of `dir` carrying stream offset `at`. Returns the lost range.
    pub fn lose(&mut self, dir: usize, at: u64) -> (u64, u64) {
        let mut lost = (at, at);
        self.segs.retain(|s| {
            let hit = s.dir == dir && s.len > 0 && s.off <= at && at < s.off + s.len as u64;
            if hit {
                lost = (s.off, s.off + s.len as u64);
            }
            !hit
        });
        lost
    }

    /// Removes the handshake (capture starts mid-connection).
    pub fn no_handshake(&mut self) {
        self.segs.drain(0..3);
    }

    /// Cuts the connection at the first data segment of `dir` that reaches past `at`: it and
    /// everything after are dropped, and `dir` sends a RST instead.
    /// Returns the stream offset up to which `dir`'s data was delivered.
    pub fn cut_with_rst(&mut self, dir: usize, at: u64) -> u64 {
        let pos = self
            .segs
            .iter()
            .position(|s| s.dir == dir && s.len > 0 && s.off + s.len as u64 > at)
            .unwrap_or(self.segs.len());
        let delivered = self
            .segs
            .get(pos)
            .map(|s| s.off)
            .unwrap_or(self.streams[dir].len() as u64);
        self.segs.truncate(pos);
        let seq = self.isn[dir].wrapping_add(1).wrapping_add(delivered as u32);
        let ack = self.ack_for(dir);
        self.segs.push(Seg {
            dir,
            flags: RST | ACK,
            seq,
            ack,
            off: delivered,
            len: 0,
        });
        delivered
    }

    /// Renders segment `i` into `out` as one or more frames.
    pub fn render(&self, s: &Seg, ipid: u16, out: &mut Vec<Vec<u8>>) {
        let (src, dst) = if s.dir == C2S {
            (self.cli, self.srv)
        } else {
            (self.srv, self.cli)
        };
        let start = s.off as usize;
        let payload = &self.streams[s.dir][start..start + s.len as usize];
        let mut buf = Vec::with_capacity(payload.len() + 80);
        let l2 = 14 + 4 * self.link.vlans.len();
        write_frame(&mut buf, &self.link.vlans, src, dst, s, ipid, payload);
        let mut frames = Vec::new();
        match (self.link.frag, src.ip()) {
            (Some(max), IpAddr::V4(_)) if buf.len() - l2 - 20 > max => {
                fragment_v4(&buf, l2, max, &mut frames)
            }
            _ => frames.push(buf),
        }
        match self.link.tunnel {
            None => out.extend(frames),
            Some(t) => {
                for (k, f) in frames.iter().enumerate() {
                    let seq = u32::from(ipid).wrapping_mul(8).wrapping_add(k as u32);
                    out.push(encapsulate(t, f, l2, s.dir, ipid, seq));
                }
            }
        }
    }
}

/// Wraps Ethernet frame `inner` (IP header at `l2`) for direction `dir` in tunnel `t`.
fn encapsulate(t: Tunnel, inner: &[u8], l2: usize, dir: usize, ipid: u16, seq: u32) -> Vec<u8> {
    let (a, b) = if dir == C2S {
        (TUNNEL_A, TUNNEL_B)
    } else {
        (TUNNEL_B, TUNNEL_A)
    };
    let (proto, body) = match t {
        Tunnel::Gre { teb } => {
            let (ptype, carried): (u16, &[u8]) = if teb {
                (0x6558, inner)
            } else if inner[l2] >> 4 == 6 {
                (0x86dd, &inner[l2..])
            } else {
                (0x0800, &inner[l2..])
            };
            // C, K and S set: checksum + reserved, key, sequence number
            let mut g = vec![0xb0, 0x00];
            g.extend_from_slice(&ptype.to_be_bytes());
            g.extend_from_slice(&[0, 0, 0, 0]);
            g.extend_from_slice(&0x0102_0304u32.to_be_bytes());
            g.extend_from_slice(&seq.to_be_bytes());
            g.extend_from_slice(carried);
            let mut sum: u32 = 0;
            for c in g.chunks(2) {
                sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            }
            while sum > 0xffff {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            let ck = !(sum as u16);
            g[4..6].copy_from_slice(&ck.to_be_bytes());
            (47u8, g)
        }
        Tunnel::Vxlan { reserved } => {
            let vx: [u8; 8] = if reserved {
                [0xff, 0x01, 0xd1, 0xf2, 0, 0, 11, 0x5a]
            } else {
                [0x08, 0, 0, 0, 0, 0, 11, 0]
            };
            let sport = 49152 + (seq % 1024) as u16;
            let len = (8 + vx.len() + inner.len()) as u16;
            let mut u = Vec::with_capacity(usize::from(len));
            u.extend_from_slice(&sport.to_be_bytes());
            u.extend_from_slice(&4789u16.to_be_bytes());
            u.extend_from_slice(&len.to_be_bytes());
            u.extend_from_slice(&[0, 0]); // no UDP checksum (allowed over IPv4)
            u.extend_from_slice(&vx);
            u.extend_from_slice(inner);
            (17u8, u)
        }
    };
    let mut f = Vec::with_capacity(34 + body.len());
    f.extend_from_slice(&[0x02, 0x00, 0x5e, 0x20, 0x00, b[3]]);
    f.extend_from_slice(&[0x02, 0x00, 0x5e, 0x20, 0x00, a[3]]);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let total = (20 + body.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&ipid.wrapping_add(0x4000).to_be_bytes());
    f.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&a);
    f.extend_from_slice(&b);
    fix_v4_checksum(&mut f[14..34]);
    f.extend_from_slice(&body);
    f
}

fn mac_of(ip: IpAddr) -> [u8; 6] {
    let o = match ip {
        IpAddr::V4(a) => a.octets()[3],
        IpAddr::V6(a) => a.octets()[15],
    };
    [0x02, 0x00, 0x5e, 0x10, 0x00, o]
}

/// Writes one Ethernet frame for segment `s` into `buf` (cleared first).
pub fn write_frame(
    buf: &mut Vec<u8>,
    vlans: &[u16],
    src: SocketAddr,
    dst: SocketAddr,
    s: &Seg,
    ipid: u16,
    payload: &[u8],
) {
    buf.clear();
    let eth = PacketBuilder::ethernet2(mac_of(src.ip()), mac_of(dst.ip()));
    let vid = |v: u16| v.try_into().expect("vlan id < 4096");
    let ip: PacketBuilderStep<etherparse::IpHeaders> = match (vlans, src.ip(), dst.ip()) {
        ([], IpAddr::V4(a), IpAddr::V4(b)) => eth.ipv4(a.octets(), b.octets(), 64),
        ([], IpAddr::V6(a), IpAddr::V6(b)) => eth.ipv6(a.octets(), b.octets(), 64),
        ([v], IpAddr::V4(a), IpAddr::V4(b)) => {
            eth.single_vlan(vid(*v)).ipv4(a.octets(), b.octets(), 64)
        }
        ([v], IpAddr::V6(a), IpAddr::V6(b)) => {
            eth.single_vlan(vid(*v)).ipv6(a.octets(), b.octets(), 64)
        }
        ([o, i, ..], IpAddr::V4(a), IpAddr::V4(b)) => {
            eth.double_vlan(vid(*o), vid(*i))
                .ipv4(a.octets(), b.octets(), 64)
        }
        ([o, i, ..], IpAddr::V6(a), IpAddr::V6(b)) => {
            eth.double_vlan(vid(*o), vid(*i))
                .ipv6(a.octets(), b.octets(), 64)
        }
        _ => panic!("mixed address families in one connection"),
    };
    let mut t = ip.tcp(src.port(), dst.port(), s.seq, 64240);
    if s.flags & SYN != 0 {
        t = t.syn();
    }
    if s.flags & ACK != 0 {
        t = t.ack(s.ack);
    }
    if s.flags & FIN != 0 {
        t = t.fin();
    }
    if s.flags & RST != 0 {
        t = t.rst();
    }
    if s.flags & PSH != 0 {
        t = t.psh();
    }
    t.write(buf, payload).expect("frame fits");
    // etherparse leaves the IPv4 identification at 0; give each packet its own.
    if src.is_ipv4() {
        let l2 = 14 + 4 * vlans.len();
        buf[l2 + 4..l2 + 6].copy_from_slice(&ipid.to_be_bytes());
        fix_v4_checksum(&mut buf[l2..l2 + 20]);
    }
}

fn fix_v4_checksum(h: &mut [u8]) {
    h[10] = 0;
    h[11] = 0;
    let mut sum: u32 = 0;
    for c in h.chunks(2) {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    h[10..12].copy_from_slice(&ck.to_be_bytes());
}

/// Splits the IPv4 packet in `frame` (20-byte header at `l2`) into fragments of at most `max`
/// payload bytes (rounded down to 8), last fragment first for the second half of the packets so
/// that reassembly order is exercised too.
fn fragment_v4(frame: &[u8], l2: usize, max: usize, out: &mut Vec<Vec<u8>>) {
    let max = (max / 8).max(1) * 8;
    let payload = &frame[l2 + 20..];
    let mut frags = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let len = max.min(payload.len() - off);
        let more = off + len < payload.len();
        let mut f = frame[..l2 + 20].to_vec();
        f.extend_from_slice(&payload[off..off + len]);
        let total = (20 + len) as u16;
        f[l2 + 2..l2 + 4].copy_from_slice(&total.to_be_bytes());
        let fo = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
        f[l2 + 6..l2 + 8].copy_from_slice(&fo.to_be_bytes());
        fix_v4_checksum(&mut f[l2..l2 + 20]);
        frags.push(f);
        off += len;
    }
    let id = u16::from_be_bytes([frame[l2 + 4], frame[l2 + 5]]);
    if id % 2 == 1 {
        frags.reverse();
    }
    out.extend(frags);
}
