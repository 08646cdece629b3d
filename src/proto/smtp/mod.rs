//! SMTP: files carried in mail messages (DATA and BDAT/CHUNKING), decoded with
//! [`crate::proto::mime`].
//!
//! The client direction carries commands and messages; the server direction only decides
//! whether DATA was accepted (354) and whether STARTTLS took effect (220). Replies are matched
//! to commands in order (pipelining). Client bytes after DATA wait (bounded) for the reply; if
//! the server side is missing from the capture, DATA is assumed accepted.

use super::mime::dot::DotReader;
use super::mime::MimeDecoder;
use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;
use crate::files::{AppProto, EmailInfo, FileEnd, FileMeta, TruncReason};
use memchr::memchr;
use std::collections::VecDeque;

counters! {
    /// `stats.smtp`
    pub struct SmtpStats {
        sessions,
        commands,
        messages,
        messages_truncated,
        data_accepted,
        data_rejected,
        data_assumed_accepted,
        bdat_chunks,
        bdat_bad_size,
        bdat_bad_syntax,
        rset,
        starttls,
        tls_without_starttls,
        line_overflow,
        reply_line_overflow,
        replies_unmatched,
        commands_without_reply,
        rcpt_overflow,
        gaps_client,
        gaps_server,
    }
}

/// Client bytes held while waiting for the reply to DATA.
const AWAIT_CAP: usize = 64 << 10;
/// Commands waiting for a reply.
const MAX_PENDING: usize = 128;
/// Recipients kept per message.
const MAX_RCPT: usize = 100;
/// Longest reply line looked at.
const MAX_REPLY_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Data,
    Starttls,
    Other,
}

enum CState {
    Command,
    AwaitData(Vec<u8>),
    Data(DotReader),
    Bdat { remaining: u64, last: bool },
    Stopped,
}

pub struct SmtpParser {
    limits: super::mime::MimeLimits,
    max_line: usize,
    state: CState,
    cline: Vec<u8>,
    cline_skip: bool,
    cline_gap: bool,
    sline: Vec<u8>,
    sline_skip: bool,
    pending: VecDeque<Cmd>,
    msg: Option<MimeDecoder>,
    mail_from: Option<String>,
    rcpt: Vec<String>,
    server_ok: bool,
    counted: bool,
}

impl SmtpParser {
    pub fn new(cfg: &ProtoConfig) -> Self {
        SmtpParser {
            limits: cfg.mime.clone(),
            max_line: cfg.mime.max_line.max(512),
            state: CState::Command,
            cline: Vec::new(),
            cline_skip: false,
            cline_gap: false,
            sline: Vec::new(),
            sline_skip: false,
            pending: VecDeque::new(),
            msg: None,
            mail_from: None,
            rcpt: Vec::new(),
            server_ok: false,
            counted: false,
        }
    }

    fn push_pending(&mut self, cx: &mut StreamCtx, c: Cmd) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
            cx.stats.smtp.commands_without_reply += 1;
        }
        self.pending.push_back(c);
    }

    fn start_message(&mut self, cx: &mut StreamCtx) {
        if self.msg.is_some() {
            return;
        }
        cx.stats.smtp.messages += 1;
        let mut meta = FileMeta::new(AppProto::Smtp);
        meta.email = Some(Box::new(EmailInfo {
            mail_from: Some(self.mail_from.clone().unwrap_or_default()),
            rcpt_to: self.rcpt.clone(),
            ..EmailInfo::default()
        }));
        self.msg = Some(MimeDecoder::message(meta, &self.limits));
    }

    fn end_message(&mut self, cx: &mut StreamCtx, end: FileEnd) {
        if let Some(mut m) = self.msg.take() {
            if end != FileEnd::Complete {
                cx.stats.smtp.messages_truncated += 1;
            }
            let fc = cx.file_ctx(Dir::ToServer);
            m.finish(cx.files, &mut cx.stats.mime, &fc, end);
        }
    }

    fn feed_msg(&mut self, cx: &mut StreamCtx, data: &[u8]) {
        if let Some(m) = self.msg.as_mut() {
            let fc = cx.file_ctx(Dir::ToServer);
            m.push(cx.files, &mut cx.stats.mime, &fc, data);
        }
    }

    /// DATA was accepted (or assumed so): replay what the client sent meanwhile.
    fn accept_data(&mut self, cx: &mut StreamCtx) {
        if let CState::AwaitData(buf) =
            std::mem::replace(&mut self.state, CState::Data(DotReader::default()))
        {
            self.start_message(cx);
            self.client(cx, &buf);
        }
    }

    fn client(&mut self, cx: &mut StreamCtx, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.state {
                CState::Stopped => return,
                CState::Command => {
                    let (part, done) = match memchr(b'\n', data) {
                        Some(p) => (&data[..=p], true),
                        None => (data, false),
                    };
                    data = &data[part.len()..];
                    if !self.cline_skip {
                        if self.cline.len() + part.len() > self.max_line {
                            cx.stats.smtp.line_overflow += 1;
                            self.cline.clear();
                            self.cline_skip = true;
                        } else {
                            self.cline.extend_from_slice(part);
                        }
                    }
                    if done {
                        if std::mem::replace(&mut self.cline_skip, false) {
                            // An overlong command still gets a reply; a line cut by a gap is
                            // unknown.
                            if !std::mem::replace(&mut self.cline_gap, false) {
                                self.push_pending(cx, Cmd::Other);
                            }
                            continue;
                        }
                        let line = std::mem::take(&mut self.cline);
                        self.command(cx, &line);
                        self.cline = line;
                        self.cline.clear();
                    } else if self.cline.starts_with(&[0x16, 0x03]) {
                        cx.stats.smtp.tls_without_starttls += 1;
                        self.state = CState::Stopped;
                    }
                }
                CState::AwaitData(buf) => {
                    let room = AWAIT_CAP.saturating_sub(buf.len());
                    let take = room.min(data.len());
                    buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if buf.len() >= AWAIT_CAP {
                        cx.stats.smtp.data_assumed_accepted += 1;
                        self.accept_data(cx);
                    }
                }
                CState::Data(dot) => {
                    let mut dot = std::mem::take(dot);
                    let fc = cx.file_ctx(Dir::ToServer);
                    let r = {
                        let msg = &mut self.msg;
                        let files = &mut *cx.files;
                        let mst = &mut cx.stats.mime;
                        dot.push(data, |b| {
                            if let Some(m) = msg.as_mut() {
                                m.push(files, mst, &fc, b);
                            }
                        })
                    };
                    match r {
                        Some(n) => {
                            data = data.get(n..).unwrap_or(&[]);
                            self.end_message(cx, FileEnd::Complete);
                            self.push_pending(cx, Cmd::Other);
                            self.state = CState::Command;
                        }
                        None => {
                            data = &[];
                            self.state = CState::Data(dot);
                        }
                    }
                }
                CState::Bdat { remaining, last } => {
                    let take = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= take as u64;
                    let (rem, last) = (*remaining, *last);
                    let (chunk, rest) = data.split_at(take);
                    data = rest;
                    self.feed_msg(cx, chunk);
                    if rem == 0 {
                        if last {
                            self.end_message(cx, FileEnd::Complete);
                        }
                        self.state = CState::Command;
                    }
                }
            }
        }
    }

    fn command(&mut self, cx: &mut StreamCtx, line: &[u8]) {
        cx.stats.smtp.commands += 1;
        let line = trim_crlf(line);
        if line.starts_with(&[0x16, 0x03]) {
            cx.stats.smtp.tls_without_starttls += 1;
            self.state = CState::Stopped;
            return;
        }
        let (verb, arg) = split_verb(line);
        let mut v = [0u8; 8];
        let vl = verb.len().min(8);
        v[..vl].copy_from_slice(&verb[..vl]);
        v.make_ascii_uppercase();
        match &v[..vl] {
            b"MAIL" => {
                self.push_pending(cx, Cmd::Other);
                self.mail_from = Some(envelope_addr(arg));
                self.rcpt.clear();
            }
            b"RCPT" => {
                self.push_pending(cx, Cmd::Other);
                if self.rcpt.len() < MAX_RCPT {
                    self.rcpt.push(envelope_addr(arg));
                } else {
                    cx.stats.smtp.rcpt_overflow += 1;
                }
            }
            b"DATA" => {
                self.push_pending(cx, Cmd::Data);
                if self.server_ok {
                    self.state = CState::AwaitData(Vec::new());
                } else {
                    cx.stats.smtp.data_assumed_accepted += 1;
                    self.start_message(cx);
                    self.state = CState::Data(DotReader::default());
                }
            }
            b"BDAT" => {
                self.push_pending(cx, Cmd::Other);
                cx.stats.smtp.bdat_chunks += 1;
                let mut it = arg
                    .split(|&c| c == b' ' || c == b'\t')
                    .filter(|s| !s.is_empty());
                let size_tok = it.next();
                let size = size_tok.and_then(parse_u64);
                let last_tok = it.next();
                let last = last_tok.is_some_and(|s| s.eq_ignore_ascii_case(b"LAST"));
                if size.is_some() && (it.next().is_some() || (last_tok.is_some() && !last)) {
                    // "BDAT 5 X": a syntax error the server rejects; no chunk follows.
                    cx.stats.smtp.bdat_bad_syntax += 1;
                    return;
                }
                match size {
                    Some(n) => {
                        self.start_message(cx);
                        if n == 0 {
                            if last {
                                self.end_message(cx, FileEnd::Complete);
                            }
                        } else {
                            self.state = CState::Bdat { remaining: n, last };
                        }
                    }
                    None => {
                        // Chunk size unknown: the stream cannot be followed further.
                        cx.stats.smtp.bdat_bad_size += 1;
                        self.end_message(cx, FileEnd::Truncated(TruncReason::DecodeError));
                        self.state = CState::Stopped;
                    }
                }
            }
            b"RSET" => {
                self.push_pending(cx, Cmd::Other);
                cx.stats.smtp.rset += 1;
                self.mail_from = None;
                self.rcpt.clear();
                self.end_message(cx, FileEnd::Truncated(TruncReason::ConnectionClosed));
            }
            b"STARTTLS" => self.push_pending(cx, Cmd::Starttls),
            _ => self.push_pending(cx, Cmd::Other),
        }
    }

    fn server(&mut self, cx: &mut StreamCtx, mut data: &[u8]) {
        self.server_ok = true;
        while !data.is_empty() {
            if matches!(self.state, CState::Stopped) {
                return;
            }
            let (part, done) = match memchr(b'\n', data) {
                Some(p) => (&data[..=p], true),
                None => (data, false),
            };
            data = &data[part.len()..];
            if !self.sline_skip {
                if self.sline.len() + part.len() > MAX_REPLY_LINE {
                    cx.stats.smtp.reply_line_overflow += 1;
                    self.sline.clear();
                    self.sline_skip = true;
                } else {
                    self.sline.extend_from_slice(part);
                }
            }
            if !done {
                continue;
            }
            if std::mem::replace(&mut self.sline_skip, false) {
                continue;
            }
            let line = std::mem::take(&mut self.sline);
            self.reply(cx, &line);
            self.sline = line;
            self.sline.clear();
        }
    }

    fn reply(&mut self, cx: &mut StreamCtx, line: &[u8]) {
        let code = match line.get(..3) {
            Some(c) if c.iter().all(u8::is_ascii_digit) => {
                (c[0] - b'0') as u16 * 100 + (c[1] - b'0') as u16 * 10 + (c[2] - b'0') as u16
            }
            _ => return,
        };
        if line.get(3) == Some(&b'-') {
            return;
        }
        // 354 can only answer DATA: match it by code, dropping replies lost before it.
        if code == 354 {
            if let Some(pos) = self.pending.iter().position(|c| *c == Cmd::Data) {
                if pos > 0 {
                    cx.stats.smtp.replies_unmatched += pos as u64;
                }
                self.pending.drain(..pos);
            }
        }
        let Some(cmd) = self.pending.pop_front() else {
            if code != 220 {
                cx.stats.smtp.replies_unmatched += 1;
            }
            return;
        };
        if cmd == Cmd::Data && (200..300).contains(&code) {
            // DATA never gets a 2xx: this answers a command we did not see (gap).
            cx.stats.smtp.replies_unmatched += 1;
            self.pending.push_front(cmd);
            return;
        }
        match cmd {
            Cmd::Data => {
                if code == 354 {
                    cx.stats.smtp.data_accepted += 1;
                    self.accept_data(cx);
                } else {
                    cx.stats.smtp.data_rejected += 1;
                    if let CState::AwaitData(buf) =
                        std::mem::replace(&mut self.state, CState::Command)
                    {
                        self.client(cx, &buf);
                    }
                }
            }
            Cmd::Starttls => {
                if code == 220 {
                    cx.stats.smtp.starttls += 1;
                    self.end_message(cx, FileEnd::Truncated(TruncReason::ConnectionClosed));
                    self.state = CState::Stopped;
                }
            }
            Cmd::Other => {}
        }
    }

    fn server_lost(&mut self, cx: &mut StreamCtx) {
        self.server_ok = false;
        self.pending.clear();
        if matches!(self.state, CState::AwaitData(_)) {
            cx.stats.smtp.data_assumed_accepted += 1;
            self.accept_data(cx);
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

fn split_verb(line: &[u8]) -> (&[u8], &[u8]) {
    match memchr(b' ', line) {
        Some(p) => (&line[..p], &line[p + 1..]),
        None => (line, &[]),
    }
}

pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// "FROM:<a@b> SIZE=1" -> "a@b".
fn envelope_addr(arg: &[u8]) -> String {
    let s = String::from_utf8_lossy(arg);
    let s = s.trim();
    let out = if let (Some(a), Some(b)) = (s.find('<'), s.find('>')) {
        if a < b {
            &s[a + 1..b]
        } else {
            s
        }
    } else if let Some(c) = s.find(':') {
        s[c + 1..].trim().split(' ').next().unwrap_or("")
    } else {
        s
    };
    out.chars().take(512).collect()
}

impl AppParser for SmtpParser {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        if !self.counted {
            self.counted = true;
            cx.stats.smtp.sessions += 1;
        }
        match dir {
            Dir::ToServer => self.client(cx, data),
            Dir::ToClient => self.server(cx, data),
        }
    }

    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, len: u64) {
        match dir {
            Dir::ToServer => {
                cx.stats.smtp.gaps_client += 1;
                if matches!(self.state, CState::AwaitData(_)) {
                    cx.stats.smtp.data_assumed_accepted += 1;
                    self.accept_data(cx);
                }
                let fc = cx.file_ctx(Dir::ToServer);
                match &mut self.state {
                    CState::Command => {
                        self.cline.clear();
                        self.cline_skip = true;
                        self.cline_gap = true;
                    }
                    CState::Data(dot) => {
                        dot.gap();
                        if let Some(m) = self.msg.as_mut() {
                            m.gap(cx.files, &fc);
                        }
                    }
                    CState::Bdat { remaining, .. } => {
                        if let Some(m) = self.msg.as_mut() {
                            m.gap(cx.files, &fc);
                        }
                        if len >= *remaining {
                            // Lost sync with the chunk boundaries: back to commands.
                            self.state = CState::Command;
                            self.cline_skip = true;
                            self.end_message(cx, FileEnd::Truncated(TruncReason::Gap));
                        } else {
                            *remaining -= len;
                        }
                    }
                    CState::AwaitData(_) | CState::Stopped => {}
                }
            }
            Dir::ToClient => {
                cx.stats.smtp.gaps_server += 1;
                self.sline.clear();
                self.sline_skip = true;
                self.server_lost(cx);
            }
        }
    }

    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        match dir {
            Dir::ToServer => {
                if matches!(self.state, CState::AwaitData(_)) {
                    self.accept_data(cx);
                }
                self.end_message(cx, FileEnd::Truncated(how.trunc_reason()));
            }
            Dir::ToClient => self.server_lost(cx),
        }
    }

    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        if matches!(self.state, CState::AwaitData(_)) {
            self.accept_data(cx);
        }
        self.end_message(cx, FileEnd::Truncated(how.trunc_reason()));
        self.state = CState::Stopped;
    }
}

#[cfg(test)]
mod tests;
