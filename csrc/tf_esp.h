//go:build ignore

/*
 * tf_esp.h - IPsec ESP tunnel mode state that Go fills (included by tf.h).
 *
 * Ownership: the gateway (Go, dataplane/esp.go) creates every SA at open
 * and frees them at close, after the workers stopped; tables only point at
 * them (tf_table.esp), so SA state (sequence numbers, replay window,
 * lifetime use) survives table publishes. A change to the SAs needs a
 * restart (Apply refuses it).
 */
#ifndef TF_ESP_H
#define TF_ESP_H

#include <stdint.h>

#include <rte_ipsec.h>
#include <rte_mbuf.h>

#define TF_SA_MAX_SEL	8	/* selectors ([[policy]] entries) per SA */
#define TF_ESP_HDR_MAX	64	/* Ethernet + outer IPv4 + UDP, or IPv6, of an outbound SA */
#define TF_RWIN_WORDS	128	/* replay bitmap: 4096 + 64 bits, a power of two words */

enum tf_sa_dir { TF_SA_OUT = 0, TF_SA_IN = 1 };
enum tf_sa_mode { TF_SA_CPU = 0, TF_SA_LOOKASIDE = 1 };

/*
 * tf_sel: one traffic selector (RFC 4301 4.4.1) over an inner packet of
 * the SA's family, as seen after decryption (inbound) or before
 * encryption (outbound).
 */
struct tf_sel {
	uint32_t src, src_mask;		/* IPv4, network order */
	uint32_t dst, dst_mask;
	uint8_t proto;			/* 0: any */
	uint8_t pad;
	uint16_t sport_lo, sport_hi;	/* host order, inclusive: 0..65535 = any */
	uint16_t dport_lo, dport_hi;
	uint8_t src6[16], dst6[16];	/* IPv6 (inner_af 6): prefixes, host bits zero */
	uint8_t src6_len, dst6_len;
};

/*
 * tf_sa: one SA with its librte_ipsec session. The constant part is written
 * by Go before any worker runs; the fields after "shared" are updated by
 * workers with atomics, once per group of packets, never per packet.
 */
struct tf_sa {
	struct rte_ipsec_session ss;	/* sa, crypto session, action type */
	uint8_t dir;			/* enum tf_sa_dir */
	uint8_t mode;			/* enum tf_sa_mode */
	uint8_t cdev;			/* crypto device id */
	uint8_t udp;			/* RFC 3948 UDP encapsulation */
	uint8_t iv_len, icv_len, pad_align, nb_sel;
	uint16_t out_port, mtu;		/* outbound: underlay port and its MTU */
	uint16_t hdr_len;		/* outbound template: Ethernet + IPv4 (+ UDP) */
	uint32_t ck4;			/* outbound IPv4: the template's header sum without TOS, length, id */
	uint16_t slot;			/* counter index (w->ctr.sa) */
	uint32_t spi;			/* network order */
	uint32_t local, remote;		/* IPv4 tunnel endpoints, network order */
	uint8_t af;			/* outer family: 4 or 6 */
	uint8_t local6[16];		/* IPv6 local endpoint (af 6) */
	uint32_t win;			/* anti-replay window, 0 = off */
	uint64_t life_pkts, life_bytes;	/* 0 = no limit; bytes as tf_esp_pkt.len counts them */
	struct tf_sel sel[TF_SA_MAX_SEL];	/* none: any inner packet */
	uint8_t inner_af;		/* family of the packets the SA carries: 4 or 6 (ESP next header 4 or 41) */
	/* shared */
	uint64_t used_pkts, used_bytes;
	uint32_t top_seq;		/* highest accepted sequence number (low 32 bits) */
	uint8_t esn;			/* 64-bit sequence numbers */
	/*
	 * tunfwd's own anti-replay window (RFC 6479 bitmap), set after the
	 * ICV verified: librte_ipsec 22.11 keeps its bit in a uint32_t
	 * (ipsec_sqn.h esn_inb_update_sqn), so numbers whose low 6 bits are
	 * 32..63 are never marked seen there. Exact with one worker per SA
	 * (RSS on the outer header gives that); with several, a concurrent
	 * advance may clear a word another worker just set.
	 */
	uint64_t rtop;			/* highest sequence number, ESN high bits included */
	uint64_t rwin[TF_RWIN_WORDS];
	uint8_t expired;		/* lifetime reached: every packet is dropped */
	struct rte_mempool *op_pool;	/* lookaside: crypto ops */
};

struct tf_esp {
	uint16_t nb_sa;
	struct tf_sa *sa;		/* [nb_sa] */
	struct rte_hash *in;		/* tf_sa_key of each inbound SA -> its index (tf_esp_index) */
};

/*
 * tf_sa_inner_mtu: the largest inner packet outbound SA sa carries within
 * its port's MTU: outer headers, ESP header, IV, the payload and trailer
 * padded to the cipher's alignment, ICV.
 */
static inline uint32_t
tf_sa_inner_mtu(const struct tf_sa *sa)
{
	int32_t room = (int32_t)sa->mtu - (sa->hdr_len - RTE_ETHER_HDR_LEN) - 8 - sa->iv_len - sa->icv_len;
	int32_t pad = sa->pad_align ? sa->pad_align : 1;

	room = room / pad * pad - 2;	/* the trailer's pad length and next header */
	return room > 0 ? (uint32_t)room : 0;
}

/* tf_sa_key: what finds an inbound SA (RFC 4301 4.1: SPI and destination). 24 bytes, no padding. */
struct tf_sa_key {
	uint32_t spi;			/* network order */
	uint32_t af;			/* 4 or 6 */
	uint8_t dst[16];		/* the local address; IPv4 in the first 4 bytes, the rest zero */
};

/* One ESP packet of a burst, waiting to be processed with its SA's group. */
struct tf_esp_pkt {
	struct rte_mbuf *m;
	uint16_t sa;			/* index in tf_esp.sa */
	uint16_t in;			/* rx port */
	uint32_t seq;			/* inbound: ESP sequence number, host order */
	uint32_t len;			/* lifetime charge: inner bytes out, ESP payload and trailer in */
	uint8_t tos;			/* outer TOS (inbound) or inner TOS (outbound) */
	uint8_t state;			/* 0: waiting, 1: done */
};

/*
 * Room for every packet of a burst twice: an inbound packet may be routed
 * back into an outbound SA while the burst's ESP is processed.
 */
struct tf_esp_stage {
	uint16_t n;
	struct tf_esp_pkt p[2 * TF_BURST_MAX];
	uint8_t via_sa;			/* the packet in hand was decrypted by an SA (tf_esp_gre_in) */
	uint8_t each;			/* the burst went packet by packet (tap armed): no short ways */
};

enum tf_alg { TF_ALG_AES_GCM = 1, TF_ALG_AES_CBC = 2, TF_ALG_NULL = 3 };
enum tf_auth { TF_AUTH_NONE = 0, TF_AUTH_SHA1_96 = 1, TF_AUTH_SHA256_128 = 2, TF_AUTH_NULL = 3 };

/* tf_sa_conf: what Go gives tf_sa_init for one SA (keys are copied by the session). */
struct tf_sa_conf {
	uint32_t spi;			/* host order */
	uint32_t win;
	uint64_t flags;			/* RTE_IPSEC_SAFLAG_* */
	uint64_t seq_start;		/* outbound: first sequence number (0: 1) */
	uint8_t dir, mode, esn, cdev;
	uint8_t alg, auth, key_len, auth_key_len;
	uint8_t key[32];
	uint8_t auth_key[64];
	uint8_t salt[4];
	uint8_t hdr_len;
	uint8_t af;			/* outer family of hdr: 4 or 6 */
	uint8_t hdr[TF_ESP_HDR_MAX];	/* Ethernet + outer IPv4 (+ UDP) or IPv6, lengths and checksum zero */
	uint8_t inner_af;		/* 4 or 6: the packets the SA carries */
};

/* Control path (EAL main lcore, crypto.c). All return 0 or -errno unless noted. */
int tf_crypto_probe(const char *name, const char *args, int vdev, uint8_t *dev);
int tf_crypto_info(uint8_t dev, uint32_t *sess_size, int *cpu, uint16_t *max_qp);
/* the pools return NULL on error (rte_errno) */
struct rte_mempool *tf_crypto_sess_pool(const char *name, uint32_t n, uint32_t elt);
struct rte_mempool *tf_crypto_op_pool(const char *name, uint32_t n, uint32_t cache);
int tf_crypto_setup(uint8_t dev, uint16_t nb_qp, uint32_t nb_desc, struct rte_mempool *sess_pool);
int tf_crypto_close(uint8_t dev, const char *name, int vdev);
/* tf_sa_init makes sa's librte_ipsec SA, crypto session and prepared session. */
int tf_sa_init(struct tf_sa *sa, const struct tf_sa_conf *c, struct rte_mempool *sess_pool);
void tf_sa_fini(struct tf_sa *sa);
/* tf_esp_index builds e->in over e's inbound SAs (name: unique hash name); tf_esp_unindex frees it. */
int tf_esp_index(struct tf_esp *e, const char *name);
void tf_esp_unindex(struct tf_esp *e);

#endif /* TF_ESP_H */
