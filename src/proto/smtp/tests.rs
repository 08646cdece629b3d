//! Unit tests of the SMTP parser, driven with a real `FileSink`.

use super::*;
use crate::files::{FileEvent, FileState};
use crate::proto::ProtoStats;

use crate::proto::testkit::sha;

/// One scripted exchange: (direction, bytes).
type Script<'a> = &'a [(Dir, &'a [u8])];

fn run(script: Script, step: usize) -> (Vec<FileEvent>, ProtoStats) {
    let mut p = SmtpParser::new(&ProtoConfig::default());
    crate::proto::testkit::run_script(&mut p, (7, "10.0.0.1:40000", "192.0.2.1:25"), script, step)
}

use Dir::{ToClient as S, ToServer as C};

const MSG: &[u8] = b"From: a@x\r\nTo: b@y\r\nSubject: test\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n..dot\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n--b--\r\n.\r\n";

fn basic_script() -> Vec<(Dir, &'static [u8])> {
    vec![
        (S, b"220 mx ESMTP\r\n"),
        (C, b"EHLO me\r\n"),
        (S, b"250-mx\r\n250 PIPELINING\r\n"),
        (
            C,
            b"MAIL FROM:<a@x> SIZE=10\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
        ),
        (S, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
        (C, MSG),
        (S, b"250 queued\r\n"),
        (C, b"QUIT\r\n"),
        (S, b"221 bye\r\n"),
    ]
}

fn check_basic(ev: &[FileEvent]) {
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert_eq!(ev[0].sha256, sha(b"hi\r\n.dot"));
    assert_eq!(ev[1].sha256, sha(b"MZ\x90\x00"));
    assert_eq!(ev[1].meta.filename, "x.exe");
    for e in ev {
        assert_eq!(e.state, FileState::Closed);
        assert_eq!(e.src, "10.0.0.1:40000".parse().unwrap());
        let em = e.meta.email.as_ref().unwrap();
        assert_eq!(em.mail_from.as_deref(), Some("a@x"));
        assert_eq!(em.rcpt_to, vec!["b@y".to_string(), "c@y".to_string()]);
        assert_eq!(em.subject, "test");
        assert_eq!(em.from, "a@x");
        assert_eq!(em.to, vec!["b@y".to_string()]);
    }
}

#[test]
fn data_pipelined_every_step() {
    for step in [1, 2, 3, 10, 1000] {
        let (ev, st) = run(&basic_script(), step);
        check_basic(&ev);
        assert_eq!(st.smtp.data_accepted, 1);
        assert_eq!(st.smtp.replies_unmatched, 0);
    }
}

#[test]
fn client_data_before_354_waits() {
    // The message arrives before the server's 354 is processed.
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"220 mx\r\n"),
        (
            C,
            b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
        ),
        (C, MSG),
        (S, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n"),
    ];
    let (ev, _) = run(&script, 5);
    check_basic(&ev);
}

#[test]
fn rejected_data_has_no_message() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"220 mx\r\n"),
        (C, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
        (S, b"250 ok\r\n250 ok\r\n554 no valid recipients\r\n"),
        (C, b"RSET\r\nQUIT\r\n"),
        (S, b"250 ok\r\n221 bye\r\n"),
    ];
    let (ev, st) = run(&script, 3);
    assert!(ev.is_empty(), "{ev:#?}");
    assert_eq!(st.smtp.data_rejected, 1);
    assert_eq!(st.smtp.messages, 0);
}

#[test]
fn one_sided_capture_assumes_accepted() {
    let script: Vec<(Dir, &[u8])> = vec![
        (
            C,
            b"EHLO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
        ),
        (C, MSG),
    ];
    let (ev, st) = run(&script, 7);
    check_basic(&ev);
    assert_eq!(st.smtp.data_assumed_accepted, 1);
}

#[test]
fn bdat_chunks_and_several_messages() {
    let m1 = b"Subject: one\r\n\r\nfirst body";
    let m2a = b"Subject: two\r\n\r\nsec";
    let m2b = b"ond body";
    let mut c1 = format!(
        "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT {} LAST\r\n",
        m1.len()
    )
    .into_bytes();
    c1.extend_from_slice(m1);
    let mut c2 = format!("MAIL FROM:<q@x>\r\nRCPT TO:<r@y>\r\nBDAT {}\r\n", m2a.len()).into_bytes();
    c2.extend_from_slice(m2a);
    c2.extend_from_slice(format!("BDAT {} LAST\r\n", m2b.len()).as_bytes());
    c2.extend_from_slice(m2b);
    c2.extend_from_slice(b"MAIL FROM:<z@x>\r\nRCPT TO:<r@y>\r\nBDAT 0 LAST\r\nQUIT\r\n");
    let script: Vec<(Dir, &[u8])> = vec![(S, b"220 mx\r\n"), (C, &c1), (C, &c2)];
    for step in [1, 4, 4096] {
        let (ev, st) = run(&script, step);
        assert_eq!(ev.len(), 2, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"first body"));
        assert_eq!(ev[1].sha256, sha(b"second body"));
        assert_eq!(
            ev[1].meta.email.as_ref().unwrap().mail_from.as_deref(),
            Some("q@x")
        );
        assert!(ev.iter().all(|e| e.state == FileState::Closed));
        assert_eq!(st.smtp.messages, 3);
    }
}

#[test]
fn starttls_stops_parsing() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"220 mx\r\n"),
        (C, b"EHLO x\r\nSTARTTLS\r\n"),
        (S, b"250 ok\r\n220 go ahead\r\n"),
        (
            C,
            b"\x16\x03\x01\x00\x05hello MAIL FROM:<a@b>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
        ),
    ];
    let (ev, st) = run(&script, 3);
    assert!(ev.is_empty());
    assert_eq!(st.smtp.starttls, 1);
}

#[test]
fn connection_cut_mid_data_is_truncated() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"220 mx\r\n"),
        (C, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
        (S, b"250 ok\r\n250 ok\r\n354 go\r\n"),
        (C, b"Subject: cut\r\n\r\npartial body"),
    ];
    let (ev, _) = run(&script, 2);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[0].sha256, sha(b"partial body"));
}

#[test]
fn rset_and_long_lines_bounded() {
    let mut long = b"NOOP ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 200_000));
    long.extend_from_slice(b"\r\n");
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"220 mx\r\n"),
        (C, &long),
        (
            C,
            b"MAIL FROM:<a@x>\r\nRSET\r\nMAIL FROM:<b@x>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
        ),
        (
            S,
            b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
        ),
        (C, b"Subject: s\r\n\r\nbody\r\n.\r\n"),
    ];
    let (ev, st) = run(&script, 1000);
    assert_eq!(st.smtp.line_overflow, 1);
    assert_eq!(st.smtp.rset, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].meta.email.as_ref().unwrap().mail_from.as_deref(),
        Some("b@x")
    );
    assert_eq!(ev[0].sha256, sha(b"body\r\n"));
}

#[test]
fn gap_in_data_truncates_and_resyncs() {
    let mut p = SmtpParser::new(&ProtoConfig::default());
    let (ev, _) = crate::proto::testkit::with_ctx((7, "10.0.0.1:40000", "192.0.2.1:25"), |cx| {
        p.data(
            cx,
            C,
            b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: g\r\n\r\nabc",
        );
        p.gap(cx, C, 100);
        p.data(
            cx,
            C,
            b"def\r\n.\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: h\r\n\r\nok\r\n.\r\n",
        );
        p.finish(cx, StreamEnd::Fin);
    });
    assert_eq!(ev.len(), 2);
    assert!(ev[0].gaps);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[1].state, FileState::Closed);
    assert_eq!(ev[1].sha256, sha(b"ok\r\n"));
}

#[test]
fn gap_in_commands_keeps_reply_matching() {
    let mut p = SmtpParser::new(&ProtoConfig::default());
    let (ev, _) = crate::proto::testkit::with_ctx((7, "10.0.0.1:40000", "192.0.2.1:25"), |cx| {
        p.data(cx, S, b"220 mx\r\n");
        p.data(cx, C, b"MAIL FROM:<a@x>\r\nRC");
        p.gap(cx, C, 20);
        p.data(cx, C, b"y>\r\nRCPT TO:<c@y>\r\nDATA\r\n");
        p.data(cx, S, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        p.data(cx, C, b"Subject: g\r\n\r\nhello\r\n.\r\n");
        p.finish(cx, StreamEnd::Fin);
    });
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].sha256, sha(b"hello\r\n"));
    assert_eq!(ev[0].state, FileState::Closed);
}
