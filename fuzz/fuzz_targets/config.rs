#![no_main]
//! sensor.yaml parsing: any text gives a config or an error, never a panic.
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = fmon::config::Config::parse(s);
    }
});
