/*
 * core_flows_search.c -- the hit finder: where hits are and which line
 * they are on, over the text the flow view shows: gzip and br bodies,
 * pretty JSON, a match across the pieces a body arrived in (and across
 * deflate blocks), trailers, hex dumps, regexes, smart case, and bodies
 * the store dropped counted rather than skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/flows/store.h"

#define MAXHITS 64

struct got {
	size_t	 n;
	struct {
		enum search_where	 where;
		size_t			 line;
		char			 text[256];
		char			 match[64];
	} v[MAXHITS];
};

static int
collect(const struct search_hit *h, void *arg)
{
	struct got *g = arg;
	size_t n;

	assert_true(g->n < MAXHITS);
	assert_true(h->match + h->match_len <= h->len);
	g->v[g->n].where = h->where;
	g->v[g->n].line = h->line;
	n = h->len < 255 ? h->len : 255;
	memcpy(g->v[g->n].text, h->text, n);
	g->v[g->n].text[n] = '\0';
	n = h->match_len < 63 ? h->match_len : 63;
	memcpy(g->v[g->n].match, h->text + h->match, n);
	g->v[g->n].match[n] = '\0';
	g->n++;
	return 0;
}

/* Runs text over f into *g; returns the hit count. */
static size_t
run(const char *text, const struct flow *f, struct got *g,
    struct search_tally *t)
{
	char *cause = NULL;
	struct search *s = core_search_compile(text, &cause);
	size_t n;

	assert_non_null(s);
	assert_null(cause);
	memset(g, 0, sizeof *g);
	n = core_search_flow(s, f, collect, g, t);
	assert_int_equal(n, g->n);
	core_search_free(s);
	return n;
}

static void
header(struct flow_headers *h, const char *name, const char *value)
{
	core_flow_header_add(h, name, strlen(name), value, strlen(value));
}

static struct flow *
http_flow(const char *path)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "GET");
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, "api.example");
	f->request->port = 80;
	core_flow_set(&f->request->path, path);
	core_flow_set(&f->request->version, "HTTP/1.1");
	header(&f->request->headers, "Host", "api.example");
	header(&f->request->headers, "User-Agent", "curl/7.88");
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_set(&f->response->reason, "OK");
	return f;
}

/* gzip of s; with split > 0 a full flush after split bytes, so that the
 * stream holds two deflate blocks cut inside the text. */
static size_t
gzip(const char *s, size_t split, unsigned char *out, size_t cap)
{
	z_stream z;
	size_t len = strlen(s);

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = out;
	z.avail_out = cap;
	z.next_in = (Bytef *)(uintptr_t)s;
	if (split > 0) {
		z.avail_in = split;
		assert_int_equal(deflate(&z, Z_FULL_FLUSH), Z_OK);
		z.avail_in = len - split;
	} else
		z.avail_in = len;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	len = z.total_out;
	deflateEnd(&z);
	return len;
}

static void
test_url_headers_trailers(void **state)
{
	struct flow *f = http_flow("/v1/users?q=alice");
	struct got g;

	header(&f->response->headers, "Content-Type", "text/plain");
	header(&f->response->headers, "X-Alice", "yes");
	header(&f->response->trailers, "grpc-message", "alice was here");
	core_flow_body_set(&f->response->body, "hello\nbob\n", 10);

	assert_int_equal(run("alice", f, &g, NULL), 3);
	assert_int_equal(g.v[0].where, SEARCH_URL);
	assert_string_equal(g.v[0].text, "http://api.example/v1/users?q=alice");
	assert_int_equal(g.v[1].where, SEARCH_RESP_HEADER);
	assert_int_equal(g.v[1].line, 1);
	assert_string_equal(g.v[1].text, "X-Alice: yes");
	assert_string_equal(g.v[1].match, "Alice");
	assert_int_equal(g.v[2].where, SEARCH_RESP_TRAILER);
	assert_string_equal(g.v[2].text, "grpc-message: alice was here");

	/* A header line is "name: value", as the flow view prints it. */
	assert_int_equal(run("agent: curl", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_REQ_HEADER);
	assert_int_equal(g.v[0].line, 1);

	/* Body lines count from 0; the text is the line alone. */
	assert_int_equal(run("bob", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_RESP_BODY);
	assert_int_equal(g.v[0].line, 1);
	assert_string_equal(g.v[0].text, "bob");
	assert_int_equal(run("nothing like it", f, &g, NULL), 0);
	core_flow_free(f);
}

/* gzip'ed JSON: the hit is on the line of the pretty-printed text, and
 * a query with the flow view's ": " spacing matches. */
static void
test_gzip_pretty_json(void **state)
{
	static const char json[] = "{\"user\":{\"name\":\"trawl\",\"tags\":"
	    "[\"a\",\"b\"]},\"n\":12345}";
	struct flow *f = http_flow("/");
	unsigned char gz[512];
	struct got g;
	size_t n = gzip(json, 0, gz, sizeof gz);

	header(&f->response->headers, "Content-Type", "application/json");
	header(&f->response->headers, "Content-Encoding", "gzip");
	core_flow_body_set(&f->response->body, gz, n);

	assert_int_equal(run("\"name\": \"trawl\"", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_RESP_BODY);
	/* {, "user": {, "name": ... */
	assert_int_equal(g.v[0].line, 2);
	assert_string_equal(g.v[0].text, "    \"name\": \"trawl\",");
	/* The raw form is not what is shown. */
	assert_int_equal(run("\"name\":\"trawl\"", f, &g, NULL), 0);
	assert_int_equal(run("12345", f, &g, NULL), 1);
	assert_string_equal(g.v[0].text, "  \"n\": 12345");
	assert_int_equal(g.v[0].line, 8);
	core_flow_free(f);
}

static void
test_brotli(void **state)
{
	static const char text[] = "first line\nsecond line has the needle\n"
	    "third\n";
	struct flow *f = http_flow("/");
	uint8_t out[512];
	size_t n = sizeof out;
	struct got g;

	assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT,
	    strlen(text), (const uint8_t *)text, &n, out));
	header(&f->request->headers, "Content-Encoding", "br");
	core_flow_body_set(&f->request->body, out, n);
	assert_int_equal(run("needle", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_REQ_BODY);
	assert_int_equal(g.v[0].line, 1);
	assert_string_equal(g.v[0].text, "second line has the needle");
	/* The compressed bytes are not searched. */
	assert_int_equal(run("re:^third$", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 2);
	core_flow_free(f);
}

/* The body arrived in pieces (chunks, DATA frames) cut inside the text,
 * and as a gzip stream with a block boundary inside it. */
static void
test_chunk_boundary(void **state)
{
	static const char text[] = "aaaa\nbbbb split-needle cccc\ndddd\n";
	const char *cut = strstr(text, "needle");
	struct flow *f = http_flow("/");
	unsigned char gz[512];
	struct got g;
	size_t n;

	core_flow_body_append(&f->response->body, text, (size_t)(cut - text));
	core_flow_body_append(&f->response->body, cut, strlen(cut));
	assert_int_equal(run("split-needle", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 1);
	assert_string_equal(g.v[0].match, "split-needle");

	n = gzip(text, (size_t)(cut - text), gz, sizeof gz);
	core_flow_body_clear(&f->response->body);
	/* In three pieces too, one cut inside the compressed bytes. */
	core_flow_body_append(&f->response->body, gz, 7);
	core_flow_body_append(&f->response->body, gz + 7, n / 2 - 7);
	core_flow_body_append(&f->response->body, gz + n / 2, n - n / 2);
	header(&f->response->headers, "Content-Encoding", "gzip");
	assert_int_equal(run("split-needle", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_RESP_BODY);
	assert_int_equal(g.v[0].line, 1);
	assert_string_equal(g.v[0].text, "bbbb split-needle cccc");
	core_flow_free(f);
}

static void
test_regex(void **state)
{
	struct flow *f = http_flow("/items/42");
	struct search *s;
	char *cause = NULL;
	struct got g;

	core_flow_body_set(&f->response->body,
	    "id=17 ok\nnone here\nid=2048 ok\nid=x\n", 34);
	assert_int_equal(run("re:id=\\d+ ok", f, &g, NULL), 2);
	assert_int_equal(g.v[0].line, 0);
	assert_string_equal(g.v[0].match, "id=17 ok");
	assert_int_equal(g.v[1].line, 2);
	assert_string_equal(g.v[1].match, "id=2048 ok");
	/* ^ and $ are a line's ends. */
	assert_int_equal(run("re:^none", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 1);
	assert_int_equal(run("re:x$", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 3);
	/* A match must lie inside one line. */
	assert_int_equal(run("re:ok\\s+none", f, &g, NULL), 0);
	assert_int_equal(run("re:/items/\\d\\d$", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_URL);
	/* Without "re:" the same text is plain. */
	assert_int_equal(run("id=\\d+", f, &g, NULL), 0);

	s = core_search_compile("re:a(b", &cause);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "column 7"));
	free(cause);
	assert_null(core_search_compile("", &cause));
	free(cause);
	assert_null(core_search_compile("re:", &cause));
	assert_non_null(cause);
	free(cause);
	core_flow_free(f);
}

static void
test_smart_case(void **state)
{
	struct flow *f = http_flow("/");
	struct search *s;
	struct got g;

	core_flow_body_set(&f->response->body, "Trawl\ntrawl\nTRAWL\n", 18);
	assert_int_equal(run("trawl", f, &g, NULL), 3);
	assert_int_equal(run("Trawl", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 0);
	assert_int_equal(run("TRAWL", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 2);
	assert_int_equal(run("re:tr.wl", f, &g, NULL), 3);
	assert_int_equal(run("re:T.awl", f, &g, NULL), 1);
	/* An escape is not an upper-case letter: \S stays caseless. */
	assert_int_equal(run("re:\\Srawl", f, &g, NULL), 3);
	s = core_search_compile("re:\\Wx", NULL);
	assert_true(core_search_caseless(s));
	core_search_free(s);
	s = core_search_compile("Abc", NULL);
	assert_false(core_search_caseless(s));
	assert_string_equal(core_search_text(s), "Abc");
	core_search_free(s);
	core_flow_free(f);
}

/* Binary bodies are searched as the hex dump the flow view shows. */
static void
test_hex_and_raw(void **state)
{
	struct flow *f = core_flow_new(FLOW_TCP);
	unsigned char bin[40];
	struct got g;
	size_t i;

	for (i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)i;
	core_flow_set(&f->server, "192.0.2.1:9");
	core_flow_body_set(&f->up, "HELO there\r\n", 12);
	core_flow_body_set(&f->down, bin, sizeof bin);
	assert_int_equal(run("helo", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_REQ_BODY);
	assert_int_equal(run("1c 1d 1e", f, &g, NULL), 1);
	assert_int_equal(g.v[0].where, SEARCH_RESP_BODY);
	assert_int_equal(g.v[0].line, 1);
	assert_non_null(strstr(g.v[0].text, "00000010  10 11"));
	core_flow_free(f);
}

/* WebSocket messages: each hit says which message; binary as hex. */
static void
test_websocket_messages(void **state)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct got g;

	f->request = core_flow_request_new();
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, "ws.test");
	core_flow_set(&f->request->path, "/chat");
	f->request->port = 80;
	core_flow_msg_add(f, 1, 1, "first line\nneedle here", 22, 22, 0);
	core_flow_msg_add(f, 0, 2, "\x01\x02\xfe", 3, 3, 0);
	core_flow_msg_add(f, 0, 1, "another needle", 14, 14, 0);
	assert_int_equal(run("needle", f, &g, NULL), 2);
	assert_int_equal(g.v[0].where, SEARCH_MESSAGE);
	assert_int_equal(g.v[0].line, 0);
	assert_int_equal(g.v[1].line, 2);
	assert_int_equal(run("01 02 fe", f, &g, NULL), 1);
	assert_int_equal(g.v[0].line, 1);
	{
		char buf[32];

		core_search_where_text(SEARCH_MESSAGE, 2, buf, sizeof buf);
		assert_string_equal(buf, "message 3");
	}
	core_flow_free(f);
}

/* Bodies the store's budget dropped are counted, not silently skipped. */
static void
test_evicted_counted(void **state)
{
	struct search_tally t;
	struct search *s;
	struct flow *f;
	char big[8192];
	size_t i;

	memset(big, 'z', sizeof big);
	memcpy(big + 100, "needle", 6);
	core_store_set_budget(64 * 1024);
	for (i = 0; i < 32; i++) {
		f = http_flow("/");
		core_flow_body_set(&f->response->body, big, sizeof big);
		f->state = FLOW_DONE;
		core_store_add(f);
	}
	assert_int_equal(core_store_count(), 32);
	s = core_search_compile("needle", NULL);
	memset(&t, 0, sizeof t);
	for (i = 0; i < core_store_count(); i++)
		core_search_flow(s, core_store_at(i), NULL, NULL, &t);
	assert_int_equal(t.flows, 32);
	assert_true(t.evicted > 0);
	assert_int_equal(t.flows_hit + t.evicted, 32);
	assert_int_equal(t.hits, t.flows_hit);
	/* The wire size stays for what was dropped. */
	assert_int_equal(core_store_at(0)->response->body.total, sizeof big);
	core_search_free(s);
	core_store_free();
}

/* A callback that returns 1 stops with that flow. */
static int
stop_first(const struct search_hit *h, void *arg)
{
	(*(int *)arg)++;
	return 1;
}

static void
test_stop_and_where(void **state)
{
	struct flow *f = http_flow("/aaa");
	struct search *s = core_search_compile("a", NULL);
	char buf[64];
	int calls = 0;

	header(&f->response->headers, "a", "a");
	assert_int_equal(core_search_flow(s, f, stop_first, &calls, NULL), 1);
	assert_int_equal(calls, 1);
	core_search_where_text(SEARCH_RESP_BODY, 119, buf, sizeof buf);
	assert_string_equal(buf, "resp body line 120");
	core_search_where_text(SEARCH_REQ_HEADER, 3, buf, sizeof buf);
	assert_string_equal(buf, "req header");
	core_search_free(s);
	core_flow_free(f);
}

/* Bodies are searched as text or hex by core_bodyfmt_is_text, which
 * skips plain ASCII eight bytes at a time: every byte that stops it, at
 * every place in and across a word, gives the answer a byte loop does. */
static int
is_text_bytewise(const unsigned char *s, size_t len)
{
	size_t i, ctl = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == 0 || s[i] >= 0x80)
			return -1;	/* decided by other rules: skip */
		if (s[i] < 0x20 && s[i] != '\n' && s[i] != '\r' &&
		    s[i] != '\t' && s[i] != '\f' && s[i] != 0x1b)
			ctl++;
	}
	return ctl * 20 <= len;
}

static void
test_is_text_words(void **state)
{
	static const unsigned char odd[] = { 0x00, 0x01, 0x1f, 0x7f, 0x80,
	    0xc3, 0xff, '\n', '\t', 0x1b };
	unsigned char buf[40];
	size_t k, p, len;
	int want;

	for (len = 1; len <= sizeof buf; len++)
		for (p = 0; p < len; p++)
			for (k = 0; k < sizeof odd; k++) {
				memset(buf, 'x', sizeof buf);
				buf[p] = odd[k];
				want = is_text_bytewise(buf, len);
				if (odd[k] == 0 || (odd[k] >= 0x80 &&
				    odd[k] != 0xc3))
					want = 0;	/* NUL, bad UTF-8 */
				else if (odd[k] == 0xc3)
					/* a lead byte: text only before
					 * a continuation, or cut at the end */
					want = 0;
				if (want == -1)
					continue;
				assert_int_equal(core_bodyfmt_is_text(
				    (const char *)buf, len, 0), want);
			}
	/* Valid UTF-8 across a word boundary, and controls past 1 in 20. */
	memcpy(buf, "abcdef\xc3\xa9ghijklmnop", 18);
	assert_true(core_bodyfmt_is_text((const char *)buf, 18, 0));
	memset(buf, 1, 16);
	memset(buf + 16, 'a', 24);
	assert_false(core_bodyfmt_is_text((const char *)buf, 40, 0));
	buf[0] = 1;
	memset(buf + 1, 'a', 39);
	assert_true(core_bodyfmt_is_text((const char *)buf, 40, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_headers_trailers),
		cmocka_unit_test(test_gzip_pretty_json),
		cmocka_unit_test(test_brotli),
		cmocka_unit_test(test_chunk_boundary),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_smart_case),
		cmocka_unit_test(test_hex_and_raw),
		cmocka_unit_test(test_websocket_messages),
		cmocka_unit_test(test_evicted_counted),
		cmocka_unit_test(test_stop_and_where),
		cmocka_unit_test(test_is_text_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
