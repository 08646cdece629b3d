//! TCP reassembly for one direction of a connection: in-order fast path without copying,
//! bounded out-of-order buffering, retransmissions and overlaps (first data wins), gaps.
//!
//! TODO(engine helper).

use crate::counters;

counters! {
    /// `stats.tcp`
    pub struct TcpStats { segments }
}
