/*
 * core_proxy_wsrelay.c -- the WebSocket relay over two fake streams: the
 * bytes pass unchanged, an injected message waits for a message boundary,
 * intercept holds, edits and drops, bytes that are not WebSocket pass raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"
#include "core/proxy/wsrelay.h"

struct fake {
	struct stream	s;
	struct buf	out;		/* what the relay wrote to this peer */
	int		paused, shut, closed;
};

static void
f_write(struct stream *s, const void *p, size_t n)
{
	core_buf_append(&((struct fake *)s->impl)->out, p, n);
}

static size_t
f_pending(struct stream *s)
{
	return 0;
}

static void
f_pause(struct stream *s, int p)
{
	((struct fake *)s->impl)->paused = p;
}

static void
f_shutdown(struct stream *s)
{
	((struct fake *)s->impl)->shut = 1;
}

static void
f_close(struct stream *s)
{
	((struct fake *)s->impl)->closed = 1;
}

static void
f_abort(struct stream *s)
{
	((struct fake *)s->impl)->closed = 2;
}

static const struct stream_ops fake_ops = {
	f_write, f_pending, f_pause, f_shutdown, f_close, f_abort
};

static struct fake cl, sv;
static struct flow *fl;

static void
feed(struct fake *k, const void *p, size_t n)
{
	k->s.cbs.on_data(k->s.cbs.arg, p, n);
}

/* A client frame (masked) or a server frame; fin and rsv as given. */
static void
frame(struct buf *b, int from_client, int fin, int opcode, const char *p)
{
	static const unsigned char key[4] = { 1, 2, 3, 4 };
	size_t at = b->len;

	core_ws_frame(b, opcode, p, strlen(p), from_client ? key : NULL);
	if (!fin)
		b->data[b->off + at] &= 0x7f;
}

/* The messages in what a fake peer received. */
static int
messages(struct fake *k, int from_client, char out[][64], int max)
{
	struct ws_parser w;
	struct ws_event ev;
	size_t at = 0;
	ssize_t r;
	int n = 0;

	core_ws_parser_init(&w, from_client, NULL);
	while (at < k->out.len) {
		r = core_ws_parse(&w, core_buf_head(&k->out) + at,
		    k->out.len - at, &ev, NULL);
		assert_true(r > 0);
		at += (size_t)r;
		if (ev.type == WS_EV_MESSAGE && n < max) {
			memcpy(out[n], ev.data, ev.len < 63 ? ev.len : 63);
			out[n++][ev.len < 63 ? ev.len : 63] = '\0';
		}
	}
	core_ws_parser_free(&w);
	return n;
}

static int
setup(void **state)
{
	memset(&cl, 0, sizeof cl);
	memset(&sv, 0, sizeof sv);
	cl.s.ops = sv.s.ops = &fake_ops;
	cl.s.impl = &cl;
	sv.s.impl = &sv;
	cl.paused = sv.paused = 1;
	if (core_loop == NULL)
		core_loop = core_loop_new();
	fl = core_flow_new(FLOW_HTTP);
	fl->response = core_flow_response_new();
	fl->response->status = 101;
	core_flow_header_add(&fl->response->headers, "Upgrade", 7,
	    "websocket", 9);
	core_store_add(fl);
	assert_true(core_wsrelay_wants(fl));
	core_wsrelay_start(&cl.s, &sv.s, fl, NULL, 0, NULL, 0, 0);
	assert_false(cl.paused || sv.paused);
	return 0;
}

/* Both sides close: the relay finishes the flow and goes. */
static int
teardown(void **state)
{
	if (core_wsrelay_count() > 0) {
		cl.s.cbs.on_eof(cl.s.cbs.arg);
		sv.s.cbs.on_eof(sv.s.cbs.arg);
	}
	assert_int_equal(fl->state, FLOW_DONE);
	assert_int_equal(core_wsrelay_count(), 0);
	core_loop_once(core_loop, 0);	/* the relay is freed */
	core_buf_free(&cl.out);
	core_buf_free(&sv.out);
	core_store_clear();
	while (core_intercept_count() > 0)
		core_intercept_remove(core_intercept_rule(0)->id);
	return 0;
}

static void
test_bytes_unchanged(void **state)
{
	struct buf in = { 0 }, back = { 0 };

	frame(&in, 1, 0, WS_TEXT, "frag");
	frame(&in, 1, 1, WS_PING, "p");
	frame(&in, 1, 1, WS_CONT, "ment");
	feed(&cl, core_buf_head(&in), 3);	/* a header cut short */
	feed(&cl, core_buf_head(&in) + 3, in.len - 3);
	assert_int_equal(sv.out.len, in.len);
	assert_memory_equal(core_buf_head(&sv.out), core_buf_head(&in), in.len);
	frame(&back, 0, 1, WS_BINARY, "bin");
	frame(&back, 0, 1, WS_CLOSE, "\x0f\xa1" "done");
	feed(&sv, core_buf_head(&back), back.len);
	assert_int_equal(cl.out.len, back.len);
	assert_memory_equal(core_buf_head(&cl.out), core_buf_head(&back),
	    back.len);
	assert_int_equal(fl->msgs.n, 2);
	assert_string_equal(core_flow_msg_at(fl, 0)->data, "fragment");
	assert_true(core_flow_msg_at(fl, 0)->from_client);
	assert_int_equal(core_flow_msg_at(fl, 1)->opcode, WS_BINARY);
	assert_int_equal(fl->ws.closed_by, 2);
	assert_int_equal(fl->ws.close_code, 4001);
	assert_string_equal(fl->ws.close_reason, "done");
	core_buf_free(&in);
	core_buf_free(&back);
}

static void
test_inject_waits_for_boundary(void **state)
{
	struct buf a = { 0 }, b = { 0 };
	char got[4][64];

	frame(&a, 1, 0, WS_TEXT, "a");
	frame(&b, 1, 1, WS_CONT, "b");
	feed(&cl, core_buf_head(&a), a.len);
	assert_int_equal(core_wsrelay_inject(fl, 1, WS_TEXT, "X", 1, NULL), 0);
	/* Not inside the fragmented message. */
	assert_int_equal(sv.out.len, a.len);
	feed(&cl, core_buf_head(&b), b.len);
	assert_int_equal(messages(&sv, 1, got, 4), 2);
	assert_string_equal(got[0], "ab");
	assert_string_equal(got[1], "X");
	/* Toward the client at once, unmasked. */
	assert_int_equal(core_wsrelay_inject(fl, 0, WS_TEXT, "Y", 1, NULL), 0);
	assert_int_equal(messages(&cl, 0, got, 4), 1);
	assert_string_equal(got[0], "Y");
	assert_true(core_flow_msg_at(fl, fl->msgs.n - 1)->flags &
	    FLOW_MSG_INJECTED);
	core_buf_free(&a);
	core_buf_free(&b);
}

static void
test_hold_edit_drop(void **state)
{
	struct buf m = { 0 };
	char got[4][64], *cause = NULL, *text;
	size_t len;

	assert_true(core_intercept_add("~websocket & ~bq secret", &cause) > 0);
	frame(&m, 1, 1, WS_TEXT, "public");
	feed(&cl, core_buf_head(&m), m.len);
	assert_int_equal(sv.out.len, m.len);	/* no match: passes */
	core_buf_free(&m);

	frame(&m, 1, 1, WS_TEXT, "secret one");
	feed(&cl, core_buf_head(&m), m.len);
	assert_int_equal(fl->state, FLOW_PAUSED_MESSAGE);
	assert_int_equal(messages(&sv, 1, got, 4), 1);	/* held back */
	text = core_intercept_render_message(fl, &len);
	assert_string_equal(text, "secret one");
	free(text);
	assert_int_equal(core_intercept_edit_message(fl, "changed", 7, &cause),
	    0);
	assert_int_equal(core_intercept_resume(fl, &cause), 0);
	assert_int_equal(fl->state, FLOW_ACTIVE);
	assert_int_equal(messages(&sv, 1, got, 4), 2);
	assert_string_equal(got[1], "changed");
	assert_true(core_flow_msg_at(fl, 1)->flags & FLOW_MSG_EDITED);
	assert_string_equal(core_flow_msg_at(fl, 1)->data, "changed");

	/* The next one is held in turn, and dropped. */
	core_buf_free(&m);
	frame(&m, 1, 1, WS_TEXT, "secret two");
	feed(&cl, core_buf_head(&m), m.len);
	assert_int_equal(fl->state, FLOW_PAUSED_MESSAGE);
	assert_int_equal(core_intercept_kill(fl, &cause), 0);
	assert_int_equal(messages(&sv, 1, got, 4), 2);	/* dropped */
	assert_true(core_flow_msg_at(fl, 2)->flags & FLOW_MSG_DROPPED);
	assert_int_equal(core_intercept_edit_message(fl, "x", 1, &cause), -1);
	free(cause);
	core_buf_free(&m);
}

static void
test_not_websocket(void **state)
{
	static const char raw[] = "ready\nnot frames at all";

	feed(&sv, raw, sizeof raw - 1);
	assert_int_equal(cl.out.len, sizeof raw - 1);
	assert_memory_equal(core_buf_head(&cl.out), raw, sizeof raw - 1);
	assert_non_null(fl->ws.error);
	assert_non_null(fl->error);
	feed(&sv, "more", 4);
	assert_int_equal(cl.out.len, sizeof raw - 1 + 4);
	assert_int_equal(core_wsrelay_inject(fl, 0, WS_TEXT, "x", 1, NULL),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_unchanged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inject_waits_for_boundary,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_edit_drop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_websocket, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
