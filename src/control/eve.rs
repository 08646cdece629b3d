//! The EVE JSON Lines writer: one JSON object per line, buffered, flushed about once a second
//! and at exit. serde_json escapes every string, so nothing from the wire can break a line.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

const FLUSH_EVERY: Duration = Duration::from_secs(1);

pub struct EveWriter {
    out: BufWriter<File>,
    last_flush: Instant,
    pub lines: u64,
    pub write_errors: u64,
    reported: bool,
}

impl EveWriter {
    /// Opens (appends to) `path`, creating its folder if needed.
    pub fn open(path: &Path) -> Result<EveWriter, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("outputs.eve.path: cannot create {}: {e}", dir.display()))?;
        }
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("outputs.eve.path: cannot open {}: {e}", path.display()))?;
        Ok(EveWriter {
            out: BufWriter::with_capacity(1 << 20, f),
            last_flush: Instant::now(),
            lines: 0,
            write_errors: 0,
            reported: false,
        })
    }

    /// Writes one event line.
    pub fn write<T: Serialize>(&mut self, ev: &T) {
        let r = serde_json::to_writer(&mut self.out, ev)
            .and_then(|_| self.out.write_all(b"\n").map_err(serde_json::Error::io));
        match r {
            Ok(()) => self.lines += 1,
            Err(e) => self.error(&e.to_string()),
        }
    }

    fn error(&mut self, e: &str) {
        self.write_errors += 1;
        if !self.reported {
            self.reported = true;
            eprintln!(
                "fmon-dpdk: cannot write events: {e} (counted in stats.control.eve_write_errors)"
            );
        }
    }

    /// Flushes if a second has passed since the last flush.
    pub fn maybe_flush(&mut self) {
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if let Err(e) = self.out.flush() {
            self.error(&e.to_string());
        }
    }
}
