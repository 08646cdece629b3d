//! Bounded IPv4 / IPv6 defragmentation.
//!
//! TODO(engine helper).

use crate::counters;

counters! {
    /// `stats.defrag`
    pub struct DefragStats { fragments }
}
