/*
 * ws-fuzzer.c -- libFuzzer target for core/http/ws.c.
 *
 * The first byte picks the direction and the negotiated extension
 * (permessage-deflate, with or without context takeover); the rest is one
 * direction's bytes. They are parsed whole and one byte at a time, each
 * piece in a malloc of exactly its size; both walks must see the same
 * events (type, opcode, sizes, a hash of the kept payload) and stop at
 * the same byte. Every message event's kept bytes are reframed and parsed
 * again, which must give them back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

struct walk {
	uint64_t	hash;
	uint64_t	events;
	size_t		taken;
	int		failed;
};

static void
roundtrip(const struct ws_event *ev, int from_client)
{
	static const unsigned char key[4] = { 0xde, 0xad, 0xbe, 0xef };
	struct ws_parser w;
	struct ws_event e2;
	struct buf b = { 0 };
	char *cause = NULL;
	ssize_t r;

	core_ws_parser_init(&w, from_client, NULL);
	core_ws_frame(&b, ev->opcode, ev->data, ev->len, from_client ? key :
	    NULL);
	r = core_ws_parse(&w, core_buf_head(&b), b.len, &e2, &cause);
	CHECK(r == (ssize_t)b.len && e2.type == ev->type);
	CHECK(e2.len == ev->len && memcmp(e2.data, ev->data, ev->len) == 0);
	core_buf_free(&b);
	core_ws_parser_free(&w);
}

static void
walk(const char *in, size_t n, size_t step, int from_client,
    const struct ws_ext *ext, struct walk *wk)
{
	struct ws_parser w;
	size_t at = 0, i;

	memset(wk, 0, sizeof *wk);
	wk->hash = 14695981039346656037ULL;
	core_ws_parser_init(&w, from_client, ext);
	while (at < n && !wk->failed) {
		size_t k = step == 0 || n - at < step ? n - at : step, off = 0;
		char *piece = malloc(k);

		CHECK(piece != NULL);
		memcpy(piece, in + at, k);
		while (off < k) {
			struct ws_event ev;
			char *cause = NULL;
			ssize_t r = core_ws_parse(&w, piece + off, k - off, &ev,
			    &cause);

			if (r < 0) {
				CHECK(cause != NULL);
				free(cause);
				wk->failed = 1;
				break;
			}
			CHECK(r > 0 && (size_t)r <= k - off);
			off += (size_t)r;
			wk->taken += (size_t)r;
			if (ev.type == WS_EV_NONE) {
				CHECK(off == k);
				continue;
			}
			CHECK(ev.len <= ev.size && ev.len <= LIMIT_WS_MESSAGE);
			CHECK(ev.truncated == (ev.size > ev.len));
			wk->events++;
			wk->hash = (wk->hash ^ (uint64_t)ev.type ^
			    ((uint64_t)ev.opcode << 8) ^ ev.size) *
			    1099511628211ULL;
			for (i = 0; i < ev.len; i++)
				wk->hash = (wk->hash ^ (unsigned char)
				    ev.data[i]) * 1099511628211ULL;
			if (ev.type == WS_EV_CONTROL)
				CHECK(ev.len <= 125);
			if (step == 0)
				roundtrip(&ev, from_client);
		}
		free(piece);
		at += k;
	}
	core_ws_parser_free(&w);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const exts[] = { NULL, "permessage-deflate",
	    "permessage-deflate; client_no_context_takeover; "
	    "server_no_context_takeover", "x-other" };
	struct walk whole, bytes;
	struct ws_ext ext;
	int from_client;

	if (size < 1)
		return 0;
	from_client = data[0] & 1;
	core_ws_ext_parse(exts[(data[0] >> 1) & 3], &ext);
	walk((const char *)data + 1, size - 1, 0, from_client, &ext, &whole);
	walk((const char *)data + 1, size - 1, 1, from_client, &ext, &bytes);
	CHECK(whole.failed == bytes.failed && whole.events == bytes.events);
	CHECK(whole.hash == bytes.hash);
	/* A failing frame's first bytes count only when fed one by one. */
	CHECK(whole.failed || whole.taken == bytes.taken);
	return 0;
}
