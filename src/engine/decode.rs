//! Frame decoding: link layers (Ethernet with 802.1Q / QinQ / MPLS / PPPoE, BSD loopback, Linux
//! SLL / SLL2, raw IP, Cisco HDLC), IPv4, IPv6 (extension headers) and TCP, with etherparse
//! header slices for the IP and TCP headers. Nothing is copied: the result borrows the frame.
//! Anything truncated or malformed is counted and skipped, never a panic.

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
    }
}

/// Deepest VLAN / MPLS / IPv6 extension header stack followed.
pub const MAX_DEPTH: usize = 8;

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
            ET_PPPOE => {
                st.pppoe += 1;
                let Some(proto) = be16(p, 6) else {
                    st.truncated += 1;
                    return None;
                };
                p = p.get(8..)?;
                return match proto {
                    0x0021 | 0x0057 => by_version(p, st),
                    _ => {
                        st.non_ip += 1;
                        None
                    }
                };
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
    decode_ip(ip, st)
}

/// Decodes an IP packet (starting at its header).
pub fn decode_ip<'a>(ip: &'a [u8], st: &mut DecodeStats) -> Option<Packet<'a>> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => decode_v4(ip, st),
        Some(6) => decode_v6(ip, st),
        _ => {
            st.non_ip += 1;
            None
        }
    }
}

fn decode_v4<'a>(ip: &'a [u8], st: &mut DecodeStats) -> Option<Packet<'a>> {
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
        if proto != 6 {
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
    if proto != 6 {
        st.non_tcp += 1;
        return None;
    }
    let t = decode_tcp(payload, st)?;
    Some(Packet {
        src,
        dst,
        l4: L4::Tcp(t),
    })
}

fn decode_v6<'a>(ip: &'a [u8], st: &mut DecodeStats) -> Option<Packet<'a>> {
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
            6 => {
                let t = decode_tcp(p, st)?;
                return Some(Packet {
                    src,
                    dst,
                    l4: L4::Tcp(t),
                });
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
                if next != 6 {
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
