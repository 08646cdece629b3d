//! fmon-pcapgen: writes deterministic captures carrying known files over hostile TCP, each with
//! an expected-files manifest (`<name>.expected.json`), plus the large benchmark captures.
//!
//! `fmon-pcapgen all --out pcaps/` | `bench --out FILE --size 1G` | `bench-nofile --out FILE
//! --size 200M` | `bigmail --out DIR --size 20M`. Fixed seeds, fixed packet times (from 2026-12-01T10:00:00Z), no wall time.

#[path = "pcapgen/bench.rs"]
mod bench;
#[path = "pcapgen/payload.rs"]
mod payload;
#[path = "pcapgen/scenarios.rs"]
mod scenarios;
#[path = "pcapgen/tcp.rs"]
mod tcp;

use std::process::ExitCode;

/// 2026-12-01T10:00:00Z in nanoseconds.
pub const BASE_TS: u64 = 1_796_119_200 * 1_000_000_000;

/// splitmix64: small, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
    pub fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let r = self.next().to_le_bytes();
            c.copy_from_slice(&r[..c.len()]);
        }
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mul)
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: fmon-pcapgen all --out DIR\n       fmon-pcapgen list\n       fmon-pcapgen bench --out FILE [--size 1G]\n       fmon-pcapgen bench-nofile --out FILE [--size 200M]\n       fmon-pcapgen bigmail --out DIR [--size 20M]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        return usage();
    };
    let mut out = None;
    let mut size = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--out" => out = args.get(i + 1).cloned(),
            "--size" => size = args.get(i + 1).and_then(|s| parse_size(s)),
            _ => return usage(),
        }
        i += 2;
    }
    let res = match (cmd.as_str(), out) {
        ("list", _) => {
            for c in scenarios::all() {
                println!("{}\t{}", c.name, c.description);
            }
            Ok(())
        }
        ("all", Some(dir)) => scenarios::write_all(std::path::Path::new(&dir)),
        ("bench", Some(f)) => bench::write(std::path::Path::new(&f), size.unwrap_or(1 << 30), true),
        ("bench-nofile", Some(f)) => {
            bench::write(std::path::Path::new(&f), size.unwrap_or(200 << 20), false)
        }
        ("bigmail", Some(dir)) => {
            let attachment = size.unwrap_or(20 << 20) as usize;
            scenarios::write_one(std::path::Path::new(&dir), &scenarios::bigmail(attachment))
        }
        _ => return usage(),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fmon-pcapgen: {e}");
            ExitCode::FAILURE
        }
    }
}
