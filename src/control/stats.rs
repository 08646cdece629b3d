//! Counters for `stats` events: capture (per port), dispatch (per worker queue), the sum of
//! every worker's engine counters, and the control side's own.

use crate::counters;
use crate::engine::EngineStats;

/// One port's counters, from the DPDK layer.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PortCounters {
    #[serde(skip)]
    pub port: String,
    pub packets: u64,
    pub bytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub rx_nombuf: u64,
}

/// One worker queue's counters.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct QueueCounters {
    #[serde(skip)]
    pub worker: usize,
    pub enqueued: u64,
    pub dropped: u64,
    /// Milliseconds the worker spent processing packets: its bytes over this time are its
    /// per-core rate. Live ports only: wall time would make pcap runs' events differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_ms: Option<u64>,
}

/// What the lcore runtime knows that the engines do not.
#[derive(Clone, Debug, Default)]
pub struct CaptureStats {
    pub ports: Vec<PortCounters>,
    pub dispatch: Vec<QueueCounters>,
    /// Times an RX lcore waited for a full worker queue (pcap files only).
    pub backpressure_waits: u64,
    /// Times a worker waited for the full control queue.
    pub control_queue_full: u64,
}

counters! {
    /// `stats.control`
    pub struct ControlStats {
        file_events,
        fileinfo_written,
        fileinfo_not_logged,
        fileinfo_updates,
        alerts_written,
        correlations_written,
        order_forced,
        vt_pending_dropped,
        vt_pending_at_exit,
        store_promoted,
        store_promote_errors,
        store_discarded,
        store_discard_errors,
        eve_lines,
        eve_write_errors,
        backpressure_waits,
        control_queue_full,
    }
}

/// The latest snapshot of each worker, summed on demand.
#[derive(Default)]
pub struct WorkerStats {
    latest: Vec<EngineStats>,
}

impl WorkerStats {
    pub fn new(workers: usize) -> Self {
        WorkerStats {
            latest: vec![EngineStats::default(); workers.max(1)],
        }
    }

    pub fn set(&mut self, w: usize, s: EngineStats) {
        if let Some(slot) = self.latest.get_mut(w) {
            *slot = s;
        }
    }

    pub fn total(&self) -> EngineStats {
        let mut t = EngineStats::default();
        for s in &self.latest {
            t.add(s);
        }
        t
    }
}
