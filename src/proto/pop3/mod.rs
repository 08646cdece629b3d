//! POP3: files carried in messages fetched with RETR (and TOP, whose output is partial so its
//! files are TRUNCATED), decoded with [`crate::proto::mime`].
//!
//! Client commands are queued in order; each server status line (`+OK` / `-ERR`) answers the
//! oldest one. Multi-line replies are dot-unstuffed and end at `CRLF . CRLF`. STLS accepted
//! stops parsing. USER / PASS / AUTH values are never kept.

use super::mime::dot::DotReader;
use super::mime::MimeDecoder;
use super::{AppParser, Dir, ProtoConfig, StreamCtx, StreamEnd};
use crate::counters;
use crate::files::{AppProto, FileEnd, FileMeta, TruncReason};
use memchr::memchr;
use std::collections::VecDeque;

counters! {
    /// `stats.pop3`
    pub struct Pop3Stats {
        sessions,
        commands,
        retr,
        top,
        messages,
        messages_truncated,
        err_replies,
        stls,
        line_overflow,
        replies_unmatched,
        commands_without_reply,
        assumed_retr,
        gaps_client,
        gaps_server,
    }
}

const MAX_PENDING: usize = 128;
const MAX_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Retr,
    Top,
    /// A command whose +OK reply is multi-line (LIST, UIDL, CAPA) but carries no message.
    MultiOther,
    Single,
    Stls,
    Auth,
}

enum SState {
    Status,
    Multi { dot: DotReader, cmd: Cmd },
    Stopped,
}

pub struct Pop3Parser {
    limits: super::mime::MimeLimits,
    state: SState,
    pending: VecDeque<Cmd>,
    cline: Vec<u8>,
    cline_skip: bool,
    cline_gap: bool,
    sline: Vec<u8>,
    sline_skip: bool,
    msg: Option<MimeDecoder>,
    client_seen: bool,
    auth: bool,
    counted: bool,
}

/// A line reader with a cap: returns complete lines, skips overlong ones (counted).
fn read_line(
    buf: &mut Vec<u8>,
    skip: &mut bool,
    data: &mut &[u8],
    cap: usize,
    over: &mut u64,
) -> Option<bool> {
    let (part, done) = match memchr(b'\n', data) {
        Some(p) => (&data[..=p], true),
        None => (*data, false),
    };
    *data = &data[part.len()..];
    if !*skip {
        if buf.len() + part.len() > cap {
            *over += 1;
            buf.clear();
            *skip = true;
        } else {
            buf.extend_from_slice(part);
        }
    }
    if !done {
        return None;
    }
    Some(!std::mem::replace(skip, false))
}

impl Pop3Parser {
    pub fn new(cfg: &ProtoConfig) -> Self {
        Pop3Parser {
            limits: cfg.mime.clone(),
            state: SState::Status,
            pending: VecDeque::new(),
            cline: Vec::new(),
            cline_skip: false,
            cline_gap: false,
            sline: Vec::new(),
            sline_skip: false,
            msg: None,
            client_seen: false,
            auth: false,
            counted: false,
        }
    }

    fn client(&mut self, cx: &mut StreamCtx, mut data: &[u8]) {
        self.client_seen = true;
        while !data.is_empty() {
            if matches!(self.state, SState::Stopped) {
                return;
            }
            let Some(ok) = read_line(
                &mut self.cline,
                &mut self.cline_skip,
                &mut data,
                MAX_LINE,
                &mut cx.stats.pop3.line_overflow,
            ) else {
                continue;
            };
            let line = std::mem::take(&mut self.cline);
            if !ok {
                if !std::mem::replace(&mut self.cline_gap, false) {
                    self.push(cx, Cmd::Single);
                }
            } else if !self.auth {
                self.command(cx, &line);
            }
            self.cline = line;
            self.cline.clear();
        }
    }

    fn push(&mut self, cx: &mut StreamCtx, c: Cmd) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
            cx.stats.pop3.commands_without_reply += 1;
        }
        self.pending.push_back(c);
    }

    fn command(&mut self, cx: &mut StreamCtx, line: &[u8]) {
        cx.stats.pop3.commands += 1;
        let line = trim(line);
        let (verb, arg) = match memchr(b' ', line) {
            Some(p) => (&line[..p], trim(&line[p + 1..])),
            None => (line, &[][..]),
        };
        let mut v = [0u8; 4];
        if verb.len() > 4 {
            self.push(cx, Cmd::Single);
            return;
        }
        v[..verb.len()].copy_from_slice(verb);
        v.make_ascii_uppercase();
        let c = match &v[..verb.len()] {
            b"RETR" => Cmd::Retr,
            b"TOP" => Cmd::Top,
            b"LIST" | b"UIDL" if arg.is_empty() => Cmd::MultiOther,
            b"CAPA" => Cmd::MultiOther,
            b"STLS" => Cmd::Stls,
            b"AUTH" if !arg.is_empty() => {
                self.auth = true;
                Cmd::Auth
            }
            b"AUTH" => Cmd::MultiOther,
            _ => Cmd::Single,
        };
        self.push(cx, c);
    }

    fn server(&mut self, cx: &mut StreamCtx, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.state {
                SState::Stopped => return,
                SState::Multi { dot, cmd } => {
                    let cmd = *cmd;
                    let mut dot = std::mem::take(dot);
                    let fc = cx.file_ctx(Dir::ToClient);
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
                            let end = if cmd == Cmd::Top {
                                FileEnd::Truncated(TruncReason::Partial)
                            } else {
                                FileEnd::Complete
                            };
                            self.end_message(cx, end);
                            self.state = SState::Status;
                        }
                        None => {
                            data = &[];
                            self.state = SState::Multi { dot, cmd };
                        }
                    }
                }
                SState::Status => {
                    let Some(ok) = read_line(
                        &mut self.sline,
                        &mut self.sline_skip,
                        &mut data,
                        MAX_LINE,
                        &mut cx.stats.pop3.line_overflow,
                    ) else {
                        continue;
                    };
                    let line = std::mem::take(&mut self.sline);
                    if ok {
                        self.status(cx, &line);
                    }
                    self.sline = line;
                    self.sline.clear();
                }
            }
        }
    }

    fn status(&mut self, cx: &mut StreamCtx, line: &[u8]) {
        let ok = line.starts_with(b"+OK");
        let err = line.starts_with(b"-ERR");
        if !ok && !err {
            // "+ challenge" continuation during AUTH, or noise.
            return;
        }
        let cmd = match self.pending.pop_front() {
            Some(c) => c,
            None => {
                // No command seen: a one-sided capture may still show a message being sent.
                if ok && !self.client_seen && contains_ci(line, b"octets") {
                    cx.stats.pop3.assumed_retr += 1;
                    Cmd::Retr
                } else {
                    if self.client_seen {
                        cx.stats.pop3.replies_unmatched += 1;
                    }
                    return;
                }
            }
        };
        if cmd == Cmd::Auth {
            self.auth = false;
        }
        if err {
            cx.stats.pop3.err_replies += 1;
            return;
        }
        match cmd {
            Cmd::Retr | Cmd::Top => {
                if cmd == Cmd::Retr {
                    cx.stats.pop3.retr += 1;
                } else {
                    cx.stats.pop3.top += 1;
                }
                cx.stats.pop3.messages += 1;
                self.msg = Some(MimeDecoder::message(
                    FileMeta::new(AppProto::Pop3),
                    &self.limits,
                ));
                self.state = SState::Multi {
                    dot: DotReader::default(),
                    cmd,
                };
            }
            Cmd::MultiOther => {
                self.state = SState::Multi {
                    dot: DotReader::default(),
                    cmd,
                }
            }
            Cmd::Stls => {
                cx.stats.pop3.stls += 1;
                self.state = SState::Stopped;
            }
            Cmd::Single | Cmd::Auth => {}
        }
    }

    fn end_message(&mut self, cx: &mut StreamCtx, end: FileEnd) {
        if let Some(mut m) = self.msg.take() {
            if end != FileEnd::Complete {
                cx.stats.pop3.messages_truncated += 1;
            }
            let fc = cx.file_ctx(Dir::ToClient);
            m.finish(cx.files, &mut cx.stats.mime, &fc, end);
        }
    }
}

fn trim(mut l: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = l.split_last() {
        if c == b'\n' || c == b'\r' || c == b' ' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

fn contains_ci(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

impl AppParser for Pop3Parser {
    fn data(&mut self, cx: &mut StreamCtx, dir: Dir, data: &[u8]) {
        if !self.counted {
            self.counted = true;
            cx.stats.pop3.sessions += 1;
        }
        match dir {
            Dir::ToServer => self.client(cx, data),
            Dir::ToClient => self.server(cx, data),
        }
    }

    fn gap(&mut self, cx: &mut StreamCtx, dir: Dir, _len: u64) {
        match dir {
            Dir::ToServer => {
                cx.stats.pop3.gaps_client += 1;
                self.cline.clear();
                self.cline_skip = true;
                self.cline_gap = true;
            }
            Dir::ToClient => {
                cx.stats.pop3.gaps_server += 1;
                match &mut self.state {
                    SState::Multi { dot, .. } => {
                        dot.gap();
                        let fc = cx.file_ctx(Dir::ToClient);
                        if let Some(m) = self.msg.as_mut() {
                            m.gap(cx.files, &fc);
                        }
                    }
                    SState::Status => {
                        self.sline.clear();
                        self.sline_skip = true;
                    }
                    SState::Stopped => {}
                }
            }
        }
    }

    fn end(&mut self, cx: &mut StreamCtx, dir: Dir, how: StreamEnd) {
        if dir == Dir::ToClient {
            self.end_message(cx, FileEnd::Truncated(how.trunc_reason()));
        }
    }

    fn finish(&mut self, cx: &mut StreamCtx, how: StreamEnd) {
        self.end_message(cx, FileEnd::Truncated(how.trunc_reason()));
        self.state = SState::Stopped;
    }
}

#[cfg(test)]
mod tests;
