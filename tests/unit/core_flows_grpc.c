/*
 * core_flows_grpc.c -- gRPC framing and schema-less protobuf text.
 *
 * The fixtures in tests/unit/data/grpc-* were encoded by Google's protobuf
 * library (tests/unit/data/grpc-fixtures.py says how to regenerate them);
 * the expected texts grpc-*.txt beside them were written by hand from
 * the values the script encodes. A few inputs are built here byte by
 * byte: malformed ones, and ones too big to keep as files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/grpc.h"
#include "core/loop/limits.h"

#define DATA	"tests/unit/data/"

/* Reads a whole file into an exact-size malloc (ASan sees overreads). */
static char *
slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof path, DATA "%s", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static char *
expected(const char *name)
{
	size_t n;
	char *p = slurp(name, &n), *s = malloc(n + 1);

	assert_non_null(s);
	memcpy(s, p, n);
	s[n] = '\0';
	free(p);
	return s;
}

/* Text the flow view can show: UTF-8 lines, no control but newline. */
static void
check_text(const char *t, size_t n)
{
	size_t i;

	assert_int_equal(strlen(t), n);
	for (i = 0; i < n; i++)
		assert_true(t[i] == '\n' || (unsigned char)t[i] >= 0x20);
	assert_true(n == 0 || t[n - 1] == '\n');
}

static char *
pb(const char *data, size_t len, int truncated)
{
	char *t = NULL, *cause = NULL;
	size_t n;

	assert_int_equal(core_grpc_protobuf(data, len, truncated, &t, &n,
	    &cause), 0);
	assert_null(cause);
	check_text(t, n);
	return t;
}

static char *
grpc(const char *data, size_t len, const char *enc, int truncated)
{
	char *t = NULL, *cause = NULL;
	size_t n;

	assert_int_equal(core_grpc_format(data, len, enc, truncated, &t, &n,
	    &cause), 0);
	assert_null(cause);
	check_text(t, n);
	return t;
}

/* Every scalar type, strings, bytes, nested, repeated and packed. */
static void
test_all_types(void **state)
{
	size_t len;
	char *in = slurp("grpc-all.pb", &len), *want = expected("grpc-all.txt");
	char *t = pb(in, len, 0);

	assert_string_equal(t, want);
	free(t);
	free(want);
	free(in);
}

static void
test_varints_by_hand(void **state)
{
	char *t;

	/* The protobuf documentation's first example. */
	t = pb("\x08\x96\x01", 3, 0);
	assert_string_equal(t, "1: 150 (zigzag 75)\n");
	free(t);
	/* int32 -1 goes as ten bytes; zero adds no zigzag reading. */
	t = pb("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x10\x00", 13, 0);
	assert_string_equal(t, "1: 18446744073709551615 (int64 -1, zigzag "
	    "-9223372036854775808)\n2: 0\n");
	free(t);
	/* Eleven bytes, or a tenth byte over 1, overflow 64 bits. */
	t = pb("\x08\x01\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 13, 0);
	assert_string_equal(t, "1: 1 (zigzag -1)\n[cannot decode from byte 2: "
	    "a varint longer than 10 bytes]\n<10 ff ff ff ff ff ff ff ff ff "
	    "02>\n");
	free(t);
}

static void
test_groups_and_garbage(void **state)
{
	char *t = NULL, *cause = NULL;
	size_t n;

	/* A group after a good field: what read is shown, then why not. */
	t = pb("\x08\x01\x0b\x08\x02\x0c", 6, 0);
	assert_string_equal(t, "1: 1 (zigzag -1)\n[cannot decode from byte 2: "
	    "a group (wire type 3 or 4, deprecated, not decoded)]\n"
	    "<0b 08 02 0c>\n");
	free(t);
	/* A group inside a length-delimited value: it is not a message. */
	t = pb("\x0a\x02\x0b\x0c", 4, 0);
	assert_string_equal(t, "1: <0b 0c> (packed varints: 11, 12)\n");
	free(t);
	/* JSON is not protobuf: '{' is field 15, a group. */
	assert_int_equal(core_grpc_protobuf("{\"a\":1}", 7, 0, &t, &n, &cause),
	    -1);
	assert_null(t);
	assert_string_equal(cause, "not protobuf: a group (wire type 3 or 4, "
	    "deprecated, not decoded) at byte 0");
	free(cause);
	cause = NULL;
	/* Field number 0, wire type 7, and a length past the end. */
	assert_int_equal(core_grpc_protobuf("\x00\x01", 2, 0, &t, &n, &cause),
	    -1);
	free(cause);
	cause = NULL;
	assert_int_equal(core_grpc_protobuf("\x0f", 1, 0, &t, &n, &cause), -1);
	free(cause);
	cause = NULL;
	t = pb("\x08\x01\x12\x05" "ab", 6, 0);
	assert_string_equal(t, "1: 1 (zigzag -1)\n[cannot decode from byte 2: "
	    "a length-delimited field runs past the end]\n<12 05 61 62>\n");
	free(t);
	/* Not gRPC framing: a flag byte with undefined bits, or too short. */
	assert_int_equal(core_grpc_format("hello", 5, NULL, 0, &t, &n,
	    &cause), -1);
	assert_string_equal(cause, "not gRPC framing: flag byte 0x68");
	free(cause);
	cause = NULL;
	assert_int_equal(core_grpc_format("\0\0", 2, NULL, 0, &t, &n, &cause),
	    -1);
	free(cause);
}

/* Pseudo-random bytes through both decoders: no crash, clean text. */
static void
test_random_garbage(void **state)
{
	unsigned char buf[512];
	uint32_t x = 12345;
	char *t, *cause;
	size_t n, len, i;
	int round;

	for (round = 0; round < 2000; round++) {
		len = round % sizeof buf;
		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (unsigned char)(x >> 16);
			/* Small values make frames and fields more likely. */
			if (round & 1)
				buf[i] &= 0x1f;
		}
		if (len > 0 && round % 3 == 0)
			buf[0] = 0;
		cause = NULL;
		if (core_grpc_protobuf((char *)buf, len, round & 2, &t, &n,
		    &cause) == 0) {
			check_text(t, n);
			free(t);
		} else
			assert_non_null(cause);
		free(cause);
		cause = NULL;
		if (core_grpc_format((char *)buf, len, round & 4 ? "gzip" :
		    NULL, round & 2, &t, &n, &cause) == 0) {
			check_text(t, n);
			free(t);
		} else
			assert_non_null(cause);
		free(cause);
	}
}

static void
test_two_messages(void **state)
{
	size_t len;
	char *in = slurp("grpc-two.bin", &len), *want = expected("grpc-two.txt");
	char *t = grpc(in, len, NULL, 0);
	struct grpc_frame f;

	assert_string_equal(t, want);
	free(t);
	assert_int_equal(core_grpc_frame(in, len, &f), 15);
	assert_int_equal(f.len, 10);
	assert_int_equal(f.flags, 0);
	assert_ptr_equal(f.payload, in + 5);
	assert_int_equal(core_grpc_frame(in + 15, len - 15, &f), 5);
	assert_int_equal(f.len, 0);
	assert_int_equal(core_grpc_frame(in, 3, &f), -2);
	assert_null(f.payload);
	assert_int_equal(core_grpc_frame(in, 7, &f), -2);
	assert_int_equal(f.avail, 2);
	/* Stray bytes after the last message of a whole body. */
	t = grpc(in, len - 2, NULL, 0);
	assert_non_null(strstr(t, "message 1 (10 bytes)\n"));
	assert_non_null(strstr(t, "[3 stray bytes after message 1]\n"));
	free(t);
	free(want);
	free(in);
}

static void
test_truncated(void **state)
{
	size_t len, cut;
	char *in = slurp("grpc-two.bin", &len), *t, *p;

	/* Cut inside the string of message 1: its start, then a note. */
	t = grpc(in, 13, NULL, 1);
	assert_string_equal(t, "message 1 (10 bytes, 8 kept)\n"
	    "  1: 150 (zigzag 75)\n"
	    "  2: \"hel\"...\n"
	    "[only the first 13 bytes of the body were kept]\n");
	free(t);
	t = grpc(in, 16, NULL, 1);
	assert_string_equal(t, "message 1 (10 bytes)\n"
	    "  1: 150 (zigzag 75)\n"
	    "  2: \"hello\"\n"
	    "[the body ends inside the header of message 2]\n"
	    "[only the first 16 bytes of the body were kept]\n");
	free(t);
	/* A message that claims more than a whole body holds. */
	t = grpc(in, 13, NULL, 0);
	assert_non_null(strstr(t, "[message 1: 10 bytes announced, 8 there]\n"));
	free(t);
	/* Every cut of every fixture, each in a buffer of exactly its size. */
	for (cut = 0; cut <= len; cut++) {
		p = malloc(cut ? cut : 1);
		memcpy(p, in, cut);
		free(grpc(p, cut, NULL, 1));
		free(p);
	}
	free(in);
	in = slurp("grpc-all.pb", &len);
	for (cut = 1; cut <= len; cut++) {
		p = malloc(cut);
		memcpy(p, in, cut);
		t = pb(p, cut, 1);
		if (cut < len)
			assert_non_null(strstr(t, "..."));
		free(t);
		free(p);
	}
	/* Cut inside field 12's nested message (it starts at byte 70):
	 * the part there is shown nested, "..." where it stops. */
	t = pb(in, 75, 1);
	p = strstr(t, "12 {\n");
	assert_non_null(p);
	assert_string_equal(p, "12 {\n  1: 1 (zigzag -1)\n  ...\n}\n"
	    "[only the first 75 bytes of the body were kept]\n");
	free(t);
	free(in);
}

static void
test_compressed(void **state)
{
	size_t len;
	char *in = slurp("grpc-gzip.bin", &len), *want = expected("grpc-gzip.txt");
	char *t = grpc(in, len, "gzip", 0);

	assert_string_equal(t, want);
	free(t);
	free(want);
	/* An encoding trawl cannot undo: hex and a note, not a failure. */
	t = grpc(in, len, "snappy", 0);
	assert_non_null(strstr(t, "message 1 (38 bytes, compressed)\n"
	    "  [unknown content coding: snappy]\n  <1f 8b 08 "));
	assert_non_null(strstr(t, "message 2 (2 bytes)\n  1: 8 (zigzag 4)\n"));
	free(t);
	/* Compressed flag, but no grpc-encoding. */
	t = grpc(in, len, NULL, 0);
	assert_non_null(strstr(t, "  [compressed, but grpc-encoding is "
	    "identity]\n"));
	free(t);
	free(in);
	in = slurp("grpc-deflate.bin", &len);
	want = expected("grpc-deflate.txt");
	t = grpc(in, len, "deflate", 0);
	assert_string_equal(t, want);
	free(t);
	free(want);
	free(in);
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* 40 levels: LIMIT_GRPC_DEPTH of them decoded, the rest left as bytes. */
static void
test_deep(void **state)
{
	size_t len, i;
	char *in = slurp("grpc-deep.pb", &len), *t = pb(in, len, 0);
	char want[256];

	assert_int_equal(count(t, "{\n"), LIMIT_GRPC_DEPTH);
	assert_int_equal(count(t, "}\n"), LIMIT_GRPC_DEPTH);
	assert_int_equal(count(t, "(a message nested deeper than 32, not "
	    "decoded)\n"), 1);
	/* The undecoded one sits at depth 32, indented 64 columns. */
	for (i = 0; i < 2 * LIMIT_GRPC_DEPTH; i++)
		want[i] = ' ';
	snprintf(want + i, sizeof want - i, "1: <0a ");
	assert_non_null(strstr(t, want));
	/* The outermost v is 40, after its child. */
	assert_non_null(strstr(t, "\n2: 40 (zigzag 20)\n"));
	assert_true(strncmp(t, "1 {\n  1 {\n", 10) == 0);
	free(t);
	free(in);
}

/* Output and message caps: big inputs built here. */
static void
test_caps(void **state)
{
	size_t len = 1024 * 1024, i, n;
	char *in = malloc(len), *t;

	/* 512 Ki fields of 17 bytes of text each: past LIMIT_GRPC_TEXT. */
	for (i = 0; i < len; i += 2) {
		in[i] = 0x08;
		in[i + 1] = 0x01;
	}
	t = pb(in, len, 0);
	n = strlen(t);
	assert_true(n <= LIMIT_GRPC_TEXT + 64);
	assert_non_null(strstr(t, "[text cut at 2097152 bytes]\n"));
	free(t);
	/* LIMIT_GRPC_MESSAGES + 76 empty messages, then 2 bytes of one. */
	n = (LIMIT_GRPC_MESSAGES + 76) * 5 + 2;
	memset(in, 0, n);
	t = grpc(in, n, NULL, 1);
	assert_int_equal(count(t, "(empty)\n"), LIMIT_GRPC_MESSAGES);
	assert_non_null(strstr(t, "[77 more messages not decoded]\n"));
	free(t);
	/* A long bytes field shows LIMIT_GRPC_HEX bytes and its length. */
	in[0] = 0x0a;
	in[1] = (char)0xe8;	/* length 1000 */
	in[2] = 0x07;
	memset(in + 3, 0xff, 1000);
	t = pb(in, 1003, 0);
	assert_int_equal(count(t, " ff"), LIMIT_GRPC_HEX - 1);
	assert_non_null(strstr(t, " ff ...> (1000 bytes)\n"));
	free(t);
	free(in);
}

/* gRPC-Web puts trailers in the body, flag bit 7. */
static void
test_web_trailers(void **state)
{
	static const char body[] = "\x00\x00\x00\x00\x02\x08\x01"
	    "\x80\x00\x00\x00\x21grpc-status: 0\r\ngrpc-message: \x01\r\n";
	char *t = grpc(body, sizeof body - 1, NULL, 0);

	assert_string_equal(t, "message 1 (2 bytes)\n  1: 1 (zigzag -1)\n"
	    "trailers 2 (33 bytes)\n  grpc-status: 0\n  grpc-message: \\x01\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_varints_by_hand),
		cmocka_unit_test(test_groups_and_garbage),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_two_messages),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_web_trailers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
