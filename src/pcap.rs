//! Reading and writing pcap (and reading pcapng) files: the link type of a capture for the
//! sensor, packets for tests and benchmarks that drive the engine directly, and the writer used
//! by the capture generator.
//!
//! TODO(pcap/test helper).
