//! Streaming content-transfer decoders for MIME parts: base64 (SIMD bulk path with a tolerant
//! slow path), quoted-printable (soft breaks across pushes) and uuencode lines.
//!
//! Every decoder keeps only a few bytes of state between pushes, so data may arrive split
//! anywhere, one byte at a time included.

use memchr::{memchr, memchr2};

/// 0..63 for base64 alphabet bytes, 64 for '=', 255 for anything else.
const B64_TABLE: [u8; 256] = {
    let mut t = [255u8; 256];
    let cs = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[cs[i] as usize] = i as u8;
        i += 1;
    }
    t[b'=' as usize] = 64;
    t
};

/// Base64 state carried between pushes: up to 3 alphabet characters of an incomplete quad.
#[derive(Default, Debug, Clone)]
pub struct B64 {
    carry: [u8; 4],
    n: usize,
    /// Bytes skipped because they were not base64 (nor whitespace).
    pub garbage: u64,
    /// Alphabet characters accepted.
    pub valid: u64,
    pads: usize,
    /// Padding completed a quad: like Python's binascii, the rest of the part is ignored.
    ended: bool,
    /// Bytes ignored after the end of the base64 data.
    pub after_end: u64,
    /// Line length seen last (a hint for the CRLF strip, never trusted for correctness).
    line: usize,
    /// Bytes of the current line [`B64::push_lines`] took in earlier pushes (0 = unknown or
    /// at a line start): another hint, so a push starting mid-line guesses where it ends.
    col: usize,
}

/// Block size of the line copy in [`strip_crlf`].
const BLK: usize = 32;

/// Copies `rest[..l]` to `scratch[w..]` in whole `BLK`-byte blocks while `rest` has them (the
/// bytes written past `w + l` are overwritten later or ignored); callers keep `w` <= the bytes
/// consumed so far, so the destination has the room.
#[inline(always)]
fn copy_line(rest: &[u8], l: usize, scratch: &mut [u8], w: usize) {
    let mut k = 0;
    while k < l {
        match (rest.get(k..k + BLK), scratch.get_mut(w + k..w + k + BLK)) {
            (Some(s), Some(d)) => d.copy_from_slice(s),
            _ => break,
        }
        k += BLK;
    }
    if k < l {
        if let (Some(d), Some(s)) = (scratch.get_mut(w + k..w + l), rest.get(k..l)) {
            d.copy_from_slice(s);
        }
    }
}

/// Where [`B64::push_lines`] stopped, as indices into its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinesEnd {
    /// A line starting with '-' follows: its newline is `input[s..=p]` (CRLF or LF).
    Dash { s: usize, p: usize },
    /// The input ends with a newline starting at `s`.
    Nl { s: usize },
    /// The input ends with a CR.
    Cr,
    /// The input ends inside a line.
    End,
}

/// Writes `input` minus its CR / LF bytes to `scratch` from index `w`, returning the new end.
/// `scratch` must hold at least `w + input.len() + BLK` bytes: lines are copied in whole
/// `BLK`-byte blocks (the bytes past a line's end are overwritten by the next line or ignored),
/// which keeps the copy of a wrapped line to a few vector moves instead of a memmove call.
///
/// Wrapped base64 has lines of one fixed length, so after one line was measured, the next is
/// taken whole when a CRLF sits where it should; otherwise memchr2 finds the line end. A
/// guessed line that still holds a CR or LF is harmless: the bulk decode then fails and the
/// tolerant slow path (which skips whitespace) decodes it, so the result never depends on the
/// guess.
fn strip_crlf(input: &[u8], line: &mut usize, scratch: &mut [u8], mut w: usize) -> usize {
    let mut rest = input;
    while !rest.is_empty() {
        let l = *line;
        if l > 0 && rest.get(l..l + 2) == Some(b"\r\n") {
            copy_line(rest, l, scratch, w);
            w += l;
            rest = &rest[l + 2..];
            continue;
        }
        let (p, skip) = match memchr2(b'\r', b'\n', rest) {
            Some(p) => {
                // Skip the whole CRLF at once (the usual case).
                let skip = if rest.get(p..p + 2) == Some(b"\r\n") {
                    2
                } else {
                    1
                };
                if p > 0 {
                    *line = p;
                }
                (p, skip)
            }
            None => (rest.len(), 0),
        };
        if let Some(d) = scratch.get_mut(w..w + p) {
            d.copy_from_slice(&rest[..p]);
        }
        w += p;
        rest = &rest[p + skip..];
    }
    w
}

impl B64 {
    /// Decodes `input`, appending the decoded bytes to `out`. `scratch` is a reusable buffer.
    pub fn push(&mut self, input: &[u8], scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
        if self.ended {
            self.after_end += input.len() as u64;
            return;
        }
        self.col = 0;
        if self.pads > 0 {
            // Inside padding: the slow path carries that state.
            self.slow(input, out);
            return;
        }
        // Sized once per push (never shrunk): the strip writes by index, in whole blocks.
        let need = self.n + input.len() + BLK;
        if scratch.len() < need {
            scratch.resize(need, 0);
        }
        let n = self.n;
        scratch[..n].copy_from_slice(&self.carry[..n]);
        self.n = 0;
        let len = strip_crlf(input, &mut self.line, scratch, n);
        let s = &scratch[..len];
        let full = len / 4 * 4;
        let start = out.len();
        if base64_simd::STANDARD.decode_append(&s[..full], out).is_ok() {
            self.valid += full as u64;
            if full > 0 && s[full - 1] == b'=' {
                self.ended = true;
                self.after_end += (len - full) as u64;
                return;
            }
            // A tail after a successful bulk decode is at most 3 bytes; it may still hold
            // garbage, so run it through the slow path.
            let mut tail = [0u8; 4];
            let t = len - full;
            tail[..t].copy_from_slice(&s[full..]);
            self.slow(&tail[..t], out);
        } else {
            out.truncate(start);
            self.slow(s, out);
        }
    }

    /// The fast path of a base64 body inside a multipart: strips CR / LF, finds the first line
    /// starting with '-' (a boundary candidate) and decodes, all in one walk over the lines.
    /// Everything before the returned end is consumed, as if [`B64::push`] had been given it.
    /// Returns None, with nothing changed, unless that stretch is clean base64 (alphabet only,
    /// no padding): the caller then takes the general path. A clean result also proves that no
    /// guessed line held a newline, so no '-' line start was missed.
    pub fn push_lines(
        &mut self,
        input: &[u8],
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Option<LinesEnd> {
        if self.ended || self.pads > 0 {
            return None;
        }
        let need = self.n + input.len() + BLK;
        if scratch.len() < need {
            scratch.resize(need, 0);
        }
        let n = self.n;
        scratch[..n].copy_from_slice(&self.carry[..n]);
        let mut w = n;
        let mut line = self.line;
        let col = std::mem::take(&mut self.col);
        let mut new_col = 0;
        let mut off = 0usize;
        let end = loop {
            let rest = input.get(off..).unwrap_or(&[]);
            if rest.is_empty() {
                break LinesEnd::End;
            }
            // The first line of the push may have begun in an earlier one.
            let done = if off == 0 { col } else { 0 };
            let l = line.saturating_sub(done);
            if l > 0 && rest.get(l..l + 2) == Some(b"\r\n") {
                copy_line(rest, l, scratch, w);
                w += l;
                match rest.get(l + 2) {
                    Some(b'-') => {
                        break LinesEnd::Dash {
                            s: off + l,
                            p: off + l + 1,
                        }
                    }
                    None => break LinesEnd::Nl { s: off + l },
                    _ => {}
                }
                off += l + 2;
                continue;
            }
            let Some(p) = memchr2(b'\r', b'\n', rest) else {
                copy_line(rest, rest.len(), scratch, w);
                w += rest.len();
                new_col = done + rest.len();
                break LinesEnd::End;
            };
            copy_line(rest, p, scratch, w);
            w += p;
            let nl = if rest[p] == b'\r' {
                match rest.get(p + 1) {
                    None => break LinesEnd::Cr,
                    Some(b'\n') => p + 1,
                    Some(_) => {
                        // A lone CR: stripped, the line goes on.
                        off += p + 1;
                        continue;
                    }
                }
            } else {
                p
            };
            if done + p > 0 {
                line = done + p;
            }
            match rest.get(nl + 1) {
                Some(b'-') => {
                    break LinesEnd::Dash {
                        s: off + p,
                        p: off + nl,
                    }
                }
                None => break LinesEnd::Nl { s: off + p },
                _ => {}
            }
            off += nl + 1;
        };
        let s = scratch.get(..w)?;
        let full = w / 4 * 4;
        let tail = &s[full..];
        if (full > 0 && s[full - 1] == b'=') || tail.iter().any(|&c| B64_TABLE[c as usize] >= 64) {
            return None;
        }
        let start = out.len();
        if base64_simd::STANDARD
            .decode_append(&s[..full], out)
            .is_err()
        {
            out.truncate(start);
            return None;
        }
        self.valid += w as u64;
        self.carry[..tail.len()].copy_from_slice(tail);
        self.n = tail.len();
        self.line = line;
        self.col = new_col;
        Some(end)
    }

    /// Byte-at-a-time tolerant decode: skips garbage (counted), treats '=' as the end of a quad.
    fn slow(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &c in input {
            let v = B64_TABLE[c as usize];
            if self.ended {
                if v != 64 && !c.is_ascii_whitespace() {
                    self.after_end += 1;
                }
                continue;
            }
            if v < 64 {
                if self.pads > 0 {
                    // "xx=" then more data: the padding ended the quad early.
                    self.flush_partial(out);
                }
                self.valid += 1;
                if let Some(slot) = self.carry.get_mut(self.n) {
                    *slot = c;
                }
                self.n += 1;
                if self.n == 4 {
                    let q = self.quad();
                    out.extend_from_slice(&q[..3]);
                    self.n = 0;
                }
            } else if v == 64 {
                self.pads += 1;
                if self.n >= 2 && self.n + self.pads >= 4 {
                    self.flush_partial(out);
                    self.ended = true;
                } else if self.n < 2 {
                    // Stray padding: ignored.
                    self.pads = 0;
                }
            } else if !matches!(c, b' ' | b'\r' | b'\n' | b'\t' | b'\x0b' | b'\x0c') {
                self.garbage += 1;
            }
        }
    }

    fn quad(&self) -> [u8; 4] {
        let g = |i: usize| B64_TABLE[self.carry[i] as usize] as u32 & 63;
        let v = (g(0) << 18) | (g(1) << 12) | (g(2) << 6) | g(3);
        [(v >> 16) as u8, (v >> 8) as u8, v as u8, 0]
    }

    /// Ends an incomplete quad (padding or end of part). Returns false if one lone character
    /// was left (undecodable).
    pub fn flush_partial(&mut self, out: &mut Vec<u8>) -> bool {
        self.pads = 0;
        let n = self.n;
        for i in n..4 {
            self.carry[i] = b'A';
        }
        let q = self.quad();
        self.n = 0;
        match n {
            0 => true,
            1 => false,
            2 => {
                out.push(q[0]);
                true
            }
            _ => {
                out.extend_from_slice(&q[..2]);
                true
            }
        }
    }

    /// Drops any partial quad (after a gap).
    pub fn reset(&mut self) {
        self.n = 0;
        self.pads = 0;
    }
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
enum QpS {
    #[default]
    Normal,
    Eq,
    Hex(u8),
    EqCr,
    EqWs,
}

/// Quoted-printable state carried between pushes.
#[derive(Default, Debug, Clone)]
pub struct Qp {
    s: QpS,
    /// `=XY` escapes that were not valid (kept literally).
    pub bad: u64,
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl Qp {
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() {
            match self.s {
                QpS::Normal => match memchr(b'=', &input[i..]) {
                    None => {
                        out.extend_from_slice(&input[i..]);
                        i = input.len();
                    }
                    Some(p) => {
                        out.extend_from_slice(&input[i..i + p]);
                        i += p + 1;
                        self.s = QpS::Eq;
                    }
                },
                QpS::Eq => {
                    let c = input[i];
                    i += 1;
                    self.s = if hexval(c).is_some() {
                        QpS::Hex(c)
                    } else if c == b'\r' {
                        QpS::EqCr
                    } else if c == b'\n' {
                        QpS::Normal
                    } else if c == b' ' || c == b'\t' {
                        QpS::EqWs
                    } else {
                        self.bad += 1;
                        out.push(b'=');
                        i -= 1;
                        QpS::Normal
                    };
                }
                QpS::Hex(h) => {
                    let c = input[i];
                    match (hexval(h), hexval(c)) {
                        (Some(a), Some(b)) => {
                            out.push((a << 4) | b);
                            i += 1;
                        }
                        _ => {
                            self.bad += 1;
                            out.push(b'=');
                            out.push(h);
                        }
                    }
                    self.s = QpS::Normal;
                }
                QpS::EqCr => {
                    if input[i] == b'\n' {
                        i += 1;
                    }
                    self.s = QpS::Normal;
                }
                QpS::EqWs => {
                    let c = input[i];
                    if c == b' ' || c == b'\t' {
                        i += 1;
                    } else if c == b'\r' {
                        i += 1;
                        self.s = QpS::EqCr;
                    } else if c == b'\n' {
                        i += 1;
                        self.s = QpS::Normal;
                    } else {
                        self.bad += 1;
                        out.push(b'=');
                        self.s = QpS::Normal;
                    }
                }
            }
        }
    }

    /// End of the part: a dangling `=` or `=X` is kept literally.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.s {
            QpS::Eq => out.push(b'='),
            QpS::Hex(h) => {
                out.push(b'=');
                out.push(h);
            }
            _ => {}
        }
        self.s = QpS::Normal;
    }
}

/// Decodes one uuencoded line (without its line ending) into `out`. Returns false if the line
/// is not a valid uuencode data line.
pub fn uu_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&first, rest)) = line.split_first() else {
        return false;
    };
    if !(32..=96).contains(&first) {
        return false;
    }
    let n = ((first - 32) & 63) as usize;
    let mut produced = 0usize;
    for grp in rest.chunks(4) {
        if produced >= n {
            break;
        }
        let mut v = [0u8; 4];
        for (k, &c) in grp.iter().enumerate() {
            if !(32..=96).contains(&c) {
                return false;
            }
            if let Some(slot) = v.get_mut(k) {
                *slot = (c - 32) & 63;
            }
        }
        let bytes = [
            (v[0] << 2) | (v[1] >> 4),
            (v[1] << 4) | (v[2] >> 2),
            (v[2] << 6) | v[3],
        ];
        let take = (n - produced).min(3);
        out.extend_from_slice(&bytes[..take]);
        produced += take;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64_all(chunks: &[&[u8]]) -> (Vec<u8>, B64) {
        let mut st = B64::default();
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        for c in chunks {
            st.push(c, &mut scratch, &mut out);
        }
        st.flush_partial(&mut out);
        (out, st)
    }

    #[test]
    fn base64_split_anywhere() {
        let enc = b"SGVsbG8g\r\nV29ybGQh\r\nISE=\r\n";
        let (whole, _) = b64_all(&[enc]);
        assert_eq!(whole, b"Hello World!!!");
        for cut in 0..enc.len() {
            let (o, st) = b64_all(&[&enc[..cut], &enc[cut..]]);
            assert_eq!(o, b"Hello World!!!", "cut {cut}");
            assert_eq!(st.garbage, 0);
        }
        let bytes: Vec<&[u8]> = enc.chunks(1).collect();
        assert_eq!(b64_all(&bytes).0, b"Hello World!!!");
    }

    #[test]
    fn base64_wrapped_lines_any_width_and_split() {
        // Line widths below, at and above the copy block, changing mid-part, LF-only lines
        // and a line whose guessed width holds a CRLF: all decode to the same bytes as one
        // whole push, wherever the pushes are cut.
        let raw: Vec<u8> = (0..3000u32).map(|i| (i * 37 % 256) as u8).collect();
        let text = base64_simd::STANDARD.encode_to_string(&raw);
        for widths in [
            &[76usize][..],
            &[4],
            &[31, 32, 33],
            &[64, 100, 8],
            &[128, 76, 72],
        ] {
            let mut enc = Vec::new();
            let mut rest = text.as_bytes();
            let mut k = 0;
            while !rest.is_empty() {
                let w = widths[k % widths.len()].min(rest.len());
                enc.extend_from_slice(&rest[..w]);
                enc.extend_from_slice(if k % 7 == 3 { b"\n" } else { b"\r\n" });
                rest = &rest[w..];
                k += 1;
            }
            let (whole, st) = b64_all(&[&enc]);
            assert_eq!(whole, raw, "widths {widths:?}");
            assert_eq!(st.garbage, 0);
            for step in [1usize, 3, 77, 1460] {
                let pieces: Vec<&[u8]> = enc.chunks(step).collect();
                assert_eq!(b64_all(&pieces).0, raw, "widths {widths:?} step {step}");
            }
        }
    }

    #[test]
    fn base64_garbage_and_mid_padding() {
        let (o, st) = b64_all(&[b"SGV*sbG8=\r\nIQ==\r\n!!"]);
        // "SGVs" "bG8=" -> "Hello"; padding completed the quad: the rest is ignored.
        assert_eq!(o, b"Hello");
        assert_eq!(st.garbage, 1);
        assert_eq!(st.after_end, 4);
        // Like Python: "NA=" "=" ends the data; a single '=' followed by data continues.
        let (o, _) = b64_all(&[b"NA=\r\n=Mg\r\n==\r\n"]);
        assert_eq!(o, b"4");
        let (o, _) = b64_all(&[b"NA=Mg==\r\n"]);
        assert_eq!(o, b"42");
        let (o, _) = b64_all(&[b"NA=", b"\r\n", b"=Mg", b"\r\n", b"=="]);
        assert_eq!(o, b"4");
        let (o, _) = b64_all(&[b"SGk"]);
        assert_eq!(o, b"Hi");
    }

    #[test]
    fn qp_soft_breaks_across_pushes() {
        let enc = b"caf=C3=A9 =\r\nlong line=\n end=3D=\r\n";
        let expect = "café long line end=".as_bytes();
        for cut in 0..enc.len() {
            let mut st = Qp::default();
            let mut out = Vec::new();
            st.push(&enc[..cut], &mut out);
            st.push(&enc[cut..], &mut out);
            st.finish(&mut out);
            assert_eq!(out, expect, "cut {cut}");
        }
        let mut st = Qp::default();
        let mut out = Vec::new();
        st.push(b"a=ZZb=4", &mut out);
        st.finish(&mut out);
        assert_eq!(out, b"a=ZZb=4");
        assert_eq!(st.bad, 1);
    }

    #[test]
    fn uu_decodes_cat() {
        let mut out = Vec::new();
        assert!(uu_line(b"#8V%T", &mut out));
        assert_eq!(out, b"cat");
        assert!(!uu_line(b"", &mut out));
    }
}
