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
