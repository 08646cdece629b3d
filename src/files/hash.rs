//! Streaming hashes of file content: sha256 always, md5 and sha1 when `files.hashes` asks.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The hashers of one open file.
pub struct Hashers {
    sha256: Sha256,
    md5: Option<Md5>,
    sha1: Option<Sha1>,
}

impl Hashers {
    pub fn new(md5: bool, sha1: bool) -> Self {
        Hashers {
            sha256: Sha256::new(),
            md5: md5.then(Md5::new),
            sha1: sha1.then(Sha1::new),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        if let Some(h) = self.md5.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha1.as_mut() {
            h.update(data);
        }
    }

    pub fn finish(self) -> ([u8; 32], Option<[u8; 16]>, Option<[u8; 20]>) {
        (
            self.sha256.finalize().into(),
            self.md5.map(|h| h.finalize().into()),
            self.sha1.map(|h| h.finalize().into()),
        )
    }
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn known_digests_of_abc_split() {
        let mut h = Hashers::new(true, true);
        h.update(b"a");
        h.update(b"bc");
        let (s, m, s1) = h.finish();
        assert_eq!(
            hex(&s),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&m.unwrap()), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(&s1.unwrap()),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
