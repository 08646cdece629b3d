//! HTTP/1.x: request and response bodies become files, in both directions.
//!
//! Each direction is a small state machine fed in-order bytes: header block (bounded buffer,
//! parsed by httparse) -> body (Content-Length, chunked, or until close) -> next header block.
//! Requests are queued (bounded) so each response knows its method, URL, host and user agent
//! (pipelining, keep-alive). Bodies are transfer-decoded here and content-decoded by
//! [`decode`]; identity bodies go to the file sink as slices of the input, no copy.
//! On lost headers, lost chunk framing or garbage the direction resyncs by scanning for the
//! next request line (client side) or `HTTP/1.` status line (server side).

mod decode;
mod headers;
mod lenient;
#[cfg(test)]
mod tests;

use super::mime::MimeDecoder;
use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;
use crate::files::{
    AppProto, FileCtx, FileEnd, FileMeta, FileSink, HttpInfo, OpenFile, TruncReason,
};
use decode::{Coding, ContentDecoder, DecState};
use std::collections::VecDeque;

counters! {
    /// `stats.http`
    pub struct HttpStats {
        requests,
        responses,
        request_bodies,
        response_bodies,
        /// Responses with no request seen (one-sided capture): treated as answers to GET.
        responses_without_request,
        /// 1xx interim responses.
        interim_responses,
        /// Requests dropped from the pending queue because it was full.
        pending_overflow,
        /// Header blocks larger than `max_header_bytes`.
        header_overflow,
        /// Header blocks httparse rejected.
        invalid_requests,
        invalid_responses,
        /// Response header blocks strict httparse refused but a browser reads: parsed by the
        /// lenient fallback (bare CR line ends, control bytes, junk lines, odd status lines).
        lenient_responses,
        /// Lines of leniently parsed blocks that are not header fields (skipped).
        lenient_skipped_lines,
        /// Line ends that were a bare CR.
        bare_cr_line_ends,
        /// Status lines without a status code (read as 200, as browsers do).
        status_assumed_200,
        /// 304 responses to unconditional requests that carry a framed body (read, as
        /// browsers do).
        body_on_304,
        /// Times a direction started scanning for the next message.
        resyncs,
        /// Bytes skipped while resyncing.
        garbage_bytes,
        /// Gaps reported by the engine.
        gaps,
        /// Content-Length values that are not numbers, or conflict.
        bad_content_length,
        /// Both Transfer-Encoding: chunked and Content-Length.
        chunked_with_length,
        /// Chunk size lines that are not hex, overflow, or are too long.
        bad_chunk_size,
        /// Chunked responses whose first size line was not one: read unchunked to the close.
        chunked_fallback,
        /// Chunk data not followed by CRLF.
        chunk_crlf_missing,
        /// Trailer sections larger than `max_header_bytes`.
        trailer_overflow,
        /// Bodies whose content decoding failed.
        decode_errors,
        /// Bodies whose decoded output hit `max_decoded`.
        decode_capped,
        /// Content-Encoding values not decoded (the raw body is the file).
        unknown_encoding,
        /// Content codings beyond the third layer (not undone).
        encoding_layers_dropped,
        /// Bodies labelled compressed that were not (passed through as they are).
        encoding_not_applied,
        /// Chunk size lines with junk after the hex digits (read as far as the digits go).
        chunk_size_junk,
        /// Bodies cut short by the end of the connection.
        bodies_truncated,
        /// Header blocks cut short by the end of the connection.
        incomplete_headers,
        /// CONNECT / Upgrade tunnels (the rest of the connection is not HTTP).
        tunnels,
        /// multipart/form-data request bodies.
        multipart_bodies,
        /// 206 responses.
        partial_content,
    }
}

/// HTTP parser limits.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest request/response header block accepted before the transaction is abandoned.
    pub max_header_bytes: usize,
    /// Requests kept waiting for their responses (pipelining); older ones are dropped.
    pub max_pending: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_header_bytes: 64 << 10,
            max_pending: 64,
        }
    }
}

/// Longest chunk-size line accepted (with extensions).
const MAX_CHUNK_LINE: usize = 1024;
/// Longest URL kept for a transaction (queued requests stay small).
const MAX_URL: usize = 2048;
/// Longest host / user agent / content type / range kept.
const MAX_FIELD: usize = 512;

/// `s` cut to at most `max` bytes, on a character boundary.
fn bounded(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Most content codings undone on one body.
const MAX_LAYERS: usize = 3;
/// Most header fields in one block.
const MAX_HEADERS: usize = 128;

/// What a response needs to know of its request.
#[derive(Clone, Debug, Default)]
struct Txn {
    method: String,
    url: String,
    host: String,
    ua: String,
    /// The request was conditional (If-Modified-Since / If-None-Match): a 304 has no body.
    conditional: bool,
}

enum Framing {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

enum Chunk {
    /// Reading a size line: value, digits, past the digits (extension / whitespace), line bytes.
    Size {
        val: u64,
        digits: u8,
        after: bool,
        len: usize,
    },
    Data(u64),
    /// After chunk data: 0 expecting CR or LF, 1 saw CR.
    Crlf(u8),
    /// Trailer section: bytes of the current line, total bytes.
    Trailer {
        line: usize,
        total: usize,
    },
}

/// Where decoded body bytes go: the file (opened on the first byte or gap) and the multipart
/// decoder.
struct BodyOut {
    fc: FileCtx,
    meta: Option<FileMeta>,
    file: Option<OpenFile>,
    mime: Option<MimeDecoder>,
}

impl BodyOut {
    fn file<'a>(&'a mut self, files: &mut FileSink) -> Option<&'a mut OpenFile> {
        if self.file.is_none() {
            let meta = self.meta.take()?;
            self.file = Some(files.open(&self.fc, meta));
        }
        self.file.as_mut()
    }

    fn write(&mut self, files: &mut FileSink, st: &mut super::mime::MimeStats, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if let Some(f) = self.file(files) {
            files.write(f, data);
        }
        if let Some(m) = self.mime.as_mut() {
            m.push(files, st, &self.fc, data);
        }
    }

    fn gap(&mut self, files: &mut FileSink) {
        if let Some(f) = self.file(files) {
            files.gap(f);
        }
        if let Some(m) = self.mime.as_mut() {
            m.gap(files, &self.fc);
        }
    }

    fn close(
        &mut self,
        files: &mut FileSink,
        st: &mut super::mime::MimeStats,
        end: FileEnd,
        ts: u64,
    ) {
        if let Some(f) = self.file.take() {
            files.close(f, end, ts);
        }
        if let Some(mut m) = self.mime.take() {
            m.finish(files, st, &self.fc, end);
        }
    }
}

struct Body {
    framing: Framing,
    /// Content decoders, outermost coding first (empty: identity).
    decoder: Vec<ContentDecoder>,
    out: BodyOut,
    /// How a body that arrives in full ends (Truncated(Partial) for a partial 206).
    full_end: FileEnd,
    /// Bytes of a chunked response's first size line, kept until it parses: when it does not,
    /// the body is read as unchunked up to the close, as browsers do.
    first_line: Option<Vec<u8>>,
}

enum State {
    /// Reading a header block into `buf`.
    Headers,
    Body(Box<Body>),
    /// Scanning for the start of the next message; `buf` holds the candidate line start.
    Resync,
    /// Not HTTP any more (tunnel) or ended: bytes are ignored.
    Ignore,
}

struct Half {
    state: State,
    buf: Vec<u8>,
    /// Where to continue searching `buf` for the end of the header block.
    scan: usize,
}

impl Half {
    fn new() -> Self {
        Half {
            state: State::Headers,
            buf: Vec::new(),
            scan: 0,
        }
    }
}

/// The HTTP/1.x parser of one connection.
pub struct HttpParser {
    max_header: usize,
    max_pending: usize,
    max_decoded: u64,
    mime: super::mime::MimeLimits,
    pending: VecDeque<Txn>,
    /// The request waiting for its response was CONNECT.
    client: Half,
    server: Half,
}

impl HttpParser {
    pub fn new(cfg: &ProtoConfig) -> Self {
        HttpParser {
            max_header: cfg.http.max_header_bytes.max(64),
            max_pending: cfg.http.max_pending.max(1),
            max_decoded: cfg.max_decoded,
            mime: cfg.mime.clone(),
            pending: VecDeque::new(),
            client: Half::new(),
            server: Half::new(),
        }
    }

    fn half(&mut self, dir: Dir) -> &mut Half {
        match dir {
            Dir::ToServer => &mut self.client,
            Dir::ToClient => &mut self.server,
        }
    }

    fn run(&mut self, cx: &mut StreamCtx, dir: Dir, mut data: &[u8]) {
        let mut stalls = 0;
        while !data.is_empty() {
            let n = match self.half(dir).state {
                State::Headers => self.headers(cx, dir, data),
                State::Body(_) => self.body(cx, dir, data),
                State::Resync => self.resync(cx, dir, data),
                State::Ignore => data.len(),
            };
            // Every state consumes or changes; this guard only makes termination obvious.
            stalls = if n == 0 { stalls + 1 } else { 0 };
            if stalls > 8 {
                cx.stats.http.garbage_bytes += data.len() as u64;
                return;
            }
            data = data.get(n..).unwrap_or_default();
        }
    }

    /// Feeds header bytes; returns bytes of `data` consumed.
    fn headers(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) -> usize {
        let max = self.max_header;
        let h = self.half(dir);
        let mut skipped = 0;
        if h.buf.is_empty() {
            // Stray CRLFs between messages are allowed.
            skipped = data
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            if skipped == data.len() {
                return skipped;
            }
        }
        let data = &data[skipped..];
        if h.buf.is_empty() {
            // Fast path: the whole block is in this piece; parse it in place, no copy.
            if let Some(end) = header_end(data.get(..max).unwrap_or(data), 0) {
                self.block(cx, dir, &data[..end]);
                return skipped + end;
            }
        }
        let old = h.buf.len();
        let take = data.len().min(max.saturating_sub(old));
        h.buf.extend_from_slice(&data[..take]);
        let from = h.scan.saturating_sub(3);
        match header_end(&h.buf, from) {
            None => {
                h.scan = h.buf.len();
                if h.buf.len() >= max {
                    cx.stats.http.header_overflow += 1;
                    let dropped = h.buf.len() as u64;
                    self.start_resync(cx, dir, dropped);
                }
                skipped + take
            }
            Some(end) => {
                let used = end.saturating_sub(old);
                let mut block = std::mem::take(&mut self.half(dir).buf);
                self.half(dir).scan = 0;
                self.block(cx, dir, &block[..end]);
                let h = self.half(dir);
                if h.buf.capacity() == 0 {
                    // Reuse the allocation for the next block.
                    block.clear();
                    h.buf = block;
                }
                skipped + used
            }
        }
    }

    /// A complete header block; on garbage, tries a message starting later in the block.
    fn block(&mut self, cx: &mut StreamCtx, dir: Dir, block: &[u8]) {
        let mut off = 0usize;
        let mut tries = 0;
        loop {
            let part = block.get(off..).unwrap_or_default();
            if self.message(cx, dir, part) {
                return;
            }
            // Not a valid message: maybe one starts later in the block (garbage in front of
            // it). A few tries, then scan the following bytes.
            tries += 1;
            let next = part.get(1..).and_then(|r| find_start(dir, r));
            match next {
                Some(p) if tries < 8 => {
                    cx.stats.http.garbage_bytes += (p + 1) as u64;
                    off += p + 1;
                }
                _ => {
                    self.start_resync(cx, dir, part.len() as u64);
                    return;
                }
            }
        }
    }

    fn start_resync(&mut self, cx: &mut StreamCtx, dir: Dir, dropped: u64) {
        cx.stats.http.resyncs += 1;
        cx.stats.http.garbage_bytes += dropped;
        let h = self.half(dir);
        h.buf.clear();
        h.scan = 0;
        h.state = State::Resync;
    }

    /// A complete header block. False when it is not a valid message (counted).
    fn message(&mut self, cx: &mut StreamCtx, dir: Dir, block: &[u8]) -> bool {
        let mut hdrs = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match dir {
            Dir::ToServer => {
                let mut req = httparse::Request::new(&mut hdrs);
                let ok = httparse::ParserConfig::default()
                    .allow_multiple_spaces_in_request_line_delimiters(true)
                    .ignore_invalid_headers_in_requests(true)
                    .parse_request(&mut req, block);
                match ok {
                    Ok(httparse::Status::Complete(_)) => {}
                    _ => {
                        cx.stats.http.invalid_requests += 1;
                        return false;
                    }
                }
                cx.stats.http.requests += 1;
                let f = Fields::of(req.headers.iter().map(|h| (h.name.as_bytes(), h.value)));
                let txn = Txn {
                    method: bounded(req.method.unwrap_or(""), 32),
                    url: bounded(req.path.unwrap_or(""), MAX_URL),
                    host: bounded(&f.host, MAX_FIELD),
                    ua: bounded(&f.ua, MAX_FIELD),
                    conditional: f.conditional,
                };
                if self.pending.len() >= self.max_pending {
                    self.pending.pop_front();
                    cx.stats.http.pending_overflow += 1;
                }
                self.pending.push_back(txn.clone());
                let framing = match self.framing(cx, &f, false) {
                    Some(Framing::UntilClose) | None => return true,
                    Some(fr) => fr,
                };
                cx.stats.http.request_bodies += 1;
                let mut meta = self.meta(&f, &txn, None);
                let mut mime = None;
                if let Some(ct) = f.content_type_raw.as_deref() {
                    let lower = ct.to_ascii_lowercase();
                    if lower.starts_with(b"multipart/form-data") {
                        if let Some(b) = headers::param(ct, "boundary").filter(|b| !b.is_empty()) {
                            cx.stats.http.multipart_bodies += 1;
                            let mut tmpl = meta.clone();
                            tmpl.filename.clear();
                            mime = Some(MimeDecoder::multipart(b.as_bytes(), tmpl, &self.mime));
                        }
                    }
                }
                meta.note = None;
                self.begin_body(cx, dir, &f, framing, meta, mime, FileEnd::Complete);
                true
            }
            Dir::ToClient => {
                // Strict httparse first (no copy); where it refuses, the lenient parse reads
                // the block as a browser would (a strict parse that skipped invalid fields
                // would lose fields browsers use).
                let mut resp = httparse::Response::new(&mut hdrs);
                let ok = httparse::ParserConfig::default()
                    .allow_spaces_after_header_name_in_responses(true)
                    .allow_obsolete_multiline_headers_in_responses(true)
                    .allow_multiple_spaces_in_response_status_delimiters(true)
                    .parse_response(&mut resp, block);
                let (code, f) = match ok {
                    Ok(httparse::Status::Complete(_)) => (
                        resp.code.unwrap_or(0),
                        Fields::of(resp.headers.iter().map(|h| (h.name.as_bytes(), h.value))),
                    ),
                    _ => match lenient::parse_response(block, MAX_HEADERS) {
                        Some(head) => {
                            let st = &mut cx.stats.http;
                            st.lenient_responses += 1;
                            st.lenient_skipped_lines += head.skipped;
                            st.bare_cr_line_ends += head.bare_cr;
                            st.status_assumed_200 += u64::from(head.assumed_status);
                            let f = Fields::of(head.headers.iter().map(|(n, v)| (*n, &v[..])));
                            (head.code, f)
                        }
                        None => {
                            cx.stats.http.invalid_responses += 1;
                            return false;
                        }
                    },
                };
                if (100..200).contains(&code) && code != 101 {
                    cx.stats.http.interim_responses += 1;
                    return true;
                }
                cx.stats.http.responses += 1;
                let txn = match self.pending.pop_front() {
                    Some(t) => t,
                    None => {
                        cx.stats.http.responses_without_request += 1;
                        Txn {
                            method: "GET".into(),
                            // Unknown: a 304 then has no body, as the RFC says.
                            conditional: true,
                            ..Txn::default()
                        }
                    }
                };
                let connect = txn.method.eq_ignore_ascii_case("CONNECT");
                if code == 101 || (connect && (200..300).contains(&code)) {
                    cx.stats.http.tunnels += 1;
                    self.tunnel(cx);
                    return true;
                }
                if txn.method.eq_ignore_ascii_case("HEAD") || code == 204 {
                    return true;
                }
                if code == 304 {
                    // A 304 answers a conditional request and has no body. To a request that
                    // was not conditional it is bogus; browsers then read the body its
                    // headers frame (never an until-close one).
                    if txn.conditional || !(f.chunked || f.content_length.is_some()) {
                        return true;
                    }
                    cx.stats.http.body_on_304 += 1;
                }
                let Some(framing) = self.framing(cx, &f, true) else {
                    return true;
                };
                cx.stats.http.response_bodies += 1;
                let mut full_end = FileEnd::Complete;
                if code == 206 {
                    cx.stats.http.partial_content += 1;
                    let whole = f
                        .content_range
                        .as_deref()
                        .and_then(|r| headers::content_range(r.as_bytes()))
                        .is_some_and(|(a, b, t)| a == 0 && t == Some(b.saturating_add(1)));
                    if !whole {
                        full_end = FileEnd::Truncated(TruncReason::Partial);
                    }
                }
                let meta = self.meta(&f, &txn, Some(code));
                self.begin_body(cx, dir, &f, framing, meta, None, full_end);
                true
            }
        }
    }

    /// The rest of the connection is not HTTP.
    fn tunnel(&mut self, cx: &mut StreamCtx) {
        for dir in [Dir::ToServer, Dir::ToClient] {
            self.close_body(cx, dir, FileEnd::Truncated(TruncReason::ConnectionClosed));
            let h = self.half(dir);
            h.state = State::Ignore;
            h.buf = Vec::new();
        }
    }

    /// Body framing of a message; None when it has no body.
    fn framing(&self, cx: &mut StreamCtx, f: &Fields, response: bool) -> Option<Framing> {
        if f.chunked {
            if f.content_length.is_some() {
                cx.stats.http.chunked_with_length += 1;
            }
            return Some(Framing::Chunked(Chunk::Size {
                val: 0,
                digits: 0,
                after: false,
                len: 0,
            }));
        }
        if f.bad_length {
            cx.stats.http.bad_content_length += 1;
        }
        match f.content_length {
            Some(0) => None,
            Some(n) => Some(Framing::Length(n)),
            None if response && !f.bad_length => Some(Framing::UntilClose),
            None if response => Some(Framing::UntilClose),
            None => None,
        }
    }

    fn meta(&self, f: &Fields, txn: &Txn, status: Option<u16>) -> FileMeta {
        let mut m = FileMeta::new(AppProto::Http);
        let name = f
            .disposition
            .as_deref()
            .and_then(|d| headers::disposition_filename(d.as_bytes()))
            .unwrap_or_else(|| headers::url_filename(&txn.url));
        m.filename = bounded(&name, MAX_URL);
        m.http = Some(Box::new(HttpInfo {
            hostname: txn.host.clone(),
            url: txn.url.clone(),
            http_method: txn.method.clone(),
            status,
            http_user_agent: txn.ua.clone(),
            http_content_type: bounded(&f.content_type, MAX_FIELD),
            content_range: f.content_range.as_deref().map(|r| bounded(r, MAX_FIELD)),
        }));
        m
    }

    #[allow(clippy::too_many_arguments)]
    fn begin_body(
        &mut self,
        cx: &mut StreamCtx,
        dir: Dir,
        f: &Fields,
        framing: Framing,
        meta: FileMeta,
        mime: Option<MimeDecoder>,
        full_end: FileEnd,
    ) {
        // Codings are listed in the order they were applied: undo them last first. A layer
        // that turns out not to be encoded passes its input through, so a repeated header
        // ("gzip" twice over one gzip layer) decodes right too.
        let mut decoder = Vec::new();
        for t in f.encoding.rsplit(',').map(str::trim) {
            if t.is_empty() || t.eq_ignore_ascii_case("identity") {
                continue;
            }
            match Coding::from_token(t) {
                Some(c) if decoder.len() < MAX_LAYERS => {
                    decoder.push(ContentDecoder::new(c, self.max_decoded))
                }
                Some(_) => cx.stats.http.encoding_layers_dropped += 1,
                None => {
                    // The raw body is the file.
                    cx.stats.http.unknown_encoding += 1;
                    decoder.clear();
                    break;
                }
            }
        }
        let out = BodyOut {
            fc: cx.file_ctx(dir),
            meta: Some(meta),
            file: None,
            mime,
        };
        let first_line =
            (dir == Dir::ToClient && matches!(framing, Framing::Chunked(_))).then(Vec::new);
        self.half(dir).state = State::Body(Box::new(Body {
            framing,
            decoder,
            out,
            full_end,
            first_line,
        }));
    }

    /// Feeds body bytes; returns bytes consumed.
    fn body(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) -> usize {
        let max_header = self.max_header;
        let h = self.half(dir);
        let State::Body(body) = &mut h.state else {
            return data.len();
        };
        let mut used = 0usize;
        let mut done = false;
        let mut bad = false;
        {
            let Body {
                framing,
                decoder,
                out,
                first_line,
                ..
            } = &mut **body;
            match framing {
                Framing::Length(left) => {
                    let n = (*left).min(data.len() as u64) as usize;
                    deliver(cx, decoder, out, &data[..n]);
                    *left -= n as u64;
                    used = n;
                    done = *left == 0;
                }
                Framing::UntilClose => {
                    deliver(cx, decoder, out, data);
                    used = data.len();
                }
                Framing::Chunked(ch) => {
                    while used < data.len() && !done && !bad {
                        let rest = &data[used..];
                        match ch {
                            Chunk::Size {
                                val,
                                digits,
                                after,
                                len,
                            } => {
                                let b = rest[0];
                                used += 1;
                                *len += 1;
                                if let Some(fl) = first_line.as_mut() {
                                    if fl.len() < MAX_CHUNK_LINE {
                                        fl.push(b);
                                    }
                                }
                                if *len > MAX_CHUNK_LINE {
                                    bad = true;
                                } else if b == b'\n' {
                                    if *digits == 0 {
                                        // Lenient: empty line before a size line.
                                        *len = 0;
                                        continue;
                                    }
                                    *ch = if *val == 0 {
                                        Chunk::Trailer { line: 0, total: 0 }
                                    } else {
                                        Chunk::Data(*val)
                                    };
                                    *first_line = None;
                                } else if !*after && b.is_ascii_hexdigit() {
                                    let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                                    *digits = digits.saturating_add(1);
                                    if *digits > 15 {
                                        bad = true;
                                    } else {
                                        *val = (*val << 4) | d;
                                    }
                                } else if b == b';' || b == b' ' || b == b'\t' || b == b'\r' {
                                    *after = true;
                                } else if *digits == 0 {
                                    bad = true;
                                } else if !*after {
                                    // "fx": browsers take the leading hex digits.
                                    cx.stats.http.chunk_size_junk += 1;
                                    *after = true;
                                }
                            }
                            Chunk::Data(left) => {
                                let n = (*left).min(rest.len() as u64) as usize;
                                deliver(cx, decoder, out, &rest[..n]);
                                *left -= n as u64;
                                used += n;
                                if *left == 0 {
                                    *ch = Chunk::Crlf(0);
                                }
                            }
                            Chunk::Crlf(s) => {
                                let b = rest[0];
                                if b == b'\r' && *s == 0 {
                                    *s = 1;
                                    used += 1;
                                } else if b == b'\n' {
                                    used += 1;
                                    *ch = Chunk::Size {
                                        val: 0,
                                        digits: 0,
                                        after: false,
                                        len: 0,
                                    };
                                } else {
                                    // Chunk longer than it said: read this as the next size line.
                                    cx.stats.http.chunk_crlf_missing += 1;
                                    *ch = Chunk::Size {
                                        val: 0,
                                        digits: 0,
                                        after: false,
                                        len: 0,
                                    };
                                }
                            }
                            Chunk::Trailer { line, total } => {
                                let b = rest[0];
                                used += 1;
                                *total += 1;
                                if b == b'\n' {
                                    if *line == 0 {
                                        done = true;
                                    }
                                    *line = 0;
                                } else if b != b'\r' {
                                    *line += 1;
                                }
                                if *total > max_header {
                                    cx.stats.http.trailer_overflow += 1;
                                    // The body itself arrived in full.
                                    done = true;
                                }
                            }
                        }
                    }
                }
            }
        }
        if bad {
            if let State::Body(body) = &mut self.half(dir).state {
                if let Some(first) = body.first_line.take() {
                    // Not chunked after all: what was read is body, the rest runs to the close.
                    cx.stats.http.chunked_fallback += 1;
                    body.framing = Framing::UntilClose;
                    let Body { decoder, out, .. } = &mut **body;
                    deliver(cx, decoder, out, &first);
                    return used;
                }
            }
            cx.stats.http.bad_chunk_size += 1;
            self.close_body(cx, dir, FileEnd::Truncated(TruncReason::DecodeError));
            self.start_resync(cx, dir, 0);
        } else if done {
            self.complete_body(cx, dir);
        }
        used
    }

    /// The body arrived in full.
    fn complete_body(&mut self, cx: &mut StreamCtx, dir: Dir) {
        let end = match &self.half(dir).state {
            State::Body(b) => b.full_end,
            _ => return,
        };
        self.close_body(cx, dir, end);
    }

    /// Ends the body in progress (if any) with `end`, adjusted for the decoder's state; the
    /// direction goes back to reading headers.
    fn close_body(&mut self, cx: &mut StreamCtx, dir: Dir, mut end: FileEnd) {
        let h = self.half(dir);
        let State::Body(mut body) = std::mem::replace(&mut h.state, State::Headers) else {
            return;
        };
        let Body { decoder, out, .. } = &mut *body;
        if !decoder.is_empty() {
            let (files, st) = (&mut *cx.files, &mut cx.stats.mime);
            chain_finish(decoder, &mut |b| out.write(files, st, b));
        }
        for d in decoder.iter() {
            match d.state() {
                DecState::Capped => {
                    cx.stats.http.decode_capped += 1;
                    end = FileEnd::Truncated(TruncReason::SizeCap);
                }
                DecState::Failed => {
                    cx.stats.http.decode_errors += 1;
                    // An undecodable body is still reported (size 0 if nothing came out).
                    out.file(cx.files);
                    if end == FileEnd::Complete {
                        end = FileEnd::Truncated(TruncReason::DecodeError);
                    }
                }
                DecState::Passthrough => cx.stats.http.encoding_not_applied += 1,
                DecState::Running if end == FileEnd::Complete && d.produced() > 0 => {
                    // The framing ended before the compressed stream did.
                    cx.stats.http.decode_errors += 1;
                    end = FileEnd::Truncated(TruncReason::DecodeError);
                }
                _ => {}
            }
        }
        if end != FileEnd::Complete && !matches!(end, FileEnd::Truncated(TruncReason::Partial)) {
            cx.stats.http.bodies_truncated += 1;
        }
        body.out.close(cx.files, &mut cx.stats.mime, end, cx.ts);
    }

    /// Scans for the start of the next message (anywhere, not only at line starts: the lost
    /// body before it need not end with a newline); returns bytes consumed.
    fn resync(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) -> usize {
        let h = match dir {
            Dir::ToServer => &mut self.client,
            Dir::ToClient => &mut self.server,
        };
        let mut i = 0;
        while let Some(rest) = data.get(i..).filter(|r| !r.is_empty()) {
            if h.buf.is_empty() {
                let p = match dir {
                    Dir::ToClient => memchr::memchr(b'H', rest),
                    Dir::ToServer => rest.iter().position(|b| REQ_START.contains(b)),
                };
                match p {
                    None => {
                        cx.stats.http.garbage_bytes += rest.len() as u64;
                        return data.len();
                    }
                    Some(p) => {
                        cx.stats.http.garbage_bytes += p as u64;
                        i += p;
                    }
                }
            }
            let Some(&b) = data.get(i) else { break };
            h.buf.push(b);
            i += 1;
            match start_match(dir, &h.buf) {
                Match::Yes => {
                    // The candidate bytes start the new header block.
                    h.state = State::Headers;
                    h.scan = 0;
                    return i;
                }
                Match::Maybe => {}
                Match::No => {
                    // Give back the last byte: it may start a candidate itself.
                    cx.stats.http.garbage_bytes += h.buf.len().saturating_sub(1) as u64;
                    h.buf.clear();
                    i -= 1;
                }
            }
        }
        i
    }

    /// Ends direction `dir`'s open body with a truncation for `how` (or completes an
    /// until-close body on FIN).
    fn end_dir(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        let reason = how.trunc_reason();
        let h = self.half(dir);
        match &h.state {
            State::Body(b) => {
                let end = match (&b.framing, how) {
                    (Framing::UntilClose, StreamEnd::Fin) => b.full_end,
                    _ => FileEnd::Truncated(reason),
                };
                self.close_body(cx, dir, end);
            }
            State::Headers if !h.buf.is_empty() => cx.stats.http.incomplete_headers += 1,
            _ => {}
        }
        let h = self.half(dir);
        h.state = State::Ignore;
        h.buf = Vec::new();
    }
}

/// Sends body bytes through the decoders (if any) to the output.
fn deliver(cx: &mut StreamCtx, decoder: &mut [ContentDecoder], out: &mut BodyOut, data: &[u8]) {
    let (files, st) = (&mut *cx.files, &mut cx.stats.mime);
    chain_push(decoder, data, &mut |b| out.write(files, st, b));
}

/// Pushes `data` through a chain of decoders (at most [`MAX_LAYERS`] deep).
fn chain_push(decs: &mut [ContentDecoder], data: &[u8], emit: &mut dyn FnMut(&[u8])) {
    match decs.split_first_mut() {
        None => emit(data),
        Some((first, rest)) => first.push(data, &mut |b| chain_push(rest, b, emit)),
    }
}

/// Ends a chain of decoders, outermost first.
fn chain_finish(decs: &mut [ContentDecoder], emit: &mut dyn FnMut(&[u8])) {
    if let Some((first, rest)) = decs.split_first_mut() {
        first.finish(&mut |b| chain_push(rest, b, emit));
        chain_finish(rest, emit);
    }
}

/// End of a header block (index just past the blank line) in `buf`, searching from `from`.
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr::memchr(b'\n', buf.get(i..)?) {
        let nl = i + p;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// First bytes of the request methods resync looks for.
const REQ_START: &[u8] = b"GPHODCT";

/// Offset of the first complete request / status line start in `b`.
fn find_start(dir: Dir, b: &[u8]) -> Option<usize> {
    match dir {
        Dir::ToClient => memchr::memmem::find(b, b"HTTP/1."),
        Dir::ToServer => (0..b.len()).find(|&i| {
            b.get(i).is_some_and(|c| REQ_START.contains(c))
                && matches!(
                    start_match(dir, b.get(i..i + 10).unwrap_or_default()),
                    Match::Yes
                )
        }),
    }
}

enum Match {
    Yes,
    Maybe,
    No,
}

/// Whether `cand` (bytes at a line start) begins a request line / status line.
fn start_match(dir: Dir, cand: &[u8]) -> Match {
    const METHODS: [&[u8]; 10] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"OPTIONS ",
        b"DELETE ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
        b"PROPFIND ",
    ];
    const STATUS: [&[u8]; 1] = [b"HTTP/1."];
    let pats: &[&[u8]] = match dir {
        Dir::ToServer => &METHODS,
        Dir::ToClient => &STATUS,
    };
    let mut maybe = false;
    for p in pats {
        if cand.len() >= p.len() {
            if cand.starts_with(p) {
                return Match::Yes;
            }
        } else if p.starts_with(cand) {
            maybe = true;
        }
    }
    if maybe {
        Match::Maybe
    } else {
        Match::No
    }
}

/// The header fields the parser uses.
#[derive(Default)]
struct Fields {
    content_length: Option<u64>,
    bad_length: bool,
    chunked: bool,
    encoding: String,
    content_type: String,
    content_type_raw: Option<Vec<u8>>,
    disposition: Option<String>,
    content_range: Option<String>,
    host: String,
    ua: String,
    /// If-Modified-Since or If-None-Match present.
    conditional: bool,
}

impl Fields {
    /// The fields used from `(name, value)` pairs.
    fn of<'h>(hs: impl Iterator<Item = (&'h [u8], &'h [u8])>) -> Fields {
        let mut f = Fields::default();
        for (n, v) in hs {
            let text = || String::from_utf8_lossy(trim_ws(v)).into_owned();
            if n.eq_ignore_ascii_case(b"content-length") {
                let parsed = std::str::from_utf8(v).ok().and_then(|s| {
                    // "12, 12" (repeated by a proxy) is one length.
                    let mut it = s.split(',').map(|p| p.trim().parse::<u64>());
                    let first = it.next()?.ok()?;
                    it.all(|p| p.as_ref().ok() == Some(&first)).then_some(first)
                });
                match (parsed, f.content_length) {
                    (Some(l), None) => f.content_length = Some(l),
                    (Some(l), Some(o)) if l == o => {}
                    _ => f.bad_length = true,
                }
            } else if n.eq_ignore_ascii_case(b"transfer-encoding") {
                // The last coding decides; control bytes around it (`chunked\x7f`) are
                // ignored, as browsers do, but not inside it (`chu\0nked` is not chunked).
                let last = v.rsplit(|b| *b == b',').next().unwrap_or_default();
                if trim_ctl(last).eq_ignore_ascii_case(b"chunked") {
                    f.chunked = true;
                }
            } else if n.eq_ignore_ascii_case(b"content-encoding") {
                if !f.encoding.is_empty() {
                    f.encoding.push(',');
                }
                f.encoding.push_str(&text());
            } else if n.eq_ignore_ascii_case(b"content-type") {
                f.content_type = text();
                f.content_type_raw = Some(trim_ws(v).to_vec());
            } else if n.eq_ignore_ascii_case(b"content-disposition") {
                f.disposition = Some(text());
            } else if n.eq_ignore_ascii_case(b"content-range") {
                f.content_range = Some(text());
            } else if n.eq_ignore_ascii_case(b"host") {
                f.host = text();
            } else if n.eq_ignore_ascii_case(b"user-agent") {
                f.ua = text();
            } else if n.eq_ignore_ascii_case(b"if-modified-since")
                || n.eq_ignore_ascii_case(b"if-none-match")
            {
                f.conditional = true;
            }
        }
        if f.bad_length {
            // Conflicting lengths: trust none of them (the body then ends with the connection).
            f.content_length = None;
        }
        f
    }
}

/// `v` without whitespace and control bytes (NUL..SP, DEL) at either end.
fn trim_ctl(v: &[u8]) -> &[u8] {
    let ctl = |b: &u8| *b <= b' ' || *b == 0x7f;
    let s = v.iter().position(|b| !ctl(b)).unwrap_or(v.len());
    let e = v.iter().rposition(|b| !ctl(b)).map_or(s, |p| p + 1);
    v.get(s..e).unwrap_or_default()
}

fn trim_ws(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(s, |p| p + 1);
    v.get(s..e).unwrap_or_default()
}

impl AppParser for HttpParser {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        self.run(cx, dir, data);
    }

    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64) {
        cx.stats.http.gaps += 1;
        let h = self.half(dir);
        match &mut h.state {
            State::Body(body) => {
                body.out.gap(cx.files);
                for d in body.decoder.iter_mut() {
                    d.fail();
                }
                match &mut body.framing {
                    Framing::Length(left) => {
                        if len >= *left {
                            self.close_body(cx, dir, FileEnd::Truncated(TruncReason::Gap));
                        } else {
                            *left -= len;
                        }
                    }
                    Framing::UntilClose => {}
                    Framing::Chunked(_) => {
                        self.close_body(cx, dir, FileEnd::Truncated(TruncReason::Gap));
                        self.start_resync(cx, dir, 0);
                    }
                }
            }
            State::Headers => {
                let dropped = h.buf.len() as u64;
                self.start_resync(cx, dir, dropped);
            }
            State::Resync => h.buf.clear(),
            State::Ignore => {}
        }
    }

    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        self.end_dir(cx, dir, how);
    }

    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        self.end_dir(cx, Dir::ToServer, how);
        self.end_dir(cx, Dir::ToClient, how);
        self.pending.clear();
    }
}
