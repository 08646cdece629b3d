//! File type and category from content, never from the name (EVENTS.md `fileinfo.type`).
//! PE exe vs dll from the characteristics flag, OOXML vs plain zip (and macro-enabled OOXML)
//! from the member names, OLE2 doc/xls/ppt/msi from the stream names.
//!
//! TODO(files helper): real detection; this is the interface.

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

/// State kept while a file streams through, for what the first bytes cannot tell (zip member
/// names anywhere in the archive, OLE2 directory entries).
#[derive(Default)]
pub struct Sniffer {}

impl Sniffer {
    /// Sees `data`, which starts at byte `offset` of the file.
    pub fn feed(&mut self, _offset: u64, _data: &[u8]) {}
}

/// Type and category of a file from its first bytes and what the sniffer saw.
pub fn detect(_head: &[u8], _sniff: &Sniffer) -> (FileType, Category) {
    (FileType::Other, Category::Other)
}
