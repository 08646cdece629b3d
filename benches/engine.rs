//! Engine benchmarks on packets built in memory (no files on disk):
//! (a) many TCP flows carrying no file (a port with no parser): packets/s for 64-byte and
//!     1460-byte segments;
//! (b) HTTP responses carrying files of several sizes: bytes/s, hashing sha256 only and all
//!     three hashes;
//! (c) base64 decoding as MIME bodies are decoded (segment-sized pushes, wrapped lines);
//! (d) a mail mix: SMTP DATA, POP3 RETR and IMAP FETCH sessions each carrying a 1 MiB base64
//!     attachment, in wire bytes/s, to compare with (b)'s 1 MiB HTTP figure.
//!
//! Times are wall-clock by default. With `FMON_BENCH_CPU=1` they are the benchmark thread's
//! CPU time (CLOCK_THREAD_CPUTIME_ID) instead: the same work, measured per core, which stays
//! comparable on a machine shared with other jobs (preemption is not counted).
use criterion::{criterion_group, criterion_main, BatchSize, Bencher, Criterion, Throughput};
use etherparse::PacketBuilder;
use fmon::engine::{Engine, EngineConfig, LinkType};
use std::time::Duration;

const SEG: usize = 1460;

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn cpu_mode() -> bool {
    std::env::var_os("FMON_BENCH_CPU").is_some_and(|v| v != "0")
}

/// `iter_batched(setup, routine, LargeInput)`, or the same with only the routine's thread CPU
/// time counted when `FMON_BENCH_CPU` is set. Outputs are dropped outside the timing either way.
fn batched<S, O>(b: &mut Bencher, mut setup: impl FnMut() -> S, mut routine: impl FnMut(S) -> O) {
    if !cpu_mode() {
        b.iter_batched(setup, routine, BatchSize::LargeInput);
        return;
    }
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let s = setup();
            let t0 = thread_cpu();
            let o = std::hint::black_box(routine(std::hint::black_box(s)));
            total += thread_cpu().saturating_sub(t0);
            drop(o);
        }
        total
    });
}

#[allow(clippy::too_many_arguments)]
fn frame(
    src: [u8; 4],
    sp: u16,
    dst: [u8; 4],
    dp: u16,
    seq: u32,
    ack: u32,
    syn: bool,
    fin: bool,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(src, dst, 64)
        .tcp(sp, dp, seq, 65535);
    if syn {
        t = t.syn();
    }
    if fin {
        t = t.fin();
    }
    if !(syn && ack == 0) {
        t = t.ack(ack);
    }
    let mut v = Vec::with_capacity(t.size(payload.len()));
    t.write(&mut v, payload).expect("write");
    v
}

fn client(i: u32) -> ([u8; 4], u16) {
    (
        [10, (i >> 16) as u8, (i >> 8) as u8, i as u8],
        1024 + (i % 60000) as u16,
    )
}
const SRV: [u8; 4] = [192, 168, 1, 1];

/// Handshake frames of `flows` connections to `port`.
fn handshakes(flows: u32, port: u16) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in 0..flows {
        let (c, cp) = client(i);
        v.push(frame(c, cp, SRV, port, 1000, 0, true, false, b""));
        v.push(frame(SRV, port, c, cp, 5000, 1001, true, false, b""));
        v.push(frame(c, cp, SRV, port, 1001, 5001, false, false, b""));
    }
    v
}

fn engine_after(cfg: &EngineConfig, setup: &[Vec<u8>]) -> Engine {
    let mut e = Engine::new(cfg.clone());
    for f in setup {
        e.process(LinkType::Ethernet, f, 1_000_000_000);
    }
    e
}

fn no_file_flows(c: &mut Criterion) {
    let flows = 1000u32;
    let per_flow = 64u32;
    let mut g = c.benchmark_group("no_file_flows");
    for size in [64usize, SEG] {
        let setup = handshakes(flows, 9999);
        let payload = vec![0x16u8; size];
        let mut data = Vec::new();
        for k in 0..per_flow {
            for i in 0..flows {
                let (cip, cp) = client(i);
                let seq = 1001u32.wrapping_add(k * size as u32);
                data.push(frame(cip, cp, SRV, 9999, seq, 5001, false, false, &payload));
            }
        }
        let cfg = EngineConfig::default();
        g.throughput(Throughput::Elements(data.len() as u64));
        g.bench_function(format!("{size}B_segments"), |b| {
            batched(
                b,
                || engine_after(&cfg, &setup),
                |mut e| {
                    for (n, f) in data.iter().enumerate() {
                        e.process(LinkType::Ethernet, f, 1_000_000_000 + n as u64);
                    }
                    e
                },
            )
        });
    }
    g.finish();
}

fn http_files(c: &mut Criterion) {
    let mut g = c.benchmark_group("http_files");
    for (name, md5, sha1) in [("sha256", false, false), ("all_hashes", true, true)] {
        for size in [1usize << 10, 64 << 10, 1 << 20] {
            let flows = ((4 << 20) / size).clamp(1, 256) as u32;
            let setup = handshakes(flows, 80);
            let mut data = Vec::new();
            let mut bytes = 0u64;
            let body: Vec<u8> = (0..size).map(|i| (i * 31 % 253) as u8).collect();
            for i in 0..flows {
                let (cip, cp) = client(i);
                let req = b"GET /file.bin HTTP/1.1\r\nHost: bench\r\n\r\n";
                data.push(frame(cip, cp, SRV, 80, 1001, 5001, false, false, req));
                let mut resp =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").into_bytes();
                resp.extend_from_slice(&body);
                bytes += resp.len() as u64;
                let ack = 1001 + req.len() as u32;
                let mut seq = 5001u32;
                for chunk in resp.chunks(SEG) {
                    data.push(frame(SRV, 80, cip, cp, seq, ack, false, false, chunk));
                    seq = seq.wrapping_add(chunk.len() as u32);
                }
                data.push(frame(SRV, 80, cip, cp, seq, ack, false, true, b""));
                data.push(frame(cip, cp, SRV, 80, ack, seq + 1, false, true, b""));
            }
            let mut cfg = EngineConfig::default();
            cfg.files.md5 = md5;
            cfg.files.sha1 = sha1;
            g.throughput(Throughput::Bytes(bytes));
            g.bench_function(format!("{name}/{}KiB", size >> 10), |b| {
                batched(
                    b,
                    || engine_after(&cfg, &setup),
                    |mut e| {
                        for f in &data {
                            e.process(LinkType::Ethernet, f, 2_000_000_000);
                        }
                        let mut ev = Vec::new();
                        e.take_events(&mut ev);
                        (e, ev)
                    },
                )
            });
        }
    }
    g.finish();
}

/// One TCP connection's frames: each side's bytes cut into segments, in the given turn order.
struct Conn {
    c: ([u8; 4], u16),
    port: u16,
    cseq: u32,
    sseq: u32,
    frames: Vec<Vec<u8>>,
    wire: u64,
}

impl Conn {
    fn new(i: u32, port: u16) -> Conn {
        let c = client(i);
        let frames = vec![
            frame(c.0, c.1, SRV, port, 1000, 0, true, false, b""),
            frame(SRV, port, c.0, c.1, 5000, 1001, true, false, b""),
            frame(c.0, c.1, SRV, port, 1001, 5001, false, false, b""),
        ];
        Conn {
            c,
            port,
            cseq: 1001,
            sseq: 5001,
            frames,
            wire: 0,
        }
    }
    fn client(&mut self, data: &[u8]) {
        for chunk in data.chunks(SEG) {
            let f = frame(
                self.c.0, self.c.1, SRV, self.port, self.cseq, self.sseq, false, false, chunk,
            );
            self.frames.push(f);
            self.cseq = self.cseq.wrapping_add(chunk.len() as u32);
        }
        self.wire += data.len() as u64;
    }
    fn server(&mut self, data: &[u8]) {
        for chunk in data.chunks(SEG) {
            let f = frame(
                SRV, self.port, self.c.0, self.c.1, self.sseq, self.cseq, false, false, chunk,
            );
            self.frames.push(f);
            self.sseq = self.sseq.wrapping_add(chunk.len() as u32);
        }
        self.wire += data.len() as u64;
    }
    fn close(mut self) -> (Vec<Vec<u8>>, u64) {
        let (c, port) = (self.c, self.port);
        self.frames.push(frame(
            c.0, c.1, SRV, port, self.cseq, self.sseq, false, true, b"",
        ));
        self.frames.push(frame(
            SRV,
            port,
            c.0,
            c.1,
            self.sseq,
            self.cseq + 1,
            false,
            true,
            b"",
        ));
        (self.frames, self.wire)
    }
}

/// A MIME message with a text body and a base64 attachment of `size` bytes.
fn mail_message(size: usize) -> Vec<u8> {
    let body: Vec<u8> = (0..size).map(|i| (i * 131 % 251) as u8).collect();
    let b64 = base64_simd::STANDARD.encode_to_string(&body);
    let mut m = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: report\r\n\
Message-ID: <1@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\n\
Content-Type: application/octet-stream; name=\"r.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    for line in b64.as_bytes().chunks(76) {
        m.extend_from_slice(line);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--b1--\r\n");
    m
}

fn base64_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("base64");
    let raw: Vec<u8> = (0..(16usize << 20)).map(|i| (i * 7 % 256) as u8).collect();
    let text = base64_simd::STANDARD.encode_to_string(&raw);
    let mut wrapped = Vec::new();
    for line in text.as_bytes().chunks(76) {
        wrapped.extend_from_slice(line);
        wrapped.extend_from_slice(b"\r\n");
    }
    g.throughput(Throughput::Bytes(wrapped.len() as u64));
    let mut out = Vec::with_capacity(raw.len());
    g.bench_function("mime_wrapped_16MiB", |b| {
        batched(
            b,
            || (),
            |()| fmon::proto::mime::bench_decode_base64(&wrapped, &mut out),
        )
    });
    g.finish();
}

fn mail_mix(c: &mut Criterion) {
    let mut g = c.benchmark_group("mail_mix");
    let msg = mail_message(1 << 20);
    let mut data = Vec::new();
    let mut wire = 0u64;
    for i in 0..6u32 {
        let (frames, w) = match i % 3 {
            0 => {
                let mut k = Conn::new(i, 25);
                k.server(b"220 mx ESMTP\r\n");
                k.client(b"EHLO c\r\n");
                k.server(b"250 mx\r\n");
                k.client(b"MAIL FROM:<a@example.org>\r\n");
                k.server(b"250 ok\r\n");
                k.client(b"RCPT TO:<b@example.net>\r\n");
                k.server(b"250 ok\r\n");
                k.client(b"DATA\r\n");
                k.server(b"354 go\r\n");
                k.client(&msg);
                k.client(b".\r\n");
                k.server(b"250 queued\r\n");
                k.close()
            }
            1 => {
                let mut k = Conn::new(i, 110);
                k.server(b"+OK pop\r\n");
                k.client(b"RETR 1\r\n");
                k.server(format!("+OK {} octets\r\n", msg.len()).as_bytes());
                k.server(&msg);
                k.server(b".\r\n");
                k.close()
            }
            _ => {
                let mut k = Conn::new(i, 143);
                k.server(b"* OK imap\r\n");
                k.client(b"a1 FETCH 1 BODY[]\r\n");
                k.server(format!("* 1 FETCH (BODY[] {{{}}}\r\n", msg.len()).as_bytes());
                k.server(&msg);
                k.server(b")\r\na1 OK done\r\n");
                k.close()
            }
        };
        data.extend(frames);
        wire += w;
    }
    let mut cfg = EngineConfig::default();
    cfg.files.md5 = false;
    cfg.files.sha1 = false;
    g.throughput(Throughput::Bytes(wire));
    g.bench_function("smtp_pop3_imap/1MiB_base64/sha256", |b| {
        batched(
            b,
            || Engine::new(cfg.clone()),
            |mut e| {
                for f in &data {
                    e.process(LinkType::Ethernet, f, 2_000_000_000);
                }
                let mut ev = Vec::new();
                e.take_events(&mut ev);
                assert!(ev.len() >= 6, "every session's attachment is a file");
                (e, ev)
            },
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = no_file_flows, http_files, base64_decode, mail_mix
}
criterion_main!(benches);
