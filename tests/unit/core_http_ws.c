/*
 * core_http_ws.c -- the WebSocket frame parser, permessage-deflate and the
 * frame writer, with RFC 6455 / RFC 7692 examples and split inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"

#define MAXEV	8

struct got {
	int		 n;
	int		 type[MAXEV], opcode[MAXEV], code[MAXEV], frames[MAXEV];
	int		 compressed[MAXEV], truncated[MAXEV], zerr[MAXEV];
	char		 data[MAXEV][128];
	size_t		 len[MAXEV];
	uint64_t	 size[MAXEV];
	char		 reason[MAXEV][128];
	int		 rc;		/* -1 once an error came */
	int		 idle;		/* idle after the last byte */
};

/* Feeds in pieces of step bytes (0: whole), each in an exact buffer. */
static void
feed(struct ws_parser *w, const void *in, size_t n, size_t step,
    struct got *g)
{
	const char *p = in;
	size_t at = 0, k;

	memset(g, 0, sizeof *g);
	while (at < n && g->rc == 0) {
		char *piece;
		size_t off = 0;

		k = step == 0 || n - at < step ? n - at : step;
		piece = malloc(k);
		assert_non_null(piece);
		memcpy(piece, p + at, k);
		while (off < k) {
			struct ws_event ev;
			char *cause = NULL;
			ssize_t r = core_ws_parse(w, piece + off, k - off, &ev,
			    &cause);

			if (r < 0) {
				assert_non_null(cause);
				free(cause);
				g->rc = -1;
				break;
			}
			assert_true(r > 0 && (size_t)r <= k - off);
			off += (size_t)r;
			if (ev.type == WS_EV_NONE) {
				assert_int_equal(off, k);
				continue;
			}
			assert_true(g->n < MAXEV);
			g->type[g->n] = ev.type;
			g->opcode[g->n] = ev.opcode;
			g->code[g->n] = ev.close_code;
			g->frames[g->n] = ev.frames;
			g->compressed[g->n] = ev.compressed;
			g->truncated[g->n] = ev.truncated;
			g->zerr[g->n] = ev.inflate_error;
			g->len[g->n] = ev.len;
			g->size[g->n] = ev.size;
			memcpy(g->data[g->n], ev.data, ev.len < 127 ? ev.len :
			    127);
			if (ev.reason != NULL)
				memcpy(g->reason[g->n], ev.reason,
				    ev.reason_len < 127 ? ev.reason_len : 127);
			g->n++;
		}
		free(piece);
		at += k;
	}
	g->idle = core_ws_parser_idle(w);
}

static void
run(int from_client, const struct ws_ext *ext, const void *in, size_t n,
    size_t step, struct got *g)
{
	struct ws_parser w;

	core_ws_parser_init(&w, from_client, ext);
	feed(&w, in, n, step, g);
	core_ws_parser_free(&w);
}

static void
test_rfc_examples(void **state __attribute__((unused)))
{
	static const unsigned char unmasked[] = { 0x81, 0x05, 'H', 'e', 'l',
	    'l', 'o' };
	static const unsigned char masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	size_t step;
	struct got g;

	for (step = 0; step < 4; step++) {
		run(0, NULL, unmasked, sizeof unmasked, step, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.type[0], WS_EV_MESSAGE);
		assert_int_equal(g.opcode[0], WS_TEXT);
		assert_int_equal(g.len[0], 5);
		assert_memory_equal(g.data[0], "Hello", 5);
		assert_true(g.idle);

		run(1, NULL, masked, sizeof masked, step, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 1);
		assert_memory_equal(g.data[0], "Hello", 5);
	}
	/* The wrong mask bit for the direction is an error. */
	run(1, NULL, unmasked, sizeof unmasked, 0, &g);
	assert_int_equal(g.rc, -1);
	run(0, NULL, masked, sizeof masked, 0, &g);
	assert_int_equal(g.rc, -1);
}

static void
test_fragments_and_control(void **state __attribute__((unused)))
{
	/* "Hel", a ping in between, "lo" (RFC 6455 5.4, 5.6). */
	static const unsigned char in[] = { 0x01, 0x03, 'H', 'e', 'l',
	    0x89, 0x05, 'H', 'e', 'l', 'l', 'o', 0x80, 0x02, 'l', 'o',
	    0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e' };
	size_t step;
	struct got g;

	for (step = 0; step < 6; step++) {
		run(0, NULL, in, sizeof in, step, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 3);
		assert_int_equal(g.type[0], WS_EV_CONTROL);
		assert_int_equal(g.opcode[0], WS_PING);
		assert_memory_equal(g.data[0], "Hello", 5);
		assert_int_equal(g.type[1], WS_EV_MESSAGE);
		assert_int_equal(g.frames[1], 2);
		assert_int_equal(g.len[1], 5);
		assert_memory_equal(g.data[1], "Hello", 5);
		assert_int_equal(g.opcode[2], WS_CLOSE);
		assert_int_equal(g.code[2], 1000);
		assert_string_equal(g.reason[2], "bye");
	}
}

static void
test_idle(void **state __attribute__((unused)))
{
	static const unsigned char in[] = { 0x01, 0x01, 'a', 0x80, 0x01,
	    'b' };
	struct ws_parser w;
	struct got g;

	core_ws_parser_init(&w, 0, NULL);
	assert_true(core_ws_parser_idle(&w));
	feed(&w, in, 1, 0, &g);
	assert_false(g.idle);
	feed(&w, in + 1, 2, 0, &g);
	assert_false(g.idle);	/* inside a fragmented message */
	feed(&w, in + 3, 3, 0, &g);
	assert_true(g.idle);
	assert_int_equal(g.n, 1);
	assert_memory_equal(g.data[0], "ab", 2);
	core_ws_parser_free(&w);
}

static void
test_lengths(void **state __attribute__((unused)))
{
	size_t sizes[] = { 125, 126, 65535, 65536, LIMIT_WS_MESSAGE + 10 };
	static const unsigned char key[4] = { 1, 2, 3, 4 };
	size_t i;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct buf b = { 0 };
		char *p = malloc(sizes[i]);
		struct got g;

		memset(p, 'x', sizes[i]);
		core_ws_frame(&b, WS_BINARY, p, sizes[i], key);
		run(1, NULL, core_buf_head(&b), b.len, 0, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.opcode[0], WS_BINARY);
		assert_int_equal(g.size[0], sizes[i]);
		assert_int_equal(g.len[0], sizes[i] > LIMIT_WS_MESSAGE ?
		    LIMIT_WS_MESSAGE : sizes[i]);
		assert_int_equal(g.truncated[0], sizes[i] > LIMIT_WS_MESSAGE);
		assert_memory_equal(g.data[0], "xxxx", 4);
		core_buf_free(&b);
		free(p);
	}
}

static void
test_errors(void **state __attribute__((unused)))
{
	static const struct {
		unsigned char	in[10];
		size_t		n;
	} bad[] = {
		{ { 0x83, 0x00 }, 2 },		/* reserved opcode */
		{ { 0x8b, 0x00 }, 2 },		/* reserved control */
		{ { 0x09, 0x00 }, 2 },		/* fragmented ping */
		{ { 0x89, 0x7e, 0x00, 0x7e }, 4 }, /* ping of 126 */
		{ { 0x80, 0x00 }, 2 },		/* continuation alone */
		{ { 0xc1, 0x00 }, 2 },		/* RSV1, no extension */
		{ { 0xa1, 0x00 }, 2 },		/* RSV2 */
		{ { 0x88, 0x01, 0x03 }, 3 },	/* close of one byte */
		{ { 0x01, 0x00, 0x01, 0x00 }, 4 }, /* text inside text */
		{ { 0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1 }, 10 }, /* past 2^63 */
	};
	size_t i;
	struct got g;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(0, NULL, bad[i].in, bad[i].n, 0, &g);
		assert_int_equal(g.rc, -1);
	}
}

static void
test_ext_parse(void **state __attribute__((unused)))
{
	struct ws_ext e;

	core_ws_ext_parse(NULL, &e);
	assert_false(e.deflate);
	core_ws_ext_parse("permessage-deflate", &e);
	assert_true(e.deflate);
	assert_false(e.client_no_takeover || e.server_no_takeover || e.other);
	assert_int_equal(e.client_bits, 15);
	core_ws_ext_parse("permessage-deflate; client_max_window_bits=10;"
	    " server_no_context_takeover", &e);
	assert_true(e.deflate && e.server_no_takeover);
	assert_false(e.client_no_takeover);
	assert_int_equal(e.client_bits, 10);
	core_ws_ext_parse("x-webkit-foo, permessage-deflate;"
	    "client_no_context_takeover", &e);
	assert_true(e.deflate && e.other && e.client_no_takeover);
}

static void
test_deflate_rfc7692(void **state __attribute__((unused)))
{
	/* RFC 7692 7.2.3.2: "Hello" twice with context takeover. */
	static const unsigned char in[] = { 0xc1, 0x07, 0xf2, 0x48, 0xcd,
	    0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00,
	    0x00 };
	/* 7.2.3.1 split over two frames, 7.2.3.3 uncompressed after. */
	static const unsigned char frag[] = { 0x41, 0x03, 0xf2, 0x48, 0xcd,
	    0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00, 0x81, 0x02, 'h', 'i' };
	struct ws_ext e;
	size_t step;
	struct got g;

	core_ws_ext_parse("permessage-deflate", &e);
	for (step = 0; step < 4; step++) {
		run(0, &e, in, sizeof in, step, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 2);
		assert_true(g.compressed[0] && g.compressed[1]);
		assert_false(g.zerr[0] || g.zerr[1]);
		assert_int_equal(g.len[0], 5);
		assert_memory_equal(g.data[0], "Hello", 5);
		assert_int_equal(g.len[1], 5);
		assert_memory_equal(g.data[1], "Hello", 5);

		run(0, &e, frag, sizeof frag, step, &g);
		assert_int_equal(g.n, 2);
		assert_memory_equal(g.data[0], "Hello", 5);
		assert_false(g.compressed[1]);
		assert_memory_equal(g.data[1], "hi", 2);
	}
}

/* Compresses messages as a sender would, resetting between them when
 * reset is set, into masked client frames. */
static void
deflate_frames(struct buf *out, const char *const *msgs, int n, int reset)
{
	static const unsigned char key[4] = { 9, 8, 7, 6 };
	unsigned char z[4096];
	z_stream s;
	int i;

	memset(&s, 0, sizeof s);
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	for (i = 0; i < n; i++) {
		struct buf f = { 0 };
		size_t zl;

		s.next_in = (unsigned char *)(uintptr_t)msgs[i];
		s.avail_in = (uInt)strlen(msgs[i]);
		s.next_out = z;
		s.avail_out = sizeof z;
		assert_int_equal(deflate(&s, Z_SYNC_FLUSH), Z_OK);
		zl = sizeof z - s.avail_out - 4;	/* drop 00 00 ff ff */
		core_ws_frame(&f, WS_TEXT, z, zl, key);
		f.data[f.off] |= 0x40;			/* RSV1 */
		core_buf_append(out, core_buf_head(&f), f.len);
		core_buf_free(&f);
		if (reset)
			deflateReset(&s);
	}
	deflateEnd(&s);
}

static void
test_deflate_takeover(void **state __attribute__((unused)))
{
	static const char *const msgs[] = {
		"{\"op\":\"subscribe\",\"channel\":\"ticker\"}",
		"{\"op\":\"subscribe\",\"channel\":\"ticker\"}",
		"{\"op\":\"unsubscribe\",\"channel\":\"ticker\"}",
	};
	struct ws_ext e;
	struct buf b = { 0 };
	int reset, i;
	struct got g;

	for (reset = 0; reset < 2; reset++) {
		deflate_frames(&b, msgs, 3, reset);
		core_ws_ext_parse(reset ? "permessage-deflate; "
		    "client_no_context_takeover" : "permessage-deflate", &e);
		run(1, &e, core_buf_head(&b), b.len, 3, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 3);
		for (i = 0; i < 3; i++) {
			assert_false(g.zerr[i]);
			assert_int_equal(g.len[i], strlen(msgs[i]));
			assert_memory_equal(g.data[i], msgs[i], g.len[i]);
		}
		core_buf_free(&b);
	}
}

static void
test_deflate_garbage(void **state __attribute__((unused)))
{
	static const unsigned char in[] = { 0xc2, 0x03, 0xff, 0xff, 0xff,
	    0x82, 0x01, 'z' };
	struct ws_ext e;
	struct got g;

	core_ws_ext_parse("permessage-deflate", &e);
	run(0, &e, in, sizeof in, 0, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 2);
	assert_true(g.zerr[0]);
	assert_memory_equal(g.data[1], "z", 1);
}

static void
test_frame_writer(void **state __attribute__((unused)))
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static const unsigned char want[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct buf b = { 0 };

	core_ws_frame(&b, WS_TEXT, "Hello", 5, key);
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(core_buf_head(&b), want, sizeof want);
	core_buf_free(&b);
	core_ws_frame(&b, WS_PONG, "", 0, NULL);
	assert_int_equal(b.len, 2);
	assert_memory_equal(core_buf_head(&b), "\x8a\x00", 2);
	core_buf_free(&b);
	assert_string_equal(core_ws_opcode_name(WS_TEXT), "text");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_fragments_and_control),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ext_parse),
		cmocka_unit_test(test_deflate_rfc7692),
		cmocka_unit_test(test_deflate_takeover),
		cmocka_unit_test(test_deflate_garbage),
		cmocka_unit_test(test_frame_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
