//! Unit tests of the IMAP parser, driven with a real `FileSink`.

use super::*;
use crate::files::{FileEvent, FileState};
use crate::proto::ProtoStats;
use Dir::{ToClient as S, ToServer as C};

use crate::proto::testkit::sha;

fn run(script: &[(Dir, Vec<u8>)], step: usize) -> (Vec<FileEvent>, ProtoStats) {
    let mut p = ImapParser::new(&ProtoConfig::default());
    crate::proto::testkit::run_script(
        &mut p,
        (9, "10.1.1.1:51000", "203.0.113.9:143"),
        script,
        step,
    )
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
    let mut p = ImapParser::new(&ProtoConfig::default());
    let (ev, _) = crate::proto::testkit::with_ctx((9, "10.1.1.1:51000", "203.0.113.9:143"), |cx| {
        p.data(cx, S, b"* 1 FETCH (RFC822 {40}\r\nSubject: g\r\n\r\nabc");
        p.gap(cx, S, 10);
        p.data(cx, S, b"0123456789012)\r\n");
        let lit2 = lit("* 2 FETCH (RFC822 ", b"Subject: h\r\n\r\nok", ")\r\n");
        p.data(cx, S, &lit2);
        p.finish(cx, StreamEnd::Fin);
    });
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

#[test]
fn bodystructure_teaches_part_encodings() {
    let bs = b"* 4 FETCH (UID 77 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1 NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"BASE64\" 8 NIL (\"attachment\" (\"filename\" \"a.pdf\")) NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 100 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"quoted-printable\" 10 1 NIL NIL NIL) 3 NIL NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL))\r\n";
    let mut v = bs.to_vec();
    v.extend(lit("* 4 FETCH (UID 77 BODY[2] ", b"JVBERi0=", ")\r\n"));
    v.extend(lit("* 4 FETCH (UID 77 BODY[3.1] ", b"a=3Db", ")\r\n"));
    let script = vec![(S, v)];
    for step in [1, 7, 10_000] {
        let (ev, st) = run(&script, step);
        assert_eq!(ev.len(), 2, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"%PDF-"));
        assert_eq!(ev[0].meta.note, None);
        assert_eq!(ev[1].sha256, sha(b"a=b"));
        assert_eq!(st.imap.bodystructure_parts_learned, 4);
    }
}

#[test]
fn append_sync_literal_waits_for_continuation() {
    let mut refused = b"A1 APPEND INBOX {40}\r\n".to_vec();
    refused.extend_from_slice(b"A2 APPEND INBOX {18+}\r\nSubject: z\r\n\r\nok\r\n\r\n");
    let script = vec![
        (S, b"* OK\r\n".to_vec()),
        (C, refused),
        (
            S,
            b"A1 NO [TRYCREATE] no such mailbox\r\nA2 OK\r\n".to_vec(),
        ),
        (
            C,
            lit("A3 APPEND INBOX ", b"Subject: y\r\n\r\nfine", "\r\n"),
        ),
        (S, b"+ Ready\r\nA3 OK\r\n".to_vec()),
    ];
    for step in [1, 5, 4096] {
        let (ev, st) = run(&script, step);
        assert_eq!(st.imap.literal_refused, 1, "{:?} {ev:#?}", st.imap);
        assert_eq!(ev.len(), 2, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"ok\r\n"));
        assert_eq!(ev[1].sha256, sha(b"fine"));
        assert!(ev.iter().all(|e| e.state == FileState::Closed));
    }
}

#[test]
fn real_shaped_bodystructure_then_part_fetch() {
    // The dialogue a real server (Dovecot-style) has: BODYSTRUCTURE in one FETCH, the part in
    // a later UID FETCH; the part is decoded and named from the BODYSTRUCTURE.
    let payload = b"MZ\x90\0real exe bytes".to_vec();
    let enc = base64_simd::STANDARD.encode_to_string(&payload);
    let enc = format!("{enc}\r\n");
    let bs = format!(
        "* 1 FETCH (UID 9 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL NIL)(\"application\" \"octet-stream\" (\"name\" \"a.exe\") NIL NIL \"base64\" {} NIL (\"attachment\" (\"filename\" \"a.exe\")) NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL))\r\na4 OK Fetch completed.\r\n",
        enc.len()
    );
    let mut v = b"* OK [CAPABILITY IMAP4rev1] ready\r\n".to_vec();
    let mut c = b"a1 LOGIN bob pw\r\n".to_vec();
    v.extend_from_slice(b"a1 OK\r\n");
    c.extend_from_slice(b"a4 UID FETCH 9 (BODYSTRUCTURE)\r\na5 UID FETCH 9 (BODY.PEEK[2])\r\n");
    v.extend_from_slice(bs.as_bytes());
    v.extend(lit(
        "* 1 FETCH (UID 9 BODY[2] ",
        enc.as_bytes(),
        ")\r\na5 OK Fetch completed.\r\n",
    ));
    let script = vec![(C, c), (S, v)];
    for step in [1, 3, 64, 100_000] {
        let (ev, st) = run(&script, step);
        assert_eq!(ev.len(), 1, "step {step}: {ev:#?}");
        assert_eq!(ev[0].sha256, sha(&payload), "step {step}");
        assert_eq!(ev[0].meta.filename, "a.exe");
        assert_eq!(ev[0].meta.note, None);
        assert_eq!(ev[0].state, FileState::Closed);
        assert_eq!(st.imap.bodystructure_parts_learned, 2);
        assert_eq!(st.imap.fetch_parts_as_fetched, 0);
    }
}

#[test]
fn part_names_from_mime_header_and_rfc2231() {
    let hdr = b"Content-Type: application/pdf; name=\"t.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    let mut v = lit("* 2 FETCH (BODY[2.MIME] ", hdr, ")\r\n");
    v.extend(lit("* 2 FETCH (BODY[2] ", b"JVBERi0=", ")\r\n"));
    let (ev, st) = run(&[(S, v)], 5);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(ev[0].sha256, sha(b"%PDF-"));
    assert_eq!(ev[0].meta.filename, "t.pdf");
    assert_eq!(st.imap.mime_headers_learned, 1);

    let p = Node::List(vec![
        Node::Str("FILENAME*".into()),
        Node::Str("utf-8''r%C3%A9sum%C3%A9.doc".into()),
    ]);
    assert_eq!(param(&p, "filename").as_deref(), Some("résumé.doc"));
    let p = Node::List(vec![
        Node::Str("name".into()),
        Node::Str("=?utf-8?B?w6kuZXhl?=".into()),
    ]);
    assert_eq!(param(&p, "name").as_deref(), Some("é.exe"));
    assert_eq!(param(&Node::Nil, "name"), None);
    assert_eq!(rfc2231_value("%zz%4"), "%zz%4");
    assert_eq!(cap_name("é".repeat(600)).len(), MAX_NAME);
}

/// `* 1 FETCH (...)` responses of one message's header (or BODYSTRUCTURE) then its text.
fn text_script(first: Vec<u8>) -> Vec<(Dir, Vec<u8>)> {
    let text = &MSG[memchr::memmem::find(MSG, b"\r\n\r\n").unwrap() + 4..];
    vec![
        (S, b"* OK ready\r\n".to_vec()),
        (C, b"a1 FETCH 1 (BODY.PEEK[HEADER])\r\n".to_vec()),
        (S, first),
        (C, b"a2 FETCH 1 (BODY[TEXT])\r\n".to_vec()),
        (S, lit("* 1 FETCH (BODY[TEXT] ", text, ")\r\na2 OK\r\n")),
    ]
}

fn check_text_decoded(ev: &[FileEvent], st: &ProtoStats, email: bool) {
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert_eq!(ev[0].sha256, sha(b"text"));
    assert_eq!(ev[1].sha256, sha(b"%PDF-"));
    assert_eq!(ev[1].meta.filename, "r.pdf");
    assert!(ev
        .iter()
        .all(|e| e.state == FileState::Closed && e.meta.note.is_none()));
    assert_eq!(ev[1].meta.email.is_some(), email);
    if email {
        assert_eq!(ev[1].meta.email.as_ref().unwrap().subject, "imap");
    }
    assert_eq!(st.imap.text_decoded, 1);
    assert_eq!(st.imap.fetch_parts_as_fetched, 0);
}

#[test]
fn body_text_decoded_after_header() {
    let hdr = &MSG[..memchr::memmem::find(MSG, b"\r\n\r\n").unwrap() + 4];
    let script = text_script(lit("* 1 FETCH (BODY[HEADER] ", hdr, ")\r\na1 OK\r\n"));
    for step in [usize::MAX, 1, 7] {
        let (ev, st) = run(&script, step);
        check_text_decoded(&ev, &st, true);
    }
    // Some fields only, Content-Type among them: enough.
    let script = text_script(lit(
        "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT CONTENT-TYPE)] ",
        b"Subject: imap\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n",
        ")\r\na1 OK\r\n",
    ));
    for step in [usize::MAX, 1] {
        let (ev, st) = run(&script, step);
        check_text_decoded(&ev, &st, true);
    }
}

#[test]
fn body_text_decoded_after_bodystructure() {
    let bs = b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 4 1 NIL NIL NIL)(\"application\" \"pdf\" NIL NIL NIL \"base64\" 8 NIL (\"attachment\" (\"filename\" \"r.pdf\")) NIL) \"mixed\" (\"boundary\" \"q\") NIL NIL))\r\na1 OK\r\n";
    let script = text_script(bs.to_vec());
    for step in [usize::MAX, 1, 5] {
        let (ev, st) = run(&script, step);
        check_text_decoded(&ev, &st, false);
    }
}

#[test]
fn body_text_unknown_or_fields_without_type_stored_as_fetched() {
    let text = &MSG[memchr::memmem::find(MSG, b"\r\n\r\n").unwrap() + 4..];
    for first in [
        b"a1 OK\r\n".to_vec(),
        lit(
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] ",
            b"Subject: imap\r\n\r\n",
            ")\r\na1 OK\r\n",
        ),
    ] {
        for step in [usize::MAX, 1] {
            let (ev, st) = run(&text_script(first.clone()), step);
            assert_eq!(ev.len(), 1, "{ev:#?}");
            assert_eq!(ev[0].sha256, sha(text));
            assert_eq!(ev[0].meta.note, Some("imap part stored as fetched"));
            assert_eq!(st.imap.text_decoded, 0);
        }
    }
}
