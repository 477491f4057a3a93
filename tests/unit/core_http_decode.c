/*
 * core_decode.c -- unit tests of content decoding: every coding, stacked
 * codings, truncated input, corrupt input, the output cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "core/http/decode.h"
#include "core/loop/limits.h"

struct blob {
	char	*data;
	size_t	 len;
};

/* wbits: 15 zlib, -15 raw deflate, 31 gzip. */
static struct blob
z_encode(const char *in, size_t len, int wbits)
{
	struct blob b;
	z_stream z;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	b.len = deflateBound(&z, len);
	b.data = malloc(b.len);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = len;
	z.next_out = (Bytef *)b.data;
	z.avail_out = b.len;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	b.len = z.total_out;
	deflateEnd(&z);
	return b;
}

static struct blob
br_encode(const char *in, size_t len)
{
	struct blob b;

	b.len = BrotliEncoderMaxCompressedSize(len);
	b.data = malloc(b.len);
	assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, len,
	    (const uint8_t *)in, &b.len, (uint8_t *)b.data));
	return b;
}

static struct blob
zstd_encode(const char *in, size_t len)
{
	struct blob b;

	b.len = ZSTD_compressBound(len);
	b.data = malloc(b.len);
	b.len = ZSTD_compress(b.data, b.len, in, len, 3);
	assert_false(ZSTD_isError(b.len));
	return b;
}

static struct blob
encode(const char *coding, const char *in, size_t len)
{
	if (strcmp(coding, "gzip") == 0)
		return z_encode(in, len, 31);
	if (strcmp(coding, "deflate") == 0)
		return z_encode(in, len, 15);
	if (strcmp(coding, "rawdeflate") == 0)
		return z_encode(in, len, -15);
	if (strcmp(coding, "br") == 0)
		return br_encode(in, len);
	if (strcmp(coding, "zstd") == 0)
		return zstd_encode(in, len);
	fail_msg("no encoder %s", coding);
	abort();
}

static const char text[] =
    "{\"users\":[{\"name\":\"alice\",\"id\":1},{\"name\":\"bob\",\"id\":2}],"
    "\"note\":\"the quick brown fox jumps over the lazy dog\"}";

static void
check_round_trip(const char *header, const char *coding)
{
	struct blob b = encode(coding, text, sizeof text - 1);
	char *out = NULL, *cause = NULL;
	size_t out_len;

	assert_int_equal(core_decode_body(header, b.data, b.len, &out,
	    &out_len, &cause), 0);
	assert_null(cause);
	assert_int_equal(out_len, sizeof text - 1);
	assert_memory_equal(out, text, out_len);
	assert_int_equal(out[out_len], '\0');
	free(out);
	free(b.data);
}

static void
test_each_coding(void **state)
{
	check_round_trip("gzip", "gzip");
	check_round_trip("x-gzip", "gzip");
	check_round_trip("GZIP", "gzip");
	check_round_trip("deflate", "deflate");
	check_round_trip("deflate", "rawdeflate");
	check_round_trip("br", "br");
	check_round_trip("zstd", "zstd");
	check_round_trip(" br ", "br");
	check_round_trip("identity, zstd", "zstd");
}

static void
test_identity(void **state)
{
	char *out, *cause = NULL;
	size_t out_len;

	assert_int_equal(core_decode_body(NULL, "abc", 3, &out, &out_len,
	    &cause), 0);
	assert_int_equal(out_len, 3);
	assert_string_equal(out, "abc");
	free(out);
	assert_int_equal(core_decode_body("identity", "", 0, &out, &out_len,
	    &cause), 0);
	assert_int_equal(out_len, 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(core_decode_needed(NULL), 0);
	assert_int_equal(core_decode_needed(""), 0);
	assert_int_equal(core_decode_needed(" identity "), 0);
	assert_int_equal(core_decode_needed("gzip"), 1);
	assert_int_equal(core_decode_needed("bogus"), 1);
}

/* "gzip, br": gzip applied first, so br comes off first. */
static void
test_stacked(void **state)
{
	struct blob g = encode("gzip", text, sizeof text - 1);
	struct blob gb = encode("br", g.data, g.len);
	struct blob gbz = encode("zstd", gb.data, gb.len);
	char *out, *cause = NULL;
	size_t out_len;

	assert_int_equal(core_decode_body("gzip, br", gb.data, gb.len, &out,
	    &out_len, &cause), 0);
	assert_int_equal(out_len, sizeof text - 1);
	assert_memory_equal(out, text, out_len);
	free(out);
	assert_int_equal(core_decode_body("gzip,br,zstd", gbz.data, gbz.len,
	    &out, &out_len, &cause), 0);
	assert_memory_equal(out, text, sizeof text - 1);
	free(out);
	/* The wrong order fails: br cannot read a gzip stream. */
	assert_int_equal(core_decode_body("br, gzip", gb.data, gb.len, &out,
	    &out_len, &cause), -1);
	assert_non_null(cause);
	assert_null(out);
	free(cause);
	free(g.data);
	free(gb.data);
	free(gbz.data);
}

static void
test_concatenated_gzip(void **state)
{
	struct blob a = encode("gzip", "hello ", 6);
	struct blob b = encode("gzip", "world", 5);
	char *both = malloc(a.len + b.len), *out, *cause = NULL;
	size_t out_len;

	memcpy(both, a.data, a.len);
	memcpy(both + a.len, b.data, b.len);
	assert_int_equal(core_decode_body("gzip", both, a.len + b.len, &out,
	    &out_len, &cause), 0);
	assert_string_equal(out, "hello world");
	free(out);
	free(both);
	free(a.data);
	free(b.data);
}

static void
check_error(const char *header, const char *data, size_t len,
    const char *want)
{
	char *out = (char *)"x", *cause = NULL;
	size_t out_len = 99;

	assert_int_equal(core_decode_body(header, data, len, &out, &out_len,
	    &cause), -1);
	assert_null(out);
	assert_int_equal(out_len, 0);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
	/* No cause asked for: still -1, nothing allocated. */
	assert_int_equal(core_decode_body(header, data, len, &out, &out_len,
	    NULL), -1);
}

static void
test_errors(void **state)
{
	static const char junk[] = "this is not compressed at all";
	struct blob g = encode("gzip", text, sizeof text - 1);
	struct blob b = encode("br", text, sizeof text - 1);
	struct blob z = encode("zstd", text, sizeof text - 1);

	check_error("compress", junk, sizeof junk - 1,
	    "unknown content coding: compress");
	check_error("gzip, foo", junk, sizeof junk - 1,
	    "unknown content coding: foo");
	check_error("gzip", junk, sizeof junk - 1, "gzip: ");
	check_error("br", junk, sizeof junk - 1, "br: ");
	check_error("zstd", junk, sizeof junk - 1, "zstd: ");
	check_error("gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip", junk,
	    sizeof junk - 1, "more than 8 content codings");
	/* Cut short: an error unless DECODE_PARTIAL. */
	check_error("gzip", g.data, g.len / 2, "ends before the end");
	check_error("br", b.data, b.len / 2, "ends before the end");
	check_error("zstd", z.data, z.len / 2, "ends before the end");
	check_error("gzip", "", 0, "ends before the end");
	free(g.data);
	free(b.data);
	free(z.data);
}

/* A kept prefix of a large body decodes as far as it goes. */
static void
test_partial(void **state)
{
	static const char *codings[] = { "gzip", "br", "zstd" };
	struct decode_out o;
	struct blob b;
	char *big, *cause = NULL;
	size_t i, n = 1 << 20;

	big = malloc(n);
	for (i = 0; i < n; i++)	/* poorly compressible, deterministic */
		big[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[
		    (i * 2654435761u >> 13) % 36];
	memset(&o, 0, sizeof o);
	for (i = 0; i < 3; i++) {
		b = encode(codings[i], big, n);
		assert_int_equal(core_decode_into(&o, codings[i], b.data,
		    b.len / 2, DECODE_PARTIAL, &cause), 0);
		assert_null(cause);
		assert_int_equal(o.truncated, 1);
		assert_true(o.len > 0 && o.len < n);
		assert_memory_equal(o.buf, big, o.len);
		/* Whole: complete and not truncated, same buffer reused. */
		assert_int_equal(core_decode_into(&o, codings[i], b.data,
		    b.len, DECODE_PARTIAL, &cause), 0);
		assert_int_equal(o.truncated, 0);
		assert_int_equal(o.len, n);
		assert_memory_equal(o.buf, big, n);
		free(b.data);
	}
	free(o.buf);
	free(big);
}

/* A bomb stops at LIMIT_DECODED_BODY, reported as truncated. */
static void
test_cap(void **state)
{
	static const char *codings[] = { "gzip", "br", "zstd" };
	size_t n = (size_t)LIMIT_DECODED_BODY + 4096, i;
	char *zeros = calloc(1, n), *out, *cause = NULL;
	struct decode_out o;
	struct blob b;
	size_t out_len;

	memset(&o, 0, sizeof o);
	for (i = 0; i < 3; i++) {
		b = encode(codings[i], zeros, n);
		assert_true(b.len < 1024 * 1024);
		assert_int_equal(core_decode_into(&o, codings[i], b.data,
		    b.len, 0, &cause), 0);
		assert_int_equal(o.len, LIMIT_DECODED_BODY);
		assert_int_equal(o.truncated, 1);
		assert_true(o.size <= (size_t)LIMIT_DECODED_BODY + 1);
		assert_int_equal(core_decode_body(codings[i], b.data, b.len,
		    &out, &out_len, &cause), 0);
		assert_int_equal(out_len, LIMIT_DECODED_BODY);
		free(out);
		free(b.data);
	}
	/* Identity is capped too. */
	assert_int_equal(core_decode_into(&o, NULL, zeros, n, 0, &cause), 0);
	assert_int_equal(o.len, LIMIT_DECODED_BODY);
	assert_int_equal(o.truncated, 1);
	free(o.buf);
	free(zeros);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_coding),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_concatenated_gzip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
