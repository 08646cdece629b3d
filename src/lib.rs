//! fmon: the pure-Rust part of the fmon-dpdk sensor.
//!
//! Data flows down this list and never back up (see DESIGN.md):
//! - [`engine`]: decode frames, defragment, track flows, reassemble TCP, hand bytes to a parser.
//! - [`proto`]: application parsers (HTTP, SMTP, POP3, IMAP, MIME). They only open, write and
//!   close files in the file sink.
//! - [`files`]: the protocol-independent file sink: hashes, type detection, size caps, store.
//! - [`control`]: what the control lcore does with file events: ranking, VirusTotal, IDS
//!   correlation, EVE JSON output, stats.
//!
//! The DPDK layer (`dpdk/`) and the lcore runtime (`sensor/`) live in the binary crate, so
//! nothing here depends on DPDK: tests, fuzzers and benchmarks drive the engine with byte slices.

pub mod config;
pub mod control;
pub mod engine;
pub mod files;
pub mod pcap;
pub mod proto;
pub mod stats;
pub mod time;
