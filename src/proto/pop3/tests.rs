//! Unit tests of the POP3 parser, driven with a real `FileSink`.

use super::*;
use crate::files::{FileEvent, FileState};
use crate::proto::ProtoStats;
use Dir::{ToClient as S, ToServer as C};

use crate::proto::testkit::sha;

fn run(script: &[(Dir, &[u8])], step: usize) -> (Vec<FileEvent>, ProtoStats) {
    let mut p = Pop3Parser::new(&ProtoConfig::default());
    crate::proto::testkit::run_script(
        &mut p,
        (3, "10.0.0.5:50000", "198.51.100.1:110"),
        script,
        step,
    )
}

const M1: &[u8] = b"From: s@x\r\nSubject: m1\r\nContent-Type: multipart/mixed; boundary=k\r\n\r\n--k\r\n\r\nbody\r\n--k\r\nContent-Disposition: attachment; filename=a.zip\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--k--\r\n.\r\n";

#[test]
fn retr_top_err_several() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"+OK POP3 ready\r\n"),
        (C, b"USER bob\r\nPASS secret\r\nLIST\r\nRETR 1\r\n"),
        (S, b"+OK\r\n+OK\r\n+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n+OK 100 octets\r\n"),
        (S, M1),
        (C, b"RETR 9\r\nRETR 2\r\nTOP 2 1\r\n"),
        (S, b"-ERR no such message\r\n+OK\r\nSubject: m2\r\n\r\n..dotted\r\nline\r\n.\r\n+OK\r\nSubject: m2\r\n\r\n..dotted\r\n.\r\n"),
        (C, b"QUIT\r\n"),
        (S, b"+OK bye\r\n"),
    ];
    for step in [1, 3, 1000] {
        let (ev, st) = run(&script, step);
        assert_eq!(ev.len(), 4, "{ev:#?}");
        assert_eq!(ev[0].sha256, sha(b"body"));
        assert_eq!(ev[1].sha256, sha(b"PK\x03\x04"));
        assert_eq!(ev[1].meta.filename, "a.zip");
        assert_eq!(ev[1].src, "198.51.100.1:110".parse().unwrap());
        assert_eq!(ev[1].meta.email.as_ref().unwrap().subject, "m1");
        assert_eq!(ev[2].sha256, sha(b".dotted\r\nline\r\n"));
        assert_eq!(ev[2].state, FileState::Closed);
        assert_eq!(ev[3].sha256, sha(b".dotted\r\n"));
        assert_eq!(ev[3].state, FileState::Truncated);
        assert_eq!(ev[3].trunc_reason, Some(TruncReason::Partial));
        assert_eq!(st.pop3.err_replies, 1);
        assert_eq!(st.pop3.retr, 2);
        assert_eq!(st.pop3.top, 1);
        // USER / PASS values are not kept anywhere in the events.
        assert!(!format!("{ev:?}").contains("secret"));
    }
}

#[test]
fn stls_stops_and_cut_is_truncated() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"+OK\r\n"),
        (C, b"STLS\r\n"),
        (S, b"+OK begin\r\n"),
        (C, b"RETR 1\r\n"),
        (S, b"+OK\r\nSubject: x\r\n\r\nhi\r\n.\r\n"),
    ];
    let (ev, st) = run(&script, 2);
    assert!(ev.is_empty());
    assert_eq!(st.pop3.stls, 1);
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"+OK\r\n"),
        (C, b"RETR 1\r\n"),
        (S, b"+OK\r\nSubject: x\r\n\r\nhalf a mess"),
    ];
    let (ev, _) = run(&script, 2);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[0].sha256, sha(b"half a mess"));
}

#[test]
fn auth_exchange_not_taken_as_commands() {
    let script: Vec<(Dir, &[u8])> = vec![
        (S, b"+OK\r\n"),
        (C, b"AUTH PLAIN\r\n"),
        (S, b"+ \r\n"),
        (C, b"AGJvYgBzZWNyZXQ=\r\n"),
        (S, b"+OK logged in\r\n"),
        (C, b"RETR 1\r\n"),
        (S, b"+OK\r\nSubject: x\r\n\r\nhi\r\n.\r\n"),
    ];
    let (ev, _) = run(&script, 4);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].sha256, sha(b"hi\r\n"));
}
