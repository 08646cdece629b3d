//! Symmetric flow hash for dispatch: RX lcores hash each frame's IP pair (both directions and
//! every fragment of a datagram give the same value) to choose the worker that owns the flow.
//!
//! TODO(engine helper).

use super::LinkType;

/// Hash of the frame's (unordered) IP address pair; 0 for frames that carry no IP.
pub fn flow_hash(_lt: LinkType, _frame: &[u8]) -> u32 {
    0
}
