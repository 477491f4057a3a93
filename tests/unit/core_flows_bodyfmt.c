/*
 * core_bodyfmt.c -- bodies made readable: JSON, forms, hex, decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/flow.h"

static void
test_json(void **state)
{
	size_t n;
	const char *in = " {\"a\":[1,2,{}],\"b\":\"x,y:{\\\"\"} ";
	char *s = core_bodyfmt_json(in, strlen(in), 0, &n);

	assert_non_null(s);
	assert_string_equal(s, "{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n"
	    "  \"b\": \"x,y:{\\\"\"\n}");
	assert_int_equal(n, strlen(s));
	free(s);
	assert_null(core_bodyfmt_json("{\"a\":1]", 7, 0, &n));
	assert_null(core_bodyfmt_json("hello", 5, 0, &n));
	assert_null(core_bodyfmt_json("{} x", 4, 0, &n));
	assert_null(core_bodyfmt_json("{\"a\":", 5, 0, &n));
	/* A truncated body may end open. */
	s = core_bodyfmt_json("{\"a\":[1", 7, 1, &n);
	assert_string_equal(s, "{\n  \"a\": [\n    1");
	free(s);
}

static void
test_form_and_text(void **state)
{
	size_t n;
	char *s = core_bodyfmt_form("a=1&b=h%C3%A9llo+world&c&=x", 27, &n);

	assert_string_equal(s, "a: 1\nb: h\xc3\xa9llo world\nc: \n: x\n");
	free(s);
	assert_true(core_bodyfmt_is_text("h\xc3\xa9llo\n", 7, 0));
	assert_false(core_bodyfmt_is_text("a\0b", 3, 0));
	assert_false(core_bodyfmt_is_text("\xff\xfe", 2, 0));
	assert_false(core_bodyfmt_is_text("h\xc3", 2, 0));
	assert_true(core_bodyfmt_is_text("h\xc3", 2, 1));
}

static void
test_hex(void **state)
{
	char out[100];
	size_t n = core_bodyfmt_hex_line("0123456789abcdefXY\x01", 19, 1, out,
	    sizeof out);

	/* The text column lines up whatever the length of the line. */
	assert_memory_equal(out, "00000010  58 59 01  ", 20);
	assert_int_equal(strchr(out, '|') - out, 60);
	assert_string_equal(out + 60, "|XY.|");
	assert_int_equal(n, strlen(out));
	core_bodyfmt_hex_line("0123456789abcdefXY\x01", 19, 0, out, sizeof out);
	assert_string_equal(out, "00000000  30 31 32 33 34 35 36 37  "
	    "38 39 61 62 63 64 65 66  |0123456789abcdef|");
	assert_int_equal(core_bodyfmt_hex_lines(16), 1);
	assert_int_equal(core_bodyfmt_hex_lines(17), 2);
}

static void
test_format_gzip_json(void **state)
{
	static const char json[] = "{\"k\":\"v\"}";
	unsigned char gz[128];
	struct flow_headers h = { 0 };
	struct flow_body b = { 0 };
	struct bodyfmt fmt;
	z_stream z;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)json;
	z.avail_in = sizeof json - 1;
	z.next_out = gz;
	z.avail_out = sizeof gz;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	core_flow_body_set(&b, gz, sizeof gz - z.avail_out);
	deflateEnd(&z);
	core_flow_header_add(&h, "Content-Encoding", 16, "gzip", 4);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_JSON);
	assert_true(fmt.decoded);
	assert_string_equal(fmt.text, "{\n  \"k\": \"v\"\n}");
	core_bodyfmt_free(&fmt);

	/* A coding that fails falls back to the raw bytes with a note. */
	core_flow_headers_clear(&h);
	core_flow_header_add(&h, "Content-Encoding", 16, "nope", 4);
	core_flow_body_set(&b, "plain", 5);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_TEXT);
	assert_non_null(fmt.note);
	assert_string_equal(fmt.text, "plain");
	core_bodyfmt_free(&fmt);

	core_flow_body_set(&b, "\x00\x01\x02", 3);
	core_flow_headers_clear(&h);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_HEX);
	assert_int_equal(fmt.len, 3);
	core_bodyfmt_free(&fmt);
	core_flow_body_clear(&b);
	free(b.data);
	core_flow_headers_clear(&h);
	free(h.v);
}

/* gRPC and protobuf bodies by Content-Type (core/flows/grpc.c decodes). */
static void
test_format_grpc(void **state)
{
	/* Two messages as python3-protobuf encodes Inner{a: 150, s: "hello"}
	 * and an empty one (tests/unit/data/grpc-two.bin). */
	static const char two[] = "\x00\x00\x00\x00\x0a\x08\x96\x01\x12\x05"
	    "hello\x00\x00\x00\x00\x00";
	struct flow_headers h = { 0 };
	struct flow_body b = { 0 };
	struct bodyfmt fmt;

	core_flow_header_add(&h, "Content-Type", 12, "application/grpc+proto",
	    22);
	core_flow_body_set(&b, two, sizeof two - 1);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_GRPC);
	assert_null(fmt.note);
	assert_string_equal(fmt.text, "message 1 (10 bytes)\n"
	    "  1: 150 (zigzag 75)\n  2: \"hello\"\n"
	    "message 2 (0 bytes)\n  (empty)\n");
	assert_int_equal(fmt.len, strlen(fmt.text));
	core_bodyfmt_free(&fmt);

	/* A kept prefix says so. */
	b.truncated = 1;
	b.len = 13;
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_GRPC);
	assert_true(fmt.truncated);
	assert_non_null(strstr(fmt.text, "  2: \"hel\"...\n"));
	core_bodyfmt_free(&fmt);
	b.truncated = 0;

	/* Not gRPC framing after all: the usual formats, with a note. */
	core_flow_body_set(&b, "hello", 5);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_TEXT);
	assert_string_equal(fmt.note, "not gRPC framing: flag byte 0x68");
	core_bodyfmt_free(&fmt);

	/* gRPC+JSON is not protobuf: left to the JSON formatter. */
	core_flow_headers_clear(&h);
	core_flow_header_add(&h, "Content-Type", 12, "application/grpc+json",
	    21);
	core_flow_body_set(&b, "{}", 2);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_JSON);
	core_bodyfmt_free(&fmt);

	/* A plain protobuf body, parameters and case aside. */
	core_flow_headers_clear(&h);
	core_flow_header_add(&h, "Content-Type", 12,
	    "Application/X-Protobuf; messageType=x.Y", 40);
	core_flow_body_set(&b, "\x08\x96\x01\x12\x02hi", 7);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_PROTOBUF);
	assert_string_equal(fmt.text, "1: 150 (zigzag 75)\n2: \"hi\"\n");
	core_bodyfmt_free(&fmt);

	/* The same bytes without the type stay binary. */
	core_flow_headers_clear(&h);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_HEX);
	core_bodyfmt_free(&fmt);

	/* grpc-encoding is read from the message's own headers. */
	core_flow_header_add(&h, "Content-Type", 12, "application/grpc", 16);
	core_flow_header_add(&h, "grpc-encoding", 13, "snappy", 6);
	core_flow_body_set(&b, "\x01\x00\x00\x00\x01\x00", 6);
	core_bodyfmt_format(&h, &b, &fmt);
	assert_int_equal(fmt.kind, BODYFMT_GRPC);
	assert_string_equal(fmt.text, "message 1 (1 byte, compressed)\n"
	    "  [unknown content coding: snappy]\n  <00>\n");
	core_bodyfmt_free(&fmt);

	core_flow_body_clear(&b);
	free(b.data);
	core_flow_headers_clear(&h);
	free(h.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_form_and_text),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_format_gzip_json),
		cmocka_unit_test(test_format_grpc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
