//! The control lcore: everything done with file events after the workers. Ordering by packet
//! time ([`order`]), ranking ([`rank`]), VirusTotal ([`virustotal`]) and local blocklists
//! ([`intel`]), IDS alert ingestion ([`ids`]) and correlation ([`correlate`]), EVE JSON output
//! ([`eve`]) and counters ([`stats`]). Workers never wait on anything here.

pub mod correlate;
pub mod eve;
pub mod ids;
pub mod intel;
pub mod order;
pub mod rank;
pub mod stats;
pub mod virustotal;
