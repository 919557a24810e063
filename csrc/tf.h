//go:build ignore

/*
 * tf.h - the only header cgo sees: the structs Go fills and the C entry points.
 *
 * Threads and ownership:
 *  - Go's control thread (the EAL main lcore, see dataplane/eal.go) allocates
 *    every struct below in rte_malloc memory and calls every tf_* function
 *    except tf_worker_main, which runs on a worker lcore.
 *  - A tf_table is immutable once published: Go builds a new one, publishes it
 *    with tf_publish (atomic pointer swap + RCU grace period) and frees the old.
 *  - A tf_worker is written by Go before launch; afterwards Go only raises
 *    ->quit (atomic) and reads ->ctr (plain 64-bit loads, never torn on x86-64).
 *  - Mbufs: a worker owns every mbuf it receives until it hands it to a tx
 *    queue (the PMD then owns it) or frees it. No mbuf crosses into Go.
 */
#ifndef TF_H
#define TF_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/*
 * DPDK 22.11 swaps bytes on x86 with volatile inline asm: xchgb for 16 bits
 * (three uops) that the compiler may neither fold, merge nor move. The
 * builtins give the same values as a rotate or bswap the compiler schedules
 * like any other expression; every rte_be_to_cpu_* and rte_cpu_to_be_* of
 * the dataplane, and of the DPDK inlines it calls, goes through them.
 */
#undef rte_bswap16
#undef rte_bswap32
#undef rte_bswap64
#define rte_bswap16(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define rte_bswap32(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define rte_bswap64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))

#define TF_MAX_PORTS	16
#define TF_MAX_TUNNELS	4096
#define TF_MAX_WORKERS	16
#define TF_MAX_ADDRS	8	/* IPv4 (and IPv6) addresses per port */
#define TF_MAX_LOCAL	64	/* IPv4 (and IPv6) addresses of the gateway, all ports */
#define TF_MAX_UDP	8	/* UDP ports that carry a tunnel protocol */
#define TF_BURST_MAX	64
#define TF_TXBUF	64
#define TF_HDR_MAX	240	/* bytes of an encap template (SRv6: up to 11 segments) */
#define TF_MAX_SIDS	256	/* local SRv6 SIDs */
#define TF_NO_TUNNEL	0xffff
#define TF_NO_PORT	0xffff	/* l2_port of a VXLAN tunnel no [[l2]] binds */
#define TF_MAX_SAS	256

/*
 * Drop reasons, declared once: the C enum, and through tf_drop_name() the
 * names Go shows in stats, JSON and the CLI.
 */
#define TF_DROP_LIST(X) \
	X(NOT_LOCAL,         "not_local",         "not addressed to this gateway (L2 or L3 destination)") \
	X(UNSUPPORTED,       "unsupported",       "ethertype or protocol this port does not handle") \
	X(LOCAL_UNHANDLED,   "local_unhandled",   "addressed to the gateway but neither a tunnel nor an echo request") \
	X(TRUNCATED,         "truncated",         "a header runs past the end of the frame") \
	X(BAD_IP_HEADER,     "bad_ip_header",     "IP version or header length invalid") \
	X(BAD_IP_CHECKSUM,   "bad_ip_checksum",   "IPv4 header checksum wrong") \
	X(BAD_IP_LENGTH,     "bad_ip_length",     "IP length larger than the frame or smaller than its header") \
	X(FRAGMENT,          "fragment",          "outer IP fragment (no reassembly)") \
	X(BAD_UDP,           "bad_udp",           "UDP length inconsistent with the IP payload") \
	X(BAD_UDP_CHECKSUM,  "bad_udp_checksum",  "non-zero UDP checksum wrong") \
	X(BAD_GRE,           "bad_gre_header",    "GRE reserved flags set or version not 0") \
	X(BAD_GRE_CHECKSUM,  "bad_gre_checksum",  "GRE checksum wrong") \
	X(BAD_ICMP_CHECKSUM, "bad_icmp_checksum", "ICMP or ICMPv6 message to the gateway with a wrong checksum") \
	X(BAD_ND,            "bad_nd",            "Neighbour Solicitation that RFC 4861 section 7.1.1 says to discard") \
	X(BAD_IPV6_EXT,      "bad_ipv6_ext",      "IPv6 extension header malformed, or one the gateway does not process") \
	X(UDP6_ZERO_CSUM,    "udp6_zero_checksum", "zero UDP checksum over IPv6 on a tunnel that does not accept it (RFC 6935)") \
	X(BAD_VXLAN,         "bad_vxlan_header",  "VXLAN I flag not set") \
	X(BAD_L2TP_VERSION,  "bad_l2tp_version",  "L2TP version that no tunnel on this UDP port speaks (2: RFC 2661, 3: RFC 3931)") \
	X(L2TP_CONTROL,      "l2tp_control",      "L2TP control message (T bit, or L2TPv3 session 0): the control plane is not the data path's") \
	X(BAD_L2TP_LENGTH,   "bad_l2tp_length",   "L2TPv2 Length field (L bit) not the UDP payload length") \
	X(BAD_L2TP_OFFSET,   "bad_l2tp_offset",   "L2TPv2 Offset Size points past the end of the message") \
	X(BAD_L2TP_COOKIE,   "bad_l2tp_cookie",   "L2TPv3 cookie not the session's (RFC 3931 4.1)") \
	X(PPP_NOT_IP,        "ppp_not_ip",        "PPP protocol neither IPv4 nor IPv6 (LCP, IPCP, ...: PPP negotiation is not the data path's)") \
	X(UNKNOWN_TUNNEL,    "unknown_tunnel",    "no tunnel for this (source, destination, key) or VNI") \
	X(UNKNOWN_PAYLOAD,   "unknown_payload",   "tunnel payload type this gateway does not carry") \
	X(ECN_NOT_ECT,       "ecn_ce_not_ect",    "outer CE over a not-ECT inner packet (RFC 6040)") \
	X(TTL_EXPIRED,       "ttl_expired",       "TTL or hop limit exhausted") \
	X(NO_ROUTE,          "no_route",          "no route for the inner destination") \
	X(NO_L2_BINDING,     "no_l2_binding",     "frame on a port or VLAN bound to no L2 tunnel") \
	X(MTU_EXCEEDED,      "mtu_exceeded",      "packet larger than the output MTU") \
	X(NO_HEADROOM,       "no_headroom",       "no room in the mbuf to prepend headers") \
	X(TX_FULL,           "tx_full",           "output queue full") \
	X(NO_TABLE,          "no_table",          "no forwarding table published yet") \
	X(ESP_NO_SA,         "esp_no_sa",         "ESP with an SPI no inbound SA has, to this address") \
	X(ESP_BAD_LENGTH,    "esp_bad_length",    "ESP shorter than header, IV and ICV, or not whole cipher blocks") \
	X(ESP_AUTH_FAILED,   "esp_auth_failed",   "ESP integrity check (ICV) failed") \
	X(ESP_REPLAYED,      "esp_replayed",      "ESP sequence number already received (RFC 4303 3.4.3)") \
	X(ESP_OUTSIDE_WINDOW, "esp_outside_window", "ESP sequence number left of the anti-replay window") \
	X(ESP_BAD_PADDING,   "esp_bad_padding",   "decrypted ESP trailer: padding or next header wrong") \
	X(POLICY_MISMATCH,   "policy_mismatch",   "packet outside the selectors of its SA (RFC 4301 5.2)") \
	X(ESP_SEQ_OVERFLOW,  "esp_seq_overflow",  "outbound SA sequence number space exhausted") \
	X(ESP_SA_EXPIRED,    "esp_sa_expired",    "SA past its packet or byte lifetime") \
	X(ESP_UDP_NON_ESP,   "esp_udp_non_esp",   "UDP 4500 payload that is IKE (non-ESP marker) or a NAT keepalive") \
	X(ESP_CRYPTO,        "esp_crypto_error",  "crypto op allocation, enqueue or device error") \
	X(ESP_CHAINED,       "esp_chained",       "mbuf chain longer than one segment holds, for a cpu-crypto SA (its PMD takes one segment; lookaside takes chains)") \
	X(GRE_NOT_PROTECTED, "gre_not_protected", "clear GRE for a tunnel protected by an SA: it takes only GRE that an SA decrypted") \
	X(SRH_TRUNCATED,     "srh_truncated",     "SRH (its segment list) runs past the packet") \
	X(SRH_LAST_ENTRY,    "srh_bad_last_entry", "SRH Last Entry beyond Hdr Ext Len (RFC 8754 4.3.1.1)") \
	X(SRH_SEGMENTS_LEFT, "srh_bad_segments_left", "SRH Segments Left greater than Last Entry + 1 (RFC 8754 4.3.1.1)") \
	X(SRV6_SL_NOT_ZERO,  "srv6_segments_left", "Segments Left not 0 at a SID that ends the path (RFC 8986 4.4-4.9)") \
	X(SRV6_UPPER_LAYER,  "srv6_bad_upper_layer", "upper-layer header the SID does not accept (RFC 8986 4.1.1)") \
	X(SRV6_HOP_LIMIT,    "srv6_hop_limit",    "hop limit exhausted at an End or End.X SID (RFC 8986 4.1)")

#define TF_DROP_ENUM(e, name, help) TF_DROP_##e,
enum tf_drop { TF_DROP_LIST(TF_DROP_ENUM) TF_DROP_MAX };
#undef TF_DROP_ENUM

/* tf_drop_name returns the short name of a reason, tf_drop_help its sentence. */
const char *tf_drop_name(unsigned int reason);
const char *tf_drop_help(unsigned int reason);

enum tf_side { TF_SIDE_INNER = 0, TF_SIDE_UNDERLAY = 1 };
enum tf_tun_type { TF_TUN_GRE = 1, TF_TUN_VXLAN = 2, TF_TUN_ESP = 3, TF_TUN_SRV6 = 4,
		   TF_TUN_L2TPV2 = 5, TF_TUN_L2TPV3 = 6 };

#define TF_TUN_F_SEQ		0x01	/* GRE: send sequence numbers (RFC 2890) */
#define TF_TUN_F_CSUM		0x02	/* GRE: send the checksum (RFC 2784) */
#define TF_TUN_F_DSCP_COPY	0x04	/* outer DSCP from the inner header */
#define TF_TUN_F_KEY		0x08	/* GRE: the template carries a key */
#define TF_TUN_F_UDP6_ZERO_TX	0x10	/* UDP over IPv6: send a zero checksum (RFC 6935) */
#define TF_TUN_F_UDP6_ZERO_RX	0x20	/* UDP over IPv6: accept a zero checksum (RFC 6936) */
#define TF_TUN_F_L2TP_LEN	0x40	/* L2TPv2: send the Length field (L bit) */
#define TF_TUN_F_L2TP_SUBLAYER	0x80	/* L2TPv3: default L2-specific sublayer (RFC 3931 4.6) both ways */
#define TF_TUN_F_L2TP_UDP	0x100	/* L2TPv3: over UDP (else IP protocol 115) */
#define TF_TUN_F_ESP		0x200	/* GRE over IPsec: packets go into outbound SA sa, not out */

/*
 * Tunnels the burst loops encapsulate inline (worker.c): the common shapes,
 * decided once per table so that the loop tests one byte per packet.
 */
enum tf_fast {
	TF_FAST_NONE = 0,
	TF_FAST_GRE4,		/* GRE over IPv4, no sequence number, no checksum */
	TF_FAST_VXLAN4,		/* VXLAN over IPv4 */
	TF_FAST_L2TPV2_4,	/* L2TPv2 over IPv4 (IPv4 inner) */
	TF_FAST_L2TPV3_4,	/* L2TPv3 over IPv4 (IP or UDP), no sequence number */
	TF_FAST_SRV6,		/* SRv6 H.Encaps / H.Encaps.Red of IPv4 (template >= 48 bytes) */
};

/*
 * tf_tunnel: one tunnel, with its encap template (Ethernet + outer IPv4 or
 * IPv6 + GRE or UDP/VXLAN, every constant field filled by Go, lengths, IPv4
 * id, flow label and checksums zero).
 */
struct tf_tunnel {
	uint8_t type;		/* enum tf_tun_type */
	uint8_t af;		/* outer IP version: 4 or 6 */
	uint16_t flags;		/* TF_TUN_F_* */
	uint8_t tos;		/* fixed DSCP << 2 when !DSCP_COPY */
	uint8_t hdr_len;	/* bytes used in hdr[] */
	uint16_t slot;		/* counter and sequence slot, stable across tables */
	uint16_t out_port;	/* underlay port of the next hop */
	uint16_t l2_port;	/* L2 tunnels: where decapsulated frames go */
	uint16_t l2_vlan;	/* L2 tunnels: VLAN to tag them with, 0 = none */
	uint16_t sport_min;	/* UDP source port range: min .. min+span-1 */
	uint16_t sport_span;
	uint16_t l4_off;	/* offset of GRE / UDP in hdr[]; SRv6: of the Next Header byte to patch */
	uint16_t mtu;		/* output port MTU: the largest outer IP packet */
	uint8_t fast;		/* enum tf_fast: set by tf_table_build, not by Go */
	/*
	 * One's complement sum of the template's outer IPv4 header words (host
	 * order values) with length, id, TOS and checksum taken as zero: the
	 * worker adds the per-packet words instead of reading back the header
	 * it just wrote (a store-forwarding stall).
	 */
	uint32_t ip_csum_base;
	uint8_t cookie_len;	/* L2TPv3: bytes of cookie expected on receive: 0, 4 or 8 */
	uint8_t cookie[8];
	uint16_t sa;		/* TF_TUN_F_ESP: index of the outbound SA in esp */
	const struct tf_esp *esp;	/* TF_TUN_F_ESP: the gateway's SAs (dataplane/esp.go fillESP) */
	uint8_t hdr[TF_HDR_MAX] __rte_aligned(16);
};

/*
 * Decapsulation key: GRE by (remote, local, key), VXLAN by (local, port,
 * VNI), L2TPv2 by (remote, local, port, tunnel id << 16 | session id),
 * L2TPv3 by (remote, local, UDP port or 0 over IP, session id). 16 bytes,
 * no padding: the worker builds it as two words.
 */
struct tf_decap_key {
	uint8_t type;		/* enum tf_tun_type */
	uint8_t has_key;	/* GRE: key field present */
	uint16_t port;		/* VXLAN: UDP destination port, host order */
	uint32_t id;		/* GRE key or VNI, host order */
	uint32_t src;		/* GRE, L2TP: remote IPv4 (network order); VXLAN: 0 */
	uint32_t dst;		/* local IPv4 (network order) */
};

/* The same key for a tunnel over IPv6: 40 bytes, no padding. */
struct tf_decap_key6 {
	uint8_t type;
	uint8_t has_key;
	uint16_t port;
	uint32_t id;
	uint8_t src[16];	/* GRE, L2TP: remote IPv6; VXLAN: zero */
	uint8_t dst[16];	/* local IPv6 */
};

enum tf_route_kind { TF_RT_TUNNEL = 1, TF_RT_NEXTHOP = 2, TF_RT_ESP = 3 };
/* a local address lies in the prefix: a packet routed by it may be for the gateway */
#define TF_RT_F_LOCAL	0x01
/*
 * an IPv4 route with no other route inside it (nor a local address): every
 * destination in its prefix is routed by it, so the burst loops compare the
 * prefix instead of looking each packet up
 */
#define TF_RT_F_LEAF	0x02

struct tf_route {
	uint8_t kind;		/* enum tf_route_kind */
	uint8_t af;		/* 4 or 6 */
	uint8_t depth;		/* prefix length */
	uint8_t flags;		/* TF_RT_F_*, set by tf_table_build */
	uint16_t idx;		/* tunnel or next hop index */
	uint8_t addr[16];	/* prefix, network order (IPv4 in the first 4) */
};

struct tf_nexthop {
	uint16_t port;
	struct rte_ether_addr mac;	/* destination MAC */
};

/* Per-port view of the gateway, inside a table. */
struct tf_port {
	uint8_t side;		/* enum tf_side */
	uint8_t l2;		/* port is bridged into L2 tunnels */
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint16_t nb_addr4;
	uint32_t addr4[TF_MAX_ADDRS];	/* network order */
	uint16_t nb_addr6;
	uint8_t addr6[TF_MAX_ADDRS][16];
	uint16_t l2_untagged;	/* tunnel index for untagged frames, TF_NO_TUNNEL if none */
	uint16_t l2_vlan[4096];	/* tunnel index per VLAN id, TF_NO_TUNNEL if none */
};

/* SRv6 endpoint behaviours (RFC 8986 section 4). */
enum tf_sid_behavior {
	TF_SID_END = 1, TF_SID_END_X, TF_SID_END_DX4, TF_SID_END_DX6,
	TF_SID_END_DT4, TF_SID_END_DT6, TF_SID_END_DX2,
};

/* tf_sid: one local SID, matched longest-prefix on the IPv6 destination. */
struct tf_sid {
	uint8_t behavior;	/* enum tf_sid_behavior */
	uint8_t depth;		/* prefix length, 128 for a full SID */
	uint16_t nexthop;	/* End.X, End.DX4, End.DX6: index into nexthops */
	uint16_t port;		/* End.DX2: output port */
	uint16_t vlan;		/* End.DX2: VLAN to tag with, 0 = none */
	uint8_t addr[16];
};

struct tf_udp_proto {
	uint16_t port;		/* host order */
	uint8_t type;		/* enum tf_tun_type */
	uint8_t l2tp;		/* L2TP: bit 1 << version for each version a tunnel on the port speaks */
};

/* tf_table: one immutable forwarding snapshot. */
struct tf_table {
	uint16_t nb_ports;
	uint16_t nb_tunnels;
	uint16_t nb_routes;
	uint16_t nb_nexthops;
	uint16_t nb_local4;
	uint16_t nb_udp;
	uint16_t nb_local6;
	uint32_t gen;			/* unique per build: keys the workers' last-tunnel cache */
	uint32_t local4[TF_MAX_LOCAL];	/* every local IPv4, network order */
	uint8_t local6[TF_MAX_LOCAL][16];	/* every local IPv6 */
	struct tf_udp_proto udp[TF_MAX_UDP];
	struct tf_port port[TF_MAX_PORTS];
	struct tf_tunnel *tunnels;	/* [nb_tunnels] */
	struct tf_decap_key *keys;	/* [nb_tunnels], input of the decap hash (af 4 tunnels) */
	struct tf_decap_key6 *keys6;	/* [nb_tunnels], input of decap6 (af 6 tunnels) */
	struct tf_route *routes;	/* [nb_routes] */
	struct tf_nexthop *nexthops;	/* [nb_nexthops] */
	struct rte_hash *decap;		/* key -> tunnel index */
	struct rte_hash *decap6;	/* key6 -> tunnel index */
	struct rte_lpm *lpm4;		/* IPv4 routes -> route index */
	struct rte_lpm6 *lpm6;		/* IPv6 routes -> route index */
	struct tf_esp *esp;		/* SAs: owned by the gateway, not the table; NULL if none */
	uint16_t nb_sids;
	struct tf_sid *sids;		/* [nb_sids], tf_table_alloc_sids */
	struct rte_lpm6 *sid6;		/* SID prefix -> sid index (NULL without SIDs) */
	uint32_t icmp_rate;		/* ICMP and ICMPv6 errors per second per worker (refill) */
	uint32_t icmp_burst;		/* and at most this many at once; 0 = never sent */
	uint64_t icmp_cost;		/* TSC cycles per token, 0 = no refill (tf_table_build) */
};

/* tf_table_alloc returns a zeroed table with its arrays, or NULL. */
struct tf_table *tf_table_alloc(uint16_t nb_tunnels, uint16_t nb_routes,
				uint16_t nb_nexthops);
/* tf_table_alloc_sids gives t a zeroed SID array of n; 0 or -ENOMEM. */
int tf_table_alloc_sids(struct tf_table *t, uint16_t n);
/* tf_table_build makes the lookup structures from the arrays; 0 or -errno. */
int tf_table_build(struct tf_table *t, uint32_t gen);
void tf_table_free(struct tf_table *t);

struct tf_port_ctr {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t drops;		/* dropped after rx on this port, any reason */
	uint64_t tx_full;	/* refused by this port's tx queue (also in drop[TF_DROP_TX_FULL]) */
};

struct tf_tun_ctr {
	uint64_t encap_pkts, encap_bytes;	/* inner bytes into the tunnel */
	uint64_t decap_pkts, decap_bytes;	/* inner bytes out of it */
};

struct tf_sa_ctr {
	uint64_t pkts, bytes;	/* inner packets and bytes through the SA */
	uint64_t errors;	/* packets of this SA dropped, any reason */
};

struct tf_sid_ctr {
	uint64_t pkts, bytes;	/* packets a SID processed, bytes as received */
};

struct tf_counters {
	uint64_t polls, busy_polls;
	uint64_t arp_replies, nd_replies, echo_replies, routed;
	uint64_t fragmented, fragments;	/* IPv4 packets cut (frag.c), fragments made of them */
	uint64_t drop[TF_DROP_MAX];
	uint64_t icmp_err[TF_DROP_MAX];	/* ICMP(v6) errors sent instead of a drop, by its reason */
	struct tf_sid_ctr sid[TF_MAX_SIDS];	/* by index in the table's SID array */
	struct tf_port_ctr port[TF_MAX_PORTS];
	struct tf_tun_ctr tun[TF_MAX_TUNNELS];
	struct tf_sa_ctr sa[TF_MAX_SAS];
};

/* Shared by all workers: the published table and state that outlives tables. */
struct tf_shared {
	struct tf_table *table;		/* published snapshot, atomic */
	struct rte_rcu_qsbr *qs;
	uint32_t gre_seq[TF_MAX_TUNNELS];	/* by slot; atomic increments */
};

struct tf_worker;

#include "tf_esp.h"

/* Where a routed packet goes (tf_too_big, tf_frag4): the index is of that kind. */
enum tf_via { TF_VIA_NEXTHOP = 0, TF_VIA_TUNNEL, TF_VIA_SA };

/*
 * Tap: a worker copies the packets it receives on tapped ports, with what it
 * did with each, into a single-producer ring that Go drains (trace and
 * capture). Off, it costs one predictable branch per packet.
 */
#define TF_TAP_SLOTS	512
#define TF_TAP_SNAP	2048

enum tf_action {
	TF_ACT_NONE = 0, TF_ACT_ENCAP, TF_ACT_DECAP, TF_ACT_ROUTE, TF_ACT_REPLY, TF_ACT_DROP,
};

struct tf_tap_rec {
	uint64_t tsc;
	uint32_t pkt_len;	/* as received */
	uint16_t cap_len;	/* bytes in data[] */
	uint16_t in_port;
	uint16_t out_port;	/* 0xffff: none */
	uint16_t tunnel;	/* slot, TF_NO_TUNNEL: none */
	uint8_t action;		/* enum tf_action: the last step taken */
	uint8_t reason;		/* enum tf_drop when action is DROP */
	uint8_t data[TF_TAP_SNAP];
};

struct tf_tap {
	uint32_t port_mask;	/* ports tapped, bit per port id (Go writes before left) */
	uint32_t left;		/* records still wanted; 0 = off (Go arms, worker counts down) */
	uint32_t head;		/* records written (worker, release) */
	uint32_t tail;		/* records consumed (Go, release) */
	struct tf_tap_rec *recs;	/* [TF_TAP_SLOTS] */
};

/* tf_tap_arm starts tapping n packets of the ports in mask; 0 on success. */
int tf_tap_arm(struct tf_worker *w, uint32_t mask, uint32_t n);
/* tf_tap_disarm stops tapping (records already written stay readable). */
void tf_tap_disarm(struct tf_worker *w);
/* tf_tap_head returns the worker's record count (acquire). */
uint32_t tf_tap_head(struct tf_worker *w);
/* tf_tap_consume marks records up to tail read. */
void tf_tap_consume(struct tf_worker *w, uint32_t tail);

struct tf_rxq {
	uint16_t port;
	uint16_t queue;
};

struct tf_txbuf {
	uint16_t n;
	uint64_t bytes;			/* frame bytes of m[0..n), summed as they are queued */
	struct rte_mbuf *m[TF_TXBUF];
};

/*
 * tf_dmask: the mask a uniform decap burst compares its frames under
 * (struct tf_sig64), one per kind of decap, rebuilt only when its key, all
 * it depends on, changes.
 */
enum { TF_DMASK_GRE, TF_DMASK_L2TPV2, TF_DMASK_L2TPV3, TF_DMASK_SRV6, TF_DMASK_KINDS };

struct tf_dmask {
	uint32_t key;			/* 0: none yet */
	uint8_t m[64] __rte_aligned(16);
};

struct tf_worker {
	uint32_t quit;			/* raised by Go, atomic */
	uint32_t idle_us;		/* sleep after an empty poll, 0 = spin */
	uint16_t id;			/* RCU thread id, 0..TF_MAX_WORKERS-1 */
	uint16_t burst;
	uint16_t nb_rxq;
	uint16_t ip_id;			/* outer IPv4 identification */
	struct tf_rxq rxq[TF_MAX_PORTS];
	uint16_t txq[TF_MAX_PORTS];	/* this worker's tx queue on each port */
	struct tf_shared *sh;
	uint16_t nb_free;
	struct rte_mbuf *free[TF_BURST_MAX];
	struct tf_txbuf tx[TF_MAX_PORTS];
	struct tf_tap_rec *tr;		/* the record of the packet in hand, when tapped */
	/* last decap lookup: most traffic on a link comes from one tunnel */
	uint32_t lc_gen;		/* table generation the entry belongs to, 0 = empty */
	uint16_t lc_idx;
	uint64_t lc_lo, lc_hi;		/* the key as tf_key_lo / tf_key_hi build it */
	/* ICMP error token bucket (tf_icmp_allow) */
	uint32_t icmp_init;		/* 0: not filled yet */
	uint32_t icmp_credit;		/* errors that may be sent now */
	uint64_t icmp_tsc;		/* TSC of the last refill */
	struct tf_tap tap;
	struct tf_esp_stage esp;	/* ESP packets of the burst in hand */
	struct tf_dmask dmask[TF_DMASK_KINDS];	/* the decap bursts' masks (tf_dmask_get) */
	struct tf_counters ctr __rte_cache_aligned;
};

/* tf_shared_new allocates the shared block with its RCU variable; NULL on error. */
struct tf_shared *tf_shared_new(uint16_t nb_workers);
void tf_shared_free(struct tf_shared *sh);
/*
 * tf_publish installs t and waits until no worker can still read the table it
 * replaced, which it returns for the caller to free (NULL if none).
 */
struct tf_table *tf_publish(struct tf_shared *sh, struct tf_table *t);
/* tf_quiesce waits until every online worker has finished the loop iteration in hand. */
void tf_quiesce(struct tf_shared *sh);
/* tf_seq_reset restarts a slot's GRE sequence at 0 (a slot given to a new tunnel). */
void tf_seq_reset(struct tf_shared *sh, uint16_t slot);

/* tf_worker_main is the lcore entry point (rte_eal_remote_launch). */
int tf_worker_main(void *arg);
/* tf_worker_stop raises the quit flag of w. */
void tf_worker_stop(struct tf_worker *w);
/* tf_worker_reset clears the quit flag before a launch. */
void tf_worker_reset(struct tf_worker *w);

/*
 * tf_process_burst runs the packet path over pkts as if received on port
 * (for tests and fuzzing from the control thread) and flushes tx.
 */
void tf_process_burst(struct tf_worker *w, uint16_t port,
		      struct rte_mbuf **pkts, uint16_t n);

/* Control-path helpers (EAL main lcore). All return 0 or -errno. */
int tf_port_setup(uint16_t port, uint16_t nb_q, uint16_t nb_rxd, uint16_t nb_txd,
		  uint16_t mtu, int promisc, struct rte_mempool *mp);
int tf_eal_init(int argc, char **argv);
/* tf_port_probe probes devargs (a vdev; NULL for a device EAL probed) and finds its port. */
int tf_port_probe(const char *devargs, const char *name, uint16_t *port);
/* tf_port_close closes a stopped port and, with remove, detaches its device. */
int tf_port_close(uint16_t port, int remove);
int tf_worker_launch(struct tf_worker *w, unsigned int lcore);
int tf_errno(void);
/*
 * tf_mbuf_pool is rte_pktmbuf_pool_create (default data room, any socket);
 * packed, its mbufs may cross page boundaries (RTE_MEMPOOL_F_NO_IOVA_CONTIG):
 * for ports that do no DMA on 4 KB pages. NULL on error, rte_errno set.
 */
struct rte_mempool *tf_mbuf_pool(const char *name, unsigned int n, unsigned int cache, int packed);

#endif /* TF_H */
