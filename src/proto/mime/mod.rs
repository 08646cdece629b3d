//! Streaming MIME decoder shared by SMTP, POP3, IMAP and HTTP multipart: nested multipart,
//! base64, quoted-printable, 7bit/8bit/binary, uuencode, message/rfc822 to a bounded depth.
//! Parts are decoded as bytes arrive and pushed to the file sink; a whole message is never held.
//!
//! Memory per decoder: one header block (capped by `max_header_bytes`), one boundary-line
//! candidate (capped by the longest boundary), a few bytes of decoder state, and scratch buffers
//! the size of one push.

mod codec;
pub mod dot;

pub use codec::{LinesEnd, Qp, B64};

use crate::counters;
use crate::files::{EmailInfo, FileCtx, FileEnd, FileMeta, FileSink, OpenFile, TruncReason};
use memchr::memchr;
use memchr::memmem::Finder;

counters! {
    /// `stats.mime`
    pub struct MimeStats {
        messages,
        parts,
        files,
        header_overflow,
        header_parse_errors,
        headers_unterminated,
        depth_exceeded,
        parts_exceeded,
        boundary_too_long,
        boundary_never_closed,
        inner_boundary_unclosed,
        base64_garbage_bytes,
        base64_bad_tail,
        base64_after_padding_bytes,
        base64_not_base64,
        qp_bad_escapes,
        uuencode_files,
        uuencode_unterminated,
        rfc822_parts,
        gaps,
    }
}

/// Bounds on what one message may make the decoder hold.
#[derive(Clone, Debug)]
pub struct MimeLimits {
    pub max_depth: usize,
    pub max_header_bytes: usize,
    pub max_line: usize,
    pub max_parts: usize,
}

impl Default for MimeLimits {
    fn default() -> Self {
        MimeLimits {
            max_depth: 8,
            max_header_bytes: 64 << 10,
            max_line: 64 << 10,
            max_parts: 1000,
        }
    }
}

/// Longest boundary accepted (RFC 2046 says 70).
const MAX_BOUNDARY: usize = 256;
/// Transport padding allowed after a boundary on its line.
const BOUNDARY_PAD: usize = 64;
/// Longest filename kept (characters beyond are dropped).
const MAX_FILENAME: usize = 1024;
/// Longest uuencode line looked at.
const UU_MAX_LINE: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cte {
    Identity,
    Base64,
    Qp,
}

/// uuencode scanner over the decoded text of a text/plain part.
struct Uu {
    line: Vec<u8>,
    overlong: bool,
    file: Option<OpenFile>,
    in_block: bool,
    out: Vec<u8>,
    tmpl: FileMeta,
}

struct Leaf {
    file: Option<OpenFile>,
    meta: Option<FileMeta>,
    cte: Cte,
    b64: B64,
    qp: Qp,
    uu: Option<Box<Uu>>,
    trunc: Option<TruncReason>,
}

enum State {
    /// Accumulating a header block; `top` = the message's own headers.
    Headers {
        top: bool,
    },
    Leaf(Box<Leaf>),
    /// Preamble / epilogue / content of a container: ignored, boundaries still scanned.
    Skip,
    /// Finished, or given up: everything ignored.
    Done,
}

enum Cls {
    No,
    Maybe,
    Yes(usize, bool),
}

/// Decodes one MIME entity stream into files.
pub struct MimeDecoder {
    template: FileMeta,
    limits: MimeLimits,
    email: Option<EmailInfo>,
    state: State,
    hdr: Vec<u8>,
    /// Start of the first line of `hdr` not yet checked.
    hdr_ls: usize,
    /// "--boundary" of each open multipart, outermost first.
    frames: Vec<Vec<u8>>,
    /// A structure was opened as multipart at all (else the single leaf ends with the stream).
    multipart_seen: bool,
    in_hold: bool,
    held_nl: [u8; 2],
    held_nl_len: u8,
    held_cr: bool,
    hold: Vec<u8>,
    parts: usize,
    rfc822: usize,
    nl_dash: Finder<'static>,
    /// Base64 leaves take [`B64::push_lines`] (off only to test it against the general path).
    b64_lines: bool,
    scratch: Vec<u8>,
    out: Vec<u8>,
}

impl MimeDecoder {
    fn base(template: FileMeta, limits: &MimeLimits, state: State) -> Self {
        MimeDecoder {
            template,
            limits: limits.clone(),
            email: None,
            state,
            hdr: Vec::new(),
            hdr_ls: 0,
            frames: Vec::new(),
            multipart_seen: false,
            in_hold: true,
            held_nl: [0; 2],
            held_nl_len: 0,
            held_cr: false,
            hold: Vec::new(),
            parts: 0,
            rfc822: 0,
            nl_dash: Finder::new(b"\n-"),
            b64_lines: true,
            scratch: Vec::new(),
            out: Vec::new(),
        }
    }

    /// A whole RFC 5322 message, headers first (SMTP DATA, POP3 RETR, IMAP BODY[]).
    /// Every file opened gets a clone of `template` with its filename and `email` filled in.
    pub fn message(template: FileMeta, limits: &MimeLimits) -> Self {
        Self::base(template, limits, State::Headers { top: true })
    }

    /// An entity, headers first, that is not a message of its own (no `email` from its header):
    /// the text of an IMAP message under a header rebuilt from its BODYSTRUCTURE.
    pub fn entity(template: FileMeta, limits: &MimeLimits) -> Self {
        Self::base(template, limits, State::Headers { top: false })
    }

    /// The body of a multipart entity whose boundary is known (HTTP multipart/form-data).
    pub fn multipart(boundary: &[u8], template: FileMeta, limits: &MimeLimits) -> Self {
        let mut d = Self::base(template, limits, State::Skip);
        if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
            d.state = State::Done;
        } else {
            let mut b = Vec::with_capacity(boundary.len() + 2);
            b.extend_from_slice(b"--");
            b.extend_from_slice(boundary);
            d.frames.push(b);
            d.multipart_seen = true;
        }
        d
    }

    /// A single body part whose headers are not in the stream (IMAP BODY[n]): decoded with the
    /// given transfer encoding ("base64", "quoted-printable", anything else = as is).
    pub fn single_part(template: FileMeta, limits: &MimeLimits, cte: &str) -> Self {
        let cte = parse_cte(cte);
        let leaf = Leaf {
            file: None,
            meta: Some(template.clone()),
            cte,
            b64: B64::default(),
            qp: Qp::default(),
            uu: None,
            trunc: None,
        };
        Self::base(template, limits, State::Leaf(Box::new(leaf)))
    }

    /// Feeds the next bytes of the entity.
    pub fn push(&mut self, files: &mut FileSink, stats: &mut MimeStats, fc: &FileCtx, data: &[u8]) {
        let mut data = data;
        while !data.is_empty() {
            let n = match self.state {
                State::Done => return,
                State::Headers { top } => self.push_headers(files, stats, fc, data, top),
                _ => self.push_body(files, stats, fc, data),
            };
            data = data.get(n..).unwrap_or(&[]);
        }
    }

    /// Bytes of the entity were lost: the part in progress gets a gap.
    pub fn gap(&mut self, files: &mut FileSink, fc: &FileCtx) {
        self.in_hold = false;
        self.hold.clear();
        self.held_nl_len = 0;
        self.held_cr = false;
        if let State::Headers { top } = self.state {
            // Header block cut: use what arrived, the body starts mid-way.
            let mut st = MimeStats::default();
            self.headers_done(&mut st, top);
            self.in_hold = false;
        }
        if let State::Leaf(leaf) = &mut self.state {
            leaf.b64.reset();
            let f = Self::file_of(files, fc, leaf);
            files.gap(f);
            if let Some(uu) = leaf.uu.as_mut() {
                uu.line.clear();
                uu.overlong = true;
                if let Some(f) = uu.file.as_mut() {
                    files.gap(f);
                }
            }
        }
    }

    /// The entity ended. Open parts close with `end` (or TRUNCATED when their boundary never
    /// came); `FileEnd::Complete` only closes parts CLOSED whose structure was complete.
    pub fn finish(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        end: FileEnd,
    ) {
        if let State::Headers { top } = self.state {
            stats.headers_unterminated += 1;
            self.headers_done(stats, top);
        }
        if !matches!(self.state, State::Done) {
            // Resolve a held boundary candidate: the last line may lack its CRLF.
            if self.in_hold && !self.hold.is_empty() {
                if let Cls::Yes(idx, close) = self.classify(true) {
                    self.hold.clear();
                    self.held_nl_len = 0;
                    self.on_boundary(files, stats, fc, idx, close);
                    if let State::Headers { top } = self.state {
                        self.headers_done(stats, top);
                    }
                }
            }
            let mut tail = [0u8; 3];
            let mut tl = 0;
            if self.held_nl_len > 0 {
                let l = self.held_nl_len as usize;
                tail[..l].copy_from_slice(&self.held_nl[..l]);
                tl = l;
            }
            if self.held_cr {
                tail[tl] = b'\r';
                tl += 1;
            }
            self.held_nl_len = 0;
            self.held_cr = false;
            let hold = std::mem::take(&mut self.hold);
            self.emit(files, stats, fc, &tail[..tl]);
            self.emit(files, stats, fc, &hold);
        }
        let mut end = end;
        if !self.frames.is_empty() && end == FileEnd::Complete {
            stats.boundary_never_closed += 1;
            end = FileEnd::Truncated(TruncReason::DecodeError);
        }
        let st = std::mem::replace(&mut self.state, State::Done);
        if let State::Leaf(leaf) = st {
            self.close_leaf(files, stats, fc, leaf, end);
        }
        self.frames.clear();
    }

    /// Header fields of the top-level message, once parsed.
    pub fn email_info(&self) -> Option<&EmailInfo> {
        self.email.as_ref()
    }

    /// Whether the decoder has finished (or given up) and ignores further bytes.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    // ---- header blocks ----

    fn push_headers(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        data: &[u8],
        top: bool,
    ) -> usize {
        let room = self.limits.max_header_bytes.saturating_sub(self.hdr.len());
        let take = data.len().min(room.max(1));
        self.hdr.extend_from_slice(&data[..take]);
        // Walk the lines completed by this push.
        let mut body_from = None;
        while let Some(p) = memchr(b'\n', self.hdr.get(self.hdr_ls..).unwrap_or(&[])) {
            let ls = self.hdr_ls;
            let nl = ls + p;
            let line = &self.hdr[ls..nl];
            if line.is_empty() || line == b"\r" {
                body_from = Some((nl + 1, nl + 1));
                break;
            }
            if !header_like(line, ls == 0) {
                // Not a header field: the header block ended without a blank line and this
                // line is the first of the body.
                body_from = Some((ls, ls));
                break;
            }
            self.hdr_ls = nl + 1;
        }
        match body_from {
            Some((cut, _)) => {
                let rest = self.hdr.get(cut..).map(|r| r.to_vec()).unwrap_or_default();
                self.hdr.truncate(cut);
                self.headers_done(stats, top);
                if !rest.is_empty() {
                    self.push(files, stats, fc, &rest);
                }
                take
            }
            None => {
                if self.hdr.len() >= self.limits.max_header_bytes {
                    stats.header_overflow += 1;
                    self.headers_done(stats, top);
                }
                take
            }
        }
    }

    /// Parses the collected header block and decides what the part is.
    fn headers_done(&mut self, stats: &mut MimeStats, top: bool) {
        let hdr = std::mem::take(&mut self.hdr);
        self.hdr_ls = 0;
        let mut info = PartInfo::default();
        match mailparse::parse_headers(&hdr) {
            Ok((headers, _)) => {
                for h in &headers {
                    info.apply(h);
                }
                if top {
                    stats.messages += 1;
                    let mut e = self.template.email.as_deref().cloned().unwrap_or_default();
                    e.from = info.from.take().unwrap_or_default();
                    e.to = std::mem::take(&mut info.to);
                    e.to.append(&mut info.cc);
                    e.subject = info.subject.take().unwrap_or_default();
                    e.message_id = info.message_id.take().unwrap_or_default();
                    self.template.email = Some(Box::new(e.clone()));
                    self.email = Some(e);
                }
            }
            Err(_) => {
                stats.header_parse_errors += 1;
                if top {
                    stats.messages += 1;
                }
            }
        }
        self.hdr = hdr;
        self.hdr.clear();
        if self.hdr.capacity() > 4096 {
            self.hdr.shrink_to(4096);
        }
        self.in_hold = true;
        self.held_nl_len = 0;
        stats.parts += 1;
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            stats.parts_exceeded += 1;
            self.state = if self.frames.is_empty() {
                State::Done
            } else {
                State::Skip
            };
            return;
        }
        let mut trunc = None;
        if info.mimetype.starts_with("multipart/") {
            match info.boundary.take() {
                Some(b) if !b.is_empty() && b.len() <= MAX_BOUNDARY => {
                    if self.frames.len() < self.limits.max_depth {
                        let mut fb = Vec::with_capacity(b.len() + 2);
                        fb.extend_from_slice(b"--");
                        fb.extend_from_slice(b.as_bytes());
                        self.frames.push(fb);
                        self.multipart_seen = true;
                        self.state = State::Skip;
                        return;
                    }
                    stats.depth_exceeded += 1;
                    trunc = Some(TruncReason::Limit);
                }
                Some(_) => stats.boundary_too_long += 1,
                None => {}
            }
        } else if info.mimetype == "message/rfc822" {
            // Opened whatever its declared transfer encoding: RFC 2046 allows only 7bit/8bit/
            // binary here, and a "base64" label on a plain message is an evasion trick.
            if self.rfc822 < self.limits.max_depth && self.frames.len() < self.limits.max_depth {
                self.rfc822 += 1;
                stats.rfc822_parts += 1;
                self.state = State::Headers { top: false };
                return;
            }
            stats.depth_exceeded += 1;
            trunc = Some(TruncReason::Limit);
        }
        let mut meta = self.template.clone();
        meta.filename = info
            .filename
            .take()
            .or(info.name.take())
            .unwrap_or_default();
        let uu = if info.mimetype == "text/plain" && info.cte != Cte::Base64 {
            let mut tmpl = meta.clone();
            tmpl.filename.clear();
            Some(Box::new(Uu {
                line: Vec::new(),
                overlong: false,
                file: None,
                in_block: false,
                out: Vec::new(),
                tmpl,
            }))
        } else {
            None
        };
        self.state = State::Leaf(Box::new(Leaf {
            file: None,
            meta: Some(meta),
            cte: info.cte,
            b64: B64::default(),
            qp: Qp::default(),
            uu,
            trunc,
        }));
    }

    // ---- bodies and boundaries ----

    fn set_held_nl(&mut self, nl: &[u8]) {
        let l = nl.len().min(2);
        self.held_nl[..l].copy_from_slice(&nl[..l]);
        self.held_nl_len = l as u8;
    }

    fn flush_held_nl(&mut self, files: &mut FileSink, stats: &mut MimeStats, fc: &FileCtx) {
        if self.held_nl_len > 0 {
            let nl = self.held_nl;
            let l = self.held_nl_len as usize;
            self.held_nl_len = 0;
            self.emit(files, stats, fc, &nl[..l]);
        }
    }

    fn max_hold(&self) -> usize {
        self.frames.iter().map(|f| f.len()).max().unwrap_or(0) + 2 + BOUNDARY_PAD
    }

    /// Is the held line a boundary line of an open multipart (innermost first)?
    fn classify(&self, complete: bool) -> Cls {
        let mut line: &[u8] = &self.hold;
        if complete {
            while let Some((&l, rest)) = line.split_last() {
                if l == b'\n' || l == b'\r' {
                    line = rest;
                } else {
                    break;
                }
            }
        }
        let mut maybe = false;
        for (idx, b) in self.frames.iter().enumerate().rev() {
            if line.len() < b.len() {
                if !complete && b.starts_with(line) {
                    maybe = true;
                }
                continue;
            }
            if !line.starts_with(b) {
                continue;
            }
            let rest = &line[b.len()..];
            let (close, after) = match rest.strip_prefix(b"--") {
                Some(a) => (true, a),
                None => (false, rest),
            };
            if after.iter().all(|&c| c == b' ' || c == b'\t' || c == b'\r') {
                if complete {
                    return Cls::Yes(idx, close);
                }
                maybe = true;
            } else if !complete && rest == b"-" {
                maybe = true;
            }
        }
        if maybe {
            Cls::Maybe
        } else {
            Cls::No
        }
    }

    fn push_body(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        data: &[u8],
    ) -> usize {
        if self.frames.is_empty() {
            self.emit(files, stats, fc, data);
            return data.len();
        }
        let mut i = 0;
        while i < data.len() {
            if matches!(self.state, State::Headers { .. } | State::Done) {
                return i;
            }
            if self.in_hold {
                if self.hold.is_empty() && data[i] != b'-' {
                    self.in_hold = false;
                    self.flush_held_nl(files, stats, fc);
                    continue;
                }
                let cap = self.max_hold();
                let room = cap.saturating_sub(self.hold.len()).max(1);
                let chunk = &data[i..data.len().min(i + room)];
                let complete = match memchr(b'\n', chunk) {
                    Some(p) => {
                        self.hold.extend_from_slice(&chunk[..=p]);
                        i += p + 1;
                        true
                    }
                    None => {
                        self.hold.extend_from_slice(chunk);
                        i += chunk.len();
                        false
                    }
                };
                match self.classify(complete) {
                    Cls::Yes(idx, close) => {
                        self.hold.clear();
                        self.held_nl_len = 0;
                        self.in_hold = false;
                        self.on_boundary(files, stats, fc, idx, close);
                    }
                    Cls::Maybe if !complete && self.hold.len() < cap => {}
                    _ => {
                        self.flush_held_nl(files, stats, fc);
                        let hold = std::mem::take(&mut self.hold);
                        if complete {
                            let body_end = line_body_end(&hold);
                            self.emit(files, stats, fc, &hold[..body_end]);
                            self.set_held_nl(&hold[body_end..]);
                            // Stay at a line start.
                        } else {
                            self.emit(files, stats, fc, &hold);
                            self.in_hold = false;
                        }
                        self.hold = hold;
                        self.hold.clear();
                    }
                }
                continue;
            }
            if self.held_cr {
                self.held_cr = false;
                if data[i] == b'\n' {
                    self.set_held_nl(b"\r\n");
                    self.in_hold = true;
                    i += 1;
                } else {
                    self.emit(files, stats, fc, b"\r");
                }
                continue;
            }
            let rest = &data[i..];
            if let Some(n) = self.push_b64_lines(files, stats, fc, rest) {
                i += n;
                continue;
            }
            match self.nl_dash.find(rest) {
                Some(p) => {
                    let s = if p > 0 && rest[p - 1] == b'\r' {
                        p - 1
                    } else {
                        p
                    };
                    self.emit(files, stats, fc, &rest[..s]);
                    self.set_held_nl(&rest[s..=p]);
                    self.in_hold = true;
                    i += p + 1;
                }
                None => {
                    let n = rest.len();
                    if rest.ends_with(b"\n") {
                        let s = if rest.ends_with(b"\r\n") {
                            n - 2
                        } else {
                            n - 1
                        };
                        self.emit(files, stats, fc, &rest[..s]);
                        self.set_held_nl(&rest[s..]);
                        self.in_hold = true;
                    } else if rest.ends_with(b"\r") {
                        self.emit(files, stats, fc, &rest[..n - 1]);
                        self.held_cr = true;
                    } else {
                        self.emit(files, stats, fc, rest);
                    }
                    i = data.len();
                }
            }
        }
        i
    }

    /// Fast path of a base64 leaf inside a multipart (see [`B64::push_lines`]): one walk over
    /// the lines instead of a boundary search, a CR / LF strip and a decode. Returns the bytes
    /// consumed, leaving the same state the general path below would; None = take that path.
    fn push_b64_lines(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        rest: &[u8],
    ) -> Option<usize> {
        let State::Leaf(leaf) = &mut self.state else {
            return None;
        };
        if !self.b64_lines || leaf.cte != Cte::Base64 || leaf.uu.is_some() {
            return None;
        }
        self.out.clear();
        let end = leaf
            .b64
            .push_lines(rest, &mut self.scratch, &mut self.out)?;
        if !self.out.is_empty() {
            if leaf.file.is_none() {
                stats.files += 1;
            }
            let f = Self::file_of(files, fc, leaf);
            files.write(f, &self.out);
        }
        Some(match end {
            LinesEnd::Dash { s, p } => {
                self.set_held_nl(rest.get(s..=p).unwrap_or(b"\n"));
                self.in_hold = true;
                p + 1
            }
            LinesEnd::Nl { s } => {
                self.set_held_nl(rest.get(s..).unwrap_or(b"\n"));
                self.in_hold = true;
                rest.len()
            }
            LinesEnd::Cr => {
                self.held_cr = true;
                rest.len()
            }
            LinesEnd::End => rest.len(),
        })
    }

    fn on_boundary(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        idx: usize,
        close: bool,
    ) {
        let st = std::mem::replace(&mut self.state, State::Skip);
        if let State::Leaf(leaf) = st {
            self.close_leaf(files, stats, fc, leaf, FileEnd::Complete);
        }
        if self.frames.len() > idx + 1 {
            stats.inner_boundary_unclosed += 1;
            self.frames.truncate(idx + 1);
        }
        if close {
            self.frames.pop();
            self.state = if self.frames.is_empty() {
                State::Done
            } else {
                State::Skip
            };
        } else {
            self.state = State::Headers { top: false };
        }
        self.in_hold = true;
    }

    fn file_of<'a>(files: &mut FileSink, fc: &FileCtx, leaf: &'a mut Leaf) -> &'a mut OpenFile {
        let meta = &mut leaf.meta;
        leaf.file.get_or_insert_with(|| {
            files.open(
                fc,
                meta.take()
                    .unwrap_or_else(|| FileMeta::new(crate::files::AppProto::Smtp)),
            )
        })
    }

    /// Body bytes of the current state (encoded as on the wire).
    fn emit(&mut self, files: &mut FileSink, stats: &mut MimeStats, fc: &FileCtx, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let State::Leaf(leaf) = &mut self.state else {
            return;
        };
        let out = &mut self.out;
        out.clear();
        let decoded: &[u8] = match leaf.cte {
            Cte::Identity => data,
            Cte::Base64 => {
                let (g, a) = (leaf.b64.garbage, leaf.b64.after_end);
                leaf.b64.push(data, &mut self.scratch, out);
                stats.base64_garbage_bytes += leaf.b64.garbage - g;
                stats.base64_after_padding_bytes += leaf.b64.after_end - a;
                out
            }
            Cte::Qp => {
                let b = leaf.qp.bad;
                leaf.qp.push(data, out);
                stats.qp_bad_escapes += leaf.qp.bad - b;
                out
            }
        };
        if decoded.is_empty() {
            return;
        }
        if leaf.file.is_none() {
            stats.files += 1;
        }
        let f = Self::file_of(files, fc, leaf);
        files.write(f, decoded);
        if let Some(uu) = leaf.uu.as_mut() {
            uu_scan(uu, files, stats, fc, decoded);
        }
    }

    fn close_leaf(
        &mut self,
        files: &mut FileSink,
        stats: &mut MimeStats,
        fc: &FileCtx,
        mut leaf: Box<Leaf>,
        end: FileEnd,
    ) {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let mut end = end;
        match leaf.cte {
            Cte::Base64 => {
                if !leaf.b64.flush_partial(&mut out) {
                    stats.base64_bad_tail += 1;
                }
                if leaf.b64.garbage > 16 && leaf.b64.garbage > leaf.b64.valid {
                    stats.base64_not_base64 += 1;
                    if end == FileEnd::Complete {
                        end = FileEnd::Truncated(TruncReason::DecodeError);
                    }
                }
            }
            Cte::Qp => leaf.qp.finish(&mut out),
            Cte::Identity => {}
        }
        if !out.is_empty() {
            if leaf.file.is_none() {
                stats.files += 1;
            }
            let f = Self::file_of(files, fc, &mut leaf);
            files.write(f, &out);
        }
        self.out = out;
        if let Some(r) = leaf.trunc {
            end = FileEnd::Truncated(r);
        }
        if let Some(mut uu) = leaf.uu.take() {
            if uu.in_block {
                stats.uuencode_unterminated += 1;
            }
            if let Some(f) = uu.file.take() {
                let e = if end == FileEnd::Complete {
                    FileEnd::Truncated(TruncReason::DecodeError)
                } else {
                    end
                };
                files.close(f, e, fc.ts);
            }
        }
        if let Some(f) = leaf.file.take() {
            files.close(f, end, fc.ts);
        }
    }
}

/// Looks for "begin NNN name" ... "end" blocks in decoded text and writes them as files.
fn uu_scan(uu: &mut Uu, files: &mut FileSink, stats: &mut MimeStats, fc: &FileCtx, data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        let (part, complete) = match memchr(b'\n', rest) {
            Some(p) => (&rest[..p], true),
            None => (rest, false),
        };
        rest = if complete {
            &rest[part.len() + 1..]
        } else {
            &[]
        };
        if !uu.overlong {
            if uu.line.len() + part.len() > UU_MAX_LINE {
                uu.overlong = true;
                uu.line.clear();
            } else {
                uu.line.extend_from_slice(part);
            }
        }
        if !complete {
            continue;
        }
        let overlong = std::mem::replace(&mut uu.overlong, false);
        let mut line = std::mem::take(&mut uu.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if overlong {
            uu.line = line;
            uu.line.clear();
            continue;
        }
        if !uu.in_block {
            if let Some(name) = uu_begin(&line) {
                let mut meta = uu.tmpl.clone();
                meta.filename = name;
                stats.uuencode_files += 1;
                uu.file = Some(files.open(fc, meta));
                uu.in_block = true;
            }
        } else if line == b"end" {
            uu.in_block = false;
            if let Some(f) = uu.file.take() {
                files.close(f, FileEnd::Complete, fc.ts);
            }
        } else {
            uu.out.clear();
            if codec::uu_line(&line, &mut uu.out) {
                if let Some(f) = uu.file.as_mut() {
                    files.write(f, &uu.out);
                }
            }
        }
        uu.line = line;
        uu.line.clear();
    }
}

fn uu_begin(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"begin ")?;
    let sp = memchr(b' ', rest)?;
    let mode = &rest[..sp];
    if mode.len() < 3 || mode.len() > 4 || !mode.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    let name = &rest[sp + 1..];
    if name.is_empty() {
        return None;
    }
    Some(cap_name(String::from_utf8_lossy(name).into_owned()))
}

/// Index where the line's CRLF / LF starts.
fn line_body_end(line: &[u8]) -> usize {
    let mut e = line.len();
    if e > 0 && line[e - 1] == b'\n' {
        e -= 1;
        if e > 0 && line[e - 1] == b'\r' {
            e -= 1;
        }
    }
    e
}

/// Whether a header-block line is a header field (or a folded continuation).
fn header_like(line: &[u8], first: bool) -> bool {
    match line.first() {
        Some(b' ' | b'\t') => !first,
        _ => {
            if first && line.starts_with(b"From ") {
                return true; // mbox separator
            }
            match memchr(b':', line) {
                Some(0) | None => false,
                Some(c) => line[..c].iter().all(|&b| (33..=126).contains(&b)),
            }
        }
    }
}

fn parse_cte(v: &str) -> Cte {
    let v = v.trim();
    if v.eq_ignore_ascii_case("base64") {
        Cte::Base64
    } else if v.eq_ignore_ascii_case("quoted-printable") {
        Cte::Qp
    } else {
        Cte::Identity
    }
}

fn cap_name(mut s: String) -> String {
    if s.len() > MAX_FILENAME {
        let mut cut = MAX_FILENAME;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// What one header block says about its part.
struct PartInfo {
    mimetype: String,
    boundary: Option<String>,
    name: Option<String>,
    filename: Option<String>,
    cte: Cte,
    from: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    subject: Option<String>,
    message_id: Option<String>,
}

impl Default for PartInfo {
    fn default() -> Self {
        PartInfo {
            mimetype: "text/plain".into(),
            boundary: None,
            name: None,
            filename: None,
            cte: Cte::Identity,
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: None,
            message_id: None,
        }
    }
}

impl PartInfo {
    fn apply(&mut self, h: &mailparse::MailHeader) {
        let key = h.get_key_ref();
        let k = key.as_ref();
        if k.eq_ignore_ascii_case("content-type") {
            let ct = mailparse::parse_content_type(&h.get_value());
            self.mimetype = ct.mimetype.to_ascii_lowercase();
            self.boundary = ct.params.get("boundary").cloned();
            if let Some(n) = ct.params.get("name") {
                self.name = Some(cap_name(n.clone()));
            }
        } else if k.eq_ignore_ascii_case("content-disposition") {
            let cd = mailparse::parse_content_disposition(&h.get_value());
            if let Some(n) = cd.params.get("filename") {
                self.filename = Some(cap_name(n.clone()));
            }
        } else if k.eq_ignore_ascii_case("content-transfer-encoding") {
            self.cte = parse_cte(&h.get_value());
        } else if k.eq_ignore_ascii_case("from") && self.from.is_none() {
            self.from = Some(cap_name(h.get_value()));
        } else if k.eq_ignore_ascii_case("to") || k.eq_ignore_ascii_case("cc") {
            // EVENTS.md `to`: every recipient the header names, To addresses first, then Cc.
            let cc = k.eq_ignore_ascii_case("cc");
            let v = h.get_value();
            for a in split_addresses(&v) {
                if self.to.len() + self.cc.len() < 256 {
                    let a = cap_name(a);
                    if cc {
                        self.cc.push(a);
                    } else {
                        self.to.push(a);
                    }
                }
            }
        } else if k.eq_ignore_ascii_case("subject") && self.subject.is_none() {
            self.subject = Some(cap_name(h.get_value()));
        } else if k.eq_ignore_ascii_case("message-id") && self.message_id.is_none() {
            self.message_id = Some(cap_name(h.get_value().trim().to_string()));
        }
    }
}

/// Splits an address list on commas outside quotes and angle brackets.
fn split_addresses(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut q, mut angle) = (false, 0i32);
    for c in v.chars() {
        match c {
            '"' => q = !q,
            '<' if !q => angle += 1,
            '>' if !q => angle -= 1,
            ',' if !q && angle <= 0 => {
                let t = cur.trim();
                if !t.is_empty() {
                    out.push(t.to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    let t = cur.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
    out
}

/// Benchmark entry: decodes MIME base64 text (with line breaks) into `out` the way a part's
/// body is decoded on the hot path: in segment-sized pushes with one reused scratch buffer.
pub fn bench_decode_base64(input: &[u8], out: &mut Vec<u8>) {
    let mut st = B64::default();
    let mut scratch = Vec::with_capacity(64 << 10);
    out.clear();
    for piece in input.chunks(64 << 10) {
        st.push(piece, &mut scratch, out);
    }
    st.flush_partial(out);
}

#[cfg(test)]
mod tests;
