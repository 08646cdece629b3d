//! Browser-like parsing of response header blocks that strict httparse refuses (the fallback
//! of the HTTP parser; each use is counted by the caller). What it accepts, as browsers do:
//! a bare CR as a line end, control bytes inside values, lines without a colon (skipped),
//! folded (obs-fold) lines, status lines with an odd version (`HTTP/1.00`, `HTTP/1.1\0`,
//! `HTTP/1.1foobar`) and status lines without a status code (read as 200, as Chrome does).
//! Nothing is copied except the values of folded fields.

use std::borrow::Cow;

/// A response head parsed leniently.
pub(super) struct Head<'a> {
    /// Status code (200 when the status line has none, see `assumed_status`).
    pub code: u16,
    /// The status line had no usable status code.
    pub assumed_status: bool,
    /// Header fields in order: name and value, both trimmed; folded lines joined by a space.
    pub headers: Vec<(&'a [u8], Cow<'a, [u8]>)>,
    /// Lines that are not fields (no colon, empty name, beyond the field limit).
    pub skipped: u64,
    /// Line ends that were a bare CR.
    pub bare_cr: u64,
}

/// Lines of a block: a line ends at LF, at CR LF, or at a CR not followed by LF.
struct Lines<'a> {
    rest: &'a [u8],
    bare_cr: u64,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = self.rest;
        match memchr::memchr2(b'\r', b'\n', rest) {
            None => {
                self.rest = &[];
                Some(rest)
            }
            Some(p) => {
                let skip = match (rest.get(p), rest.get(p + 1)) {
                    (Some(b'\r'), Some(b'\n')) => 2,
                    (Some(b'\r'), _) => {
                        self.bare_cr += 1;
                        1
                    }
                    _ => 1,
                };
                self.rest = rest.get(p + skip..).unwrap_or_default();
                rest.get(..p)
            }
        }
    }
}

/// Whitespace trimmed from both ends of names and values (SP, HT, CR, LF, FF, VT).
fn trim(v: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c);
    let s = v.iter().position(|b| !ws(b)).unwrap_or(v.len());
    let e = v.iter().rposition(|b| !ws(b)).map_or(s, |p| p + 1);
    v.get(s..e).unwrap_or_default()
}

/// The status code of a status line, the way Chrome reads it: `HTTP/` and a digit, then
/// anything up to the first space; after the spaces, the digits are the code. No space or no
/// digits: 200 (`true` in the second place). None when it is not a status line at all.
fn status(line: &[u8]) -> Option<(u16, bool)> {
    let head = line.get(..6)?;
    if !head[..5].eq_ignore_ascii_case(b"HTTP/") || !head[5].is_ascii_digit() {
        return None;
    }
    let Some(sp) = memchr::memchr(b' ', line) else {
        return Some((200, true));
    };
    let rest = line.get(sp..).unwrap_or_default();
    let rest = rest.get(rest.iter().take_while(|b| **b == b' ').count()..);
    let rest = rest.unwrap_or_default();
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let code = rest
        .get(..n)
        .filter(|d| d.len() == 3)
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|c| *c >= 100);
    Some(match code {
        Some(c) => (c, false),
        None => (200, true),
    })
}

/// Parses a complete response header block (up to and including the blank line). None when
/// its first line is not a status line. At most `max_headers` fields are kept.
pub(super) fn parse_response(block: &[u8], max_headers: usize) -> Option<Head<'_>> {
    let mut lines = Lines {
        rest: block,
        bare_cr: 0,
    };
    let (code, assumed_status) = status(lines.next()?)?;
    let mut headers: Vec<(&[u8], Cow<[u8]>)> = Vec::new();
    let mut skipped = 0u64;
    for line in lines.by_ref() {
        if line.is_empty() {
            // The block's own end, or an empty line made by a bare CR: nothing to keep.
            continue;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            // obs-fold: the line continues the previous field.
            let more = trim(line);
            match headers.last_mut() {
                Some((_, v)) if !more.is_empty() => {
                    let v = v.to_mut();
                    if !v.is_empty() {
                        v.push(b' ');
                    }
                    v.extend_from_slice(more);
                }
                Some(_) => {}
                None => skipped += 1,
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            skipped += 1;
            continue;
        };
        let name = trim(line.get(..colon).unwrap_or_default());
        if name.is_empty() || headers.len() >= max_headers {
            skipped += 1;
            continue;
        }
        let value = trim(line.get(colon + 1..).unwrap_or_default());
        headers.push((name, Cow::Borrowed(value)));
    }
    Some(Head {
        code,
        assumed_status,
        headers,
        skipped,
        bare_cr: lines.bare_cr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(h: &'a Head<'a>) -> Vec<(&'a [u8], &'a [u8])> {
        h.headers.iter().map(|(n, v)| (*n, &v[..])).collect()
    }

    #[test]
    fn status_lines() {
        assert_eq!(status(b"HTTP/1.1 404 Not Found"), Some((404, false)));
        assert_eq!(status(b"HTTP/1.00 200 ok"), Some((200, false)));
        assert_eq!(status(b"http/1.1  302"), Some((302, false)));
        assert_eq!(status(b"HTTP/1.1\0 206 ok"), Some((206, false)));
        assert_eq!(status(b"HTTP/1.1"), Some((200, true)));
        assert_eq!(status(b"HTTP/1.1foobar"), Some((200, true)));
        assert_eq!(status(b"HTTP/1.1 abc"), Some((200, true)));
        assert_eq!(status(b"HTTP/1.1 099"), Some((200, true)));
        assert_eq!(status(b"HTTP/1.1 2000"), Some((200, true)));
        assert_eq!(status(b"HTTP/x 200"), None);
        assert_eq!(status(b"HTTP/"), None);
        assert_eq!(status(b"GET / HTTP/1.1"), None);
        assert_eq!(status(b""), None);
    }

    #[test]
    fn bare_cr_folding_and_junk_lines() {
        let b = b"HTTP/1.1foobar\rTransfer-Encoding:chunked\r\nContent-Encoding:\r gzip\r\n\0junk line\r\n: empty name\r\nX:\x7fv\x7f\r\n\tmore\r\n\r\n";
        let h = parse_response(b, 16).unwrap();
        assert_eq!((h.code, h.assumed_status), (200, true));
        assert_eq!(
            fields(&h),
            vec![
                (&b"Transfer-Encoding"[..], &b"chunked"[..]),
                (b"Content-Encoding", b"gzip"),
                (b"X", b"\x7fv\x7f more"),
            ]
        );
        assert_eq!((h.skipped, h.bare_cr), (2, 2));
        // Field limit.
        let h = parse_response(b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 2).unwrap();
        assert_eq!(h.headers.len(), 2);
        assert_eq!(h.skipped, 1);
        assert!(parse_response(b"xHTTP/1.1 200 OK\r\n\r\n", 8).is_none());
        assert!(parse_response(b"", 8).is_none());
    }

    #[test]
    fn many_folds_stay_linear() {
        let mut b = b"HTTP/1.1 200 OK\r\nX: a\r\n".to_vec();
        for _ in 0..20_000 {
            b.extend_from_slice(b" b\r\n");
        }
        b.extend_from_slice(b"\r\n");
        let h = parse_response(&b, 8).unwrap();
        assert_eq!(h.headers[0].1.len(), 1 + 2 * 20_000);
    }
}
