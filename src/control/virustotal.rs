//! VirusTotal v3 file lookups for the control lcore.
//!
//! The control lcore never waits on the network: [`VirusTotal::request`] only pushes the sha256
//! onto a bounded, newest-first queue shared with one HTTP thread, and [`VirusTotal::poll`] only
//! drains a channel of verdicts. The HTTP thread asks `GET {url}/api/v3/files/{sha256}` (API key in
//! the `x-apikey` header), never more often than `requests_per_minute` / `requests_per_day`
//! (sliding windows on real time, every request counted, retries included), backs off
//! exponentially on 429 / 5xx / timeouts / malformed answers, and stops for good when the key is
//! rejected (401/403). Verdicts are kept in a JSON-lines cache (`virustotal.cache`: a file, or
//! `verdicts.jsonl` inside it when it is a directory) so a restart never asks again for a known
//! hash; malicious verdicts are kept for ever, clean / not_found ones are asked again after
//! `recheck_after`. The API key never appears in any message or Debug output.

use crate::config::{VirusTotalCfg, Which};
use crate::counters;
use crate::time::NANOS_PER_SEC;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where analysts read the report of a file.
pub const PERMALINK_PREFIX: &str = "https://www.virustotal.com/gui/file/";
/// Largest answer body read (a VT file report is a few tens of KiB).
const MAX_BODY: u64 = 2 << 20;
/// Verdicts kept in memory (the quota bounds growth far below this).
const MAX_CACHE_ENTRIES: usize = 1 << 20;
/// Longest cache line accepted when loading.
const MAX_CACHE_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VtStatus {
    Malicious,
    Clean,
    NotFound,
    Error,
    Disabled,
}

/// Serialised as the EVE `virustotal` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: VtStatus,
    pub malicious: u32,
    pub suspicious: u32,
    pub total: u32,
    /// `https://www.virustotal.com/gui/file/<sha256>`
    pub permalink: String,
    /// RFC 3339 (`last_analysis_date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_date: Option<String>,
}

impl Verdict {
    /// The verdict written when lookups are off (no API key).
    pub fn disabled(sha256: &[u8; 32]) -> Verdict {
        Verdict::bare(VtStatus::Disabled, sha256)
    }

    fn bare(status: VtStatus, sha256: &[u8; 32]) -> Verdict {
        Verdict {
            status,
            malicious: 0,
            suspicious: 0,
            total: 0,
            permalink: permalink(sha256),
            scan_date: None,
        }
    }
}

counters! {
    /// `stats.virustotal` in EVE.
    pub struct VtStats {
        /// request() calls.
        requested,
        /// request() for a hash already queued, in flight, or recently failed: no new query.
        deduplicated,
        /// Fresh verdicts answered from the cache (cached(), or request() of a known hash).
        cache_hits,
        /// Hashes put on the queue.
        queued,
        /// Oldest queued hashes dropped because the queue was full (never checked).
        queue_dropped,
        /// HTTP requests sent (retries included): what the quota counts.
        requests_sent,
        verdict_malicious,
        verdict_clean,
        verdict_not_found,
        verdict_error,
        /// Requests retried after a temporary failure.
        retries,
        http_429,
        http_5xx,
        /// Unexpected HTTP statuses (not 200/401/403/404/429/5xx): verdict error.
        http_other,
        timeouts,
        /// Connection refused / DNS / TLS and other transport failures.
        transport_errors,
        /// 200 answers that are not a VT file object (bad JSON, missing data, wrong id, too big).
        malformed,
        /// 401/403 answers: the key is rejected and lookups stop.
        auth_rejected,
        /// Hashes that could not be checked because the key was rejected.
        not_checked_key_rejected,
        /// Hashes still queued or in flight when drain() gave up.
        not_checked_at_exit,
        /// request() after drain(): ignored.
        requested_after_exit,
        /// Times the HTTP thread had work but had to wait for the quota.
        quota_waits,
        cache_loaded,
        cache_bad_lines,
        cache_write_errors,
        cache_compactions,
        /// Verdicts not kept in memory because the cache map is full.
        cache_full,
    }
}

/// Retry and backoff knobs (defaults suit the public API; tests shorten them).
#[derive(Clone, Debug)]
pub struct VtTuning {
    /// First backoff after a temporary failure; doubled for each consecutive failure.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Retries of one hash before its verdict is `Error`.
    pub max_retries: u32,
    /// After an `Error` verdict, how long request() of the same hash is ignored.
    pub error_recheck: Duration,
    /// Added to the 60 s / 24 h windows so the server, with its own clock, never counts more.
    pub quota_margin: Duration,
}

impl Default for VtTuning {
    fn default() -> Self {
        VtTuning {
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(120),
            max_retries: 4,
            error_recheck: Duration::from_secs(900),
            quota_margin: Duration::from_millis(250),
        }
    }
}

/// Counts and date of one analysis, as parsed from a VT file object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    pub malicious: u32,
    pub suspicious: u32,
    pub total: u32,
    pub scan_date: Option<String>,
}

/// What one HTTP answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found(Analysis),
    NotFound,
    /// 401 / 403: stop querying.
    KeyRejected(u16),
    /// 429: back off, retry.
    Quota,
    /// 5xx (and 408): back off, retry.
    ServerError(u16),
    /// 200 that is not a usable file object: back off, retry.
    Malformed,
    /// Anything else: verdict error, no retry.
    OtherStatus(u16),
}

/// Whether a file is looked up under `virustotal.lookup` (`dangerous`: dangerous types only).
pub fn should_lookup(lookup: Which, dangerous: bool) -> bool {
    match lookup {
        Which::All => true,
        Which::Dangerous => dangerous,
        Which::None => false,
    }
}

/// `https://www.virustotal.com/gui/file/<sha256 hex>`
pub fn permalink(sha256: &[u8; 32]) -> String {
    let mut s = String::with_capacity(PERMALINK_PREFIX.len() + 64);
    s.push_str(PERMALINK_PREFIX);
    push_hex(&mut s, sha256);
    s
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const D: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
}

/// Decodes hex (either case) into `out`; false unless `s` is exactly `2 * out.len()` hex digits.
pub fn decode_hex(s: &str, out: &mut [u8]) -> bool {
    let b = s.as_bytes();
    if b.len() != out.len() * 2 {
        return false;
    }
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let &[hi, lo] = pair else { return false };
        match (nib(hi), nib(lo)) {
            (Some(h), Some(l)) => *o = (h << 4) | l,
            _ => return false,
        }
    }
    true
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Unix seconds -> RFC 3339 (`2026-12-03T14:00:00Z`); None when out of range.
fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Interprets one answer of `GET /api/v3/files/{sha256}`. Pure: the fuzz target drives it.
pub fn parse_response(status: u16, body: &[u8], sha256: &[u8; 32]) -> Outcome {
    match status {
        200 => parse_file_object(body, sha256)
            .map(Outcome::Found)
            .unwrap_or(Outcome::Malformed),
        404 => Outcome::NotFound,
        401 | 403 => Outcome::KeyRejected(status),
        429 => Outcome::Quota,
        408 | 500..=599 => Outcome::ServerError(status),
        s => Outcome::OtherStatus(s),
    }
}

fn parse_file_object(body: &[u8], sha256: &[u8; 32]) -> Option<Analysis> {
    if body.len() as u64 > MAX_BODY {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let data = v.get("data")?.as_object()?;
    if let Some(id) = data.get("id") {
        let mut got = [0u8; 32];
        if !id.as_str().is_some_and(|s| decode_hex(s, &mut got)) || &got != sha256 {
            return None;
        }
    }
    let attrs = data.get("attributes")?.as_object()?;
    let mut a = Analysis {
        malicious: 0,
        suspicious: 0,
        total: 0,
        scan_date: None,
    };
    if let Some(stats) = attrs.get("last_analysis_stats") {
        let stats = stats.as_object()?;
        let mut total: u64 = 0;
        for n in stats.values() {
            total = total.saturating_add(n.as_u64()?);
        }
        let get = |k: &str| stats.get(k).and_then(|n| n.as_u64()).unwrap_or(0);
        a.malicious = clamp_u32(get("malicious"));
        a.suspicious = clamp_u32(get("suspicious"));
        a.total = clamp_u32(total);
    }
    a.scan_date = attrs
        .get("last_analysis_date")
        .and_then(|d| d.as_i64())
        .and_then(rfc3339);
    Some(a)
}

fn verdict_of(a: &Analysis, sha256: &[u8; 32], threshold: u32) -> Verdict {
    Verdict {
        status: if a.malicious >= threshold {
            VtStatus::Malicious
        } else {
            VtStatus::Clean
        },
        malicious: a.malicious,
        suspicious: a.suspicious,
        total: a.total,
        permalink: permalink(sha256),
        scan_date: a.scan_date.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Cache

/// One line of the cache file.
#[derive(Serialize, Deserialize)]
struct CacheLine {
    sha256: String,
    /// false: VT did not know the file (not_found).
    found: bool,
    #[serde(default)]
    malicious: u32,
    #[serde(default)]
    suspicious: u32,
    #[serde(default)]
    total: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scan_date: Option<String>,
    /// Unix seconds of the lookup.
    checked: u64,
}

#[derive(Clone, Debug)]
struct CacheEntry {
    /// None: not_found. Error verdicts are kept in memory only, as `error_until`.
    analysis: Option<Analysis>,
    checked: u64,
}

fn cache_file(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("verdicts.jsonl")
    } else {
        p.to_path_buf()
    }
}

fn now_secs() -> u64 {
    crate::time::wall_now() / NANOS_PER_SEC
}

/// What the cache file holds.
#[derive(Default)]
struct Loaded {
    map: HashMap<[u8; 32], CacheEntry>,
    /// Lines read (to decide on compaction).
    lines: u64,
    /// Lookups recorded in the last 24 h and the last minute: a restart does not reset the quota.
    last_day: u64,
    last_minute: u64,
}

/// Loads the cache. Bad lines are counted and skipped; later lines win.
fn load_cache(path: &Path, stats: &mut VtStats) -> Loaded {
    let mut out = Loaded::default();
    let Ok(f) = std::fs::File::open(path) else {
        return out;
    };
    let now = now_secs();
    let Loaded {
        map,
        lines,
        last_day,
        last_minute,
    } = &mut out;
    let mut r = std::io::BufReader::new(f);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r
            .by_ref()
            .take(MAX_CACHE_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => {
                stats.cache_bad_lines += 1;
                break;
            }
        }
        if buf.len() > MAX_CACHE_LINE && buf.last() != Some(&b'\n') {
            // Overlong line: skip to its end.
            stats.cache_bad_lines += 1;
            let mut sink = Vec::new();
            if r.read_until(b'\n', &mut sink).is_err() {
                break;
            }
            continue;
        }
        *lines += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let Ok(l) = serde_json::from_slice::<CacheLine>(text) else {
            stats.cache_bad_lines += 1;
            continue;
        };
        let mut sha = [0u8; 32];
        if !decode_hex(&l.sha256, &mut sha) {
            stats.cache_bad_lines += 1;
            continue;
        }
        if map.len() >= MAX_CACHE_ENTRIES && !map.contains_key(&sha) {
            stats.cache_full += 1;
            continue;
        }
        let analysis = l.found.then(|| Analysis {
            malicious: l.malicious,
            suspicious: l.suspicious,
            total: l.total,
            scan_date: l.scan_date.filter(|s| s.len() <= 64),
        });
        let age = now.saturating_sub(l.checked);
        *last_day += u64::from(age < DAY_SECS);
        *last_minute += u64::from(age < 60);
        // Later lines win.
        map.insert(
            sha,
            CacheEntry {
                analysis,
                checked: l.checked,
            },
        );
    }
    stats.cache_loaded = map.len() as u64;
    out
}

fn cache_line(sha: &[u8; 32], e: &CacheEntry) -> String {
    let a = e.analysis.as_ref();
    let l = CacheLine {
        sha256: hex(sha),
        found: a.is_some(),
        malicious: a.map_or(0, |a| a.malicious),
        suspicious: a.map_or(0, |a| a.suspicious),
        total: a.map_or(0, |a| a.total),
        scan_date: a.and_then(|a| a.scan_date.clone()),
        checked: e.checked,
    };
    let mut s = serde_json::to_string(&l).unwrap_or_default();
    s.push('\n');
    s
}

/// Rewrites the cache with one line per entry (tmp file + rename).
fn compact_cache(path: &Path, map: &HashMap<[u8; 32], CacheEntry>) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        for (sha, e) in map {
            w.write_all(cache_line(sha, e).as_bytes())?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

// ---------------------------------------------------------------------------------------------
// Quota

/// Sliding-window limits: at most `per_min` requests in any 60 s (+margin) and `per_day` in any
/// 24 h (+margin, minute buckets). Memory: `per_min` instants and at most 1441 buckets.
struct Limiter {
    per_min: usize,
    per_day: u64,
    margin: Duration,
    start: Instant,
    minute: VecDeque<Instant>,
    day: VecDeque<(u64, u64)>,
    day_total: u64,
}

const MINUTE: Duration = Duration::from_secs(60);
const DAY_SECS: u64 = 86_400;

impl Limiter {
    fn new(per_min: u32, per_day: u32, margin: Duration) -> Limiter {
        Limiter {
            per_min: per_min.max(1) as usize,
            per_day: per_day as u64,
            margin,
            start: Instant::now(),
            minute: VecDeque::new(),
            day: VecDeque::new(),
            day_total: 0,
        }
    }

    /// Earliest instant a request may be sent (`now` when one may be sent now); None: never
    /// (a daily quota of 0).
    fn next_free(&mut self, now: Instant) -> Option<Instant> {
        while self
            .minute
            .front()
            .is_some_and(|t| *t + MINUTE + self.margin <= now)
        {
            self.minute.pop_front();
        }
        let elapsed = now.saturating_duration_since(self.start);
        let margin = self.margin.as_secs() + 1;
        while let Some(&(idx, n)) = self.day.front() {
            // Bucket idx covers [idx*60, idx*60+60) s after start; it expires 24 h after its end.
            let expires = (idx + 1) * 60 + DAY_SECS + margin;
            if expires <= elapsed.as_secs() {
                self.day.pop_front();
                self.day_total -= n;
            } else {
                break;
            }
        }
        if self.per_day == 0 {
            return None;
        }
        let mut t = now;
        if self.minute.len() >= self.per_min {
            if let Some(first) = self.minute.get(self.minute.len() - self.per_min) {
                t = t.max(*first + MINUTE + self.margin);
            }
        }
        if self.day_total >= self.per_day {
            if let Some(&(idx, _)) = self.day.front() {
                let expires = (idx + 1) * 60 + DAY_SECS + margin;
                t = t.max(self.start + Duration::from_secs(expires));
            }
        }
        Some(t)
    }

    /// Counts lookups made before a restart (from the cache), conservatively as made now.
    fn seed(&mut self, last_day: u64, last_minute: u64) {
        let now = Instant::now();
        for _ in 0..last_minute.min(self.per_min as u64) {
            self.minute.push_back(now);
        }
        if last_day > 0 {
            self.day.push_back((0, last_day));
            self.day_total = last_day;
        }
    }

    fn record(&mut self, now: Instant) {
        self.minute.push_back(now);
        while self.minute.len() > self.per_min {
            self.minute.pop_front();
        }
        let idx = now.saturating_duration_since(self.start).as_secs() / 60;
        match self.day.back_mut() {
            Some((i, n)) if *i == idx => *n += 1,
            _ => self.day.push_back((idx, 1)),
        }
        self.day_total += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// The HTTP thread and what it shares with the control lcore

#[derive(Clone, Copy)]
struct Item {
    sha: [u8; 32],
    attempts: u32,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Item>,
    in_flight: bool,
    stop: bool,
    key_rejected: bool,
    /// When the HTTP thread has work but waits (quota, backoff): when it may send next.
    next_send: Option<Instant>,
    /// Counters kept by the HTTP thread.
    stats: VtStats,
}

struct Shared {
    st: Mutex<State>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }
}

enum Fetch {
    Answer(u16, Vec<u8>),
    BodyTooLarge,
    Timeout,
    Transport(String),
}

fn fetch(client: &reqwest::blocking::Client, base: &str, sha: &[u8; 32]) -> Fetch {
    let mut url = String::with_capacity(base.len() + 80);
    url.push_str(base);
    url.push_str("/api/v3/files/");
    push_hex(&mut url, sha);
    match client.get(&url).send() {
        Err(e) if e.is_timeout() => Fetch::Timeout,
        // reqwest errors name the URL (base + hash), never the x-apikey header.
        Err(e) => Fetch::Transport(error_chain(&e)),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            match resp.take(MAX_BODY + 1).read_to_end(&mut body) {
                Ok(_) if body.len() as u64 > MAX_BODY => Fetch::BodyTooLarge,
                Ok(_) => Fetch::Answer(status, body),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Fetch::Timeout,
                // A body read can time out as an "other" io error wrapping reqwest's timeout.
                Err(e) if e.to_string().contains("timed out") => Fetch::Timeout,
                Err(e) => Fetch::Transport(e.to_string()),
            }
        }
    }
}

/// An error and its causes on one line ("connection refused" is in a cause, not the top error).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(c) = cur {
        depth += 1;
        if depth > 8 {
            break;
        }
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

struct Worker {
    shared: Arc<Shared>,
    client: reqwest::blocking::Client,
    base: String,
    tuning: VtTuning,
    limiter: Limiter,
    threshold: u32,
    tx: mpsc::Sender<([u8; 32], Verdict)>,
    cache_path: PathBuf,
    cache_out: Option<std::fs::File>,
    consecutive_failures: u32,
    backoff_until: Option<Instant>,
    said_transport: bool,
}

impl Worker {
    fn run(mut self) {
        loop {
            let Some(mut item) = self.next_item() else {
                return;
            };
            let now = Instant::now();
            self.limiter.record(now);
            let got = fetch(&self.client, &self.base, &item.sha);
            // Counters and cache writes happen outside the lock: the control lcore never waits
            // on the disk either.
            let mut d = VtStats {
                requests_sent: 1,
                ..VtStats::default()
            };
            let outcome = match got {
                Fetch::Answer(code, body) => {
                    let o = parse_response(code, &body, &item.sha);
                    match &o {
                        Outcome::Quota => d.http_429 += 1,
                        Outcome::ServerError(_) => d.http_5xx += 1,
                        Outcome::Malformed => d.malformed += 1,
                        Outcome::OtherStatus(_) => d.http_other += 1,
                        _ => {}
                    }
                    o
                }
                Fetch::BodyTooLarge => {
                    d.malformed += 1;
                    Outcome::Malformed
                }
                Fetch::Timeout => {
                    d.timeouts += 1;
                    Outcome::ServerError(0)
                }
                Fetch::Transport(msg) => {
                    d.transport_errors += 1;
                    if !self.said_transport {
                        self.said_transport = true;
                        eprintln!("virustotal: lookup failed ({msg}); retrying with backoff");
                    }
                    Outcome::ServerError(0)
                }
            };
            let mut requeue = false;
            let mut rejected = None;
            let verdict = match outcome {
                Outcome::Found(a) => {
                    self.consecutive_failures = 0;
                    let v = verdict_of(&a, &item.sha, self.threshold);
                    let e = CacheEntry {
                        analysis: Some(a),
                        checked: now_secs(),
                    };
                    self.write_cache(&item.sha, &e, &mut d);
                    Some(v)
                }
                Outcome::NotFound => {
                    self.consecutive_failures = 0;
                    let e = CacheEntry {
                        analysis: None,
                        checked: now_secs(),
                    };
                    self.write_cache(&item.sha, &e, &mut d);
                    Some(Verdict::bare(VtStatus::NotFound, &item.sha))
                }
                Outcome::KeyRejected(code) => {
                    d.auth_rejected += 1;
                    rejected = Some(code);
                    // The file keeps its status: back on the queue, never asked again.
                    requeue = true;
                    None
                }
                Outcome::OtherStatus(_) => Some(Verdict::bare(VtStatus::Error, &item.sha)),
                Outcome::Quota | Outcome::ServerError(_) | Outcome::Malformed => {
                    self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                    let shift = self.consecutive_failures.saturating_sub(1).min(20);
                    let back = self
                        .tuning
                        .backoff_base
                        .saturating_mul(1u32 << shift)
                        .min(self.tuning.backoff_max);
                    self.backoff_until = Some(Instant::now() + back);
                    item.attempts = item.attempts.saturating_add(1);
                    if item.attempts > self.tuning.max_retries {
                        Some(Verdict::bare(VtStatus::Error, &item.sha))
                    } else {
                        d.retries += 1;
                        requeue = true;
                        None
                    }
                }
            };
            if let Some(v) = &verdict {
                match v.status {
                    VtStatus::Malicious => d.verdict_malicious += 1,
                    VtStatus::Clean => d.verdict_clean += 1,
                    VtStatus::NotFound => d.verdict_not_found += 1,
                    _ => d.verdict_error += 1,
                }
            }
            let mut st = self.shared.lock();
            st.stats.add(&d);
            if let Some(code) = rejected {
                if !st.key_rejected {
                    eprintln!("virustotal: API key rejected (HTTP {code}); lookups stopped");
                }
                st.key_rejected = true;
            }
            if requeue {
                st.queue.push_front(item);
            }
            if let Some(v) = verdict {
                // Sent before in_flight is cleared, so drain() sees it once the queue is idle.
                let _ = self.tx.send((item.sha, v));
            }
            st.in_flight = false;
            drop(st);
            self.shared.cv.notify_all();
        }
    }

    /// Waits for an item and for the quota / backoff to allow sending it. None: stop.
    fn next_item(&mut self) -> Option<Item> {
        let mut st = self.shared.lock();
        let mut counted_wait = false;
        loop {
            if st.stop {
                return None;
            }
            if st.key_rejected || st.queue.is_empty() {
                st.next_send = None;
                st = self.shared.cv.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let now = Instant::now();
            let quota = self.limiter.next_free(now);
            let ready = match (quota, self.backoff_until) {
                (None, _) => None,
                (Some(q), Some(b)) => Some(q.max(b)),
                (Some(q), None) => Some(q),
            };
            match ready {
                Some(t) if t <= now => {
                    st.next_send = None;
                    st.in_flight = true;
                    return st.queue.pop_front();
                }
                _ => {
                    if !counted_wait && quota.is_none_or(|q| q > now) {
                        st.stats.quota_waits += 1;
                        counted_wait = true;
                    }
                    // A daily quota of 0 never lets anything through.
                    let t = ready.unwrap_or(now + Duration::from_secs(365 * DAY_SECS));
                    st.next_send = Some(t);
                    let wait = t
                        .saturating_duration_since(now)
                        .min(Duration::from_secs(3600));
                    st = self
                        .shared
                        .cv
                        .wait_timeout(st, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
    }

    fn write_cache(&mut self, sha: &[u8; 32], e: &CacheEntry, stats: &mut VtStats) {
        if self.cache_out.is_none() {
            if let Some(dir) = self.cache_path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.cache_path)
            {
                Ok(f) => self.cache_out = Some(f),
                Err(_) => {
                    stats.cache_write_errors += 1;
                    return;
                }
            }
        }
        if let Some(f) = self.cache_out.as_mut() {
            if f.write_all(cache_line(sha, e).as_bytes()).is_err() {
                stats.cache_write_errors += 1;
                self.cache_out = None;
            }
        }
    }
}

/// The VirusTotal client as seen from the control lcore. Nothing here blocks on the network.
pub struct VirusTotal {
    shared: Arc<Shared>,
    rx: mpsc::Receiver<([u8; 32], Verdict)>,
    cache: HashMap<[u8; 32], CacheEntry>,
    /// Hashes whose lookup failed, and until when request() ignores them.
    errors: HashMap<[u8; 32], Instant>,
    /// Hashes queued or in flight.
    pending: HashSet<[u8; 32]>,
    threshold: u32,
    recheck_after: u64,
    queue_size: usize,
    error_recheck: Duration,
    finished: bool,
    stats: VtStats,
}

impl std::fmt::Debug for VirusTotal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirusTotal")
            .field("cached", &self.cache.len())
            .field("pending", &self.pending.len())
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl VirusTotal {
    /// None when virustotal.api_key is empty (status "disabled" is then written by the caller).
    pub fn new(cfg: &VirusTotalCfg) -> Result<Option<VirusTotal>, String> {
        Self::new_with(cfg, VtTuning::default())
    }

    /// [`VirusTotal::new`] with explicit retry / backoff knobs.
    pub fn new_with(cfg: &VirusTotalCfg, tuning: VtTuning) -> Result<Option<VirusTotal>, String> {
        if cfg.api_key.is_empty() {
            return Ok(None);
        }
        let mut key = reqwest::header::HeaderValue::from_str(cfg.api_key.expose())
            .map_err(|_| "virustotal.api_key: not a valid HTTP header value".to_string())?;
        key.set_sensitive(true);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-apikey", key);
        let base = cfg.url.trim_end_matches('/').to_string();
        let timeout = Duration::from_nanos(cfg.timeout.max(1_000_000));
        let mut builder = reqwest::blocking::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("fmon-dpdk/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback_url(&base) {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| format!("virustotal: cannot build HTTP client: {e}"))?;

        let mut stats = VtStats::default();
        let cache_path = cache_file(&cfg.cache);
        let Loaded {
            map: cache,
            lines,
            last_day,
            last_minute,
        } = load_cache(&cache_path, &mut stats);
        if lines > (cache.len() as u64).saturating_mul(2) + 64 {
            match compact_cache(&cache_path, &cache) {
                Ok(()) => stats.cache_compactions += 1,
                Err(_) => stats.cache_write_errors += 1,
            }
        }

        let shared = Arc::new(Shared {
            st: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        let (tx, rx) = mpsc::channel();
        let mut limiter = Limiter::new(
            cfg.requests_per_minute,
            cfg.requests_per_day,
            tuning.quota_margin,
        );
        limiter.seed(last_day, last_minute);
        let worker = Worker {
            shared: shared.clone(),
            client,
            base,
            limiter,
            tuning: tuning.clone(),
            threshold: cfg.malicious_threshold.max(1),
            tx,
            cache_path,
            cache_out: None,
            consecutive_failures: 0,
            backoff_until: None,
            said_transport: false,
        };
        std::thread::Builder::new()
            .name("virustotal".into())
            .spawn(move || worker.run())
            .map_err(|e| format!("virustotal: cannot start HTTP thread: {e}"))?;
        Ok(Some(VirusTotal {
            shared,
            rx,
            cache,
            errors: HashMap::new(),
            pending: HashSet::new(),
            threshold: cfg.malicious_threshold.max(1),
            recheck_after: cfg.recheck_after / NANOS_PER_SEC,
            queue_size: (cfg.queue_size as usize).max(1),
            error_recheck: tuning.error_recheck,
            finished: false,
            stats,
        }))
    }

    fn fresh(&self, sha256: &[u8; 32]) -> Option<Verdict> {
        let e = self.cache.get(sha256)?;
        let v = match &e.analysis {
            Some(a) => verdict_of(a, sha256, self.threshold),
            None => Verdict::bare(VtStatus::NotFound, sha256),
        };
        let age = now_secs().saturating_sub(e.checked);
        (v.status == VtStatus::Malicious || age < self.recheck_after).then_some(v)
    }

    /// A fresh-enough verdict already known (persistent cache): used on the first line, no query.
    pub fn cached(&mut self, sha256: &[u8; 32]) -> Option<Verdict> {
        let v = self.fresh(sha256);
        if v.is_some() {
            self.stats.cache_hits += 1;
        }
        v
    }

    /// Ask about this hash. One query per distinct sha256 however often it is requested; bounded
    /// priority queue, newest first; overflow drops the oldest, counted.
    pub fn request(&mut self, sha256: &[u8; 32]) {
        self.stats.requested += 1;
        if self.finished {
            self.stats.requested_after_exit += 1;
            return;
        }
        if self.pending.contains(sha256) {
            self.stats.deduplicated += 1;
            return;
        }
        if let Some(until) = self.errors.get(sha256) {
            if Instant::now() < *until {
                self.stats.deduplicated += 1;
                return;
            }
            self.errors.remove(sha256);
        }
        if self.fresh(sha256).is_some() {
            self.stats.cache_hits += 1;
            return;
        }
        let mut st = self.shared.lock();
        if st.key_rejected {
            self.stats.not_checked_key_rejected += 1;
            return;
        }
        self.pending.insert(*sha256);
        st.queue.push_front(Item {
            sha: *sha256,
            attempts: 0,
        });
        self.stats.queued += 1;
        while st.queue.len() > self.queue_size {
            match st.queue.pop_back() {
                Some(old) => {
                    self.pending.remove(&old.sha);
                    self.stats.queue_dropped += 1;
                }
                None => break,
            }
        }
        drop(st);
        self.shared.cv.notify_all();
    }

    /// Verdicts that arrived since the last call. Never blocks.
    pub fn poll(&mut self) -> Vec<([u8; 32], Verdict)> {
        let mut out = Vec::new();
        while let Ok((sha, v)) = self.rx.try_recv() {
            self.pending.remove(&sha);
            self.remember(&sha, &v);
            out.push((sha, v));
        }
        out
    }

    fn remember(&mut self, sha: &[u8; 32], v: &Verdict) {
        let analysis = match v.status {
            VtStatus::Malicious | VtStatus::Clean => Some(Analysis {
                malicious: v.malicious,
                suspicious: v.suspicious,
                total: v.total,
                scan_date: v.scan_date.clone(),
            }),
            VtStatus::NotFound => None,
            VtStatus::Error | VtStatus::Disabled => {
                if self.errors.len() < MAX_CACHE_ENTRIES {
                    self.errors
                        .insert(*sha, Instant::now() + self.error_recheck);
                }
                return;
            }
        };
        if self.cache.len() >= MAX_CACHE_ENTRIES && !self.cache.contains_key(sha) {
            self.stats.cache_full += 1;
            return;
        }
        self.cache.insert(
            *sha,
            CacheEntry {
                analysis,
                checked: now_secs(),
            },
        );
    }

    /// End of an offline run: keep working through the queue, within the quota, for at most
    /// `wait`; returns what arrived; what is left is counted (not_checked_at_exit).
    pub fn drain(&mut self, wait: Duration) -> Vec<([u8; 32], Verdict)> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            out.extend(self.poll());
            let st = self.shared.lock();
            let now = Instant::now();
            let idle = st.queue.is_empty() && !st.in_flight;
            // The HTTP thread cannot send before the deadline (quota or backoff): stop waiting.
            let hopeless = st.key_rejected
                || (!st.in_flight
                    && !st.queue.is_empty()
                    && st.next_send.is_some_and(|t| t > deadline));
            if idle || hopeless || now >= deadline {
                break;
            }
            let step = (deadline - now).min(Duration::from_millis(50));
            drop(
                self.shared
                    .cv
                    .wait_timeout(st, step)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
        out.extend(self.poll());
        let mut st = self.shared.lock();
        let left = st.queue.len() as u64 + u64::from(st.in_flight);
        if st.key_rejected {
            self.stats.not_checked_key_rejected += left;
        }
        self.stats.not_checked_at_exit += left;
        st.queue.clear();
        st.stop = true;
        drop(st);
        self.shared.cv.notify_all();
        self.pending.clear();
        self.finished = true;
        out
    }

    /// Hashes queued (waiting for quota or a retry), in flight included.
    pub fn queued(&self) -> usize {
        let st = self.shared.lock();
        st.queue.len() + usize::from(st.in_flight)
    }

    /// `stats.virustotal`: control-side and HTTP-thread counters together.
    pub fn stats(&self) -> VtStats {
        let mut s = self.stats.clone();
        s.add(&self.shared.lock().stats);
        s
    }
}

impl Drop for VirusTotal {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.cv.notify_all();
    }
}

fn is_loopback_url(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: Analysis = Analysis {
        malicious: 0,
        suspicious: 0,
        total: 0,
        scan_date: None,
    };
    const EICAR: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

    fn sha(s: &str) -> [u8; 32] {
        let mut o = [0u8; 32];
        assert!(decode_hex(s, &mut o));
        o
    }

    #[test]
    fn hex_round_trip_and_permalink() {
        let h = sha(EICAR);
        assert_eq!(hex(&h), EICAR);
        assert_eq!(
            permalink(&h),
            format!("https://www.virustotal.com/gui/file/{EICAR}")
        );
        let mut o = [0u8; 2];
        assert!(decode_hex("aBcD", &mut o));
        assert_eq!(o, [0xab, 0xcd]);
        assert!(!decode_hex("abc", &mut o));
        assert!(!decode_hex("zzzz", &mut o));
        assert!(!decode_hex("ab\u{e9}", &mut [0u8; 2]));
    }

    #[test]
    fn parses_file_object() {
        let h = sha(EICAR);
        let body = format!(
            r#"{{"data":{{"id":"{EICAR}","type":"file","attributes":{{"last_analysis_date":1796306400,
            "last_analysis_stats":{{"malicious":60,"suspicious":2,"undetected":10,"harmless":0,
            "timeout":1,"type-unsupported":3,"failure":0}}}}}}}}"#
        );
        let Outcome::Found(a) = parse_response(200, body.as_bytes(), &h) else {
            panic!()
        };
        assert_eq!((a.malicious, a.suspicious, a.total), (60, 2, 76));
        assert_eq!(a.scan_date.as_deref(), Some("2026-12-03T14:00:00Z"));
        let v = verdict_of(&a, &h, 1);
        assert_eq!(v.status, VtStatus::Malicious);
        assert_eq!(verdict_of(&a, &h, 61).status, VtStatus::Clean);
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["status"], "malicious");
        assert_eq!(j["permalink"], permalink(&h));
    }

    #[test]
    fn statuses_and_malformed() {
        let h = sha(EICAR);
        assert_eq!(
            parse_response(404, b"{\"error\":{\"code\":\"NotFoundError\"}}", &h),
            Outcome::NotFound
        );
        assert_eq!(parse_response(401, b"", &h), Outcome::KeyRejected(401));
        assert_eq!(parse_response(403, b"", &h), Outcome::KeyRejected(403));
        assert_eq!(parse_response(429, b"", &h), Outcome::Quota);
        assert_eq!(parse_response(503, b"", &h), Outcome::ServerError(503));
        assert_eq!(parse_response(400, b"", &h), Outcome::OtherStatus(400));
        for bad in [
            &b"{not json"[..],
            b"[]",
            b"{\"data\":5}",
            b"{\"data\":{\"attributes\":{\"last_analysis_stats\":{\"malicious\":-1}}}}",
            b"{\"data\":{\"id\":\"00\",\"attributes\":{}}}",
        ] {
            assert_eq!(
                parse_response(200, bad, &h),
                Outcome::Malformed,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // Known file without an analysis yet: zero engines, clean.
        let Outcome::Found(a) = parse_response(200, b"{\"data\":{\"attributes\":{}}}", &h) else {
            panic!()
        };
        assert_eq!(a, EMPTY);
        // Huge numbers saturate.
        let b = b"{\"data\":{\"attributes\":{\"last_analysis_stats\":{\"malicious\":18446744073709551615,\"x\":5},\"last_analysis_date\":99999999999999999}}}";
        let Outcome::Found(a) = parse_response(200, b, &h) else {
            panic!()
        };
        assert_eq!(
            (a.malicious, a.total, a.scan_date),
            (u32::MAX, u32::MAX, None)
        );
    }

    #[test]
    fn limiter_never_exceeds() {
        let mut l = Limiter::new(2, 3, Duration::ZERO);
        let t0 = Instant::now();
        assert_eq!(l.next_free(t0), Some(t0));
        l.record(t0);
        l.record(t0);
        assert_eq!(l.next_free(t0), Some(t0 + MINUTE));
        let t1 = t0 + MINUTE;
        l.record(t1);
        // Daily cap of 3 reached: next is a day later.
        assert!(l.next_free(t1 + MINUTE).unwrap() >= t0 + Duration::from_secs(DAY_SECS));
        // A restart counts what the cache says was asked recently.
        let mut s = Limiter::new(5, 10, Duration::ZERO);
        s.seed(10, 1);
        assert!(s.next_free(Instant::now()).unwrap() > Instant::now() + MINUTE);
        let mut s = Limiter::new(2, 10, Duration::ZERO);
        s.seed(3, 3);
        let n = Instant::now();
        assert!(s.next_free(n).unwrap() > n + Duration::from_secs(59));
        let mut z = Limiter::new(1, 0, Duration::ZERO);
        assert_eq!(z.next_free(t0), None);
    }

    #[test]
    fn cache_lines_load_and_bad_lines_count() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        let h = sha(EICAR);
        let e = CacheEntry {
            analysis: Some(Analysis {
                malicious: 3,
                suspicious: 0,
                total: 70,
                scan_date: None,
            }),
            checked: 5,
        };
        let mut text = cache_line(&h, &e);
        text.push_str("garbage\n\n{\"sha256\":\"zz\",\"found\":false,\"checked\":1}\n");
        text.push_str(&"x".repeat(10_000));
        text.push('\n');
        std::fs::write(&p, text).unwrap();
        let mut st = VtStats::default();
        let m = load_cache(&p, &mut st).map;
        assert_eq!(m.len(), 1);
        assert_eq!(m[&h].analysis.as_ref().unwrap().malicious, 3);
        assert_eq!(st.cache_bad_lines, 3);
        compact_cache(&p, &m).unwrap();
        let l = load_cache(&p, &mut VtStats::default());
        assert_eq!((l.map.len(), l.lines, l.last_day), (1, 1, 0));
    }

    #[test]
    fn recent_lookups_in_cache_are_counted_for_the_quota() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        let now = now_secs();
        let mut text = String::new();
        for (i, checked) in [now, now - 3600, now - 2 * DAY_SECS].iter().enumerate() {
            let e = CacheEntry {
                analysis: None,
                checked: *checked,
            };
            text.push_str(&cache_line(&[i as u8; 32], &e));
        }
        std::fs::write(&p, text).unwrap();
        let l = load_cache(&p, &mut VtStats::default());
        assert_eq!((l.map.len(), l.last_day, l.last_minute), (3, 2, 1));
    }

    #[test]
    fn every_prefix_of_an_answer_is_handled() {
        let h = sha(EICAR);
        let body = format!(
            r#"{{"data":{{"id":"{EICAR}","attributes":{{"last_analysis_date":1,"last_analysis_stats":{{"malicious":1,"undetected":2}}}}}}}}"#
        );
        let b = body.as_bytes();
        for n in 0..b.len() {
            assert_eq!(
                parse_response(200, &b[..n], &h),
                Outcome::Malformed,
                "prefix {n}"
            );
        }
        assert!(matches!(parse_response(200, b, &h), Outcome::Found(_)));
        let big = vec![b' '; MAX_BODY as usize + 1];
        assert_eq!(parse_response(200, &big, &h), Outcome::Malformed);
    }

    #[test]
    fn which_files_are_looked_up() {
        assert!(should_lookup(Which::All, false));
        assert!(should_lookup(Which::Dangerous, true));
        assert!(!should_lookup(Which::Dangerous, false));
        assert!(!should_lookup(Which::None, true));
    }

    #[test]
    fn disabled_verdict_serialises_without_scan_date() {
        let j = serde_json::to_string(&Verdict::disabled(&sha(EICAR))).unwrap();
        assert_eq!(
            j,
            format!(
                r#"{{"status":"disabled","malicious":0,"suspicious":0,"total":0,"permalink":"https://www.virustotal.com/gui/file/{EICAR}"}}"#
            )
        );
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("http://localhost:1/x"));
        assert!(!is_loopback_url("https://www.virustotal.com"));
    }
}
