//! IMAP: files carried in FETCH responses (server -> client) and APPEND commands
//! (client -> server), decoded with [`crate::proto::mime`].
//!
//! Both directions are read as lines that may end in a literal `{N}` / `{N+}` / `~{N}`; the
//! literal's N bytes are streamed (never buffered) to a MIME decoder chosen from the text just
//! before the literal: `BODY[]`, `BODY.PEEK[]`, `RFC822`, `BINARY[]` are whole messages;
//! `BODY[n]` / `BODY[n.m]` are single parts, decoded with the transfer encoding (and named with
//! the filename) learned from an earlier `BODYSTRUCTURE` or `BODY[n.MIME]` of the same message
//! when the session showed one, else stored as fetched (noted); `BINARY[n]` parts are already decoded. Literal lengths are attacker
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
        literal_refused,
        literal_assumed_continued,
        line_overflow,
        starttls,
        messages_truncated,
        gaps_client,
        gaps_server,
        mime_headers_learned,
        bodystructure_parts_learned,
        message_headers_learned,
        text_decoded,
    }
}

/// Tail of an overlong line kept to still find a literal marker.
const LINE_TAIL: usize = 512;
/// Parts (transfer encoding, filename) remembered per session.
const MAX_LEARNED: usize = 256;
/// Longest filename kept from a BODYSTRUCTURE or part header.
const MAX_NAME: usize = 1024;

/// What the session taught about one part of one message.
#[derive(Clone, Default, Debug, PartialEq)]
struct Learned {
    /// Content-Transfer-Encoding, lowercase; None when not shown.
    cte: Option<String>,
    /// From the disposition `filename`, else the type's `name` (may be empty).
    filename: String,
}
/// Bytes of a `BODY[n.MIME]` literal looked at.
const MIME_HDR_CAP: usize = 8192;
/// Bytes of a message header (`BODY[HEADER]`, `HEADER.FIELDS`, `RFC822.HEADER`) kept.
const TOP_HDR_CAP: usize = 16 << 10;
/// Message headers remembered per session.
const MAX_TOPS: usize = 32;

/// What the session showed of one message's own header, to decode its `BODY[TEXT]`.
struct TopHdr {
    seq: u64,
    /// A header block ending in a blank line.
    hdr: Vec<u8>,
    /// The message's real header (its From / To / Subject fill `email`), not one made up from
    /// a BODYSTRUCTURE.
    real: bool,
}

/// Client bytes held while a synchronizing APPEND literal waits for `+`.
const AWAIT_CAP: usize = 64 << 10;

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
    /// The message header (`BODY[HEADER]`, ...): kept (bounded) to decode a later `BODY[TEXT]`;
    /// `full` = the whole header, not some of its fields.
    TopHdr {
        seq: u64,
        buf: Vec<u8>,
        full: bool,
    },
}

enum St {
    Line,
    Literal {
        remaining: u64,
        target: Target,
    },
    /// Client sent a synchronizing literal `{N}` for APPEND: its bytes wait (bounded) for the
    /// server's `+` continuation; a tagged NO / BAD means the literal never comes.
    Await {
        n: u64,
        target: Target,
        buf: Vec<u8>,
    },
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
    learned: Vec<((u64, String), Learned)>,
    tops: Vec<TopHdr>,
    stopped: bool,
    counted: bool,
    server_seen: bool,
    client_tag: Vec<u8>,
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
            tops: Vec::new(),
            stopped: false,
            counted: false,
            server_seen: false,
            client_tag: Vec::new(),
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
                St::Await { buf, .. } => {
                    let room = AWAIT_CAP.saturating_sub(buf.len());
                    let take = room.min(data.len());
                    buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if buf.len() >= AWAIT_CAP {
                        cx.stats.imap.literal_assumed_continued += 1;
                        self.await_go(cx);
                    }
                }
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
                        Target::TopHdr { buf, .. } => {
                            let room = (TOP_HDR_CAP + 1).saturating_sub(buf.len());
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
        if dir == Dir::ToClient {
            if let Some(seq) = self.server.fetch_seq {
                self.learn_bodystructure(cx, seq, body);
            }
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
        let sync = !(body.ends_with(b"+}") || body.ends_with(b"-}"));
        if dir == Dir::ToServer
            && sync
            && self.server_seen
            && matches!(target, Target::Decode { .. })
        {
            self.client.st = St::Await {
                n,
                target,
                buf: Vec::new(),
            };
            return;
        }
        self.side(dir).st = St::Literal {
            remaining: n,
            target,
        };
    }

    /// The server said `+` (or is not there to say it): the awaited literal follows.
    fn await_go(&mut self, cx: &mut StreamCtx) {
        if !matches!(self.client.st, St::Await { .. }) {
            return;
        }
        if let St::Await { n, target, buf } = std::mem::replace(&mut self.client.st, St::Line) {
            self.client.st = St::Literal {
                remaining: n,
                target,
            };
            self.input(cx, Dir::ToServer, &buf);
        }
    }

    /// The server refused the command: no literal; the held bytes are the next commands.
    fn await_refused(&mut self, cx: &mut StreamCtx) {
        if let St::Await { buf, .. } = std::mem::replace(&mut self.client.st, St::Line) {
            cx.stats.imap.literal_refused += 1;
            self.client.first = true;
            self.input(cx, Dir::ToServer, &buf);
        }
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
                self.client_tag.clear();
                self.client_tag.extend_from_slice(&tag[..tag.len().min(64)]);
                if cmd.eq_ignore_ascii_case(b"STARTTLS") {
                    self.starttls_tag = Some(tag.to_vec());
                }
            }
            Dir::ToClient => {
                let side = &mut self.server;
                side.append = false;
                side.fetch_seq = None;
                if tag == b"+" {
                    self.await_go(cx);
                } else if matches!(self.client.st, St::Await { .. })
                    && tag == self.client_tag.as_slice()
                    && (w2.eq_ignore_ascii_case(b"NO") || w2.eq_ignore_ascii_case(b"BAD"))
                {
                    self.await_refused(cx);
                }
                let side = &mut self.server;
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
            let known = self
                .learned
                .iter()
                .find(|(k, _)| k.0 == seq && k.1 == sec)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            meta.filename = known.filename;
            let cte = if binary {
                Some("binary".to_string())
            } else {
                known.cte
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
        if kw == "RFC822.HEADER" || sec == "HEADER" || sec.starts_with("HEADER.FIELDS") {
            return Target::TopHdr {
                seq,
                buf: Vec::new(),
                full: !sec.starts_with("HEADER.FIELDS"),
            };
        }
        if kw == "RFC822.TEXT" || sec == "TEXT" {
            if let Some(t) = self.tops.iter().find(|t| t.seq == seq) {
                // The text of a message whose header the session showed: decoded like the
                // whole message (a multipart's text is its parts).
                cx.stats.imap.fetch_parts += 1;
                cx.stats.imap.text_decoded += 1;
                let mut dec = Box::new(if t.real {
                    MimeDecoder::message(meta, &self.limits)
                } else {
                    MimeDecoder::entity(meta, &self.limits)
                });
                let fc = cx.file_ctx(dir);
                dec.push(cx.files, &mut cx.stats.mime, &fc, &t.hdr);
                return Target::Decode { dec, end };
            }
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

    /// Remembers each part's transfer encoding from a BODYSTRUCTURE in a FETCH response.
    fn learn_bodystructure(&mut self, cx: &mut StreamCtx, seq: u64, body: &[u8]) {
        let up = body.to_ascii_uppercase();
        let Some(p) = memchr::memmem::find(&up, b"BODYSTRUCTURE (") else {
            return;
        };
        let mut toks = Tokens {
            s: &body[p + 14..],
            i: 0,
        };
        let Some(tree) = parse_node(&mut toks, 0) else {
            return;
        };
        if let Some(h) = bodystructure_header(&tree) {
            self.learn_top(cx, seq, &h, true, false);
        }
        let mut found = Vec::new();
        walk_parts(&tree, String::new(), &mut found, 0);
        for (part, enc, filename) in found {
            cx.stats.imap.bodystructure_parts_learned += 1;
            self.learn((seq, part), Some(enc), filename);
        }
    }

    /// Records (or updates) what is known about one part; what `cte` / `filename` leave
    /// unknown (None / empty) keeps its earlier value.
    fn learn(&mut self, key: (u64, String), cte: Option<String>, filename: String) {
        if let Some((_, l)) = self.learned.iter_mut().find(|(k, _)| *k == key) {
            if cte.is_some() {
                l.cte = cte;
            }
            if !filename.is_empty() {
                l.filename = filename;
            }
            return;
        }
        if self.learned.len() >= MAX_LEARNED {
            self.learned.remove(0);
        }
        self.learned.push((key, Learned { cte, filename }));
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
            Target::TopHdr { seq, buf, full } => {
                if how.is_none() {
                    self.learn_top(cx, seq, &buf, full, true);
                }
            }
            Target::MimeHdr { key, buf } => {
                if how.is_none() {
                    if let Ok((hs, _)) = mailparse::parse_headers(&buf) {
                        let (mut cte, mut disp_name, mut type_name) = (None, None, None);
                        for h in hs {
                            let k = h.get_key_ref();
                            if k.eq_ignore_ascii_case("content-transfer-encoding") {
                                cte = Some(h.get_value().trim().to_ascii_lowercase());
                            } else if k.eq_ignore_ascii_case("content-disposition") {
                                let d = mailparse::parse_content_disposition(&h.get_value());
                                disp_name = d.params.get("filename").cloned();
                            } else if k.eq_ignore_ascii_case("content-type") {
                                let t = mailparse::parse_content_type(&h.get_value());
                                type_name = t.params.get("name").cloned();
                            }
                        }
                        let name = disp_name.or(type_name).unwrap_or_default();
                        if cte.is_some() || !name.is_empty() {
                            cx.stats.imap.mime_headers_learned += 1;
                            self.learn(key, cte, cap_name(name));
                        }
                    }
                }
            }
        }
    }

    /// Keeps a message header shown by the session, if it says what the body is: a whole
    /// header always does (no Content-Type = text/plain), some of its fields only with one.
    fn learn_top(&mut self, cx: &mut StreamCtx, seq: u64, buf: &[u8], full: bool, real: bool) {
        if buf.len() > TOP_HDR_CAP {
            return;
        }
        let Ok((hs, _)) = mailparse::parse_headers(buf) else {
            return;
        };
        let has_ct = hs
            .iter()
            .any(|h| h.get_key_ref().eq_ignore_ascii_case("content-type"));
        if !full && !has_ct {
            return;
        }
        if !real && self.tops.iter().any(|t| t.seq == seq && t.real) {
            return; // a real header beats one made up from a BODYSTRUCTURE
        }
        let mut hdr = trim_crlf(buf).to_vec();
        hdr.extend_from_slice(b"\r\n\r\n");
        if hdr.len() == 4 {
            hdr.truncate(2); // an empty header block: just the blank line
        }
        cx.stats.imap.message_headers_learned += 1;
        self.tops.retain(|t| t.seq != seq);
        if self.tops.len() >= MAX_TOPS {
            self.tops.remove(0);
        }
        self.tops.push(TopHdr { seq, hdr, real });
    }

    fn cut(&mut self, cx: &mut StreamCtx, dir: Dir, why: TruncReason) {
        if dir == Dir::ToServer {
            self.await_go(cx);
        }
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
        "RFC822" | "RFC822.TEXT" | "RFC822.HEADER" => Some((kw, String::new(), partial)),
        _ => None,
    }
}

fn is_part_number(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
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

/// A BODYSTRUCTURE s-expression node.
enum Node {
    List(Vec<Node>),
    Str(String),
    Nil,
}

struct Tokens<'a> {
    s: &'a [u8],
    i: usize,
}

/// Most elements kept per list and deepest nesting parsed (hostile input is bounded).
const BS_MAX_ITEMS: usize = 64;
const BS_MAX_DEPTH: usize = 16;

fn parse_node(t: &mut Tokens, depth: usize) -> Option<Node> {
    while t.s.get(t.i) == Some(&b' ') {
        t.i += 1;
    }
    match *t.s.get(t.i)? {
        b'(' => {
            if depth >= BS_MAX_DEPTH {
                return None;
            }
            t.i += 1;
            let mut v = Vec::new();
            loop {
                while t.s.get(t.i) == Some(&b' ') {
                    t.i += 1;
                }
                match t.s.get(t.i) {
                    None => return None,
                    Some(b')') => {
                        t.i += 1;
                        return Some(Node::List(v));
                    }
                    _ => {
                        let n = parse_node(t, depth + 1)?;
                        if v.len() < BS_MAX_ITEMS {
                            v.push(n);
                        }
                    }
                }
            }
        }
        b'"' => {
            t.i += 1;
            let mut out = Vec::new();
            while let Some(&c) = t.s.get(t.i) {
                t.i += 1;
                match c {
                    b'\\' => {
                        if let Some(&n) = t.s.get(t.i) {
                            out.push(n);
                            t.i += 1;
                        }
                    }
                    b'"' => return Some(Node::Str(String::from_utf8_lossy(&out).into_owned())),
                    _ => out.push(c),
                }
            }
            None
        }
        b')' => None,
        _ => {
            let start = t.i;
            while let Some(&c) = t.s.get(t.i) {
                if c == b' ' || c == b'(' || c == b')' {
                    break;
                }
                t.i += 1;
            }
            let atom = &t.s[start..t.i];
            if atom.eq_ignore_ascii_case(b"NIL") {
                Some(Node::Nil)
            } else {
                Some(Node::Str(String::from_utf8_lossy(atom).into_owned()))
            }
        }
    }
}

/// The header a BODYSTRUCTURE implies for the message itself: its Content-Type (with the
/// boundary of a multipart, the parameters of a single part) and transfer encoding.
fn bodystructure_header(n: &Node) -> Option<Vec<u8>> {
    let Node::List(items) = n else { return None };
    let s = |i: usize| match items.get(i) {
        Some(Node::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    let quote = |v: &str| {
        let v: String = v
            .chars()
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .take(MAX_NAME)
            .collect();
        format!("\"{v}\"")
    };
    let token = |v: &str| {
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c))
    };
    let mut h = String::new();
    if matches!(items.first(), Some(Node::List(_))) {
        let k = items
            .iter()
            .take_while(|c| matches!(c, Node::List(_)))
            .count();
        let sub = s(k).filter(|v| token(v))?;
        let b = items.get(k + 1).and_then(|p| param(p, "boundary"))?;
        h.push_str(&format!(
            "Content-Type: multipart/{sub}; boundary={}\r\n",
            quote(&b)
        ));
    } else {
        let (t, sub) = (s(0).filter(|v| token(v))?, s(1).filter(|v| token(v))?);
        h.push_str(&format!("Content-Type: {t}/{sub}"));
        for k in ["name", "charset"] {
            if let Some(v) = items.get(2).and_then(|p| param(p, k)) {
                h.push_str(&format!("; {k}={}", quote(&v)));
            }
        }
        h.push_str("\r\n");
        if let Some(enc) = s(5).filter(|v| token(v)) {
            h.push_str(&format!("Content-Transfer-Encoding: {enc}\r\n"));
        }
    }
    h.push_str("\r\n");
    Some(h.into_bytes())
}

/// Collects (part number, transfer encoding, filename) of every leaf of a BODYSTRUCTURE.
fn walk_parts(n: &Node, prefix: String, out: &mut Vec<(String, String, String)>, depth: usize) {
    let Node::List(items) = n else { return };
    if depth > BS_MAX_DEPTH || out.len() >= MAX_LEARNED {
        return;
    }
    let num = |i: usize| {
        if prefix.is_empty() {
            format!("{i}")
        } else {
            format!("{prefix}.{i}")
        }
    };
    if matches!(items.first(), Some(Node::List(_))) {
        // multipart: children first, then the subtype
        for (k, c) in items
            .iter()
            .take_while(|c| matches!(c, Node::List(_)))
            .enumerate()
        {
            walk_parts(c, num(k + 1), out, depth + 1);
        }
        return;
    }
    let me = if prefix.is_empty() {
        "1".to_string()
    } else {
        prefix.clone()
    };
    let s = |i: usize| match items.get(i) {
        Some(Node::Str(s)) => s.to_ascii_lowercase(),
        _ => String::new(),
    };
    let rfc822 = s(0) == "message" && s(1) == "rfc822";
    // RFC 3501 body-ext-1part follows the fields of the type: md5, then the disposition.
    let disp_at = if s(0) == "text" {
        9
    } else if rfc822 {
        11
    } else {
        8
    };
    let disposition = match items.get(disp_at) {
        Some(d @ Node::List(_)) => Some(d),
        // Servers that get the positions wrong: the first `("type" (params))` after the size.
        _ => items.iter().skip(7).find(|d| {
            matches!(d, Node::List(v) if matches!(v.as_slice(), [Node::Str(_), Node::List(_), ..]))
        }),
    };
    let from_disp = match disposition {
        Some(Node::List(v)) => v.get(1).and_then(|p| param(p, "filename")),
        _ => None,
    };
    let filename = from_disp
        .or_else(|| items.get(2).and_then(|p| param(p, "name")))
        .unwrap_or_default();
    out.push((me.clone(), s(5), filename));
    if rfc822 {
        if let Some(inner @ Node::List(_)) = items.get(8) {
            // The embedded message's parts are numbered under this part.
            if let Node::List(ii) = inner {
                if matches!(ii.first(), Some(Node::List(_))) {
                    walk_parts(inner, me, out, depth + 1);
                } else {
                    walk_parts(inner, format!("{me}.1"), out, depth + 1);
                }
            }
        }
    }
}

/// The value of parameter `name` in a BODYSTRUCTURE parameter list `("k" "v" ...)`: also
/// RFC 2231 `name*` (charset''percent-encoded) and RFC 2047 encoded words, capped.
fn param(list: &Node, name: &str) -> Option<String> {
    let Node::List(v) = list else { return None };
    let mut star = None;
    for kv in v.chunks_exact(2) {
        let (Node::Str(k), Node::Str(val)) = (&kv[0], &kv[1]) else {
            continue;
        };
        if k.eq_ignore_ascii_case(name) {
            let val = if val.contains("=?") {
                mailparse::parse_header(format!("X: {val}").as_bytes())
                    .map(|(h, _)| h.get_value())
                    .unwrap_or_else(|_| val.clone())
            } else {
                val.clone()
            };
            return Some(cap_name(val));
        }
        if star.is_none()
            && k.len() == name.len() + 1
            && k.ends_with('*')
            && k[..name.len()].eq_ignore_ascii_case(name)
        {
            star = Some(cap_name(rfc2231_value(val)));
        }
    }
    star
}

/// `charset'lang'percent%20encoded` to text (lossy UTF-8; other charsets are kept as bytes).
fn rfc2231_value(v: &str) -> String {
    let enc = match v.splitn(3, '\'').nth(2) {
        Some(rest) => rest,
        None => v,
    };
    let b = enc.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bounds a learned filename (cut on a char boundary).
fn cap_name(mut s: String) -> String {
    if s.len() > MAX_NAME {
        let mut end = MAX_NAME;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl AppParser for ImapParser {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        if !self.counted {
            self.counted = true;
            cx.stats.imap.sessions += 1;
        }
        if dir == Dir::ToClient && !data.is_empty() {
            self.server_seen = true;
        }
        self.input(cx, dir, data);
    }

    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64) {
        match dir {
            Dir::ToServer => cx.stats.imap.gaps_client += 1,
            Dir::ToClient => cx.stats.imap.gaps_server += 1,
        }
        // Whatever was awaited, the reply may be lost: let the literal through.
        self.await_go(cx);
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
            St::Stopped | St::Await { .. } => {}
        }
    }

    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        self.cut(cx, dir, how.trunc_reason());
        self.side(dir).st = St::Stopped;
    }

    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        self.cut(cx, Dir::ToClient, how.trunc_reason());
        self.cut(cx, Dir::ToServer, how.trunc_reason());
        self.stopped = true;
    }
}

#[cfg(test)]
mod tests;
