#![no_main]
// TODO: owned by the engineer of this parser.
use libfuzzer_sys::fuzz_target;
fuzz_target!(|_data: &[u8]| {});
