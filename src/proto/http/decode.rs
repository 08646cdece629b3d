//! Streaming Content-Encoding decoders for HTTP bodies: gzip / x-gzip, deflate (zlib-wrapped or
//! raw, detected from the first two bytes) and brotli. Input arrives in arbitrary pieces (one
//! byte at a time works); output goes out through a callback in bounded blocks and stops at a
//! byte cap (`ProtoConfig::max_decoded`), so a decompression bomb costs at most the cap.

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
use flate2::{Decompress, FlushDecompress, Status};

/// Output block size of one decoder.
const OUT_BLOCK: usize = 16 << 10;

/// Which coding a body carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    /// The coding named by a Content-Encoding token (`identity` and unknown ones are `None`).
    pub fn from_token(t: &str) -> Option<Coding> {
        let t = t.trim();
        if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
            Some(Coding::Gzip)
        } else if t.eq_ignore_ascii_case("deflate") {
            Some(Coding::Deflate)
        } else if t.eq_ignore_ascii_case("br") {
            Some(Coding::Brotli)
        } else {
            None
        }
    }
}

/// State of a decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecState {
    /// More input expected.
    Running,
    /// The compressed stream ended properly; later input is ignored.
    Done,
    /// The stream is corrupt; nothing more is produced.
    Failed,
    /// The output cap was reached; nothing more is produced.
    Capped,
    /// The body was not encoded after all (it failed to decode in its first bytes, before any
    /// output): it goes out as it is, as browsers do.
    Passthrough,
}

/// Input kept while nothing has been decoded yet, for [`DecState::Passthrough`].
const PREFIX_KEEP: usize = 256;

type Brotli = BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>;

enum Engine {
    /// Gzip member header being skipped: step and bytes left in the step.
    GzHeader(GzHdr),
    /// First byte of a deflate body, waiting for the second to tell zlib from raw.
    DeflateSniff(Option<u8>),
    Inflate(Box<Decompress>),
    Brotli(Box<Brotli>),
    Idle,
}

#[derive(Default)]
struct GzHdr {
    /// Bytes of the fixed 10-byte header seen.
    fixed: usize,
    flags: u8,
    /// 0 fixed, 1 extra length, 2 extra data, 3 name, 4 comment, 5 header crc.
    step: u8,
    /// Counter within the step (bytes of length read / left to skip).
    n: u32,
    xlen: u32,
}

/// A streaming, capped decoder for one body.
pub struct ContentDecoder {
    engine: Engine,
    state: DecState,
    produced: u64,
    cap: u64,
    out: Box<[u8]>,
    /// Every input byte while nothing was produced (at most [`PREFIX_KEEP`]).
    prefix: Vec<u8>,
    seen: u64,
    /// May still turn into a passthrough: not gzip (deflate and brotli have no magic), or a
    /// gzip whose magic was wrong. A gzip with a good header that fails later is corrupt.
    may_pass: bool,
}

impl ContentDecoder {
    /// A decoder for `coding` that produces at most `cap` bytes.
    pub fn new(coding: Coding, cap: u64) -> Self {
        let engine = match coding {
            Coding::Gzip => Engine::GzHeader(GzHdr::default()),
            Coding::Deflate => Engine::DeflateSniff(None),
            Coding::Brotli => {
                let mut st = Brotli::new(
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                );
                // Standard brotli windows only (at most 16 MiB), not the 1 GiB "large window".
                st.large_window = false;
                Engine::Brotli(Box::new(st))
            }
        };
        ContentDecoder {
            engine,
            state: DecState::Running,
            produced: 0,
            cap,
            out: vec![0u8; OUT_BLOCK].into_boxed_slice(),
            prefix: Vec::new(),
            seen: 0,
            may_pass: coding != Coding::Gzip,
        }
    }

    pub fn state(&self) -> DecState {
        self.state
    }

    /// Decoded bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Marks the stream broken (bytes were lost): nothing more is decoded.
    pub fn fail(&mut self) {
        if matches!(self.state, DecState::Running | DecState::Passthrough) {
            self.state = DecState::Failed;
        }
        self.engine = Engine::Idle;
    }

    /// Decodes `input`, handing decoded blocks to `emit`.
    pub fn push(&mut self, input: &[u8], emit: &mut dyn FnMut(&[u8])) {
        if self.state == DecState::Passthrough {
            self.give(input, emit);
            return;
        }
        if self.produced == 0 && self.state == DecState::Running {
            self.seen = self.seen.saturating_add(input.len() as u64);
            if self.seen <= PREFIX_KEEP as u64 {
                self.prefix.extend_from_slice(input);
            } else {
                self.prefix = Vec::new();
            }
        }
        self.decode(input, emit);
        if self.state == DecState::Failed
            && self.may_pass
            && self.produced == 0
            && self.seen <= PREFIX_KEEP as u64
        {
            let raw = std::mem::take(&mut self.prefix);
            self.state = DecState::Passthrough;
            self.engine = Engine::Idle;
            self.give(&raw, emit);
        } else if self.produced > 0 && !self.prefix.is_empty() {
            self.prefix = Vec::new();
        }
    }

    fn decode(&mut self, mut input: &[u8], emit: &mut dyn FnMut(&[u8])) {
        while !input.is_empty() && self.state == DecState::Running {
            match &mut self.engine {
                Engine::GzHeader(h) => {
                    let used = gz_header(h, input);
                    match used {
                        GzStep::Need => return,
                        GzStep::Bad => {
                            self.may_pass = true;
                            self.state = DecState::Failed;
                            self.engine = Engine::Idle;
                            return;
                        }
                        GzStep::Done(n) => {
                            input = input.get(n..).unwrap_or_default();
                            self.engine = Engine::Inflate(Box::new(Decompress::new(false)));
                        }
                    }
                }
                Engine::DeflateSniff(first) => match *first {
                    None => {
                        *first = input.first().copied();
                        input = input.get(1..).unwrap_or_default();
                    }
                    Some(b0) => {
                        let b1 = input.first().copied().unwrap_or(0);
                        let zlib = b0 & 0x0f == 8
                            && b0 >> 4 <= 7
                            && ((u16::from(b0) << 8) | u16::from(b1)) % 31 == 0;
                        let mut z = Box::new(Decompress::new(zlib));
                        self.engine = Engine::Idle;
                        self.inflate(&mut z, &[b0], emit);
                        if self.state == DecState::Running {
                            self.engine = Engine::Inflate(z);
                        }
                    }
                },
                Engine::Inflate(_) => {
                    let Engine::Inflate(mut z) = std::mem::replace(&mut self.engine, Engine::Idle)
                    else {
                        return;
                    };
                    self.inflate(&mut z, input, emit);
                    if self.state == DecState::Running {
                        self.engine = Engine::Inflate(z);
                    }
                    return;
                }
                Engine::Brotli(_) => {
                    let Engine::Brotli(mut b) = std::mem::replace(&mut self.engine, Engine::Idle)
                    else {
                        return;
                    };
                    self.brotli(&mut b, input, emit);
                    if self.state == DecState::Running {
                        self.engine = Engine::Brotli(b);
                    }
                    return;
                }
                Engine::Idle => return,
            }
        }
    }

    /// The body ended. A deflate body of a single byte is finished here.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&[u8])) {
        if let Engine::DeflateSniff(Some(b0)) = self.engine {
            let mut z = Box::new(Decompress::new(false));
            self.engine = Engine::Idle;
            self.inflate(&mut z, &[b0], emit);
        }
    }

    /// Emits `data` up to the cap. Returns false when the cap stopped it.
    fn give(&mut self, data: &[u8], emit: &mut dyn FnMut(&[u8])) -> bool {
        let room = self.cap.saturating_sub(self.produced);
        let take = (data.len() as u64).min(room) as usize;
        if let Some(part) = data.get(..take) {
            if !part.is_empty() {
                emit(part);
            }
        }
        self.produced = self.produced.saturating_add(take as u64);
        if take < data.len() {
            self.state = DecState::Capped;
            return false;
        }
        true
    }

    fn inflate(&mut self, z: &mut Decompress, mut input: &[u8], emit: &mut dyn FnMut(&[u8])) {
        let mut out = std::mem::take(&mut self.out);
        loop {
            let (in0, out0) = (z.total_in(), z.total_out());
            let r = z.decompress(input, &mut out, FlushDecompress::None);
            let used = (z.total_in().saturating_sub(in0)) as usize;
            let made = (z.total_out().saturating_sub(out0)) as usize;
            input = input.get(used..).unwrap_or_default();
            if !self.give(out.get(..made).unwrap_or_default(), emit) {
                break;
            }
            match r {
                Err(_) => {
                    self.state = DecState::Failed;
                    break;
                }
                Ok(Status::StreamEnd) => {
                    self.state = DecState::Done;
                    break;
                }
                Ok(_) => {
                    if made < out.len() && (input.is_empty() || used == 0) {
                        break;
                    }
                }
            }
        }
        self.out = out;
    }

    fn brotli(&mut self, st: &mut Brotli, input: &[u8], emit: &mut dyn FnMut(&[u8])) {
        let mut out = std::mem::take(&mut self.out);
        let mut avail_in = input.len();
        let mut in_off = 0usize;
        let mut total = 0usize;
        loop {
            let mut avail_out = out.len();
            let mut out_off = 0usize;
            let r = BrotliDecompressStream(
                &mut avail_in,
                &mut in_off,
                input,
                &mut avail_out,
                &mut out_off,
                &mut out,
                &mut total,
                st,
            );
            if !self.give(out.get(..out_off).unwrap_or_default(), emit) {
                break;
            }
            match r {
                BrotliResult::NeedsMoreOutput => continue,
                BrotliResult::NeedsMoreInput => break,
                BrotliResult::ResultSuccess => {
                    self.state = DecState::Done;
                    break;
                }
                BrotliResult::ResultFailure => {
                    self.state = DecState::Failed;
                    break;
                }
            }
        }
        self.out = out;
    }
}

enum GzStep {
    Need,
    Bad,
    Done(usize),
}

/// Skips a gzip member header (RFC 1952) as bytes arrive.
fn gz_header(h: &mut GzHdr, input: &[u8]) -> GzStep {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let mut i = 0usize;
    loop {
        match h.step {
            0 => {
                let Some(&b) = input.get(i) else {
                    return GzStep::Need;
                };
                match h.fixed {
                    0 if b != 0x1f => return GzStep::Bad,
                    1 if b != 0x8b => return GzStep::Bad,
                    2 if b != 8 => return GzStep::Bad,
                    3 => h.flags = b,
                    _ => {}
                }
                h.fixed += 1;
                i += 1;
                if h.fixed == 10 {
                    h.step = 1;
                }
            }
            1 => {
                if h.flags & FEXTRA == 0 {
                    h.step = 3;
                    continue;
                }
                let Some(&b) = input.get(i) else {
                    return GzStep::Need;
                };
                h.xlen |= u32::from(b) << (8 * h.n);
                h.n += 1;
                i += 1;
                if h.n == 2 {
                    h.step = 2;
                    h.n = 0;
                }
            }
            2 => {
                let avail = input.len().saturating_sub(i);
                let left = (h.xlen as usize).min(avail);
                i += left;
                h.xlen -= left as u32;
                if h.xlen == 0 {
                    h.step = 3;
                } else {
                    return GzStep::Need;
                }
            }
            3 | 4 => {
                let flag = if h.step == 3 { FNAME } else { FCOMMENT };
                if h.flags & flag == 0 {
                    h.step += 1;
                    continue;
                }
                match memchr::memchr(0, input.get(i..).unwrap_or_default()) {
                    Some(p) => {
                        i += p + 1;
                        h.step += 1;
                    }
                    None => return GzStep::Need,
                }
            }
            _ => {
                if h.flags & FHCRC == 0 || h.n >= 2 {
                    return GzStep::Done(i);
                }
                if input.get(i).is_none() {
                    return GzStep::Need;
                }
                h.n += 1;
                i += 1;
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn run(c: Coding, data: &[u8], step: usize, cap: u64) -> (Vec<u8>, DecState) {
        let mut d = ContentDecoder::new(c, cap);
        let mut out = Vec::new();
        for piece in data.chunks(step.max(1)) {
            d.push(piece, &mut |b| out.extend_from_slice(b));
        }
        d.finish(&mut |b| out.extend_from_slice(b));
        (out, d.state())
    }

    fn payload() -> Vec<u8> {
        (0..100_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
            .collect()
    }

    #[test]
    fn gzip_with_name_any_split() {
        let p = payload();
        let mut e = flate2::GzBuilder::new()
            .filename("x.bin")
            .comment("c")
            .write(Vec::new(), Compression::default());
        e.write_all(&p).unwrap();
        let z = e.finish().unwrap();
        for step in [1, 3, 7, 4096, z.len()] {
            let (o, s) = run(Coding::Gzip, &z, step, u64::MAX);
            assert_eq!(s, DecState::Done, "step {step}");
            assert_eq!(o, p);
        }
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let p = payload();
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(&p).unwrap();
        let z = e.finish().unwrap();
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(&p).unwrap();
        let r = e.finish().unwrap();
        for step in [1, 1000] {
            assert_eq!(
                run(Coding::Deflate, &z, step, u64::MAX),
                (p.clone(), DecState::Done)
            );
            assert_eq!(
                run(Coding::Deflate, &r, step, u64::MAX),
                (p.clone(), DecState::Done)
            );
        }
    }

    #[test]
    fn bomb_is_capped() {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![0u8; 20 << 20]).unwrap();
        let z = e.finish().unwrap();
        assert!(z.len() < 100_000);
        let (o, s) = run(Coding::Gzip, &z, 8192, 1 << 20);
        assert_eq!(s, DecState::Capped);
        assert_eq!(o.len(), 1 << 20);
    }

    #[test]
    fn corrupt_gzip_fails() {
        let (o, s) = run(
            Coding::Gzip,
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff",
            1,
            u64::MAX,
        );
        assert_eq!(s, DecState::Failed);
        assert!(o.is_empty());
        // Not compressed at all: passed through as it is.
        for step in [1, 4, 100] {
            assert_eq!(
                run(Coding::Gzip, b"not gzip at all", step, u64::MAX),
                (b"not gzip at all".to_vec(), DecState::Passthrough)
            );
            assert_eq!(
                run(Coding::Deflate, b"Good plain text", step, u64::MAX),
                (b"Good plain text".to_vec(), DecState::Passthrough)
            );
        }
        let (o, s) = run(Coding::Gzip, b"not gzip at all", 1, 5);
        assert_eq!((o.len(), s), (5, DecState::Capped));
    }

    #[test]
    fn brotli_uncompressed_metablocks() {
        let p = payload();
        let b = brotli_stored(&p);
        for step in [1, 5, 70_000] {
            assert_eq!(
                run(Coding::Brotli, &b, step, u64::MAX),
                (p.clone(), DecState::Done),
                "step {step}"
            );
        }
        // Corrupt after some output: a failure, not a passthrough.
        let mut bad = b.clone();
        bad.truncate(70_000);
        bad.extend_from_slice(&[0xff; 16]);
        let (_, s) = run(Coding::Brotli, &bad, 1000, u64::MAX);
        assert_ne!(s, DecState::Done);
    }

    /// A valid brotli stream made of uncompressed meta-blocks (RFC 7932 9.2), for tests.
    pub fn brotli_stored(data: &[u8]) -> Vec<u8> {
        struct W {
            out: Vec<u8>,
            acc: u64,
            n: u32,
        }
        impl W {
            fn bits(&mut self, v: u64, k: u32) {
                self.acc |= v << self.n;
                self.n += k;
                while self.n >= 8 {
                    self.out.push(self.acc as u8);
                    self.acc >>= 8;
                    self.n -= 8;
                }
            }
            fn align(&mut self) {
                if self.n > 0 {
                    self.bits(0, 8 - self.n);
                }
            }
        }
        let mut w = W {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        w.bits(0, 1); // WBITS = 16
        for c in data.chunks(65536) {
            w.bits(0, 1); // ISLAST = 0
            w.bits(0, 2); // MNIBBLES = 4
            w.bits((c.len() - 1) as u64, 16);
            w.bits(1, 1); // ISUNCOMPRESSED
            w.align();
            w.out.extend_from_slice(c);
        }
        w.bits(1, 1); // ISLAST
        w.bits(1, 1); // ISLASTEMPTY
        w.align();
        w.out
    }
}
