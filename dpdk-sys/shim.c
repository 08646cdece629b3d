/* C shim for DPDK static inline functions (see shim.h). */
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include "shim.h"

static int ts_offset = -1;
static uint64_t ts_flag;

uint16_t fmon_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
    return rte_eth_rx_burst(port, queue, pkts, n);
}
void fmon_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }
void fmon_pktmbuf_free_bulk(struct rte_mbuf **m, unsigned int n) { rte_pktmbuf_free_bulk(m, n); }
const uint8_t *fmon_mbuf_data(const struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, const uint8_t *); }
uint16_t fmon_mbuf_data_len(const struct rte_mbuf *m) { return m->data_len; }
uint32_t fmon_mbuf_pkt_len(const struct rte_mbuf *m) { return m->pkt_len; }
uint16_t fmon_mbuf_nb_segs(const struct rte_mbuf *m) { return m->nb_segs; }
struct rte_mbuf *fmon_mbuf_next(const struct rte_mbuf *m) { return m->next; }
int fmon_timestamp_register(void) {
    int r = rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag);
    if (r < 0) { ts_offset = -1; return -rte_errno; }
    return 0;
}
uint64_t fmon_mbuf_rx_timestamp(const struct rte_mbuf *m) {
    if (ts_offset < 0 || !(m->ol_flags & ts_flag)) return 0;
    return *RTE_MBUF_DYNFIELD(m, ts_offset, const rte_mbuf_timestamp_t *);
}
unsigned int fmon_lcore_id(void) { return rte_lcore_id(); }
int fmon_errno(void) { return rte_errno; }
unsigned int fmon_mempool_avail(const struct rte_mempool *mp) { return rte_mempool_avail_count(mp); }
void fmon_pause(void) { rte_pause(); }
uint64_t fmon_rdtsc(void) { return rte_rdtsc(); }
uint64_t fmon_tsc_hz(void) { return rte_get_tsc_hz(); }
