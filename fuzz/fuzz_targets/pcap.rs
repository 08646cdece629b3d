//! Fuzzes the pcap / pcapng reader: any bytes must give packets or an error, never a panic, and
//! never a packet larger than the reader's cap.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = fmon::pcap::PcapReader::new(std::io::Cursor::new(data)) {
        let mut buf = Vec::new();
        let mut n = 0;
        while let Ok(Some(_)) = r.next_into(&mut buf) {
            assert!(buf.len() <= fmon::pcap::MAX_PACKET);
            n += 1;
            if n > 100_000 {
                break;
            }
        }
    }
});
