//! Benchmark captures, streamed to disk with bounded memory: many interleaved HTTP flows across
//! hundreds of hosts carrying files of 1 KB .. 2 MB (mostly binary types) plus TLS-looking flows
//! of small packets on 443/8443 that carry no file (`bench`), or only the latter (`bench-nofile`).
//! File bodies are slices of one random pool behind a real file header, so nothing large is
//! built per flow and no allocation happens per packet.

use crate::tcp::{write_frame, Seg, ACK, C2S, FIN, PSH, S2C, SYN};
use crate::{Rng, BASE_TS};
use fmon::pcap::PcapWriter;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

const POOL: usize = 4 << 20;
const SLOTS: usize = 64;

enum Body {
    Bytes(Vec<u8>),
    /// `head` then `len - head.len()` bytes of the pool from `off`.
    File {
        head: Vec<u8>,
        off: usize,
        len: usize,
    },
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::Bytes(b) => b.len(),
            Body::File { len, .. } => *len,
        }
    }
    fn copy(&self, pool: &[u8], at: usize, out: &mut Vec<u8>, n: usize) {
        out.clear();
        match self {
            Body::Bytes(b) => out.extend_from_slice(&b[at..at + n]),
            Body::File { head, off, .. } => {
                let mut p = at;
                let end = at + n;
                if p < head.len() {
                    let e = end.min(head.len());
                    out.extend_from_slice(&head[p..e]);
                    p = e;
                }
                while p < end {
                    let q = (off + p - head.len()) % pool.len();
                    let take = (end - p).min(pool.len() - q);
                    out.extend_from_slice(&pool[q..q + take]);
                    p += take;
                }
            }
        }
    }
}

struct Flow {
    cli: SocketAddr,
    srv: SocketAddr,
    isn: [u32; 2],
    sent: [u32; 2],
    msgs: Vec<(usize, Body)>,
    msg: usize,
    at: usize,
    stage: u8,
    unacked: u32,
    mss: usize,
}

impl Flow {
    fn seg(&self, dir: usize, flags: u8, len: usize) -> Seg {
        Seg {
            dir,
            flags,
            seq: self.isn[dir].wrapping_add(1).wrapping_add(self.sent[dir]),
            ack: self.isn[1 - dir]
                .wrapping_add(1)
                .wrapping_add(self.sent[1 - dir]),
            off: 0,
            len: len as u32,
        }
    }

    /// Next packet: fills `payload`, returns the segment, or None when the flow is over.
    fn next(&mut self, pool: &[u8], payload: &mut Vec<u8>) -> Option<Seg> {
        payload.clear();
        match self.stage {
            0 => {
                self.stage = 1;
                return Some(Seg {
                    dir: C2S,
                    flags: SYN,
                    seq: self.isn[0],
                    ack: 0,
                    off: 0,
                    len: 0,
                });
            }
            1 => {
                self.stage = 2;
                return Some(Seg {
                    dir: S2C,
                    flags: SYN | ACK,
                    seq: self.isn[1],
                    ack: self.isn[0].wrapping_add(1),
                    off: 0,
                    len: 0,
                });
            }
            2 => {
                self.stage = 3;
                return Some(self.seg(C2S, ACK, 0));
            }
            _ => {}
        }
        if self.stage == 3 {
            if let Some((dir, body)) = self.msgs.get(self.msg) {
                let dir = *dir;
                if self.unacked >= 2 || (self.at == body.len() && self.unacked > 0) {
                    self.unacked = 0;
                    let s = self.seg(1 - dir, ACK, 0);
                    if self.at == body.len() {
                        self.msg += 1;
                        self.at = 0;
                    }
                    return Some(s);
                }
                let n = self.mss.min(body.len() - self.at);
                body.copy(pool, self.at, payload, n);
                let last = self.at + n == body.len();
                let s = self.seg(dir, ACK | if last { PSH } else { 0 }, n);
                self.at += n;
                self.sent[dir] = self.sent[dir].wrapping_add(n as u32);
                self.unacked += 1;
                return Some(s);
            }
            self.stage = 4;
        }
        let s = match self.stage {
            4 => self.seg(C2S, FIN | ACK, 0),
            5 => self.seg(S2C, FIN | ACK, 0),
            6 => self.seg(C2S, ACK, 0),
            _ => return None,
        };
        match self.stage {
            4 => self.sent[C2S] = self.sent[C2S].wrapping_add(1),
            5 => self.sent[S2C] = self.sent[S2C].wrapping_add(1),
            _ => {}
        }
        self.stage += 1;
        Some(s)
    }
}

fn head_for(kind: u64, len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut h = match kind {
        0..=3 => {
            // PE
            let mut b = vec![0u8; 0x200];
            b[0] = b'M';
            b[1] = b'Z';
            b[0x3c] = 0x80;
            b[0x80..0x84].copy_from_slice(b"PE\0\0");
            b[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
            b[0x86] = 1;
            b[0x94] = 0xf0;
            let ch: u16 = if kind == 3 { 0x2022 } else { 0x0022 };
            b[0x96..0x98].copy_from_slice(&ch.to_le_bytes());
            b[0x98..0x9a].copy_from_slice(&0x20bu16.to_le_bytes());
            b
        }
        4 => b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec(),
        5 | 6 => b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec(),
        7 => b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0".to_vec(),
        8 => vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
        _ => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    };
    h.truncate(len);
    let _ = rng;
    h
}

fn addr(rng: &mut Rng, internal: bool) -> IpAddr {
    if internal {
        IpAddr::V4(Ipv4Addr::new(
            10,
            1,
            rng.below(4) as u8,
            1 + rng.below(250) as u8,
        ))
    } else if rng.below(2) == 0 {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1 + rng.below(250) as u8))
    } else {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1 + rng.below(250) as u8))
    }
}

fn new_flow(rng: &mut Rng, files: bool, max_file: usize, stats: &mut (u64, u64)) -> Flow {
    let cli = SocketAddr::new(addr(rng, true), 20000 + rng.below(40000) as u16);
    let file_flow = files && rng.below(10) < 7;
    let mut msgs = Vec::new();
    let srv_port;
    let mut mss = 1460;
    if file_flow {
        srv_port = 80;
        let nfiles = 1 + rng.below(3);
        for i in 0..nfiles {
            let len = match rng.below(10) {
                0..=3 => 1024 + rng.below(16 << 10) as usize,
                4..=7 => (16 << 10) + rng.below(256 << 10) as usize,
                _ => (256 << 10) + rng.below((2 << 20) - (256 << 10)) as usize,
            }
            .min(max_file);
            let kind = rng.below(10);
            let req = format!("GET /bench/{}/{i}.bin HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\n\r\n", rng.below(1 << 30));
            msgs.push((C2S, Body::Bytes(req.into_bytes())));
            let hdr = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n");
            msgs.push((S2C, Body::Bytes(hdr.into_bytes())));
            let head = head_for(kind, len, rng);
            msgs.push((
                S2C,
                Body::File {
                    head,
                    off: rng.below(POOL as u64) as usize,
                    len,
                },
            ));
            stats.1 += 1;
        }
    } else {
        srv_port = if rng.below(2) == 0 { 443 } else { 8443 };
        let n = if files {
            10 + rng.below(40)
        } else {
            4 + rng.below(12)
        };
        for _ in 0..n {
            let dir = rng.below(2) as usize;
            let len = if files {
                40 + rng.below(260) as usize
            } else {
                1 + rng.below(24) as usize
            };
            let mut rec = vec![0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
            let mut rest = vec![0u8; len];
            rng.fill(&mut rest);
            rec.extend(rest);
            msgs.push((dir, Body::Bytes(rec)));
        }
        mss = 1400;
    }
    stats.0 += 1;
    Flow {
        cli,
        srv: SocketAddr::new(addr(rng, false), srv_port),
        isn: [rng.next() as u32, rng.next() as u32],
        sent: [0, 0],
        msgs,
        msg: 0,
        at: 0,
        stage: 0,
        unacked: 0,
        mss,
    }
}

/// Writes a benchmark capture of about `size` bytes to `path`.
pub fn write(path: &Path, size: u64, files: bool) -> io::Result<()> {
    let mut rng = Rng::new(if files { 0xbe7c } else { 0x0f11e });
    let mut pool = vec![0u8; POOL];
    rng.fill(&mut pool);
    let mut w = PcapWriter::create(path, 1)?;
    let mut stats = (0u64, 0u64);
    // Small captures get smaller files so that finishing the open flows stays within ~10 %.
    let max_file = ((size / (SLOTS as u64 * 8)) as usize).clamp(2048, 2 << 20);
    let mut slots: Vec<Flow> = (0..SLOTS)
        .map(|_| new_flow(&mut rng, files, max_file, &mut stats))
        .collect();
    let mut payload = Vec::with_capacity(2048);
    let mut frame = Vec::with_capacity(2048);
    let (mut bytes, mut packets) = (24u64, 0u64);
    let mut ts = BASE_TS;
    let mut ipid: u16 = 0;
    // Past `size`, no new flow starts and the open ones run to their end.
    let mut live = SLOTS;
    let mut done = [false; SLOTS];
    while live > 0 {
        let k = rng.below(SLOTS as u64) as usize;
        if done[k] {
            continue;
        }
        let seg = match slots[k].next(&pool, &mut payload) {
            Some(s) => s,
            None => {
                if bytes < size {
                    slots[k] = new_flow(&mut rng, files, max_file, &mut stats);
                } else {
                    done[k] = true;
                    live -= 1;
                }
                continue;
            }
        };
        let f = &slots[k];
        let (src, dst) = if seg.dir == C2S {
            (f.cli, f.srv)
        } else {
            (f.srv, f.cli)
        };
        ipid = ipid.wrapping_add(1);
        write_frame(&mut frame, &[], src, dst, &seg, ipid, &payload);
        w.write(ts, &frame)?;
        ts += 1_000;
        bytes += 16 + frame.len() as u64;
        packets += 1;
    }
    w.finish()?;
    eprintln!(
        "fmon-pcapgen: {} bytes, {packets} packets, {} flows, {} files",
        bytes, stats.0, stats.1
    );
    Ok(())
}
