/*
 * core_view.c -- the filtered, sorted view of the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/flows/view.h"

static struct flow *
mk(const char *method, const char *host, const char *path, int status,
    uint64_t size, double dur)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, method);
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, host);
	core_flow_set(&f->request->path, path);
	f->request->port = 80;
	f->t.start = 1000;
	if (status != 0) {
		f->response = core_flow_response_new();
		f->response->status = status;
		f->response->body.total = size;
		f->state = FLOW_DONE;
		f->t.end = 1000 + dur;
	}
	return f;
}

static int
teardown(void **state)
{
	core_store_free();
	return 0;
}

/* The paths of the shown flows, joined by spaces. */
static const char *
shown(struct view *v)
{
	static char buf[4096];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < core_view_count(v); i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s",
		    i ? " " : "", core_view_at(v, i)->request->path);
	return buf;
}

static void
test_filter_and_incremental(void **state)
{
	struct view *v;
	struct filter_error err;
	struct flow *a, *live;

	core_store_add(mk("GET", "a.example", "/one", 200, 10, 0.1));
	core_store_add(mk("POST", "b.example", "/two", 404, 20, 0.2));
	v = core_view_new();
	assert_non_null(v);
	assert_null(core_view_new());	/* one view at a time */
	assert_string_equal(shown(v), "/one /two");

	assert_int_equal(core_view_set_filter(v, "~m POST", 0, &err), 0);
	assert_string_equal(shown(v), "/two");
	assert_string_equal(core_view_filter_text(v), "~m POST");

	/* A bad expression keeps the old filter and says where. */
	assert_int_equal(core_view_set_filter(v, "~m POST & ~zz", 0, &err), -1);
	assert_true(err.column > 1);
	assert_string_equal(core_view_filter_text(v), "~m POST");
	assert_string_equal(shown(v), "/two");

	/* New flows are filtered as they arrive. */
	core_store_add(mk("POST", "c.example", "/three", 200, 5, 0.3));
	core_store_add(mk("GET", "c.example", "/four", 200, 5, 0.3));
	assert_string_equal(shown(v), "/two /three");

	/* A flow that changes is re-decided. */
	live = mk("GET", "d.example", "/five", 0, 0, 0);
	core_store_add(live);
	assert_string_equal(shown(v), "/two /three");
	core_flow_set(&live->request->method, "POST");
	core_store_update(live);
	assert_string_equal(shown(v), "/two /three /five");
	a = core_view_at(v, 0);
	core_flow_set(&a->request->method, "PUT");
	core_store_update(a);
	assert_string_equal(shown(v), "/three /five");

	/* Live counting for the prompt. */
	{
		struct filter *f = core_filter_compile("~d c\\.example", 0,
		    NULL);

		assert_int_equal(core_view_count_matching(v, f), 2);
		core_filter_free(f);
	}
	/* "" clears. */
	assert_int_equal(core_view_set_filter(v, "", 0, &err), 0);
	assert_null(core_view_filter_text(v));
	assert_int_equal(core_view_count(v), 5);
	core_view_free(v);
}

static void
test_order(void **state)
{
	struct view *v;
	struct flow *f;

	core_store_add(mk("GET", "b", "/s30", 500, 30, 3));
	core_store_add(mk("PUT", "c", "/s10", 200, 10, 1));
	core_store_add(mk("GET", "a", "/s20", 302, 20, 2));
	v = core_view_new();
	core_view_set_order(v, VIEW_ORDER_SIZE);
	assert_string_equal(shown(v), "/s10 /s20 /s30");
	/* Inserted in place as they arrive. */
	core_store_add(mk("GET", "d", "/s15", 200, 15, 0.5));
	assert_string_equal(shown(v), "/s10 /s15 /s20 /s30");
	/* A flow whose key changes moves. */
	f = core_view_at(v, 0);
	f->response->body.total = 25;
	core_store_update(f);
	assert_string_equal(shown(v), "/s15 /s20 /s10 /s30");
	core_view_set_reverse(v, 1);
	assert_string_equal(shown(v), "/s30 /s10 /s20 /s15");
	assert_int_equal(core_view_index(v, f), 1);
	core_view_set_reverse(v, 0);
	assert_int_equal(core_view_index(v, f), 2);
	core_view_set_order(v, VIEW_ORDER_HOST);
	assert_string_equal(shown(v), "/s20 /s30 /s10 /s15");
	core_view_set_order(v, VIEW_ORDER_STATUS);
	assert_string_equal(shown(v), "/s10 /s15 /s20 /s30");
	core_view_set_order(v, VIEW_ORDER_DURATION);
	assert_string_equal(shown(v), "/s15 /s10 /s20 /s30");
	core_view_set_order(v, VIEW_ORDER_METHOD);
	assert_string_equal(shown(v), "/s30 /s20 /s15 /s10");
	core_view_set_order(v, VIEW_ORDER_TIME);
	assert_string_equal(shown(v), "/s30 /s10 /s20 /s15");
	assert_string_equal(core_view_order_name(VIEW_ORDER_DURATION),
	    "duration");
	core_view_free(v);
}

static void
test_marked_delete_remove(void **state)
{
	struct view *v = core_view_new();
	struct flow *a = mk("GET", "a", "/a", 200, 1, 1);
	struct flow *b = mk("GET", "b", "/b", 200, 1, 1);
	struct flow *c = mk("GET", "c", "/c", 0, 0, 0);	/* active */
	struct flow **list;
	size_t n;

	core_store_add(a);
	core_store_add(b);
	core_store_add(c);
	uint64_t gen = core_view_generation(v);

	core_flow_set(&b->marker, ":default:");
	core_store_update(b);
	assert_true(core_view_generation(v) > gen);
	core_view_set_marked_only(v, 1);
	assert_string_equal(shown(v), "/b");
	core_view_set_marked_only(v, 0);

	/* A finished flow leaves the store, an active one only the view. */
	core_view_delete(v, a);
	assert_int_equal(core_store_count(), 2);
	core_view_delete(v, c);
	assert_int_equal(core_store_count(), 2);
	assert_string_equal(shown(v), "/b");
	assert_int_equal(core_view_index(v, c), SIZE_MAX);
	/* Hidden stays hidden when it changes. */
	core_store_update(c);
	assert_string_equal(shown(v), "/b");

	list = core_view_list(v, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(list[0], b);
	free(list);

	core_store_clear();	/* b goes; c is active */
	assert_int_equal(core_view_count(v), 0);
	core_view_free(v);
}

static void
test_many(void **state)
{
	struct view *v = core_view_new();
	struct filter_error err;
	char path[32];
	size_t i;

	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof path, "/p%zu", i);
		core_store_add(mk(i % 3 ? "GET" : "POST", "h", path,
		    200 + (int)(i % 5), i % 977, 0.001 * (double)(i % 13)));
	}
	assert_int_equal(core_view_count(v), 20000);
	assert_int_equal(core_view_set_filter(v, "~m POST", 0, &err), 0);
	assert_int_equal(core_view_count(v), 6667);
	core_view_set_order(v, VIEW_ORDER_SIZE);
	for (i = 1; i < core_view_count(v); i++)
		assert_true(core_view_at(v, i - 1)->response->body.total <=
		    core_view_at(v, i)->response->body.total);
	for (i = 0; i < core_view_count(v); i += 97)
		assert_int_equal(core_view_index(v, core_view_at(v, i)), i);
	core_view_free(v);
}

/* The store evicting its oldest flows (over budget) while a view shows
 * them: the view follows, stays ordered, and keeps taking new flows. */
static void
test_eviction(void **state)
{
	struct view *v = core_view_new();
	char path[32];
	size_t i, n;

	core_store_set_budget(200 * 1024);
	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof path, "/e%zu", i);
		core_store_add(mk("GET", "h", path, 200, 10, 0.001));
	}
	n = core_view_count(v);
	assert_true(n < 5000);			/* some went */
	assert_int_equal(n, core_store_count());
	/* The newest stayed, in arrival order, each where index says. */
	assert_string_equal(core_view_at(v, n - 1)->request->path, "/e4999");
	for (i = 0; i < n; i++) {
		assert_ptr_equal(core_view_at(v, i), core_store_at(i));
		assert_int_equal(core_view_index(v, core_view_at(v, i)), i);
	}
	core_view_set_reverse(v, 1);
	assert_string_equal(core_view_at(v, 0)->request->path, "/e4999");
	core_view_free(v);
	core_store_set_budget(SIZE_MAX);
}

/* The flows shown, as pointers, in display order. Caller frees. */
static struct flow **
snapshot(struct view *v, size_t *n)
{
	struct flow **a = core_view_list(v, n);

	assert_non_null(a);
	return a;
}

/*
 * A filter applied later, a slice at a time, ends where the same filter
 * applied at once does, in every order and with flows arriving, changing
 * and leaving between the slices; meanwhile the view stays ordered.
 */
static void
test_filter_later(void **state)
{
	static const enum view_order orders[] = { VIEW_ORDER_TIME,
	    VIEW_ORDER_SIZE, VIEW_ORDER_HOST };
	static const size_t steps[] = { 1, 7, 500, SIZE_MAX };
	struct view *v = core_view_new();
	struct filter_error err;
	struct flow **want, **got, *f;
	size_t i, j, o, nw, ng, done, total, k;
	char path[32];
	uint64_t added = 0;
	int more;

	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "/p%zu", i);
		core_store_add(mk(i % 3 ? "GET" : "POST", i % 2 ? "b" : "a",
		    path, 200 + (int)(i % 5), i % 977, 0.001));
	}
	for (o = 0; o < sizeof orders / sizeof orders[0]; o++)
		for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
			core_view_set_order(v, orders[o]);
			assert_int_equal(core_view_set_filter(v, NULL, 0,
			    &err), 0);
			assert_int_equal(core_view_set_filter_later(v,
			    "~m POST | ~c 404", 0, &err), 0);
			assert_int_equal(core_view_count(v), 0);
			assert_true(core_view_filter_progress(v, &done,
			    &total));
			assert_int_equal(done, 0);
			assert_int_equal(total, core_store_count());
			k = 0;
			do {
				more = core_view_filter_step(v, steps[j]);
				/* Events between slices. */
				if (k % 5 == 1) {
					snprintf(path, sizeof path, "/n%llu",
					    (unsigned long long)added++);
					core_store_add(mk("POST", "c", path,
					    200, added % 50, 0.001));
				}
				if (k % 7 == 3 && (f = core_store_at(
				    (k * 31) % core_store_count())) != NULL) {
					f->response->status = 404;
					core_store_update(f);
				}
				if (k % 11 == 5)
					core_store_remove(core_store_at(0));
				for (i = 1; i < core_view_count(v); i++)
					assert_int_equal(core_view_index(v,
					    core_view_at(v, i)), i);
				k++;
			} while (more);
			assert_false(core_view_filter_progress(v, &done,
			    &total));
			got = snapshot(v, &ng);
			assert_int_equal(core_view_set_filter(v,
			    "~m POST | ~c 404", 0, &err), 0);
			want = snapshot(v, &nw);
			assert_int_equal(ng, nw);
			assert_memory_equal(got, want, nw * sizeof *got);
			assert_true(nw > 1000);
			free(got);
			free(want);
		}
	/* A count in slices adds up to the count at once. */
	{
		struct filter *ft = core_filter_compile("~m POST", 0, NULL);
		size_t whole = core_view_count_matching(v, ft), sum = 0;

		assert_non_null(ft);
		for (i = 0; i < core_store_count(); i += 37)
			sum += core_view_count_matching_in(v, ft, i, i + 37);
		assert_int_equal(sum, whole);
		assert_true(whole > 1000);
		core_filter_free(ft);
	}
	/* Another filter ends a pending one. */
	assert_int_equal(core_view_set_filter_later(v, "~m GET", 0, &err), 0);
	assert_int_equal(core_view_filter_step(v, 10), 1);
	assert_int_equal(core_view_set_filter(v, "~m GET", 0, &err), 0);
	assert_false(core_view_filter_progress(v, &done, &total));
	assert_int_equal(core_view_filter_step(v, 10), 0);
	core_view_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_filter_and_incremental, teardown),
		cmocka_unit_test_teardown(test_order, teardown),
		cmocka_unit_test_teardown(test_marked_delete_remove, teardown),
		cmocka_unit_test_teardown(test_many, teardown),
		cmocka_unit_test_teardown(test_eviction, teardown),
		cmocka_unit_test_teardown(test_filter_later, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
