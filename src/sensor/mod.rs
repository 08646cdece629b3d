//! The lcore runtime: sets up the pool and ports, gives each lcore its role (RX, worker,
//! control), runs the loops and shuts down in order: RX stops (signal or end of the pcap
//! files), workers drain their queues and flush every flow, control writes every event.
//!
//! It joins the DPDK layer (`crate::dpdk`) to the pure engine and control side (`fmon`); the
//! packet logic itself lives in `fmon::engine`.

pub mod inputs;
pub mod roles;
pub mod rx;
pub mod signals;
pub mod worker;

use crate::dpdk::{lcore, mbuf::Mbuf, mbuf::Mempool, port};
use crossbeam_queue::ArrayQueue;
use fmon::config::Config;
use fmon::control::stats::{CaptureStats, PortCounters, QueueCounters};
use fmon::control::{Control, ToControl};
use fmon::engine::{EngineConfig, LinkType};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Enqueue / drop counters of one worker queue (`stats.dispatch`).
#[derive(Default)]
pub struct DispatchCounters {
    pub enqueued: AtomicU64,
    pub dropped: AtomicU64,
    /// Nanoseconds the worker spent processing packets (not polling an empty queue).
    pub busy_ns: AtomicU64,
}

/// State every lcore of the sensor shares. Only queues and atomics: no locks.
pub struct Shared {
    pub queues: Vec<ArrayQueue<Mbuf>>,
    pub dispatch: Vec<DispatchCounters>,
    pub to_control: ArrayQueue<ToControl>,
    pub rx_count: usize,
    pub rx_done: AtomicUsize,
    /// Latest packet time each RX lcore has dispatched.
    pub rx_watermark: Vec<AtomicU64>,
    /// Link type per port id.
    pub linktypes: Vec<LinkType>,
    /// Whether each port's driver stamps packets with capture time.
    pub port_timestamps: Vec<bool>,
    pub burst: u16,
    pub backpressure: bool,
    pub idle_yield: bool,
    pub pool: Mempool,
    pub backpressure_waits: AtomicU64,
    pub control_full: AtomicU64,
}

impl Shared {
    /// Oldest packet time that every RX lcore has dispatched up to.
    pub fn dispatched_watermark(&self) -> u64 {
        self.rx_watermark
            .iter()
            .map(|w| w.load(Ordering::Acquire))
            .min()
            .unwrap_or(0)
    }

    pub fn pool_available(&self) -> u32 {
        self.pool.available()
    }

    /// What an lcore does after a poll that found nothing.
    #[inline]
    pub fn idle_wait(&self, idle_polls: u32) {
        if self.idle_yield {
            if idle_polls > 1000 {
                std::thread::sleep(Duration::from_micros(200));
            } else {
                std::thread::yield_now();
            }
        } else {
            lcore::pause();
        }
    }
}

/// Runs the sensor until the pcap inputs are consumed or a signal stops it.
pub fn run(cfg: Config, eal_args: &[String]) -> Result<(), String> {
    let vdevs = inputs::vdevs(eal_args);
    let nports = port::count();
    if nports == 0 {
        return Err(
            "no ports: give a NIC (-a PCI) or a vdev (--vdev net_pcap0,rx_pcap=FILE)".into(),
        );
    }
    let roles = roles::Roles::plan(
        &lcore::worker_lcores(),
        cfg.capture.rx_lcores,
        cfg.capture.workers,
    )?;
    let nworkers = roles.engines();
    let qsize = cfg.capture.queue_size as usize;

    let mbufs = if cfg.capture.mbufs > 0 {
        cfg.capture.mbufs
    } else {
        // Every queue full, plus descriptors and bursts in flight on every port.
        (nworkers * qsize + nports as usize * roles.rx.len() * 1024 + 4096) as u32
    };
    let pool = Mempool::create("fmon_pkts", mbufs, 0)?;

    let mut linktypes = vec![LinkType::Ethernet; nports as usize];
    let mut port_timestamps = vec![false; nports as usize];
    let mut offline = vec![false; nports as usize];
    let mut infos = Vec::new();
    for id in 0..nports {
        let info = port::setup(id, roles.rx.len() as u16, pool)?;
        let input = inputs::input_for(&info.name, &vdevs)?;
        linktypes[id as usize] = input.linktype;
        offline[id as usize] = input.offline;
        port_timestamps[id as usize] = info.timestamps;
        eprintln!(
            "fmon-dpdk: port {id} {} ({}): {} rx queue(s){}{}{}",
            info.name,
            info.driver,
            info.rx_queues,
            if info.rss { ", symmetric RSS" } else { "" },
            if info.timestamps {
                ", capture timestamps"
            } else {
                ""
            },
            if input.offline { ", pcap file" } else { "" }
        );
        infos.push(info);
    }
    let all_offline = offline.iter().all(|&o| o);

    let shared = Arc::new(Shared {
        queues: (0..nworkers).map(|_| ArrayQueue::new(qsize)).collect(),
        dispatch: (0..nworkers).map(|_| DispatchCounters::default()).collect(),
        to_control: ArrayQueue::new(16 << 10),
        rx_count: roles.rx.len(),
        rx_done: AtomicUsize::new(0),
        rx_watermark: roles.rx.iter().map(|_| AtomicU64::new(0)).collect(),
        linktypes,
        port_timestamps,
        burst: cfg.capture.burst,
        backpressure: cfg.capture.pcap_backpressure,
        idle_yield: cfg.capture.idle_yield,
        pool,
        backpressure_waits: AtomicU64::new(0),
        control_full: AtomicU64::new(0),
    });

    let mut control = Control::new(&cfg, nworkers, all_offline)?;
    signals::install();

    // (port, queue) pairs for each RX lcore: queue q of every port goes to RX lcore q; a port
    // with a single queue goes to RX lcore (port id % RX lcores).
    let mut rx_queues: Vec<Vec<(u16, u16, bool)>> = vec![Vec::new(); roles.rx.len()];
    for info in &infos {
        for q in 0..info.rx_queues {
            let r = if info.rx_queues > 1 {
                q as usize
            } else {
                info.id as usize % roles.rx.len()
            };
            rx_queues[r].push((info.id, q, offline[info.id as usize]));
        }
    }

    let ecfg = EngineConfig::from_config(&cfg);
    let mut launched = Vec::new();
    for (i, &lc) in roles.workers.iter().enumerate() {
        let w = worker::Worker::new(i, ecfg.clone(), shared.clone());
        lcore::launch(lc, move || worker::run(w))?;
        launched.push(lc);
    }
    for (i, &lc) in roles.rx.iter().enumerate() {
        let own = if roles.workers.is_empty() {
            Some(worker::Worker::new(0, ecfg.clone(), shared.clone()))
        } else {
            None
        };
        let r = rx::RxLcore {
            index: i,
            queues: std::mem::take(&mut rx_queues[i]),
            shared: shared.clone(),
            worker: own,
        };
        lcore::launch(lc, move || rx::run(r))?;
        launched.push(lc);
    }

    // The control loop on the main lcore.
    let capture_stats = |sh: &Shared| CaptureStats {
        ports: infos
            .iter()
            .map(|i| {
                let s = port::stats(i.id);
                PortCounters {
                    port: i.name.clone(),
                    packets: s.packets,
                    bytes: s.bytes,
                    imissed: s.imissed,
                    ierrors: s.ierrors,
                    rx_nombuf: s.rx_nombuf,
                }
            })
            .collect(),
        dispatch: sh
            .dispatch
            .iter()
            .enumerate()
            .map(|(w, d)| QueueCounters {
                worker: w,
                enqueued: d.enqueued.load(Ordering::Relaxed),
                dropped: d.dropped.load(Ordering::Relaxed),
                busy_ms: (!all_offline).then(|| d.busy_ns.load(Ordering::Relaxed) / 1_000_000),
            })
            .collect(),
        backpressure_waits: sh.backpressure_waits.load(Ordering::Relaxed),
        control_queue_full: sh.control_full.load(Ordering::Relaxed),
    };
    let started = std::time::Instant::now();
    let mut done = 0usize;
    loop {
        let mut n = 0;
        while let Some(m) = shared.to_control.pop() {
            if matches!(m, ToControl::Done { .. }) {
                done += 1;
            }
            control.handle(m);
            n += 1;
            if n >= 4096 {
                break;
            }
        }
        if signals::take_hup() {
            control.reload();
        }
        control.tick();
        if control.stats_due() {
            control.write_stats(&capture_stats(&shared));
        }
        if done == nworkers && shared.to_control.is_empty() {
            break;
        }
        if n == 0 {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    for lc in launched {
        let rc = lcore::wait(lc);
        if rc != 0 {
            eprintln!("fmon-dpdk: lcore {lc} ended with {rc}");
        }
    }
    let final_stats = capture_stats(&shared);
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    let (pkts, bytes) = final_stats
        .ports
        .iter()
        .fold((0, 0), |(p, b), c| (p + c.packets, b + c.bytes));
    let dropped: u64 = final_stats.dispatch.iter().map(|q| q.dropped).sum();
    let busy: Vec<String> = shared
        .dispatch
        .iter()
        .map(|d| (d.busy_ns.load(Ordering::Relaxed) / 1_000_000).to_string())
        .collect();
    eprintln!(
        "fmon-dpdk: {pkts} packets, {bytes} bytes in {secs:.2} s ({:.2} Gbit/s, {:.2} Mpps), {dropped} dropped at dispatch, workers busy [{}] ms",
        bytes as f64 * 8.0 / secs / 1e9,
        pkts as f64 / secs / 1e6,
        busy.join(", ")
    );
    for info in &infos {
        port::close(info.id);
    }
    control.finish(&final_stats)
}
