/*
 * core_tls_peek.c -- ClientHello peeking: real hellos from openssl
 * s_client, every truncation (-2), fragmentation over records, garbage and
 * malformed input (-1). Each input sits in a buffer of exactly its size so
 * ASan catches a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/loop/limits.h"
#include "core/tls/tls_peek.h"

/* Captured on loopback: openssl s_client -servername example.com -alpn h2,http/1.1 */
static const unsigned char hello_openssl[] = {
	0x16, 0x03, 0x01, 0x01, 0x4a, 0x01, 0x00, 0x01, 0x46, 0x03, 0x03, 0x98,
	0xef, 0xaf, 0xf2, 0x20, 0xd8, 0x83, 0x8e, 0x2d, 0xd8, 0x22, 0x81, 0x36,
	0xa6, 0x33, 0x52, 0xa0, 0x25, 0x76, 0x97, 0x7a, 0xd6, 0x1b, 0x57, 0xaa,
	0x0a, 0x51, 0x3f, 0x28, 0xd2, 0x53, 0x4d, 0x20, 0xce, 0xac, 0x83, 0xc9,
	0x7c, 0x53, 0x6e, 0x65, 0xd7, 0xcd, 0x9a, 0x39, 0x41, 0xb4, 0x67, 0x7a,
	0x93, 0xba, 0xa9, 0x3e, 0xb9, 0xe0, 0xca, 0x9f, 0x25, 0x65, 0xd6, 0x9e,
	0x27, 0x4c, 0xf5, 0x07, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xbf,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b, 0x00, 0x04,
	0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d,
	0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01,
	0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10,
	0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70,
	0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
	0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03,
	0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04,
	0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03,
	0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b,
	0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00,
	0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00,
	0x1d, 0x00, 0x20, 0x5f, 0x3d, 0x2e, 0xd3, 0x50, 0x73, 0x47, 0xab, 0x73,
	0x8d, 0x94, 0xc9, 0xd9, 0x75, 0x3d, 0x08, 0xe0, 0x91, 0xdc, 0xfa, 0x45,
	0x5b, 0x4a, 0xa5, 0xa8, 0x53, 0xec, 0x37, 0x7f, 0x39, 0xa9, 0x5f
};
/* Captured on loopback: openssl s_client -noservername -tls1_2 */
static const unsigned char hello_tls12[] = {
	0x16, 0x03, 0x01, 0x00, 0xb7, 0x01, 0x00, 0x00, 0xb3, 0x03, 0x03, 0x55,
	0x55, 0xd9, 0x09, 0xf6, 0x12, 0x78, 0x33, 0x65, 0x08, 0x42, 0xc7, 0x34,
	0x4c, 0xac, 0x39, 0xbf, 0xaf, 0xaa, 0xd4, 0xf4, 0x69, 0x9e, 0x2d, 0xb9,
	0x5b, 0xb9, 0x98, 0x26, 0x88, 0x72, 0x17, 0x00, 0x00, 0x38, 0xc0, 0x2c,
	0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
	0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23,
	0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09,
	0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c,
	0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0x52, 0x00, 0x0b,
	0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a,
	0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d,
	0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07,
	0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
	0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01,
	0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02
};

/* core_tls_peek on an exact-size heap copy of buf[0..len). */
static ssize_t
peek(const unsigned char *buf, size_t len, struct tls_hello *h)
{
	unsigned char	*copy = malloc(len > 0 ? len : 1);
	ssize_t		 r;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	r = core_tls_peek(copy, len, h);
	free(copy);
	return r;
}

/* Re-records a single-record hello into records of at most frag bytes. */
static size_t
refragment(const unsigned char *rec, size_t len, size_t frag,
    unsigned char *out)
{
	const unsigned char	*msg = rec + 5;
	size_t			 mlen = len - 5, off = 0, o = 0, n;

	while (off < mlen) {
		n = mlen - off < frag ? mlen - off : frag;
		out[o++] = 0x16;
		out[o++] = rec[1];
		out[o++] = rec[2];
		out[o++] = (unsigned char)(n >> 8);
		out[o++] = (unsigned char)n;
		memcpy(out + o, msg + off, n);
		o += n;
		off += n;
	}
	return o;
}

/* Builder for synthetic hellos. */
struct bld {
	unsigned char	d[80000];
	size_t		n;
};

static void
put(struct bld *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void
put8(struct bld *b, unsigned v)
{
	b->d[b->n++] = (unsigned char)v;
}

static void
put16(struct bld *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put24(struct bld *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v);
}

static void
ext_sni(struct bld *e, const char *name, size_t n)
{
	put16(e, 0);
	put16(e, n + 5);
	put16(e, n + 3);
	put8(e, 0);
	put16(e, n);
	put(e, name, n);
}

/* A single-record ClientHello with the given extensions block (NULL: no
 * block at all). */
static void
hello(struct bld *out, const struct bld *ext)
{
	static const unsigned char	random[32];
	struct bld			*body = calloc(1, sizeof *body);

	assert_non_null(body);
	put16(body, 0x0303);
	put(body, random, 32);
	put8(body, 0);				/* session id */
	put16(body, 2);
	put16(body, 0x1301);
	put8(body, 1);
	put8(body, 0);
	if (ext != NULL) {
		put16(body, ext->n);
		put(body, ext->d, ext->n);
	}
	out->n = 0;
	put8(out, 0x16);
	put16(out, 0x0301);
	put16(out, body->n + 4);
	put8(out, 1);
	put24(out, body->n);
	put(out, body->d, body->n);
	free(body);
}

static void
test_openssl_hello(void **state)
{
	struct tls_hello	h;

	assert_int_equal(peek(hello_openssl, sizeof hello_openssl, &h),
	    sizeof hello_openssl);
	assert_int_equal(h.has_sni, 1);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(h.has_alpn, 1);
	assert_int_equal(h.alpn_truncated, 0);
	assert_int_equal(h.alpn_len, 12);
	assert_true(core_tls_peek_alpn_has(&h, "h2"));
	assert_true(core_tls_peek_alpn_has(&h, "http/1.1"));
	assert_false(core_tls_peek_alpn_has(&h, "http/1.0"));
	assert_false(core_tls_peek_alpn_has(&h, "h"));
	assert_int_equal(h.record_version, 0x0301);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_int_equal(h.nversions, 4);
	assert_int_equal(h.versions[0], 0x0304);
	assert_int_equal(core_tls_peek_max_version(&h), 0x0304);
}

static void
test_tls12_no_sni(void **state)
{
	struct tls_hello	h;

	assert_int_equal(peek(hello_tls12, sizeof hello_tls12, &h),
	    sizeof hello_tls12);
	assert_int_equal(h.has_sni, 0);
	assert_string_equal(h.sni, "");
	assert_int_equal(h.has_alpn, 0);
	assert_int_equal(h.nversions, 0);
	assert_int_equal(core_tls_peek_max_version(&h), 0x0303);
}

static void
test_truncated(void **state)
{
	struct tls_hello	h;
	size_t			i;

	for (i = 0; i < sizeof hello_openssl; i++)
		assert_int_equal(peek(hello_openssl, i, &h), -2);
	for (i = 0; i < sizeof hello_tls12; i++)
		assert_int_equal(peek(hello_tls12, i, &h), -2);
}

static void
test_fragmented(void **state)
{
	static const size_t	 frags[] = { 1, 2, 7, 100, 329 };
	unsigned char		*buf = malloc(8192);
	struct tls_hello	 h;
	size_t			 i, j, n;

	assert_non_null(buf);
	for (i = 0; i < sizeof frags / sizeof frags[0]; i++) {
		n = refragment(hello_openssl, sizeof hello_openssl, frags[i],
		    buf);
		assert_int_equal(peek(buf, n, &h), n);
		assert_string_equal(h.sni, "example.com");
		assert_true(core_tls_peek_alpn_has(&h, "http/1.1"));
		/* Every prefix is partial, also those ending in a header. */
		for (j = 0; j < n; j += frags[i] < 5 ? 3 : 1)
			assert_int_equal(peek(buf, j, &h), -2);
	}
	free(buf);
}

static void
test_trailing_bytes(void **state)
{
	unsigned char		buf[sizeof hello_openssl + 6];
	struct tls_hello	h;

	/* What follows the ClientHello is not consumed. */
	memcpy(buf, hello_openssl, sizeof hello_openssl);
	memcpy(buf + sizeof hello_openssl, "\x14\x03\x03\x00\x01\x01", 6);
	assert_int_equal(peek(buf, sizeof buf, &h), sizeof hello_openssl);

	/* Bytes after the hello inside its own record: the record must be
	 * whole before the hello counts as read. */
	unsigned char	rec[sizeof hello_openssl + 4];
	size_t		rlen = sizeof hello_openssl - 5 + 4;

	memcpy(rec, hello_openssl, sizeof hello_openssl);
	memcpy(rec + sizeof hello_openssl, "\x0e\x00\x00\x00", 4);
	rec[3] = (unsigned char)(rlen >> 8);
	rec[4] = (unsigned char)rlen;
	assert_int_equal(peek(rec, sizeof rec, &h), sizeof rec);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(peek(rec, sizeof rec - 1, &h), -2);
	assert_int_equal(peek(rec, sizeof hello_openssl, &h), -2);
}

static void
test_garbage(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
	} bad[] = {
		{ "G", 1 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27 },
		{ "CONNECT a:443 HTTP/1.1\r\n", 24 },
		{ "\x16\x02", 2 },			/* major version */
		{ "\x16\x03\x09", 3 },			/* minor version */
		{ "\x16\x03\x01\x00\x00", 5 },		/* empty record */
		{ "\x16\x03\x01\x40\x01", 5 },		/* record too long */
		{ "\x15\x03\x03\x00\x02\x02\x28", 7 },	/* an alert */
		{ "\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9 }, /* ServerHello */
		{ "\x80\x2e\x01\x03\x01", 5 },		/* SSLv2 hello */
		{ "\x16\x03\x01\x00\x04\x01\xff\xff\xff", 9 }, /* > limit */
	};
	struct tls_hello	h;
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(peek((const unsigned char *)bad[i].in,
		    bad[i].len, &h), -1);
}

static void
test_synthetic(void **state)
{
	struct bld		*e = calloc(1, sizeof *e), *b = calloc(1,
				    sizeof *b);
	struct tls_hello	 h;

	assert_non_null(e);
	assert_non_null(b);

	/* No extensions block at all (SSL 3.0 style). */
	hello(b, NULL);
	assert_int_equal(peek(b->d, b->n, &h), b->n);
	assert_int_equal(h.has_sni, 0);

	/* SNI of 255 bytes does not fit a DNS name: refused. */
	char name[300];
	memset(name, 'a', sizeof name);
	e->n = 0;
	ext_sni(e, name, 253);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), b->n);
	assert_int_equal(strlen(h.sni), 253);
	e->n = 0;
	ext_sni(e, name, 256);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* An embedded NUL in the name. */
	e->n = 0;
	ext_sni(e, "evil.com\0.example", 17);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* Duplicate server_name. */
	e->n = 0;
	ext_sni(e, "a.example", 9);
	ext_sni(e, "b.example", 9);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* An extension longer than the block. */
	e->n = 0;
	put16(e, 0x1234);
	put16(e, 10);
	put(e, "12345", 5);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* SNI list length disagreeing with the extension length. */
	e->n = 0;
	put16(e, 0);
	put16(e, 8);
	put16(e, 7);
	put8(e, 0);
	put16(e, 3);
	put(e, "a.b", 3);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* ALPN with an empty protocol name. */
	e->n = 0;
	put16(e, 16);
	put16(e, 5);
	put16(e, 3);
	put8(e, 2);
	put(e, "h2", 2);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), b->n);
	assert_true(core_tls_peek_alpn_has(&h, "h2"));
	e->n = 0;
	put16(e, 16);
	put16(e, 4);
	put16(e, 2);
	put8(e, 0);
	put8(e, 'x');
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* A long ALPN list is cut at an entry and says so. */
	e->n = 0;
	put16(e, 16);
	put16(e, 2 + 30 * 11);
	put16(e, 30 * 11);
	for (int i = 0; i < 30; i++) {
		put8(e, 10);
		put(e, i == 29 ? "http/1.1xx" : "abcdefghij", 10);
	}
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), b->n);
	assert_int_equal(h.alpn_truncated, 1);
	assert_true(h.alpn_len <= sizeof h.alpn);
	assert_int_equal(h.alpn_len % 11, 0);
	assert_true(core_tls_peek_alpn_has(&h, "abcdefghij"));

	/* supported_versions: GREASE is skipped, odd lengths refused. */
	e->n = 0;
	put16(e, 43);
	put16(e, 7);
	put8(e, 6);
	put16(e, 0x7a7a);
	put16(e, 0x0304);
	put16(e, 0x0303);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), b->n);
	assert_int_equal(h.nversions, 3);
	assert_int_equal(core_tls_peek_max_version(&h), 0x0304);
	e->n = 0;
	put16(e, 43);
	put16(e, 4);
	put8(e, 3);
	put16(e, 0x0304);
	put8(e, 3);
	hello(b, e);
	assert_int_equal(peek(b->d, b->n, &h), -1);

	/* A hello bigger than one record, split over several, with a
	 * padding extension: fine below LIMIT_TLS_HELLO... */
	e->n = 0;
	ext_sni(e, "big.example", 11);
	put16(e, 21);
	put16(e, 40000);
	memset(e->d + e->n, 0, 40000);
	e->n += 40000;
	hello(b, e);
	{
		unsigned char *buf = malloc(2 * b->n);
		size_t n;

		assert_non_null(buf);
		/* hello() wrote one oversized record; split it properly. */
		n = refragment(b->d, b->n, 16384, buf);
		assert_int_equal(peek(buf, n, &h), n);
		assert_string_equal(h.sni, "big.example");
		/* ...and refused once the records pass the cap, even when the
		 * message itself would fit and is still incomplete. */
		e->n = 0;
		put16(e, 21);
		put16(e, LIMIT_TLS_HELLO - 70);
		memset(e->d + e->n, 0, LIMIT_TLS_HELLO - 70);
		e->n += LIMIT_TLS_HELLO - 70;
		hello(b, e);
		n = refragment(b->d, b->n, 16384, buf);
		assert_int_equal(peek(buf, n, &h), -1);
		assert_int_equal(peek(buf, LIMIT_TLS_HELLO - 10, &h), -1);
		free(buf);
	}
	free(e);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_hello),
		cmocka_unit_test(test_tls12_no_sni),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fragmented),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_synthetic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
