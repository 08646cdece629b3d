//! The DPDK layer: the only code that calls `dpdk-sys`. Safe types over EAL start-up
//! ([`eal`]), lcores ([`lcore`]), the packet mempool and mbufs ([`mbuf`]) and ethernet ports
//! ([`port`]). Nothing here knows about flows, files or events.

pub mod eal;
pub mod lcore;
pub mod mbuf;
pub mod port;

use std::ffi::CStr;

/// The message for DPDK's current `rte_errno`.
pub(crate) fn last_error() -> String {
    errno_string(unsafe { dpdk_sys::fmon_errno() })
}

/// The message for a DPDK error number (positive or negative).
pub(crate) fn errno_string(e: i32) -> String {
    let e = e.abs();
    let msg = unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(e)) };
    format!("{} (errno {e})", msg.to_string_lossy())
}
