//! IDS correlation: per home_net host, the dangerous or malicious files it transferred and the
//! IDS alerts naming it, told together as one `correlation` event (EVENTS.md) when a host has
//! both within `ids.window`.
//!
//! Rules (all in event time, the evidence timestamps, never the wall clock):
//! - A piece of evidence spans `[first, last]` (a repeat widens it). When a new piece arrives
//!   (or a file's rank changes), its *group* is every piece of the host whose span comes within
//!   `window` of the new piece's span. If the group holds at least one file and one alert, the
//!   whole group is written as a `correlation` event.
//! - Repeats are not new evidence: the same sha256 on the same host with the same rank, or the
//!   same alert (gid, sid) from the same remote host, within the window of the existing piece,
//!   only widen that piece (and count it) and write nothing. Seen again outside the window, it
//!   is a new sighting (a new piece). A different rank for a known sha256 (a VirusTotal verdict
//!   arrived, whatever its timestamp) updates every piece of that sha256 and is new evidence:
//!   the group around those pieces is written again.
//! - Score: 100 when the group has a rank-100 file (it always has an alert). Otherwise
//!   `min(99, max_rank * 3 / 5 + severity_points + extra)` where `severity_points` is 30, 20,
//!   10 or 5 for the most severe alert's severity 1, 2, 3 or other, and `extra` is 2 for every
//!   piece beyond the first file and the first alert, at most 10.
//! - Memory is bounded: at most `max_hosts` hosts (the least recently seen is dropped) and
//!   `max_evidence_per_host` pieces per host (the oldest is dropped); pieces too old to meet any
//!   future evidence (`last + window` before both the newest file and the newest alert time) are
//!   expired when their host is next touched. Every drop is counted.
//! - Output is deterministic: files sorted by (first seen, sha256), alerts by (first seen, gid,
//!   sid, remote).
//!
//! An empty `home_net` makes every address a home host.
//!
//! Example (one line in eve.json, wrapped here):
//! ```json
//! {"timestamp":"2026-12-03T14:01:00.000000+0000","event_type":"correlation","sensor":"sensor-1",
//!  "correlation":{"host":"10.0.0.6","score":100,
//!   "first_seen":"2026-12-03T14:00:00.000000+0000","last_seen":"2026-12-03T14:01:00.000000+0000",
//!   "files":[{"sha256":"9f86d0…","type":"exe","category":"executable","rank":100,
//!     "filename":"invoice.exe","app_proto":"http","remote_ip":"203.0.113.5",
//!     "timestamp":"2026-12-03T14:00:00.000000+0000"}],
//!   "alerts":[{"signature_id":2018959,"gid":1,
//!     "signature":"ET POLICY PE EXE or DLL Windows file download HTTP","severity":1,
//!     "remote_ip":"203.0.113.5","timestamp":"2026-12-03T14:01:00.000000+0000","count":1}]}}
//! ```

use crate::config::IdsCfg;
use crate::control::ids::Alert;
use crate::files::{AppProto, Category, FileType};
use crate::time::{format_eve, Nanos};
use hashbrown::HashMap;
use ipnet::IpNet;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A dangerous or malicious file, as seen by one home_net host.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEvidence {
    pub ts: Nanos,
    /// The home_net side of the transfer.
    pub host: IpAddr,
    pub remote_ip: IpAddr,
    pub sha256: [u8; 32],
    pub ftype: FileType,
    pub category: Category,
    pub rank: u8,
    pub filename: String,
    pub app_proto: AppProto,
}

crate::counters! {
    /// `stats.correlation`.
    pub struct CorrelateStats {
        /// Files given to the correlator.
        files,
        /// Alerts given to the correlator.
        alerts,
        /// Files whose host is not in home_net (ignored).
        files_not_home,
        /// Alerts with neither end in home_net (ignored).
        alerts_not_home,
        /// Same sha256, same host, same rank again (no event).
        file_repeats,
        /// Same alert from the same remote within the window again (no event).
        alert_repeats,
        /// A known file's rank changed (new evidence).
        rank_updates,
        /// correlation events written.
        events,
        /// Hosts dropped because max_hosts was reached (least recently seen first).
        hosts_dropped,
        /// Pieces dropped because max_evidence_per_host was reached (oldest first).
        evidence_dropped,
        /// Pieces expired: too old to meet any future evidence.
        evidence_expired,
        /// Hosts tracked now (a gauge).
        hosts_tracked,
    }
}

#[derive(Clone, Debug)]
struct FileEntry {
    first: Nanos,
    last: Nanos,
    sha256: [u8; 32],
    ftype: FileType,
    category: Category,
    rank: u8,
    filename: String,
    app_proto: AppProto,
    remote_ip: IpAddr,
}

#[derive(Clone, Debug)]
struct AlertEntry {
    first: Nanos,
    last: Nanos,
    gid: u64,
    sid: u64,
    signature: String,
    severity: u32,
    remote_ip: IpAddr,
    count: u64,
}

#[derive(Default)]
struct Host {
    seq: u64,
    files: Vec<FileEntry>,
    alerts: Vec<AlertEntry>,
}

/// Per-host evidence and the correlation rules (see the module doc).
pub struct Correlator {
    window: Nanos,
    max_hosts: usize,
    max_evidence: usize,
    home_net: Vec<IpNet>,
    hosts: HashMap<IpAddr, Host>,
    /// Touch order -> host, for least-recently-seen eviction.
    lru: BTreeMap<u64, IpAddr>,
    seq: u64,
    newest_file: Nanos,
    newest_alert: Nanos,
    stats: CorrelateStats,
}

/// Whether span `[a0, a1]` comes within `w` of span `[b0, b1]`.
fn near(a0: Nanos, a1: Nanos, b0: Nanos, b1: Nanos, w: Nanos) -> bool {
    a0 <= b1.saturating_add(w) && b0 <= a1.saturating_add(w)
}

fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(H[usize::from(x >> 4)]));
        s.push(char::from(H[usize::from(x & 15)]));
    }
    s
}

/// Filenames kept at most this long (bytes).
const MAX_FILENAME: usize = 512;

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_FILENAME);
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("").to_string()
}

fn severity_points(sev: u32) -> u32 {
    match sev {
        1 => 30,
        2 => 20,
        3 => 10,
        _ => 5,
    }
}

/// The score of a group with `files` and `alerts` (both non-empty); see the module doc.
pub fn score(file_ranks: &[u8], alert_severities: &[u32]) -> u8 {
    let max_rank = file_ranks.iter().copied().max().unwrap_or(0);
    if max_rank >= 100 {
        return 100;
    }
    let sev = alert_severities.iter().copied().min().unwrap_or(u32::MAX);
    let pieces = file_ranks.len() + alert_severities.len();
    let extra = (pieces.saturating_sub(2) as u32).saturating_mul(2).min(10);
    let s = u32::from(max_rank) * 3 / 5 + severity_points(sev) + extra;
    s.min(99) as u8
}

impl Correlator {
    pub fn new(cfg: &IdsCfg, home_net: Vec<IpNet>) -> Correlator {
        Correlator {
            window: cfg.window,
            max_hosts: (cfg.max_hosts as usize).max(1),
            max_evidence: (cfg.max_evidence_per_host as usize).max(2),
            home_net,
            hosts: HashMap::new(),
            lru: BTreeMap::new(),
            seq: 0,
            newest_file: 0,
            newest_alert: 0,
            stats: CorrelateStats::default(),
        }
    }

    fn is_home(&self, ip: IpAddr) -> bool {
        self.home_net.is_empty() || self.home_net.iter().any(|n| n.contains(&ip))
    }

    /// Marks `ip` as just seen (creating it, evicting the least recently seen host past
    /// max_hosts) and expires its stale evidence.
    fn touch(&mut self, ip: IpAddr) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(h) = self.hosts.get_mut(&ip) {
            self.lru.remove(&h.seq);
            h.seq = seq;
        } else {
            while self.hosts.len() >= self.max_hosts {
                let Some((_, old)) = self.lru.pop_first() else {
                    break;
                };
                self.hosts.remove(&old);
                self.stats.hosts_dropped += 1;
            }
            self.hosts.insert(
                ip,
                Host {
                    seq,
                    ..Host::default()
                },
            );
        }
        self.lru.insert(seq, ip);
        // Expire what no future evidence can meet.
        let horizon = self.newest_file.min(self.newest_alert);
        let w = self.window;
        if let Some(h) = self.hosts.get_mut(&ip) {
            let before = h.files.len() + h.alerts.len();
            h.files.retain(|f| f.last.saturating_add(w) >= horizon);
            h.alerts.retain(|a| a.last.saturating_add(w) >= horizon);
            self.stats.evidence_expired += (before - h.files.len() - h.alerts.len()) as u64;
        }
        self.stats.hosts_tracked = self.hosts.len() as u64;
    }

    /// Drops the oldest pieces of `ip` past max_evidence_per_host.
    fn bound(&mut self, ip: IpAddr) {
        let Some(h) = self.hosts.get_mut(&ip) else {
            return;
        };
        while h.files.len() + h.alerts.len() > self.max_evidence {
            let of = h
                .files
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| (f.last, f.first))
                .map(|(i, f)| (i, f.last));
            let oa = h
                .alerts
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| (a.last, a.first))
                .map(|(i, a)| (i, a.last));
            match (of, oa) {
                (Some((i, tf)), Some((_, ta))) if tf <= ta => {
                    h.files.remove(i);
                }
                (_, Some((j, _))) => {
                    h.alerts.remove(j);
                }
                (Some((i, _)), None) => {
                    h.files.remove(i);
                }
                (None, None) => break,
            }
            self.stats.evidence_dropped += 1;
        }
    }

    /// A dangerous or malicious file (the caller only passes those). Returns the correlation
    /// events to write.
    pub fn add_file(&mut self, f: FileEvidence, sensor: &str) -> Vec<Value> {
        self.stats.files += 1;
        if !self.is_home(f.host) {
            self.stats.files_not_home += 1;
            return Vec::new();
        }
        self.newest_file = self.newest_file.max(f.ts);
        let host = f.host;
        self.touch(host);
        let Some(h) = self.hosts.get_mut(&host) else {
            return Vec::new();
        };
        let w = self.window;
        let mut span = Some((f.ts, f.ts));
        let mut rank_changed: Option<(Nanos, Nanos)> = None;
        for e in h.files.iter_mut().filter(|e| e.sha256 == f.sha256) {
            if e.rank != f.rank {
                e.rank = f.rank;
                rank_changed = Some(
                    rank_changed
                        .map_or((e.first, e.last), |(a, b)| (a.min(e.first), b.max(e.last))),
                );
            }
        }
        let near_entry = h
            .files
            .iter_mut()
            .find(|e| e.sha256 == f.sha256 && near(e.first, e.last, f.ts, f.ts, w));
        if let Some(changed) = rank_changed {
            // A verdict about a known file: new evidence, not a new sighting.
            self.stats.rank_updates += 1;
            if let Some(e) = near_entry {
                e.first = e.first.min(f.ts);
                e.last = e.last.max(f.ts);
            }
            span = Some(changed);
        } else if let Some(e) = near_entry {
            e.first = e.first.min(f.ts);
            e.last = e.last.max(f.ts);
            self.stats.file_repeats += 1;
            span = None;
        } else {
            h.files.push(FileEntry {
                first: f.ts,
                last: f.ts,
                sha256: f.sha256,
                ftype: f.ftype,
                category: f.category,
                rank: f.rank,
                filename: clip(&f.filename),
                app_proto: f.app_proto,
                remote_ip: f.remote_ip,
            });
            self.bound(host);
        }
        match span {
            Some((a, b)) => self.emit(host, a, b, sensor).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// An alert; its home_net host(s) are its src and/or dest. Returns correlation events.
    pub fn add_alert(&mut self, a: &Alert, sensor: &str) -> Vec<Value> {
        self.stats.alerts += 1;
        let mut pairs: Vec<(IpAddr, IpAddr)> = Vec::with_capacity(2);
        if self.is_home(a.src_ip) {
            pairs.push((a.src_ip, a.dest_ip));
        }
        if self.is_home(a.dest_ip) && a.dest_ip != a.src_ip {
            pairs.push((a.dest_ip, a.src_ip));
        }
        if pairs.is_empty() {
            self.stats.alerts_not_home += 1;
            return Vec::new();
        }
        self.newest_alert = self.newest_alert.max(a.ts);
        let w = self.window;
        let mut out = Vec::new();
        for (host, remote) in pairs {
            self.touch(host);
            let Some(h) = self.hosts.get_mut(&host) else {
                continue;
            };
            let repeat = h.alerts.iter_mut().find(|e| {
                e.gid == a.gid
                    && e.sid == a.signature_id
                    && e.remote_ip == remote
                    && near(e.first, e.last, a.ts, a.ts, w)
            });
            if let Some(e) = repeat {
                e.first = e.first.min(a.ts);
                e.last = e.last.max(a.ts);
                e.count = e.count.saturating_add(1);
                self.stats.alert_repeats += 1;
                continue;
            }
            h.alerts.push(AlertEntry {
                first: a.ts,
                last: a.ts,
                gid: a.gid,
                sid: a.signature_id,
                signature: a.signature.clone(),
                severity: a.severity,
                remote_ip: remote,
                count: 1,
            });
            self.bound(host);
            out.extend(self.emit(host, a.ts, a.ts, sensor));
        }
        out
    }

    /// The correlation event for the group of `host` around span `[t0, t1]`, if it has both kinds.
    fn emit(&mut self, host: IpAddr, t0: Nanos, t1: Nanos, sensor: &str) -> Option<Value> {
        let w = self.window;
        let h = self.hosts.get(&host)?;
        let mut files: Vec<&FileEntry> = h
            .files
            .iter()
            .filter(|f| near(f.first, f.last, t0, t1, w))
            .collect();
        let mut alerts: Vec<&AlertEntry> = h
            .alerts
            .iter()
            .filter(|a| near(a.first, a.last, t0, t1, w))
            .collect();
        if files.is_empty() || alerts.is_empty() {
            return None;
        }
        files.sort_by_key(|f| (f.first, f.sha256));
        alerts.sort_by_key(|a| (a.first, a.gid, a.sid, a.remote_ip));
        let first = files
            .iter()
            .map(|f| f.first)
            .chain(alerts.iter().map(|a| a.first))
            .min()
            .unwrap_or(t0);
        let last = files
            .iter()
            .map(|f| f.last)
            .chain(alerts.iter().map(|a| a.last))
            .max()
            .unwrap_or(t1);
        let ranks: Vec<u8> = files.iter().map(|f| f.rank).collect();
        let sevs: Vec<u32> = alerts.iter().map(|a| a.severity).collect();
        let files_json: Vec<Value> = files
            .iter()
            .map(|f| {
                json!({
                    "sha256": hex(&f.sha256),
                    "type": f.ftype,
                    "category": f.category,
                    "rank": f.rank,
                    "filename": f.filename,
                    "app_proto": f.app_proto.as_str(),
                    "remote_ip": f.remote_ip.to_string(),
                    "timestamp": format_eve(f.first),
                })
            })
            .collect();
        let alerts_json: Vec<Value> = alerts
            .iter()
            .map(|a| {
                json!({
                    "signature_id": a.sid,
                    "gid": a.gid,
                    "signature": a.signature,
                    "severity": a.severity,
                    "remote_ip": a.remote_ip.to_string(),
                    "timestamp": format_eve(a.first),
                    "count": a.count,
                })
            })
            .collect();
        self.stats.events += 1;
        Some(json!({
            "timestamp": format_eve(last),
            "event_type": "correlation",
            "sensor": sensor,
            "correlation": {
                "host": host.to_string(),
                "score": score(&ranks, &sevs),
                "first_seen": format_eve(first),
                "last_seen": format_eve(last),
                "files": files_json,
                "alerts": alerts_json,
            }
        }))
    }

    pub fn stats(&self) -> CorrelateStats {
        self.stats.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    const T0: Nanos = 1_796_306_400 * NANOS_PER_SEC;
    const MIN: Nanos = 60 * NANOS_PER_SEC;

    fn cfg() -> IdsCfg {
        IdsCfg {
            window: 10 * MIN,
            ..IdsCfg::default()
        }
    }

    fn corr() -> Correlator {
        Correlator::new(&cfg(), vec!["10.0.0.0/8".parse().unwrap()])
    }

    fn file(host: &str, ts: Nanos, sha: u8, rank: u8) -> FileEvidence {
        FileEvidence {
            ts,
            host: host.parse().unwrap(),
            remote_ip: "203.0.113.9".parse().unwrap(),
            sha256: [sha; 32],
            ftype: FileType::Exe,
            category: Category::Executable,
            rank,
            filename: "setup.exe".into(),
            app_proto: AppProto::Http,
        }
    }

    fn alert(src: &str, dst: &str, ts: Nanos, sid: u64, sev: u32) -> Alert {
        Alert {
            ts,
            src_ip: src.parse().unwrap(),
            src_port: Some(80),
            dest_ip: dst.parse().unwrap(),
            dest_port: Some(50000),
            proto: "TCP".into(),
            signature_id: sid,
            gid: 1,
            rev: 1,
            signature: format!("sig {sid}"),
            category: "Trojan".into(),
            severity: sev,
            source: "/x".into(),
        }
    }

    #[test]
    fn file_then_alert_correlates() {
        let mut c = corr();
        assert!(c.add_file(file("10.0.0.5", T0, 1, 50), "s").is_empty());
        let ev = c.add_alert(&alert("203.0.113.9", "10.0.0.5", T0 + MIN, 2000, 1), "s");
        assert_eq!(ev.len(), 1);
        let e = &ev[0]["correlation"];
        assert_eq!(ev[0]["event_type"], "correlation");
        assert_eq!(e["host"], "10.0.0.5");
        assert_eq!(e["files"][0]["sha256"], hex(&[1; 32]));
        assert_eq!(e["files"][0]["type"], "exe");
        assert_eq!(e["alerts"][0]["remote_ip"], "203.0.113.9");
        assert_eq!(e["score"], 30 + 30);
        assert_eq!(e["first_seen"], format_eve(T0));
        assert_eq!(e["last_seen"], format_eve(T0 + MIN));
    }

    #[test]
    fn rank_100_is_top_score_and_rank_change_reemits() {
        let mut c = corr();
        c.add_alert(&alert("10.0.0.5", "198.51.100.1", T0, 7, 3), "s");
        let ev = c.add_file(file("10.0.0.5", T0 + MIN, 1, 40), "s");
        assert_eq!(ev.len(), 1);
        assert!(ev[0]["correlation"]["score"].as_u64().unwrap() < 100);
        assert!(c
            .add_file(file("10.0.0.5", T0 + MIN, 1, 40), "s")
            .is_empty());
        let ev = c.add_file(file("10.0.0.5", T0 + MIN, 1, 100), "s");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["correlation"]["score"], 100);
        assert_eq!(ev[0]["correlation"]["files"].as_array().unwrap().len(), 1);
        assert_eq!(c.stats().rank_updates, 1);
        assert_eq!(c.stats().file_repeats, 1);
    }

    #[test]
    fn outside_window_and_other_host_give_nothing() {
        let mut c = corr();
        c.add_file(file("10.0.0.5", T0, 1, 50), "s");
        assert!(c
            .add_alert(&alert("1.1.1.1", "10.0.0.5", T0 + 11 * MIN, 1, 1), "s")
            .is_empty());
        assert!(c
            .add_alert(&alert("1.1.1.1", "10.0.0.6", T0, 2, 1), "s")
            .is_empty());
        assert!(c
            .add_alert(&alert("1.1.1.1", "8.8.8.8", T0, 3, 1), "s")
            .is_empty());
        assert_eq!(c.stats().alerts_not_home, 1);
        assert_eq!(c.stats().events, 0);
    }

    #[test]
    fn repeat_alert_is_not_new_evidence() {
        let mut c = corr();
        c.add_file(file("10.0.0.5", T0, 1, 50), "s");
        assert_eq!(
            c.add_alert(&alert("1.1.1.1", "10.0.0.5", T0, 1, 2), "s")
                .len(),
            1
        );
        assert!(c
            .add_alert(&alert("1.1.1.1", "10.0.0.5", T0 + 1, 1, 2), "s")
            .is_empty());
        let ev = c.add_alert(&alert("1.1.1.2", "10.0.0.5", T0 + 2, 1, 2), "s");
        assert_eq!(ev.len(), 1);
        let alerts = ev[0]["correlation"]["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0]["count"], 2);
    }

    #[test]
    fn bounds_hold() {
        let mut c = Correlator::new(
            &IdsCfg {
                window: 10 * MIN,
                max_hosts: 2,
                max_evidence_per_host: 3,
                ..IdsCfg::default()
            },
            vec![],
        );
        for i in 0..10u8 {
            c.add_file(file("10.0.0.5", T0 + u64::from(i), i, 10), "s");
        }
        assert_eq!(c.stats().evidence_dropped, 7);
        c.add_file(file("10.0.0.6", T0, 1, 10), "s");
        c.add_file(file("10.0.0.7", T0, 1, 10), "s");
        assert_eq!(c.stats().hosts_dropped, 1);
        assert_eq!(c.hosts.len(), 2);
        assert!(!c.hosts.contains_key(&"10.0.0.5".parse::<IpAddr>().unwrap()));
        assert_eq!(c.lru.len(), 2);
    }

    #[test]
    fn late_verdict_reemits_old_story_and_far_repeat_is_new_sighting() {
        let mut c = corr();
        c.add_file(file("10.0.0.5", T0, 1, 40), "s");
        assert_eq!(
            c.add_alert(&alert("1.1.1.1", "10.0.0.5", T0 + MIN, 9, 2), "s")
                .len(),
            1
        );
        // The VirusTotal verdict comes two hours later.
        let ev = c.add_file(file("10.0.0.5", T0 + 120 * MIN, 1, 100), "s");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["correlation"]["score"], 100);
        assert_eq!(ev[0]["correlation"]["alerts"][0]["signature_id"], 9);
        assert_eq!(ev[0]["correlation"]["last_seen"], format_eve(T0 + MIN));
        // The same file downloaded again a day later, far from any alert: a new sighting.
        assert!(c
            .add_file(file("10.0.0.5", T0 + 1440 * MIN, 1, 100), "s")
            .is_empty());
        assert_eq!(c.stats().file_repeats, 0);
        let ev = c.add_alert(&alert("1.1.1.1", "10.0.0.5", T0 + 1441 * MIN, 9, 2), "s");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["correlation"]["files"].as_array().unwrap().len(), 1);
        assert_eq!(
            ev[0]["correlation"]["first_seen"],
            format_eve(T0 + 1440 * MIN)
        );
    }

    #[test]
    fn internal_alert_counts_for_both_hosts() {
        let mut c = corr();
        c.add_file(file("10.0.0.5", T0, 1, 50), "s");
        c.add_file(file("10.0.0.6", T0, 2, 50), "s");
        let ev = c.add_alert(&alert("10.0.0.5", "10.0.0.6", T0, 445, 1), "s");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0]["correlation"]["host"], "10.0.0.5");
        assert_eq!(ev[0]["correlation"]["alerts"][0]["remote_ip"], "10.0.0.6");
        assert_eq!(ev[1]["correlation"]["host"], "10.0.0.6");
        assert_eq!(ev[1]["correlation"]["alerts"][0]["remote_ip"], "10.0.0.5");
    }

    #[test]
    fn score_formula() {
        assert_eq!(score(&[100], &[4]), 100);
        assert_eq!(score(&[99], &[1]), 89);
        assert_eq!(score(&[99, 99, 99, 99], &[1, 1, 1, 1]), 99);
        assert_eq!(score(&[0], &[9]), 5);
    }
}
