//! The packet mempool and owned mbufs that can travel between lcores through lock-free queues.

use std::ffi::CString;
use std::ptr::NonNull;

/// A pktmbuf pool.
#[derive(Clone, Copy)]
pub struct Mempool(NonNull<dpdk_sys::rte_mempool>);

// The pool is multi-producer / multi-consumer safe (ring_mp_mc ops).
unsafe impl Send for Mempool {}
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Creates a pool of `n` mbufs with the default data room (2048 bytes + headroom).
    pub fn create(name: &str, n: u32, socket: i32) -> Result<Mempool, String> {
        let cname = CString::new(name).map_err(|_| "bad pool name".to_string())?;
        let cache = 256.min(n / 4).max(1);
        let p = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(
                cname.as_ptr(),
                n,
                cache,
                0,
                dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16,
                socket,
            )
        };
        NonNull::new(p).map(Mempool).ok_or_else(|| {
            format!(
                "cannot create a pool of {n} mbufs: {} (give EAL more memory with -m)",
                super::last_error()
            )
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.0.as_ptr()
    }

    /// Free mbufs in the pool now.
    pub fn available(&self) -> u32 {
        unsafe { dpdk_sys::fmon_mempool_avail(self.0.as_ptr()) }
    }
}

/// One received packet. Freed back to its pool when dropped.
pub struct Mbuf(NonNull<dpdk_sys::rte_mbuf>);

// An mbuf is owned by exactly one lcore at a time; moving it moves that ownership.
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Takes ownership of a pointer returned by rx_burst.
    ///
    /// # Safety
    /// `p` must be a valid mbuf owned by the caller.
    pub(crate) unsafe fn from_raw(p: *mut dpdk_sys::rte_mbuf) -> Option<Mbuf> {
        NonNull::new(p).map(Mbuf)
    }

    /// The first segment's bytes (the whole frame when [`Mbuf::is_contiguous`]).
    #[inline]
    pub fn first_segment(&self) -> &[u8] {
        unsafe {
            let m = self.0.as_ptr();
            std::slice::from_raw_parts(
                dpdk_sys::fmon_mbuf_data(m),
                dpdk_sys::fmon_mbuf_data_len(m) as usize,
            )
        }
    }

    #[inline]
    pub fn is_contiguous(&self) -> bool {
        unsafe { dpdk_sys::fmon_mbuf_nb_segs(self.0.as_ptr()) == 1 }
    }

    /// The frame's bytes: borrowed when it is one segment, else copied into `scratch`
    /// (jumbo frames read by the pcap PMD are chained).
    #[inline]
    pub fn frame<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        if self.is_contiguous() {
            return self.first_segment();
        }
        scratch.clear();
        let mut m = self.0.as_ptr() as *const dpdk_sys::rte_mbuf;
        let mut segs = 0;
        while !m.is_null() && segs < 1024 {
            unsafe {
                let len = dpdk_sys::fmon_mbuf_data_len(m) as usize;
                scratch.extend_from_slice(std::slice::from_raw_parts(
                    dpdk_sys::fmon_mbuf_data(m),
                    len,
                ));
                m = dpdk_sys::fmon_mbuf_next(m);
            }
            segs += 1;
        }
        scratch
    }

    /// Input port.
    #[inline]
    pub fn port(&self) -> u16 {
        unsafe { (*self.0.as_ptr()).port }
    }

    /// The driver's Rx timestamp in nanoseconds (the pcap PMD gives capture time), or 0.
    #[inline]
    pub fn rx_timestamp(&self) -> u64 {
        unsafe { dpdk_sys::fmon_mbuf_rx_timestamp(self.0.as_ptr()) }
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        unsafe { dpdk_sys::fmon_pktmbuf_free(self.0.as_ptr()) }
    }
}
