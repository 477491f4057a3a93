/*
 * quic_initial.c -- a QUIC client's Initial packets decrypted (RFC 9001
 * 5.2-5.4) and their CRYPTO frames put back together into the
 * ClientHello, which core_tls_peek reads.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/digest.h>
#include <openssl/hkdf.h>

#include "core/loop/limits.h"
#include "core/tls/quic_initial.h"
#include "core/tls/tls_peek.h"

/* RFC 9000 14.1: a client's datagram carrying an Initial is this big. */
#define QUIC_MIN_INITIAL	1200
#define QUIC_MAX_CID		20
/* A TLS record's plaintext at most (RFC 8446 5.1). */
#define TLS_RECORD_MAX		16384

struct quic_initial {
	unsigned char	 crypto[LIMIT_QUIC_CRYPTO];
	unsigned char	 have[LIMIT_QUIC_CRYPTO / 8];	/* bytes filled */
	/* The hello rewrapped in TLS records for core_tls_peek. */
	unsigned char	 rec[LIMIT_QUIC_CRYPTO + 5 *
			    (LIMIT_QUIC_CRYPTO / TLS_RECORD_MAX + 1)];
	uint32_t	 version;
};

/* One packet at a time, unmasked and decrypted in place (loop thread). */
static unsigned char	pkt[LIMIT_UDP_DATAGRAM];

static const unsigned char salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a
};
static const unsigned char salt_v2[20] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9
};

struct quic_initial *
core_quic_initial_new(void)
{
	struct quic_initial *q;

	if ((q = calloc(1, sizeof *q)) == NULL)
		abort();
	return q;
}

void
core_quic_initial_free(struct quic_initial *q)
{
	free(q);
}

uint32_t
core_quic_initial_version(const struct quic_initial *q)
{
	return q->version;
}

/* A variable-length integer (RFC 9000 16) at *p, below end: 0, or -1. */
static int
varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	size_t n, i;

	if (*p >= end)
		return -1;
	n = (size_t)1 << (**p >> 6);
	if ((size_t)(end - *p) < n)
		return -1;
	*v = **p & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | (*p)[i];
	*p += n;
	return 0;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, SHA-256. */
static int
expand_label(unsigned char *out, size_t len, const unsigned char *secret,
    const char *label)
{
	unsigned char	info[2 + 1 + 255 + 1];
	size_t		ll = strlen(label), n = 0;

	info[n++] = (unsigned char)(len >> 8);
	info[n++] = (unsigned char)len;
	info[n++] = (unsigned char)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	return HKDF_expand(out, len, EVP_sha256(), secret, 32, info, n) ? 0 :
	    -1;
}

/* The client's Initial key, IV and header protection key for dcid. */
static int
client_keys(uint32_t version, const unsigned char *dcid, size_t dcidlen,
    unsigned char key[16], unsigned char iv[12], unsigned char hp[16])
{
	unsigned char	initial[32], client[32];
	size_t		len = sizeof initial;
	int		v2 = version == QUIC_V2;

	if (!HKDF_extract(initial, &len, EVP_sha256(), dcid, dcidlen,
	    v2 ? salt_v2 : salt_v1, sizeof salt_v1) ||
	    expand_label(client, 32, initial, "client in") != 0 ||
	    expand_label(key, 16, client, v2 ? "quicv2 key" : "quic key") != 0 ||
	    expand_label(iv, 12, client, v2 ? "quicv2 iv" : "quic iv") != 0 ||
	    expand_label(hp, 16, client, v2 ? "quicv2 hp" : "quic hp") != 0)
		return -1;
	return 0;
}

static int
has(const struct quic_initial *q, size_t i)
{
	return q->have[i / 8] >> (i % 8) & 1;
}

/* A CRYPTO frame's bytes at off: 0, or -1 past LIMIT_QUIC_CRYPTO. */
static int
crypto_add(struct quic_initial *q, uint64_t off, const unsigned char *data,
    uint64_t len)
{
	uint64_t i;

	if (off > LIMIT_QUIC_CRYPTO || len > LIMIT_QUIC_CRYPTO - off)
		return -1;
	for (i = 0; i < len; i++) {
		/* Retransmitted bytes must say the same. */
		if (has(q, off + i) && q->crypto[off + i] != data[i])
			return -1;
		q->crypto[off + i] = data[i];
		q->have[(off + i) / 8] |= 1 << ((off + i) % 8);
	}
	return 0;
}

/* The frames of a decrypted Initial: 0, or -1 if one may not be there. */
static int
frames(struct quic_initial *q, const unsigned char *p, const unsigned char *end,
    const char **why)
{
	uint64_t	type, off, len, n, i, v;
	int		ncrypto = 0;

	while (p < end) {
		if (varint(&p, end, &type) != 0)
			goto bad;
		switch (type) {
		case 0x00:		/* PADDING */
		case 0x01:		/* PING */
			break;
		case 0x02:		/* ACK */
		case 0x03:		/* ACK with ECN counts */
			if (varint(&p, end, &v) != 0 ||
			    varint(&p, end, &v) != 0 ||
			    varint(&p, end, &n) != 0 ||
			    varint(&p, end, &v) != 0)
				goto bad;
			if (n > (uint64_t)(end - p))
				goto bad;
			for (i = 0; i < 2 * n; i++)
				if (varint(&p, end, &v) != 0)
					goto bad;
			for (i = 0; type == 0x03 && i < 3; i++)
				if (varint(&p, end, &v) != 0)
					goto bad;
			break;
		case 0x06:		/* CRYPTO */
			if (varint(&p, end, &off) != 0 ||
			    varint(&p, end, &len) != 0 ||
			    len > (uint64_t)(end - p))
				goto bad;
			if (crypto_add(q, off, p, len) != 0) {
				*why = "ClientHello too big or inconsistent";
				return -1;
			}
			p += len;
			ncrypto++;
			break;
		case 0x1c:		/* CONNECTION_CLOSE */
			if (varint(&p, end, &v) != 0 ||
			    varint(&p, end, &v) != 0 ||
			    varint(&p, end, &len) != 0 ||
			    len > (uint64_t)(end - p))
				goto bad;
			p += len;
			break;
		default:
			*why = "frame not allowed in an Initial";
			return -1;
		}
	}
	return 0;
bad:
	*why = "malformed frame";
	return -1;
}

/* Opens the Initial at the start of d: its plaintext payload in pkt
 * (*pay, *paylen), or -1. */
static int
open_initial(struct quic_initial *q, const unsigned char *d, size_t len,
    size_t *pay, size_t *paylen, const char **why)
{
	unsigned char		 key[16], iv[12], hp[16], mask[16];
	const unsigned char	*p = d, *end = d + len, *dcid;
	uint64_t		 tokenlen, plen, pn = 0;
	uint32_t		 version;
	size_t			 dcidlen, scidlen, pnoff, pnlen, i, outlen;
	int			 type;
	AES_KEY			 aes;
	EVP_AEAD_CTX		 aead;

	*why = "not a QUIC Initial";
	if (len < QUIC_MIN_INITIAL || (d[0] & 0xc0) != 0xc0)
		return -1;
	version = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 |
	    (uint32_t)d[3] << 8 | d[4];
	type = d[0] >> 4 & 3;
	if (!(version == QUIC_V1 && type == 0) &&
	    !(version == QUIC_V2 && type == 1))
		return -1;
	p += 5;
	dcidlen = *p++;
	if (dcidlen > QUIC_MAX_CID || (size_t)(end - p) < dcidlen + 1)
		return -1;
	dcid = p;
	p += dcidlen;
	scidlen = *p++;
	if (scidlen > QUIC_MAX_CID || (size_t)(end - p) < scidlen)
		return -1;
	p += scidlen;
	if (varint(&p, end, &tokenlen) != 0 ||
	    tokenlen > (uint64_t)(end - p))
		return -1;
	p += tokenlen;
	if (varint(&p, end, &plen) != 0 || plen > (uint64_t)(end - p))
		return -1;
	pnoff = (size_t)(p - d);
	/* The sample starts 4 bytes past the packet number's start. */
	if (plen < 4 + 16)
		return -1;
	memcpy(pkt, d, pnoff + plen);

	*why = "Initial does not decrypt";
	if (client_keys(version, dcid, dcidlen, key, iv, hp) != 0 ||
	    AES_set_encrypt_key(hp, 128, &aes) != 0)
		return -1;
	AES_encrypt(pkt + pnoff + 4, mask, &aes);
	pkt[0] ^= mask[0] & 0x0f;
	pnlen = (pkt[0] & 3) + 1;
	for (i = 0; i < pnlen; i++) {
		pkt[pnoff + i] ^= mask[1 + i];
		pn = pn << 8 | pkt[pnoff + i];
	}
	if (plen < pnlen + 16)
		return -1;
	for (i = 0; i < 8; i++)
		iv[11 - i] ^= (unsigned char)(pn >> (8 * i));
	if (!EVP_AEAD_CTX_init(&aead, EVP_aead_aes_128_gcm(), key, 16, 16,
	    NULL))
		return -1;
	i = EVP_AEAD_CTX_open(&aead, pkt + pnoff + pnlen, &outlen,
	    plen - pnlen, iv, 12, pkt + pnoff + pnlen, plen - pnlen, pkt,
	    pnoff + pnlen);
	EVP_AEAD_CTX_cleanup(&aead);
	if (!i)
		return -1;
	q->version = version;
	*pay = pnoff + pnlen;
	*paylen = outlen;
	return 0;
}

/* The ClientHello, if the bytes so far hold all of it: 1, 0, or -1. */
static int
hello(struct quic_initial *q, struct tls_hello *out, const char **why)
{
	size_t	hlen, have, off, n, r = 0;

	for (have = 0; have < LIMIT_QUIC_CRYPTO && has(q, have); have++)
		;
	if (have >= 1 && q->crypto[0] != 1) {
		*why = "CRYPTO data is not a ClientHello";
		return -1;
	}
	if (have < 4)
		return 0;
	hlen = 4 + ((size_t)q->crypto[1] << 16 | (size_t)q->crypto[2] << 8 |
	    q->crypto[3]);
	if (hlen > LIMIT_QUIC_CRYPTO) {
		*why = "ClientHello too big";
		return -1;
	}
	if (have < hlen)
		return 0;
	/* Records as a TLS client would send them, for core_tls_peek. */
	for (off = 0; off < hlen; off += n) {
		n = hlen - off < TLS_RECORD_MAX ? hlen - off : TLS_RECORD_MAX;
		q->rec[r++] = 0x16;
		q->rec[r++] = 0x03;
		q->rec[r++] = 0x01;
		q->rec[r++] = (unsigned char)(n >> 8);
		q->rec[r++] = (unsigned char)n;
		memcpy(q->rec + r, q->crypto + off, n);
		r += n;
	}
	if (core_tls_peek(q->rec, r, out) < 0) {
		*why = "malformed ClientHello";
		return -1;
	}
	return 1;
}

int
core_quic_initial_feed(struct quic_initial *q, const void *data, size_t len,
    struct tls_hello *out, const char **why)
{
	const char	*w = NULL;
	size_t		 pay, paylen;

	if (len > LIMIT_UDP_DATAGRAM)
		len = LIMIT_UDP_DATAGRAM;
	if (open_initial(q, data, len, &pay, &paylen, &w) != 0 ||
	    frames(q, pkt + pay, pkt + pay + paylen, &w) != 0) {
		if (why != NULL)
			*why = w;
		return -1;
	}
	switch (hello(q, out, &w)) {
	case 1:
		return 1;
	case 0:
		return 0;
	}
	if (why != NULL)
		*why = w;
	return -1;
}

int
core_quic_initial_feed_frames(struct quic_initial *q, const void *frames_,
    size_t len, struct tls_hello *out, const char **why)
{
	const unsigned char	*p = frames_;
	const char		*w = NULL;
	int			 rc;

	if (frames(q, p, p + len, &w) != 0 || (rc = hello(q, out, &w)) < 0) {
		if (why != NULL)
			*why = w;
		return -1;
	}
	return rc;
}
