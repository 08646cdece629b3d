//! Reading and writing pcap (and reading pcapng) files: the link type of a capture for the
//! sensor, packets for tests and benchmarks that drive the engine directly, and the writer used
//! by the capture generator.
//!
//! The reader treats the file as hostile: every length is checked against a cap before anything
//! is allocated, a truncated or corrupt file is an `io::Error` (`InvalidData` or
//! `UnexpectedEof`), never a panic.

use crate::time::{Nanos, NANOS_PER_SEC};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Largest packet (captured length) the reader accepts.
pub const MAX_PACKET: usize = 256 * 1024;
/// Largest pcapng block the reader accepts.
pub const MAX_BLOCK: usize = 1 << 20;
/// Largest number of pcapng interfaces per section.
pub const MAX_INTERFACES: usize = 4096;

const PCAP_US: u32 = 0xa1b2_c3d4;
const PCAP_NS: u32 = 0xa1b2_3c4d;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Packet time.
    pub ts: Nanos,
    /// pcap / pcapng link type (DLT) of the interface it was captured on.
    pub linktype: u32,
    /// Length of the packet on the wire (may exceed `data.len()` when snapped).
    pub orig_len: u32,
    /// Captured bytes.
    pub data: Vec<u8>,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Link type of a pcap file, or of the first interface (IDB) of a pcapng file.
pub fn file_linktype(path: impl AsRef<Path>) -> io::Result<u32> {
    let mut r = PcapReader::open(path)?;
    r.first_linktype()
}

#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: u32,
    /// Timestamp units per second.
    units: u64,
    /// if_tsoffset, seconds.
    offset: i64,
}

enum Kind {
    Pcap { le: bool, ns: bool, linktype: u32 },
    PcapNg { le: bool, ifaces: Vec<Iface> },
}

/// Reads packets from a classic pcap (either byte order, micro- or nanosecond magic) or a pcapng
/// file (SHB, IDB, EPB, SPB, obsolete PB; several sections and interfaces with their own link
/// type and `if_tsresol`). Iterate it, or call [`PcapReader::next_into`] to reuse one buffer.
pub struct PcapReader<R: Read = BufReader<File>> {
    r: R,
    kind: Kind,
    block: Vec<u8>,
    done: bool,
}

impl PcapReader<BufReader<File>> {
    /// Opens a capture file and reads its header.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let f = File::open(path)?;
        PcapReader::new(BufReader::with_capacity(1 << 20, f))
    }
}

fn u16_of(b: &[u8], le: bool) -> u16 {
    let a = [
        b.first().copied().unwrap_or(0),
        b.get(1).copied().unwrap_or(0),
    ];
    if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    }
}

fn u32_of(b: &[u8], le: bool) -> u32 {
    let mut a = [0u8; 4];
    for (i, x) in a.iter_mut().enumerate() {
        *x = b.get(i).copied().unwrap_or(0);
    }
    if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

fn u64_of(b: &[u8], le: bool) -> u64 {
    let mut a = [0u8; 8];
    for (i, x) in a.iter_mut().enumerate() {
        *x = b.get(i).copied().unwrap_or(0);
    }
    if le {
        u64::from_le_bytes(a)
    } else {
        u64::from_be_bytes(a)
    }
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean end of file before the first byte.
fn read_full_or_eof<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => {
                if got == 0 {
                    return Ok(false);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated capture",
                ));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn ts_to_nanos(units_ts: u64, units: u64, offset: i64) -> Nanos {
    let units = units.max(1);
    let ns = (units_ts as u128).saturating_mul(NANOS_PER_SEC as u128) / units as u128;
    let ns = u64::try_from(ns).unwrap_or(u64::MAX);
    if offset >= 0 {
        ns.saturating_add((offset as u64).saturating_mul(NANOS_PER_SEC))
    } else {
        ns.saturating_sub(offset.unsigned_abs().saturating_mul(NANOS_PER_SEC))
    }
}

/// Parses the options of an IDB (starting after the fixed 8 bytes).
fn parse_idb(body: &[u8], le: bool) -> io::Result<Iface> {
    if body.len() < 8 {
        return Err(bad("pcapng: short interface description block"));
    }
    let mut iface = Iface {
        linktype: u16_of(body, le) as u32,
        units: 1_000_000,
        offset: 0,
    };
    let mut opts = body.get(8..).unwrap_or(&[]);
    while opts.len() >= 4 {
        let code = u16_of(opts, le);
        let len = u16_of(&opts[2..], le) as usize;
        let padded = (len + 3) & !3;
        let val = opts
            .get(4..4 + len)
            .ok_or_else(|| bad("pcapng: option overruns block"))?;
        match code {
            0 => break,
            9 => {
                let v = val.first().copied().unwrap_or(6);
                let exp = (v & 0x7f) as u32;
                iface.units = if v & 0x80 == 0 {
                    10u64
                        .checked_pow(exp)
                        .ok_or_else(|| bad("pcapng: if_tsresol out of range"))?
                } else {
                    1u64.checked_shl(exp)
                        .filter(|_| exp < 64)
                        .ok_or_else(|| bad("pcapng: if_tsresol out of range"))?
                };
            }
            14 => iface.offset = u64_of(val, le) as i64,
            _ => {}
        }
        opts = opts.get(4 + padded..).unwrap_or(&[]);
    }
    Ok(iface)
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header from `r`.
    pub fn new(mut r: R) -> io::Result<Self> {
        let mut m = [0u8; 4];
        if !read_full_or_eof(&mut r, &mut m)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "empty capture file",
            ));
        }
        let le_magic = u32::from_le_bytes(m);
        let be_magic = u32::from_be_bytes(m);
        if le_magic == PCAPNG_SHB {
            let mut me = PcapReader {
                r,
                kind: Kind::PcapNg {
                    le: true,
                    ifaces: Vec::new(),
                },
                block: Vec::new(),
                done: false,
            };
            me.read_shb_rest()?;
            return Ok(me);
        }
        let (le, ns) = match (le_magic, be_magic) {
            (PCAP_US, _) => (true, false),
            (PCAP_NS, _) => (true, true),
            (_, PCAP_US) => (false, false),
            (_, PCAP_NS) => (false, true),
            _ => return Err(bad("not a pcap or pcapng file (bad magic)")),
        };
        let mut h = [0u8; 20];
        if !read_full_or_eof(&mut r, &mut h)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated pcap header",
            ));
        }
        let linktype = u32_of(&h[16..], le) & 0x0fff_ffff;
        Ok(PcapReader {
            r,
            kind: Kind::Pcap { le, ns, linktype },
            block: Vec::new(),
            done: false,
        })
    }

    /// After the SHB block type has been read: byte order, length, rest of the block.
    fn read_shb_rest(&mut self) -> io::Result<()> {
        let mut h = [0u8; 8];
        if !read_full_or_eof(&mut self.r, &mut h)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated pcapng section header",
            ));
        }
        let le = match (
            u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
            u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ) {
            (PCAPNG_BOM, _) => true,
            (_, PCAPNG_BOM) => false,
            _ => return Err(bad("pcapng: bad byte-order magic")),
        };
        let total = u32_of(&h, le) as usize;
        if !(28..=MAX_BLOCK).contains(&total) || !total.is_multiple_of(4) {
            return Err(bad("pcapng: bad section header length"));
        }
        let mut rest = vec![0u8; total - 12];
        if !read_full_or_eof(&mut self.r, &mut rest)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated pcapng section header",
            ));
        }
        self.kind = Kind::PcapNg {
            le,
            ifaces: Vec::new(),
        };
        Ok(())
    }

    /// Link type of the file (pcap) or of its first interface (pcapng). Consumes blocks up to the
    /// first IDB in a pcapng file, so call it on a fresh reader.
    fn first_linktype(&mut self) -> io::Result<u32> {
        loop {
            match &self.kind {
                Kind::Pcap { linktype, .. } => return Ok(*linktype),
                Kind::PcapNg { ifaces, .. } => {
                    if let Some(i) = ifaces.first() {
                        return Ok(i.linktype);
                    }
                }
            }
            let mut buf = Vec::new();
            if self.next_into(&mut buf)?.is_none() {
                if let Kind::PcapNg { ifaces, .. } = &self.kind {
                    if let Some(i) = ifaces.first() {
                        return Ok(i.linktype);
                    }
                }
                return Err(bad("pcapng: no interface description block"));
            }
        }
    }

    /// Reads the next packet's bytes into `buf` (replacing its contents) and returns
    /// `(ts, linktype, orig_len)`, or `None` at the end of the file.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<(Nanos, u32, u32)>> {
        if self.done {
            return Ok(None);
        }
        let r = match self.kind {
            Kind::Pcap { le, ns, linktype } => self.next_pcap(le, ns, linktype, buf),
            Kind::PcapNg { le, .. } => self.next_pcapng(le, buf),
        };
        if !matches!(r, Ok(Some(_))) {
            self.done = true;
        }
        r
    }

    fn next_pcap(
        &mut self,
        le: bool,
        ns: bool,
        linktype: u32,
        buf: &mut Vec<u8>,
    ) -> io::Result<Option<(Nanos, u32, u32)>> {
        let mut h = [0u8; 16];
        if !read_full_or_eof(&mut self.r, &mut h)? {
            return Ok(None);
        }
        let sec = u32_of(&h, le) as u64;
        let frac = u32_of(&h[4..], le) as u64;
        let incl = u32_of(&h[8..], le) as usize;
        let orig = u32_of(&h[12..], le);
        if incl > MAX_PACKET {
            return Err(bad("pcap: packet length too large"));
        }
        let frac_ns = if ns { frac } else { frac.saturating_mul(1000) };
        let ts = sec.saturating_mul(NANOS_PER_SEC).saturating_add(frac_ns);
        buf.clear();
        buf.resize(incl, 0);
        if incl > 0 && !read_full_or_eof(&mut self.r, buf)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated pcap packet",
            ));
        }
        Ok(Some((ts, linktype, orig)))
    }

    fn next_pcapng(
        &mut self,
        mut le: bool,
        buf: &mut Vec<u8>,
    ) -> io::Result<Option<(Nanos, u32, u32)>> {
        loop {
            let mut h = [0u8; 8];
            if !read_full_or_eof(&mut self.r, &mut h)? {
                return Ok(None);
            }
            let btype = u32_of(&h, le);
            if btype == PCAPNG_SHB {
                // New section: byte order may change, interfaces restart.
                let mut bom = [0u8; 4];
                if !read_full_or_eof(&mut self.r, &mut bom)? {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "truncated pcapng section header",
                    ));
                }
                le = match (u32::from_le_bytes(bom), u32::from_be_bytes(bom)) {
                    (PCAPNG_BOM, _) => true,
                    (_, PCAPNG_BOM) => false,
                    _ => return Err(bad("pcapng: bad byte-order magic")),
                };
                let total = u32_of(&h[4..], le) as usize;
                if !(28..=MAX_BLOCK).contains(&total) || !total.is_multiple_of(4) {
                    return Err(bad("pcapng: bad section header length"));
                }
                self.block.clear();
                self.block.resize(total - 12, 0);
                if !read_full_or_eof(&mut self.r, &mut self.block)? {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "truncated pcapng section header",
                    ));
                }
                self.kind = Kind::PcapNg {
                    le,
                    ifaces: Vec::new(),
                };
                continue;
            }
            let total = u32_of(&h[4..], le) as usize;
            if !(12..=MAX_BLOCK).contains(&total) || !total.is_multiple_of(4) {
                return Err(bad("pcapng: bad block length"));
            }
            self.block.clear();
            self.block.resize(total - 8, 0);
            if !read_full_or_eof(&mut self.r, &mut self.block)? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated pcapng block",
                ));
            }
            let body_len = total - 12;
            let trailer = u32_of(&self.block[body_len..], le) as usize;
            if trailer != total {
                return Err(bad("pcapng: block trailer length mismatch"));
            }
            let body = &self.block[..body_len];
            let Kind::PcapNg { ifaces, .. } = &mut self.kind else {
                return Err(bad("pcapng: internal state"));
            };
            match btype {
                1 => {
                    if ifaces.len() >= MAX_INTERFACES {
                        return Err(bad("pcapng: too many interfaces"));
                    }
                    ifaces.push(parse_idb(body, le)?);
                }
                2 | 6 => {
                    // 6: EPB (iface u32); 2: obsolete packet block (iface u16, drops u16).
                    if body.len() < 20 {
                        return Err(bad("pcapng: short packet block"));
                    }
                    let if_id = if btype == 6 {
                        u32_of(body, le) as usize
                    } else {
                        u16_of(body, le) as usize
                    };
                    let iface = *ifaces
                        .get(if_id)
                        .ok_or_else(|| bad("pcapng: packet on unknown interface"))?;
                    let tsv =
                        ((u32_of(&body[4..], le) as u64) << 32) | u32_of(&body[8..], le) as u64;
                    let cap = u32_of(&body[12..], le) as usize;
                    let orig = u32_of(&body[16..], le);
                    if cap > MAX_PACKET {
                        return Err(bad("pcapng: packet length too large"));
                    }
                    let data = body
                        .get(20..20 + cap)
                        .ok_or_else(|| bad("pcapng: packet overruns block"))?;
                    buf.clear();
                    buf.extend_from_slice(data);
                    return Ok(Some((
                        ts_to_nanos(tsv, iface.units, iface.offset),
                        iface.linktype,
                        orig,
                    )));
                }
                3 => {
                    if body.len() < 4 {
                        return Err(bad("pcapng: short simple packet block"));
                    }
                    let iface = *ifaces
                        .first()
                        .ok_or_else(|| bad("pcapng: packet on unknown interface"))?;
                    let orig = u32_of(body, le);
                    let cap = (orig as usize).min(body.len() - 4).min(MAX_PACKET);
                    buf.clear();
                    buf.extend_from_slice(&body[4..4 + cap]);
                    // SPB has no timestamp.
                    return Ok(Some((0, iface.linktype, orig)));
                }
                _ => {}
            }
        }
    }
}

impl<R: Read> Iterator for PcapReader<R> {
    type Item = io::Result<Packet>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut data = Vec::new();
        match self.next_into(&mut data) {
            Ok(Some((ts, linktype, orig_len))) => Some(Ok(Packet {
                ts,
                linktype,
                orig_len,
                data,
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// Writes a classic little-endian pcap file with microsecond timestamps.
pub struct PcapWriter<W: Write = BufWriter<File>> {
    w: W,
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the file header.
    pub fn create(path: impl AsRef<Path>, linktype: u32) -> io::Result<Self> {
        let f = File::create(path)?;
        PcapWriter::new(BufWriter::with_capacity(1 << 20, f), linktype)
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header to `w`.
    pub fn new(mut w: W, linktype: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&PCAP_US.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&(MAX_PACKET as u32).to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w })
    }

    /// Appends one frame seen at `ts` (rounded down to the microsecond).
    pub fn write(&mut self, ts: Nanos, frame: &[u8]) -> io::Result<()> {
        if frame.len() > MAX_PACKET {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "frame larger than MAX_PACKET",
            ));
        }
        let sec = u32::try_from(ts / NANOS_PER_SEC)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp past 2106"))?;
        let us = ((ts % NANOS_PER_SEC) / 1000) as u32;
        let len = frame.len() as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&sec.to_le_bytes());
        h[4..8].copy_from_slice(&us.to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(frame)
    }

    /// Flushes buffered packets and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(bytes: &[u8]) -> io::Result<Vec<Packet>> {
        PcapReader::new(Cursor::new(bytes.to_vec()))?.collect()
    }

    fn sample_pcap() -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
        w.write(1_796_306_400_123_456_789, b"hello").unwrap();
        w.write(1_796_306_401_000_001_000, b"").unwrap();
        w.write(1_796_306_402_000_000_000, &[7u8; 1500]).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn pcap_roundtrip() {
        let b = sample_pcap();
        let p = read_all(&b).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].ts, 1_796_306_400_123_456_000);
        assert_eq!(p[0].data, b"hello");
        assert_eq!(p[0].linktype, 1);
        assert_eq!(p[1].data.len(), 0);
        assert_eq!(p[1].ts, 1_796_306_401_000_001_000);
        assert_eq!(p[2].data.len(), 1500);
        assert_eq!(p[2].orig_len, 1500);
    }

    #[test]
    fn pcap_big_endian_and_ns() {
        // Big-endian header, nanosecond magic, link type 101 with FCS bits set.
        let mut b = Vec::new();
        b.extend_from_slice(&PCAP_NS.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes());
        b.extend_from_slice(&4u16.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&(0x1000_0000u32 | 101).to_be_bytes());
        b.extend_from_slice(&5u32.to_be_bytes());
        b.extend_from_slice(&7u32.to_be_bytes());
        b.extend_from_slice(&3u32.to_be_bytes());
        b.extend_from_slice(&3u32.to_be_bytes());
        b.extend_from_slice(b"abc");
        let p = read_all(&b).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].ts, 5 * NANOS_PER_SEC + 7);
        assert_eq!(p[0].linktype, 101);
        assert_eq!(p[0].data, b"abc");
    }

    #[test]
    fn pcap_truncated_every_length() {
        let b = sample_pcap();
        for cut in 0..b.len() {
            let r = PcapReader::new(Cursor::new(b[..cut].to_vec()))
                .and_then(|r| r.collect::<io::Result<Vec<_>>>());
            // Cuts at a record boundary are a clean, shorter file; every other cut is an error.
            let boundaries = [24usize, 24 + 16 + 5, 24 + 16 + 5 + 16];
            if boundaries.contains(&cut) {
                assert!(r.is_ok(), "cut {cut}");
            } else {
                assert!(r.is_err(), "cut {cut} should be an error");
            }
        }
    }

    #[test]
    fn pcap_corrupt() {
        assert!(read_all(b"not a pcap file at all.....").is_err());
        let mut b = sample_pcap();
        // incl_len of the first record = 0xffffffff
        b[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_all(&b).is_err());
        assert!(read_all(&[]).is_err());
    }

    fn opt(code: u16, val: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend_from_slice(&code.to_le_bytes());
        o.extend_from_slice(&(val.len() as u16).to_le_bytes());
        o.extend_from_slice(val);
        while !o.len().is_multiple_of(4) {
            o.push(0);
        }
        o
    }

    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let total = (body.len() + 12) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&t.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&total.to_le_bytes());
        b
    }

    fn shb() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&PCAPNG_BOM.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        block(PCAPNG_SHB, &body)
    }

    fn idb(lt: u16, tsresol: Option<u8>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&lt.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        if let Some(r) = tsresol {
            body.extend(opt(9, &[r]));
            body.extend(opt(0, &[]));
        }
        block(1, &body)
    }

    fn epb(iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        block(6, &body)
    }

    fn sample_ng() -> Vec<u8> {
        let mut b = shb();
        b.extend(idb(1, None)); // microseconds
        b.extend(idb(101, Some(9))); // nanoseconds
        b.extend(block(5, b"statistics block is skipped")); // ISB: skipped
        b.extend(epb(0, 1_500_000, b"eth"));
        b.extend(epb(1, 2_000_000_123, b"raw-ip"));
        let mut spb = Vec::new();
        spb.extend_from_slice(&5u32.to_le_bytes());
        spb.extend_from_slice(b"simpl");
        b.extend(block(3, &spb));
        b
    }

    #[test]
    fn pcapng_interfaces_and_resolutions() {
        let b = sample_ng();
        let p = read_all(&b).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            (p[0].ts, p[0].linktype, &p[0].data[..]),
            (1_500_000_000, 1, &b"eth"[..])
        );
        assert_eq!(
            (p[1].ts, p[1].linktype, &p[1].data[..]),
            (2_000_000_123, 101, &b"raw-ip"[..])
        );
        assert_eq!((p[2].linktype, &p[2].data[..]), (1, &b"simpl"[..]));
    }

    #[test]
    fn pcapng_binary_tsresol_and_second_section() {
        let mut b = shb();
        b.extend(idb(113, Some(0x80 | 10))); // 1/1024 s
        b.extend(epb(0, 2048, b"x"));
        b.extend(shb());
        b.extend(idb(276, None));
        b.extend(epb(0, 3, b"y"));
        let p = read_all(&b).unwrap();
        assert_eq!(p[0].ts, 2 * NANOS_PER_SEC);
        assert_eq!(p[0].linktype, 113);
        assert_eq!(p[1].ts, 3000);
        assert_eq!(p[1].linktype, 276);
    }

    #[test]
    fn pcapng_truncated_and_corrupt() {
        let b = sample_ng();
        for cut in 1..b.len() {
            let r = PcapReader::new(Cursor::new(b[..cut].to_vec()))
                .and_then(|r| r.collect::<io::Result<Vec<_>>>());
            // Never a panic; a cut inside a block is an error.
            if let Ok(p) = r {
                assert!(p.len() <= 3);
            }
        }
        // Unknown interface id.
        let mut c = shb();
        c.extend(epb(3, 0, b"z"));
        assert!(read_all(&c).is_err());
        // Trailer length mismatch.
        let mut d = shb();
        let mut i = idb(1, None);
        let n = i.len();
        i[n - 4] ^= 0x40;
        d.extend(i);
        assert!(read_all(&d).is_err());
        // Absurd block length.
        let mut e = shb();
        e.extend_from_slice(&6u32.to_le_bytes());
        e.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_all(&e).is_err());
        // Absurd if_tsresol.
        let mut f = shb();
        f.extend(idb(1, Some(100)));
        assert!(read_all(&f).is_err());
    }

    #[test]
    fn linktype_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let p1 = dir.path().join("a.pcap");
        let mut w = PcapWriter::create(&p1, 1).unwrap();
        w.write(0, b"x").unwrap();
        w.finish().unwrap();
        assert_eq!(file_linktype(&p1).unwrap(), 1);
        let p2 = dir.path().join("b.pcapng");
        let mut ng = shb();
        ng.extend(idb(228, None));
        std::fs::write(&p2, ng).unwrap();
        assert_eq!(file_linktype(&p2).unwrap(), 228);
        let p3 = dir.path().join("c.pcapng");
        std::fs::write(&p3, shb()).unwrap();
        assert!(file_linktype(&p3).is_err());
        assert!(file_linktype(dir.path().join("missing")).is_err());
    }
}
