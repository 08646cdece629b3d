//! The file sink: turns open/write/close calls from parsers into [`FileEvent`]s.

use super::hash::Hashers;
use super::magic;
use super::store::{Store, StoreWhich};
use super::{FileCtx, FileEnd, FileEvent, FileMeta, FileState, TruncReason};
use crate::counters;

counters! {
    /// `stats.files`
    pub struct FileStats {
        opened,
        closed,
        truncated,
        truncated_gap,
        truncated_size_cap,
        truncated_connection_closed,
        truncated_reset,
        truncated_timeout,
        truncated_partial,
        truncated_decode_error,
        truncated_limit,
        with_gaps,
        bytes,
        stored,
        store_errors,
    }
}

/// Settings of the sink, taken from the `files:` section of sensor.yaml.
#[derive(Clone, Debug)]
pub struct FileSinkConfig {
    pub md5: bool,
    pub sha1: bool,
    /// Bytes after which a file is hashed no further and reported TRUNCATED (size_cap).
    pub max_size: u64,
    /// `files.store` when enabled.
    pub store: Option<(std::path::PathBuf, StoreWhich)>,
}

impl Default for FileSinkConfig {
    fn default() -> Self {
        FileSinkConfig {
            md5: true,
            sha1: true,
            max_size: 100 << 20,
            store: None,
        }
    }
}

/// A file being received. Owned by the parser that opened it; given back to
/// [`FileSink::close`].
pub struct OpenFile {
    ctx: FileCtx,
    meta: FileMeta,
    hashers: Hashers,
    size: u64,
    capped: bool,
    gaps: bool,
    head: Vec<u8>,
    sniff: magic::Sniffer,
    store: Option<super::store::Pending>,
    seq: u32,
}

impl OpenFile {
    /// Bytes delivered so far.
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn meta(&self) -> &FileMeta {
        &self.meta
    }
    pub fn meta_mut(&mut self) -> &mut FileMeta {
        &mut self.meta
    }
}

/// One per worker. Collects finished files in `events` until the worker takes them.
pub struct FileSink {
    cfg: FileSinkConfig,
    store: Option<Store>,
    events: Vec<FileEvent>,
    next_seq: u32,
    pub stats: FileStats,
}

impl FileSink {
    pub fn new(cfg: FileSinkConfig) -> Self {
        let store = cfg
            .store
            .as_ref()
            .map(|(dir, which)| Store::new(dir.clone(), *which));
        FileSink {
            cfg,
            store,
            events: Vec::new(),
            next_seq: 0,
            stats: FileStats::default(),
        }
    }

    /// Starts a file whose bytes go from `ctx.src` to `ctx.dst`.
    pub fn open(&mut self, ctx: &FileCtx, meta: FileMeta) -> OpenFile {
        self.stats.opened += 1;
        let store = self.store.as_ref().and_then(|s| s.begin());
        if self.store.is_some() && store.is_none() {
            self.stats.store_errors += 1;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        OpenFile {
            ctx: *ctx,
            meta,
            hashers: Hashers::new(self.cfg.md5, self.cfg.sha1),
            size: 0,
            capped: false,
            gaps: false,
            head: Vec::new(),
            sniff: magic::Sniffer::default(),
            store,
            seq,
        }
    }

    /// Appends decoded content. Past `files.max_size` the bytes are dropped and the file will
    /// be TRUNCATED (size_cap).
    pub fn write(&mut self, f: &mut OpenFile, data: &[u8]) {
        if data.is_empty() || f.capped {
            return;
        }
        let room = self.cfg.max_size.saturating_sub(f.size);
        let take = (data.len() as u64).min(room) as usize;
        let part = &data[..take];
        if f.head.len() < magic::HEAD_LEN {
            let n = (magic::HEAD_LEN - f.head.len()).min(part.len());
            f.head.extend_from_slice(&part[..n]);
        }
        f.sniff.feed(f.size, part);
        f.hashers.update(part);
        if let Some(p) = f.store.as_mut() {
            p.write(part);
        }
        f.size += take as u64;
        self.stats.bytes += take as u64;
        if take < data.len() {
            f.capped = true;
        }
    }

    /// Records that bytes of this file were lost in capture: it will be `gaps: true`, TRUNCATED.
    pub fn gap(&mut self, f: &mut OpenFile) {
        f.gaps = true;
    }

    /// Ends a file and queues its event. `ts` is the packet time of the end.
    pub fn close(&mut self, f: OpenFile, end: FileEnd, ts: crate::time::Nanos) {
        let mut reason = match end {
            FileEnd::Complete => None,
            FileEnd::Truncated(r) => Some(r),
        };
        if f.capped {
            reason = Some(TruncReason::SizeCap);
        } else if f.gaps && reason.is_none() {
            reason = Some(TruncReason::Gap);
        }
        let (ftype, category) = magic::detect(&f.head, &f.sniff);
        let (sha256, md5, sha1) = f.hashers.finish();
        let state = if reason.is_some() {
            FileState::Truncated
        } else {
            FileState::Closed
        };
        let stored = match (self.store.as_mut(), f.store) {
            (Some(s), Some(p)) => match s.finish(p, &sha256, category) {
                Ok(stored) => stored,
                Err(_) => {
                    self.stats.store_errors += 1;
                    false
                }
            },
            _ => false,
        };
        self.count_end(reason, f.gaps, stored);
        self.events.push(FileEvent {
            ts,
            flow_id: f.ctx.flow_id,
            src: f.ctx.src,
            dst: f.ctx.dst,
            meta: f.meta,
            size: f.size,
            state,
            trunc_reason: reason,
            gaps: f.gaps,
            sha256,
            md5,
            sha1,
            ftype,
            category,
            stored,
            seq: f.seq,
        });
    }

    fn count_end(&mut self, reason: Option<TruncReason>, gaps: bool, stored: bool) {
        let s = &mut self.stats;
        match reason {
            None => s.closed += 1,
            Some(r) => {
                s.truncated += 1;
                *match r {
                    TruncReason::Gap => &mut s.truncated_gap,
                    TruncReason::SizeCap => &mut s.truncated_size_cap,
                    TruncReason::ConnectionClosed => &mut s.truncated_connection_closed,
                    TruncReason::Reset => &mut s.truncated_reset,
                    TruncReason::Timeout => &mut s.truncated_timeout,
                    TruncReason::Partial => &mut s.truncated_partial,
                    TruncReason::DecodeError => &mut s.truncated_decode_error,
                    TruncReason::Limit => &mut s.truncated_limit,
                } += 1;
            }
        }
        if gaps {
            s.with_gaps += 1;
        }
        if stored {
            s.stored += 1;
        }
    }

    /// Moves the finished files into `out`.
    pub fn take_events(&mut self, out: &mut Vec<FileEvent>) {
        out.append(&mut self.events);
    }
}
