//! IDS alert ingestion: tails the alert logs of the IDS running beside the sensor (`ids.inputs`),
//! follows their rotation, parses each line (Snort 3 `alert_json`, Snort 2/3 `alert_fast`,
//! Suricata EVE) into an [`Alert`], and renders alerts as EVE `alert` events.
//!
//! Tailing: each input is read with positioned reads from its own offset. A file that does not
//! exist yet is waited for (and read from its beginning once it appears). Rotation is detected by
//! the path naming a different inode once the open file is read to its end (rename + create: the
//! old file is finished first, then the new one is read from offset 0) and by the open file
//! shrinking below the read offset (copy-truncate: restart at 0). A partial last line is kept
//! until its newline arrives, up to [`MAX_LINE`] bytes; longer lines are dropped and counted.
//! Work per [`IdsInputs::poll`] is bounded ([`MAX_BYTES_PER_POLL`], [`MAX_LINES_PER_POLL`]).
//!
//! Timestamps: Snort prints times without a zone; they are taken as UTC (run Snort with `-U`, or
//! on a host in UTC). When a Snort time has no year, the year is the one that puts the alert
//! closest to the `clock` given to `poll` (packet time in pcap runs, wall clock live), so a log
//! written on 31 December read on 1 January still lines up. A Snort 3 `alert_json` line with a
//! `seconds` field uses it (it is exact). Snort's priority 0 (no classification) becomes
//! severity 3, Suricata's default.

use crate::config::{FromWhere, IdsFormat, IdsInput};
use crate::time::{Nanos, NANOS_PER_SEC};
use serde_json::{json, Map, Value};
use std::fs::File;
use std::net::IpAddr;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

/// Longest alert line accepted (bytes, without the newline).
pub const MAX_LINE: usize = 64 << 10;
/// Bytes read from one input per `poll`.
pub const MAX_BYTES_PER_POLL: u64 = 1 << 20;
/// Lines parsed from one input per `poll`.
pub const MAX_LINES_PER_POLL: u64 = 20_000;
/// Size of one positioned read.
const CHUNK: usize = 64 << 10;
/// Longest string field (signature, category, proto) kept from an alert line.
const MAX_FIELD: usize = 1024;

/// One IDS alert, whatever log it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The alert's own timestamp.
    pub ts: Nanos,
    pub src_ip: IpAddr,
    pub src_port: Option<u16>,
    pub dest_ip: IpAddr,
    pub dest_port: Option<u16>,
    /// "TCP", "UDP", "ICMP", ...
    pub proto: String,
    pub signature_id: u64,
    pub gid: u64,
    pub rev: u64,
    pub signature: String,
    pub category: String,
    /// 1 = highest.
    pub severity: u32,
    /// The input's path.
    pub source: String,
}

impl Alert {
    /// The EVE `alert` event line (timestamp, event_type "alert", sensor, src_ip, ..., alert{...}).
    pub fn to_eve(&self, sensor: &str) -> Value {
        let mut m = Map::new();
        m.insert(
            "timestamp".into(),
            Value::String(crate::time::format_eve(self.ts)),
        );
        m.insert("event_type".into(), Value::String("alert".into()));
        m.insert("sensor".into(), Value::String(sensor.into()));
        m.insert("src_ip".into(), Value::String(self.src_ip.to_string()));
        if let Some(p) = self.src_port {
            m.insert("src_port".into(), json!(p));
        }
        m.insert("dest_ip".into(), Value::String(self.dest_ip.to_string()));
        if let Some(p) = self.dest_port {
            m.insert("dest_port".into(), json!(p));
        }
        m.insert("proto".into(), Value::String(self.proto.clone()));
        m.insert(
            "alert".into(),
            json!({
                "signature_id": self.signature_id,
                "gid": self.gid,
                "rev": self.rev,
                "signature": self.signature,
                "category": self.category,
                "severity": self.severity,
                "source": self.source,
            }),
        );
        Value::Object(m)
    }
}

crate::counters! {
    /// `stats.ids`: what the alert inputs read.
    pub struct IdsStats {
        /// Non-empty lines read.
        lines,
        /// Alerts parsed and returned.
        alerts,
        /// Lines that did not parse (skipped).
        parse_errors,
        /// Suricata EVE lines of another event_type (skipped on purpose).
        skipped_events,
        /// Lines longer than MAX_LINE (dropped).
        lines_too_long,
        /// Rename + create rotations followed.
        rotations,
        /// Copy-truncate rotations (file shrank below the read offset).
        truncations,
        /// Inputs opened (first open and every reopen after rotation).
        opens,
        /// Open attempts on a path that is not a regular file (directory, FIFO, ...).
        not_regular,
        /// Failed reads of an open input.
        read_errors,
        /// Bytes read.
        bytes,
        /// Polls that stopped early because the per-poll budget was used up.
        budget_exhausted,
    }
}

/// What one alert line gave.
#[derive(Clone, Debug, PartialEq)]
pub enum LineResult {
    Alert(Box<Alert>),
    /// A line that is fine but no alert (empty line, EVE event of another type).
    Skip,
    /// A line that does not parse.
    Error,
}

/// One tailed input.
struct Input {
    cfg: IdsInput,
    source: String,
    file: Option<File>,
    dev: u64,
    ino: u64,
    pos: u64,
    /// Bytes after the last newline seen.
    pending: Vec<u8>,
    /// Dropping bytes until the next newline (a too-long line, or started mid-line).
    discarding: bool,
    /// No open attempt made yet (`from: end` applies only to a file present at start-up).
    first: bool,
}

/// All alert inputs of `ids.inputs`.
pub struct IdsInputs {
    inputs: Vec<Input>,
    chunk: Vec<u8>,
    stats: IdsStats,
    /// The last poll left unread bytes behind (its budget ran out).
    behind: bool,
}

impl IdsInputs {
    /// A missing file is fine: it is waited for.
    pub fn new(inputs: &[IdsInput]) -> IdsInputs {
        let mut ids = IdsInputs {
            inputs: inputs
                .iter()
                .map(|c| Input {
                    cfg: c.clone(),
                    source: c.path.display().to_string(),
                    file: None,
                    dev: 0,
                    ino: 0,
                    pos: 0,
                    pending: Vec::new(),
                    discarding: false,
                    first: true,
                })
                .collect(),
            chunk: vec![0u8; CHUNK],
            stats: IdsStats::default(),
            behind: false,
        };
        // Open now, so `from: end` means the end at start-up.
        for inp in ids.inputs.iter_mut() {
            open_input(inp, &mut ids.stats);
        }
        ids
    }

    /// Reads what was appended to every input since the last call (following rotation),
    /// parses it and returns the alerts. Never blocks; bounded work per call.
    pub fn poll(&mut self, clock: Nanos) -> Vec<Alert> {
        let mut out = Vec::new();
        let before = self.stats.budget_exhausted;
        for inp in self.inputs.iter_mut() {
            poll_input(inp, &mut self.chunk, clock, &mut self.stats, &mut out);
        }
        self.behind = self.stats.budget_exhausted != before;
        out
    }

    /// Whether the last `poll` stopped early with bytes left to read (call `poll` again soon;
    /// at the end of a pcap run, until this is false).
    pub fn behind(&self) -> bool {
        self.behind
    }

    pub fn stats(&self) -> IdsStats {
        self.stats.clone()
    }

    /// Paths of the inputs (for logs).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.inputs.iter().map(|i| i.cfg.path.clone()).collect()
    }
}

fn open_input(inp: &mut Input, stats: &mut IdsStats) -> bool {
    let first = std::mem::replace(&mut inp.first, false);
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&inp.cfg.path)
    else {
        return false;
    };
    let Ok(m) = f.metadata() else { return false };
    if !m.is_file() {
        stats.not_regular += 1;
        return false;
    }
    inp.dev = m.dev();
    inp.ino = m.ino();
    inp.pending.clear();
    inp.discarding = false;
    inp.pos = 0;
    if first && inp.cfg.from == FromWhere::End {
        inp.pos = m.len();
        // Started in the middle of a line: skip its rest.
        if m.len() > 0 {
            let mut b = [0u8; 1];
            if f.read_at(&mut b, m.len() - 1).ok() == Some(1) && b[0] != b'\n' {
                inp.discarding = true;
            }
        }
    }
    inp.file = Some(f);
    stats.opens += 1;
    true
}

fn poll_input(
    inp: &mut Input,
    chunk: &mut [u8],
    clock: Nanos,
    stats: &mut IdsStats,
    out: &mut Vec<Alert>,
) {
    let mut bytes_budget = MAX_BYTES_PER_POLL;
    let mut lines_budget = MAX_LINES_PER_POLL;
    loop {
        if inp.file.is_none() && !open_input(inp, stats) {
            return;
        }
        let Some(file) = inp.file.as_ref() else {
            return;
        };
        let len = match file.metadata() {
            Ok(m) => m.len(),
            Err(_) => {
                stats.read_errors += 1;
                return;
            }
        };
        if len < inp.pos {
            // copy-truncate: the writer starts again at 0.
            stats.truncations += 1;
            inp.pos = 0;
            inp.pending.clear();
            inp.discarding = false;
        }
        if inp.pos < len {
            if bytes_budget == 0 || lines_budget == 0 {
                stats.budget_exhausted += 1;
                return;
            }
            let want = (len - inp.pos).min(chunk.len() as u64).min(bytes_budget) as usize;
            let Some(buf) = chunk.get_mut(..want) else {
                return;
            };
            let n = match file.read_at(buf, inp.pos) {
                Ok(n) => n,
                Err(_) => {
                    stats.read_errors += 1;
                    return;
                }
            };
            if n == 0 {
                return;
            }
            inp.pos += n as u64;
            bytes_budget = bytes_budget.saturating_sub(n as u64);
            stats.bytes += n as u64;
            let data = buf.get(..n).unwrap_or(&[]);
            feed(inp, data, clock, stats, out, &mut lines_budget);
            continue;
        }
        // At the end of the open file: has the path been rotated to a new file?
        match std::fs::metadata(&inp.cfg.path) {
            Ok(m) if (m.dev(), m.ino()) != (inp.dev, inp.ino) => {
                // Finish the old file: a last line without newline is still a line.
                if !inp.discarding && !inp.pending.is_empty() {
                    let line = std::mem::take(&mut inp.pending);
                    handle_line(inp, &line, clock, stats, out);
                }
                stats.rotations += 1;
                inp.file = None;
                inp.first = false;
                if !open_input(inp, stats) {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// Splits `data` into lines, keeping a partial last line in `inp.pending`.
fn feed(
    inp: &mut Input,
    mut data: &[u8],
    clock: Nanos,
    stats: &mut IdsStats,
    out: &mut Vec<Alert>,
    lines_budget: &mut u64,
) {
    while !data.is_empty() {
        match memchr::memchr(b'\n', data) {
            Some(i) => {
                let (head, rest) = data.split_at(i);
                data = rest.get(1..).unwrap_or(&[]);
                if inp.discarding {
                    inp.discarding = false;
                    inp.pending.clear();
                    continue;
                }
                *lines_budget = lines_budget.saturating_sub(1);
                if inp.pending.is_empty() {
                    handle_line(inp, head, clock, stats, out);
                } else if inp.pending.len() + head.len() > MAX_LINE {
                    stats.lines_too_long += 1;
                    inp.pending.clear();
                } else {
                    let mut line = std::mem::take(&mut inp.pending);
                    line.extend_from_slice(head);
                    handle_line(inp, &line, clock, stats, out);
                    line.clear();
                    inp.pending = line;
                }
            }
            None => {
                if !inp.discarding {
                    if inp.pending.len() + data.len() > MAX_LINE {
                        stats.lines_too_long += 1;
                        inp.pending.clear();
                        inp.discarding = true;
                    } else {
                        inp.pending.extend_from_slice(data);
                    }
                }
                return;
            }
        }
    }
}

fn handle_line(inp: &Input, line: &[u8], clock: Nanos, stats: &mut IdsStats, out: &mut Vec<Alert>) {
    if line.len() > MAX_LINE {
        stats.lines_too_long += 1;
        return;
    }
    let line = trim_bytes(line);
    if line.is_empty() {
        return;
    }
    stats.lines += 1;
    match parse_line(inp.cfg.format, line, clock, &inp.source) {
        LineResult::Alert(a) => {
            stats.alerts += 1;
            out.push(*a);
        }
        LineResult::Skip => stats.skipped_events += 1,
        LineResult::Error => stats.parse_errors += 1,
    }
}

fn trim_bytes(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Parses one alert line (no newline) of `format`. `clock` gives Snort times their year;
/// `source` becomes `Alert::source`.
pub fn parse_line(format: IdsFormat, line: &[u8], clock: Nanos, source: &str) -> LineResult {
    let line = trim_bytes(line);
    if line.is_empty() {
        return LineResult::Skip;
    }
    if line.len() > MAX_LINE {
        return LineResult::Error;
    }
    let r = match format {
        IdsFormat::Snort3Json => parse_snort3_json(line, clock, source),
        IdsFormat::SnortFast => parse_fast(line, clock, source),
        IdsFormat::SuricataEve => return parse_eve(line, source),
    };
    match r {
        Some(a) => LineResult::Alert(Box::new(a)),
        None => LineResult::Error,
    }
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_FIELD {
        return s.to_string();
    }
    let mut end = MAX_FIELD;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("").to_string()
}

fn proto_has_ports(proto: &str) -> bool {
    ["TCP", "UDP", "SCTP"]
        .iter()
        .any(|p| proto.eq_ignore_ascii_case(p))
}

/// The protocol as the IDS printed it ("TCP", Suricata's "IPv6-ICMP", Snort 2's "PROTO:255").
fn norm_proto(p: &str) -> String {
    clip(p.trim())
}

/// Snort priority 0 means "no classification": Suricata's default severity 3.
fn norm_severity(p: u64) -> u32 {
    match p {
        0 => 3,
        p => u32::try_from(p).unwrap_or(u32::MAX),
    }
}

/// `addr:port`, `[addr]:port` or `addr` (ICMP, IP). IPv6 with a port is printed by Snort as
/// `2001:db8::1:80`, so with a port-carrying protocol the last `:` separates the port.
fn parse_endpoint(s: &str, with_port: bool) -> Option<(IpAddr, Option<u16>)> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let (a, p) = rest.split_once(']')?;
        let ip: IpAddr = a.parse().ok()?;
        let port = match p.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if p.is_empty() => None,
            None => return None,
        };
        return Some((ip, port.filter(|_| with_port)));
    }
    if with_port {
        if let Some((a, p)) = s.rsplit_once(':') {
            if let (Ok(ip), Ok(port)) = (a.parse::<IpAddr>(), p.parse::<u16>()) {
                return Some((ip, Some(port)));
            }
        }
        return s.parse().ok().map(|ip| (ip, None));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip, None));
    }
    // ICMP printed with a port 0 ("10.0.0.1:0" in alert_json's src_ap).
    let (a, p) = s.rsplit_once(':')?;
    p.parse::<u16>().ok()?;
    a.parse().ok().map(|ip| (ip, None))
}

// ---- timestamps ----

fn ymd_to_nanos(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Option<Nanos> {
    let dt = chrono::NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, s, nanos)?;
    let secs = u64::try_from(dt.and_utc().timestamp()).ok()?;
    secs.checked_mul(NANOS_PER_SEC)?
        .checked_add(u64::from(nanos))
}

fn year_of(clock: Nanos) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp((clock / NANOS_PER_SEC) as i64, 0)
        .map(|d| d.year())
        .unwrap_or(1970)
}

/// Time of day `HH:MM:SS[.fraction]` -> (h, m, s, nanos).
fn parse_tod(s: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    let mut it = hms.split(':');
    let h = small_num(it.next()?, 2)?;
    let m = small_num(it.next()?, 2)?;
    let sec = small_num(it.next()?, 2)?;
    if it.next().is_some() {
        return None;
    }
    let mut nanos: u32 = 0;
    let mut digits = 0;
    for c in frac.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        if digits < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
            digits += 1;
        }
    }
    while digits < 9 {
        nanos *= 10;
        digits += 1;
    }
    Some((h, m, sec, nanos))
}

fn small_num(s: &str, max_digits: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Which date orders a Snort timestamp with a year may use.
#[derive(Clone, Copy, PartialEq)]
enum YearOrder {
    /// Snort 3: `YY/MM/DD`.
    Snort3,
    /// Snort 3 or Snort 2 (`MM/DD/YY`) or Suricata fast.log (`MM/DD/YYYY`): closest to clock.
    Any,
}

/// Snort timestamps: `MM/DD-HH:MM:SS.ffffff` (no year: inferred from `clock`), `YY/MM/DD-...`
/// (Snort 3 -y), `MM/DD/YY-...` (Snort 2 -y), `MM/DD/YYYY-...` (Suricata fast.log).
pub fn parse_snort_ts(s: &str, clock: Nanos) -> Option<Nanos> {
    snort_ts(s, clock, YearOrder::Any)
}

fn snort_ts(s: &str, clock: Nanos, order: YearOrder) -> Option<Nanos> {
    let (date, tod) = s.trim().split_once('-')?;
    let (h, mi, sec, ns) = parse_tod(tod)?;
    let parts: Vec<&str> = date.split('/').collect();
    let mut candidates: [Option<Nanos>; 3] = [None; 3];
    match parts.as_slice() {
        [mo, d] => {
            let (mo, d) = (small_num(mo, 2)?, small_num(d, 2)?);
            let cy = year_of(clock);
            for (i, y) in [cy - 1, cy, cy + 1].into_iter().enumerate() {
                if let Some(c) = candidates.get_mut(i) {
                    *c = ymd_to_nanos(y, mo, d, h, mi, sec, ns);
                }
            }
        }
        [a, b, c] => {
            if c.len() == 4 {
                let y = small_num(c, 4)? as i32;
                candidates[0] = ymd_to_nanos(y, small_num(a, 2)?, small_num(b, 2)?, h, mi, sec, ns);
            } else {
                let (na, nb, nc) = (small_num(a, 2)?, small_num(b, 2)?, small_num(c, 2)?);
                candidates[0] = ymd_to_nanos(2000 + na as i32, nb, nc, h, mi, sec, ns);
                if order == YearOrder::Any {
                    candidates[1] = ymd_to_nanos(2000 + nc as i32, na, nb, h, mi, sec, ns);
                }
            }
        }
        _ => return None,
    }
    candidates
        .into_iter()
        .flatten()
        .min_by_key(|t| t.abs_diff(clock))
}

/// EVE `2026-12-03T14:00:00.123456+0000` (any offset).
pub fn parse_eve_ts(s: &str) -> Option<Nanos> {
    let dt = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").ok()?;
    u64::try_from(dt.timestamp_nanos_opt()?).ok()
}

// ---- formats ----

fn get_u64(o: &Map<String, Value>, k: &str) -> Option<u64> {
    match o.get(k)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn get_str<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k)?.as_str()
}

/// Snort 3 `alert_json`: `{ "timestamp" : "07/16-09:23:39.153899", "proto" : "TCP",
/// "src_ap" : "192.168.1.2:50284", "dst_ap" : "192.168.2.3:80", "rule" : "1:1000000:0", ... }`
/// plus, when configured, `src_addr`, `src_port`, `dst_addr`, `dst_port`, `gid`, `sid`, `rev`,
/// `msg`, `class`, `priority`, `seconds`.
fn parse_snort3_json(line: &[u8], clock: Nanos, source: &str) -> Option<Alert> {
    let v: Value = serde_json::from_slice(line).ok()?;
    let o = v.as_object()?;
    let proto = norm_proto(get_str(o, "proto").unwrap_or("IP"));
    let ports = proto_has_ports(&proto);
    let endpoint = |addr: &str, port: &str, ap: &str| -> Option<(IpAddr, Option<u16>)> {
        if let Some(a) = get_str(o, addr) {
            let ip: IpAddr = a.trim().parse().ok()?;
            let p = if ports {
                get_u64(o, port).and_then(|p| u16::try_from(p).ok())
            } else {
                None
            };
            if p.is_some() || !ports {
                return Some((ip, p));
            }
        }
        parse_endpoint(get_str(o, ap)?, ports)
    };
    let (src_ip, src_port) = endpoint("src_addr", "src_port", "src_ap")?;
    let (dest_ip, dest_port) = endpoint("dst_addr", "dst_port", "dst_ap")?;
    let (mut gid, mut sid, mut rev) = (get_u64(o, "gid"), get_u64(o, "sid"), get_u64(o, "rev"));
    if let Some(rule) = get_str(o, "rule") {
        let (g, s, r) = parse_gsr(rule)?;
        gid = gid.or(Some(g));
        sid = sid.or(Some(s));
        rev = rev.or(Some(r));
    }
    let ts_str = get_str(o, "timestamp");
    let ts = match get_u64(o, "seconds") {
        Some(secs) => {
            // `seconds` is exact; the timestamp string adds the fraction.
            let frac = ts_str
                .and_then(|t| t.rsplit_once('.'))
                .and_then(|(_, f)| parse_tod(&format!("0:0:0.{f}")))
                .map(|t| t.3)
                .unwrap_or(0);
            secs.checked_mul(NANOS_PER_SEC)?
                .checked_add(u64::from(frac))?
        }
        None => snort_ts(ts_str?, clock, YearOrder::Snort3)?,
    };
    Some(Alert {
        ts,
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        signature_id: sid?,
        gid: gid.unwrap_or(1),
        rev: rev.unwrap_or(0),
        signature: clip(get_str(o, "msg").unwrap_or("")),
        category: clip(get_str(o, "class").unwrap_or("")),
        severity: norm_severity(get_u64(o, "priority").unwrap_or(0)),
        source: source.to_string(),
    })
}

/// `gid:sid:rev`.
fn parse_gsr(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split(':');
    let g = it.next()?.trim().parse().ok()?;
    let si = it.next()?.trim().parse().ok()?;
    let r = it.next()?.trim().parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some((g, si, r))
}

/// Snort 2/3 `alert_fast` (and Suricata fast.log):
/// `12/03-14:00:00.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**]
/// [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 10.0.0.5:80 -> 10.0.0.6:1234`.
/// Snort 3 quotes the message and may add `[AppID: ...]`; an action such as `[drop]` may precede
/// the first `[**]`.
fn parse_fast(line: &[u8], clock: Nanos, source: &str) -> Option<Alert> {
    let line = String::from_utf8_lossy(line);
    let line = line.trim();
    let (ts_str, rest) = line.split_once(|c: char| c.is_ascii_whitespace())?;
    let ts = snort_ts(ts_str, clock, YearOrder::Any)?;
    let (_, rest) = rest.split_once("[**]")?;
    let rest = rest.trim_start().strip_prefix('[')?;
    let (gsr, rest) = rest.split_once(']')?;
    let (gid, sid, rev) = parse_gsr(gsr)?;
    let (msg, rest) = rest.split_once("[**]")?;
    let msg = msg.trim();
    let msg = msg
        .strip_prefix('"')
        .and_then(|m| m.strip_suffix('"'))
        .unwrap_or(msg);
    let mut rest = rest.trim_start();
    let mut category = "";
    let mut priority = 0u64;
    while let Some(r) = rest.strip_prefix('[') {
        let (item, after) = r.split_once(']')?;
        if let Some(c) = item.strip_prefix("Classification:") {
            category = c.trim();
        } else if let Some(p) = item.strip_prefix("Priority:") {
            priority = p.trim().parse().ok()?;
        }
        rest = after.trim_start();
    }
    let rest = rest.strip_prefix('{')?;
    let (proto, rest) = rest.split_once('}')?;
    let proto = norm_proto(proto);
    let ports = proto_has_ports(&proto);
    let (a, b) = rest.split_once("->")?;
    let (src_ip, src_port) = parse_endpoint(a, ports)?;
    let (dest_ip, dest_port) = parse_endpoint(b, ports)?;
    Some(Alert {
        ts,
        src_ip,
        src_port,
        dest_ip,
        dest_port,
        proto,
        signature_id: sid,
        gid,
        rev,
        signature: clip(msg),
        category: clip(category),
        severity: norm_severity(priority),
        source: source.to_string(),
    })
}

/// Suricata EVE: only `event_type: alert` lines are alerts; others are skipped.
fn parse_eve(line: &[u8], source: &str) -> LineResult {
    let Ok(v) = serde_json::from_slice::<Value>(line) else {
        return LineResult::Error;
    };
    let Some(o) = v.as_object() else {
        return LineResult::Error;
    };
    match get_str(o, "event_type") {
        Some("alert") => {}
        Some(_) => return LineResult::Skip,
        None => return LineResult::Error,
    }
    match eve_alert(o, source) {
        Some(a) => LineResult::Alert(Box::new(a)),
        None => LineResult::Error,
    }
}

fn eve_alert(o: &Map<String, Value>, source: &str) -> Option<Alert> {
    let ts = parse_eve_ts(get_str(o, "timestamp")?)?;
    let proto = norm_proto(get_str(o, "proto").unwrap_or("IP"));
    let port = |k: &str| get_u64(o, k).and_then(|p| u16::try_from(p).ok());
    let al = o.get("alert")?.as_object()?;
    Some(Alert {
        ts,
        src_ip: get_str(o, "src_ip")?.trim().parse().ok()?,
        src_port: port("src_port"),
        dest_ip: get_str(o, "dest_ip")?.trim().parse().ok()?,
        dest_port: port("dest_port"),
        proto,
        signature_id: get_u64(al, "signature_id")?,
        gid: get_u64(al, "gid").unwrap_or(1),
        rev: get_u64(al, "rev").unwrap_or(0),
        signature: clip(get_str(al, "signature").unwrap_or("")),
        category: clip(get_str(al, "category").unwrap_or("")),
        severity: norm_severity(get_u64(al, "severity").unwrap_or(3)),
        source: source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEC3_2026: Nanos = 1_796_306_400_123_456_000; // 2026-12-03T14:00:00.123456Z

    fn alert(format: IdsFormat, line: &str, clock: Nanos) -> Alert {
        match parse_line(format, line.as_bytes(), clock, "/var/log/x") {
            LineResult::Alert(a) => *a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn snort2_fast_line() {
        let a = alert(
            IdsFormat::SnortFast,
            "12/03-14:00:00.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 10.0.0.5:80 -> 10.0.0.6:1234",
            DEC3_2026,
        );
        assert_eq!(a.ts, DEC3_2026);
        assert_eq!((a.gid, a.signature_id, a.rev), (1, 2100498, 7));
        assert_eq!(a.signature, "GPL ATTACK_RESPONSE id check returned root");
        assert_eq!(a.category, "Potentially Bad Traffic");
        assert_eq!(a.severity, 2);
        assert_eq!(a.proto, "TCP");
        assert_eq!(a.src_ip.to_string(), "10.0.0.5");
        assert_eq!(a.src_port, Some(80));
        assert_eq!(a.dest_port, Some(1234));
    }

    #[test]
    fn suricata_fast_log_and_action_prefix() {
        // Suricata fast.log: MM/DD/YYYY, same layout as Snort's alert_fast.
        let a = alert(
            IdsFormat::SnortFast,
            "12/03/2026-14:00:00.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 10.0.0.5:80 -> 10.0.0.6:1234",
            0,
        );
        assert_eq!(a.ts, DEC3_2026);
        // Snort 3 inline: an action before the first [**].
        let a = alert(
            IdsFormat::SnortFast,
            r#"12/03-14:00:00.123456 [drop] [**] [1:3:1] "blocked" [**] [Priority: 1] {UDP} 10.0.0.5:53 -> 10.0.0.6:1234"#,
            DEC3_2026,
        );
        assert_eq!(
            (a.signature.as_str(), a.proto.as_str(), a.severity),
            ("blocked", "UDP", 1)
        );
    }

    #[test]
    fn snort3_fast_quoted_ipv6_icmp() {
        let a = alert(
            IdsFormat::SnortFast,
            r#"12/03-14:00:00.123456 [**] [1:1000001:1] "ET POLICY curl user agent" [**] [Classification: Misc activity] [Priority: 3] [AppID: HTTP] {TCP} 2001:db8::5:80 -> 2001:db8::6:50000"#,
            DEC3_2026,
        );
        assert_eq!(a.signature, "ET POLICY curl user agent");
        assert_eq!(a.src_ip.to_string(), "2001:db8::5");
        assert_eq!(a.src_port, Some(80));
        assert_eq!(a.dest_ip.to_string(), "2001:db8::6");
        let a = alert(
            IdsFormat::SnortFast,
            "12/03-14:00:00.123456  [**] [1:384:5] ICMP PING [**] [Classification: Misc activity] [Priority: 3] {ICMP} 10.0.0.9 -> fe80::1",
            DEC3_2026,
        );
        assert_eq!((a.src_port, a.dest_port), (None, None));
        assert_eq!(a.dest_ip.to_string(), "fe80::1");
        assert_eq!(a.proto, "ICMP");
    }

    #[test]
    fn snort3_json_default_and_full_fields() {
        let a = alert(
            IdsFormat::Snort3Json,
            r#"{ "timestamp" : "12/03-14:00:00.123456", "pkt_num" : 5, "proto" : "TCP", "pkt_gen" : "stream_tcp", "pkt_len" : 97, "dir" : "C2S", "src_ap" : "192.168.1.2:50284", "dst_ap" : "192.168.2.3:80", "rule" : "1:1000000:0", "action" : "would_drop" }"#,
            DEC3_2026,
        );
        assert_eq!(a.ts, DEC3_2026);
        assert_eq!(a.signature_id, 1_000_000);
        assert_eq!(a.src_port, Some(50284));
        assert_eq!(a.severity, 3);
        let a = alert(
            IdsFormat::Snort3Json,
            r#"{ "seconds" : 1796306400, "timestamp" : "26/12/03-14:00:00.123456", "proto" : "ICMP", "src_addr" : "10.10.10.88", "src_ap" : "10.10.10.88:0", "dst_addr" : "10.10.10.1", "dst_ap" : "10.10.10.1:0", "gid" : 1, "sid" : 10000001, "rev" : 2, "msg" : "ICMP Traffic Detected", "class" : "Misc activity", "priority" : 1, "rule" : "1:10000001:2", "action" : "allow" }"#,
            0,
        );
        assert_eq!(a.ts, DEC3_2026);
        assert_eq!(a.src_port, None);
        assert_eq!(
            (a.signature.as_str(), a.severity, a.rev),
            ("ICMP Traffic Detected", 1, 2)
        );
        // Year in the string (Snort 3 -y: YY/MM/DD), no seconds field.
        let a = alert(
            IdsFormat::Snort3Json,
            r#"{ "timestamp" : "26/12/03-14:00:00.123456", "proto" : "UDP", "src_ap" : "10.0.0.1:53", "dst_ap" : "10.0.0.2:5353", "rule" : "1:2:3" }"#,
            0,
        );
        assert_eq!(a.ts, DEC3_2026);
    }

    #[test]
    fn suricata_eve_alert_and_skip() {
        let line = r#"{"timestamp":"2026-12-03T14:00:00.123456+0000","flow_id":1,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.5","src_port":80,"dest_ip":"10.0.0.6","dest_port":1234,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","severity":2}}"#;
        let a = alert(IdsFormat::SuricataEve, line, 0);
        assert_eq!(a.ts, DEC3_2026);
        assert_eq!(a.signature_id, 2100498);
        assert_eq!(a.dest_ip.to_string(), "10.0.0.6");
        let flow = r#"{"timestamp":"2026-12-03T14:00:00.123456+0000","event_type":"flow","src_ip":"1.2.3.4"}"#;
        assert_eq!(
            parse_line(IdsFormat::SuricataEve, flow.as_bytes(), 0, ""),
            LineResult::Skip
        );
        assert_eq!(
            parse_line(IdsFormat::SuricataEve, b"{not json", 0, ""),
            LineResult::Error
        );
    }

    #[test]
    fn year_inference() {
        // A 31 December alert read just after New Year belongs to the previous year.
        let jan1_2027 = 1_798_761_600 * NANOS_PER_SEC + 5 * NANOS_PER_SEC; // 2027-01-01T00:00:05Z
        let t = parse_snort_ts("12/31-23:59:58.000000", jan1_2027).unwrap();
        assert_eq!(
            crate::time::format_eve(t),
            "2026-12-31T23:59:58.000000+0000"
        );
        let dec31 = jan1_2027 - 10 * NANOS_PER_SEC;
        let t = parse_snort_ts("01/01-00:00:01.5", dec31).unwrap();
        assert_eq!(
            crate::time::format_eve(t),
            "2027-01-01T00:00:01.500000+0000"
        );
        // Suricata fast.log four-digit year, Snort 2 MM/DD/YY.
        assert_eq!(
            parse_snort_ts("12/03/2026-14:00:00.123456", 0),
            Some(DEC3_2026)
        );
        assert_eq!(
            parse_snort_ts("12/03/26-14:00:00.123456", DEC3_2026),
            Some(DEC3_2026)
        );
        assert_eq!(parse_snort_ts("02/30-00:00:00", DEC3_2026), None);
        assert_eq!(parse_snort_ts("13/01-00:00:00", DEC3_2026), None);
    }

    #[test]
    fn garbage_is_error_not_panic() {
        for f in [
            IdsFormat::SnortFast,
            IdsFormat::Snort3Json,
            IdsFormat::SuricataEve,
        ] {
            for l in [
                "x",
                "[**]",
                "12/03-14:00:00 [**] [1:2:3] m [**] {TCP} 1.2.3.4:99999 -> 1.1.1.1:1",
                "{}",
                "[]",
                "\u{fffd}\u{fffd}",
            ] {
                assert_eq!(parse_line(f, l.as_bytes(), 0, ""), LineResult::Error, "{l}");
            }
        }
    }

    #[test]
    fn every_prefix_and_byte_flip_is_safe() {
        let lines = [
            "12/03-14:00:00.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 10.0.0.5:80 -> 10.0.0.6:1234",
            r#"{ "seconds" : 1796306400, "timestamp" : "26/12/03-14:00:00.123456", "proto" : "TCP", "src_ap" : "[2001:db8::1]:80", "dst_ap" : "10.0.0.2:5", "rule" : "1:2:3", "priority" : 4294967296 }"#,
            r#"{"timestamp":"2026-12-03T14:00:00.123456+0000","event_type":"alert","src_ip":"::1","dest_ip":"10.0.0.6","proto":"TCP","alert":{"signature_id":1}}"#,
        ];
        for l in lines {
            let b = l.as_bytes();
            for f in [
                IdsFormat::SnortFast,
                IdsFormat::Snort3Json,
                IdsFormat::SuricataEve,
            ] {
                for i in 0..=b.len() {
                    let _ = parse_line(f, &b[..i], DEC3_2026, "");
                    let mut m = b.to_vec();
                    if let Some(c) = m.get_mut(i) {
                        *c ^= 0xa5;
                    }
                    let _ = parse_line(f, &m, u64::MAX, "");
                }
            }
        }
        // The bracketed IPv6 form and an oversized priority parse.
        match parse_line(IdsFormat::Snort3Json, lines[1].as_bytes(), 0, "") {
            LineResult::Alert(a) => {
                assert_eq!(
                    (a.src_ip.to_string(), a.src_port),
                    ("2001:db8::1".into(), Some(80))
                );
                assert_eq!(a.severity, u32::MAX);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn to_eve_fields() {
        let a = alert(
            IdsFormat::SnortFast,
            "12/03-14:00:00.123456  [**] [1:384:5] ICMP PING [**] [Priority: 3] {ICMP} 10.0.0.9 -> 10.0.0.1",
            DEC3_2026,
        );
        let v = a.to_eve("s1");
        assert_eq!(v["event_type"], "alert");
        assert_eq!(v["timestamp"], "2026-12-03T14:00:00.123456+0000");
        assert_eq!(v["sensor"], "s1");
        assert!(v.get("src_port").is_none());
        assert_eq!(v["alert"]["signature_id"], 384);
        assert_eq!(v["alert"]["source"], "/var/log/x");
    }
}
