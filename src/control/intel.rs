//! Local blocklists (placeholder interface; lands with issue 4).

crate::counters! {
    pub struct IntelStats { hashes }
}

pub struct Blocklists {}

impl Blocklists {
    pub fn load(_paths: &[std::path::PathBuf]) -> Result<Blocklists, String> {
        Ok(Blocklists {})
    }
    pub fn reload(&mut self) {}
    pub fn lookup(
        &self,
        _sha256: &[u8; 32],
        _md5: Option<&[u8; 16]>,
        _sha1: Option<&[u8; 20]>,
    ) -> Option<&str> {
        None
    }
    pub fn stats(&self) -> IntelStats {
        IntelStats::default()
    }
}
