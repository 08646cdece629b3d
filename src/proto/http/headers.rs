//! Helpers for HTTP header values: parameters of Content-Type / Content-Disposition (quoted
//! strings, RFC 5987/2231 `name*=charset''pct` and `name*0*=` continuations), the file name of
//! a URL path, Content-Range. Everything here only produces data for JSON, never a path.

/// Percent-decodes `s` (invalid escapes are kept as they are).
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let h = s.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let l = s.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// The parameters after the first `;` of a header value, names lowercased, values unquoted.
/// RFC 2231 extended values (`name*`) are decoded and reported under `name*`; continuations
/// (`name*0`, `name*1*`, ...) are joined into `name*`.
pub fn params(v: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut conts: Vec<(String, u32, bool, Vec<u8>)> = Vec::new();
    let mut i = match memchr::memchr(b';', v) {
        Some(p) => p + 1,
        None => return out,
    };
    while i < v.len() && out.len() < 64 {
        while v
            .get(i)
            .is_some_and(|b| *b == b' ' || *b == b'\t' || *b == b';')
        {
            i += 1;
        }
        let ns = i;
        while v.get(i).is_some_and(|b| *b != b'=' && *b != b';') {
            i += 1;
        }
        let name = String::from_utf8_lossy(v.get(ns..i).unwrap_or_default())
            .trim()
            .to_ascii_lowercase();
        let mut val = Vec::new();
        if v.get(i) == Some(&b'=') {
            i += 1;
            while v.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                i += 1;
            }
            if v.get(i) == Some(&b'"') {
                i += 1;
                while let Some(&b) = v.get(i) {
                    i += 1;
                    match b {
                        b'"' => break,
                        b'\\' => {
                            if let Some(&n) = v.get(i) {
                                val.push(n);
                                i += 1;
                            }
                        }
                        _ => val.push(b),
                    }
                }
                while v.get(i).is_some_and(|b| *b != b';') {
                    i += 1;
                }
            } else {
                let vs = i;
                while v.get(i).is_some_and(|b| *b != b';') {
                    i += 1;
                }
                val.extend_from_slice(trim(v.get(vs..i).unwrap_or_default()));
            }
        }
        if name.is_empty() {
            continue;
        }
        // name*N or name*N*: a continuation.
        if let Some(star) = name.find('*') {
            let base = &name[..star];
            let rest = &name[star + 1..];
            let (num, ext) = match rest.strip_suffix('*') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            if !num.is_empty() {
                if let Ok(n) = num.parse::<u32>() {
                    if conts.len() < 64 {
                        conts.push((base.to_string(), n, ext, val));
                    }
                    continue;
                }
            }
            if num.is_empty() && ext {
                // name** is not a thing; fall through as plain.
            } else if num.is_empty() {
                out.push((format!("{base}*"), ext_value(&val, true)));
                continue;
            }
        }
        out.push((name, String::from_utf8_lossy(&val).into_owned()));
    }
    conts.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
    let mut k = 0;
    while k < conts.len() {
        let base = conts[k].0.clone();
        let mut joined = Vec::new();
        let mut charset_first = true;
        while k < conts.len() && conts[k].0 == base {
            let (_, _, ext, ref val) = conts[k];
            if ext {
                let decoded = if charset_first {
                    strip_charset(val)
                } else {
                    val.as_slice()
                };
                joined.extend_from_slice(&percent_decode(decoded));
            } else {
                joined.extend_from_slice(val);
            }
            charset_first = false;
            k += 1;
        }
        out.push((
            format!("{base}*"),
            String::from_utf8_lossy(&joined).into_owned(),
        ));
    }
    out
}

fn strip_charset(v: &[u8]) -> &[u8] {
    // charset'language'value
    let mut it = memchr::memchr_iter(b'\'', v);
    match (it.next(), it.next()) {
        (Some(_), Some(b)) => v.get(b + 1..).unwrap_or_default(),
        _ => v,
    }
}

/// Decodes an RFC 5987 `charset'lang'pct-value`.
fn ext_value(v: &[u8], _ext: bool) -> String {
    let latin1 = v.len() >= 10 && v[..10].eq_ignore_ascii_case(b"iso-8859-1");
    let bytes = percent_decode(strip_charset(v));
    if latin1 {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn trim(v: &[u8]) -> &[u8] {
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

/// A parameter of a header value (`filename*` preferred over `filename` by the caller).
pub fn param(v: &[u8], name: &str) -> Option<String> {
    params(v)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// File name from a Content-Disposition value: `filename*` (decoded) first, then `filename`.
pub fn disposition_filename(v: &[u8]) -> Option<String> {
    let ps = params(v);
    let star = ps
        .iter()
        .find(|(n, _)| n == "filename*")
        .map(|(_, v)| v.clone());
    star.or_else(|| {
        ps.into_iter()
            .find(|(n, _)| n == "filename")
            .map(|(_, v)| v)
    })
    .filter(|s| !s.is_empty())
}

/// Last segment of a URL's path, percent-decoded, without query or fragment.
pub fn url_filename(url: &str) -> String {
    let b = url.as_bytes();
    let end = memchr::memchr2(b'?', b'#', b).unwrap_or(b.len());
    let mut path = &b[..end];
    if let Some(p) = memchr::memmem::find(path, b"://") {
        let after = &path[p + 3..];
        path = match memchr::memchr(b'/', after) {
            Some(s) => &after[s..],
            None => b"",
        };
    }
    let seg = match memchr::memrchr(b'/', path) {
        Some(p) => &path[p + 1..],
        None => path,
    };
    String::from_utf8_lossy(&percent_decode(seg)).into_owned()
}

/// `bytes first-last/complete` from a Content-Range value.
pub fn content_range(v: &[u8]) -> Option<(u64, u64, Option<u64>)> {
    let s = std::str::from_utf8(v).ok()?.trim();
    let s = s
        .strip_prefix("bytes")
        .or_else(|| s.strip_prefix("BYTES"))?
        .trim_start();
    let (range, total) = s.split_once('/')?;
    let (a, b) = range.trim().split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let b: u64 = b.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (a <= b).then_some((a, b, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_forms() {
        assert_eq!(
            disposition_filename(b"attachment; filename=\"a b.exe\"").as_deref(),
            Some("a b.exe")
        );
        assert_eq!(
            disposition_filename(b"attachment; filename=plain.pdf").as_deref(),
            Some("plain.pdf")
        );
        assert_eq!(
            disposition_filename(
                b"attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.exe"
            )
            .as_deref(),
            Some("\u{20ac} rates.exe")
        );
        assert_eq!(
            disposition_filename(b"attachment; filename*=iso-8859-1'en'%E9t%E9.doc").as_deref(),
            Some("\u{e9}t\u{e9}.doc")
        );
        assert_eq!(
            disposition_filename(b"attachment; filename*0*=UTF-8''a%20; filename*1=\"b.zip\"")
                .as_deref(),
            Some("a b.zip")
        );
        assert_eq!(
            disposition_filename(b"attachment; filename=\"q\\\"uote\\\\.bin\"").as_deref(),
            Some("q\"uote\\.bin")
        );
        assert_eq!(disposition_filename(b"inline"), None);
        assert_eq!(
            disposition_filename(b"attachment; filename=\"../../etc/passwd\"").as_deref(),
            Some("../../etc/passwd")
        );
    }

    #[test]
    fn url_names() {
        assert_eq!(url_filename("/dl/setup%20x.exe?id=3#f"), "setup x.exe");
        assert_eq!(url_filename("/dir/"), "");
        assert_eq!(url_filename("http://host.example/a/b.js"), "b.js");
        assert_eq!(url_filename("http://host.example"), "");
        assert_eq!(url_filename("file.bin"), "file.bin");
        assert_eq!(url_filename("/%zz%4"), "%zz%4");
    }

    #[test]
    fn ranges_and_boundary() {
        assert_eq!(content_range(b"bytes 0-99/100"), Some((0, 99, Some(100))));
        assert_eq!(content_range(b"bytes 10-19/*"), Some((10, 19, None)));
        assert_eq!(content_range(b"bytes 9-1/100"), None);
        assert_eq!(content_range(b"bytes 0-99999999999999999999999/1"), None);
        assert_eq!(
            param(b"multipart/form-data; boundary=\"--x y\"", "boundary").as_deref(),
            Some("--x y")
        );
        assert_eq!(
            param(b"multipart/form-data;boundary=abc", "boundary").as_deref(),
            Some("abc")
        );
    }
}
