//! Frame decoding: link layers (Ethernet with 802.1Q / QinQ / MPLS / PPPoE, BSD loopback, Linux
//! SLL / SLL2, raw IP, Cisco HDLC), IPv4, IPv6 (extension headers) and TCP, with etherparse
//! header slices for the IP and TCP headers. Tunnels are opened and the inner packet decoded
//! instead: GRE (IPv4 / IPv6 / MPLS / Ethernet (transparent bridging), ERSPAN I, II and III,
//! enhanced GRE with PPP), VXLAN (UDP 4789), Geneve (UDP 6081), Teredo (UDP 3544) and IP in IP
//! (4in4, 6in4, 4in6, 6in6), up to [`MAX_TUNNELS`] deep. Nothing is copied: the result borrows
//! the frame. Anything truncated or malformed is counted and skipped, never a panic.

use crate::counters;
use etherparse::{IpAuthHeaderSlice, Ipv4HeaderSlice, Ipv6HeaderSlice};
use etherparse::{Ipv6RawExtHeaderSlice, TcpHeaderSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Link type of captured frames (pcap DLT values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    Ethernet,
    /// Raw IPv4/IPv6 (DLT_RAW 12/101, LINKTYPE_IPV4 228, LINKTYPE_IPV6 229).
    RawIp,
    /// Linux cooked capture v1 (113).
    LinuxSll,
    /// Linux cooked capture v2 (276).
    LinuxSll2,
    /// BSD loopback (0) / OpenBSD loop (108).
    Null,
    /// Cisco HDLC (104): 4-byte header, ethertype at bytes 2..4.
    CiscoHdlc,
}

impl LinkType {
    /// From a pcap / pcapng link type number.
    pub fn from_dlt(dlt: u32) -> Option<LinkType> {
        match dlt {
            1 => Some(LinkType::Ethernet),
            12 | 14 | 101 | 228 | 229 => Some(LinkType::RawIp),
            113 => Some(LinkType::LinuxSll),
            276 => Some(LinkType::LinuxSll2),
            0 | 108 => Some(LinkType::Null),
            104 => Some(LinkType::CiscoHdlc),
            _ => None,
        }
    }
}

counters! {
    /// `stats.decode`
    pub struct DecodeStats {
        packets,
        bytes,
        /// Frames carrying no IP (ARP, LLDP, unknown ethertypes, ...).
        non_ip,
        /// IP packets carrying something else than TCP.
        non_tcp,
        /// A header runs past the end of the captured frame.
        truncated,
        /// A header field is impossible (bad version, lengths smaller than the header, ...).
        bad_header,
        vlan,
        /// VLAN / MPLS / extension header stacks deeper than we follow.
        too_deep,
        mpls,
        pppoe,
        ipv4,
        ipv6,
        ipv4_fragments,
        ipv6_fragments,
        tcp,
        /// GRE headers opened.
        gre,
        /// GRE with source routing (RFC 1701), a version other than 0 and 1, or an enhanced
        /// GRE (version 1) header that is not PPTP's: not followed.
        gre_unsupported,
        /// ERSPAN (type I, II or III) headers opened.
        erspan,
        /// PPP frames (PPPoE session, enhanced GRE) carrying something else than IP.
        ppp_non_ip,
        vxlan,
        /// VXLAN headers without the I (valid VNI) flag: not followed.
        vxlan_bad,
        /// VXLAN headers whose reserved bits are not zero (followed anyway).
        vxlan_reserved_set,
        geneve,
        teredo,
        /// IPv4 or IPv6 carried directly in IP (protocols 4 and 41).
        ip_in_ip,
        /// Tunnels nested deeper than [`MAX_TUNNELS`].
        tunnel_too_deep,
        /// Fragments found inside a reassembled tunnel packet (not reassembled again).
        tunnel_fragments,
    }
}

/// Deepest VLAN / MPLS / IPv6 extension header stack followed.
pub const MAX_DEPTH: usize = 8;

/// Deepest tunnel nesting followed (a packet in a packet in a packet ...).
pub const MAX_TUNNELS: usize = 4;

/// A decoded TCP segment, borrowing the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSeg<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;

impl TcpSeg<'_> {
    pub fn syn(&self) -> bool {
        self.flags & SYN != 0
    }
    pub fn fin(&self) -> bool {
        self.flags & FIN != 0
    }
    pub fn rst(&self) -> bool {
        self.flags & RST != 0
    }
    pub fn has_ack(&self) -> bool {
        self.flags & ACK != 0
    }
}

/// One IP fragment (IPv4, or IPv6 with a Fragment header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frag<'a> {
    pub id: u32,
    /// Protocol of the fragmented payload.
    pub proto: u8,
    /// Offset in bytes.
    pub offset: u32,
    pub more: bool,
    pub data: &'a [u8],
}

/// What the IP layer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4<'a> {
    Tcp(TcpSeg<'a>),
    Fragment(Frag<'a>),
}

/// A decoded IP packet carrying TCP or a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub l4: L4<'a>,
}

const ET_IPV4: u16 = 0x0800;
const ET_IPV6: u16 = 0x86dd;
const ET_VLAN: u16 = 0x8100;
const ET_QINQ: u16 = 0x88a8;
const ET_QINQ_OLD: u16 = 0x9100;
const ET_MPLS: u16 = 0x8847;
const ET_MPLS_MC: u16 = 0x8848;
const ET_PPPOE: u16 = 0x8864;
/// Transparent Ethernet bridging: an Ethernet frame follows (GRE, VXLAN, Geneve).
const ET_TEB: u16 = 0x6558;
const ET_ERSPAN2: u16 = 0x88be;
const ET_ERSPAN3: u16 = 0x22eb;
const ET_PPP: u16 = 0x880b;

const PROTO_IPIP: u8 = 4;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_IPV6: u8 = 41;
const PROTO_GRE: u8 = 47;

const PORT_VXLAN: u16 = 4789;
const PORT_GENEVE: u16 = 6081;
const PORT_TEREDO: u16 = 3544;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// The IP packet inside a frame (starting at its IP header), or `None` (counted).
pub fn ip_layer<'a>(lt: LinkType, frame: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    match lt {
        LinkType::Ethernet => match be16(frame, 12) {
            Some(et) => by_ethertype(et, frame.get(14..)?, st),
            None => {
                st.truncated += 1;
                None
            }
        },
        LinkType::RawIp => by_version(frame, st),
        LinkType::LinuxSll => match be16(frame, 14) {
            Some(et) => by_ethertype(et, frame.get(16..)?, st),
            None => {
                st.truncated += 1;
                None
            }
        },
        LinkType::LinuxSll2 => match (be16(frame, 0), frame.get(20..)) {
            (Some(et), Some(rest)) => by_ethertype(et, rest, st),
            _ => {
                st.truncated += 1;
                None
            }
        },
        LinkType::CiscoHdlc => match (be16(frame, 2), frame.get(4..)) {
            (Some(et), Some(rest)) => by_ethertype(et, rest, st),
            _ => {
                st.truncated += 1;
                None
            }
        },
        LinkType::Null => {
            let Some(h) = frame.get(..4) else {
                st.truncated += 1;
                return None;
            };
            let rest = frame.get(4..)?;
            let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            let af_ok = |v: u32| matches!(v, 2 | 24 | 28 | 30);
            if af_ok(le) || af_ok(be) {
                by_version(rest, st)
            } else {
                st.non_ip += 1;
                None
            }
        }
    }
}

fn by_version<'a>(p: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    match p.first().map(|b| b >> 4) {
        Some(4) | Some(6) => Some(p),
        Some(_) => {
            st.non_ip += 1;
            None
        }
        None => {
            st.truncated += 1;
            None
        }
    }
}

fn by_ethertype<'a>(mut et: u16, mut p: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    let mut depth = 0usize;
    loop {
        match et {
            ET_IPV4 | ET_IPV6 => return by_version(p, st),
            ET_VLAN | ET_QINQ | ET_QINQ_OLD => {
                depth += 1;
                if depth > MAX_DEPTH {
                    st.too_deep += 1;
                    return None;
                }
                st.vlan += 1;
                let Some(next) = be16(p, 2) else {
                    st.truncated += 1;
                    return None;
                };
                et = next;
                p = p.get(4..)?;
            }
            ET_MPLS | ET_MPLS_MC => {
                st.mpls += 1;
                for _ in 0..MAX_DEPTH {
                    let Some(l) = p.get(..4) else {
                        st.truncated += 1;
                        return None;
                    };
                    let bottom = l[2] & 1 != 0;
                    p = p.get(4..)?;
                    if bottom {
                        return by_version(p, st);
                    }
                }
                st.too_deep += 1;
                return None;
            }
            ET_TEB => {
                // an Ethernet frame inside a tunnel
                depth += 1;
                if depth > MAX_DEPTH {
                    st.too_deep += 1;
                    return None;
                }
                let (Some(next), Some(rest)) = (be16(p, 12), p.get(14..)) else {
                    st.truncated += 1;
                    return None;
                };
                et = next;
                p = rest;
            }
            ET_PPPOE => {
                // 6-byte PPPoE session header, then a PPP protocol field (maybe compressed to
                // one byte, RFC 1661 PFC) and the packet
                st.pppoe += 1;
                let Some(rest) = p.get(6..) else {
                    st.truncated += 1;
                    return None;
                };
                return ppp(rest, st);
            }
            _ => {
                st.non_ip += 1;
                return None;
            }
        }
    }
}

/// Decodes a frame down to TCP or an IP fragment. `None` for anything else (counted).
pub fn decode<'a>(lt: LinkType, frame: &'a [u8], st: &mut DecodeStats) -> Option<Packet<'a>> {
    let ip = ip_layer(lt, frame, st)?;
    decode_ip_at(ip, st, 0)
}

/// Decodes an IP packet (starting at its header).
pub fn decode_ip<'a>(ip: &'a [u8], st: &mut DecodeStats) -> Option<Packet<'a>> {
    decode_ip_at(ip, st, 0)
}

fn decode_ip_at<'a>(ip: &'a [u8], st: &mut DecodeStats, depth: usize) -> Option<Packet<'a>> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => decode_v4(ip, st, depth),
        Some(6) => decode_v6(ip, st, depth),
        _ => {
            st.non_ip += 1;
            None
        }
    }
}

/// Decodes what an (unfragmented or reassembled) IP packet from `src` to `dst` carries in
/// protocol `proto`: TCP, or a tunnel around another packet, whose own addresses are returned.
pub fn decode_l4<'a>(
    proto: u8,
    l4: &'a [u8],
    src: IpAddr,
    dst: IpAddr,
    st: &mut DecodeStats,
) -> Option<Packet<'a>> {
    l4_at(proto, l4, src, dst, st, 0)
}

fn l4_at<'a>(
    proto: u8,
    l4: &'a [u8],
    src: IpAddr,
    dst: IpAddr,
    st: &mut DecodeStats,
    depth: usize,
) -> Option<Packet<'a>> {
    let inner = match proto {
        PROTO_TCP => {
            let t = decode_tcp(l4, st)?;
            return Some(Packet {
                src,
                dst,
                l4: L4::Tcp(t),
            });
        }
        PROTO_GRE => gre(l4, st)?,
        PROTO_UDP => udp_tunnel(l4, st)?,
        PROTO_IPIP | PROTO_IPV6 => {
            st.ip_in_ip += 1;
            let want = if proto == PROTO_IPIP { 4 } else { 6 };
            if l4.first().map(|b| b >> 4) != Some(want) {
                st.bad_header += 1;
                return None;
            }
            l4
        }
        _ => {
            st.non_tcp += 1;
            return None;
        }
    };
    if depth >= MAX_TUNNELS {
        st.tunnel_too_deep += 1;
        return None;
    }
    decode_ip_at(inner, st, depth + 1)
}

/// Opens a GRE header (RFC 2784 / 2890, RFC 1701 without routing, enhanced GRE of RFC 2637):
/// the IP packet inside, or `None` (counted).
fn gre<'a>(p: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    st.gre += 1;
    let (Some(&f0), Some(&f1), Some(proto)) = (p.first(), p.get(1), be16(p, 2)) else {
        st.truncated += 1;
        return None;
    };
    let seq = f0 & 0x10 != 0;
    let mut hlen = 4usize;
    match f1 & 0x07 {
        0 => {
            if f0 & 0x40 != 0 {
                // RFC 1701 source routing: a list of variable entries, not followed
                st.gre_unsupported += 1;
                return None;
            }
            if f0 & 0x80 != 0 {
                hlen += 4; // checksum + reserved
            }
            if f0 & 0x20 != 0 {
                hlen += 4; // key
            }
            if seq {
                hlen += 4;
            }
        }
        1 => {
            // enhanced GRE (PPTP): key (payload length + call id) always, sequence and
            // acknowledgment numbers optional, PPP inside
            if proto != ET_PPP || f0 & 0x20 == 0 {
                st.gre_unsupported += 1;
                return None;
            }
            hlen += 4;
            if seq {
                hlen += 4;
            }
            if f1 & 0x80 != 0 {
                hlen += 4;
            }
        }
        _ => {
            st.gre_unsupported += 1;
            return None;
        }
    }
    let Some(rest) = p.get(hlen..) else {
        st.truncated += 1;
        return None;
    };
    match proto {
        ET_ERSPAN2 => {
            // type II has an 8-byte header and a sequence number in GRE; type I has neither
            st.erspan += 1;
            let eth = if seq { rest.get(8..) } else { Some(rest) };
            let Some(eth) = eth else {
                st.truncated += 1;
                return None;
            };
            by_ethertype(ET_TEB, eth, st)
        }
        ET_ERSPAN3 => {
            // 12-byte header, then an 8-byte platform-specific subheader when O is set
            st.erspan += 1;
            let Some(&last) = rest.get(11) else {
                st.truncated += 1;
                return None;
            };
            let skip = if last & 0x01 != 0 { 20 } else { 12 };
            let Some(eth) = rest.get(skip..) else {
                st.truncated += 1;
                return None;
            };
            by_ethertype(ET_TEB, eth, st)
        }
        ET_PPP => ppp(rest, st),
        et => by_ethertype(et, rest, st),
    }
}

/// The IP packet in a PPP frame (address / control and protocol field compression allowed).
fn ppp<'a>(p: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    let p = match p.get(..2) {
        Some([0xff, 0x03]) => p.get(2..).unwrap_or(&[]),
        _ => p,
    };
    let (proto, rest) = match p.first() {
        // an odd first byte is a compressed one-byte protocol field
        Some(&b) if b & 1 != 0 => (u16::from(b), p.get(1..)),
        Some(_) => (be16(p, 0).unwrap_or(0), p.get(2..)),
        None => (0, None),
    };
    let Some(rest) = rest else {
        st.truncated += 1;
        return None;
    };
    match proto {
        0x0021 | 0x0057 => by_version(rest, st),
        _ => {
            st.ppp_non_ip += 1;
            None
        }
    }
}

/// The IP packet inside a UDP tunnel (VXLAN, Geneve, Teredo), or `None` (counted).
fn udp_tunnel<'a>(p: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    let (Some(sport), Some(dport), Some(ulen)) = (be16(p, 0), be16(p, 2), be16(p, 4)) else {
        st.truncated += 1;
        return None;
    };
    let ulen = usize::from(ulen);
    if ulen < 8 {
        st.bad_header += 1;
        return None;
    }
    // The UDP length bounds the payload (an Ethernet trailer may follow it); a capture that
    // cut the datagram short is still decoded as far as it goes.
    let body = p.get(8..ulen.min(p.len())).unwrap_or(&[]);
    if dport == PORT_VXLAN {
        vxlan(body, st)
    } else if dport == PORT_GENEVE {
        geneve(body, st)
    } else if dport == PORT_TEREDO || sport == PORT_TEREDO {
        teredo(body, st)
    } else {
        st.non_tcp += 1;
        None
    }
}

/// VXLAN (RFC 7348): 8-byte header, then an Ethernet frame. Only the I flag is required; other
/// set bits (reserved fields, group policy) are counted and tolerated, as receivers do.
fn vxlan<'a>(b: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    st.vxlan += 1;
    let (Some(h), Some(eth)) = (b.get(..8), b.get(8..)) else {
        st.truncated += 1;
        return None;
    };
    if h[0] & 0x08 == 0 {
        st.vxlan_bad += 1;
        return None;
    }
    if h[0] != 0x08 || h[1..4] != [0, 0, 0] || h[7] != 0 {
        st.vxlan_reserved_set += 1;
    }
    by_ethertype(ET_TEB, eth, st)
}

/// Geneve (RFC 8926): 8-byte header plus options, then whatever its protocol type says.
fn geneve<'a>(b: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    st.geneve += 1;
    let (Some(&v), Some(proto)) = (b.first(), be16(b, 2)) else {
        st.truncated += 1;
        return None;
    };
    if v >> 6 != 0 {
        st.bad_header += 1;
        return None;
    }
    let hlen = 8 + usize::from(v & 0x3f) * 4;
    let Some(rest) = b.get(hlen..) else {
        st.truncated += 1;
        return None;
    };
    by_ethertype(proto, rest, st)
}

/// Teredo (RFC 4380): an IPv6 packet, maybe after an origin indication (8 bytes, starts 0x0000)
/// and / or an authentication header (starts 0x0001).
fn teredo<'a>(mut b: &'a [u8], st: &mut DecodeStats) -> Option<&'a [u8]> {
    st.teredo += 1;
    if let (Some(1), Some(&idl), Some(&aul)) = (be16(b, 0), b.get(2), b.get(3)) {
        // 4-byte header, client id, authentication value, 8-byte nonce, 1-byte confirmation
        let n = 4 + usize::from(idl) + usize::from(aul) + 9;
        b = b.get(n..).unwrap_or(&[]);
    }
    if be16(b, 0) == Some(0) {
        b = b.get(8..).unwrap_or(&[]);
    }
    match b.first().map(|v| v >> 4) {
        Some(6) if b.len() >= 40 => Some(b),
        Some(_) => {
            // not an IPv6 packet: some other protocol on the Teredo port
            st.non_tcp += 1;
            None
        }
        None => {
            st.truncated += 1;
            None
        }
    }
}

fn decode_v4<'a>(ip: &'a [u8], st: &mut DecodeStats, depth: usize) -> Option<Packet<'a>> {
    use etherparse::err::ipv4::HeaderSliceError;
    st.ipv4 += 1;
    let h = match Ipv4HeaderSlice::from_slice(ip) {
        Ok(h) => h,
        Err(HeaderSliceError::Len(_)) => {
            st.truncated += 1;
            return None;
        }
        Err(HeaderSliceError::Content(_)) => {
            st.bad_header += 1;
            return None;
        }
    };
    let hlen = h.slice().len();
    let total = usize::from(h.total_len());
    if total < hlen {
        st.bad_header += 1;
        return None;
    }
    let Some(payload) = ip.get(hlen..total) else {
        st.truncated += 1;
        return None;
    };
    let src = IpAddr::V4(h.source_addr());
    let dst = IpAddr::V4(h.destination_addr());
    let proto = h.protocol().0;
    let off = u32::from(h.fragments_offset().value()) * 8;
    if h.more_fragments() || off != 0 {
        if proto != PROTO_TCP && !is_tunnel(proto) {
            st.non_tcp += 1;
            return None;
        }
        st.ipv4_fragments += 1;
        let f = Frag {
            id: u32::from(h.identification()),
            proto,
            offset: off,
            more: h.more_fragments(),
            data: payload,
        };
        return Some(Packet {
            src,
            dst,
            l4: L4::Fragment(f),
        });
    }
    l4_at(proto, payload, src, dst, st, depth)
}

/// Whether IP protocol `proto` may carry a tunnel [`decode_l4`] opens.
fn is_tunnel(proto: u8) -> bool {
    matches!(proto, PROTO_GRE | PROTO_UDP | PROTO_IPIP | PROTO_IPV6)
}

fn decode_v6<'a>(ip: &'a [u8], st: &mut DecodeStats, depth: usize) -> Option<Packet<'a>> {
    use etherparse::err::ipv6::HeaderSliceError;
    st.ipv6 += 1;
    let h = match Ipv6HeaderSlice::from_slice(ip) {
        Ok(h) => h,
        Err(HeaderSliceError::Len(_)) => {
            st.truncated += 1;
            return None;
        }
        Err(HeaderSliceError::Content(_)) => {
            st.bad_header += 1;
            return None;
        }
    };
    let plen = usize::from(h.payload_length());
    if plen == 0 {
        // Jumbograms (hop-by-hop jumbo option) are not followed.
        st.bad_header += 1;
        return None;
    }
    let Some(mut p) = ip.get(40..40 + plen) else {
        st.truncated += 1;
        return None;
    };
    let src = IpAddr::V6(Ipv6Addr::from(h.source()));
    let dst = IpAddr::V6(Ipv6Addr::from(h.destination()));
    let mut next = h.next_header().0;
    for _ in 0..=MAX_DEPTH {
        match next {
            PROTO_TCP | PROTO_GRE | PROTO_UDP | PROTO_IPIP | PROTO_IPV6 => {
                return l4_at(next, p, src, dst, st, depth);
            }
            // hop-by-hop, routing, destination options, mobility, HIP, shim6
            0 | 43 | 60 | 135 | 139 | 140 => {
                let Ok(e) = Ipv6RawExtHeaderSlice::from_slice(p) else {
                    st.truncated += 1;
                    return None;
                };
                next = e.next_header().0;
                p = p.get(e.slice().len()..)?;
            }
            51 => {
                let Ok(e) = IpAuthHeaderSlice::from_slice(p) else {
                    st.truncated += 1;
                    return None;
                };
                next = e.next_header().0;
                p = p.get(e.slice().len()..)?;
            }
            44 => {
                // Parsed by hand: etherparse 0.16's Ipv6FragmentHeaderSlice reads the offset and
                // M bits in the wrong order (RFC 8200: 13-bit offset, 2 reserved bits, M last).
                let (Some(fo), Some(id), Some(&nh)) = (be16(p, 2), p.get(4..8), p.first()) else {
                    st.truncated += 1;
                    return None;
                };
                let rest = p.get(8..)?;
                let off = u32::from(fo & 0xfff8);
                let more = fo & 1 != 0;
                let id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
                next = nh;
                if off == 0 && !more {
                    // atomic fragment: just a header
                    p = rest;
                    continue;
                }
                if next != PROTO_TCP && !is_tunnel(next) {
                    st.non_tcp += 1;
                    return None;
                }
                st.ipv6_fragments += 1;
                let fr = Frag {
                    id,
                    proto: next,
                    offset: off,
                    more,
                    data: rest,
                };
                return Some(Packet {
                    src,
                    dst,
                    l4: L4::Fragment(fr),
                });
            }
            _ => {
                st.non_tcp += 1;
                return None;
            }
        }
    }
    st.too_deep += 1;
    None
}

/// Decodes a TCP header and payload (`l4` is everything after the IP headers).
pub fn decode_tcp<'a>(l4: &'a [u8], st: &mut DecodeStats) -> Option<TcpSeg<'a>> {
    use etherparse::err::tcp::HeaderSliceError;
    let t = match TcpHeaderSlice::from_slice(l4) {
        Ok(t) => t,
        Err(HeaderSliceError::Len(_)) => {
            st.truncated += 1;
            return None;
        }
        Err(HeaderSliceError::Content(_)) => {
            st.bad_header += 1;
            return None;
        }
    };
    st.tcp += 1;
    let payload = l4.get(t.slice().len()..).unwrap_or(&[]);
    let flags = l4.get(13).copied().unwrap_or(0);
    Some(TcpSeg {
        sport: t.source_port(),
        dport: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags,
        payload,
    })
}

/// Unspecified address, used where an address is needed before one is known.
pub const UNSPEC: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_ipv6_and_sll_vlan() {
        let mut st = DecodeStats::default();
        let mut v6 = vec![0x60u8, 0, 0, 0];
        v6.resize(40, 0);
        let f = [&24u32.to_be_bytes()[..], &v6].concat();
        assert_eq!(
            ip_layer(LinkType::Null, &f, &mut st).map(|p| p.len()),
            Some(40)
        );
        let f = [&30u32.to_le_bytes()[..], &v6].concat();
        assert!(ip_layer(LinkType::Null, &f, &mut st).is_some());
        let f = [&7u32.to_le_bytes()[..], &v6].concat();
        assert!(ip_layer(LinkType::Null, &f, &mut st).is_none());
        assert_eq!(st.non_ip, 1);
        // SLL carrying an 802.1Q tag
        let f = [&[0u8; 14][..], &[0x81, 0x00, 0x00, 0x07, 0x86, 0xdd], &v6].concat();
        assert_eq!(
            ip_layer(LinkType::LinuxSll, &f, &mut st).map(|p| p.len()),
            Some(40)
        );
        assert_eq!(st.vlan, 1);
        // payload length 0 (jumbogram) is refused; payload longer than the frame is truncated
        assert!(decode_ip(&v6, &mut st).is_none());
        assert_eq!(st.bad_header, 1);
        v6[5] = 20;
        assert!(decode_ip(&v6, &mut st).is_none());
        assert_eq!(st.truncated, 1);
    }

    fn v4(proto: u8, payload: &[u8], src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut h = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h.extend_from_slice(payload);
        h
    }

    fn tcp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(data);
        t
    }

    fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2u8; 12];
        f.extend_from_slice(&et.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn inner() -> Vec<u8> {
        v4(6, &tcp(1234, 80, b"GET /"), [10, 0, 0, 1], [10, 0, 0, 2])
    }

    fn outer(proto: u8, payload: &[u8]) -> Vec<u8> {
        eth(ET_IPV4, &v4(proto, payload, [192, 0, 2, 1], [192, 0, 2, 2]))
    }

    fn check_inner(p: Option<Packet>) {
        let p = p.expect("inner packet");
        assert_eq!(p.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(p.dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        match p.l4 {
            L4::Tcp(t) => {
                assert_eq!((t.sport, t.dport), (1234, 80));
                assert_eq!(t.payload, b"GET /");
            }
            L4::Fragment(_) => panic!("not a fragment"),
        }
    }

    #[test]
    fn gre_variants_reach_the_inner_tcp() {
        let mut st = DecodeStats::default();
        // plain GRE, IPv4
        let g = [&[0u8, 0, 0x08, 0x00][..], &inner()].concat();
        check_inner(decode(LinkType::Ethernet, &outer(47, &g), &mut st));
        // checksum + key + sequence, transparent Ethernet bridging with a VLAN tag inside
        let tagged = eth(ET_VLAN, &[&[0u8, 5, 0x08, 0x00][..], &inner()].concat());
        let g = [&[0xb0u8, 0, 0x65, 0x58][..], &[7u8; 12], &tagged].concat();
        check_inner(decode(LinkType::Ethernet, &outer(47, &g), &mut st));
        // ERSPAN II (sequence number set, 8-byte ERSPAN header)
        let e = eth(ET_IPV4, &inner());
        let g = [&[0x10u8, 0, 0x88, 0xbe][..], &[0u8; 4], &[1u8; 8], &e].concat();
        check_inner(decode(LinkType::Ethernet, &outer(47, &g), &mut st));
        // ERSPAN III with the platform subheader (O bit)
        let mut h3 = vec![0u8; 20];
        h3[11] = 1;
        let g = [&[0u8, 0, 0x22, 0xeb][..], &h3, &e].concat();
        check_inner(decode(LinkType::Ethernet, &outer(47, &g), &mut st));
        // enhanced GRE (PPTP) with PPP
        let g = [
            &[0x30u8, 0x81, 0x88, 0x0b][..],
            &[0u8; 12],
            &[0xff, 0x03, 0x00, 0x21],
            &inner(),
        ]
        .concat();
        check_inner(decode(LinkType::Ethernet, &outer(47, &g), &mut st));
        assert_eq!(st.gre, 5);
        assert_eq!(st.erspan, 2);
        assert_eq!(st.vlan, 1);
        // GRE over IPv6
        let g = [&[0u8, 0, 0x08, 0x00][..], &inner()].concat();
        let mut v6 = vec![0x60u8, 0, 0, 0];
        v6.extend_from_slice(&(g.len() as u16).to_be_bytes());
        v6.extend_from_slice(&[47, 64]);
        v6.extend_from_slice(&[0xfe; 32]);
        v6.extend_from_slice(&g);
        check_inner(decode(LinkType::Ethernet, &eth(ET_IPV6, &v6), &mut st));
    }

    #[test]
    fn pppoe_with_and_without_protocol_compression() {
        let mut st = DecodeStats::default();
        let hdr = [0x11u8, 0, 0, 0x2d, 0, 0x3d];
        for proto in [&[0x21u8][..], &[0x00, 0x21]] {
            let f = eth(ET_PPPOE, &[&hdr[..], proto, &inner()].concat());
            check_inner(decode(LinkType::Ethernet, &f, &mut st));
        }
        // LCP (0xc021) is not IP; a header cut short is truncated
        let f = eth(ET_PPPOE, &[&hdr[..], &[0xc0, 0x21, 1, 2, 3, 4]].concat());
        assert!(decode(LinkType::Ethernet, &f, &mut st).is_none());
        assert_eq!(st.ppp_non_ip, 1);
        for n in 0..8 {
            let f = eth(ET_PPPOE, &[&hdr[..], &[0x00, 0x21]].concat()[..n]);
            assert!(decode(LinkType::Ethernet, &f, &mut st).is_none());
        }
        assert_eq!(st.pppoe, 11);
    }

    #[test]
    fn vxlan_with_reserved_bits_is_followed() {
        let mut st = DecodeStats::default();
        let body = eth(ET_IPV4, &inner());
        let udp = |vx: [u8; 8]| {
            let mut u = vec![0xc0, 0x00, 0x12, 0xb5];
            u.extend_from_slice(&((16 + body.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(&vx);
            u.extend_from_slice(&body);
            u
        };
        check_inner(decode(
            LinkType::Ethernet,
            &outer(17, &udp([8, 0, 0, 0, 0, 0, 11, 0])),
            &mut st,
        ));
        assert_eq!(st.vxlan_reserved_set, 0);
        // every reserved bit set, as in the wild: still followed, counted
        check_inner(decode(
            LinkType::Ethernet,
            &outer(17, &udp([0xff, 1, 0xd1, 0xf2, 0, 0, 11, 0])),
            &mut st,
        ));
        assert_eq!(st.vxlan_reserved_set, 1);
        // no I flag: refused
        assert!(decode(
            LinkType::Ethernet,
            &outer(17, &udp([0, 0, 0, 0, 0, 0, 11, 0])),
            &mut st
        )
        .is_none());
        assert_eq!(st.vxlan_bad, 1);
        // other UDP: not a tunnel
        let mut u = udp([8, 0, 0, 0, 0, 0, 11, 0]);
        u[2..4].copy_from_slice(&53u16.to_be_bytes());
        assert!(decode(LinkType::Ethernet, &outer(17, &u), &mut st).is_none());
        assert_eq!(st.non_tcp, 1);
    }

    #[test]
    fn hostile_tunnels_are_counted_not_followed() {
        let mut st = DecodeStats::default();
        // GRE with routing, GRE version 5: unsupported
        for f in [[0x40u8, 0, 0x08, 0x00], [0, 5, 0x08, 0x00]] {
            let g = [&f[..], &[0u8; 8], &inner()].concat();
            assert!(decode(LinkType::Ethernet, &outer(47, &g), &mut st).is_none());
        }
        assert_eq!(st.gre_unsupported, 2);
        // every truncation of a keyed, sequenced GRE / a VXLAN frame: no panic, nothing decoded
        let g = [
            &[0xb0u8, 0, 0x65, 0x58][..],
            &[7u8; 12],
            &eth(ET_IPV4, &inner()),
        ]
        .concat();
        for n in 0..g.len() {
            let f = outer(47, &g[..n]);
            assert!(decode(LinkType::Ethernet, &f, &mut st).is_none(), "{n}");
        }
        // a tunnel bomb: IP in IP in IP ... deeper than MAX_TUNNELS
        let mut p = inner();
        for _ in 0..MAX_TUNNELS + 2 {
            p = v4(4, &p, [1, 1, 1, 1], [2, 2, 2, 2]);
        }
        assert!(decode(LinkType::Ethernet, &eth(ET_IPV4, &p), &mut st).is_none());
        assert_eq!(st.tunnel_too_deep, 1);
        // exactly MAX_TUNNELS deep is fine
        let mut p = inner();
        for _ in 0..MAX_TUNNELS {
            p = v4(4, &p, [1, 1, 1, 1], [2, 2, 2, 2]);
        }
        check_inner(decode(LinkType::Ethernet, &eth(ET_IPV4, &p), &mut st));
        // random-ish garbage behind a GRE header never panics
        let mut x = 0x1234_5678u32;
        for n in 0..200usize {
            let mut g = vec![0u8; n % 64];
            for b in g.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            let _ = decode(LinkType::Ethernet, &outer(47, &g), &mut st);
            let _ = decode(LinkType::Ethernet, &outer(17, &g), &mut st);
        }
    }
}
