/*
 * tls_peek.c -- ClientHello parser (RFC 8446 4.1.2, RFC 6066 3, RFC 7301).
 *
 * The handshake message is read through a cursor that steps over record
 * headers, so a ClientHello fragmented over several records parses without
 * reassembly into a buffer (and so without allocating).
 */
#include <string.h>

#include "core/loop/limits.h"
#include "core/tls/tls_peek.h"

#define REC_HANDSHAKE		22
#define HS_CLIENT_HELLO		1
#define EXT_SERVER_NAME		0
#define EXT_ALPN		16
#define EXT_SUPPORTED_VERSIONS	43
/* TLSPlaintext.length may not exceed 2^14 (RFC 8446 5.1). */
#define REC_MAX			16384

/* Every helper returns 0, -1 (malformed) or -2 (need more bytes). */
#define TRY(e) do { int rc_ = (e); if (rc_ < 0) return rc_; } while (0)

struct rd {
	const unsigned char	*b;
	size_t			 len;
	size_t			 pos;		/* next unread byte of b */
	size_t			 rec_left;	/* fragment bytes left in record */
	size_t			 rec_end;	/* offset just past that record */
	int			 nrec;		/* records started */
	uint16_t		 rec_version;	/* of the first record */
	size_t			 off;		/* handshake bytes read so far */
	size_t			 limit;		/* off may not pass this */
};

/* Starts the next record; its header is checked byte by byte so that
 * garbage is refused as soon as its first byte is seen. */
static int
rd_record(struct rd *r)
{
	const unsigned char	*h = r->b + r->pos;
	size_t			 have = r->len - r->pos;
	size_t			 n;

	if (have >= 1 && h[0] != REC_HANDSHAKE)
		return -1;
	if (have >= 2 && h[1] != 3)
		return -1;
	if (have >= 3 && h[2] > 4)
		return -1;
	if (have < 5)
		return -2;
	n = (size_t)h[3] << 8 | h[4];
	if (n == 0 || n > REC_MAX || r->pos + 5 + n > LIMIT_TLS_HELLO)
		return -1;
	if (r->nrec++ == 0)
		r->rec_version = (uint16_t)(h[1] << 8 | h[2]);
	r->pos += 5;
	r->rec_left = n;
	r->rec_end = r->pos + n;
	return 0;
}

static int
rd_byte(struct rd *r, unsigned char *v)
{
	while (r->rec_left == 0)
		TRY(rd_record(r));
	if (r->pos >= r->len)
		return -2;
	*v = r->b[r->pos++];
	r->rec_left--;
	r->off++;
	return 0;
}

/* A big-endian integer of n bytes (1..3) inside the current bound. */
static int
rd_uint(struct rd *r, int n, size_t *v)
{
	unsigned char	c;

	if ((size_t)n > r->limit - r->off)
		return -1;
	*v = 0;
	while (n-- > 0) {
		TRY(rd_byte(r, &c));
		*v = *v << 8 | c;
	}
	return 0;
}

/* n bytes into dst, or skipped when dst is NULL. */
static int
rd_copy(struct rd *r, void *dst, size_t n)
{
	unsigned char	*d = dst, c;
	size_t		 i;

	if (n > r->limit - r->off)
		return -1;
	for (i = 0; i < n; i++) {
		TRY(rd_byte(r, &c));
		if (d != NULL)
			d[i] = c;
	}
	return 0;
}

static int
parse_sni(struct rd *r, size_t end, struct tls_hello *h)
{
	size_t	list, type, n;

	TRY(rd_uint(r, 2, &list));
	if (list == 0 || list != end - r->off)
		return -1;
	while (r->off < end) {
		TRY(rd_uint(r, 1, &type));
		TRY(rd_uint(r, 2, &n));
		if (n > end - r->off)
			return -1;
		if (type != 0 || h->has_sni) {
			TRY(rd_copy(r, NULL, n));
			continue;
		}
		if (n == 0 || n >= sizeof h->sni)
			return -1;
		TRY(rd_copy(r, h->sni, n));
		h->sni[n] = '\0';
		/* An embedded NUL would make the C string lie about the name. */
		if (strlen(h->sni) != n)
			return -1;
		h->has_sni = 1;
	}
	return 0;
}

static int
parse_alpn(struct rd *r, size_t end, struct tls_hello *h)
{
	size_t	list, n;

	TRY(rd_uint(r, 2, &list));
	if (list == 0 || list != end - r->off)
		return -1;
	h->has_alpn = 1;
	while (r->off < end) {
		TRY(rd_uint(r, 1, &n));
		if (n == 0 || n > end - r->off)
			return -1;
		if (h->alpn_truncated || h->alpn_len + 1 + n > sizeof h->alpn) {
			h->alpn_truncated = 1;
			TRY(rd_copy(r, NULL, n));
			continue;
		}
		h->alpn[h->alpn_len] = (unsigned char)n;
		TRY(rd_copy(r, h->alpn + h->alpn_len + 1, n));
		h->alpn_len += 1 + n;
	}
	return 0;
}

static int
parse_versions(struct rd *r, size_t end, struct tls_hello *h)
{
	size_t	list, v;

	TRY(rd_uint(r, 1, &list));
	if (list < 2 || list % 2 != 0 || list != end - r->off)
		return -1;
	while (r->off < end) {
		TRY(rd_uint(r, 2, &v));
		if (h->nversions < TLS_HELLO_VERSIONS)
			h->versions[h->nversions++] = (uint16_t)v;
	}
	return 0;
}

static int
parse_extensions(struct rd *r, struct tls_hello *h)
{
	size_t	total, type, n, end;
	int	seen_versions = 0;

	TRY(rd_uint(r, 2, &total));
	if (total != r->limit - r->off)
		return -1;
	while (r->off < r->limit) {
		TRY(rd_uint(r, 2, &type));
		TRY(rd_uint(r, 2, &n));
		if (n > r->limit - r->off)
			return -1;
		end = r->off + n;
		switch (type) {
		case EXT_SERVER_NAME:
			if (h->has_sni)
				return -1;
			TRY(parse_sni(r, end, h));
			break;
		case EXT_ALPN:
			if (h->has_alpn)
				return -1;
			TRY(parse_alpn(r, end, h));
			break;
		case EXT_SUPPORTED_VERSIONS:
			if (seen_versions++)
				return -1;
			TRY(parse_versions(r, end, h));
			break;
		default:
			TRY(rd_copy(r, NULL, n));
			break;
		}
		if (r->off != end)
			return -1;
	}
	return 0;
}

static int
parse_hello(struct rd *r, struct tls_hello *h)
{
	size_t	v;

	r->limit = 4;
	TRY(rd_uint(r, 1, &v));
	if (v != HS_CLIENT_HELLO)
		return -1;
	TRY(rd_uint(r, 3, &v));
	if (v > LIMIT_TLS_HELLO)
		return -1;
	r->limit = 4 + v;

	TRY(rd_uint(r, 2, &v));			/* legacy_version */
	if (v >> 8 != 3)
		return -1;
	h->legacy_version = (uint16_t)v;
	TRY(rd_copy(r, NULL, 32));		/* random */
	TRY(rd_uint(r, 1, &v));			/* legacy_session_id */
	if (v > 32)
		return -1;
	TRY(rd_copy(r, NULL, v));
	TRY(rd_uint(r, 2, &v));			/* cipher_suites */
	if (v < 2 || v % 2 != 0)
		return -1;
	TRY(rd_copy(r, NULL, v));
	TRY(rd_uint(r, 1, &v));			/* compression_methods */
	if (v < 1)
		return -1;
	TRY(rd_copy(r, NULL, v));
	if (r->off < r->limit)			/* SSL 3.0 may omit them */
		TRY(parse_extensions(r, h));
	return 0;
}

ssize_t
core_tls_peek(const void *buf, size_t len, struct tls_hello *out)
{
	struct rd		r;
	struct tls_hello	h;
	int			rc;

	memset(&r, 0, sizeof r);
	memset(&h, 0, sizeof h);
	r.b = buf;
	r.len = len;
	if ((rc = parse_hello(&r, &h)) < 0)
		return rc;
	/* The record holding the hello's end may go on past it. */
	if (r.rec_end > len)
		return -2;
	h.record_version = r.rec_version;
	*out = h;
	return (ssize_t)r.rec_end;
}

int
core_tls_peek_alpn_has(const struct tls_hello *h, const char *proto)
{
	size_t	i, n, plen = strlen(proto);

	for (i = 0; i < h->alpn_len; i += 1 + n) {
		n = h->alpn[i];
		if (n == plen && i + 1 + n <= h->alpn_len &&
		    memcmp(h->alpn + i + 1, proto, n) == 0)
			return 1;
	}
	return 0;
}

uint16_t
core_tls_peek_max_version(const struct tls_hello *h)
{
	uint16_t	best = 0, v;
	size_t		i;

	for (i = 0; i < h->nversions; i++) {
		v = h->versions[i];
		/* GREASE values (RFC 8701) look like 0x?A?A with equal bytes. */
		if ((v & 0x0f0f) == 0x0a0a && v >> 8 == (v & 0xff))
			continue;
		if (v > best)
			best = v;
	}
	return best != 0 ? best : h->legacy_version;
}
