//! Ethernet ports: discovery, set-up with N RX queues (symmetric RSS where the NIC has it),
//! Rx timestamps where the driver gives them, polling and statistics.

use super::mbuf::{Mbuf, Mempool};
use std::ffi::CStr;
use std::os::raw::c_char;

const RX_OFFLOAD_SCATTER: u64 = 1 << 13;
const RSS_IPV4: u64 = 1 << 2;
const RSS_FRAG_IPV4: u64 = 1 << 3;
const RSS_NONFRAG_IPV4_TCP: u64 = 1 << 4;
const RSS_IPV6: u64 = 1 << 8;
const RSS_FRAG_IPV6: u64 = 1 << 9;
const RSS_NONFRAG_IPV6_TCP: u64 = 1 << 10;
const RX_DESC: u16 = 1024;

/// Symmetric Toeplitz key: 0x6d5a repeated makes hash(a->b) == hash(b->a).
fn symmetric_key(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| if i % 2 == 0 { 0x6d } else { 0x5a })
        .collect()
}

/// What a port is and how it was set up.
#[derive(Clone, Debug)]
pub struct PortInfo {
    pub id: u16,
    /// Device name, e.g. `net_pcap0` or a PCI address.
    pub name: String,
    /// Driver name, e.g. `net_pcap`.
    pub driver: String,
    pub rx_queues: u16,
    pub rss: bool,
    /// The driver stamps packets with their capture time (in microseconds: the pcap PMD).
    pub timestamps: bool,
}

/// Counters of one port (rte_eth_stats).
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct PortStats {
    pub packets: u64,
    pub bytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub rx_nombuf: u64,
}

/// Ports EAL found.
pub fn count() -> u16 {
    unsafe { dpdk_sys::rte_eth_dev_count_avail() }
}

fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Configures port `id` with up to `want_queues` RX queues fed from `pool`, and starts it.
pub fn setup(id: u16, want_queues: u16, pool: Mempool) -> Result<PortInfo, String> {
    unsafe {
        let mut info: dpdk_sys::rte_eth_dev_info = std::mem::zeroed();
        let rc = dpdk_sys::rte_eth_dev_info_get(id, &mut info);
        if rc != 0 {
            return Err(format!(
                "port {id}: cannot read device info: {}",
                super::errno_string(rc)
            ));
        }
        let mut name_buf = [0 as c_char; 256];
        dpdk_sys::rte_eth_dev_get_name_by_port(id, name_buf.as_mut_ptr());
        let name = cstr(name_buf.as_ptr());
        let driver = cstr(info.driver_name);

        let rss_hf = info.flow_type_rss_offloads
            & (RSS_IPV4
                | RSS_FRAG_IPV4
                | RSS_NONFRAG_IPV4_TCP
                | RSS_IPV6
                | RSS_FRAG_IPV6
                | RSS_NONFRAG_IPV6_TCP);
        let max_q = info.max_rx_queues.max(1);
        let rss = rss_hf != 0 && want_queues > 1 && max_q > 1;
        let queues = if rss { want_queues.min(max_q) } else { 1 };

        let mut conf: dpdk_sys::rte_eth_conf = std::mem::zeroed();
        let mut key = symmetric_key(if info.hash_key_size > 0 {
            info.hash_key_size as usize
        } else {
            40
        });
        if rss {
            conf.rxmode.mq_mode = dpdk_sys::rte_eth_rx_mq_mode_RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = key.as_mut_ptr();
            conf.rx_adv_conf.rss_conf.rss_key_len = key.len() as u8;
            conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
        }
        // The pcap PMD stamps every packet with its capture time in microseconds (it registers
        // the dynamic field itself, whatever it advertises). NIC timestamps come in
        // driver-specific units, so live ports use the wall clock instead.
        let r = dpdk_sys::fmon_timestamp_register();
        if r < 0 {
            return Err(format!(
                "port {id}: cannot register the Rx timestamp field: {}",
                super::errno_string(r)
            ));
        }
        let timestamps = driver == "net_pcap";
        if info.rx_offload_capa & RX_OFFLOAD_SCATTER != 0 {
            conf.rxmode.offloads |= RX_OFFLOAD_SCATTER;
        }
        let tx_queues = if info.max_tx_queues > 0 { 1 } else { 0 };
        let rc = dpdk_sys::rte_eth_dev_configure(id, queues, tx_queues, &conf);
        if rc != 0 {
            return Err(format!(
                "port {id} ({name}): configure failed: {}",
                super::errno_string(rc)
            ));
        }
        let socket = dpdk_sys::rte_eth_dev_socket_id(id);
        let socket = if socket < 0 { 0 } else { socket as u32 };
        for q in 0..queues {
            let rc = dpdk_sys::rte_eth_rx_queue_setup(
                id,
                q,
                RX_DESC,
                socket,
                std::ptr::null(),
                pool.as_ptr(),
            );
            if rc != 0 {
                return Err(format!(
                    "port {id} ({name}): rx queue {q} set-up failed: {}",
                    super::errno_string(rc)
                ));
            }
        }
        if tx_queues > 0 {
            let rc = dpdk_sys::rte_eth_tx_queue_setup(id, 0, 512, socket, std::ptr::null());
            if rc != 0 {
                return Err(format!(
                    "port {id} ({name}): tx queue set-up failed: {}",
                    super::errno_string(rc)
                ));
            }
        }
        let rc = dpdk_sys::rte_eth_dev_start(id);
        if rc != 0 {
            return Err(format!(
                "port {id} ({name}): start failed: {}",
                super::errno_string(rc)
            ));
        }
        // Not every driver has a promiscuous mode (pcap files do not): ignore failure.
        let _ = dpdk_sys::rte_eth_promiscuous_enable(id);
        Ok(PortInfo {
            id,
            name,
            driver,
            rx_queues: queues,
            rss,
            timestamps,
        })
    }
}

/// Receives up to `out.capacity() - out.len()` packets from (port, queue) into `out`.
#[inline]
pub fn rx_burst(port: u16, queue: u16, out: &mut Vec<Mbuf>, max: u16) -> usize {
    // Not zeroed (4 KiB per poll otherwise): the driver writes the first `n` entries.
    let mut raw = [std::mem::MaybeUninit::<*mut dpdk_sys::rte_mbuf>::uninit(); 512];
    let max = max.min(512);
    let n = unsafe { dpdk_sys::fmon_rx_burst(port, queue, raw.as_mut_ptr().cast(), max) } as usize;
    for p in &raw[..n.min(512)] {
        // SAFETY: rte_eth_rx_burst initialised the first n (<= max <= 512) entries.
        if let Some(m) = unsafe { Mbuf::from_raw(p.assume_init()) } {
            out.push(m);
        }
    }
    n
}

/// The port's counters now.
pub fn stats(id: u16) -> PortStats {
    unsafe {
        let mut s: dpdk_sys::rte_eth_stats = std::mem::zeroed();
        if dpdk_sys::rte_eth_stats_get(id, &mut s) != 0 {
            return PortStats::default();
        }
        PortStats {
            packets: s.ipackets,
            bytes: s.ibytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            rx_nombuf: s.rx_nombuf,
        }
    }
}

/// Stops and closes a port.
pub fn close(id: u16) {
    unsafe {
        let _ = dpdk_sys::rte_eth_dev_stop(id);
        let _ = dpdk_sys::rte_eth_dev_close(id);
    }
}
