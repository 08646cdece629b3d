//! IMAP: files carried in FETCH responses (server -> client) and APPEND commands
//! (client -> server), decoded with [`crate::proto::mime`].
//!
//! Both directions are read as lines that may end in a literal `{N}` / `{N+}` / `~{N}`; the
//! literal's N bytes are streamed (never buffered) to a MIME decoder chosen from the text just
//! before the literal: `BODY[]`, `BODY.PEEK[]`, `RFC822`, `BINARY[]` are whole messages;
//! `BODY[n]` / `BODY[n.m]` are single parts, decoded with the transfer encoding learned from an
//! earlier `BODY[n.MIME]` of the same message when the session showed one, else stored as
//! fetched (noted); `BINARY[n]` parts are already decoded. Literal lengths are attacker
//! controlled: nothing is allocated from them. STARTTLS accepted stops parsing.

use super::mime::{MimeDecoder, MimeLimits};
use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;
use crate::files::{AppProto, FileEnd, FileMeta, TruncReason};
use memchr::memchr;

counters! {
    /// `stats.imap`
    pub struct ImapStats {
        sessions,
        fetch_messages,
        fetch_parts,
        fetch_parts_as_fetched,
        append_messages,
        literals,
        literals_skipped,
        literal_too_large,
        line_overflow,
        starttls,
        messages_truncated,
        gaps_client,
        gaps_server,
        mime_headers_learned,
    }
}

/// Tail of an overlong line kept to still find a literal marker.
const LINE_TAIL: usize = 512;
/// Part transfer encodings remembered per session.
const MAX_LEARNED: usize = 256;
/// Bytes of a `BODY[n.MIME]` literal looked at.
const MIME_HDR_CAP: usize = 8192;

enum Target {
    Skip,
    Decode {
        dec: Box<MimeDecoder>,
        end: FileEnd,
    },
    /// `BODY[n.MIME]`: collect the part header to learn its transfer encoding.
    MimeHdr {
        key: (u64, String),
        buf: Vec<u8>,
    },
}

enum St {
    Line,
    Literal { remaining: u64, target: Target },
    Stopped,
}

/// One direction's reader.
struct Side {
    st: St,
    line: Vec<u8>,
    over: bool,
    skip_line: bool,
    /// The next line piece starts a new command / response.
    first: bool,
    /// Context of the current command / response (from its first piece).
    fetch_seq: Option<u64>,
    append: bool,
}

impl Side {
    fn new() -> Self {
        Side {
            st: St::Line,
            line: Vec::new(),
            over: false,
            skip_line: false,
            first: true,
            fetch_seq: None,
            append: false,
        }
    }
}

pub struct ImapParser {
    limits: MimeLimits,
    max_line: usize,
    max_literal: u64,
    client: Side,
    server: Side,
    starttls_tag: Option<Vec<u8>>,
    learned: Vec<((u64, String), String)>,
    stopped: bool,
    counted: bool,
}

impl ImapParser {
    pub fn new(cfg: &ProtoConfig) -> Self {
        ImapParser {
            limits: cfg.mime.clone(),
            max_line: cfg.mime.max_line.clamp(1024, 1 << 20),
            max_literal: cfg.max_decoded,
            client: Side::new(),
            server: Side::new(),
            starttls_tag: None,
            learned: Vec::new(),
            stopped: false,
            counted: false,
        }
    }

    fn side(&mut self, dir: Dir) -> &mut Side {
        match dir {
            Dir::ToServer => &mut self.client,
            Dir::ToClient => &mut self.server,
        }
    }

    fn input(&mut self, cx: &mut StreamCtx, dir: Dir, mut data: &[u8]) {
        while !data.is_empty() {
            if self.stopped {
                return;
            }
            let max_line = self.max_line;
            let side = self.side(dir);
            match &mut side.st {
                St::Stopped => return,
                St::Literal { remaining, target } => {
                    let take = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= take as u64;
                    let (chunk, rest) = data.split_at(take);
                    data = rest;
                    let fc = cx.file_ctx(dir);
                    match target {
                        Target::Skip => {}
                        Target::Decode { dec, .. } => {
                            dec.push(cx.files, &mut cx.stats.mime, &fc, chunk)
                        }
                        Target::MimeHdr { buf, .. } => {
                            let room = MIME_HDR_CAP.saturating_sub(buf.len());
                            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                        }
                    }
                    if *remaining == 0 {
                        let st = std::mem::replace(&mut side.st, St::Line);
                        if let St::Literal { target, .. } = st {
                            self.end_target(cx, dir, target, None);
                        }
                    }
                }
                St::Line => {
                    let (part, done) = match memchr(b'\n', data) {
                        Some(p) => (&data[..=p], true),
                        None => (data, false),
                    };
                    data = &data[part.len()..];
                    if side.skip_line {
                        if done {
                            side.skip_line = false;
                            side.first = true;
                        }
                        continue;
                    }
                    side.line.extend_from_slice(part);
                    if side.line.len() > max_line {
                        if !side.over {
                            cx.stats.imap.line_overflow += 1;
                        }
                        side.over = true;
                        let cut = side.line.len() - LINE_TAIL;
                        side.line.drain(..cut);
                    }
                    if done {
                        let line = std::mem::take(&mut side.line);
                        self.piece(cx, dir, &line);
                        let side = self.side(dir);
                        side.line = line;
                        side.line.clear();
                        side.over = false;
                    }
                }
            }
        }
    }

    /// A complete line piece (up to CRLF, possibly ending in a literal marker).
    fn piece(&mut self, cx: &mut StreamCtx, dir: Dir, line: &[u8]) {
        let body = trim_crlf(line);
        let first = self.side(dir).first;
        if first {
            self.start_of(cx, dir, body);
        }
        let Some((n, at)) = literal_at_end(body) else {
            self.side(dir).first = true;
            return;
        };
        cx.stats.imap.literals += 1;
        let n = match n {
            Some(n) if n <= self.max_literal => n,
            other => {
                cx.stats.imap.literal_too_large += 1;
                other.unwrap_or(u64::MAX)
            }
        };
        let before = &body[..at];
        let target = self.choose(cx, dir, before);
        self.side(dir).first = false;
        if n == 0 {
            self.end_target(cx, dir, target, None);
            return;
        }
        self.side(dir).st = St::Literal {
            remaining: n,
            target,
        };
    }

    /// First piece of a command (client) or response (server).
    fn start_of(&mut self, cx: &mut StreamCtx, dir: Dir, body: &[u8]) {
        let mut words = body.split(|&c| c == b' ').filter(|w| !w.is_empty());
        let tag = words.next().unwrap_or(&[]);
        let w2 = words.next().unwrap_or(&[]);
        let w3 = words.next().unwrap_or(&[]);
        match dir {
            Dir::ToServer => {
                let side = &mut self.client;
                side.fetch_seq = None;
                let cmd = if w2.eq_ignore_ascii_case(b"UID") {
                    w3
                } else {
                    w2
                };
                side.append = cmd.eq_ignore_ascii_case(b"APPEND");
                if cmd.eq_ignore_ascii_case(b"STARTTLS") {
                    self.starttls_tag = Some(tag.to_vec());
                }
            }
            Dir::ToClient => {
                let side = &mut self.server;
                side.append = false;
                side.fetch_seq = None;
                if tag == b"*" && w3.eq_ignore_ascii_case(b"FETCH") {
                    side.fetch_seq = crate::proto::smtp::parse_u64(w2);
                    // Prefer the UID as the message key when present.
                    if let Some(u) = find_uid(body) {
                        side.fetch_seq = Some(u | (1 << 63));
                    }
                } else if let Some(t) = self.starttls_tag.as_deref() {
                    if tag == t && tag != b"*" && tag != b"+" {
                        if w2.eq_ignore_ascii_case(b"OK") {
                            cx.stats.imap.starttls += 1;
                            self.stopped = true;
                        }
                        self.starttls_tag = None;
                    }
                }
            }
        }
    }

    /// Decides where a literal goes from the text before it.
    fn choose(&mut self, cx: &mut StreamCtx, dir: Dir, before: &[u8]) -> Target {
        let side = self.side(dir);
        if dir == Dir::ToServer {
            if side.append {
                cx.stats.imap.append_messages += 1;
                return Target::Decode {
                    dec: Box::new(MimeDecoder::message(
                        FileMeta::new(AppProto::Imap),
                        &self.limits,
                    )),
                    end: FileEnd::Complete,
                };
            }
            cx.stats.imap.literals_skipped += 1;
            return Target::Skip;
        }
        let Some(seq) = side.fetch_seq else {
            cx.stats.imap.literals_skipped += 1;
            return Target::Skip;
        };
        let Some((kw, section, partial)) = fetch_item(before) else {
            cx.stats.imap.literals_skipped += 1;
            return Target::Skip;
        };
        let end = if partial {
            FileEnd::Truncated(TruncReason::Partial)
        } else {
            FileEnd::Complete
        };
        let binary = kw.starts_with("BINARY");
        let sec = section.to_ascii_uppercase();
        if kw == "RFC822" || (kw != "RFC822.TEXT" && kw != "RFC822.HEADER" && sec.is_empty()) {
            cx.stats.imap.fetch_messages += 1;
            return Target::Decode {
                dec: Box::new(MimeDecoder::message(
                    FileMeta::new(AppProto::Imap),
                    &self.limits,
                )),
                end,
            };
        }
        if let Some(p) = sec.strip_suffix(".MIME") {
            if is_part_number(p) {
                return Target::MimeHdr {
                    key: (seq, p.to_string()),
                    buf: Vec::new(),
                };
            }
        }
        let mut meta = FileMeta::new(AppProto::Imap);
        if is_part_number(&sec) {
            cx.stats.imap.fetch_parts += 1;
            let cte = if binary {
                Some("binary".to_string())
            } else {
                self.learned
                    .iter()
                    .find(|(k, _)| k.0 == seq && k.1 == sec)
                    .map(|(_, v)| v.clone())
            };
            let cte = match cte {
                Some(c) => c,
                None => {
                    cx.stats.imap.fetch_parts_as_fetched += 1;
                    meta.note = Some("imap part stored as fetched");
                    String::new()
                }
            };
            return Target::Decode {
                dec: Box::new(MimeDecoder::single_part(meta, &self.limits, &cte)),
                end,
            };
        }
        if kw == "RFC822.TEXT" || sec == "TEXT" || sec.ends_with(".TEXT") {
            cx.stats.imap.fetch_parts += 1;
            cx.stats.imap.fetch_parts_as_fetched += 1;
            meta.note = Some("imap part stored as fetched");
            return Target::Decode {
                dec: Box::new(MimeDecoder::single_part(meta, &self.limits, "")),
                end,
            };
        }
        cx.stats.imap.literals_skipped += 1;
        Target::Skip
    }

    /// A literal ended (`how` None) or was cut (`how` = why).
    fn end_target(
        &mut self,
        cx: &mut StreamCtx,
        dir: Dir,
        target: Target,
        how: Option<TruncReason>,
    ) {
        match target {
            Target::Skip => {}
            Target::Decode { mut dec, end } => {
                let end = match how {
                    Some(r) => {
                        cx.stats.imap.messages_truncated += 1;
                        FileEnd::Truncated(r)
                    }
                    None => end,
                };
                let fc = cx.file_ctx(dir);
                dec.finish(cx.files, &mut cx.stats.mime, &fc, end);
            }
            Target::MimeHdr { key, buf } => {
                if how.is_none() {
                    if let Ok((hs, _)) = mailparse::parse_headers(&buf) {
                        for h in hs {
                            if h.get_key_ref()
                                .eq_ignore_ascii_case("content-transfer-encoding")
                            {
                                if self.learned.len() >= MAX_LEARNED {
                                    self.learned.remove(0);
                                }
                                cx.stats.imap.mime_headers_learned += 1;
                                self.learned
                                    .push((key.clone(), h.get_value().trim().to_string()));
                            }
                        }
                    }
                }
            }
        }
    }

    fn cut(&mut self, cx: &mut StreamCtx, dir: Dir, why: TruncReason) {
        let side = self.side(dir);
        let st = std::mem::replace(&mut side.st, St::Line);
        if let St::Literal { target, .. } = st {
            self.end_target(cx, dir, target, Some(why));
        }
    }
}

fn trim_crlf(mut l: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = l.split_last() {
        if c == b'\n' || c == b'\r' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

/// `... {123}` / `{123+}` / `~{123}` at the end of a line: (length, index of the marker start).
/// A length that does not fit in u64 gives `None` as the length.
fn literal_at_end(body: &[u8]) -> Option<(Option<u64>, usize)> {
    let inner = body.strip_suffix(b"}")?;
    let open = memchr::memrchr(b'{', inner)?;
    let mut digits = &inner[open + 1..];
    if let Some(d) = digits
        .strip_suffix(b"+")
        .or_else(|| digits.strip_suffix(b"-"))
    {
        digits = d;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: Option<u64> = Some(0);
    for &c in digits {
        v = v
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add((c - b'0') as u64));
    }
    let start = if open > 0 && inner[open - 1] == b'~' {
        open - 1
    } else {
        open
    };
    Some((v, start))
}

/// The FETCH data item right before a literal: (keyword upper-cased, section, partial?).
fn fetch_item(before: &[u8]) -> Option<(String, String, bool)> {
    let s = String::from_utf8_lossy(before);
    let mut s = s.trim_end();
    let mut partial = false;
    if s.ends_with('>') {
        let lt = s.rfind('<')?;
        s = &s[..lt];
        partial = true;
    }
    if let Some(inner) = s.strip_suffix(']') {
        let lb = inner.rfind('[')?;
        let section = &inner[lb + 1..];
        let head = &inner[..lb];
        let kw_start = head.rfind([' ', '(']).map(|p| p + 1).unwrap_or(0);
        let kw = head[kw_start..].to_ascii_uppercase();
        let kw = kw.strip_suffix(".PEEK").unwrap_or(&kw).to_string();
        if kw != "BODY" && kw != "BINARY" {
            return None;
        }
        return Some((kw, section.to_string(), partial));
    }
    let kw_start = s.rfind([' ', '(']).map(|p| p + 1).unwrap_or(0);
    let kw = s[kw_start..].to_ascii_uppercase();
    match kw.as_str() {
        "RFC822" | "RFC822.TEXT" => Some((kw, String::new(), partial)),
        _ => None,
    }
}

fn is_part_number(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|c| c.is_ascii_digit()))
}

fn find_uid(body: &[u8]) -> Option<u64> {
    let up = body.to_ascii_uppercase();
    let p = memchr::memmem::find(&up, b"UID ")?;
    if p > 0 && !matches!(up[p - 1], b' ' | b'(') {
        return None;
    }
    let rest = &body[p + 4..];
    let end = rest
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    crate::proto::smtp::parse_u64(&rest[..end])
}

fn end_reason(how: StreamEnd) -> TruncReason {
    match how {
        StreamEnd::Fin => TruncReason::ConnectionClosed,
        StreamEnd::Reset => TruncReason::Reset,
        StreamEnd::Timeout => TruncReason::Timeout,
    }
}

impl AppParser for ImapParser {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        if !self.counted {
            self.counted = true;
            cx.stats.imap.sessions += 1;
        }
        self.input(cx, dir, data);
    }

    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64) {
        match dir {
            Dir::ToServer => cx.stats.imap.gaps_client += 1,
            Dir::ToClient => cx.stats.imap.gaps_server += 1,
        }
        let fc = cx.file_ctx(dir);
        let side = self.side(dir);
        match &mut side.st {
            St::Literal { remaining, target } if len < *remaining => {
                *remaining -= len;
                if let Target::Decode { dec, .. } = target {
                    dec.gap(cx.files, &fc);
                }
            }
            St::Literal { .. } => {
                // The gap ran past the literal's end: resync at the next line.
                self.cut(cx, dir, TruncReason::Gap);
                let side = self.side(dir);
                side.line.clear();
                side.skip_line = true;
            }
            St::Line => {
                side.line.clear();
                side.skip_line = true;
            }
            St::Stopped => {}
        }
    }

    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        self.cut(cx, dir, end_reason(how));
        self.side(dir).st = St::Stopped;
    }

    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        self.cut(cx, Dir::ToClient, end_reason(how));
        self.cut(cx, Dir::ToServer, end_reason(how));
        self.stopped = true;
    }
}

#[cfg(test)]
mod tests;
