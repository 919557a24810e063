//go:build ignore

/*
 * crypto.c - control path for IPsec: crypto devices (probe, configure, one
 * queue pair per worker, start, close), session and op pools, and SAs
 * (crypto xforms, rte_ipsec_sa_init, crypto session, session prepare).
 * DPDK 22.11 session API: one pool from rte_cryptodev_sym_session_pool_create,
 * sessions created per device with rte_cryptodev_sym_session_create.
 */
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>

#include "tf.h"

/* the IV lives right after the op (ipsec-secgw's layout); librte_ipsec writes it there */
#define TF_IV_OFS	(sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define TF_OP_PRIV	32

int
tf_crypto_probe(const char *name, const char *args, int vdev, uint8_t *dev)
{
	int id, ret;

	if (vdev) {
		ret = rte_vdev_init(name, args);
		if (ret < 0)
			return ret;
	}
	id = rte_cryptodev_get_dev_id(name);
	if (id < 0)
		return -ENODEV;
	*dev = (uint8_t)id;
	return 0;
}

int
tf_crypto_info(uint8_t dev, uint32_t *sess_size, int *cpu, uint16_t *max_qp)
{
	struct rte_cryptodev_info info;

	rte_cryptodev_info_get(dev, &info);
	*sess_size = rte_cryptodev_sym_get_private_session_size(dev);
	*cpu = (info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) != 0;
	*max_qp = info.max_nb_queue_pairs;
	return 0;
}

struct rte_mempool *
tf_crypto_sess_pool(const char *name, uint32_t n, uint32_t elt)
{
	return rte_cryptodev_sym_session_pool_create(name, n, elt, 0, 0, SOCKET_ID_ANY);
}

struct rte_mempool *
tf_crypto_op_pool(const char *name, uint32_t n, uint32_t cache)
{
	return rte_crypto_op_pool_create(name, RTE_CRYPTO_OP_TYPE_SYMMETRIC, n, cache,
					 TF_OP_PRIV, SOCKET_ID_ANY);
}

int
tf_crypto_setup(uint8_t dev, uint16_t nb_qp, uint32_t nb_desc, struct rte_mempool *sess_pool)
{
	int socket = rte_cryptodev_socket_id(dev);
	struct rte_cryptodev_config cc = {
		.socket_id = socket < 0 ? 0 : socket,
		.nb_queue_pairs = nb_qp,
		.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
	};
	struct rte_cryptodev_qp_conf qc = { .nb_descriptors = nb_desc, .mp_session = sess_pool };
	uint16_t q;
	int ret;

	ret = rte_cryptodev_configure(dev, &cc);
	if (ret < 0)
		return ret;
	for (q = 0; q < nb_qp; q++) {
		ret = rte_cryptodev_queue_pair_setup(dev, q, &qc, cc.socket_id);
		if (ret < 0)
			return ret;
	}
	return rte_cryptodev_start(dev);
}

int
tf_crypto_close(uint8_t dev, const char *name, int vdev)
{
	int ret;

	rte_cryptodev_stop(dev);
	ret = rte_cryptodev_close(dev);
	if (ret < 0)
		return ret;
	return vdev ? rte_vdev_uninit(name) : 0;
}

/* tf_sa_xforms fills the crypto transform chain of c into xf. */
static int
tf_sa_xforms(const struct tf_sa_conf *c, struct rte_crypto_sym_xform *xf)
{
	int out = c->dir == TF_SA_OUT;
	struct rte_crypto_sym_xform *ci, *au;

	memset(xf, 0, 2 * sizeof(*xf));
	if (c->alg == TF_ALG_AES_GCM) {
		xf[0].type = RTE_CRYPTO_SYM_XFORM_AEAD;
		xf[0].aead.op = out ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
		xf[0].aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		xf[0].aead.key.data = c->key;
		xf[0].aead.key.length = c->key_len;
		xf[0].aead.iv.offset = TF_IV_OFS;
		xf[0].aead.iv.length = 12;	/* salt + 8-byte IV (RFC 4106 4) */
		xf[0].aead.digest_length = 16;
		xf[0].aead.aad_length = c->esn ? 12 : 8;	/* SPI + 32 or 64-bit sequence (RFC 4106 5) */
		return 0;
	}
	/* RFC 4303 3.3.2 / 3.4.4: encrypt then MAC out, verify then decrypt in */
	ci = out ? &xf[0] : &xf[1];
	au = out ? &xf[1] : &xf[0];
	ci->type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	ci->cipher.op = out ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
	if (c->alg == TF_ALG_AES_CBC) {
		ci->cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
		ci->cipher.key.data = c->key;
		ci->cipher.key.length = c->key_len;
		ci->cipher.iv.offset = TF_IV_OFS;
		ci->cipher.iv.length = 16;
	} else if (c->alg == TF_ALG_NULL) {
		ci->cipher.algo = RTE_CRYPTO_CIPHER_NULL;
	} else {
		return -EINVAL;
	}
	au->type = RTE_CRYPTO_SYM_XFORM_AUTH;
	au->auth.op = out ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
	switch (c->auth) {
	case TF_AUTH_SHA1_96:
		au->auth.algo = RTE_CRYPTO_AUTH_SHA1_HMAC;
		au->auth.digest_length = 12;
		break;
	case TF_AUTH_SHA256_128:
		au->auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC;
		au->auth.digest_length = 16;
		break;
	case TF_AUTH_NULL:
		au->auth.algo = RTE_CRYPTO_AUTH_NULL;
		break;
	default:
		return -EINVAL;
	}
	au->auth.key.data = c->auth_key;
	au->auth.key.length = c->auth_key_len;
	xf[0].next = &xf[1];
	return 0;
}

int
tf_sa_init(struct tf_sa *sa, const struct tf_sa_conf *c, struct rte_mempool *sess_pool)
{
	struct rte_crypto_sym_xform xf[2];
	struct rte_ipsec_sa_prm prm;
	struct rte_ipsec_sa *isa;
	void *ses;
	int sz, ret;

	ret = tf_sa_xforms(c, xf);
	if (ret < 0)
		return ret;
	memset(&prm, 0, sizeof(prm));
	prm.flags = c->flags;
	prm.ipsec_xform.spi = c->spi;
	memcpy(&prm.ipsec_xform.salt, c->salt, sizeof(prm.ipsec_xform.salt));	/* wire order */
	prm.ipsec_xform.options.esn = c->esn;
	prm.ipsec_xform.direction = c->dir == TF_SA_OUT ? RTE_SECURITY_IPSEC_SA_DIR_EGRESS :
							  RTE_SECURITY_IPSEC_SA_DIR_INGRESS;
	prm.ipsec_xform.proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
	prm.ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
	prm.ipsec_xform.tunnel.type = c->af == 6 ? RTE_SECURITY_IPSEC_TUNNEL_IPV6 : RTE_SECURITY_IPSEC_TUNNEL_IPV4;
	prm.ipsec_xform.replay_win_sz = c->win;
	prm.ipsec_xform.esn.value = c->seq_start;	/* librte_ipsec starts outbound SAs here */
	prm.crypto_xform = xf;
	prm.tun.hdr = c->hdr;
	prm.tun.hdr_len = c->hdr_len;
	prm.tun.hdr_l3_off = RTE_ETHER_HDR_LEN;
	prm.tun.next_proto = c->inner_af == 6 ? IPPROTO_IPV6 : IPPROTO_IPIP;	/* one inner family per SA */

	sz = rte_ipsec_sa_size(&prm);
	if (sz < 0)
		return sz;
	isa = rte_zmalloc("tf_ipsec_sa", sz, RTE_CACHE_LINE_SIZE);
	if (isa == NULL)
		return -ENOMEM;
	ret = rte_ipsec_sa_init(isa, &prm, sz);
	if (ret < 0) {
		rte_free(isa);
		return ret;
	}
	ses = rte_cryptodev_sym_session_create(c->cdev, xf, sess_pool);
	if (ses == NULL) {
		ret = rte_errno != 0 ? -rte_errno : -ENOTSUP;
		rte_ipsec_sa_fini(isa);
		rte_free(isa);
		return ret;
	}
	sa->ss.sa = isa;
	sa->ss.type = c->mode == TF_SA_CPU ? RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO :
					     RTE_SECURITY_ACTION_TYPE_NONE;
	sa->ss.crypto.ses = ses;
	sa->ss.crypto.dev_id = c->cdev;
	ret = rte_ipsec_session_prepare(&sa->ss);
	if (ret < 0) {
		tf_sa_fini(sa);
		return ret;
	}
	sa->dir = c->dir;
	sa->mode = c->mode;
	sa->cdev = c->cdev;
	sa->spi = rte_cpu_to_be_32(c->spi);
	sa->win = c->win;
	sa->esn = c->esn;
	sa->af = c->af;
	sa->inner_af = c->inner_af == 6 ? 6 : 4;
	sa->ck4 = 0;
	if (c->af == 4 && c->hdr_len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))
		/* the template's TOS, length, id and checksum are zero (espTemplate): what is left for tf_esp_cksum4 */
		sa->ck4 = rte_raw_cksum(c->hdr + RTE_ETHER_HDR_LEN, sizeof(struct rte_ipv4_hdr));
	if (c->alg == TF_ALG_AES_GCM) {
		sa->iv_len = 8;
		sa->icv_len = 16;
		sa->pad_align = 4;
	} else {
		sa->iv_len = c->alg == TF_ALG_AES_CBC ? 16 : 0;
		sa->icv_len = c->auth == TF_AUTH_SHA1_96 ? 12 : c->auth == TF_AUTH_SHA256_128 ? 16 : 0;
		sa->pad_align = c->alg == TF_ALG_AES_CBC ? 16 : 4;
	}
	return 0;
}

void
tf_sa_fini(struct tf_sa *sa)
{
	if (sa->ss.crypto.ses != NULL)
		rte_cryptodev_sym_session_free(sa->ss.crypto.dev_id, sa->ss.crypto.ses);
	sa->ss.crypto.ses = NULL;
	if (sa->ss.sa != NULL) {
		rte_ipsec_sa_fini(sa->ss.sa);
		rte_free(sa->ss.sa);
	}
	sa->ss.sa = NULL;
}

int
tf_esp_index(struct tf_esp *e, const char *name)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(64u, 2u * e->nb_sa),
		.key_len = sizeof(struct tf_sa_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};
	uint16_t i;
	int ret;

	e->in = rte_hash_create(&hp);
	if (e->in == NULL)
		return -rte_errno;
	for (i = 0; i < e->nb_sa; i++) {
		const struct tf_sa *sa = &e->sa[i];
		struct tf_sa_key k;

		if (sa->dir != TF_SA_IN)
			continue;
		memset(&k, 0, sizeof(k));
		k.spi = sa->spi;
		k.af = sa->af;
		if (sa->af == 6)
			memcpy(k.dst, sa->local6, 16);
		else
			memcpy(k.dst, &sa->local, 4);
		ret = rte_hash_add_key_data(e->in, &k, (void *)(uintptr_t)i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void
tf_esp_unindex(struct tf_esp *e)
{
	rte_hash_free(e->in);	/* NULL-safe */
	e->in = NULL;
}
