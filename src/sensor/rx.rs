//! An RX lcore: polls its (port, queue) pairs, hashes each frame's IP pair symmetrically and
//! pushes the mbuf to the worker that owns the flow. A full worker queue drops and counts on a
//! live port (RX never blocks); on a pcap file it waits instead (configurable), since a file is
//! not a link and loss there gains nothing. With no workers, the RX lcore runs the engine itself.

use super::worker::Worker;
use super::Shared;
use crate::dpdk::mbuf::Mbuf;
use crate::dpdk::port;
use fmon::engine::rss::flow_hash;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a pcap file port must give nothing (with buffers free) to count as consumed.
const EOF_QUIET: Duration = Duration::from_millis(200);

pub struct RxLcore {
    pub index: usize,
    /// (port id, queue, offline)
    pub queues: Vec<(u16, u16, bool)>,
    pub shared: Arc<Shared>,
    /// Set when this RX lcore does the work itself.
    pub worker: Option<Worker>,
}

struct QueueState {
    port: u16,
    queue: u16,
    offline: bool,
    finished: bool,
    quiet_since: Option<Instant>,
}

pub fn run(mut rx: RxLcore) -> i32 {
    let sh = rx.shared.clone();
    let burst = sh.burst;
    let mut states: Vec<QueueState> = rx
        .queues
        .iter()
        .map(|&(port, queue, offline)| QueueState {
            port,
            queue,
            offline,
            finished: false,
            quiet_since: None,
        })
        .collect();
    let mut pkts: Vec<Mbuf> = Vec::with_capacity(burst as usize);
    let nworkers = sh.queues.len();
    let mut enq = vec![0u64; nworkers];
    let mut drop_ = vec![0u64; nworkers];
    let mut idle_polls = 0u32;
    loop {
        let stop = super::signals::stop_requested();
        let mut got = 0usize;
        for st in states.iter_mut().filter(|s| !s.finished) {
            pkts.clear();
            let n = port::rx_burst(st.port, st.queue, &mut pkts, burst);
            got += n;
            if n == 0 {
                if st.offline && sh.pool_available() >= 2 * burst as u32 {
                    let since = *st.quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= EOF_QUIET {
                        st.finished = true;
                    }
                }
                continue;
            }
            st.quiet_since = None;
            let mut last_ts = 0u64;
            let t0 = rx.worker.is_some().then(Instant::now);
            for m in pkts.drain(..) {
                last_ts = last_ts.max(super::worker::packet_time(&sh, m.port() as usize, &m));
                if let Some(w) = rx.worker.as_mut() {
                    w.handle(m);
                    enq[0] += 1;
                    continue;
                }
                let lt = sh
                    .linktypes
                    .get(m.port() as usize)
                    .copied()
                    .unwrap_or(fmon::engine::LinkType::Ethernet);
                let h = flow_hash(lt, m.first_segment());
                let wi = (h as usize) % nworkers;
                match sh.queues[wi].push(m) {
                    Ok(()) => enq[wi] += 1,
                    Err(mut back) => {
                        if st.offline && sh.backpressure {
                            // Wait for the worker: a file is not a live link.
                            loop {
                                std::thread::yield_now();
                                match sh.queues[wi].push(back) {
                                    Ok(()) => break,
                                    Err(b) => back = b,
                                }
                            }
                            enq[wi] += 1;
                            sh.backpressure_waits.fetch_add(1, Ordering::Relaxed);
                        } else {
                            drop(back);
                            drop_[wi] += 1;
                        }
                    }
                }
            }
            if let (Some(t0), Some(w)) = (t0, rx.worker.as_mut()) {
                w.add_busy(t0.elapsed());
            }
            if last_ts > 0 {
                sh.rx_watermark[rx.index].fetch_max(last_ts, Ordering::Release);
            }
        }
        if rx.worker.is_none() {
            for i in 0..nworkers {
                if enq[i] > 0 {
                    sh.dispatch[i].enqueued.fetch_add(enq[i], Ordering::Relaxed);
                    enq[i] = 0;
                }
                if drop_[i] > 0 {
                    sh.dispatch[i]
                        .dropped
                        .fetch_add(drop_[i], Ordering::Relaxed);
                    drop_[i] = 0;
                }
            }
        }
        let all_offline_done = states.iter().all(|s| s.finished);
        if stop || (all_offline_done && !states.is_empty()) || states.is_empty() {
            break;
        }
        if got == 0 {
            if let Some(w) = rx.worker.as_mut() {
                w.idle(0);
            }
            idle_polls = idle_polls.saturating_add(1);
            sh.idle_wait(idle_polls);
        } else {
            idle_polls = 0;
            if let Some(w) = rx.worker.as_mut() {
                w.publish(false);
            }
        }
    }
    sh.rx_done.fetch_add(1, Ordering::Release);
    if let Some(w) = rx.worker.take() {
        w.finish();
    }
    0
}
