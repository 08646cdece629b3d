#![no_main]
//! Alert log lines in every IDS format: parsing never panics, and whatever parses renders as an
//! EVE alert event and feeds the correlator.
use fmon::config::{IdsCfg, IdsFormat};
use fmon::control::correlate::Correlator;
use fmon::control::ids::{parse_line, LineResult};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut corr = Correlator::new(&IdsCfg::default(), vec![]);
    // 2026-12-03T14:00:00Z as the clock giving Snort times their year.
    let clock = 1_796_306_400_000_000_000;
    for line in data.split(|&b| b == b'\n') {
        for f in [
            IdsFormat::SnortFast,
            IdsFormat::Snort3Json,
            IdsFormat::SuricataEve,
        ] {
            if let LineResult::Alert(a) = parse_line(f, line, clock, "fuzz") {
                let _ = a.to_eve("fuzz").to_string();
                let _ = corr.add_alert(&a, "fuzz");
            }
        }
    }
});
