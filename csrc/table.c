//go:build ignore

/*
 * table.c - control path: forwarding snapshots (arrays Go fills, lookup
 * structures made here), the shared block and RCU publication.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tf.h"

struct tf_table *
tf_table_alloc(uint16_t nb_tunnels, uint16_t nb_routes, uint16_t nb_nexthops)
{
	struct tf_table *t = rte_zmalloc("tf_table", sizeof(*t), RTE_CACHE_LINE_SIZE);
	uint16_t i, v;

	if (t == NULL)
		return NULL;
	t->nb_tunnels = nb_tunnels;
	t->nb_routes = nb_routes;
	t->nb_nexthops = nb_nexthops;
	/* one spare element each, so that an empty array is still a valid pointer */
	t->tunnels = rte_zmalloc("tf_tunnels", sizeof(*t->tunnels) * (nb_tunnels + 1), 64);
	t->keys = rte_zmalloc("tf_keys", sizeof(*t->keys) * (nb_tunnels + 1), 0);
	t->keys6 = rte_zmalloc("tf_keys6", sizeof(*t->keys6) * (nb_tunnels + 1), 0);
	t->routes = rte_zmalloc("tf_routes", sizeof(*t->routes) * (nb_routes + 1), 0);
	t->nexthops = rte_zmalloc("tf_nexthops", sizeof(*t->nexthops) * (nb_nexthops + 1), 0);
	if (t->tunnels == NULL || t->keys == NULL || t->keys6 == NULL || t->routes == NULL || t->nexthops == NULL) {
		tf_table_free(t);
		return NULL;
	}
	for (i = 0; i < TF_MAX_PORTS; i++) {
		t->port[i].l2_untagged = TF_NO_TUNNEL;
		for (v = 0; v < 4096; v++)
			t->port[i].l2_vlan[v] = TF_NO_TUNNEL;
	}
	return t;
}

int
tf_table_alloc_sids(struct tf_table *t, uint16_t n)
{
	t->sids = rte_zmalloc("tf_sids", sizeof(*t->sids) * (n + 1u), 0);
	if (t->sids == NULL)
		return -ENOMEM;
	t->nb_sids = n;
	return 0;
}

/* tf_sids_build makes the SID LPM (longest prefix, RFC 8986 section 3.3); 0 or -errno. */
static int
tf_sids_build(struct tf_table *t, uint32_t gen)
{
	char name[RTE_LPM6_NAMESIZE];
	struct rte_lpm6_config c = {
		.max_rules = RTE_MAX(16u, t->nb_sids),
		.number_tbl8s = RTE_MAX(256u, 13u * t->nb_sids),	/* 13 groups past /24 for a /128 */
	};
	uint32_t i;
	int ret;

	if (t->icmp_rate != 0)
		t->icmp_cost = rte_get_tsc_hz() / t->icmp_rate;
	if (t->nb_sids == 0)
		return 0;
	snprintf(name, sizeof(name), "tf_sid6_%u", gen);
	t->sid6 = rte_lpm6_create(name, SOCKET_ID_ANY, &c);
	if (t->sid6 == NULL)
		return -rte_errno;
	for (i = 0; i < t->nb_sids; i++) {
		ret = rte_lpm6_add(t->sid6, t->sids[i].addr, t->sids[i].depth, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * tf_route_has_local: one of the gateway's IPv4 addresses lies in IPv4 route
 * r, so the routed loop must look for packets to the gateway among those r
 * routes; no other route can carry one (IPv6 routes: always, they are not
 * on that loop).
 */
static int
tf_route_has_local(const struct tf_table *t, const struct tf_route *r)
{
	uint32_t a4, mask;
	uint16_t i;

	if (r->af != 4)
		return 1;
	mask = r->depth == 0 ? 0 : ~0u << (32 - r->depth);	/* depth 1..32 here */
	memcpy(&a4, r->addr, sizeof(a4));
	for (i = 0; i < t->nb_local4; i++)
		if (((rte_be_to_cpu_32(t->local4[i]) ^ rte_be_to_cpu_32(a4)) & mask) == 0)
			return 1;
	return 0;
}

/* an IPv4 route as a range: its network (host order) and its length */
struct tf_range4 {
	uint32_t net, depth, i;
};

static int
tf_range4_cmp(const void *a, const void *b)
{
	const struct tf_range4 *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	return (int)x->depth - (int)y->depth;
}

/*
 * tf_routes_mark_leaf sets TF_RT_F_LEAF on the IPv4 routes that hold no
 * other route and no local address. Sorted by network then length, a route
 * holds another exactly when the one right after it starts inside it.
 */
static int
tf_routes_mark_leaf(struct tf_table *t)
{
	struct tf_range4 *v = malloc(sizeof(*v) * (t->nb_routes + 1u));
	uint32_t i, n = 0;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < t->nb_routes; i++) {
		const struct tf_route *r = &t->routes[i];
		uint32_t a4;

		if (r->af != 4)
			continue;
		memcpy(&a4, r->addr, sizeof(a4));
		v[n].depth = r->depth;
		v[n].net = r->depth == 0 ? 0 : rte_be_to_cpu_32(a4) & (~0u << (32 - r->depth));
		v[n++].i = i;
	}
	qsort(v, n, sizeof(*v), tf_range4_cmp);
	for (i = 0; i < n; i++) {
		uint32_t end = v[i].depth == 0 ? ~0u : v[i].net | ~(~0u << (32 - v[i].depth));
		struct tf_route *r = &t->routes[v[i].i];

		if (!(r->flags & TF_RT_F_LOCAL) && (i + 1 == n || v[i + 1].net > end))
			r->flags |= TF_RT_F_LEAF;
	}
	free(v);
	return 0;
}

/* tf_route_add adds route i to its LPM; 0 or -errno. */
static int
tf_route_add(struct tf_table *t, const struct tf_route *r, uint32_t i)
{
	uint8_t half[16] = { 0 };
	uint32_t a4;
	int ret;

	if (r->depth > 0) {
		if (r->af == 4) {
			memcpy(&a4, r->addr, sizeof(a4));	/* addr is at offset 6: unaligned */
			return rte_lpm_add(t->lpm4, rte_be_to_cpu_32(a4), r->depth, i);
		}
		return rte_lpm6_add(t->lpm6, r->addr, r->depth, i);
	}
	/* LPM takes depths from 1: a default route is its two halves */
	if (r->af == 4) {
		ret = rte_lpm_add(t->lpm4, 0, 1, i);
		return ret < 0 ? ret : rte_lpm_add(t->lpm4, 0x80000000u, 1, i);
	}
	ret = rte_lpm6_add(t->lpm6, half, 1, i);
	half[0] = 0x80;
	return ret < 0 ? ret : rte_lpm6_add(t->lpm6, half, 1, i);
}

int
tf_table_build(struct tf_table *t, uint32_t gen)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(64u, 2u * t->nb_tunnels),
		.key_len = sizeof(struct tf_decap_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};
	char name6[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp6 = hp;
	/* +1: a default route takes two rules */
	struct rte_lpm_config lc = {
		.max_rules = RTE_MAX(16u, t->nb_routes + 1u),
		.number_tbl8s = 256,
	};
	struct rte_lpm6_config lc6 = {
		.max_rules = RTE_MAX(16u, t->nb_routes + 1u),
		.number_tbl8s = 1024,
	};
	uint32_t i, n8 = 0, n8_6 = 0, pass;
	int ret;

	/* a route longer than /24 needs a tbl8 group (IPv6: one per 8 bits past 24) */
	for (i = 0; i < t->nb_routes; i++) {
		uint8_t d = t->routes[i].depth;

		t->routes[i].flags = tf_route_has_local(t, &t->routes[i]) ? TF_RT_F_LOCAL : 0;
		if (t->routes[i].af == 4)
			n8 += d > 24;
		else if (d > 24)
			n8_6 += (d - 24 + 7) / 8u;
	}
	ret = tf_routes_mark_leaf(t);
	if (ret < 0)
		return ret;
	lc.number_tbl8s = RTE_MAX(lc.number_tbl8s, n8);
	lc6.number_tbl8s = RTE_MAX(lc6.number_tbl8s, n8_6);

	t->gen = gen;
	snprintf(name, sizeof(name), "tf_decap_%u", gen);
	t->decap = rte_hash_create(&hp);
	if (t->decap == NULL)
		return -rte_errno;
	snprintf(name6, sizeof(name6), "tf_decap6_%u", gen);
	hp6.name = name6;
	hp6.key_len = sizeof(struct tf_decap_key6);
	t->decap6 = rte_hash_create(&hp6);
	if (t->decap6 == NULL)
		return -rte_errno;
	for (i = 0; i < t->nb_tunnels; i++) {
		struct tf_tunnel *tun = &t->tunnels[i];

		/* the inline encaps copy the template in 16-byte moves: 33..48 or 49..64 bytes */
		tun->fast = TF_FAST_NONE;
		if (tun->type == TF_TUN_GRE && tun->af == 4 &&
		    !(tun->flags & (TF_TUN_F_SEQ | TF_TUN_F_CSUM | TF_TUN_F_ESP)) &&
		    tun->hdr_len > 32 && tun->hdr_len <= 48)
			tun->fast = TF_FAST_GRE4;
		else if (tun->type == TF_TUN_VXLAN && tun->af == 4 &&
			 tun->hdr_len > 48 && tun->hdr_len <= 64 &&
			 tun->l4_off == tun->hdr_len - 16)	/* UDP in the last 16 bytes */
			tun->fast = TF_FAST_VXLAN4;
		else if (tun->type == TF_TUN_L2TPV2 && tun->af == 4 &&
			 tun->hdr_len > 48 && tun->hdr_len <= 64)
			tun->fast = TF_FAST_L2TPV2_4;
		else if (tun->type == TF_TUN_L2TPV3 && tun->af == 4 && !(tun->flags & TF_TUN_F_SEQ) &&
			 tun->hdr_len > 32 && tun->hdr_len <= 64)
			tun->fast = TF_FAST_L2TPV3_4;	/* the sequence number is shared state */
		else if (tun->type == TF_TUN_SRV6 && tun->af == 6 && tun->hdr_len >= 48 &&
			 tun->l4_off < tun->hdr_len)
			tun->fast = TF_FAST_SRV6;	/* 16-byte moves, the last one overlapping */
		if (t->tunnels[i].type == TF_TUN_SRV6)
			continue;	/* decapsulated by SID, not by key */
		if (t->tunnels[i].af == 6)
			ret = rte_hash_add_key_data(t->decap6, &t->keys6[i], (void *)(uintptr_t)i);
		else
			ret = rte_hash_add_key_data(t->decap, &t->keys[i], (void *)(uintptr_t)i);
		if (ret < 0)
			return ret;
	}
	snprintf(name, sizeof(name), "tf_lpm4_%u", gen);
	t->lpm4 = rte_lpm_create(name, SOCKET_ID_ANY, &lc);
	if (t->lpm4 == NULL)
		return -rte_errno;
	snprintf(name, sizeof(name), "tf_lpm6_%u", gen);
	t->lpm6 = rte_lpm6_create(name, SOCKET_ID_ANY, &lc6);
	if (t->lpm6 == NULL)
		return -rte_errno;
	/* default routes first: a /1 of the config then replaces its half */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < t->nb_routes; i++) {
			if ((t->routes[i].depth == 0) != (pass == 0))
				continue;
			ret = tf_route_add(t, &t->routes[i], i);
			if (ret < 0)
				return ret;
		}
	return tf_sids_build(t, gen);
}

void
tf_table_free(struct tf_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->decap);
	rte_hash_free(t->decap6);
	rte_lpm_free(t->lpm4);
	rte_lpm6_free(t->lpm6);
	rte_lpm6_free(t->sid6);
	rte_free(t->sids);
	rte_free(t->tunnels);
	rte_free(t->keys);
	rte_free(t->keys6);
	rte_free(t->routes);
	rte_free(t->nexthops);
	rte_free(t);
}

struct tf_shared *
tf_shared_new(uint16_t nb_workers)
{
	struct tf_shared *sh = rte_zmalloc("tf_shared", sizeof(*sh), RTE_CACHE_LINE_SIZE);
	size_t sz = rte_rcu_qsbr_get_memsize(TF_MAX_WORKERS);

	if (sh == NULL || nb_workers > TF_MAX_WORKERS)
		goto fail;
	sh->qs = rte_zmalloc("tf_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (sh->qs == NULL || rte_rcu_qsbr_init(sh->qs, TF_MAX_WORKERS) != 0)
		goto fail;
	return sh;
fail:
	tf_shared_free(sh);
	return NULL;
}

void
tf_shared_free(struct tf_shared *sh)
{
	if (sh == NULL)
		return;
	rte_free(sh->qs);
	rte_free(sh);
}

struct tf_table *
tf_publish(struct tf_shared *sh, struct tf_table *t)
{
	struct tf_table *old = __atomic_exchange_n(&sh->table, t, __ATOMIC_ACQ_REL);

	rte_rcu_qsbr_synchronize(sh->qs, RTE_QSBR_THRID_INVALID);
	return old;
}

void
tf_seq_reset(struct tf_shared *sh, uint16_t slot)
{
	__atomic_store_n(&sh->gre_seq[slot], 0, __ATOMIC_RELEASE);
}

void
tf_quiesce(struct tf_shared *sh)
{
	rte_rcu_qsbr_synchronize(sh->qs, RTE_QSBR_THRID_INVALID);
}

/* tf_key_lo / tf_key_hi (tf_pkt.h) build struct tf_decap_key as two words. */
_Static_assert(sizeof(struct tf_decap_key) == 16, "decap key has padding");
_Static_assert(offsetof(struct tf_decap_key, has_key) == 1 &&
	       offsetof(struct tf_decap_key, port) == 2 &&
	       offsetof(struct tf_decap_key, id) == 4 &&
	       offsetof(struct tf_decap_key, src) == 8 &&
	       offsetof(struct tf_decap_key, dst) == 12, "decap key layout");
_Static_assert(sizeof(struct tf_decap_key6) == 40, "decap key6 has padding");
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "tf_key_lo assumes a little-endian CPU");
