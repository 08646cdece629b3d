//! Frame decoding with etherparse: Ethernet, 802.1Q / QinQ, IPv4, IPv6 (extension headers), TCP.
//!
//! TODO(engine helper).

use crate::counters;

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
            _ => None,
        }
    }
}

counters! {
    /// `stats.decode`
    pub struct DecodeStats { packets, bytes }
}
