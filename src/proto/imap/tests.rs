//! Unit tests of the IMAP parser, driven with a real `FileSink`.

use super::*;
use crate::files::{FileEvent, FileSink, FileSinkConfig, FileState};
use crate::proto::ProtoStats;
use sha2::{Digest, Sha256};
use Dir::{ToClient as S, ToServer as C};

fn sha(d: &[u8]) -> [u8; 32] {
    Sha256::digest(d).into()
}

fn run(script: &[(Dir, Vec<u8>)], step: usize) -> (Vec<FileEvent>, ProtoStats) {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut stats = ProtoStats::default();
    let mut p = ImapParser::new(&ProtoConfig::default());
    {
        let mut cx = StreamCtx {
            flow_id: 9,
            client: "10.1.1.1:51000".parse().unwrap(),
            server: "203.0.113.9:143".parse().unwrap(),
            ts: 0,
            files: &mut sink,
            stats: &mut stats,
        };
        for (dir, bytes) in script {
            for c in bytes.chunks(step.max(1)) {
                p.data(&mut cx, *dir, c);
            }
        }
        p.finish(&mut cx, StreamEnd::Fin);
    }
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    (ev, stats)
}

const MSG: &[u8] = b"From: x@y\r\nSubject: imap\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\ntext\r\n--q\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--q--\r\n";

fn lit(prefix: &str, body: &[u8], suffix: &str) -> Vec<u8> {
    let mut v = format!("{prefix}{{{}}}\r\n", body.len()).into_bytes();
    v.extend_from_slice(body);
    v.extend_from_slice(suffix.as_bytes());
    v
}

#[test]
fn fetch_whole_message_and_parts() {
    let script = vec![
        (S, b"* OK IMAP4rev1 ready\r\n".to_vec()),
        (
            C,
            b"a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 UID FETCH 5 (BODY.PEEK[])\r\n".to_vec(),
        ),
        (S, b"a1 OK\r\n* 3 EXISTS\r\na2 OK\r\n".to_vec()),
        (
            S,
            lit(
                "* 1 FETCH (UID 5 FLAGS (\\Seen) BODY[] ",
                MSG,
                ")\r\na3 OK done\r\n",
            ),
        ),
        (C, b"a4 FETCH 1 (BODY[2.MIME] BODY[2])\r\n".to_vec()),
        (S, {
            let mut v = lit(
                "* 1 FETCH (BODY[2.MIME] ",
                b"Content-Transfer-Encoding: base64\r\n\r\n",
                " ",
            );
            v.extend(lit("BODY[2] ", b"JVBERi0=", ")\r\n"));
            v.extend(lit("* 2 FETCH (BODY[1] ", b"UEsDBA==", ")\r\n"));
            v.extend(lit(
                "* 2 FETCH (BINARY[1]<0> ~",
                b"\x00\x01bin",
                ")\r\na4 OK\r\n",
            ));
            v
        }),
    ];
    for step in [1, 3, 4096] {
        let (ev, st) = run(&script, step);
        assert_eq!(ev.len(), 5, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"text"));
        assert_eq!(ev[1].sha256, sha(b"%PDF-"));
        assert_eq!(ev[1].meta.filename, "r.pdf");
        assert_eq!(ev[1].meta.email.as_ref().unwrap().subject, "imap");
        assert_eq!(ev[1].src, "203.0.113.9:143".parse().unwrap());
        // BODY[2] decoded with the encoding learned from BODY[2.MIME].
        assert_eq!(ev[2].sha256, sha(b"%PDF-"));
        assert_eq!(ev[2].meta.note, None);
        // BODY[1] of message 2: nothing known, stored as fetched.
        assert_eq!(ev[3].sha256, sha(b"UEsDBA=="));
        assert_eq!(ev[3].meta.note, Some("imap part stored as fetched"));
        assert_eq!(ev[4].sha256, sha(b"\x00\x01bin"));
        assert_eq!(ev[4].state, FileState::Truncated);
        assert!(ev[..4].iter().all(|e| e.state == FileState::Closed));
        assert_eq!(st.imap.mime_headers_learned, 1);
    }
}

#[test]
fn append_is_outbound_message() {
    let script = vec![
        (S, b"* OK\r\n".to_vec()),
        (C, lit("A APPEND \"Sent\" (\\Seen) ", MSG, "\r\n")),
        (S, b"A OK APPEND completed\r\n".to_vec()),
    ];
    let (ev, st) = run(&script, 2);
    assert_eq!(ev.len(), 2);
    assert_eq!(st.imap.append_messages, 1);
    assert_eq!(ev[1].src, "10.1.1.1:51000".parse().unwrap());
    assert_eq!(ev[1].sha256, sha(b"%PDF-"));
}

#[test]
fn huge_literal_is_bounded_and_truncated() {
    let script = vec![
        (S, b"* OK\r\n".to_vec()),
        (
            S,
            b"* 1 FETCH (BODY[] {9223372036854775808}\r\nSubject: big\r\n\r\nsome data".to_vec(),
        ),
    ];
    let (ev, st) = run(&script, 5);
    assert_eq!(st.imap.literal_too_large, 1);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[0].sha256, sha(b"some data"));
    let script = vec![(
        S,
        b"* 1 FETCH (BODY[] {99999999999999999999999999}\r\nxx".to_vec(),
    )];
    let (_, st) = run(&script, 1);
    assert_eq!(st.imap.literal_too_large, 1);
}

#[test]
fn starttls_and_idle() {
    let script = vec![
        (S, b"* OK\r\n".to_vec()),
        (C, b"t1 IDLE\r\n".to_vec()),
        (S, b"+ idling\r\n* 4 EXISTS\r\n".to_vec()),
        (C, b"DONE\r\nt2 STARTTLS\r\n".to_vec()),
        (S, b"t1 OK\r\nt2 OK begin TLS\r\n".to_vec()),
        (
            S,
            lit("* 1 FETCH (BODY[] ", b"Subject: x\r\n\r\nhidden", ")\r\n"),
        ),
    ];
    let (ev, st) = run(&script, 3);
    assert!(ev.is_empty());
    assert_eq!(st.imap.starttls, 1);
}

#[test]
fn gap_inside_literal() {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut stats = ProtoStats::default();
    let mut p = ImapParser::new(&ProtoConfig::default());
    let mut cx = StreamCtx {
        flow_id: 9,
        client: "10.1.1.1:51000".parse().unwrap(),
        server: "203.0.113.9:143".parse().unwrap(),
        ts: 0,
        files: &mut sink,
        stats: &mut stats,
    };
    p.data(
        &mut cx,
        S,
        b"* 1 FETCH (RFC822 {40}\r\nSubject: g\r\n\r\nabc",
    );
    p.gap(&mut cx, S, 10);
    p.data(&mut cx, S, b"0123456789012)\r\n");
    let lit2 = lit("* 2 FETCH (RFC822 ", b"Subject: h\r\n\r\nok", ")\r\n");
    p.data(&mut cx, S, &lit2);
    p.finish(&mut cx, StreamEnd::Fin);
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert!(ev[0].gaps);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[1].sha256, sha(b"ok"));
    assert_eq!(ev[1].state, FileState::Closed);
}

#[test]
fn helpers() {
    assert_eq!(literal_at_end(b"x {12}"), Some((Some(12), 2)));
    assert_eq!(literal_at_end(b"x ~{3+}"), Some((Some(3), 2)));
    assert_eq!(literal_at_end(b"x {a}"), None);
    assert_eq!(
        fetch_item(b"* 1 FETCH (BODY[1.2]"),
        Some(("BODY".into(), "1.2".into(), false))
    );
    assert_eq!(
        fetch_item(b"(BODY.PEEK[]<0>"),
        Some(("BODY".into(), "".into(), true))
    );
    assert_eq!(
        fetch_item(b"(FLAGS () RFC822"),
        Some(("RFC822".into(), "".into(), false))
    );
    assert_eq!(
        fetch_item(b"(BODY[HEADER.FIELDS (FROM)]"),
        Some(("BODY".into(), "HEADER.FIELDS (FROM)".into(), false))
    );
}
