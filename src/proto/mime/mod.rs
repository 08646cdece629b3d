//! Streaming MIME decoder shared by SMTP, POP3, IMAP and HTTP multipart: nested multipart,
//! base64, quoted-printable, 7bit/8bit/binary, uuencode, message/rfc822 to a bounded depth.
//! Parts are decoded as bytes arrive and pushed to the file sink; a whole message is never held.
//!
//! TODO(mail helper, issue 3): the real decoder; the API below is what HTTP multipart and the
//! mail parsers call.

use crate::counters;
use crate::files::{EmailInfo, FileCtx, FileEnd, FileMeta, FileSink};

counters! {
    /// `stats.mime`
    pub struct MimeStats { parts }
}

/// Bounds on what one message may make the decoder hold.
#[derive(Clone, Debug)]
pub struct MimeLimits {
    pub max_depth: usize,
    pub max_header_bytes: usize,
    pub max_line: usize,
    pub max_parts: usize,
}

impl Default for MimeLimits {
    fn default() -> Self {
        MimeLimits {
            max_depth: 8,
            max_header_bytes: 64 << 10,
            max_line: 64 << 10,
            max_parts: 1000,
        }
    }
}

/// Decodes one MIME entity stream into files.
pub struct MimeDecoder {}

impl MimeDecoder {
    /// A whole RFC 5322 message, headers first (SMTP DATA, POP3 RETR, IMAP BODY[]).
    /// Every file opened gets a clone of `template` with its filename and `email` filled in.
    pub fn message(_template: FileMeta, _limits: &MimeLimits) -> Self {
        MimeDecoder {}
    }

    /// The body of a multipart entity whose boundary is known (HTTP multipart/form-data).
    pub fn multipart(_boundary: &[u8], _template: FileMeta, _limits: &MimeLimits) -> Self {
        MimeDecoder {}
    }

    /// Feeds the next bytes of the entity.
    pub fn push(
        &mut self,
        _files: &mut FileSink,
        _stats: &mut MimeStats,
        _fc: &FileCtx,
        _data: &[u8],
    ) {
    }

    /// Bytes of the entity were lost: the part in progress gets a gap.
    pub fn gap(&mut self, _files: &mut FileSink, _fc: &FileCtx) {}

    /// The entity ended. Open parts close with `end` (or TRUNCATED when their boundary never
    /// came); `FileEnd::Complete` only closes parts CLOSED whose structure was complete.
    pub fn finish(
        &mut self,
        _files: &mut FileSink,
        _stats: &mut MimeStats,
        _fc: &FileCtx,
        _end: FileEnd,
    ) {
    }

    /// Header fields of the top-level message, once parsed.
    pub fn email_info(&self) -> Option<&EmailInfo> {
        None
    }
}
