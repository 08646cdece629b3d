//! Local threat intelligence for sensors without internet: `intel.blocklists` files of known-bad
//! hashes. One hash per line (sha256, sha1 or md5, told apart by length, hex in either case),
//! optionally followed by whitespace and anything (e.g. `sha256sum` output or a note); `#` starts
//! a comment; blank lines are ignored. Loaded at start (an error names the file and line) and on
//! SIGHUP ([`Blocklists::reload`]: on error the old lists stay). A hit names the list (its path).

use crate::control::virustotal::decode_hex;
use crate::counters;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

counters! {
    /// `stats.intel` in EVE.
    pub struct IntelStats {
        /// Lists loaded.
        lists,
        sha256_entries,
        sha1_entries,
        md5_entries,
        /// lookup() calls that matched a list.
        hits,
        reloads,
        /// Reloads that failed (old lists kept).
        reload_errors,
    }
}

#[derive(Debug, Default)]
struct List {
    name: String,
    sha256: HashSet<[u8; 32]>,
    sha1: HashSet<[u8; 20]>,
    md5: HashSet<[u8; 16]>,
}

/// The loaded blocklists.
#[derive(Debug, Default)]
pub struct Blocklists {
    paths: Vec<PathBuf>,
    lists: Vec<List>,
    hits: AtomicU64,
    reloads: u64,
    reload_errors: u64,
}

/// Parses one list's text; `name` is used in errors (`name:line: ...`).
fn parse_list(name: &str, text: &str) -> Result<List, String> {
    let mut l = List {
        name: name.to_string(),
        ..List::default()
    };
    // A byte-order mark from a Windows editor is not part of the first hash.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, line) in text.lines().enumerate() {
        let body = line.split('#').next().unwrap_or("");
        let Some(tok) = body.split_whitespace().next() else {
            continue;
        };
        let ok = match tok.len() {
            64 => {
                let mut h = [0u8; 32];
                decode_hex(tok, &mut h) && {
                    l.sha256.insert(h);
                    true
                }
            }
            40 => {
                let mut h = [0u8; 20];
                decode_hex(tok, &mut h) && {
                    l.sha1.insert(h);
                    true
                }
            }
            32 => {
                let mut h = [0u8; 16];
                decode_hex(tok, &mut h) && {
                    l.md5.insert(h);
                    true
                }
            }
            _ => false,
        };
        if !ok {
            let shown: String = tok.chars().take(80).collect();
            return Err(format!(
                "{name}:{}: not an md5, sha1 or sha256 hex hash: {shown:?}",
                n + 1
            ));
        }
    }
    Ok(l)
}

fn load_all(paths: &[PathBuf]) -> Result<Vec<List>, String> {
    paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("{name}: cannot read blocklist: {e}"))?;
            parse_list(&name, &text)
        })
        .collect()
}

impl Blocklists {
    /// Start-up: reads every list; an error names the file and line.
    pub fn load(paths: &[PathBuf]) -> Result<Blocklists, String> {
        Ok(Blocklists {
            paths: paths.to_vec(),
            lists: load_all(paths)?,
            ..Blocklists::default()
        })
    }

    /// SIGHUP: reads the lists again; on error keeps the old ones, counts, logs one line.
    pub fn reload(&mut self) {
        match load_all(&self.paths) {
            Ok(l) => {
                self.lists = l;
                self.reloads += 1;
            }
            Err(e) => {
                self.reload_errors += 1;
                eprintln!("intel: reload failed, keeping the previous lists: {e}");
            }
        }
    }

    /// Name of the list (file path) that lists any of these hashes.
    pub fn lookup(
        &self,
        sha256: &[u8; 32],
        md5: Option<&[u8; 16]>,
        sha1: Option<&[u8; 20]>,
    ) -> Option<&str> {
        let hit = self.lists.iter().find(|l| {
            l.sha256.contains(sha256)
                || md5.is_some_and(|m| l.md5.contains(m))
                || sha1.is_some_and(|s| l.sha1.contains(s))
        })?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(&hit.name)
    }

    /// Whether any list is loaded with at least one hash.
    pub fn is_empty(&self) -> bool {
        self.lists
            .iter()
            .all(|l| l.sha256.is_empty() && l.sha1.is_empty() && l.md5.is_empty())
    }

    pub fn stats(&self) -> IntelStats {
        IntelStats {
            lists: self.lists.len() as u64,
            sha256_entries: self.lists.iter().map(|l| l.sha256.len() as u64).sum(),
            sha1_entries: self.lists.iter().map(|l| l.sha1.len() as u64).sum(),
            md5_entries: self.lists.iter().map(|l| l.md5.len() as u64).sum(),
            hits: self.hits.load(Ordering::Relaxed),
            reloads: self.reloads,
            reload_errors: self.reload_errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EICAR_SHA256: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
    const EICAR_SHA1: &str = "3395856ce81f2b7382dee72602f798b642f14140";

    fn h<const N: usize>(s: &str) -> [u8; N] {
        let mut o = [0u8; N];
        assert!(decode_hex(s, &mut o));
        o
    }

    #[test]
    fn parses_kinds_comments_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.txt");
        let text = format!(
            "\u{feff}# known bad\r\n\n   \n{}  eicar.com\r\n{EICAR_MD5} # md5\n\t{EICAR_SHA1}\n",
            EICAR_SHA256.to_uppercase()
        );
        std::fs::write(&p, text).unwrap();
        let b = Blocklists::load(std::slice::from_ref(&p)).unwrap();
        let s = b.stats();
        assert_eq!(
            (s.lists, s.sha256_entries, s.md5_entries, s.sha1_entries),
            (1, 1, 1, 1)
        );
        let name = p.display().to_string();
        assert_eq!(b.lookup(&h(EICAR_SHA256), None, None), Some(name.as_str()));
        let other = [7u8; 32];
        assert_eq!(
            b.lookup(&other, Some(&h(EICAR_MD5)), None),
            Some(name.as_str())
        );
        assert_eq!(
            b.lookup(&other, None, Some(&h(EICAR_SHA1))),
            Some(name.as_str())
        );
        assert_eq!(b.lookup(&other, Some(&[0; 16]), Some(&[0; 20])), None);
        assert_eq!(b.stats().hits, 3);
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, format!("# c\n{EICAR_MD5}\nnot-a-hash\n")).unwrap();
        let e = Blocklists::load(std::slice::from_ref(&p)).unwrap_err();
        assert!(e.contains(&format!("{}:3:", p.display())), "{e}");
        // Right length, not hex.
        std::fs::write(&p, format!("{}\n", "g".repeat(32))).unwrap();
        assert!(Blocklists::load(std::slice::from_ref(&p))
            .unwrap_err()
            .contains(":1:"));
        let e = Blocklists::load(&[dir.path().join("missing")]).unwrap_err();
        assert!(e.contains("missing") && e.contains("cannot read"), "{e}");
    }

    #[test]
    fn reload_keeps_old_lists_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, format!("{EICAR_SHA256}\n")).unwrap();
        let mut b = Blocklists::load(std::slice::from_ref(&p)).unwrap();
        std::fs::write(&p, "oops\n").unwrap();
        b.reload();
        assert_eq!(b.stats().reload_errors, 1);
        assert!(b.lookup(&h(EICAR_SHA256), None, None).is_some());
        std::fs::write(&p, format!("{EICAR_MD5}\n")).unwrap();
        b.reload();
        assert_eq!(b.stats().reloads, 1);
        assert!(b.lookup(&h(EICAR_SHA256), None, None).is_none());
        assert!(b.lookup(&[0; 32], Some(&h(EICAR_MD5)), None).is_some());
    }

    #[test]
    fn first_list_wins_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let c = dir.path().join("c");
        std::fs::write(&a, format!("{EICAR_SHA256}\n")).unwrap();
        std::fs::write(&c, format!("{EICAR_SHA256}\n")).unwrap();
        let b = Blocklists::load(&[c.clone(), a]).unwrap();
        assert_eq!(
            b.lookup(&h(EICAR_SHA256), None, None),
            Some(c.display().to_string().as_str())
        );
        assert!(!b.is_empty());
        assert!(Blocklists::load(&[]).unwrap().is_empty());
    }
}
