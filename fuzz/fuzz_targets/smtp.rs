#![no_main]
//! Fuzzes the smtp parser with a script of records (see script.rs): random-size chunks in both
//! directions, gaps, FIN and RST, then the end of the connection.
use fmon::proto::smtp::SmtpParser;
use fmon::proto::ProtoConfig;
use libfuzzer_sys::fuzz_target;

#[path = "script.rs"]
mod script;

fuzz_target!(|data: &[u8]| {
    let cfg = ProtoConfig { max_decoded: 1 << 20, ..ProtoConfig::default() };
    script::play(&mut SmtpParser::new(&cfg), 25, data);
});
