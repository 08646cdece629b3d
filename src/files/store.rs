//! Optional file store (`files.store`): files are written under `dir/ab/abcdef…` by sha256,
//! never by a name from the wire. Data goes to a temporary file `dir/.tmp/<pid>-<counter>`
//! while the file streams and is renamed (or dropped) when its hash and category are known.
//!
//! `which: dangerous` keeps files of a dangerous category, `all` every file. `which: malicious`
//! parks dangerous files as `dir/.pending/<sha256>` (not yet "stored"); the control side calls
//! [`promote`] when a verdict says malicious, or [`discard_pending`] otherwise. A file whose
//! sha256 is already stored is not rewritten. Errors are returned, never panics.

use super::hash::hex;
use super::Category;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// `files.store.which`
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreWhich {
    Dangerous,
    All,
    Malicious,
}

/// Unique temporary names across every worker of this process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct Store {
    pub dir: PathBuf,
    pub which: StoreWhich,
}

/// A file being written to the store's temporary area. Dropped unfinished, it removes its
/// temporary file.
pub struct Pending {
    path: Option<PathBuf>,
    out: Option<BufWriter<File>>,
    failed: Option<io::Error>,
}

impl Pending {
    pub fn write(&mut self, data: &[u8]) {
        if let Some(w) = self.out.as_mut() {
            if let Err(e) = w.write_all(data) {
                self.failed = Some(e);
                self.out = None;
            }
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.out = None;
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// `dir/ab/<hex>`
pub fn stored_path(dir: &Path, sha256: &[u8; 32]) -> PathBuf {
    let h = hex(sha256);
    dir.join(&h[..2]).join(h)
}

/// `dir/.pending/<hex>`
pub fn pending_path(dir: &Path, sha256: &[u8; 32]) -> PathBuf {
    dir.join(".pending").join(hex(sha256))
}

/// Moves a pending file into the store. Ok(false) when there is no such pending file.
pub fn promote(dir: &Path, sha256: &[u8; 32]) -> io::Result<bool> {
    let from = pending_path(dir, sha256);
    if !from.exists() {
        return Ok(false);
    }
    let to = stored_path(dir, sha256);
    if to.exists() {
        fs::remove_file(&from)?;
        return Ok(true);
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::rename(&from, &to)?;
    Ok(true)
}

/// Deletes a pending file. Ok(false) when there is none.
pub fn discard_pending(dir: &Path, sha256: &[u8; 32]) -> io::Result<bool> {
    match fs::remove_file(pending_path(dir, sha256)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

impl Store {
    pub fn new(dir: PathBuf, which: StoreWhich) -> Self {
        Store { dir, which }
    }

    /// Starts a temporary file, or None if the store cannot take it (counted by the caller).
    pub fn begin(&self) -> Option<Pending> {
        let tmp = self.dir.join(".tmp");
        fs::create_dir_all(&tmp).ok()?;
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = tmp.join(format!("{}-{}", std::process::id(), n));
        let f = File::create(&path).ok()?;
        Some(Pending {
            path: Some(path),
            out: Some(BufWriter::with_capacity(16 << 10, f)),
            failed: None,
        })
    }

    /// Keeps (renames by sha256) or drops the temporary file. Ok(true) when kept in the store
    /// (already present counts as kept; parked in `.pending` does not).
    pub fn finish(&mut self, mut p: Pending, sha256: &[u8; 32], cat: Category) -> io::Result<bool> {
        let flushed = match p.out.take() {
            Some(mut w) => w.flush(),
            None => Ok(()),
        };
        if let Some(e) = p.failed.take() {
            return Err(e);
        }
        flushed?;
        let (target, stored) = match self.which {
            StoreWhich::All => (stored_path(&self.dir, sha256), true),
            StoreWhich::Dangerous if cat.is_dangerous() => (stored_path(&self.dir, sha256), true),
            StoreWhich::Malicious if cat.is_dangerous() => {
                if stored_path(&self.dir, sha256).exists() {
                    return Ok(true);
                }
                (pending_path(&self.dir, sha256), false)
            }
            _ => return Ok(false),
        };
        if target.exists() {
            return Ok(stored);
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let Some(tmp) = p.path.take() else {
            return Ok(false);
        };
        match fs::rename(&tmp, &target) {
            Ok(()) => Ok(stored),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(s: &mut Store, data: &[u8], sha: [u8; 32], cat: Category) -> io::Result<bool> {
        let mut p = s.begin().expect("begin");
        p.write(data);
        s.finish(p, &sha, cat)
    }

    fn tmp_empty(dir: &Path) -> bool {
        fs::read_dir(dir.join(".tmp"))
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    }

    #[test]
    fn dangerous_kept_by_hash_other_dropped() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::new(d.path().to_path_buf(), StoreWhich::Dangerous);
        let sha = [0xab; 32];
        assert!(put(&mut s, b"MZ payload", sha, Category::Executable).unwrap());
        let path = d.path().join("ab").join(hex(&sha));
        assert_eq!(fs::read(&path).unwrap(), b"MZ payload");
        assert!(!put(&mut s, b"text", [0x01; 32], Category::Other).unwrap());
        assert!(!stored_path(d.path(), &[0x01; 32]).exists());
        // Same hash again: not rewritten, still reported stored.
        assert!(put(&mut s, b"different bytes", sha, Category::Executable).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"MZ payload");
        assert!(tmp_empty(d.path()));
    }

    #[test]
    fn all_keeps_everything_and_drop_cleans_up() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::new(d.path().to_path_buf(), StoreWhich::All);
        assert!(put(&mut s, b"hello", [0x12; 32], Category::Other).unwrap());
        assert!(stored_path(d.path(), &[0x12; 32]).exists());
        let mut p = s.begin().unwrap();
        p.write(b"abandoned");
        drop(p);
        assert!(tmp_empty(d.path()));
    }

    #[test]
    fn malicious_parks_then_promotes_or_discards() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::new(d.path().to_path_buf(), StoreWhich::Malicious);
        let a = [0xcd; 32];
        let b = [0xef; 32];
        assert!(!put(&mut s, b"evil", a, Category::Executable).unwrap());
        assert!(!put(&mut s, b"maybe", b, Category::Document).unwrap());
        assert!(!put(&mut s, b"img", [0x33; 32], Category::Other).unwrap());
        assert!(pending_path(d.path(), &a).exists());
        assert!(!pending_path(d.path(), &[0x33; 32]).exists());
        assert!(promote(d.path(), &a).unwrap());
        assert_eq!(fs::read(stored_path(d.path(), &a)).unwrap(), b"evil");
        assert!(!pending_path(d.path(), &a).exists());
        assert!(!promote(d.path(), &a).unwrap());
        assert!(discard_pending(d.path(), &b).unwrap());
        assert!(!discard_pending(d.path(), &b).unwrap());
        assert!(tmp_empty(d.path()));
    }

    #[test]
    fn unwritable_dir_is_an_error_not_a_panic() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("plainfile");
        fs::write(&file, b"x").unwrap();
        let s = Store::new(file.clone(), StoreWhich::All);
        assert!(s.begin().is_none());
    }
}
