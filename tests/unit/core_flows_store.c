/* Unit tests: core/flows/flow.c and core/flows/store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"

static int events[4];
static uint64_t last_removed;

static void
count(enum store_event ev, struct flow *f, void *arg)
{
	events[ev]++;
	if (ev == STORE_REMOVED)
		last_removed = f->id;
}

static struct flow *
http_flow(const char *host, size_t body)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	char *b = calloc(1, body + 1);

	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "GET");
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, host);
	f->request->port = 80;
	core_flow_set(&f->request->path, "/x?y=1");
	core_flow_header_add(&f->request->headers, "Host", 4, host,
	    strlen(host));
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_body_append(&f->response->body, b, body);
	free(b);
	return f;
}

static void
test_body_cap(void **state)
{
	struct flow_body b = { 0 };
	char *chunk = calloc(1, 1024 * 1024);

	for (int i = 0; i < 5; i++)
		core_flow_body_append(&b, chunk, 1024 * 1024);
	assert_int_equal(b.total, 5 * 1024 * 1024);
	assert_int_equal(b.len, LIMIT_FLOW_BODY);
	assert_true(b.truncated);
	assert_true(b.cap_alloc <= LIMIT_FLOW_BODY);
	core_flow_body_clear(&b);
	core_flow_body_append(&b, "abc", 3);
	assert_int_equal(b.cap_alloc, 3);	/* a small body fits exactly */
	assert_false(b.truncated);
	core_flow_body_clear(&b);
	free(chunk);
}

static void
test_url_and_headers(void **state)
{
	struct flow *f = http_flow("example.org", 0);
	char *url = core_flow_url(f);

	assert_string_equal(url, "http://example.org/x?y=1");
	free(url);
	f->request->port = 8080;
	core_flow_set(&f->request->host, "2001:db8::1");
	url = core_flow_url(f);
	assert_string_equal(url, "http://[2001:db8::1]:8080/x?y=1");
	free(url);
	assert_string_equal(core_flow_header_get(&f->request->headers, "HOST"),
	    "example.org");
	assert_null(core_flow_header_get(&f->request->headers, "Cookie"));
	core_flow_error(f, "first %d", 1);
	core_flow_error(f, "second");
	assert_string_equal(f->error, "first 1");
	core_flow_free(f);
}

static void
test_dup_is_deep(void **state)
{
	struct flow *f = http_flow("a.example", 10), *g;

	core_flow_set(&f->comment, "note");
	f->dns = calloc(1, sizeof *f->dns);
	core_flow_set(&f->dns->name, "a.example");
	g = core_flow_dup(f);
	assert_int_equal(g->id, 0);
	assert_ptr_not_equal(g->request, f->request);
	assert_ptr_not_equal(g->response->body.data, f->response->body.data);
	assert_string_equal(g->request->headers.v[0].value, "a.example");
	assert_string_equal(g->comment, "note");
	assert_string_equal(g->dns->name, "a.example");
	core_flow_free(f);
	assert_string_equal(g->request->host, "a.example");
	core_flow_free(g);
}

static void
test_store_events_and_ids(void **state)
{
	struct flow *a = http_flow("a", 1), *b = http_flow("b", 1);

	memset(events, 0, sizeof events);
	core_store_subscribe(count, NULL);
	core_store_add(a);
	core_store_add(b);
	assert_int_equal(a->id, 1);
	assert_int_equal(b->id, 2);
	assert_int_equal(events[STORE_ADDED], 2);
	core_store_update(a);
	assert_int_equal(events[STORE_UPDATED], 1);
	core_store_finish(a);
	core_store_finish(a);	/* once only */
	assert_int_equal(events[STORE_FINISHED], 1);
	assert_true(a->t.end > 0);
	assert_ptr_equal(core_store_find(2), b);
	assert_ptr_equal(core_store_at(0), a);
	core_store_clear();	/* b is still active: it stays */
	assert_int_equal(core_store_count(), 1);
	assert_int_equal(last_removed, 1);
	assert_ptr_equal(core_store_find(2), b);
	core_store_free();
	assert_int_equal(core_store_count(), 0);
}

static void
test_store_budget(void **state)
{
	size_t i;

	memset(events, 0, sizeof events);
	core_store_subscribe(count, NULL);
	core_store_set_budget(300 * 1024);
	for (i = 0; i < 100; i++) {
		struct flow *f = http_flow("big", 10 * 1024);

		core_store_add(f);
		core_store_finish(f);
	}
	/* Bodies go first, then flows; the total stays under the budget. */
	assert_true(core_store_bytes() <= 300 * 1024);
	assert_int_equal(core_store_count(), 100);
	assert_null(core_store_at(0)->response->body.data);
	assert_non_null(core_store_at(99)->response->body.data);

	core_store_set_budget(20 * 1024);
	assert_true(core_store_bytes() <= 20 * 1024);
	assert_true(core_store_count() < 100);
	assert_true(events[STORE_REMOVED] > 0);
	/* The newest flow survives; the oldest went first. */
	assert_int_equal(core_store_at(core_store_count() - 1)->id, 100);
	core_store_free();
}

/* A scan's prefetch reads ahead of i: never past the last flow, and
 * flows without a request (raw TCP) are fine. */
/* The message ring keeps the newest LIMIT_WS_MESSAGES and counts all;
 * a copy keeps them in order; the byte cap drops the oldest too. */
static void
test_ws_messages(void **state)
{
	struct flow *f = core_flow_new(FLOW_HTTP), *d;
	char text[32], *big;
	size_t i, n = LIMIT_WS_MESSAGES + 5;
	struct flow_msg *m;

	(void)state;
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof text, "m%zu", i);
		core_flow_msg_add(f, (int)(i & 1), 1, text, strlen(text),
		    strlen(text), 0);
	}
	assert_int_equal(f->msgs.total, n);
	assert_int_equal(f->msgs.n, LIMIT_WS_MESSAGES);
	m = core_flow_msg_at(f, 0);
	assert_string_equal(m->data, "m5");
	assert_int_equal(m->seq, 5);
	assert_ptr_equal(core_flow_msg_find(f, 7), core_flow_msg_at(f, 2));
	assert_null(core_flow_msg_find(f, 4));
	d = core_flow_dup(f);
	assert_int_equal(d->msgs.n, f->msgs.n);
	assert_int_equal(d->msgs.total, n);
	assert_string_equal(core_flow_msg_at(d, d->msgs.n - 1)->data,
	    core_flow_msg_at(f, f->msgs.n - 1)->data);
	core_flow_msg_set(d, core_flow_msg_at(d, 0), "edited", 6);
	assert_string_equal(core_flow_msg_at(d, 0)->data, "edited");
	core_flow_free(d);

	big = calloc(1, LIMIT_WS_MESSAGE + 1);
	assert_non_null(big);
	for (i = 0; i < LIMIT_WS_FLOW_BYTES / LIMIT_WS_MESSAGE + 2; i++)
		core_flow_msg_add(f, 0, 2, big, LIMIT_WS_MESSAGE + 1,
		    LIMIT_WS_MESSAGE + 1, 0);
	assert_true(f->msgs.bytes <= LIMIT_WS_FLOW_BYTES);
	m = core_flow_msg_at(f, f->msgs.n - 1);
	assert_int_equal(m->len, LIMIT_WS_MESSAGE);
	assert_true(m->flags & FLOW_MSG_TRUNCATED);
	free(big);
	core_flow_free(f);
}

static void
test_prefetch_bounds(void **state)
{
	size_t i;

	for (i = 0; i < 30; i++)
		core_store_add(i % 3 ? http_flow("p", 1) :
		    core_flow_new(FLOW_TCP));
	for (i = 0; i < core_store_count() + 20; i++)
		core_store_prefetch(i);
	core_store_free();
	core_store_prefetch(0);		/* an empty store */
}

/* Finished flows share their repeated strings and pack their headers;
 * every way of changing, copying and freeing them still works (ASan
 * sees a bad free), and the store counts a shared string once. */
static void
test_finished_flows_share(void **state)
{
	struct flow *a = http_flow("share.example", 1024);
	struct flow *b = http_flow("share.example", 1024), *c;
	size_t one;

	core_flow_set(&core_flow_server_tls_w(a)->cipher,
	    "TLS_AES_128_GCM_SHA256");
	core_flow_set(&core_flow_server_tls_w(b)->cipher,
	    "TLS_AES_128_GCM_SHA256");
	core_flow_header_add(&a->response->headers, "Server", 6, "nginx", 5);
	core_flow_header_add(&b->response->headers, "Server", 6, "nginx", 5);
	core_store_add(a);
	core_store_finish(a);
	one = core_store_bytes();
	core_store_add(b);
	core_store_finish(b);
	assert_ptr_equal(a->request->host, b->request->host);
	assert_ptr_equal(a->request->method, b->request->method);
	assert_ptr_equal(core_flow_server_tls(a)->cipher,
	    core_flow_server_tls(b)->cipher);
	assert_ptr_equal(a->response->headers.v[0].value,
	    b->response->headers.v[0].value);
	assert_ptr_not_equal(a->request->path, b->request->path);
	/* The second flow costs less than the first: its strings are there. */
	assert_true(core_store_bytes() - one < one);
	assert_true(core_store_bytes() >= a->mem + b->mem);

	/* Changes after the finish. */
	core_flow_set(&a->request->host, "other.example");
	assert_string_equal(b->request->host, "share.example");
	core_flow_header_add(&a->response->headers, "X-A", 3, "1", 1);
	assert_string_equal(core_flow_header_get(&a->response->headers,
	    "server"), "nginx");
	assert_string_equal(core_flow_header_get(&a->response->headers,
	    "x-a"), "1");
	core_flow_header_remove(&b->response->headers, "server");
	assert_null(core_flow_header_get(&b->response->headers, "server"));
	assert_string_equal(core_flow_header_get(&b->request->headers,
	    "host"), "share.example");
	core_flow_headers_frame(&b->request->headers, 0, 1);
	assert_string_equal(core_flow_header_get(&b->request->headers,
	    "content-length"), "0");

	/* A copy owns its strings; the original survives it. */
	c = core_flow_dup(a);
	assert_ptr_not_equal(core_flow_server_tls(c)->cipher,
	    core_flow_server_tls(a)->cipher);
	assert_string_equal(core_flow_server_tls(c)->cipher,
	    "TLS_AES_128_GCM_SHA256");
	assert_string_equal(core_flow_header_get(&c->response->headers,
	    "server"), "nginx");
	core_flow_free(c);
	assert_string_equal(core_flow_server_tls(a)->cipher,
	    "TLS_AES_128_GCM_SHA256");

	core_store_update(a);
	core_store_update(b);
	core_store_remove(a);
	core_store_remove(b);
	assert_int_equal(core_store_count(), 0);
	assert_int_equal(core_store_bytes(), 0);	/* the table emptied too */
	core_store_free();
}

/* A header list's arena keeps its fill and size in itself: values stay
 * right across its growth, a pack and an unpack, and the list is 24
 * bytes (four in every HTTP flow). */
static void
test_header_arena(void **state)
{
	struct flow *f = http_flow("arena.example", 0);
	struct flow_headers *h = &f->response->headers;
	char name[32], value[300];
	size_t i, j;

	(void)state;
	assert_int_equal(sizeof *h, 24);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "X-%zu", i);
		memset(value, 'a' + (int)(i % 26), i % 290);
		value[i % 290] = '\0';
		core_flow_header_add(h, name, strlen(name), value,
		    strlen(value));
		if (i == 100) {
			/* Packed and shared, then unpacked by the next add. */
			core_store_add(f);
			core_store_finish(f);
			assert_null(h->arena);
		}
	}
	assert_int_equal(h->n, 200);
	core_flow_header_remove(h, "x-7");
	assert_int_equal(h->n, 199);
	for (i = 0; i < 200; i++) {
		const char *v;

		snprintf(name, sizeof name, "x-%zu", i);
		v = core_flow_header_get(h, name);
		if (i == 7) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_int_equal(strlen(v), i % 290);
		for (j = 0; v[j] != '\0'; j++)
			assert_int_equal(v[j], 'a' + (int)(i % 26));
	}
	core_store_update(f);
	assert_true(f->mem > 200 * 16);
	core_store_remove(f);
	assert_int_equal(core_store_bytes(), 0);
	core_store_free();
}

static void
tls_set(struct flow *f, const char *sni, double not_after)
{
	struct flow_tls *t = core_flow_server_tls_w(f);

	t->present = 1;
	core_flow_set(&t->version, "TLSv1.3");
	core_flow_set(&t->cipher, "TLS_AES_128_GCM_SHA256");
	core_flow_set(&t->sni, sni);
	core_flow_set(&t->cert_subject, "CN=example");
	t->cert_not_after = not_after;
	core_flow_client_tls_w(f)->present = 1;
}

/* TLS details live out of line: none for a plain flow, and one shared
 * record for finished flows whose details are all equal; a write copies
 * it first, and the store counts it once. */
static void
test_tls_records_share(void **state)
{
	struct flow *a = http_flow("tls.example", 0);
	struct flow *b = http_flow("tls.example", 0);
	struct flow *c = http_flow("tls.example", 0);
	struct flow *d = http_flow("plain.example", 0), *e;
	const struct flow_tls *ta;
	size_t one, two;

	(void)state;
	/* A flow without TLS reads an empty record and holds none. */
	assert_non_null(core_flow_client_tls(d));
	assert_int_equal(core_flow_client_tls(d)->present, 0);
	assert_null(core_flow_server_tls(d)->sni);
	assert_null(d->tls_client);
	tls_set(a, "tls.example", 2e9);
	tls_set(b, "tls.example", 2e9);
	tls_set(c, "tls.example", 2.5e9);	/* another certificate */
	assert_ptr_not_equal(core_flow_server_tls(a),
	    core_flow_server_tls(b));
	core_store_add(a);
	core_store_finish(a);
	one = core_store_bytes();
	core_store_add(b);
	core_store_finish(b);
	two = core_store_bytes();
	core_store_add(c);
	core_store_finish(c);
	core_store_add(d);
	core_store_finish(d);
	assert_null(d->tls_client);
	assert_null(d->tls_server);
	ta = core_flow_server_tls(a);
	assert_ptr_equal(ta, core_flow_server_tls(b));
	assert_ptr_equal(core_flow_client_tls(a), core_flow_client_tls(b));
	assert_ptr_not_equal(core_flow_client_tls(a), ta);
	assert_ptr_not_equal(core_flow_server_tls(c), ta);
	assert_ptr_equal(core_flow_server_tls(c)->sni, ta->sni);
	/* b brought nothing new to share, and a shared record costs a
	 * flow nothing: it weighs what the plain flow does. */
	assert_int_equal(two - one, b->mem);
	assert_int_equal(core_flow_size(a), core_flow_size(b));
	assert_int_equal(core_flow_size(a), core_flow_size(d));

	/* A write to a shared record is a write to the flow's own copy. */
	core_flow_set(&core_flow_server_tls_w(b)->sni, "changed.example");
	assert_string_equal(core_flow_server_tls(b)->sni, "changed.example");
	assert_string_equal(ta->sni, "tls.example");
	assert_ptr_equal(core_flow_server_tls(a), ta);
	assert_string_equal(core_flow_server_tls(b)->cipher,
	    "TLS_AES_128_GCM_SHA256");
	assert_true(core_flow_server_tls(b)->cert_not_after == 2e9);
	assert_true(core_flow_size(b) > core_flow_size(a));
	/* Finished again it finds no equal record and shares its own. */
	b->state = FLOW_ACTIVE;
	core_store_finish(b);
	assert_ptr_not_equal(core_flow_server_tls(b), ta);

	/* A copy owns its record and outlives nothing it shares. */
	e = core_flow_dup(a);
	assert_ptr_not_equal(core_flow_server_tls(e), ta);
	assert_string_equal(core_flow_server_tls(e)->sni, "tls.example");
	assert_int_equal(core_flow_client_tls(e)->present, 1);
	core_flow_free(e);

	core_store_remove(a);
	assert_string_equal(core_flow_server_tls(c)->cipher,
	    "TLS_AES_128_GCM_SHA256");
	core_store_remove(b);
	core_store_remove(c);
	core_store_remove(d);
	assert_int_equal(core_store_count(), 0);
	/* Records, strings and the tables all went back. */
	assert_int_equal(core_store_bytes(), 0);
	assert_int_equal(core_flow_shared_bytes(), 0);
	core_store_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_url_and_headers),
		cmocka_unit_test(test_dup_is_deep),
		cmocka_unit_test(test_store_events_and_ids),
		cmocka_unit_test(test_store_budget),
		cmocka_unit_test(test_prefetch_bounds),
		cmocka_unit_test(test_ws_messages),
		cmocka_unit_test(test_finished_flows_share),
		cmocka_unit_test(test_tls_records_share),
		cmocka_unit_test(test_header_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
