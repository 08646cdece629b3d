//! The control lcore: everything done with file events after the workers. Ordering by packet
//! time ([`order`]), ranking ([`rank`]), VirusTotal ([`virustotal`]) and local blocklists
//! ([`intel`]), IDS alert ingestion ([`ids`]) and correlation ([`correlate`]), EVE JSON output
//! ([`eve`]) and counters ([`stats`]). Workers never wait on anything here.

pub mod correlate;
pub mod eve;
pub mod ids;
pub mod intel;
pub mod order;
pub mod rank;
pub mod stats;
pub mod virustotal;

use crate::config::{Config, Which};
use crate::engine::EngineStats;
use crate::files::hash::hex;
use crate::files::store::StoreWhich;
use crate::files::{EmailInfo, FileEvent, HttpInfo};
use crate::time::{format_eve, wall_now, Nanos};
use serde::Serialize;
use stats::{CaptureStats, ControlStats, WorkerStats};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use virustotal::{Verdict, VtStatus};

/// What workers send to the control lcore.
pub enum ToControl {
    /// Finished files, and the worker's packet-time watermark: nothing it sends later is older.
    Files {
        worker: usize,
        events: Vec<FileEvent>,
        watermark: Nanos,
    },
    /// A snapshot of the worker's counters.
    Stats {
        worker: usize,
        stats: Box<EngineStats>,
    },
    /// The worker has flushed everything and stopped.
    Done { worker: usize },
}

/// An item waiting in the output order buffer.
enum Item {
    File(Box<FileEvent>),
    Alert(Box<ids::Alert>),
}

/// A file whose VirusTotal verdict has not arrived yet.
struct PendingFile {
    ev: Box<FileEvent>,
    logged: bool,
}

/// Bound on files waiting for a verdict (beyond it the oldest waits no more, counted).
const MAX_PENDING: usize = 100_000;
/// Bound on the output order buffer.
const MAX_HELD: usize = 200_000;

/// The control lcore's state.
pub struct Control {
    cfg: Config,
    offline: bool,
    eve: eve::EveWriter,
    order: order::Reorder<Item>,
    workers: WorkerStats,
    stats: ControlStats,
    vt: Option<virustotal::VirusTotal>,
    intel: intel::Blocklists,
    ids: ids::IdsInputs,
    correlator: correlate::Correlator,
    pending: HashMap<[u8; 32], Vec<PendingFile>>,
    pending_order: VecDeque<[u8; 32]>,
    alert_seq: u64,
    last_stats: Instant,
    last_stats_ts: Nanos,
    last_ids_poll: Instant,
    released: Vec<Item>,
}

#[derive(Serialize)]
struct FileinfoObj<'a> {
    filename: &'a str,
    size: u64,
    state: crate::files::FileState,
    gaps: bool,
    sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(rename = "type")]
    ftype: crate::files::FileType,
    category: crate::files::Category,
    stored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated_reason: Option<crate::files::TruncReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[derive(Serialize)]
struct IntelObj<'a> {
    list: &'a str,
}

#[derive(Serialize)]
struct FileinfoLine<'a> {
    timestamp: String,
    flow_id: u64,
    event_type: &'static str,
    sensor: &'a str,
    src_ip: String,
    src_port: u16,
    dest_ip: String,
    dest_port: u16,
    proto: &'static str,
    app_proto: &'static str,
    direction: &'static str,
    rank: u8,
    fileinfo: FileinfoObj<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<&'a HttpInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a EmailInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    virustotal: Option<&'a Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intel: Option<IntelObj<'a>>,
}

/// `direction` of a transfer from `src` to `dst` relative to home_net.
pub fn direction(cfg: &Config, src: IpAddr, dst: IpAddr) -> &'static str {
    match (cfg.is_home(src), cfg.is_home(dst)) {
        (false, true) => "inbound",
        (true, false) => "outbound",
        (true, true) => "internal",
        (false, false) => "external",
    }
}

impl Control {
    /// `offline`: every input is a pcap file (deterministic output; no interval stats).
    pub fn new(cfg: &Config, workers: usize, offline: bool) -> Result<Control, String> {
        let eve = eve::EveWriter::open(&cfg.outputs.eve.path)?;
        let vt = virustotal::VirusTotal::new(&cfg.virustotal)?;
        let intel = intel::Blocklists::load(&cfg.intel.blocklists)?;
        Ok(Control {
            cfg: cfg.clone(),
            offline,
            eve,
            order: order::Reorder::new(workers, !offline, MAX_HELD),
            workers: WorkerStats::new(workers),
            stats: ControlStats::default(),
            vt,
            intel,
            ids: ids::IdsInputs::new(&cfg.ids.inputs),
            correlator: correlate::Correlator::new(&cfg.ids, cfg.home_net.clone()),
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            alert_seq: 0,
            last_stats: Instant::now(),
            last_stats_ts: 0,
            last_ids_poll: Instant::now() - Duration::from_secs(1),
            released: Vec::new(),
        })
    }

    /// Takes one message from a worker.
    pub fn handle(&mut self, m: ToControl) {
        match m {
            ToControl::Files {
                worker,
                events,
                watermark,
            } => {
                for ev in events {
                    self.stats.file_events += 1;
                    let key = (ev.ts, 0u8, ev.flow_id, ev.seq as u64);
                    self.order.push(key, Item::File(Box::new(ev)));
                }
                self.order.watermark(worker, watermark);
            }
            ToControl::Stats { worker, stats } => self.workers.set(worker, *stats),
            ToControl::Done { worker } => self.order.done(worker),
        }
    }

    /// Periodic work: IDS inputs, VirusTotal answers, ordered output, flushing.
    pub fn tick(&mut self) {
        if self.last_ids_poll.elapsed() >= Duration::from_millis(100) {
            self.last_ids_poll = Instant::now();
            self.poll_ids();
        }
        self.poll_vt();
        self.release(false);
        self.eve.maybe_flush();
    }

    fn clock(&self) -> Nanos {
        if self.offline {
            self.order.newest()
        } else {
            wall_now()
        }
    }

    fn poll_ids(&mut self) {
        // In a pcap run the alert_fast year comes from packet time: wait for the first packet.
        let clock = self.clock();
        if clock == 0 {
            return;
        }
        for a in self.ids.poll(clock) {
            self.alert_seq += 1;
            let key = (a.ts, 1u8, 0, self.alert_seq);
            self.order.push(key, Item::Alert(Box::new(a)));
        }
    }

    fn poll_vt(&mut self) {
        let answers = match self.vt.as_mut() {
            Some(vt) => vt.poll(),
            None => return,
        };
        for (sha, v) in answers {
            self.apply_verdict(&sha, &v);
        }
    }

    fn release(&mut self, all: bool) {
        let mut out = std::mem::take(&mut self.released);
        if all {
            self.order.drain(&mut out);
        } else {
            self.order.release(&mut out);
        }
        self.stats.order_forced = self.order.forced;
        for item in out.drain(..) {
            match item {
                Item::File(ev) => self.file(ev),
                Item::Alert(a) => self.alert(*a),
            }
        }
        self.released = out;
    }

    /// Whether `virustotal.lookup` selects this file (a verdict, or "disabled" without a key).
    fn vt_selected(&self, ev: &FileEvent) -> bool {
        virustotal::should_lookup(self.cfg.virustotal.lookup, ev.category.is_dangerous())
    }

    fn should_log(&self, ev: &FileEvent, rank: u8) -> bool {
        rank >= rank::MALICIOUS
            || match self.cfg.files.log {
                Which::All => true,
                Which::Dangerous => ev.category.is_dangerous(),
                Which::None => false,
            }
    }

    /// A file in packet-time order: rank it, look it up, log it, correlate it.
    fn file(&mut self, ev: Box<FileEvent>) {
        let listed = self
            .intel
            .lookup(&ev.sha256, ev.md5.as_ref(), ev.sha1.as_ref())
            .map(str::to_string);
        let mut verdict = None;
        let mut pending = false;
        // Files `virustotal.lookup` does not select carry no virustotal object, key or not.
        if self.vt_selected(&ev) {
            match self.vt.as_mut() {
                Some(vt) => {
                    verdict = vt.cached(&ev.sha256);
                    if verdict.is_none() {
                        vt.request(&ev.sha256);
                        pending = true;
                    }
                }
                None => verdict = Some(Verdict::disabled(&ev.sha256)),
            }
        }
        let r = self.rank_of(&ev, verdict.as_ref(), listed.is_some());
        let logged = self.should_log(&ev, r);
        if logged {
            self.write_fileinfo(&ev, r, verdict.as_ref(), listed.as_deref());
            self.stats.fileinfo_written += 1;
        } else {
            self.stats.fileinfo_not_logged += 1;
        }
        self.correlate_file(&ev, r);
        if pending {
            self.add_pending(ev, logged);
        } else if r < rank::MALICIOUS {
            self.discard_parked(&ev);
        }
    }

    fn rank_of(&self, ev: &FileEvent, v: Option<&Verdict>, listed: bool) -> u8 {
        let counts = v
            .filter(|v| matches!(v.status, VtStatus::Malicious | VtStatus::Clean))
            .map(|v| rank::VtCounts {
                malicious: v.malicious,
                suspicious: v.suspicious,
            });
        rank::rank(
            ev.ftype,
            ev.category,
            counts,
            listed,
            self.cfg.virustotal.malicious_threshold,
        )
    }

    fn add_pending(&mut self, ev: Box<FileEvent>, logged: bool) {
        let sha = ev.sha256;
        let list = self.pending.entry(sha).or_default();
        if list.is_empty() {
            self.pending_order.push_back(sha);
        }
        list.push(PendingFile { ev, logged });
        while self.pending_order.len() > MAX_PENDING {
            if let Some(old) = self.pending_order.pop_front() {
                if let Some(l) = self.pending.remove(&old) {
                    self.stats.vt_pending_dropped += l.len() as u64;
                }
            }
        }
    }

    /// A verdict arrived: the update line (EVENTS.md) for every file waiting on this hash.
    fn apply_verdict(&mut self, sha: &[u8; 32], v: &Verdict) {
        let Some(files) = self.pending.remove(sha) else {
            return;
        };
        self.pending_order.retain(|s| s != sha);
        for p in files {
            let listed = self
                .intel
                .lookup(&p.ev.sha256, p.ev.md5.as_ref(), p.ev.sha1.as_ref())
                .map(str::to_string);
            let r = self.rank_of(&p.ev, Some(v), listed.is_some());
            if p.logged || self.should_log(&p.ev, r) {
                self.write_fileinfo(&p.ev, r, Some(v), listed.as_deref());
                self.stats.fileinfo_updates += 1;
            }
            self.correlate_file(&p.ev, r);
            if r < rank::MALICIOUS {
                self.discard_parked(&p.ev);
            }
        }
    }

    fn write_fileinfo(
        &mut self,
        ev: &FileEvent,
        rank: u8,
        vt: Option<&Verdict>,
        listed: Option<&str>,
    ) {
        let stored = ev.stored || (rank >= rank::MALICIOUS && self.promote(&ev.sha256));
        let line = FileinfoLine {
            timestamp: format_eve(ev.ts),
            flow_id: ev.flow_id,
            event_type: "fileinfo",
            sensor: &self.cfg.sensor.name,
            src_ip: ev.src.ip().to_string(),
            src_port: ev.src.port(),
            dest_ip: ev.dst.ip().to_string(),
            dest_port: ev.dst.port(),
            proto: "TCP",
            app_proto: ev.meta.app_proto.as_str(),
            direction: direction(&self.cfg, ev.src.ip(), ev.dst.ip()),
            rank,
            fileinfo: FileinfoObj {
                filename: &ev.meta.filename,
                size: ev.size,
                state: ev.state,
                gaps: ev.gaps,
                sha256: hex(&ev.sha256),
                md5: ev.md5.as_ref().map(|h| hex(h)),
                sha1: ev.sha1.as_ref().map(|h| hex(h)),
                ftype: ev.ftype,
                category: ev.category,
                stored,
                truncated_reason: ev.trunc_reason,
                note: ev.meta.note,
            },
            http: ev.meta.http.as_deref(),
            email: ev.meta.email.as_deref(),
            virustotal: vt,
            intel: listed.map(|list| IntelObj { list }),
        };
        self.eve.write(&line);
    }

    /// `files.store.which: malicious`: a rank-100 file moves from the store's pending area into
    /// the store. True when the file is (now) in the store.
    fn promote(&mut self, sha256: &[u8; 32]) -> bool {
        let st = &self.cfg.files.store;
        if !st.enabled || st.which != StoreWhich::Malicious {
            return false;
        }
        match crate::files::store::promote(&st.dir, sha256) {
            Ok(true) => {
                self.stats.store_promoted += 1;
                true
            }
            // No pending copy: stored before (same sha256), or never parked (not dangerous).
            Ok(false) => crate::files::store::stored_path(&st.dir, sha256).exists(),
            Err(_) => {
                self.stats.store_promote_errors += 1;
                false
            }
        }
    }

    /// `files.store.which: malicious`: a file whose verdict is in and below rank 100 leaves the
    /// store's pending area (a file still waiting for VirusTotal at exit stays parked).
    fn discard_parked(&mut self, ev: &FileEvent) {
        let st = &self.cfg.files.store;
        // Only dangerous files not already in the store were parked (files::store::finish).
        if !st.enabled
            || st.which != StoreWhich::Malicious
            || !ev.category.is_dangerous()
            || ev.stored
        {
            return;
        }
        match crate::files::store::discard_pending(&st.dir, &ev.sha256) {
            Ok(true) => self.stats.store_discarded += 1,
            Ok(false) => {}
            Err(_) => self.stats.store_discard_errors += 1,
        }
    }

    fn correlate_file(&mut self, ev: &FileEvent, rank: u8) {
        if !(ev.category.is_dangerous() || rank >= rank::MALICIOUS) {
            return;
        }
        let (src, dst) = (ev.src.ip(), ev.dst.ip());
        let (host, remote) = if self.cfg.is_home(dst) {
            (dst, src)
        } else if self.cfg.is_home(src) {
            (src, dst)
        } else {
            return;
        };
        let evidence = correlate::FileEvidence {
            ts: ev.ts,
            host,
            remote_ip: remote,
            sha256: ev.sha256,
            ftype: ev.ftype,
            category: ev.category,
            rank,
            filename: ev.meta.filename.clone(),
            app_proto: ev.meta.app_proto,
        };
        let out = self.correlator.add_file(evidence, &self.cfg.sensor.name);
        self.write_correlations(out);
    }

    fn alert(&mut self, a: ids::Alert) {
        let line = a.to_eve(&self.cfg.sensor.name);
        self.eve.write(&line);
        self.stats.alerts_written += 1;
        let out = self.correlator.add_alert(&a, &self.cfg.sensor.name);
        self.write_correlations(out);
    }

    fn write_correlations(&mut self, out: Vec<serde_json::Value>) {
        for c in out {
            self.eve.write(&c);
            self.stats.correlations_written += 1;
        }
    }

    /// SIGHUP: reload the blocklists.
    pub fn reload(&mut self) {
        self.intel.reload();
    }

    /// Whether an interval stats event is due (live captures; a pcap run writes one at exit).
    pub fn stats_due(&self) -> bool {
        !self.offline
            && self.last_stats.elapsed() >= Duration::from_nanos(self.cfg.outputs.stats.interval)
    }

    /// Writes a `stats` event with every counter.
    pub fn write_stats(&mut self, cap: &CaptureStats) {
        self.last_stats = Instant::now();
        let ts = if self.offline {
            self.order.newest().max(self.last_stats_ts)
        } else {
            wall_now()
        };
        self.last_stats_ts = ts;
        self.stats.eve_lines = self.eve.lines;
        self.stats.eve_write_errors = self.eve.write_errors;
        self.stats.backpressure_waits = cap.backpressure_waits;
        self.stats.control_queue_full = cap.control_queue_full;
        let engine = self.workers.total();
        let mut s = serde_json::to_value(&engine).unwrap_or_default();
        if let Some(obj) = s.as_object_mut() {
            let ports: serde_json::Map<String, serde_json::Value> = cap
                .ports
                .iter()
                .map(|p| (p.port.clone(), serde_json::to_value(p).unwrap_or_default()))
                .collect();
            obj.insert("capture".into(), serde_json::Value::Object(ports));
            let queues: serde_json::Map<String, serde_json::Value> = cap
                .dispatch
                .iter()
                .map(|q| {
                    (
                        format!("worker_{}", q.worker),
                        serde_json::to_value(q).unwrap_or_default(),
                    )
                })
                .collect();
            obj.insert("dispatch".into(), serde_json::Value::Object(queues));
            let vt = self.vt.as_ref().map(|v| v.stats()).unwrap_or_default();
            obj.insert(
                "virustotal".into(),
                serde_json::to_value(vt).unwrap_or_default(),
            );
            obj.insert(
                "intel".into(),
                serde_json::to_value(self.intel.stats()).unwrap_or_default(),
            );
            obj.insert(
                "ids".into(),
                serde_json::to_value(self.ids.stats()).unwrap_or_default(),
            );
            obj.insert(
                "correlation".into(),
                serde_json::to_value(self.correlator.stats()).unwrap_or_default(),
            );
            obj.insert(
                "control".into(),
                serde_json::to_value(&self.stats).unwrap_or_default(),
            );
        }
        let line = serde_json::json!({
            "timestamp": format_eve(ts),
            "event_type": "stats",
            "sensor": self.cfg.sensor.name,
            "stats": s,
        });
        self.eve.write(&line);
    }

    /// End of the run: every event out, the lookups still queued done within
    /// `virustotal.exit_wait` (pcap runs), the last stats, everything flushed.
    pub fn finish(&mut self, cap: &CaptureStats) -> Result<(), String> {
        // Read what the alert logs still hold (bounded per poll), then write everything.
        for _ in 0..10_000 {
            self.poll_ids();
            if !self.ids.behind() {
                break;
            }
        }
        self.release(true);
        if self.offline {
            let wait = Duration::from_nanos(self.cfg.virustotal.exit_wait);
            let answers = self
                .vt
                .as_mut()
                .map(|vt| vt.drain(wait))
                .unwrap_or_default();
            for (sha, v) in answers {
                self.apply_verdict(&sha, &v);
            }
            // Not looked up in time: their lines stay as written (no virustotal object).
            let left: usize = self.pending.values().map(Vec::len).sum();
            self.stats.vt_pending_at_exit += left as u64;
            self.pending.clear();
            self.pending_order.clear();
        } else {
            self.poll_vt();
        }
        self.write_stats(cap);
        self.eve.flush();
        if self.eve.write_errors > 0 {
            return Err(format!(
                "{} event lines could not be written",
                self.eve.write_errors
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
