//! Output ordering: events from several workers (and IDS alerts) are written in packet-time
//! order, so a pcap run gives the same lines in the same order whatever the number of workers.
//! Each worker reports a watermark (no event of its will be older); an item is released once
//! every worker's watermark has passed it. Live captures also release what has waited a second
//! of wall time, so an idle worker never holds output back. The buffer is bounded: past
//! `max_held` the oldest item is released early and counted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Sort key: packet time, then kind (files before alerts at the same time), flow id, sequence.
pub type Key = (u64, u8, u64, u64);

pub struct Reorder<T> {
    held: BTreeMap<Key, (T, Instant)>,
    watermarks: Vec<u64>,
    live: bool,
    max_held: usize,
    newest: u64,
    pub forced: u64,
}

const LIVE_HOLD: Duration = Duration::from_secs(1);

impl<T> Reorder<T> {
    pub fn new(workers: usize, live: bool, max_held: usize) -> Self {
        Reorder {
            held: BTreeMap::new(),
            watermarks: vec![0; workers.max(1)],
            live,
            max_held,
            newest: 0,
            forced: 0,
        }
    }

    pub fn push(&mut self, key: Key, item: T) {
        self.held.insert(key, (item, Instant::now()));
    }

    /// Worker `w` will send nothing older than `ts`.
    pub fn watermark(&mut self, w: usize, ts: u64) {
        if let Some(m) = self.watermarks.get_mut(w) {
            *m = (*m).max(ts);
        }
        self.newest = self.newest.max(ts);
    }

    /// Marks worker `w` finished: it holds nothing back any more.
    pub fn done(&mut self, w: usize) {
        if let Some(m) = self.watermarks.get_mut(w) {
            *m = u64::MAX;
        }
    }

    /// The newest packet time any worker reported.
    pub fn newest(&self) -> u64 {
        self.newest
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Items that may be written now, oldest first.
    pub fn release(&mut self, out: &mut Vec<T>) {
        let min = self.watermarks.iter().copied().min().unwrap_or(0);
        loop {
            let over = self.held.len() > self.max_held;
            let Some(entry) = self.held.first_entry() else {
                break;
            };
            let k = *entry.key();
            let old = self.live && entry.get().1.elapsed() >= LIVE_HOLD;
            if k.0 < min || old || over {
                if over && k.0 >= min && !old {
                    self.forced += 1;
                }
                out.push(entry.remove().0);
            } else {
                break;
            }
        }
    }

    /// Everything, oldest first (end of run).
    pub fn drain(&mut self, out: &mut Vec<T>) {
        out.extend(std::mem::take(&mut self.held).into_values().map(|(t, _)| t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_only_below_every_watermark() {
        let mut r = Reorder::new(2, false, 100);
        r.push((10, 0, 1, 0), "a");
        r.push((5, 0, 2, 0), "b");
        let mut out = vec![];
        r.watermark(0, 20);
        r.release(&mut out);
        assert!(out.is_empty(), "worker 1 has not passed 5 yet");
        r.watermark(1, 6);
        r.release(&mut out);
        assert_eq!(out, vec!["b"]);
        r.done(1);
        r.release(&mut out);
        assert_eq!(out, vec!["b", "a"]);
        assert_eq!(r.newest(), 20);
    }

    #[test]
    fn bounded() {
        let mut r = Reorder::new(1, false, 2);
        for i in 0..5u64 {
            r.push((i, 0, 0, 0), i);
        }
        let mut out = vec![];
        r.release(&mut out);
        assert_eq!(out, vec![0, 1, 2]);
        assert_eq!(r.forced, 3);
        r.drain(&mut out);
        assert_eq!(out, vec![0, 1, 2, 3, 4]);
    }
}
