//! Raw bindings to the system DPDK (bindgen over rte_eal / rte_ethdev / rte_mbuf / rte_lcore /
//! rte_mempool headers) plus `fmon_*` wrappers of DPDK's static inline functions (shim.c).
//! Only `src/dpdk/` of the fmon-dpdk crate uses this.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
