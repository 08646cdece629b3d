/* C shim: DPDK's static inline functions, made callable from Rust. */
#ifndef FMON_DPDK_SHIM_H
#define FMON_DPDK_SHIM_H
#include <stdint.h>
struct rte_mbuf;
struct rte_mempool;

uint16_t fmon_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
void fmon_pktmbuf_free(struct rte_mbuf *m);
/* Frees `n` mbufs at once. */
void fmon_pktmbuf_free_bulk(struct rte_mbuf **m, unsigned int n);
/* Data pointer and lengths of one segment. */
const uint8_t *fmon_mbuf_data(const struct rte_mbuf *m);
uint16_t fmon_mbuf_data_len(const struct rte_mbuf *m);
uint32_t fmon_mbuf_pkt_len(const struct rte_mbuf *m);
uint16_t fmon_mbuf_nb_segs(const struct rte_mbuf *m);
struct rte_mbuf *fmon_mbuf_next(const struct rte_mbuf *m);
/* Registers the Rx timestamp dynamic field/flag; returns 0 or a negative errno. */
int fmon_timestamp_register(void);
/* Rx timestamp in the driver's units (ns for the pcap PMD) if the mbuf carries one, else 0. */
uint64_t fmon_mbuf_rx_timestamp(const struct rte_mbuf *m);
unsigned int fmon_lcore_id(void);
int fmon_errno(void);
unsigned int fmon_mempool_avail(const struct rte_mempool *mp);
void fmon_pause(void);
uint64_t fmon_rdtsc(void);
uint64_t fmon_tsc_hz(void);
#endif
