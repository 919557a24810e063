//go:build ignore

/* tf_wire.h - wire formats DPDK 22.11 does not spell the way we need them. */
#ifndef TF_WIRE_H
#define TF_WIRE_H

#include <stdint.h>

#include <rte_common.h>

/*
 * GRE flags and version word (RFC 2784 section 2, RFC 2890 section 2), the
 * first 16 bits of the header in network order:
 *   bit 0 C (checksum present), bit 1 R, bit 2 K (key present, RFC 2890),
 *   bit 3 S (sequence present, RFC 2890), bit 4 s, bits 5-7 recursion
 *   (bits 1, 4-5 are RFC 1701's: a receiver discards when set),
 *   bits 6-12 reserved (ignored on receipt), bits 13-15 version (0).
 */
#define TF_GRE_C		0x8000
#define TF_GRE_K		0x2000
#define TF_GRE_S		0x1000
#define TF_GRE_MUST_BE_ZERO	0x4c00	/* bits 1, 4, 5 */
#define TF_GRE_VER_MASK		0x0007

struct tf_gre_hdr {
	rte_be16_t flags_ver;	/* TF_GRE_* */
	rte_be16_t proto;	/* ethertype of the payload */
} __rte_packed;

/* VXLAN header (RFC 7348 section 5). */
#define TF_VXLAN_I	0x08	/* first byte: VNI valid */

struct tf_vxlan_hdr {
	uint8_t flags;		/* TF_VXLAN_I; other bits reserved, ignored on receipt */
	uint8_t rsvd0[3];
	rte_be32_t vni_rsvd;	/* VNI << 8, low byte reserved */
} __rte_packed;

/*
 * L2TP flags and version word, the first 16 bits of an L2TPv2 header (RFC
 * 2661 section 3.1) and of an L2TPv3 header over UDP (RFC 3931 4.1.2.1):
 *   T (control message), L (Length present), S (Ns and Nr present),
 *   O (Offset Size present), P (priority); x bits reserved, ignored on
 *   receipt; the low 4 bits the version. L2TPv3 over UDP has only T.
 */
#define TF_L2TP_T		0x8000
#define TF_L2TP_L		0x4000
#define TF_L2TP_S		0x0800
#define TF_L2TP_O		0x0200
#define TF_L2TP_VER_MASK	0x000f
#define TF_L2TP_PORT		1701
#define TF_IPPROTO_L2TP		115	/* L2TPv3 over IP (RFC 3931 4.1.1) */
#define TF_L2TP_SEQ_S		0x40000000u	/* default L2-specific sublayer: S bit (RFC 3931 4.6) */

/* PPP (RFC 1661 section 2, RFC 1662 section 3.1) in L2TPv2 data messages. */
#define TF_PPP_ADDR		0xff
#define TF_PPP_CTRL		0x03
#define TF_PPP_IPV4		0x0021	/* RFC 1332 */
#define TF_PPP_IPV6		0x0057	/* RFC 5072 */

/*
 * IPv6 Segment Routing Header (RFC 8754 section 2), a routing header of
 * type 4: the segment list follows, Segment List[0] being the last segment,
 * then optional TLVs up to (hdr_ext_len + 1) * 8 bytes.
 */
#define TF_SRH_TYPE		4
#define TF_SRH_SL_OFF		3	/* byte offset of Segments Left, for ICMPv6 pointers */
#define TF_IPPROTO_ETHERNET	143	/* Ethernet in IPv6 (RFC 8986 section 10.1) */

struct tf_srh {
	uint8_t next_hdr;	/* header after the SRH */
	uint8_t hdr_ext_len;	/* in 8-byte units, not counting the first 8 */
	uint8_t type;		/* TF_SRH_TYPE */
	uint8_t segments_left;	/* index of the next segment, counting down */
	uint8_t last_entry;	/* index of the last element of the segment list */
	uint8_t flags;		/* none defined; ignored on receipt */
	rte_be16_t tag;		/* ignored on receipt */
	uint8_t segments[];	/* 16 bytes each */
} __rte_packed;

#endif /* TF_WIRE_H */
