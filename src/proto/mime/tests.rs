//! Unit tests of the MIME decoder, driven with a real `FileSink`.

use super::*;
use crate::files::{AppProto, FileEvent, FileSinkConfig, FileState};
use sha2::{Digest, Sha256};

pub(crate) fn fc() -> FileCtx {
    FileCtx {
        flow_id: 1,
        src: "10.0.0.1:1000".parse().unwrap(),
        dst: "10.0.0.2:25".parse().unwrap(),
        ts: 0,
    }
}

pub(crate) fn sha(d: &[u8]) -> [u8; 32] {
    Sha256::digest(d).into()
}

/// Runs `msg` through a message decoder in chunks of `step` bytes.
fn run(msg: &[u8], step: usize, end: FileEnd) -> (Vec<FileEvent>, MimeStats, Option<EmailInfo>) {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &MimeLimits::default());
    for c in msg.chunks(step.max(1)) {
        d.push(&mut sink, &mut st, &fc(), c);
    }
    d.finish(&mut sink, &mut st, &fc(), end);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    (ev, st, d.email_info().cloned())
}

const MULTI: &[u8] = b"From: Alice <a@x.org>\r\nTo: b@y.org, \"C, D\" <c@y.org>\r\nSubject: =?utf-8?B?aMOpbGxv?=\r\nMessage-ID: <m1@x>\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--XX\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Disposition: attachment; filename=\"evil.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAE\r\nAAAA//8AALgA\r\n--XX\r\nContent-Type: text/plain; name=q.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D ok\r\n--XX--\r\nepilogue\r\n";

fn check_multi(ev: &[FileEvent], email: &Option<EmailInfo>) {
    assert_eq!(ev.len(), 3, "{ev:#?}");
    assert_eq!(ev[0].sha256, sha(b"hello\r\nworld"));
    assert_eq!(ev[0].filename(), "");
    assert_eq!(
        ev[1].sha256,
        sha(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00")
    );
    assert_eq!(ev[1].filename(), "evil.exe");
    assert_eq!(ev[1].size, 18);
    assert_eq!(ev[2].sha256, sha(b"softbreak = ok"));
    assert_eq!(ev[2].filename(), "q.txt");
    for e in ev {
        assert_eq!(e.state, FileState::Closed);
        let em = e.meta.email.as_ref().unwrap();
        assert_eq!(em.subject, "héllo");
        assert_eq!(
            em.to,
            vec!["b@y.org".to_string(), "\"C, D\" <c@y.org>".to_string()]
        );
    }
    let em = email.as_ref().unwrap();
    assert_eq!(em.from, "Alice <a@x.org>");
    assert_eq!(em.message_id, "<m1@x>");
}

trait Name {
    fn filename(&self) -> &str;
}
impl Name for FileEvent {
    fn filename(&self) -> &str {
        &self.meta.filename
    }
}

#[test]
fn multipart_whole_and_every_split() {
    let (ev, st, email) = run(MULTI, MULTI.len(), FileEnd::Complete);
    check_multi(&ev, &email);
    assert_eq!(st.parts, 4);
    for step in [1, 2, 3, 5, 7, 13, 64] {
        let (ev, _, email) = run(MULTI, step, FileEnd::Complete);
        check_multi(&ev, &email);
    }
    // Every two-piece split.
    for cut in 0..MULTI.len() {
        let mut sink = FileSink::new(FileSinkConfig::default());
        let mut st = MimeStats::default();
        let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &MimeLimits::default());
        d.push(&mut sink, &mut st, &fc(), &MULTI[..cut]);
        d.push(&mut sink, &mut st, &fc(), &MULTI[cut..]);
        d.finish(&mut sink, &mut st, &fc(), FileEnd::Complete);
        let mut ev = Vec::new();
        sink.take_events(&mut ev);
        check_multi(&ev, &d.email_info().cloned());
    }
}

#[test]
fn single_part_body_is_a_file() {
    let m = b"Subject: hi\r\n\r\nline1\r\n--not a boundary\r\n";
    let (ev, _, _) = run(m, 1, FileEnd::Complete);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].sha256, sha(b"line1\r\n--not a boundary\r\n"));
    assert_eq!(ev[0].state, FileState::Closed);
}

#[test]
fn nested_multipart_and_rfc822() {
    let m = b"Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\nContent-Type: multipart/alternative; boundary=\"out-in\"\r\n\r\n--out-in\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--out-in--\r\n--out\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary=deep\r\n\r\n--deep\r\nContent-Disposition: attachment; filename*0=\"long\"; filename*1=\"name.zip\"\r\n\r\nPK\x03\x04zz\r\n--deep--\r\n--out--\r\n";
    for step in [1, 4, m.len()] {
        let (ev, st, email) = run(m, step, FileEnd::Complete);
        assert_eq!(ev.len(), 2, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"<b>x</b>"));
        assert_eq!(ev[1].sha256, sha(b"PK\x03\x04zz"));
        assert_eq!(ev[1].filename(), "longname.zip");
        assert!(ev.iter().all(|e| e.state == FileState::Closed));
        assert_eq!(st.rfc822_parts, 1);
        // email info stays the top-level message's
        assert_eq!(email.unwrap().subject, "");
    }
}

#[test]
fn unclosed_boundary_is_truncated() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 never ends";
    let (ev, st, _) = run(m, 3, FileEnd::Complete);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[0].sha256, sha(b"%PDF-1.4 never ends"));
    assert_eq!(st.boundary_never_closed, 1);
}

#[test]
fn gap_marks_part_truncated() {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Pop3), &MimeLimits::default());
    d.push(
        &mut sink,
        &mut st,
        &fc(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nabc",
    );
    d.gap(&mut sink, &fc());
    d.push(
        &mut sink,
        &mut st,
        &fc(),
        b"def\r\n--b\r\n\r\nsecond\r\n--b--\r\n",
    );
    d.finish(&mut sink, &mut st, &fc(), FileEnd::Complete);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    assert_eq!(ev.len(), 2);
    assert!(ev[0].gaps);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[1].state, FileState::Closed);
    assert_eq!(ev[1].sha256, sha(b"second"));
}

#[test]
fn uuencode_in_text_body() {
    let m = b"Subject: uu\r\n\r\nsee attached\r\nbegin 644 cat.txt\r\n#8V%T\r\n`\r\nend\r\nbye\r\n";
    for step in [1, m.len()] {
        let (ev, st, _) = run(m, step, FileEnd::Complete);
        assert_eq!(st.uuencode_files, 1);
        assert_eq!(ev.len(), 2);
        let uu = ev.iter().find(|e| e.filename() == "cat.txt").unwrap();
        assert_eq!(uu.sha256, sha(b"cat"));
        assert_eq!(uu.state, FileState::Closed);
    }
}

#[test]
fn depth_cap_and_parts_cap() {
    let limits = MimeLimits {
        max_depth: 2,
        max_parts: 3,
        ..MimeLimits::default()
    };
    let mut m = Vec::new();
    for i in 0..5 {
        m.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\ndata\r\n");
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &limits);
    d.push(&mut sink, &mut st, &fc(), &m);
    d.finish(&mut sink, &mut st, &fc(), FileEnd::Complete);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    assert_eq!(st.depth_exceeded, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
}

#[test]
fn header_overflow_is_bounded() {
    let limits = MimeLimits {
        max_header_bytes: 100,
        ..MimeLimits::default()
    };
    let mut m = b"X: ".to_vec();
    m.extend(std::iter::repeat_n(b'a', 10_000));
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &limits);
    for c in m.chunks(7) {
        d.push(&mut sink, &mut st, &fc(), c);
        assert!(d.hdr.len() <= 100);
    }
    d.finish(
        &mut sink,
        &mut st,
        &fc(),
        FileEnd::Truncated(TruncReason::ConnectionClosed),
    );
    assert_eq!(st.header_overflow, 1);
}

#[test]
fn base64_garbage_part_counted_and_truncated() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! ~~~ ab *** ???? ### $$$ %%% ^^^ &&&\r\n--b--\r\n";
    let (ev, st, _) = run(m, 5, FileEnd::Complete);
    assert!(st.base64_garbage_bytes > 16);
    assert_eq!(st.base64_not_base64, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
}

#[test]
fn http_multipart_entry() {
    let body = b"--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"up.txt\"\r\n\r\nDATA\r\n--zz--\r\n";
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d =
        MimeDecoder::multipart(b"zz", FileMeta::new(AppProto::Http), &MimeLimits::default());
    for c in body.chunks(1) {
        d.push(&mut sink, &mut st, &fc(), c);
    }
    d.finish(&mut sink, &mut st, &fc(), FileEnd::Complete);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].filename(), "up.txt");
    assert_eq!(ev[0].sha256, sha(b"DATA"));
    assert_eq!(ev[0].state, FileState::Closed);
    assert!(ev[0].meta.email.is_none());
}

#[test]
fn bench_helper_decodes() {
    let raw: Vec<u8> = (0..=255u8).cycle().take(57 * 100).collect();
    let enc = base64_simd::STANDARD.encode_to_string(&raw);
    let mut wrapped = Vec::new();
    for l in enc.as_bytes().chunks(76) {
        wrapped.extend_from_slice(l);
        wrapped.extend_from_slice(b"\r\n");
    }
    let mut out = Vec::new();
    bench_decode_base64(&wrapped, &mut out);
    assert_eq!(out, raw);
}

#[test]
fn headerless_message_is_all_body() {
    for step in [1, 3, 100] {
        let (ev, _, _) = run(b"Message 1\r\nsecond: line\r\n", step, FileEnd::Complete);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].sha256, sha(b"Message 1\r\nsecond: line\r\n"));
        // Headers, then a line that is not a header and no blank line.
        let (ev, _, email) = run(
            b"Subject: s\r\nbody starts here\r\n",
            step,
            FileEnd::Complete,
        );
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].sha256, sha(b"body starts here\r\n"));
        assert_eq!(email.unwrap().subject, "s");
    }
}

#[test]
fn rfc822_labelled_base64_is_still_opened() {
    let m = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"innocent.txt\"\r\n\r\nSubject: inner\r\nContent-Disposition: attachment; filename=\"malware.exe\"\r\n\r\nMZ payload\r\n";
    let (ev, st, _) = run(m, 4, FileEnd::Complete);
    assert_eq!(st.rfc822_parts, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].filename(), "malware.exe");
    assert_eq!(ev[0].sha256, sha(b"MZ payload\r\n"));
}

#[test]
fn boundary_prefix_of_another_and_transport_padding() {
    // "--ab" must not end a part of boundary "ab" when the line is "--abc".
    let m = b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab  \r\n\r\nx\r\n--abc\r\ny\r\n--ab--\r\n";
    for step in [1, 2, m.len()] {
        let (ev, _, _) = run(m, step, FileEnd::Complete);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].sha256, sha(b"x\r\n--abc\r\ny"));
        assert_eq!(ev[0].state, FileState::Closed);
    }
}

/// Mutated mail conversations, split at random points, through every mail parser: no panic,
/// and every file that opened is reported.
#[test]
fn hostile_inputs_never_panic() {
    use crate::proto::{new_parser, Dir, ProtoConfig, ProtoStats, StreamCtx, StreamEnd};
    let seeds: [&[u8]; 4] = [
        MULTI,
        b"220 x\r\nEHLO a\r\nMAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n354 go\r\nSubject: s\r\n\r\nbody\r\n..x\r\n.\r\nBDAT 5 LAST\r\nabcde",
        b"+OK\r\nRETR 1\r\n+OK\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b--\r\n.\r\n",
        b"* OK\r\na FETCH 1 BODY[]\r\n* 1 FETCH (BODYSTRUCTURE ((\"a\" \"b\" NIL NIL NIL \"base64\" 1)) BODY[1] {8}\r\nQUJDRA==)\r\na OK\r\n",
    ];
    let mut rng: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let cfg = ProtoConfig::default();
    for iter in 0..1500 {
        let seed = seeds[iter % seeds.len()];
        let mut m = seed.to_vec();
        for _ in 0..(next() % 8) {
            let pos = (next() as usize) % (m.len() + 1);
            match next() % 4 {
                0 => m.insert(pos, b"-={}\r\n.\"( ~0123456789"[(next() % 20) as usize]),
                1 if pos < m.len() => {
                    m.remove(pos);
                }
                2 => {
                    let s: &[u8] = [
                        &b"\r\n--b\r\n"[..],
                        b"{18446744073709551615}\r\n",
                        b"=\r\n",
                        b"begin 644 x\r\n",
                        b"\r\n.\r\n",
                    ][(next() % 5) as usize];
                    for (k, c) in s.iter().enumerate() {
                        m.insert((pos + k).min(m.len()), *c);
                    }
                }
                _ => {
                    if pos < m.len() {
                        m[pos] = next() as u8;
                    }
                }
            }
        }
        for proto in [AppProto::Smtp, AppProto::Pop3, AppProto::Imap] {
            let mut sink = FileSink::new(FileSinkConfig::default());
            let mut stats = ProtoStats::default();
            let mut p = new_parser(proto, &cfg);
            let mut cx = StreamCtx {
                flow_id: 1,
                client: "10.0.0.1:1".parse().unwrap(),
                server: "10.0.0.2:2".parse().unwrap(),
                ts: 0,
                files: &mut sink,
                stats: &mut stats,
            };
            let mut rest = &m[..];
            while !rest.is_empty() {
                let n = ((next() % 40) as usize + 1).min(rest.len());
                let dir = if next() % 3 == 0 {
                    Dir::ToServer
                } else {
                    Dir::ToClient
                };
                if next() % 50 == 0 {
                    p.gap(&mut cx, dir, next() % 100);
                }
                p.data(&mut cx, dir, &rest[..n]);
                rest = &rest[n..];
            }
            p.finish(&mut cx, StreamEnd::Timeout);
            let mut ev = Vec::new();
            sink.take_events(&mut ev);
            assert_eq!(sink.stats.opened, ev.len() as u64);
        }
        // The MIME decoder alone.
        let (_ev, _, _) = run(&m, (next() % 9) as usize + 1, FileEnd::Complete);
    }
}

/// Runs `msg` in pieces cut at `cuts` (cycled), with or without the base64 line fast path.
fn run_cuts(msg: &[u8], cuts: &[usize], fast: bool) -> (Vec<String>, String) {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut st = MimeStats::default();
    let mut d = MimeDecoder::message(FileMeta::new(AppProto::Smtp), &MimeLimits::default());
    d.b64_lines = fast;
    let mut rest = msg;
    let mut k = 0;
    while !rest.is_empty() {
        let n = cuts[k % cuts.len()].clamp(1, rest.len());
        d.push(&mut sink, &mut st, &fc(), &rest[..n]);
        rest = &rest[n..];
        k += 1;
    }
    d.finish(&mut sink, &mut st, &fc(), FileEnd::Complete);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    let files = ev
        .iter()
        .map(|e| {
            format!(
                "{} {} {:?} {:02x?}",
                e.filename(),
                e.size,
                e.state,
                e.sha256
            )
        })
        .collect();
    (files, format!("{st:?}"))
}

#[test]
fn base64_line_fast_path_matches_general_path() {
    let raw: Vec<u8> = (0..5000u32).map(|i| (i * 131 % 251) as u8).collect();
    let b64 = base64_simd::STANDARD.encode_to_string(&raw);
    let wrap = |w: usize, nl: &str| {
        let mut v = String::new();
        for c in b64.as_bytes().chunks(w) {
            v.push_str(std::str::from_utf8(c).unwrap());
            v.push_str(nl);
        }
        v
    };
    let part = |body: &str| {
        format!("--XX\r\nContent-Type: application/octet-stream; name=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}")
    };
    let head = "Subject: t\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n";
    let bodies = [
        wrap(76, "\r\n"),
        wrap(64, "\n"),
        wrap(76, "\r\n").replacen("\r\n", "\r\n-not-a-boundary\r\n", 3),
        wrap(72, "\r\n").replacen("\r\n", "\r\r\n", 5),
        wrap(76, "\r\n").replacen("A", "*", 4),
        wrap(76, "\r\n").replacen("\r\n", "\r\n--XXfoo\r\n", 2),
        wrap(60, "\r\n") + "\r",
        "TWFu\r\nTWE=\r\nTWFu\r\n".to_string(),
    ];
    for (n, body) in bodies.iter().enumerate() {
        let mut msg = head.to_string();
        msg.push_str(&part(body));
        msg.push_str(&part(&wrap(76, "\r\n")));
        msg.push_str("--XX--\r\n");
        let msg = msg.as_bytes();
        let want = run_cuts(msg, &[msg.len()], false);
        assert!(!want.0.is_empty(), "body {n}: {want:?}");
        for cuts in [&[msg.len()][..], &[1], &[1460], &[77, 3, 1000], &[5, 2, 90]] {
            // Same files wherever the cuts fall, same files and counters with and without the
            // fast path for the same cuts.
            let general = run_cuts(msg, cuts, false);
            assert_eq!(general.0, want.0, "body {n} cuts {cuts:?}");
            assert_eq!(run_cuts(msg, cuts, true), general, "body {n} cuts {cuts:?}");
        }
    }
    // The fast path is taken on plain wrapped base64: the decoded file is the original.
    let mut msg = head.to_string();
    msg.push_str(&part(&wrap(76, "\r\n")));
    msg.push_str("--XX--\r\n");
    let (files, _) = run_cuts(msg.as_bytes(), &[1460], true);
    assert_eq!(files.len(), 1);
    assert!(
        files[0].contains(&format!("{:02x?}", sha(&raw))),
        "{files:?}"
    );
}

#[test]
fn email_to_lists_cc_after_to() {
    let msg = b"Cc: \"E, F\" <e@z.org>, g@z.org\r\nTo: b@y.org\r\nCC: h@z.org\r\nSubject: s\r\n\r\nbody\r\n";
    for step in [msg.len(), 1, 7] {
        let (ev, _, email) = run(msg, step, FileEnd::Complete);
        let want = ["b@y.org", "\"E, F\" <e@z.org>", "g@z.org", "h@z.org"];
        assert_eq!(email.unwrap().to, want, "step {step}");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].meta.email.as_ref().unwrap().to, want);
    }
}
