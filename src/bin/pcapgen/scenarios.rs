//! The committed test captures: HTTP and mail scenarios over hostile TCP, each with the exact
//! list of files the sensor must report (`<name>.expected.json`).

use crate::payload::{self, Kind};
use crate::tcp::{Conn, Tunnel, C2S, S2C};
use crate::{Rng, BASE_TS};
use fmon::pcap::PcapWriter;
use md5::Md5;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// One file the sensor must report.
pub struct Expect {
    pub app_proto: &'static str,
    pub data: Vec<u8>,
    pub kind: Kind,
    pub filename: String,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub truncated: bool,
    pub gaps: bool,
    /// Whether sha256/size must match exactly (false when a gap or a partial decode makes them
    /// implementation-defined; `size` is then an upper bound).
    pub exact: bool,
}

pub struct Capture {
    pub name: String,
    pub description: String,
    pub conns: Vec<Conn>,
    /// Interleave the connections' packets (seeded) instead of one after the other.
    pub interleave: bool,
    pub files: Vec<Expect>,
    /// Extra ports per protocol the sensor must be configured with (e.g. {"http": [8081]}).
    pub ports: Value,
}

impl Capture {
    fn new(name: &str, description: &str) -> Capture {
        Capture {
            name: name.into(),
            description: description.into(),
            conns: Vec::new(),
            interleave: false,
            files: Vec::new(),
            ports: json!({}),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn is_home(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            o[0] == 10 || (o[0] == 172 && (16..32).contains(&o[1])) || (o[0] == 192 && o[1] == 168)
        }
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
    }
}

fn direction(src: IpAddr, dst: IpAddr) -> &'static str {
    match (is_home(src), is_home(dst)) {
        (false, true) => "inbound",
        (true, false) => "outbound",
        (true, true) => "internal",
        (false, false) => "external",
    }
}

impl Expect {
    fn json(&self) -> Value {
        let (t, c) = self.kind.type_category();
        json!({
            "app_proto": self.app_proto,
            "sha256": hex(&Sha256::digest(&self.data)),
            "md5": hex(&Md5::digest(&self.data)),
            "sha1": hex(&Sha1::digest(&self.data)),
            "size": self.data.len(),
            "state": if self.truncated { "TRUNCATED" } else { "CLOSED" },
            "gaps": self.gaps,
            "type": t,
            "category": c,
            "filename": self.filename,
            "src_ip": self.src.ip().to_string(),
            "src_port": self.src.port(),
            "dest_ip": self.dst.ip().to_string(),
            "dest_port": self.dst.port(),
            "direction": direction(self.src.ip(), self.dst.ip()),
            "exact": self.exact,
        })
    }
}

/// Writes `<dir>/<name>.pcap` and `<dir>/<name>.expected.json` for every capture.
pub fn write_all(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for c in all() {
        write_capture(dir, &c)?;
    }
    Ok(())
}

fn write_capture(dir: &Path, c: &Capture) -> io::Result<()> {
    let mut w = PcapWriter::create(dir.join(format!("{}.pcap", c.name)), 1)?;
    let mut rng = Rng::new(0x5eed ^ c.name.len() as u64);
    let mut pos = vec![0usize; c.conns.len()];
    let mut ts = BASE_TS;
    let mut ipid: u16 = 1;
    let mut frames = Vec::new();
    loop {
        let live: Vec<usize> = (0..c.conns.len())
            .filter(|&i| pos[i] < c.conns[i].segs.len())
            .collect();
        let Some(&first) = live.first() else { break };
        let k = if c.interleave {
            live[rng.below(live.len() as u64) as usize]
        } else {
            first
        };
        let conn = &c.conns[k];
        frames.clear();
        conn.render(&conn.segs[pos[k]], ipid, &mut frames);
        pos[k] += 1;
        ipid = ipid.wrapping_add(1);
        for f in &frames {
            w.write(ts, f)?;
            ts += 50_000;
        }
    }
    w.finish()?;
    let m = json!({
        "capture": c.name,
        "description": c.description,
        "ports": c.ports,
        "files": c.files.iter().map(Expect::json).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&m).map_err(io::Error::other)?;
    s.push('\n');
    std::fs::write(dir.join(format!("{}.expected.json", c.name)), s)
}

// ---------------------------------------------------------------------------------------------
// Addresses

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("address literal")
}

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP

fn get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fmon-pcapgen/1.0\r\nAccept: */*\r\n\r\n").into_bytes()
}

fn resp(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r =
        format!("HTTP/1.1 {status}\r\nServer: nginx\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut b = r.into_bytes();
    b.extend_from_slice(body);
    b
}

fn ok_cl(ctype: &str, body: &[u8]) -> Vec<u8> {
    resp(
        "200 OK",
        &[
            ("Content-Type", ctype.into()),
            ("Content-Length", body.len().to_string()),
        ],
        body,
    )
}

/// A simple download: GET `path`, 200 with Content-Length. Returns the connection and where
/// the body starts in the server's stream.
fn download(
    cli: &str,
    srv: &str,
    path: &str,
    body: &[u8],
    seed: u64,
    tune: impl FnOnce(&mut Conn),
) -> (Conn, u64) {
    let mut c = Conn::new(sa(cli), sa(srv), seed);
    tune(&mut c);
    c.send(C2S, &get(path, "files.example.com"));
    let r = ok_cl("application/octet-stream", body);
    let start = c.send(S2C, &r);
    (c, start + (r.len() - body.len()) as u64)
}

fn exp(
    app: &'static str,
    data: Vec<u8>,
    kind: Kind,
    filename: &str,
    src: SocketAddr,
    dst: SocketAddr,
) -> Expect {
    Expect {
        app_proto: app,
        data,
        kind,
        filename: filename.into(),
        src,
        dst,
        truncated: false,
        gaps: false,
        exact: true,
    }
}

fn http_basic(
    cap: &mut Capture,
    r: &mut Rng,
    kind: Kind,
    size: usize,
    path: &str,
    tune: impl FnOnce(&mut Conn),
) {
    let body = payload::make(kind, size, r);
    let (cli, srv) = ("10.0.0.10:49152", "198.51.100.10:80");
    let (mut c, _) = download(cli, srv, path, &body, r.next(), tune);
    c.close(C2S);
    let fname = path.rsplit('/').next().unwrap_or("");
    cap.files
        .push(exp("http", body, kind, fname, sa(srv), sa(cli)));
    cap.conns.push(c);
}

fn http_captures(v: &mut Vec<Capture>) {
    let mut r = Rng::new(1);
    let mut cap = Capture::new("http-cl-exe", "GET of a 150 KB PE exe, Content-Length");
    http_basic(
        &mut cap,
        &mut r,
        Kind::Exe,
        150_000,
        "/download/setup.exe",
        |_| {},
    );
    v.push(cap);

    // Chunked with extensions and a trailer.
    let mut cap = Capture::new(
        "http-chunked-dll",
        "PE dll sent chunked, chunk extensions and a trailer",
    );
    let body = payload::make(Kind::Dll, 60_000, &mut r);
    let (cli, srv) = (sa("10.0.0.11:49200"), sa("198.51.100.11:80"));
    let mut c = Conn::new(cli, srv, r.next());
    c.send(C2S, &get("/lib/helper.dll", "cdn.example.net"));
    let mut w = resp(
        "200 OK",
        &[
            ("Content-Type", "application/x-msdownload".into()),
            ("Transfer-Encoding", "chunked".into()),
        ],
        b"",
    );
    let mut pos = 0;
    let mut n = 0;
    while pos < body.len() {
        let len = (1 + r.below(8000) as usize).min(body.len() - pos);
        if n % 3 == 1 {
            w.extend_from_slice(format!("{len:x};name=\"v{n}\"\r\n").as_bytes());
        } else {
            w.extend_from_slice(format!("{len:X}\r\n").as_bytes());
        }
        w.extend_from_slice(&body[pos..pos + len]);
        w.extend_from_slice(b"\r\n");
        pos += len;
        n += 1;
    }
    w.extend_from_slice(b"0\r\nX-Checksum: 1234\r\nX-Other: yes\r\n\r\n");
    c.send(S2C, &w);
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Dll, "helper.dll", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    // gzip and deflate content encodings.
    let mut cap = Capture::new(
        "http-gzip-pdf",
        "PDF with Content-Encoding gzip (decoded size and hash)",
    );
    let body = payload::make(Kind::Pdf, 80_000, &mut r);
    let z = payload::gzip(&body);
    let (cli, srv) = (sa("10.0.0.12:49300"), sa("198.51.100.12:80"));
    let mut c = Conn::new(cli, srv, r.next());
    c.send(C2S, &get("/docs/report.pdf", "docs.example.org"));
    c.send(
        S2C,
        &resp(
            "200 OK",
            &[
                ("Content-Type", "application/pdf".into()),
                ("Content-Encoding", "gzip".into()),
                ("Content-Length", z.len().to_string()),
            ],
            &z,
        ),
    );
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Pdf, "report.pdf", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "http-deflate-html",
        "HTML page with Content-Encoding deflate (zlib)",
    );
    let body = payload::make(Kind::Html, 20_000, &mut r);
    let z = payload::zlib(&body);
    let (cli, srv) = (sa("192.168.1.13:49400"), sa("203.0.113.13:80"));
    let mut c = Conn::new(cli, srv, r.next());
    c.send(C2S, &get("/index.html", "www.example.org"));
    c.send(
        S2C,
        &resp(
            "200 OK",
            &[
                ("Content-Type", "text/html".into()),
                ("Content-Encoding", "deflate".into()),
                ("Content-Length", z.len().to_string()),
            ],
            &z,
        ),
    );
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Html, "index.html", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    // HTTP/1.0 close-delimited body.
    let mut cap = Capture::new(
        "http-close-elf",
        "HTTP/1.0 ELF download ended by the server's FIN",
    );
    let body = payload::make(Kind::Elf, 40_000, &mut r);
    let (cli, srv) = (sa("10.0.0.14:49500"), sa("198.51.100.14:80"));
    let mut c = Conn::new(cli, srv, r.next());
    c.send(
        C2S,
        b"GET /bin/agent HTTP/1.0\r\nHost: 198.51.100.14\r\n\r\n",
    );
    let mut w =
        b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
            .to_vec();
    w.extend_from_slice(&body);
    c.send(S2C, &w);
    c.close(S2C);
    cap.files
        .push(exp("http", body, Kind::Elf, "agent", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    // Keep-alive, several files.
    let mut cap = Capture::new(
        "http-keepalive",
        "three downloads on one keep-alive connection: zip, docx, png",
    );
    let (cli, srv) = (sa("10.0.0.15:49600"), sa("198.51.100.15:80"));
    let mut c = Conn::new(cli, srv, r.next());
    for (kind, size, path) in [
        (Kind::Zip, 30_000, "/files/archive.zip"),
        (Kind::Docx, 40_000, "/files/letter.docx"),
        (Kind::Png, 10_000, "/img/logo.png"),
    ] {
        let body = payload::make(kind, size, &mut r);
        c.send(C2S, &get(path, "files.example.com"));
        c.send(S2C, &ok_cl("application/octet-stream", &body));
        cap.files.push(exp(
            "http",
            body,
            kind,
            path.rsplit('/').next().unwrap_or(""),
            srv,
            cli,
        ));
    }
    c.close(C2S);
    cap.conns.push(c);
    v.push(cap);

    // Pipelined requests.
    let mut cap = Capture::new(
        "http-pipelined",
        "three pipelined GETs answered back to back: xlsm, doc, gzip",
    );
    let (cli, srv) = (sa("10.0.0.16:49700"), sa("198.51.100.16:80"));
    let mut c = Conn::new(cli, srv, r.next());
    let mut reqs = Vec::new();
    let mut resps = Vec::new();
    for (kind, size, path) in [
        (Kind::Xlsm, 25_000, "/a/macro.xlsm"),
        (Kind::Doc, 20_000, "/a/old.doc"),
        (Kind::Gzip, 15_000, "/a/logs.gz"),
    ] {
        let body = payload::make(kind, size, &mut r);
        reqs.extend(get(path, "share.example.com"));
        resps.extend(ok_cl("application/octet-stream", &body));
        cap.files.push(exp(
            "http",
            body,
            kind,
            path.rsplit('/').next().unwrap_or(""),
            srv,
            cli,
        ));
    }
    c.send(C2S, &reqs);
    c.send(S2C, &resps);
    c.close(C2S);
    cap.conns.push(c);
    v.push(cap);

    // No-body responses.
    let mut cap = Capture::new(
        "http-nobody",
        "HEAD, 304 and 204 carry no file; the text file after them does",
    );
    let (cli, srv) = (sa("10.0.0.17:49800"), sa("198.51.100.17:80"));
    let mut c = Conn::new(cli, srv, r.next());
    c.send(
        C2S,
        b"HEAD /setup.exe HTTP/1.1\r\nHost: files.example.com\r\n\r\n",
    );
    c.send(
        S2C,
        &resp(
            "200 OK",
            &[
                ("Content-Type", "application/octet-stream".into()),
                ("Content-Length", "5000".into()),
            ],
            b"",
        ),
    );
    c.send(
        C2S,
        b"GET /cached.pdf HTTP/1.1\r\nHost: files.example.com\r\nIf-None-Match: \"abc\"\r\n\r\n",
    );
    c.send(
        S2C,
        &resp(
            "304 Not Modified",
            &[
                ("ETag", "\"abc\"".into()),
                ("Content-Length", "9000".into()),
            ],
            b"",
        ),
    );
    c.send(C2S, &get("/ping", "files.example.com"));
    c.send(S2C, &resp("204 No Content", &[], b""));
    let body = payload::make(Kind::Text, 2000, &mut r);
    c.send(C2S, &get("/notes.txt", "files.example.com"));
    c.send(S2C, &ok_cl("text/plain", &body));
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Text, "notes.txt", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    // 206 ranges.
    let mut cap = Capture::new(
        "http-range",
        "206 with the full range (CLOSED) and with a partial range (TRUNCATED)",
    );
    let (cli, srv) = (sa("10.0.0.18:49900"), sa("198.51.100.18:80"));
    let mut c = Conn::new(cli, srv, r.next());
    let full = payload::make(Kind::Exe, 30_000, &mut r);
    c.send(
        C2S,
        b"GET /big.exe HTTP/1.1\r\nHost: files.example.com\r\nRange: bytes=0-\r\n\r\n",
    );
    c.send(
        S2C,
        &resp(
            "206 Partial Content",
            &[
                ("Content-Type", "application/octet-stream".into()),
                (
                    "Content-Range",
                    format!("bytes 0-{}/{}", full.len() - 1, full.len()),
                ),
                ("Content-Length", full.len().to_string()),
            ],
            &full,
        ),
    );
    cap.files
        .push(exp("http", full, Kind::Exe, "big.exe", srv, cli));
    let whole = payload::make(Kind::Pdf, 50_000, &mut r);
    let part = whole[..1000].to_vec();
    c.send(
        C2S,
        b"GET /big2.pdf HTTP/1.1\r\nHost: files.example.com\r\nRange: bytes=0-999\r\n\r\n",
    );
    c.send(
        S2C,
        &resp(
            "206 Partial Content",
            &[
                ("Content-Type", "application/pdf".into()),
                ("Content-Range", format!("bytes 0-999/{}", whole.len())),
                ("Content-Length", "1000".into()),
            ],
            &part,
        ),
    );
    let mut e = exp("http", part, Kind::Pdf, "big2.pdf", srv, cli);
    e.truncated = true;
    cap.files.push(e);
    c.close(C2S);
    cap.conns.push(c);
    v.push(cap);

    // Uploads.
    let mut cap = Capture::new(
        "http-post-upload",
        "POST of a PowerShell script from a home_net client (outbound)",
    );
    let (cli, srv) = (sa("10.0.0.20:50000"), sa("203.0.113.50:80"));
    let mut c = Conn::new(cli, srv, r.next());
    let body = payload::make(Kind::Ps1, 5000, &mut r);
    let mut req = format!("POST /upload/run.ps1 HTTP/1.1\r\nHost: drop.example.net\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    req.extend_from_slice(&body);
    c.send(C2S, &req);
    c.send(S2C, &resp("204 No Content", &[], b""));
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Ps1, "run.ps1", cli, srv));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "http-multipart",
        "multipart/form-data upload with two files (exe, pdf), outbound",
    );
    let (cli, srv) = (sa("10.0.0.21:50100"), sa("203.0.113.51:80"));
    let mut c = Conn::new(cli, srv, r.next());
    let f1 = payload::make(Kind::Exe, 20_000, &mut r);
    let f2 = payload::make(Kind::Pdf, 15_000, &mut r);
    let bnd = "----fmonBoundary7MA4YWxkTrZu0gW";
    let mut mp = Vec::new();
    for (name, fname, ct, data) in [
        ("file1", "tool.exe", "application/octet-stream", &f1),
        ("file2", "scan.pdf", "application/pdf", &f2),
    ] {
        mp.extend(format!("--{bnd}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{fname}\"\r\nContent-Type: {ct}\r\n\r\n").into_bytes());
        mp.extend_from_slice(data);
        mp.extend_from_slice(b"\r\n");
    }
    mp.extend(format!("--{bnd}--\r\n").into_bytes());
    let mut req = format!("POST /submit HTTP/1.1\r\nHost: upload.example.net\r\nContent-Type: multipart/form-data; boundary={bnd}\r\nContent-Length: {}\r\n\r\n", mp.len()).into_bytes();
    req.extend(mp);
    c.send(C2S, &req);
    c.send(S2C, &resp("204 No Content", &[], b""));
    c.close(C2S);
    cap.files
        .push(exp("http", f1, Kind::Exe, "tool.exe", cli, srv));
    cap.files
        .push(exp("http", f2, Kind::Pdf, "scan.pdf", cli, srv));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "http-content-disposition",
        "filename from Content-Disposition, not from the URL",
    );
    let (cli, srv) = (sa("10.0.0.22:50200"), sa("198.51.100.22:80"));
    let mut c = Conn::new(cli, srv, r.next());
    let body = payload::make(Kind::Pdf, 25_000, &mut r);
    c.send(C2S, &get("/dl?id=42", "billing.example.com"));
    c.send(
        S2C,
        &resp(
            "200 OK",
            &[
                ("Content-Type", "application/pdf".into()),
                (
                    "Content-Disposition",
                    "attachment; filename=\"invoice.pdf\"".into(),
                ),
                ("Content-Length", body.len().to_string()),
            ],
            &body,
        ),
    );
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Pdf, "invoice.pdf", srv, cli));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new("http-eicar", "the 68-byte EICAR test string over HTTP");
    http_basic(&mut cap, &mut r, Kind::Eicar, 68, "/eicar.com.txt", |_| {});
    v.push(cap);

    let mut cap = Capture::new(
        "http-altport",
        "HTTP on port 8081 (configured) and on 8082 (not configured: found by content detection)",
    );
    cap.ports = json!({"http": [80, 8081]});
    let body = payload::make(Kind::Exe, 20_000, &mut r);
    let (c1, s1) = ("10.0.0.23:50300", "198.51.100.23:8081");
    let (mut c, _) = download(c1, s1, "/alt/tool.exe", &body, r.next(), |_| {});
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Exe, "tool.exe", sa(s1), sa(c1)));
    cap.conns.push(c);
    // CONFIG.md: content detection may add ports, so HTTP on an unlisted port is still parsed.
    let body = payload::make(Kind::Dll, 20_000, &mut r);
    let (c2, s2) = ("10.0.0.23:50301", "198.51.100.23:8082");
    let (mut c, _) = download(c2, s2, "/alt/detected.dll", &body, r.next(), |_| {});
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Dll, "detected.dll", sa(s2), sa(c2)));
    cap.conns.push(c);
    v.push(cap);

    // Hostile TCP.
    let mut cap = Capture::new(
        "tcp-small-mss",
        "segments of 7..100 bytes in both directions",
    );
    http_basic(&mut cap, &mut r, Kind::Doc, 12_000, "/small/old.doc", |c| {
        c.small = Some((7, 100))
    });
    v.push(cap);

    let mut cap = Capture::new("tcp-reorder", "server segments swapped in pairs");
    let body = payload::make(Kind::Zip, 50_000, &mut r);
    let (cli, srv) = ("10.0.0.31:50400", "198.51.100.31:80");
    let (mut c, _) = download(cli, srv, "/r/archive.zip", &body, r.next(), |_| {});
    c.close(C2S);
    c.reorder(S2C, 2);
    cap.files.push(exp(
        "http",
        body,
        Kind::Zip,
        "archive.zip",
        sa(srv),
        sa(cli),
    ));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new("tcp-retrans", "retransmitted (duplicate) server segments");
    let body = payload::make(Kind::Dll, 40_000, &mut r);
    let (cli, srv) = ("10.0.0.32:50500", "198.51.100.32:80");
    let (mut c, _) = download(cli, srv, "/r/lib.dll", &body, r.next(), |_| {});
    c.close(C2S);
    c.duplicate(S2C, 4);
    cap.files
        .push(exp("http", body, Kind::Dll, "lib.dll", sa(srv), sa(cli)));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "tcp-overlap",
        "segments overlapping their neighbours with the same bytes",
    );
    let body = payload::make(Kind::Pdf, 40_000, &mut r);
    let (cli, srv) = ("10.0.0.33:50600", "198.51.100.33:80");
    let (mut c, _) = download(cli, srv, "/r/paper.pdf", &body, r.next(), |_| {});
    c.close(C2S);
    c.overlap(S2C, 3);
    cap.files
        .push(exp("http", body, Kind::Pdf, "paper.pdf", sa(srv), sa(cli)));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "tcp-lost-segment",
        "one server segment in the middle of the file is missing",
    );
    let body = payload::make(Kind::Exe, 100_000, &mut r);
    let (cli, srv) = ("10.0.0.34:50700", "198.51.100.34:80");
    let (mut c, start) = download(cli, srv, "/r/lost.exe", &body, r.next(), |_| {});
    c.close(C2S);
    c.lose(S2C, start + 50_000);
    let mut e = exp("http", body, Kind::Exe, "lost.exe", sa(srv), sa(cli));
    (e.truncated, e.gaps, e.exact) = (true, true, false);
    cap.files.push(e);
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new("tcp-ipv6", "download over IPv6");
    let body = payload::make(Kind::Exe, 30_000, &mut r);
    let (cli, srv) = ("[fd00::10]:50800", "[2001:db8::80]:80");
    let (mut c, _) = download(cli, srv, "/v6/setup6.exe", &body, r.next(), |_| {});
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Exe, "setup6.exe", sa(srv), sa(cli)));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new("tcp-vlan", "download inside an 802.1Q VLAN (id 100)");
    http_basic(&mut cap, &mut r, Kind::Elf, 20_000, "/vlan/tool", |c| {
        c.link.vlans = vec![100]
    });
    v.push(cap);

    let mut cap = Capture::new("tcp-qinq", "download inside QinQ (outer 200, inner 300)");
    http_basic(
        &mut cap,
        &mut r,
        Kind::Docx,
        30_000,
        "/qinq/memo.docx",
        |c| c.link.vlans = vec![200, 300],
    );
    v.push(cap);

    // Own random stream, so that adding these leaves the other captures unchanged.
    let mut tr = Rng::new(seed_of("tunnels"));
    let mut cap = Capture::new(
        "tunnel-gre-ip",
        "download carried in GRE (checksum, key and sequence number present) as IPv4",
    );
    http_basic(
        &mut cap,
        &mut tr,
        Kind::Exe,
        25_000,
        "/gre/setup.exe",
        |c| {
            c.link.tunnel = Some(Tunnel::Gre { teb: false });
            c.mss = [1400, 1400];
        },
    );
    v.push(cap);

    let mut cap = Capture::new(
        "tunnel-gre-eth",
        "download carried in GRE as Ethernet frames (transparent bridging) with a VLAN tag inside",
    );
    http_basic(
        &mut cap,
        &mut tr,
        Kind::Pdf,
        18_000,
        "/gre/report.pdf",
        |c| {
            c.link.tunnel = Some(Tunnel::Gre { teb: true });
            c.mss = [1400, 1400];
            c.link.vlans = vec![42];
        },
    );
    v.push(cap);

    let mut cap = Capture::new(
        "tunnel-vxlan",
        "download carried in VXLAN (UDP 4789) whose reserved header bits are not zero",
    );
    http_basic(
        &mut cap,
        &mut tr,
        Kind::Dll,
        22_000,
        "/vxlan/lib.dll",
        |c| {
            c.link.tunnel = Some(Tunnel::Vxlan { reserved: true });
            c.mss = [1400, 1400];
        },
    );
    v.push(cap);

    let mut cap = Capture::new("tcp-midstream", "capture starts after the handshake");
    let body = payload::make(Kind::Pdf, 20_000, &mut r);
    let (cli, srv) = ("10.0.0.37:51000", "198.51.100.37:80");
    let (mut c, _) = download(cli, srv, "/mid/doc.pdf", &body, r.next(), |_| {});
    c.close(C2S);
    c.no_handshake();
    cap.files
        .push(exp("http", body, Kind::Pdf, "doc.pdf", sa(srv), sa(cli)));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "tcp-rst",
        "server resets the connection mid-transfer (TRUNCATED, no gap)",
    );
    let body = payload::make(Kind::Exe, 100_000, &mut r);
    let (cli, srv) = ("10.0.0.38:51100", "198.51.100.38:80");
    let (mut c, start) = download(cli, srv, "/rst/cut.exe", &body, r.next(), |_| {});
    let delivered = c.cut_with_rst(S2C, start + 60_000);
    let got = body[..(delivered - start) as usize].to_vec();
    let mut e = exp("http", got, Kind::Exe, "cut.exe", sa(srv), sa(cli));
    e.truncated = true;
    cap.files.push(e);
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "ip-fragments",
        "IPv4 fragments of 600 bytes, some sent last-first",
    );
    let body = payload::make(Kind::Exe, 30_000, &mut r);
    let (cli, srv) = ("10.0.0.39:51200", "198.51.100.39:80");
    let (mut c, _) = download(cli, srv, "/frag/frag.exe", &body, r.next(), |c| {
        c.link.frag = Some(600)
    });
    c.close(C2S);
    cap.files
        .push(exp("http", body, Kind::Exe, "frag.exe", sa(srv), sa(cli)));
    cap.conns.push(c);
    v.push(cap);

    let mut cap = Capture::new(
        "tcp-interleaved",
        "six connections from six hosts, packets interleaved",
    );
    cap.interleave = true;
    for (i, (kind, size, name)) in [
        (Kind::Exe, 40_000, "a.exe"),
        (Kind::Dll, 30_000, "b.dll"),
        (Kind::Pdf, 20_000, "c.pdf"),
        (Kind::Zip, 20_000, "d.zip"),
        (Kind::Ps1, 3000, "e.ps1"),
        (Kind::Png, 8000, "f.png"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = payload::make(kind, size, &mut r);
        let cli = format!("10.0.1.{}:{}", 10 + i, 52000 + i);
        let srv = format!("203.0.113.{}:80", 60 + i);
        let (mut c, _) = download(&cli, &srv, &format!("/mix/{name}"), &body, r.next(), |_| {});
        c.close(C2S);
        cap.files
            .push(exp("http", body, kind, name, sa(&srv), sa(&cli)));
        cap.conns.push(c);
    }
    v.push(cap);
}

// ---------------------------------------------------------------------------------------------
// Mail

/// A decoded file a message yields: (content, kind, filename).
type FileOut = (Vec<u8>, Kind, String);

enum Enc {
    B64,
    Qp,
    SevenBit,
}

struct Part {
    headers: String,
    enc: Enc,
    data: Vec<u8>,
    /// (kind, filename) when this part is a file the sensor must report.
    expect: Option<(Kind, String)>,
}

fn b64_lines(data: &[u8]) -> Vec<u8> {
    let s = base64_simd::STANDARD.encode_to_string(data);
    let mut out = Vec::with_capacity(s.len() + s.len() / 38);
    for chunk in s.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Quoted-printable; `data` uses CRLF line ends, which stay hard line breaks.
fn qp(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let text = data.strip_suffix(b"\r\n").unwrap_or(data);
    for (li, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if li > 0 {
            out.extend_from_slice(b"\r\n");
        }
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let lit = (33..=126).contains(&b) && b != b'=' || (b == b' ' && !last);
            let enc_len = if lit { 1 } else { 3 };
            if col + enc_len > 75 {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if lit {
                out.push(b);
            } else {
                out.extend_from_slice(format!("={b:02X}").as_bytes());
            }
            col += enc_len;
        }
    }
    if data.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Builds a multipart/mixed message. Returns the wire bytes (CRLF, not dot-stuffed) and the
/// files it must yield, in order.
fn mime_message(
    top: &str,
    boundary: &str,
    parts: Vec<Part>,
) -> (Vec<u8>, Vec<FileOut>, Vec<Vec<u8>>) {
    let mut m = top.replace('\n', "\r\n").into_bytes();
    m.extend(format!("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n").into_bytes());
    let mut files = Vec::new();
    let mut encoded = Vec::new();
    for p in parts {
        m.extend(format!("\r\n--{boundary}\r\n").into_bytes());
        m.extend(p.headers.replace('\n', "\r\n").into_bytes());
        let (cte, body) = match p.enc {
            Enc::B64 => ("base64", b64_lines(&p.data)),
            Enc::Qp => ("quoted-printable", qp(&p.data)),
            Enc::SevenBit => ("7bit", p.data.clone()),
        };
        m.extend(format!("Content-Transfer-Encoding: {cte}\r\n\r\n").into_bytes());
        // The CRLF before the next delimiter belongs to the delimiter: strip one from the body
        // we wrote and let the delimiter add it back.
        let body_wire = body
            .strip_suffix(b"\r\n")
            .map(|b| b.to_vec())
            .unwrap_or(body.clone());
        m.extend_from_slice(&body_wire);
        encoded.push(body_wire);
        if let Some((k, f)) = p.expect {
            // base64 decodes the same with or without its last CRLF; text parts lose it.
            let data = match p.enc {
                Enc::B64 => p.data,
                _ => p
                    .data
                    .strip_suffix(b"\r\n")
                    .map(|d| d.to_vec())
                    .unwrap_or(p.data),
            };
            files.push((data, k, f));
        }
    }
    m.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (m, files, encoded)
}

fn text_part(data: Vec<u8>) -> Part {
    Part {
        headers: "Content-Type: text/plain; charset=utf-8\n".into(),
        enc: Enc::Qp,
        data,
        expect: Some((Kind::Text, String::new())),
    }
}

fn attach(kind: Kind, name: &str, ctype: &str, data: Vec<u8>) -> Part {
    Part {
        headers: format!("Content-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\n"),
        enc: Enc::B64,
        data,
        expect: Some((kind, name.into())),
    }
}

/// Text with a line that starts with a dot (dot-stuffing) and a long line (QP soft breaks).
fn mail_text(r: &mut Rng) -> Vec<u8> {
    let mut t =
        b"Hello,\r\n\r\nplease find the file attached.\r\n.hidden line that starts with a dot\r\n"
            .to_vec();
    t.extend(payload::text(600, r));
    t.extend_from_slice(b"Regards =^.^=\r\n");
    t
}

/// A POP3 `+OK` multi-line reply carrying message `m`: dot-stuffed, then the final dot.
fn pop3_message(m: &[u8]) -> Vec<u8> {
    let mut d = format!("+OK {} octets\r\n", m.len()).into_bytes();
    d.extend(dot_stuff(m));
    d.extend_from_slice(b".\r\n");
    d
}

/// An IMAP response holding a literal: `head{N}\r\n`, the `data`, then `tail`.
fn imap_literal(head: &str, data: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut d = format!("{head}{{{}}}\r\n", data.len()).into_bytes();
    d.extend_from_slice(data);
    d.extend_from_slice(tail);
    d
}

fn dot_stuff(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.len() + 64);
    let mut bol = true;
    for &b in m {
        if bol && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        bol = b == b'\n';
    }
    out
}

fn headers(from: &str, to: &str, subject: &str, id: &str) -> String {
    format!("From: {from}\nTo: {to}\nSubject: {subject}\nDate: Tue, 01 Dec 2026 10:00:00 +0000\nMessage-ID: <{id}>\n")
}

/// Every mail scenario is written plain and in each hostile variant.
const VARIANTS: [Variant; 4] = [
    Variant::Plain,
    Variant::SmallMss,
    Variant::Reorder,
    Variant::Lost,
];

#[derive(Clone, Copy)]
enum Variant {
    Plain,
    SmallMss,
    Reorder,
    Lost,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Variant::Plain => "",
            Variant::SmallMss => "-smallmss",
            Variant::Reorder => "-reorder",
            Variant::Lost => "-lost",
        }
    }
}

/// Common shape of the mail scenarios: one connection, files sent by `sender_dir`; `last_enc`
/// is the wire form of the last file's encoded body (where a Lost variant loses a segment).
struct MailRun {
    conn: Conn,
    files: Vec<FileOut>,
    sender_dir: usize,
    last_enc: Vec<u8>,
    app: &'static str,
    /// Files are partial by protocol (POP3 TOP).
    partial: bool,
}

fn finish_mail(
    v: &mut Vec<Capture>,
    name: &str,
    desc: &str,
    variant: Variant,
    run: MailRun,
    ports: Value,
) {
    let mut run = run;
    let mut cap = Capture::new(&format!("{name}{}", variant.suffix()), desc);
    cap.ports = ports;
    let (src, dst) = if run.sender_dir == C2S {
        (run.conn.cli, run.conn.srv)
    } else {
        (run.conn.srv, run.conn.cli)
    };
    let n = run.files.len();
    match variant {
        Variant::Reorder => {
            run.conn.reorder(run.sender_dir, 1);
            run.conn.duplicate(run.sender_dir, 5);
        }
        Variant::Lost if !run.last_enc.is_empty() => {
            let st = &run.conn.streams[run.sender_dir];
            let pos = memchr::memmem::find(st, &run.last_enc).unwrap_or(0) as u64;
            run.conn
                .lose(run.sender_dir, pos + run.last_enc.len() as u64 / 2);
        }
        _ => {}
    }
    for (i, (data, kind, fname)) in run.files.into_iter().enumerate() {
        let mut e = exp(run.app, data, kind, &fname, src, dst);
        if run.partial {
            (e.truncated, e.exact) = (true, false);
        }
        if matches!(variant, Variant::Lost) && i + 1 == n {
            (e.truncated, e.gaps, e.exact) = (true, true, false);
        }
        cap.files.push(e);
    }
    cap.description = format!(
        "{desc}{}",
        match variant {
            Variant::Plain => "",
            Variant::SmallMss => "; segments of 7..100 bytes",
            Variant::Reorder => "; sender's segments reordered and some retransmitted",
            Variant::Lost => "; one segment of the last attachment lost",
        }
    );
    cap.conns.push(run.conn);
    v.push(cap);
}

fn new_conn(cli: &str, srv: &str, seed: u64, variant: Variant) -> Conn {
    let mut c = Conn::new(sa(cli), sa(srv), seed);
    if matches!(variant, Variant::SmallMss) {
        c.small = Some((7, 100));
    }
    c
}

fn smtp_dialog(c: &mut Conn, msgs: &[Vec<u8>], pipelining: bool) {
    c.send(S2C, b"220 mx.example.org ESMTP ready\r\n");
    c.send(C2S, b"EHLO client.example.com\r\n");
    c.send(S2C, b"250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n");
    for m in msgs {
        if pipelining {
            c.send(C2S, b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
            c.send(S2C, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
        } else {
            c.send(C2S, b"MAIL FROM:<alice@example.com>\r\n");
            c.send(S2C, b"250 2.1.0 Ok\r\n");
            c.send(C2S, b"RCPT TO:<bob@example.org>\r\n");
            c.send(S2C, b"250 2.1.5 Ok\r\n");
            c.send(C2S, b"DATA\r\n");
            c.send(S2C, b"354 End data with <CR><LF>.<CR><LF>\r\n");
        }
        let mut d = dot_stuff(m);
        d.extend_from_slice(b".\r\n");
        c.send(C2S, &d);
        c.send(S2C, b"250 2.0.0 Ok: queued as 4F2A1\r\n");
    }
    c.send(C2S, b"QUIT\r\n");
    c.send(S2C, b"221 2.0.0 Bye\r\n");
    c.close(C2S);
}

fn mail_captures(v: &mut Vec<Capture>) {
    let mut r = Rng::new(2);
    // SMTP DATA: base64 pdf + quoted-printable text.
    let text = mail_text(&mut r);
    let pdf = payload::make(Kind::Pdf, 30_000, &mut r);
    for variant in VARIANTS {
        let (m, files, enc) = mime_message(
            &headers(
                "Alice <alice@example.com>",
                "Bob <bob@example.org>",
                "Quarterly report",
                "msg1@example.com",
            ),
            "=_b1_fmon",
            vec![
                text_part(text.clone()),
                attach(Kind::Pdf, "report.pdf", "application/pdf", pdf.clone()),
            ],
        );
        let mut c = new_conn(
            "10.0.0.25:40025",
            "198.51.100.25:25",
            seed_of("smtp-attach"),
            variant,
        );
        smtp_dialog(&mut c, &[m], false);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-attach",
            "SMTP DATA with a base64 PDF attachment and a quoted-printable text body",
            variant,
            run,
            json!({}),
        );
    }

    // SMTP pipelining, exe attachment, inbound to a home_net MX.
    let text = mail_text(&mut r);
    let exe = payload::make(Kind::Exe, 40_000, &mut r);
    for variant in VARIANTS {
        let (m, files, enc) = mime_message(
            &headers(
                "billing@example.net",
                "bob@example.org, carol@example.org",
                "Invoice",
                "msg2@example.net",
            ),
            "b2-----",
            vec![
                text_part(text.clone()),
                attach(
                    Kind::Exe,
                    "invoice.exe",
                    "application/octet-stream",
                    exe.clone(),
                ),
            ],
        );
        let mut c = new_conn(
            "203.0.113.25:40026",
            "10.0.0.2:25",
            seed_of("smtp-pipelining"),
            variant,
        );
        smtp_dialog(&mut c, &[m], true);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-pipelining",
            "SMTP with PIPELINING (MAIL/RCPT/RCPT/DATA in one segment), inbound exe",
            variant,
            run,
            json!({}),
        );
    }

    // BDAT chunks.
    let text = mail_text(&mut r);
    let docx = payload::make(Kind::Docx, 30_000, &mut r);
    for variant in VARIANTS {
        let (m, files, enc) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "Letter",
                "msg3@example.com",
            ),
            "bdat-boundary",
            vec![
                text_part(text.clone()),
                attach(
                    Kind::Docx,
                    "letter.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx.clone(),
                ),
            ],
        );
        let mut c = new_conn(
            "10.0.0.26:40027",
            "198.51.100.26:25",
            seed_of("smtp-bdat"),
            variant,
        );
        c.send(S2C, b"220 mx.example.org ESMTP ready\r\n");
        c.send(C2S, b"EHLO client.example.com\r\n");
        c.send(
            S2C,
            b"250-mx.example.org\r\n250-CHUNKING\r\n250 BINARYMIME\r\n",
        );
        c.send(C2S, b"MAIL FROM:<alice@example.com>\r\n");
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"RCPT TO:<bob@example.org>\r\n");
        c.send(S2C, b"250 Ok\r\n");
        let cut1 = m.len() / 3;
        let cut2 = 2 * m.len() / 3;
        for (i, chunk) in [&m[..cut1], &m[cut1..cut2], &m[cut2..]].iter().enumerate() {
            let mut b = if i == 2 {
                format!("BDAT {} LAST\r\n", chunk.len())
            } else {
                format!("BDAT {}\r\n", chunk.len())
            }
            .into_bytes();
            b.extend_from_slice(chunk);
            c.send(C2S, &b);
            c.send(
                S2C,
                format!("250 2.0.0 {} octets received\r\n", chunk.len()).as_bytes(),
            );
        }
        c.send(C2S, b"QUIT\r\n");
        c.send(S2C, b"221 Bye\r\n");
        c.close(C2S);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-bdat",
            "SMTP BDAT (CHUNKING) in three chunks, the last with LAST",
            variant,
            run,
            json!({}),
        );
    }

    // Two messages on one connection.
    let (t1, z1) = (mail_text(&mut r), payload::make(Kind::Zip, 20_000, &mut r));
    let (t2, d2) = (mail_text(&mut r), payload::make(Kind::Dll, 25_000, &mut r));
    for variant in VARIANTS {
        let (m1, mut files, _) = mime_message(
            &headers(
                "news@example.net",
                "bob@example.org",
                "First",
                "msg4a@example.net",
            ),
            "first-b",
            vec![
                text_part(t1.clone()),
                attach(Kind::Zip, "photos.zip", "application/zip", z1.clone()),
            ],
        );
        let (m2, f2, enc) = mime_message(
            &headers(
                "news@example.net",
                "bob@example.org",
                "Second",
                "msg4b@example.net",
            ),
            "second-b",
            vec![
                text_part(t2.clone()),
                attach(
                    Kind::Dll,
                    "plugin.dll",
                    "application/octet-stream",
                    d2.clone(),
                ),
            ],
        );
        files.extend(f2);
        let mut c = new_conn(
            "198.51.100.27:40028",
            "10.0.0.3:25",
            seed_of("smtp-two-messages"),
            variant,
        );
        smtp_dialog(&mut c, &[m1, m2], false);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-two-messages",
            "two messages on one SMTP connection (inbound)",
            variant,
            run,
            json!({}),
        );
    }

    // Rejected DATA then a good message.
    let ps1 = payload::make(Kind::Ps1, 12_000, &mut r);
    let text = mail_text(&mut r);
    for variant in VARIANTS {
        let (m, files, enc) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "Script",
                "msg5@example.com",
            ),
            "rej-b",
            vec![
                text_part(text.clone()),
                attach(Kind::Ps1, "fix.ps1", "text/plain", ps1.clone()),
            ],
        );
        let mut c = new_conn(
            "10.0.0.28:40029",
            "198.51.100.28:25",
            seed_of("smtp-rejected"),
            variant,
        );
        c.send(S2C, b"220 mx.example.org ESMTP\r\n");
        c.send(C2S, b"EHLO client\r\n");
        c.send(S2C, b"250 mx.example.org\r\n");
        c.send(C2S, b"MAIL FROM:<alice@example.com>\r\n");
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"RCPT TO:<nobody@example.org>\r\n");
        c.send(S2C, b"550 5.1.1 User unknown\r\n");
        c.send(C2S, b"DATA\r\n");
        c.send(S2C, b"554 5.5.1 No valid recipients\r\n");
        c.send(C2S, b"RSET\r\n");
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"MAIL FROM:<alice@example.com>\r\n");
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"RCPT TO:<bob@example.org>\r\n");
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"DATA\r\n");
        c.send(S2C, b"354 go ahead\r\n");
        let mut d = dot_stuff(&m);
        d.extend_from_slice(b".\r\n");
        c.send(C2S, &d);
        c.send(S2C, b"250 Ok\r\n");
        c.send(C2S, b"QUIT\r\n");
        c.send(S2C, b"221 Bye\r\n");
        c.close(C2S);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-rejected",
            "rejected RCPT and DATA (no message), RSET, then an accepted message",
            variant,
            run,
            json!({}),
        );
    }

    // STARTTLS: nothing after it is parsed.
    {
        let mut c = Conn::new(
            sa("10.0.0.29:40030"),
            sa("198.51.100.29:25"),
            seed_of("smtp-starttls"),
        );
        c.send(S2C, b"220 mx.example.org ESMTP\r\n");
        c.send(C2S, b"EHLO client\r\n");
        c.send(S2C, b"250-mx.example.org\r\n250 STARTTLS\r\n");
        c.send(C2S, b"STARTTLS\r\n");
        c.send(S2C, b"220 2.0.0 Ready to start TLS\r\n");
        let mut hello = vec![0x16, 0x03, 0x01, 0x02, 0x00];
        hello.extend(r.bytes(512));
        c.send(C2S, &hello);
        // Looks like a message, but it is TLS payload: must not be parsed.
        let (m, _, _) = mime_message(
            &headers("a@b", "c@d", "x", "tls@x"),
            "tlsb",
            vec![attach(
                Kind::Exe,
                "no.exe",
                "application/octet-stream",
                payload::make(Kind::Exe, 4000, &mut r),
            )],
        );
        let mut rec = vec![0x17, 0x03, 0x03, 0x10, 0x00];
        rec.extend(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
        rec.extend(m);
        rec.extend(b"\r\n.\r\n");
        c.send(C2S, &rec);
        c.close(C2S);
        let mut cap = Capture::new(
            "smtp-starttls",
            "STARTTLS: nothing after it is parsed (no file)",
        );
        cap.conns.push(c);
        v.push(cap);
    }

    // Nested multipart with message/rfc822, and RFC 2231 filenames, uuencode.
    let (t_out, zip, t_in, elf) = (
        mail_text(&mut r),
        payload::make(Kind::Zip, 15_000, &mut r),
        payload::make(Kind::Text, 500, &mut r),
        payload::make(Kind::Elf, 12_000, &mut r),
    );
    for variant in VARIANTS {
        let (inner, inner_files, _) = mime_message(
            &headers(
                "eve@example.net",
                "alice@example.com",
                "Inner",
                "inner@example.net",
            ),
            "inner-b",
            vec![
                Part {
                    headers: "Content-Type: text/plain; charset=us-ascii\n".into(),
                    enc: Enc::SevenBit,
                    data: t_in.clone(),
                    expect: Some((Kind::Text, String::new())),
                },
                attach(
                    Kind::Elf,
                    "backdoor",
                    "application/octet-stream",
                    elf.clone(),
                ),
            ],
        );
        let (m, mut files, _) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "Fwd: Inner",
                "outer@example.com",
            ),
            "outer-b",
            vec![
                text_part(t_out.clone()),
                attach(Kind::Zip, "bundle.zip", "application/zip", zip.clone()),
                Part {
                    headers: "Content-Type: message/rfc822\n".into(),
                    enc: Enc::SevenBit,
                    data: inner,
                    expect: None,
                },
            ],
        );
        files.extend(inner_files);
        let mut c = new_conn(
            "10.0.0.30:40031",
            "198.51.100.30:25",
            seed_of("smtp-nested"),
            variant,
        );
        smtp_dialog(&mut c, &[m], false);
        let elf_enc = b64_lines(&elf);
        // The last file in wire order is the inner ELF.
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: elf_enc.strip_suffix(b"\r\n").unwrap_or(&elf_enc).to_vec(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-nested",
            "nested multipart with a forwarded message/rfc822 holding an ELF",
            variant,
            run,
            json!({}),
        );
    }

    let (pdf, docx) = (
        payload::make(Kind::Pdf, 8000, &mut r),
        payload::make(Kind::Docx, 12_000, &mut r),
    );
    for variant in VARIANTS {
        let parts = vec![
            Part {
                headers: "Content-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\n".into(),
                enc: Enc::B64,
                data: pdf.clone(),
                expect: Some((Kind::Pdf, "résumé.pdf".into())),
            },
            Part {
                headers: "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0*=UTF-8''Quarterly%20;\n filename*1=\"report.docx\"\n".into(),
                enc: Enc::B64,
                data: docx.clone(),
                expect: Some((Kind::Docx, "Quarterly report.docx".into())),
            },
        ];
        let (m, files, enc) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "=?UTF-8?B?UsOpc3Vtw6k=?=",
                "rfc2231@example.com",
            ),
            "b2231",
            parts,
        );
        let mut c = new_conn(
            "10.0.0.35:40032",
            "198.51.100.35:25",
            seed_of("smtp-rfc2231"),
            variant,
        );
        smtp_dialog(&mut c, &[m], false);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-rfc2231",
            "RFC 2231 filename* (UTF-8, percent-encoded, continuations)",
            variant,
            run,
            json!({}),
        );
    }

    let exe = payload::make(Kind::Exe, 6000, &mut r);
    for variant in VARIANTS {
        let mut body = b"Hi,\r\n\r\nthe patch is below.\r\n\r\nbegin 644 patch.exe\r\n".to_vec();
        let mut uu = Vec::new();
        for chunk in exe.chunks(45) {
            let mut line = vec![b' ' + chunk.len() as u8];
            for tri in chunk.chunks(3) {
                let b = [tri[0], *tri.get(1).unwrap_or(&0), *tri.get(2).unwrap_or(&0)];
                let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
                for s in [18, 12, 6, 0] {
                    let c = ((n >> s) & 63) as u8;
                    line.push(if c == 0 { b'`' } else { b' ' + c });
                }
            }
            uu.extend_from_slice(&line);
            uu.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(&uu);
        body.extend_from_slice(b"`\r\nend\r\n\r\nBye\r\n");
        let mut m = headers(
            "alice@example.com",
            "bob@example.org",
            "patch",
            "uu@example.com",
        )
        .replace('\n', "\r\n")
        .into_bytes();
        m.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
        m.extend_from_slice(&body);
        let mut c = new_conn(
            "10.0.0.36:40033",
            "198.51.100.36:25",
            seed_of("smtp-uuencode"),
            variant,
        );
        smtp_dialog(&mut c, &[m], false);
        let run = MailRun {
            conn: c,
            files: vec![(exe.clone(), Kind::Exe, "patch.exe".into())],
            sender_dir: C2S,
            last_enc: uu,
            app: "smtp",
            partial: false,
        };
        finish_mail(
            v,
            "smtp-uuencode",
            "a uuencoded exe inside a plain-text body",
            variant,
            run,
            json!({}),
        );
    }

    // POP3.
    let (t1, x1, g2) = (
        mail_text(&mut r),
        payload::make(Kind::Xlsm, 20_000, &mut r),
        payload::make(Kind::Gzip, 10_000, &mut r),
    );
    for variant in VARIANTS {
        let (m1, mut files, _) = mime_message(
            &headers(
                "boss@example.net",
                "bob@example.org",
                "Numbers",
                "pop1@example.net",
            ),
            "pop-b1",
            vec![
                text_part(t1.clone()),
                attach(
                    Kind::Xlsm,
                    "numbers.xlsm",
                    "application/vnd.ms-excel.sheet.macroEnabled.12",
                    x1.clone(),
                ),
            ],
        );
        let (m2, f2, enc) = mime_message(
            &headers(
                "logs@example.net",
                "bob@example.org",
                "Logs",
                "pop2@example.net",
            ),
            "pop-b2",
            vec![attach(
                Kind::Gzip,
                "logs.gz",
                "application/gzip",
                g2.clone(),
            )],
        );
        files.extend(f2);
        let mut c = new_conn(
            "10.0.0.40:40110",
            "198.51.100.40:110",
            seed_of("pop3-retr"),
            variant,
        );
        c.send(S2C, b"+OK POP3 server ready\r\n");
        c.send(C2S, b"USER bob\r\n");
        c.send(S2C, b"+OK\r\n");
        c.send(C2S, b"PASS secret-password\r\n");
        c.send(S2C, b"+OK logged in\r\n");
        c.send(C2S, b"STAT\r\n");
        c.send(S2C, format!("+OK 2 {}\r\n", m1.len() + m2.len()).as_bytes());
        c.send(C2S, b"RETR 3\r\n");
        c.send(S2C, b"-ERR no such message\r\n");
        for (i, m) in [&m1, &m2].iter().enumerate() {
            c.send(C2S, format!("RETR {}\r\n", i + 1).as_bytes());
            c.send(S2C, &pop3_message(m));
        }
        c.send(C2S, b"QUIT\r\n");
        c.send(S2C, b"+OK bye\r\n");
        c.close(C2S);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: S2C,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "pop3",
            partial: false,
        };
        finish_mail(
            v,
            "pop3-retr",
            "POP3 RETR of two messages (xlsm + text, gzip), -ERR in between",
            variant,
            run,
            json!({}),
        );
    }

    let exe = payload::make(Kind::Exe, 20_000, &mut r);
    {
        let (m, files, _) = mime_message(
            &headers("x@example.net", "bob@example.org", "top", "top@example.net"),
            "top-b",
            vec![attach(
                Kind::Exe,
                "preview.exe",
                "application/octet-stream",
                exe,
            )],
        );
        // TOP 1 20: the header block and the first 20 body lines.
        let hdr_end = memchr::memmem::find(&m, b"\r\n\r\n")
            .map(|p| p + 4)
            .unwrap_or(m.len());
        let mut end = hdr_end;
        for _ in 0..20 {
            match memchr::memchr(b'\n', &m[end..]) {
                Some(p) => end += p + 1,
                None => break,
            }
        }
        let mut c = Conn::new(
            sa("10.0.0.41:40111"),
            sa("198.51.100.41:110"),
            seed_of("pop3-top"),
        );
        c.send(S2C, b"+OK ready\r\n");
        c.send(C2S, b"USER bob\r\n");
        c.send(S2C, b"+OK\r\n");
        c.send(C2S, b"PASS pw\r\n");
        c.send(S2C, b"+OK\r\n");
        c.send(C2S, b"TOP 1 20\r\n");
        let mut d = b"+OK top of message follows\r\n".to_vec();
        d.extend(dot_stuff(&m[..end]));
        d.extend_from_slice(b".\r\n");
        c.send(S2C, &d);
        c.send(C2S, b"QUIT\r\n");
        c.send(S2C, b"+OK\r\n");
        c.close(C2S);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: S2C,
            last_enc: Vec::new(),
            app: "pop3",
            partial: true,
        };
        finish_mail(
            v,
            "pop3-top",
            "POP3 TOP: a partial message, its attachment TRUNCATED",
            Variant::Plain,
            run,
            json!({}),
        );
    }

    // IMAP.
    let (t1, pdf, exe) = (
        mail_text(&mut r),
        payload::make(Kind::Pdf, 20_000, &mut r),
        payload::make(Kind::Exe, 15_000, &mut r),
    );
    for variant in VARIANTS {
        let (m1, mut files, _) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "Paper",
                "imap1@example.com",
            ),
            "imap-b1",
            vec![
                text_part(t1.clone()),
                attach(Kind::Pdf, "paper.pdf", "application/pdf", pdf.clone()),
            ],
        );
        let enc2 = b64_lines(&exe);
        let mut c = new_conn(
            "10.0.0.42:40143",
            "198.51.100.42:143",
            seed_of("imap-fetch"),
            variant,
        );
        c.send(S2C, b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n");
        c.send(C2S, b"a1 LOGIN bob secret\r\n");
        c.send(S2C, b"a1 OK LOGIN completed\r\n");
        c.send(C2S, b"a2 SELECT INBOX\r\n");
        c.send(
            S2C,
            b"* 2 EXISTS\r\n* 0 RECENT\r\na2 OK [READ-WRITE] SELECT completed\r\n",
        );
        c.send(C2S, b"a3 FETCH 1 BODY[]\r\n");
        c.send(
            S2C,
            &imap_literal(
                "* 1 FETCH (BODY[] ",
                &m1,
                b" FLAGS (\\Seen))\r\na3 OK FETCH completed\r\n",
            ),
        );
        c.send(C2S, b"a4 FETCH 2 (BODYSTRUCTURE)\r\n");
        c.send(S2C, format!("* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"update.exe\") NIL NIL \"BASE64\" {} NIL (\"ATTACHMENT\" (\"FILENAME\" \"update.exe\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"imap-b2\") NIL NIL NIL))\r\na4 OK FETCH completed\r\n", enc2.len()).as_bytes());
        c.send(C2S, b"a5 FETCH 2 BODY[2]\r\n");
        c.send(
            S2C,
            &imap_literal(
                "* 2 FETCH (BODY[2] ",
                &enc2,
                b")\r\na5 OK FETCH completed\r\n",
            ),
        );
        c.send(C2S, b"a6 LOGOUT\r\n");
        c.send(S2C, b"* BYE\r\na6 OK LOGOUT completed\r\n");
        c.close(C2S);
        files.push((exe.clone(), Kind::Exe, "update.exe".into()));
        let run = MailRun {
            conn: c,
            files,
            sender_dir: S2C,
            last_enc: enc2,
            app: "imap",
            partial: false,
        };
        finish_mail(
            v,
            "imap-fetch",
            "IMAP FETCH BODY[] literal, and BODY[2] decoded with the BODYSTRUCTURE's base64",
            variant,
            run,
            json!({}),
        );
    }

    let (t1, docx) = (mail_text(&mut r), payload::make(Kind::Docx, 20_000, &mut r));
    for variant in VARIANTS {
        let (m, files, enc) = mime_message(
            &headers(
                "bob@example.org",
                "alice@example.com",
                "Draft",
                "append@example.org",
            ),
            "app-b",
            vec![
                text_part(t1.clone()),
                attach(
                    Kind::Docx,
                    "draft.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx.clone(),
                ),
            ],
        );
        let mut c = new_conn(
            "10.0.0.43:40144",
            "198.51.100.43:143",
            seed_of("imap-append"),
            variant,
        );
        c.send(S2C, b"* OK ready\r\n");
        c.send(C2S, b"a1 LOGIN bob secret\r\n");
        c.send(S2C, b"a1 OK\r\n");
        c.send(
            C2S,
            format!("a2 APPEND Sent (\\Seen) {{{}}}\r\n", m.len()).as_bytes(),
        );
        c.send(S2C, b"+ Ready for literal data\r\n");
        let mut d = m.clone();
        d.extend_from_slice(b"\r\n");
        c.send(C2S, &d);
        c.send(S2C, b"a2 OK [APPENDUID 1 7] APPEND completed\r\n");
        c.send(C2S, b"a3 LOGOUT\r\n");
        c.send(S2C, b"* BYE\r\na3 OK\r\n");
        c.close(C2S);
        let run = MailRun {
            conn: c,
            files,
            sender_dir: C2S,
            last_enc: enc.last().cloned().unwrap_or_default(),
            app: "imap",
            partial: false,
        };
        finish_mail(
            v,
            "imap-append",
            "IMAP APPEND of a message with a docx (client upload, outbound)",
            variant,
            run,
            json!({}),
        );
    }
}

fn imap_extra(v: &mut Vec<Capture>) {
    let mut r = Rng::new(3);
    // IDLE, UID FETCH BODY.PEEK[] and a LITERAL+ APPEND ({N+}: no continuation request).
    let (t1, zip, t2, ps1) = (
        mail_text(&mut r),
        payload::make(Kind::Zip, 12_000, &mut r),
        mail_text(&mut r),
        payload::make(Kind::Ps1, 12_000, &mut r),
    );
    for variant in VARIANTS {
        let (m1, mut files, _) = mime_message(
            &headers(
                "alice@example.com",
                "bob@example.org",
                "Zip",
                "idle1@example.com",
            ),
            "idle-b1",
            vec![
                text_part(t1.clone()),
                attach(Kind::Zip, "pack.zip", "application/zip", zip.clone()),
            ],
        );
        let (m2, f2, enc) = mime_message(
            &headers(
                "bob@example.org",
                "ops@example.org",
                "Script",
                "idle2@example.org",
            ),
            "idle-b2",
            vec![
                text_part(t2.clone()),
                attach(Kind::Ps1, "deploy.ps1", "text/plain", ps1.clone()),
            ],
        );
        let mut c = new_conn(
            "10.0.0.44:40145",
            "198.51.100.44:143",
            seed_of("imap-idle-literalplus"),
            variant,
        );
        c.send(S2C, b"* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\r\n");
        c.send(C2S, b"a1 LOGIN bob secret\r\n");
        c.send(S2C, b"a1 OK\r\n");
        c.send(C2S, b"a2 SELECT INBOX\r\n");
        c.send(
            S2C,
            b"* 2 EXISTS\r\na2 OK [READ-WRITE] SELECT completed\r\n",
        );
        c.send(C2S, b"a3 IDLE\r\n");
        c.send(S2C, b"+ idling\r\n");
        c.send(S2C, b"* 3 EXISTS\r\n");
        c.send(C2S, b"DONE\r\n");
        c.send(S2C, b"a3 OK IDLE terminated\r\n");
        c.send(C2S, b"a4 UID FETCH 3 (UID BODY.PEEK[])\r\n");
        c.send(
            S2C,
            &imap_literal(
                "* 3 FETCH (UID 77 BODY[] ",
                &m1,
                b")\r\na4 OK UID FETCH completed\r\n",
            ),
        );
        let mut a = format!("a5 APPEND Drafts {{{}+}}\r\n", m2.len()).into_bytes();
        a.extend_from_slice(&m2);
        a.extend_from_slice(b"\r\n");
        c.send(C2S, &a);
        c.send(S2C, b"a5 OK APPEND completed\r\n");
        c.send(C2S, b"a6 LOGOUT\r\n");
        c.send(S2C, b"* BYE\r\na6 OK\r\n");
        c.close(C2S);
        // Files flow both ways here: the fetched message (server -> client), then the upload.
        let (cli, srv) = (c.cli, c.srv);
        let mut cap_files: Vec<Expect> = files
            .drain(..)
            .map(|(d, k, f)| exp("imap", d, k, &f, srv, cli))
            .collect();
        let n2 = f2.len();
        for (i, (d, k, f)) in f2.into_iter().enumerate() {
            let mut e = exp("imap", d, k, &f, cli, srv);
            if matches!(variant, Variant::Lost) && i + 1 == n2 {
                (e.truncated, e.gaps, e.exact) = (true, true, false);
            }
            cap_files.push(e);
        }
        match variant {
            Variant::Reorder => {
                c.reorder(S2C, 1);
                c.reorder(C2S, 1);
                c.duplicate(C2S, 5);
            }
            Variant::Lost => {
                let last = enc.last().cloned().unwrap_or_default();
                let pos = memchr::memmem::find(&c.streams[C2S], &last).unwrap_or(0) as u64;
                c.lose(C2S, pos + last.len() as u64 / 2);
            }
            _ => {}
        }
        let mut cap = Capture::new(
            &format!("imap-idle-literalplus{}", variant.suffix()),
            "IMAP IDLE, UID FETCH BODY.PEEK[] (inbound) and a LITERAL+ APPEND {N+} (outbound)",
        );
        cap.files = cap_files;
        cap.conns.push(c);
        v.push(cap);
    }

    // POP3 STLS: nothing after it is parsed.
    let mut c = Conn::new(
        sa("10.0.0.45:40112"),
        sa("198.51.100.45:110"),
        seed_of("pop3-stls"),
    );
    c.send(S2C, b"+OK POP3 ready\r\n");
    c.send(C2S, b"CAPA\r\n");
    c.send(S2C, b"+OK\r\nSTLS\r\nUSER\r\n.\r\n");
    c.send(C2S, b"STLS\r\n");
    c.send(S2C, b"+OK Begin TLS negotiation\r\n");
    let mut hello = vec![0x16, 0x03, 0x01, 0x01, 0x00];
    hello.extend(r.bytes(256));
    c.send(C2S, &hello);
    let (m, _, _) = mime_message(
        &headers("a@b", "c@d", "x", "stls@x"),
        "stlsb",
        vec![attach(
            Kind::Dll,
            "no.dll",
            "application/octet-stream",
            payload::make(Kind::Dll, 4000, &mut r),
        )],
    );
    let mut rec = b"+OK 4000 octets\r\n".to_vec();
    rec.extend(m);
    rec.extend(b".\r\n");
    c.send(S2C, &rec);
    c.close(C2S);
    let mut cap = Capture::new(
        "pop3-stls",
        "POP3 STLS: nothing after it is parsed (no file)",
    );
    cap.conns.push(c);
    v.push(cap);
}

// ---------------------------------------------------------------------------------------------
// IDS correlation (tests/e2e_ids.rs writes the alert logs that go with it)

/// `ids-infection`: 10.0.5.20 downloads a PE exe (and the test's alerts name it: infection),
/// 10.0.5.21 only fetches an HTML page (alerts name it, but no dangerous file), 10.0.5.22 only
/// downloads a PDF (no alert). Its own seed, so the other captures are unaffected.
fn ids_captures(v: &mut Vec<Capture>) {
    let mut r = Rng::new(seed_of("ids-infection"));
    let mut cap = Capture::new(
        "ids-infection",
        "10.0.5.20 downloads a PE exe, 10.0.5.21 an HTML page, 10.0.5.22 a PDF (IDS correlation)",
    );
    for (kind, size, path, cli, srv) in [
        (
            Kind::Exe,
            40_000,
            "/payload/update.exe",
            "10.0.5.20:51000",
            "203.0.113.50:80",
        ),
        (
            Kind::Html,
            3_000,
            "/index.html",
            "10.0.5.21:51100",
            "203.0.113.60:80",
        ),
        (
            Kind::Pdf,
            30_000,
            "/docs/manual.pdf",
            "10.0.5.22:51200",
            "198.51.100.70:80",
        ),
    ] {
        let body = payload::make(kind, size, &mut r);
        let (mut c, _) = download(cli, srv, path, &body, r.next(), |_| {});
        c.close(C2S);
        let fname = path.rsplit('/').next().unwrap_or("");
        cap.files
            .push(exp("http", body, kind, fname, sa(srv), sa(cli)));
        cap.conns.push(c);
    }
    v.push(cap);
}

/// The flat-memory check of issue 3 (not committed: `scripts/bench-mail.sh` writes it): one
/// SMTP DATA, one POP3 RETR and one IMAP FETCH BODY[], each a mail with a text part and an
/// `attachment`-byte executable in base64 (20 MiB gives a ~27 MB mail).
pub fn bigmail(attachment: usize) -> Capture {
    let mut r = Rng::new(0xb16);
    let text = mail_text(&mut r);
    let exe = payload::make(Kind::Exe, attachment, &mut r);
    let mut cap = Capture::new(
        "bigmail",
        &format!("SMTP, POP3 and IMAP each carrying a mail with a {attachment}-byte base64 exe"),
    );
    let mail = |id: &str| {
        mime_message(
            &headers(
                "Alice <alice@example.com>",
                "Bob <bob@example.org>",
                "Big",
                id,
            ),
            "=_big_fmon",
            vec![
                text_part(text.clone()),
                attach(
                    Kind::Exe,
                    "big.exe",
                    "application/octet-stream",
                    exe.clone(),
                ),
            ],
        )
    };
    let add = |cap: &mut Capture, conn: Conn, files: Vec<FileOut>, app, sender| {
        let (src, dst) = if sender == C2S {
            (conn.cli, conn.srv)
        } else {
            (conn.srv, conn.cli)
        };
        for (data, kind, name) in files {
            cap.files.push(exp(app, data, kind, &name, src, dst));
        }
        cap.conns.push(conn);
    };
    let (m, files, _) = mail("big1@example.com");
    let mut c = Conn::new(
        sa("10.0.0.60:40025"),
        sa("198.51.100.60:25"),
        seed_of("big-smtp"),
    );
    smtp_dialog(&mut c, &[m], false);
    add(&mut cap, c, files, "smtp", C2S);
    let (m, files, _) = mail("big2@example.com");
    let mut c = Conn::new(
        sa("10.0.0.61:40110"),
        sa("198.51.100.61:110"),
        seed_of("big-pop3"),
    );
    c.send(S2C, b"+OK POP3 server ready\r\n");
    c.send(C2S, b"RETR 1\r\n");
    c.send(S2C, &pop3_message(&m));
    c.send(C2S, b"QUIT\r\n");
    c.send(S2C, b"+OK bye\r\n");
    c.close(C2S);
    add(&mut cap, c, files, "pop3", S2C);
    let (m, files, _) = mail("big3@example.com");
    let mut c = Conn::new(
        sa("10.0.0.62:40143"),
        sa("198.51.100.62:143"),
        seed_of("big-imap"),
    );
    c.send(S2C, b"* OK IMAP4rev1 ready\r\n");
    c.send(C2S, b"a1 SELECT INBOX\r\n");
    c.send(S2C, b"* 1 EXISTS\r\na1 OK SELECT completed\r\n");
    c.send(C2S, b"a2 FETCH 1 BODY[]\r\n");
    c.send(
        S2C,
        &imap_literal("* 1 FETCH (BODY[] ", &m, b")\r\na2 OK FETCH completed\r\n"),
    );
    c.send(C2S, b"a3 LOGOUT\r\n");
    c.send(S2C, b"* BYE\r\na3 OK LOGOUT completed\r\n");
    c.close(C2S);
    add(&mut cap, c, files, "imap", S2C);
    cap
}

/// Writes one capture and its manifest into `dir`.
pub fn write_one(dir: &Path, c: &Capture) -> io::Result<()> {
    write_capture(dir, c)
}

/// Every committed capture, in a fixed order.
pub fn all() -> Vec<Capture> {
    let mut v = Vec::new();
    http_captures(&mut v);
    mail_captures(&mut v);
    imap_extra(&mut v);
    ids_captures(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp_decode(e: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < e.len() {
            if e[i] == b'=' {
                if e[i + 1..].starts_with(b"\r\n") {
                    i += 3;
                    continue;
                }
                let h = std::str::from_utf8(&e[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 3;
            } else {
                out.push(e[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn quoted_printable_round_trips_and_wraps() {
        let mut r = Rng::new(9);
        let t = mail_text(&mut r);
        let e = qp(&t);
        assert_eq!(qp_decode(&e), t);
        assert!(
            e.split(|&b| b == b'\n').all(|l| l.len() <= 77),
            "QP line longer than 76"
        );
        assert!(e.windows(3).any(|w| w == b"=3D"));
    }

    #[test]
    fn dot_stuffing() {
        assert_eq!(dot_stuff(b".a\r\nb\r\n..c\r\n"), b"..a\r\nb\r\n...c\r\n");
    }

    /// Reassembles one direction of a connection from its segments, first data wins.
    fn reassemble(c: &Conn, dir: usize) -> (Vec<u8>, bool) {
        let mut have = vec![None; c.streams[dir].len()];
        for s in c.segs.iter().filter(|s| s.dir == dir && s.len > 0) {
            for i in 0..s.len as usize {
                let p = s.off as usize + i;
                if have[p].is_none() {
                    have[p] = Some(c.streams[dir][p]);
                }
            }
        }
        let gaps = have.iter().any(Option::is_none);
        (have.into_iter().flatten().collect(), gaps)
    }

    #[test]
    fn hostile_variants_keep_the_stream() {
        for v in 0..5 {
            let mut c = Conn::new(sa("10.0.0.1:1000"), sa("198.51.100.1:80"), v);
            if v == 4 {
                c.small = Some((7, 100));
            }
            let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7) as u8).collect();
            c.send(C2S, b"GET / HTTP/1.1\r\n\r\n");
            c.send(S2C, &data);
            c.close(C2S);
            match v {
                1 => c.reorder(S2C, 1),
                2 => c.duplicate(S2C, 3),
                3 => c.overlap(S2C, 2),
                _ => {}
            }
            let (got, gaps) = reassemble(&c, S2C);
            assert!(!gaps, "variant {v}");
            assert_eq!(got, data, "variant {v}");
            // The handshake comes first, FIN/ACK last.
            assert_eq!(c.segs[0].flags, crate::tcp::SYN);
            assert_ne!(c.segs.last().unwrap().flags & crate::tcp::ACK, 0);
        }
    }

    #[test]
    fn lost_segment_and_rst() {
        let mut c = Conn::new(sa("10.0.0.1:1000"), sa("198.51.100.1:80"), 1);
        let data = vec![1u8; 20_000];
        c.send(S2C, &data);
        let (a, b) = c.lose(S2C, 10_000);
        assert!(a <= 10_000 && 10_000 < b);
        assert!(reassemble(&c, S2C).1, "a lost segment leaves a gap");
        let mut c = Conn::new(sa("10.0.0.1:1000"), sa("198.51.100.1:80"), 1);
        c.send(S2C, &data);
        let d = c.cut_with_rst(S2C, 12_000);
        assert!(d <= 12_000 && d > 10_000);
        assert_ne!(c.segs.last().unwrap().flags & crate::tcp::RST, 0);
        assert!(c.segs.iter().all(|s| s.off + s.len as u64 <= d));
    }

    #[test]
    fn fragments_reassemble() {
        let mut c = Conn::new(sa("10.0.0.1:1000"), sa("198.51.100.1:80"), 1);
        c.link.frag = Some(600);
        c.send(S2C, &[5u8; 1400]);
        let seg = c.segs.iter().find(|s| s.len > 0).copied().unwrap();
        let mut whole = Vec::new();
        let mut plain = c.link.clone();
        plain.frag = None;
        let (src, dst) = (c.srv, c.cli);
        crate::tcp::write_frame(
            &mut whole,
            &plain.vlans,
            src,
            dst,
            &seg,
            3,
            &c.streams[S2C][..seg.len as usize],
        );
        let mut frames = Vec::new();
        c.render(&seg, 3, &mut frames);
        assert_eq!(frames.len(), 3);
        let mut parts: Vec<(u16, Vec<u8>)> = frames
            .iter()
            .map(|f| {
                (
                    u16::from_be_bytes([f[20], f[21]]) & 0x1fff,
                    f[34..].to_vec(),
                )
            })
            .collect();
        parts.sort();
        let joined: Vec<u8> = parts.into_iter().flat_map(|(_, p)| p).collect();
        assert_eq!(joined, whole[34..].to_vec());
    }

    #[test]
    fn captures_are_deterministic_and_named_uniquely() {
        let a = all();
        let b = all();
        let mut names = std::collections::BTreeSet::new();
        for (x, y) in a.iter().zip(b.iter()) {
            assert!(
                names.insert(x.name.clone()),
                "duplicate capture name {}",
                x.name
            );
            assert_eq!(x.files.len(), y.files.len());
            for (f, g) in x.files.iter().zip(y.files.iter()) {
                assert_eq!(f.data, g.data);
            }
        }
    }
}
