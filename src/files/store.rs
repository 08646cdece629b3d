//! Optional file store: files are written under `dir/ab/abcdef…` by sha256, never by a name
//! from the wire. Data goes to a temporary file while the file streams and is renamed (or
//! dropped) when its hash and category are known.
//!
//! TODO(files helper): real implementation; this is the interface.

use super::Category;
use std::path::PathBuf;

/// `files.store.which`
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreWhich {
    Dangerous,
    All,
    Malicious,
}

pub struct Store {
    pub dir: PathBuf,
    pub which: StoreWhich,
}

/// A file being written to the store's temporary area.
pub struct Pending {}

impl Pending {
    pub fn write(&mut self, _data: &[u8]) {}
}

impl Store {
    pub fn new(dir: PathBuf, which: StoreWhich) -> Self {
        Store { dir, which }
    }
    /// Starts a temporary file, or None if the store cannot take it (counted by the caller).
    pub fn begin(&self) -> Option<Pending> {
        None
    }
    /// Keeps (renames by sha256) or drops the temporary file. Ok(true) when kept.
    pub fn finish(
        &mut self,
        _p: Pending,
        _sha256: &[u8; 32],
        _cat: Category,
    ) -> std::io::Result<bool> {
        Ok(false)
    }
}
