//! Engine benchmarks on packets built in memory (no files on disk):
//! (a) many TCP flows carrying no file (a port with no parser): packets/s for 64-byte and
//!     1460-byte segments;
//! (b) HTTP responses carrying files of several sizes: bytes/s, hashing sha256 only and all
//!     three hashes.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use etherparse::PacketBuilder;
use fmon::engine::{Engine, EngineConfig, LinkType};
use std::time::Duration;

const SEG: usize = 1460;

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
            b.iter_batched(
                || engine_after(&cfg, &setup),
                |mut e| {
                    for (n, f) in data.iter().enumerate() {
                        e.process(LinkType::Ethernet, f, 1_000_000_000 + n as u64);
                    }
                    e
                },
                BatchSize::LargeInput,
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
                b.iter_batched(
                    || engine_after(&cfg, &setup),
                    |mut e| {
                        for f in &data {
                            e.process(LinkType::Ethernet, f, 2_000_000_000);
                        }
                        let mut ev = Vec::new();
                        e.take_events(&mut ev);
                        (e, ev)
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = no_file_flows, http_files
}
criterion_main!(benches);
