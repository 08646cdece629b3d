//! Ranks (0..100) of file events. 100 means known malicious: VirusTotal engines at or above
//! `virustotal.malicious_threshold`, or a local blocklist hit. Below that the rank says how
//! interesting a file is by what it is and what VirusTotal said of it:
//!
//! | rank | meaning |
//! |---|---|
//! | 100 | known malicious (VirusTotal >= threshold engines, or `intel.blocklists`) |
//! | 90 | flagged by VirusTotal engines, but fewer than the threshold |
//! | 80 | VirusTotal engines call it suspicious |
//! | 60 | executable (exe, dll, elf, macho, msi, apk, jar, lnk) |
//! | 55 | macro-enabled Office document (docm, xlsm) |
//! | 50 | script |
//! | 40 | other document (pdf, doc, xls, ppt, docx, xlsx, pptx, rtf) |
//! | 30 | archive (zip, rar, 7z, gzip, cab, iso) |
//! | 10 | anything else (html, image, text, other) |

use crate::files::{Category, FileType};

/// What VirusTotal said, as far as ranking goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VtCounts {
    pub malicious: u32,
    pub suspicious: u32,
}

pub const MALICIOUS: u8 = 100;

/// Rank of a file.
pub fn rank(
    ftype: FileType,
    category: Category,
    vt: Option<VtCounts>,
    blocklisted: bool,
    threshold: u32,
) -> u8 {
    if blocklisted {
        return MALICIOUS;
    }
    if let Some(v) = vt {
        if v.malicious >= threshold.max(1) {
            return MALICIOUS;
        }
        if v.malicious > 0 {
            return 90;
        }
        if v.suspicious > 0 {
            return 80;
        }
    }
    match (category, ftype) {
        (_, FileType::Docm | FileType::Xlsm) => 55,
        (Category::Executable, _) => 60,
        (Category::Script, _) => 50,
        (Category::Document, _) => 40,
        (Category::Archive, _) => 30,
        (Category::Other, _) => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale() {
        let vt = |m, s| {
            Some(VtCounts {
                malicious: m,
                suspicious: s,
            })
        };
        assert_eq!(rank(FileType::Text, Category::Other, None, true, 1), 100);
        assert_eq!(
            rank(FileType::Exe, Category::Executable, vt(3, 0), false, 3),
            100
        );
        assert_eq!(
            rank(FileType::Exe, Category::Executable, vt(2, 0), false, 3),
            90
        );
        assert_eq!(
            rank(FileType::Pdf, Category::Document, vt(0, 1), false, 1),
            80
        );
        assert_eq!(
            rank(FileType::Exe, Category::Executable, vt(0, 0), false, 1),
            60
        );
        assert_eq!(rank(FileType::Docm, Category::Document, None, false, 1), 55);
        assert_eq!(rank(FileType::Zip, Category::Archive, None, false, 1), 30);
        assert_eq!(rank(FileType::Html, Category::Other, None, false, 1), 10);
    }
}
