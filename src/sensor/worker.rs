//! A worker: owns one [`Engine`] (its flows, no locks), takes mbufs from its queue, feeds the
//! frames to the engine with their packet time, and sends file events, its packet-time
//! watermark and counter snapshots to the control lcore.

use super::Shared;
use crate::dpdk::mbuf::Mbuf;
use fmon::control::ToControl;
use fmon::engine::{Engine, EngineConfig};
use fmon::files::FileEvent;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STATS_EVERY: Duration = Duration::from_secs(1);

pub struct Worker {
    id: usize,
    engine: Engine,
    shared: Arc<Shared>,
    scratch: Vec<u8>,
    events: Vec<FileEvent>,
    sent_watermark: u64,
    last_stats: Instant,
    since_publish: u32,
    idle_calls: u32,
    busy_ns: u64,
}

impl Worker {
    pub fn new(id: usize, cfg: EngineConfig, shared: Arc<Shared>) -> Self {
        Worker {
            id,
            engine: Engine::new(cfg),
            shared,
            scratch: Vec::with_capacity(16 << 10),
            events: Vec::new(),
            sent_watermark: 0,
            last_stats: Instant::now(),
            since_publish: 0,
            idle_calls: 0,
            busy_ns: 0,
        }
    }

    /// Feeds one packet to the engine.
    #[inline]
    pub fn handle(&mut self, m: Mbuf) {
        let port = m.port() as usize;
        let lt = self
            .shared
            .linktypes
            .get(port)
            .copied()
            .unwrap_or(fmon::engine::LinkType::Ethernet);
        let ts = packet_time(&self.shared, port, &m);
        let frame = m.frame(&mut self.scratch);
        self.engine.process(lt, frame, ts);
        drop(m);
        self.since_publish += 1;
        if self.since_publish >= 256 {
            self.publish(false);
        }
    }

    /// Time spent processing a batch of packets (`stats.dispatch.worker_N.busy_ms`).
    #[inline]
    pub fn add_busy(&mut self, d: Duration) {
        self.busy_ns += d.as_nanos() as u64;
    }

    fn store_busy(&self) {
        if let Some(d) = self.shared.dispatch.get(self.id) {
            d.busy_ns.store(self.busy_ns, Ordering::Relaxed);
        }
    }

    /// Sends finished files and the watermark; counters at most once a second (or when
    /// `force`).
    pub fn publish(&mut self, force: bool) {
        self.since_publish = 0;
        self.engine.take_events(&mut self.events);
        let wm = self.engine.now();
        if !self.events.is_empty() || wm != self.sent_watermark {
            let events = std::mem::take(&mut self.events);
            self.send(ToControl::Files {
                worker: self.id,
                events,
                watermark: wm,
            });
            self.sent_watermark = wm;
        }
        if force || self.last_stats.elapsed() >= STATS_EVERY {
            self.last_stats = Instant::now();
            self.store_busy();
            let stats = Box::new(self.engine.stats());
            self.send(ToControl::Stats {
                worker: self.id,
                stats,
            });
        }
    }

    /// Nothing to do: tell control how far packet time has gone for this worker, so it can
    /// release ordered events, using what RX has dispatched (every packet up to that time is
    /// already processed when the queue is empty).
    pub fn idle(&mut self, dispatched: u64) {
        let wm = self.engine.now().max(dispatched);
        if wm > self.sent_watermark {
            self.engine.take_events(&mut self.events);
            let events = std::mem::take(&mut self.events);
            self.send(ToControl::Files {
                worker: self.id,
                events,
                watermark: wm,
            });
            self.sent_watermark = wm;
        }
        // Reading the clock costs more than a poll: look at it now and then.
        self.idle_calls = self.idle_calls.wrapping_add(1);
        if self.idle_calls.is_multiple_of(1024) && self.last_stats.elapsed() >= STATS_EVERY {
            self.publish(true);
        }
    }

    /// Ends every flow, sends the last events and counters, and says it is done.
    pub fn finish(mut self) {
        let t0 = Instant::now();
        self.engine.flush();
        self.add_busy(t0.elapsed());
        self.store_busy();
        self.engine.take_events(&mut self.events);
        let events = std::mem::take(&mut self.events);
        let wm = self.engine.now();
        self.send(ToControl::Files {
            worker: self.id,
            events,
            watermark: wm,
        });
        let stats = Box::new(self.engine.stats());
        self.send(ToControl::Stats {
            worker: self.id,
            stats,
        });
        self.send(ToControl::Done { worker: self.id });
    }

    /// Control queue full: wait (events are never dropped; control drains continuously).
    fn send(&self, mut msg: ToControl) {
        let mut spins = 0u32;
        loop {
            match self.shared.to_control.push(msg) {
                Ok(()) => return,
                Err(back) => {
                    msg = back;
                    if spins == 0 {
                        self.shared.control_full.fetch_add(1, Ordering::Relaxed);
                    }
                    spins = spins.wrapping_add(1);
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// Packet time of `m` in nanoseconds: its capture time on pcap ports, else the wall clock.
#[inline]
pub fn packet_time(sh: &Shared, port: usize, m: &Mbuf) -> u64 {
    if sh.port_timestamps.get(port).copied().unwrap_or(false) {
        let us = m.rx_timestamp();
        if us != 0 {
            return us.saturating_mul(1000);
        }
    }
    fmon::time::wall_now()
}

/// A worker lcore's loop: until every RX lcore is done and its queue is empty.
pub fn run(mut w: Worker) -> i32 {
    let q = w.shared.clone();
    let my = &q.queues[w.id];
    let mut idle_polls = 0u32;
    loop {
        if !my.is_empty() {
            let t0 = Instant::now();
            let mut n = 0;
            while let Some(m) = my.pop() {
                w.handle(m);
                n += 1;
                if n == 64 {
                    break;
                }
            }
            w.add_busy(t0.elapsed());
            idle_polls = 0;
            continue;
        }
        // Read what RX dispatched before looking at the queue again.
        let dispatched = q.dispatched_watermark();
        let rx_done = q.rx_done.load(Ordering::Acquire) == q.rx_count;
        if my.is_empty() {
            if rx_done {
                break;
            }
            w.idle(dispatched);
        }
        idle_polls = idle_polls.saturating_add(1);
        q.idle_wait(idle_polls);
    }
    w.finish();
    0
}
