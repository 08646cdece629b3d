//! The per-worker flow table (hashbrown), keyed by the symmetric 5-tuple, with stable flow ids,
//! idle timeouts by packet time and eviction past `tcp.max_flows`.
//!
//! TODO(engine helper).

use crate::counters;

counters! {
    /// `stats.flows`
    pub struct FlowStats { created }
}
