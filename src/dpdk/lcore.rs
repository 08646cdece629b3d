//! Lcores: which ones EAL gave us, and running a Rust closure on one of them.

use std::os::raw::{c_int, c_void};

/// Every enabled lcore except the main one, in order.
pub fn worker_lcores() -> Vec<u32> {
    let mut v = Vec::new();
    let mut i = u32::MAX; // rte_get_next_lcore(-1, ...) starts from the first
    loop {
        i = unsafe { dpdk_sys::rte_get_next_lcore(i, 1, 0) };
        if i >= dpdk_sys::RTE_MAX_LCORE {
            break;
        }
        v.push(i);
    }
    v
}

/// The lcore the caller runs on.
pub fn current() -> u32 {
    unsafe { dpdk_sys::fmon_lcore_id() }
}

type Job = Box<dyn FnOnce() -> i32 + Send + 'static>;

unsafe extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    let job: Box<Job> = unsafe { Box::from_raw(arg as *mut Job) };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(rc) => rc,
        Err(_) => {
            eprintln!("fmon-dpdk: a thread on lcore {} panicked", current());
            -1
        }
    }
}

/// Runs `f` on lcore `id` (which must be idle).
pub fn launch(id: u32, f: impl FnOnce() -> i32 + Send + 'static) -> Result<(), String> {
    let job: Box<Job> = Box::new(Box::new(f));
    let raw = Box::into_raw(job) as *mut c_void;
    let rc = unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline), raw, id) };
    if rc != 0 {
        // Not launched: take the job back so it is dropped.
        drop(unsafe { Box::from_raw(raw as *mut Job) });
        return Err(format!(
            "cannot launch on lcore {id}: {}",
            super::errno_string(rc)
        ));
    }
    Ok(())
}

/// Waits for lcore `id` to finish and returns its closure's result.
pub fn wait(id: u32) -> i32 {
    unsafe { dpdk_sys::rte_eal_wait_lcore(id) }
}

/// A short CPU pause for busy-poll loops.
#[inline]
pub fn pause() {
    unsafe { dpdk_sys::fmon_pause() }
}
