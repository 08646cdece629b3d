//! Tests of the HTTP parser, driven directly with a FileSink and a StreamCtx.

use super::*;
use crate::files::hash::hex;
use crate::files::{FileEvent, FileSinkConfig, FileState};
use crate::proto::ProtoStats;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use sha2::{Digest, Sha256};
use std::io::Write;

#[derive(Clone)]
enum Op {
    D(Dir, Vec<u8>),
    Gap(Dir, u64),
    End(Dir, StreamEnd),
    Finish(StreamEnd),
}
use Op::*;

fn c(b: &[u8]) -> Op {
    D(Dir::ToServer, b.to_vec())
}
fn s(b: &[u8]) -> Op {
    D(Dir::ToClient, b.to_vec())
}

fn run_cfg(ops: &[Op], step: usize, cfg: &ProtoConfig) -> (Vec<FileEvent>, ProtoStats) {
    let mut sink = FileSink::new(FileSinkConfig::default());
    let mut stats = ProtoStats::default();
    let mut p = HttpParser::new(cfg);
    {
        let mut cx = StreamCtx {
            flow_id: 7,
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "192.0.2.9:80".parse().unwrap(),
            ts: 1_000,
            files: &mut sink,
            stats: &mut stats,
        };
        for op in ops {
            match op {
                D(d, b) => {
                    for piece in b.chunks(step.max(1)) {
                        p.data(&mut cx, *d, piece);
                    }
                }
                Gap(d, n) => p.gap(&mut cx, *d, *n),
                End(d, h) => p.end(&mut cx, *d, *h),
                Finish(h) => p.finish(&mut cx, *h),
            }
        }
    }
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    (ev, stats)
}

/// Runs whole, in 1-byte pieces and in 7-byte pieces; all must agree.
fn run(ops: &[Op]) -> (Vec<FileEvent>, ProtoStats) {
    let cfg = ProtoConfig::default();
    let whole = run_cfg(ops, usize::MAX, &cfg);
    for step in [1, 7] {
        let other = run_cfg(ops, step, &cfg);
        assert_eq!(other.0, whole.0, "step {step} differs");
    }
    whole
}

fn sha(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

fn resp(extra: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

fn check(e: &FileEvent, body: &[u8], state: FileState) {
    assert_eq!(e.size, body.len() as u64);
    assert_eq!(hex(&e.sha256), sha(body));
    assert_eq!(e.state, state, "{:?}", e.trunc_reason);
}

const GET: &[u8] =
    b"GET /files/setup%20v2.exe?x=1 HTTP/1.1\r\nHost: dl.example\r\nUser-Agent: ua/1\r\n\r\n";

#[test]
fn content_length_response() {
    let body = b"MZ\x90\x00 hello world".to_vec();
    let (ev, st) = run(&[
        c(GET),
        s(&resp("Content-Type: application/x-msdownload\r\n", &body)),
        Finish(StreamEnd::Fin),
    ]);
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    check(e, &body, FileState::Closed);
    assert_eq!(e.meta.filename, "setup v2.exe");
    let h = e.meta.http.as_ref().unwrap();
    assert_eq!(h.hostname, "dl.example");
    assert_eq!(h.url, "/files/setup%20v2.exe?x=1");
    assert_eq!(h.http_method, "GET");
    assert_eq!(h.status, Some(200));
    assert_eq!(h.http_user_agent, "ua/1");
    assert_eq!(h.http_content_type, "application/x-msdownload");
    assert_eq!(e.src.to_string(), "192.0.2.9:80");
    assert_eq!(st.http.requests, 1);
    assert_eq!(st.http.responses, 1);
}

#[test]
fn chunked_with_extensions_and_trailers() {
    let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n\r\n5;ext=1\r\nhello\r\n6 \r\n world\r\n0\r\nX-Trailer: a\r\n\r\n";
    let (ev, _) = run(&[c(GET), s(r), c(GET), s(&resp("", b"second"))]);
    assert_eq!(ev.len(), 2);
    check(&ev[0], b"hello world", FileState::Closed);
    assert_eq!(ev[0].meta.filename, "r.pdf");
    check(&ev[1], b"second", FileState::Closed);
}

#[test]
fn until_close_fin_is_complete_and_rst_is_not() {
    let r = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
    let (ev, _) = run(&[c(GET), s(r), End(Dir::ToClient, StreamEnd::Fin)]);
    check(&ev[0], b"all of it", FileState::Closed);
    let (ev, _) = run(&[c(GET), s(r), End(Dir::ToClient, StreamEnd::Reset)]);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::Reset));
    let (ev, _) = run(&[c(GET), s(r), Finish(StreamEnd::Timeout)]);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::Timeout));
    // Nothing after the headers: no file.
    let (ev, _) = run(&[
        c(GET),
        s(b"HTTP/1.0 200 OK\r\n\r\n"),
        End(Dir::ToClient, StreamEnd::Fin),
    ]);
    assert!(ev.is_empty());
}

#[test]
fn fin_mid_body_is_truncated() {
    let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
    r.extend_from_slice(&[b'a'; 40]);
    let (ev, st) = run(&[c(GET), s(&r), End(Dir::ToClient, StreamEnd::Fin)]);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::ConnectionClosed));
    assert_eq!(ev[0].size, 40);
    assert_eq!(st.http.bodies_truncated, 1);
}

#[test]
fn pipelining_keeps_request_order() {
    let reqs = b"GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b.bin HTTP/1.1\r\nHost: h\r\n\r\nGET /c.js HTTP/1.1\r\nHost: h2\r\n\r\n";
    let mut rs = resp("", b"AAAA");
    rs.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"); // HEAD: no body
    rs.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
    rs.extend_from_slice(&resp("", b"CCC"));
    let (ev, st) = run(&[c(reqs), s(&rs)]);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].meta.filename, "a.txt");
    check(&ev[0], b"AAAA", FileState::Closed);
    assert_eq!(ev[1].meta.filename, "c.js");
    assert_eq!(ev[1].meta.http.as_ref().unwrap().hostname, "h2");
    check(&ev[1], b"CCC", FileState::Closed);
    assert_eq!(st.http.interim_responses, 1);
}

#[test]
fn no_body_statuses() {
    let mut rs = b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n".to_vec();
    rs.extend_from_slice(b"HTTP/1.1 304 Not Modified\r\n\r\n");
    rs.extend_from_slice(&resp("", b"real"));
    let (ev, _) = run(&[c(GET), c(GET), c(GET), s(&rs)]);
    assert_eq!(ev.len(), 1);
    check(&ev[0], b"real", FileState::Closed);
}

#[test]
fn connect_tunnel_is_not_parsed() {
    let (ev, st) = run(&[
        c(b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"),
        s(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01binary tls"),
        c(b"\x16\x03\x01 client hello"),
        Finish(StreamEnd::Fin),
    ]);
    assert!(ev.is_empty());
    assert_eq!(st.http.tunnels, 1);
    assert_eq!(st.http.garbage_bytes, 0);
}

#[test]
fn partial_content() {
    let whole = b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/4\r\nContent-Length: 4\r\n\r\nabcd";
    let part = b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/100\r\nContent-Length: 4\r\n\r\nefgh";
    let (ev, _) = run(&[c(GET), c(GET), s(whole), s(part)]);
    check(&ev[0], b"abcd", FileState::Closed);
    assert_eq!(ev[1].trunc_reason, Some(TruncReason::Partial));
    assert_eq!(
        ev[1].meta.http.as_ref().unwrap().content_range.as_deref(),
        Some("bytes 4-7/100")
    );
}

#[test]
fn response_without_request_is_get() {
    let (ev, st) = run(&[s(&resp("", b"orphan"))]);
    check(&ev[0], b"orphan", FileState::Closed);
    assert_eq!(ev[0].meta.http.as_ref().unwrap().http_method, "GET");
    assert_eq!(st.http.responses_without_request, 1);
}

#[test]
fn post_upload_is_a_file_from_client() {
    let body = b"PK\x03\x04 upload data";
    let mut req = format!(
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    let (ev, st) = run(&[c(&req), s(&resp("", b"ok"))]);
    assert_eq!(ev.len(), 2);
    check(&ev[0], body, FileState::Closed);
    assert_eq!(ev[0].src.to_string(), "10.0.0.1:40000");
    assert_eq!(ev[0].meta.http.as_ref().unwrap().http_method, "POST");
    assert_eq!(ev[0].meta.http.as_ref().unwrap().status, None);
    assert_eq!(ev[1].meta.http.as_ref().unwrap().http_method, "POST");
    assert_eq!(st.http.request_bodies, 1);
}

#[test]
fn multipart_whole_body_is_a_file() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.exe\"\r\n\r\nMZ..\r\n--XyZ--\r\n";
    let mut req = format!(
        "POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    let (ev, st) = run(&[c(&req)]);
    let whole: Vec<_> = ev.iter().filter(|e| e.size == body.len() as u64).collect();
    assert_eq!(whole.len(), 1);
    check(whole[0], body, FileState::Closed);
    assert_eq!(st.http.multipart_bodies, 1);
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_deflate_br_bodies() {
    let plain: Vec<u8> = (0..50_000u32).map(|i| (i % 97) as u8).collect();
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(&plain).unwrap();
    let z = z.finish().unwrap();
    let br = super::decode::tests::brotli_stored(&plain);
    let (ev, _) = run(&[
        c(GET),
        c(GET),
        c(GET),
        s(&resp("Content-Encoding: x-gzip\r\n", &gz(&plain))),
        s(&resp("Content-Encoding: deflate\r\n", &z)),
        s(&resp("Content-Encoding: br\r\n", &br)),
    ]);
    assert_eq!(ev.len(), 3);
    for e in &ev {
        check(e, &plain, FileState::Closed);
    }
    // Gzip inside chunked framing.
    let g = gz(&plain);
    let mut r =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    for piece in g.chunks(1000) {
        r.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        r.extend_from_slice(piece);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"0\r\n\r\n");
    let (ev, _) = run(&[c(GET), s(&r)]);
    check(&ev[0], &plain, FileState::Closed);
}

#[test]
fn gzip_bomb_is_capped() {
    let bomb = gz(&vec![0u8; 8 << 20]);
    let cfg = ProtoConfig {
        max_decoded: 1 << 20,
        ..ProtoConfig::default()
    };
    let (ev, st) = run_cfg(
        &[
            c(GET),
            s(&resp("Content-Encoding: gzip\r\n", &bomb)),
            c(GET),
            s(&resp("", b"next")),
        ],
        4096,
        &cfg,
    );
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].size, 1 << 20);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::SizeCap));
    assert_eq!(st.http.decode_capped, 1);
    check(&ev[1], b"next", FileState::Closed);
}

#[test]
fn corrupt_gzip_is_decode_error() {
    let (ev, st) = run(&[
        c(GET),
        s(&resp(
            "Content-Encoding: gzip\r\n",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage!",
        )),
        c(GET),
        s(&resp("", b"ok")),
    ]);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::DecodeError));
    assert_eq!(st.http.decode_errors, 1);
    check(&ev[1], b"ok", FileState::Closed);
}

#[test]
fn labelled_gzip_that_is_not_passes_through() {
    let (ev, st) = run(&[
        c(GET),
        s(&resp("Content-Encoding: gzip\r\n", b"{\"plain\": true}")),
    ]);
    check(&ev[0], b"{\"plain\": true}", FileState::Closed);
    assert_eq!(st.http.encoding_not_applied, 1);
    // "gzip" repeated is one layer.
    let (ev, _) = run(&[
        c(GET),
        s(&resp(
            "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n",
            &gz(b"once"),
        )),
    ]);
    check(&ev[0], b"once", FileState::Closed);
}

#[test]
fn stacked_codings_are_all_undone() {
    let triple = gz(&gz(&gz(b"three layers")));
    let (ev, _) = run(&[
        c(GET),
        s(&resp(
            "Content-Encoding: identity, gzip, identity, gzip, gzip\r\n",
            &triple,
        )),
    ]);
    check(&ev[0], b"three layers", FileState::Closed);
}

#[test]
fn chunk_size_with_junk_after_digits() {
    let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n";
    let (ev, st) = run(&[c(GET), s(r)]);
    check(&ev[0], b"hello", FileState::Closed);
    assert_eq!(st.http.chunk_size_junk, 1);
}

#[test]
fn chunked_that_is_not_falls_back_to_close() {
    let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nX5O!P%@AP plain body";
    let (ev, st) = run(&[c(GET), s(r), End(Dir::ToClient, StreamEnd::Fin)]);
    check(&ev[0], b"X5O!P%@AP plain body", FileState::Closed);
    assert_eq!(st.http.chunked_fallback, 1);
}

#[test]
fn lying_chunk_sizes() {
    // Overflowing size: the body is cut, the parser resyncs on the next response.
    let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nffffffffffffffffffff\r\nxx".to_vec();
    r.extend_from_slice(&resp("", b"after"));
    let (ev, st) = run(&[c(GET), c(GET), s(&r)]);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::DecodeError));
    assert_eq!(ev[0].size, 3);
    check(&ev[1], b"after", FileState::Closed);
    assert_eq!(st.http.bad_chunk_size, 1);
    // A chunk longer than announced: the extra byte is read as the next size line.
    let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n";
    let (ev, st) = run(&[c(GET), s(r), Finish(StreamEnd::Fin)]);
    assert_eq!(ev[0].state, FileState::Truncated);
    assert_eq!(st.http.chunk_crlf_missing, 1);
    // A huge size that never arrives: truncated at FIN.
    let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffff\r\nshort";
    let (ev, _) = run(&[c(GET), s(r), End(Dir::ToClient, StreamEnd::Fin)]);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::ConnectionClosed));
    assert_eq!(ev[0].size, 5);
}

#[test]
fn header_overflow_resyncs() {
    let cfg = ProtoConfig {
        http: HttpConfig {
            max_header_bytes: 256,
            ..HttpConfig::default()
        },
        ..ProtoConfig::default()
    };
    let mut r = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    r.extend_from_slice(&[b'a'; 1000]);
    r.extend_from_slice(b"\r\nContent-Length: 3\r\n\r\nabc");
    r.extend_from_slice(&resp("", b"good"));
    for step in [1, 5, usize::MAX] {
        let (ev, st) = run_cfg(&[c(GET), c(GET), s(&r)], step, &cfg);
        assert_eq!(st.http.header_overflow, 1);
        assert_eq!(ev.len(), 1, "step {step}");
        check(&ev[0], b"good", FileState::Closed);
    }
}

#[test]
fn gap_in_content_length_body_continues() {
    let hdr = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n";
    let (ev, st) = run(&[
        c(GET),
        s(hdr),
        s(&[b'a'; 10]),
        Gap(Dir::ToClient, 10),
        s(&[b'b'; 10]),
        c(GET),
        s(&resp("", b"next")),
    ]);
    assert_eq!(ev.len(), 2);
    assert!(ev[0].gaps);
    assert_eq!(ev[0].size, 20);
    assert_eq!(ev[0].state, FileState::Truncated);
    check(&ev[1], b"next", FileState::Closed);
    assert_eq!(st.http.gaps, 1);
}

#[test]
fn gap_in_chunked_body_resyncs() {
    let (ev, _) = run(&[
        c(GET),
        c(GET),
        s(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123"),
        Gap(Dir::ToClient, 50),
        s(b"tail of something\r\n"),
        s(&resp("", b"resynced")),
    ]);
    assert_eq!(ev.len(), 2);
    assert!(ev[0].gaps);
    assert_eq!(ev[0].trunc_reason, Some(TruncReason::Gap));
    check(&ev[1], b"resynced", FileState::Closed);
}

#[test]
fn gap_in_headers_resyncs() {
    let (ev, _) = run(&[
        c(GET),
        c(GET),
        s(b"HTTP/1.1 200 OK\r\nContent-Le"),
        Gap(Dir::ToClient, 100),
        s(b"ngth garbage\r\n\r\nbody"),
        s(&resp("", b"fine")),
    ]);
    assert_eq!(ev.len(), 1);
    check(&ev[0], b"fine", FileState::Closed);
}

#[test]
fn garbage_is_counted_and_survived() {
    let mut junk: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    junk.extend_from_slice(b"\r\n");
    junk.extend_from_slice(&resp("", b"x"));
    let (ev, st) = run(&[s(&junk)]);
    assert_eq!(ev.len(), 1);
    assert!(st.http.garbage_bytes > 0);
    assert!(st.http.invalid_responses + st.http.header_overflow > 0 || st.http.resyncs > 0);
    let (_, st) = run(&[c(b"BLAH / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")]);
    assert_eq!(st.http.requests, 2); // BLAH is a valid token method
    assert_eq!(st.http.invalid_requests, 0);
    let (_, st) = run(&[c(b"G\x01T / HTTP/1.1\r\n\r\nxxGET / HTTP/1.1\r\n\r\n")]);
    assert_eq!(st.http.requests, 1);
    assert_eq!(st.http.invalid_requests, 1);
}

#[test]
fn content_disposition_filename_star() {
    let (ev, _) = run(&[
        c(GET),
        s(&resp(
            "Content-Disposition: attachment; filename=\"x\"; filename*=UTF-8''%E2%82%AC.exe\r\n",
            b"z",
        )),
    ]);
    assert_eq!(ev[0].meta.filename, "\u{20ac}.exe");
}

#[test]
fn zero_length_bodies_are_not_files() {
    let (ev, _) = run(&[
        c(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
        s(&resp("", b"")),
        Finish(StreamEnd::Fin),
    ]);
    assert!(ev.is_empty());
}

#[test]
fn memory_stays_bounded_with_pending_flood() {
    let mut reqs = Vec::new();
    for _ in 0..1000 {
        reqs.extend_from_slice(GET);
    }
    let (_, st) = run_cfg(&[c(&reqs)], 4096, &ProtoConfig::default());
    assert_eq!(st.http.pending_overflow, 1000 - 64);
}

#[test]
fn long_fields_are_bounded() {
    let long = "\u{e9}".repeat(5000);
    let req = format!("GET /{long} HTTP/1.1\r\nHost: {long}\r\nUser-Agent: {long}\r\n\r\n");
    let (ev, _) = run(&[c(req.as_bytes()), s(&resp("", b"x"))]);
    let h = ev[0].meta.http.as_ref().unwrap();
    assert!(h.url.len() <= MAX_URL && h.url.starts_with("/\u{e9}"));
    assert!(h.hostname.len() <= MAX_FIELD && h.http_user_agent.len() <= MAX_FIELD);
    assert!(ev[0].meta.filename.len() <= MAX_URL);
}

#[test]
fn dangerous_download_is_stored_by_hash() {
    use crate::files::store::StoreWhich;
    let dir = tempfile::tempdir().unwrap();
    let cfg = FileSinkConfig {
        store: Some((dir.path().to_path_buf(), StoreWhich::Dangerous)),
        ..FileSinkConfig::default()
    };
    let mut sink = FileSink::new(cfg);
    let mut stats = ProtoStats::default();
    let mut p = HttpParser::new(&ProtoConfig::default());
    let mut exe = vec![0u8; 512];
    exe[..2].copy_from_slice(b"MZ");
    let mut cx = StreamCtx {
        flow_id: 1,
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "192.0.2.9:80".parse().unwrap(),
        ts: 5,
        files: &mut sink,
        stats: &mut stats,
    };
    p.data(&mut cx, Dir::ToServer, GET);
    p.data(&mut cx, Dir::ToServer, GET);
    p.data(&mut cx, Dir::ToClient, &resp("", &exe));
    p.data(&mut cx, Dir::ToClient, &resp("", b"just text"));
    let mut ev = Vec::new();
    sink.take_events(&mut ev);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].ftype, crate::files::FileType::Exe);
    assert!(ev[0].stored);
    assert!(!ev[1].stored);
    let stored = crate::files::store::stored_path(dir.path(), &ev[0].sha256);
    assert_eq!(std::fs::read(stored).unwrap(), exe);
    assert!(!crate::files::store::stored_path(dir.path(), &ev[1].sha256).exists());
}

// Header evasions (HTTP Evader): each response is read the way browsers read it.

const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const HDRS: &str = "Content-type: application/octet-stream\r\nContent-disposition: attachment; filename=\"eicar.txt\"\r\nConnection: close\r\n";

fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for piece in body.chunks(size) {
        v.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        v.extend_from_slice(piece);
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"0\r\n\r\n");
    v
}

/// One exchange: GET, then `head` (status line and fields, without the blank line), the blank
/// line and `body`, then the server closes.
fn evasion(head: &[u8], body: &[u8]) -> (Vec<FileEvent>, ProtoStats) {
    let mut r = head.to_vec();
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    run(&[c(GET), s(&r), End(Dir::ToClient, StreamEnd::Fin)])
}

#[test]
fn bare_cr_before_folded_content_encoding() {
    // `Content-Encoding:\r gzip`: the bare CR ends the line, the next one folds into it.
    let z = gz(EICAR);
    let head = format!(
        "HTTP/1.1 200 ok\r\nContent-length: {}\r\n{HDRS}Content-Encoding:\r gzip\r\n",
        z.len()
    );
    let (ev, st) = evasion(head.as_bytes(), &z);
    assert_eq!(ev.len(), 1);
    check(&ev[0], EICAR, FileState::Closed);
    assert_eq!(ev[0].meta.filename, "eicar.txt");
    assert_eq!(st.http.lenient_responses, 1);
    assert_eq!(st.http.bare_cr_line_ends, 1);
    // A corrupt length check in the gzip trailer does not matter to the content.
    let mut bad = z.clone();
    let n = bad.len();
    bad[n - 4] ^= 0xff;
    let (ev, _) = evasion(head.as_bytes(), &bad);
    check(&ev[0], EICAR, FileState::Closed);
}

#[test]
fn nul_inside_transfer_encoding_is_not_chunked() {
    // `chu\0nked` is no coding a browser knows: the body is read raw up to the close.
    let body = chunked(EICAR, 4);
    let head = format!(
        "HTTP/1.1 200 ok\r\n{HDRS}Transfer-Encoding:chu\0nked\r\nYet-another-header: foo\r\n"
    );
    let (ev, st) = evasion(head.as_bytes(), &body);
    assert_eq!(ev.len(), 1);
    check(&ev[0], &body, FileState::Closed);
    assert_eq!(body.len(), 158);
    assert_eq!(st.http.lenient_responses, 1);
}

#[test]
fn del_after_chunked_is_chunked() {
    let head = format!(
        "HTTP/1.1 200 ok\r\n{HDRS}Transfer-Encoding:chunked\x7f\r\nYet-another-header: foo\r\n"
    );
    let (ev, st) = evasion(head.as_bytes(), &chunked(EICAR, 4));
    assert_eq!(ev.len(), 1);
    check(&ev[0], EICAR, FileState::Closed);
    assert_eq!(st.http.lenient_responses, 1);
}

#[test]
fn nul_starting_a_header_line_is_skipped() {
    let head =
        format!("HTTP/1.1 200 ok\r\n{HDRS}\0Yet-another-header: foo\r\nContent-length: 68\r\n");
    let mut body = EICAR.to_vec();
    body.extend_from_slice(b"trailing junk after the length");
    let (ev, _) = evasion(head.as_bytes(), &body);
    assert_eq!(ev.len(), 1);
    check(&ev[0], EICAR, FileState::Closed);
    assert_eq!(ev[0].meta.filename, "eicar.txt");
}

#[test]
fn odd_status_lines() {
    let cl = "Yet-another-header: foo\r\nContent-length: 68\r\n";
    for (status, assumed) in [
        ("HTTP/1.00 200 ok", 0),
        ("HTTP/1.1", 1),
        ("HTTP/1.1 ", 1),
        ("HTTP/1.1\0 200 ok", 0),
    ] {
        let head = format!("{status}\r\n{HDRS}{cl}");
        let (ev, st) = evasion(head.as_bytes(), EICAR);
        assert_eq!(ev.len(), 1, "{status:?}");
        check(&ev[0], EICAR, FileState::Closed);
        assert_eq!(ev[0].meta.http.as_ref().unwrap().status, Some(200));
        assert_eq!(st.http.status_assumed_200, assumed, "{status:?}");
        assert_eq!(st.http.lenient_responses, 1);
    }
    // Chunked after a NUL in the version.
    let head = format!("HTTP/1.1\0 200 ok\r\n{HDRS}Transfer-Encoding: chunked\r\n");
    let (ev, _) = evasion(head.as_bytes(), &chunked(EICAR, 4));
    check(&ev[0], EICAR, FileState::Closed);
}

#[test]
fn bare_cr_ends_a_status_line_without_code() {
    let head =
        format!("HTTP/1.1foobar\rTransfer-Encoding:chunked\r\n{HDRS}Yet-another-header: foo\r\n");
    let (ev, st) = evasion(head.as_bytes(), &chunked(EICAR, 4));
    assert_eq!(ev.len(), 1);
    check(&ev[0], EICAR, FileState::Closed);
    assert_eq!(st.http.status_assumed_200, 1);
    assert_eq!(st.http.bare_cr_line_ends, 1);
}

#[test]
fn not_a_status_line_is_still_garbage() {
    let (ev, st) = evasion(b"HTTP/x 200 OK\r\nContent-Length: 4\r\n", b"abcd");
    assert!(ev.is_empty());
    assert!(st.http.invalid_responses >= 1);
    assert_eq!(st.http.lenient_responses, 0);
}

#[test]
fn body_on_304_only_without_a_condition() {
    let head =
        format!("HTTP/1.1 304 ok\r\n{HDRS}Yet-another-header: foo\r\nContent-length: 68\r\n");
    let (ev, st) = evasion(head.as_bytes(), EICAR);
    assert_eq!(ev.len(), 1);
    check(&ev[0], EICAR, FileState::Closed);
    assert_eq!(ev[0].meta.http.as_ref().unwrap().status, Some(304));
    assert_eq!(st.http.body_on_304, 1);
    // Conditional request: the Content-Length describes the cached copy; the next response
    // follows at once.
    let cond = b"GET /x HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e\"\r\n\r\n";
    let mut rs = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 68\r\n\r\n".to_vec();
    rs.extend_from_slice(&resp("", b"next"));
    let (ev, st) = run(&[c(cond), c(GET), s(&rs)]);
    assert_eq!(ev.len(), 1);
    check(&ev[0], b"next", FileState::Closed);
    assert_eq!(st.http.body_on_304, 0);
    // No request seen: no body either.
    let (ev, _) = run(&[s(&rs)]);
    assert_eq!(ev.len(), 1);
    check(&ev[0], b"next", FileState::Closed);
}

#[test]
fn common_header_variants() {
    let ch = chunked(EICAR, 5);
    let cases: Vec<(&[u8], &[u8])> = vec![
        // LF-only line ends.
        (b"HTTP/1.1 200 OK\nContent-Length: 68\n", EICAR),
        // No reason phrase.
        (b"HTTP/1.1 200\r\nContent-Length: 68\r\n", EICAR),
        // Space before the colon, padding around the value.
        (b"HTTP/1.1 200 OK\r\nContent-Length :   68  \r\n", EICAR),
        // Folded Transfer-Encoding, strict and after a bare CR.
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n",
            &ch,
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\tchunked\r\n", &ch),
        // Upper case, a coding list ending in chunked, a junk line between.
        (
            b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip-not, CHUNKED\r\n",
            &ch,
        ),
        (
            b"HTTP/1.1 200 OK\r\njunk without colon\r\nTransfer-Encoding: chunked\r\n",
            &ch,
        ),
        // The same length twice.
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 68\r\nContent-Length: 68, 68\r\n",
            EICAR,
        ),
    ];
    for (head, body) in cases {
        let mut last = body.to_vec();
        last.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
        let mut r = head.to_vec();
        r.extend_from_slice(if head.contains(&b'\r') {
            b"\r\n"
        } else {
            b"\n"
        });
        r.extend_from_slice(&last);
        let (ev, _) = run(&[c(GET), c(GET), s(&r), End(Dir::ToClient, StreamEnd::Fin)]);
        let what = String::from_utf8_lossy(head);
        assert_eq!(ev.len(), 2, "{what}");
        check(&ev[0], EICAR, FileState::Closed);
        check(&ev[1], b"next", FileState::Closed);
    }
}

/// Mutated evasive responses: no panic, files bounded, the parser keeps going.
#[test]
fn mutated_heads_do_not_panic() {
    let base = format!("HTTP/1.1foobar\rTransfer-Encoding:chunked\x7f\r\n{HDRS}Content-Encoding:\r gzip\r\n\0X: y\r\n Content-Length: 68\r\n\r\n");
    let mut x: u32 = 0x1234_5678;
    for _ in 0..300 {
        let mut r = base.clone().into_bytes();
        for _ in 0..4 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (x >> 8) as usize % r.len();
            r[i] = [b'\r', b'\n', 0, b' ', b':', 0x7f, b'\t', (x >> 24) as u8][(x & 7) as usize];
        }
        r.extend_from_slice(&chunked(EICAR, 4));
        let (ev, _) = run_cfg(
            &[c(GET), s(&r), Finish(StreamEnd::Fin)],
            3,
            &ProtoConfig::default(),
        );
        assert!(ev.len() <= 2);
    }
}
