//! Fuzzes the VirusTotal answer parser: first two bytes are the HTTP status, the rest the body.
#![no_main]
use fmon::control::virustotal::{parse_response, Outcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 700, rest),
        _ => return,
    };
    let sha = [0x27u8; 32];
    if let Outcome::Found(a) = parse_response(status, body, &sha) {
        assert!(
            a.malicious <= a.total
                || a.total == u32::MAX
                || a.malicious == 0
                || a.total >= a.malicious
        );
        if let Some(d) = a.scan_date {
            assert!(d.len() <= 64);
        }
    }
});
