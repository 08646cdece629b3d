//! Dot-stuffed message bodies (SMTP DATA, POP3 multi-line replies): undoes the stuffing and finds
//! the terminating `CRLF . CRLF` across arbitrary splits. The CRLF before the final dot is the
//! end of the message's last line (RFC 5321 4.1.1.4), so it stays in the message. Lone-LF line
//! endings are accepted too.

use memchr::memmem;

/// The searcher for a line starting with '.', built once.
fn nl_dot() -> &'static memmem::Finder<'static> {
    static F: std::sync::OnceLock<memmem::Finder<'static>> = std::sync::OnceLock::new();
    F.get_or_init(|| memmem::Finder::new(b"\n."))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// At a line start; a newline may be held.
    Start,
    /// Inside a line.
    Mid,
    /// Line start then '.'.
    Dot,
    /// Line start then ".\r".
    DotCr,
}

/// Incremental reader of one dot-stuffed body.
#[derive(Clone, Debug)]
pub struct DotReader {
    st: St,
    nl: [u8; 2],
    nl_len: u8,
    held_cr: bool,
}

impl Default for DotReader {
    fn default() -> Self {
        DotReader {
            st: St::Start,
            nl: [0; 2],
            nl_len: 0,
            held_cr: false,
        }
    }
}

impl DotReader {
    fn flush_nl(&mut self, emit: &mut impl FnMut(&[u8])) {
        if self.nl_len > 0 {
            let nl = self.nl;
            emit(&nl[..self.nl_len as usize]);
            self.nl_len = 0;
        }
    }

    fn hold_nl(&mut self, nl: &[u8]) {
        let l = nl.len().min(2);
        self.nl[..l].copy_from_slice(&nl[..l]);
        self.nl_len = l as u8;
    }

    /// Bytes were lost: continue as if inside a line (the terminator must start a line).
    pub fn gap(&mut self) {
        self.nl_len = 0;
        self.held_cr = false;
        self.st = St::Mid;
    }

    /// Feeds bytes; body content goes to `emit`. Returns `Some(n)` when the terminator ended
    /// within `data` after `n` bytes (the rest belongs to the protocol), else `None`.
    pub fn push(&mut self, data: &[u8], mut emit: impl FnMut(&[u8])) -> Option<usize> {
        let mut i = 0;
        while i < data.len() {
            match self.st {
                St::Start => {
                    if data[i] == b'.' {
                        self.st = St::Dot;
                        i += 1;
                    } else {
                        self.flush_nl(&mut emit);
                        self.st = St::Mid;
                    }
                }
                St::Dot => match data[i] {
                    b'\r' => {
                        self.st = St::DotCr;
                        i += 1;
                    }
                    b'\n' => {
                        self.flush_nl(&mut emit);
                        self.st = St::Start;
                        return Some(i + 1);
                    }
                    _ => {
                        // ".." -> "." (the stuffed dot is dropped); lenient for ".x".
                        self.flush_nl(&mut emit);
                        self.st = St::Mid;
                    }
                },
                St::DotCr => {
                    if data[i] == b'\n' {
                        self.flush_nl(&mut emit);
                        self.st = St::Start;
                        return Some(i + 1);
                    }
                    self.flush_nl(&mut emit);
                    emit(b"\r");
                    self.st = St::Mid;
                }
                St::Mid => {
                    if self.held_cr {
                        self.held_cr = false;
                        if data[i] == b'\n' {
                            self.hold_nl(b"\r\n");
                            self.st = St::Start;
                            i += 1;
                            continue;
                        }
                        emit(b"\r");
                    }
                    let rest = &data[i..];
                    // Lines that do not start with '.' pass through untouched: emit the run up
                    // to the next "\n." (its newline included, as every path out of `Dot`
                    // emits it first) in one slice. Only a newline ending the push is held.
                    if let Some(p) = nl_dot().find(rest) {
                        emit(&rest[..=p]);
                        self.st = St::Dot;
                        i += p + 2;
                        continue;
                    }
                    match rest.len().checked_sub(1).filter(|&p| rest[p] == b'\n') {
                        Some(p) => {
                            let s = if p > 0 && rest[p - 1] == b'\r' {
                                p - 1
                            } else {
                                p
                            };
                            emit(&rest[..s]);
                            self.hold_nl(&rest[s..=p]);
                            self.st = St::Start;
                            i += p + 1;
                        }
                        None => {
                            if rest.ends_with(b"\r") {
                                emit(&rest[..rest.len() - 1]);
                                self.held_cr = true;
                            } else {
                                emit(rest);
                            }
                            i = data.len();
                        }
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (Vec<u8>, Option<usize>, usize) {
        let mut r = DotReader::default();
        let mut out = Vec::new();
        for (k, c) in chunks.iter().enumerate() {
            if let Some(n) = r.push(c, |b| out.extend_from_slice(b)) {
                return (out, Some(n), k);
            }
        }
        (out, None, chunks.len())
    }

    #[test]
    fn unstuffs_and_ends_at_every_split() {
        let wire = b"Subject: x\r\n\r\n..leading\r\n.x\r\n..\r\nnot end\r\n\r\n.\r\nNEXT";
        let body = b"Subject: x\r\n\r\n.leading\r\nx\r\n.\r\nnot end\r\n\r\n";
        let (o, n, _) = run(&[wire]);
        assert_eq!(o, body);
        assert_eq!(n, Some(wire.len() - 4));
        for cut in 0..wire.len() - 4 {
            let (o, n, k) = run(&[&wire[..cut], &wire[cut..]]);
            assert_eq!(o, body, "cut {cut}");
            assert_eq!(k, 1);
            assert_eq!(n, Some(wire.len() - 4 - cut));
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        let (o, n, k) = run(&bytes);
        assert_eq!(o, body);
        assert_eq!((n, k), (Some(1), wire.len() - 5));
    }

    #[test]
    fn empty_body_and_lf_only() {
        assert_eq!(run(&[b".\r\n"]), (Vec::new(), Some(3), 0));
        let (o, n, _) = run(&[b"a\nb\n.\n"]);
        assert_eq!(o, b"a\nb\n");
        assert_eq!(n, Some(6));
        let (o, n, _) = run(&[b"a\r\n.x\r\n"]);
        assert_eq!(o, b"a\r\nx");
        assert_eq!(n, None);
    }
}
