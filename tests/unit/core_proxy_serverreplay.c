/* Unit tests: core/proxy/serverreplay.c -- the match key, the options
 * that take parts out of it, the order of answers, extra, loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "core/flows/flow.h"
#include "core/proxy/serverreplay.h"

static struct flow_request *
request(const char *method, const char *scheme, const char *host, int port,
    const char *path, const char *body)
{
	struct flow_request *r = core_flow_request_new();

	r->method = strdup(method);
	r->scheme = strdup(scheme);
	r->host = strdup(host);
	r->port = port;
	r->path = strdup(path);
	r->version = strdup("HTTP/1.1");
	if (body != NULL)
		core_flow_body_set(&r->body, body, strlen(body));
	return r;
}

/* A saved flow answering with status and the body text. */
static void
save(const char *method, const char *url_path, const char *body, int status,
    const char *text)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->request = request(method, "http", "example.com", 80, url_path, body);
	f->response = core_flow_response_new();
	f->response->status = status;
	f->response->reason = strdup("OK");
	core_flow_body_set(&f->response->body, text, strlen(text));
	core_serverreplay_add(f);
}

/* What a request gets: the saved text, "EXTRA" (a status of extra's),
 * "KILL" or "FORWARD". */
static char answer[64];

static const char *
ask_req(struct flow_request *r)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	int rc;

	f->request = r;
	rc = core_serverreplay_request(f);
	if (rc == SREPLAY_ANSWER && f->replay == REPLAY_RESPONSE)
		snprintf(answer, sizeof answer, "%.*s",
		    (int)f->response->body.len, f->response->body.data);
	else if (rc == SREPLAY_ANSWER)
		snprintf(answer, sizeof answer, "EXTRA %d",
		    f->response->status);
	else
		snprintf(answer, sizeof answer, "%s", rc == SREPLAY_KILL ?
		    "KILL" : "FORWARD");
	core_flow_free(f);
	return answer;
}

static const char *
ask(const char *method, const char *path, const char *body)
{
	return ask_req(request(method, "http", "example.com", 80, path, body));
}

static int
clear(void **state)
{
	core_serverreplay_clear();
	return 0;
}

static void
test_inactive(void **state)
{
	assert_int_equal(core_serverreplay_active(), 0);
	assert_string_equal(ask("GET", "/", NULL), "FORWARD");
}

static void
test_default_key(void **state)
{
	save("GET", "/a?x=1&y=2", NULL, 200, "a");
	save("POST", "/form", "k=1", 200, "post1");
	save("POST", "/form", "k=2", 200, "post2");
	assert_int_equal(core_serverreplay_active(), 1);
	assert_int_equal(core_serverreplay_left(), 3);
	/* Method, path, parameters in order, body, host, port, scheme. */
	assert_string_equal(ask("HEAD", "/a?x=1&y=2", NULL), "FORWARD");
	assert_string_equal(ask("GET", "/a?y=2&x=1", NULL), "FORWARD");
	assert_string_equal(ask("GET", "/a?x=1", NULL), "FORWARD");
	assert_string_equal(ask("GET", "/b?x=1&y=2", NULL), "FORWARD");
	assert_string_equal(ask_req(request("GET", "https", "example.com", 80,
	    "/a?x=1&y=2", NULL)), "FORWARD");
	assert_string_equal(ask_req(request("GET", "http", "example.com", 8080,
	    "/a?x=1&y=2", NULL)), "FORWARD");
	assert_string_equal(ask_req(request("GET", "http", "other.com", 80,
	    "/a?x=1&y=2", NULL)), "FORWARD");
	assert_string_equal(ask("POST", "/form", "k=3"), "FORWARD");
	/* The host's case and a default port written out do not count;
	 * parameters compare decoded. */
	assert_string_equal(ask_req(request("GET", "http", "EXAMPLE.com", 0,
	    "/a?x=%31&y=2", NULL)), "a");
	assert_string_equal(ask("POST", "/form", "k=2"), "post2");
	assert_string_equal(ask("POST", "/form", "k=1"), "post1");
	assert_int_equal(core_serverreplay_left(), 0);
}

static void
test_once_in_order(void **state)
{
	save("GET", "/n", NULL, 200, "first");
	save("GET", "/n", NULL, 200, "second");
	save("GET", "/other", NULL, 200, "other");
	assert_string_equal(ask("GET", "/n", NULL), "first");
	assert_string_equal(ask("GET", "/n", NULL), "second");
	assert_string_equal(ask("GET", "/n", NULL), "FORWARD");
	assert_string_equal(ask("GET", "/other", NULL), "other");
}

static void
test_reuse(void **state)
{
	core_serverreplay_set_flags(SREPLAY_REUSE);
	save("GET", "/n", NULL, 200, "first");
	save("GET", "/n", NULL, 200, "second");
	assert_string_equal(ask("GET", "/n", NULL), "first");
	assert_string_equal(ask("GET", "/n", NULL), "first");
	assert_string_equal(ask("GET", "/n", NULL), "first");
	assert_int_equal(core_serverreplay_left(), 2);
}

static void
test_ignore(void **state)
{
	core_serverreplay_ignore_param("ts");
	core_serverreplay_ignore_payload("nonce");
	core_serverreplay_set_flags(SREPLAY_IGNORE_HOST | SREPLAY_IGNORE_PORT |
	    SREPLAY_REUSE);
	save("GET", "/p?ts=1&a=b", NULL, 200, "params");
	{
		struct flow *f = core_flow_new(FLOW_HTTP);

		f->request = request("POST", "http", "example.com", 80, "/f",
		    "nonce=1&user=me");
		core_flow_header_add(&f->request->headers, "Content-Type", 12,
		    "application/x-www-form-urlencoded", 33);
		f->response = core_flow_response_new();
		f->response->status = 200;
		core_flow_body_set(&f->response->body, "form", 4);
		core_serverreplay_add(f);
	}
	assert_string_equal(ask("GET", "/p?a=b&ts=99", NULL), "params");
	assert_string_equal(ask("GET", "/p?a=b", NULL), "params");
	assert_string_equal(ask("GET", "/p?a=c", NULL), "FORWARD");
	assert_string_equal(ask_req(request("GET", "http", "elsewhere", 81,
	    "/p?a=b", NULL)), "params");
	{
		struct flow_request *r = request("POST", "http", "x", 1, "/f",
		    "user=me&nonce=777&x=1");
		struct flow_request *r2 = request("POST", "http", "x", 1, "/f",
		    "nonce=2&user=me");
		struct flow_request *r3 = request("POST", "http", "x", 1, "/f",
		    "nonce=2&user=you");

		core_flow_header_add(&r->headers, "Content-Type", 12,
		    "application/x-www-form-urlencoded", 33);
		core_flow_header_add(&r2->headers, "Content-Type", 12,
		    "application/x-www-form-urlencoded", 33);
		core_flow_header_add(&r3->headers, "Content-Type", 12,
		    "application/x-www-form-urlencoded", 33);
		/* The other fields all count, the ignored one does not. */
		assert_string_equal(ask_req(r), "FORWARD");
		assert_string_equal(ask_req(r2), "form");
		assert_string_equal(ask_req(r3), "FORWARD");
	}
}

static void
test_ignore_content(void **state)
{
	core_serverreplay_set_flags(SREPLAY_IGNORE_CONTENT);
	save("POST", "/up", "one", 200, "up");
	assert_string_equal(ask("POST", "/up", "two"), "up");
}

static void
test_use_headers(void **state)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *r;

	core_serverreplay_use_header("x-user");
	core_serverreplay_set_flags(SREPLAY_REUSE);
	f->request = request("GET", "http", "example.com", 80, "/me", NULL);
	core_flow_header_add(&f->request->headers, "X-User", 6, "ann", 3);
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_body_set(&f->response->body, "ann's", 5);
	core_serverreplay_add(f);
	assert_string_equal(ask("GET", "/me", NULL), "FORWARD");
	r = request("GET", "http", "example.com", 80, "/me", NULL);
	core_flow_header_add(&r->headers, "x-user", 6, "bob", 3);
	assert_string_equal(ask_req(r), "FORWARD");
	r = request("GET", "http", "example.com", 80, "/me", NULL);
	core_flow_header_add(&r->headers, "x-user", 6, "ann", 3);
	assert_string_equal(ask_req(r), "ann's");
}

static void
test_extra(void **state)
{
	char *cause = NULL;

	save("GET", "/known", NULL, 200, "known");
	assert_int_equal(core_serverreplay_set_extra("404", &cause), 0);
	assert_string_equal(ask("GET", "/unknown", NULL), "EXTRA 404");
	assert_int_equal(core_serverreplay_set_extra("kill", &cause), 0);
	assert_string_equal(ask("GET", "/unknown", NULL), "KILL");
	assert_int_equal(core_serverreplay_set_extra("forward", &cause), 0);
	assert_string_equal(ask("GET", "/unknown", NULL), "FORWARD");
	assert_int_equal(core_serverreplay_set_extra("99", &cause), -1);
	assert_non_null(strstr(cause, "'99'"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_serverreplay_set_extra("40x", &cause), -1);
	free(cause);
	/* A body kept only in part never matches. */
	{
		struct flow_request *r = request("GET", "http", "example.com",
		    80, "/known", NULL);

		r->body.truncated = 1;
		assert_string_equal(ask_req(r), "FORWARD");
	}
	assert_string_equal(ask("GET", "/known", NULL), "known");
}

static void
test_unusable(void **state)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	/* No response, an interim one, or no HTTP at all: nothing kept. */
	f->request = request("GET", "http", "example.com", 80, "/x", NULL);
	core_serverreplay_add(f);
	f = core_flow_new(FLOW_HTTP);
	f->request = request("GET", "http", "example.com", 80, "/x", NULL);
	f->response = core_flow_response_new();
	f->response->status = 101;
	core_serverreplay_add(f);
	core_serverreplay_add(core_flow_new(FLOW_TCP));
	assert_int_equal(core_serverreplay_left(), 0);
	assert_string_equal(ask("GET", "/x", NULL), "FORWARD");
}

static void
test_refresh(void **state)
{
	struct flow *f = core_flow_new(FLOW_HTTP), *q;
	const char *date;

	f->request = request("GET", "http", "example.com", 80, "/d", NULL);
	f->response = core_flow_response_new();
	f->response->status = 200;
	/* Recorded at 2001-09-09 01:46:40 GMT, a Date of that moment. */
	f->response->t_start = 1000000000;
	core_flow_header_add(&f->response->headers, "Date", 4,
	    "Sun, 09 Sep 2001 01:46:40 GMT", 29);
	core_flow_header_add(&f->response->headers, "Expires", 7,
	    "garbage", 7);
	core_serverreplay_set_flags(SREPLAY_REUSE);
	core_serverreplay_add(f);
	q = core_flow_new(FLOW_HTTP);
	q->request = request("GET", "http", "example.com", 80, "/d", NULL);
	assert_int_equal(core_serverreplay_request(q), SREPLAY_ANSWER);
	date = core_flow_header_get(&q->response->headers, "Date");
	assert_non_null(date);
	assert_null(strstr(date, "2001"));	/* moved to now */
	assert_string_equal(core_flow_header_get(&q->response->headers,
	    "Expires"), "garbage");		/* not a date: kept */
	core_flow_free(q);
	core_serverreplay_set_flags(SREPLAY_REUSE | SREPLAY_NO_REFRESH);
	q = core_flow_new(FLOW_HTTP);
	q->request = request("GET", "http", "example.com", 80, "/d", NULL);
	assert_int_equal(core_serverreplay_request(q), SREPLAY_ANSWER);
	assert_string_equal(core_flow_header_get(&q->response->headers,
	    "Date"), "Sun, 09 Sep 2001 01:46:40 GMT");
	core_flow_free(q);
}

/* The saved response's Content-Encoding, after the load, for a body. */
static const char *
coding_after_load(const char *path, const char *body, size_t len)
{
	struct flow *f = core_flow_new(FLOW_HTTP), *q;
	const char *ce;
	static char got[32];

	f->request = request("GET", "http", "example.com", 80, path, NULL);
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_header_add(&f->response->headers, "Content-Encoding", 16,
	    "gzip", 4);
	core_flow_header_add(&f->response->headers, "Transfer-Encoding", 17,
	    "chunked", 7);
	core_flow_body_set(&f->response->body, body, len);
	core_serverreplay_add(f);
	q = core_flow_new(FLOW_HTTP);
	q->request = request("GET", "http", "example.com", 80, path, NULL);
	assert_int_equal(core_serverreplay_request(q), SREPLAY_ANSWER);
	assert_null(core_flow_header_get(&q->response->headers,
	    "transfer-encoding"));
	ce = core_flow_header_get(&q->response->headers, "content-encoding");
	snprintf(got, sizeof got, "%s", ce != NULL ? ce : "-");
	core_flow_free(q);
	return got;
}

static void
test_content_encoding(void **state)
{
	unsigned char gz[128];
	z_stream z;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)"hello";
	z.avail_in = 5;
	z.next_out = gz;
	z.avail_out = sizeof gz;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	/* Saved as it came: gzip stays. Saved decoded: the label goes. */
	assert_string_equal(coding_after_load("/gz", (char *)gz,
	    sizeof gz - z.avail_out), "gzip");
	assert_string_equal(coding_after_load("/plain", "hello", 5), "-");
}

/* Many saved flows: each found by its key (the index, not a scan). */
static void
test_many(void **state)
{
	char path[32], text[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof path, "/item?id=%d", i);
		snprintf(text, sizeof text, "item %d", i);
		save("GET", path, NULL, 200, text);
	}
	for (i = 4999; i >= 0; i -= 7) {
		snprintf(path, sizeof path, "/item?id=%d", i);
		snprintf(text, sizeof text, "item %d", i);
		assert_string_equal(ask("GET", path, NULL), text);
	}
}

static void
test_load_errors(void **state)
{
	char path[] = "/tmp/trawl-sreplay-unit.XXXXXX";
	char *cause = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"log\":", 7), 7);
	close(fd);
	assert_int_equal(core_serverreplay_load(path, &cause), -1);
	assert_non_null(strstr(cause, "--server-replay "));
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	unlink(path);
	assert_int_equal(core_serverreplay_load(path, &cause), -1);
	assert_non_null(strstr(cause, path));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_inactive, clear),
		cmocka_unit_test_teardown(test_default_key, clear),
		cmocka_unit_test_teardown(test_once_in_order, clear),
		cmocka_unit_test_teardown(test_reuse, clear),
		cmocka_unit_test_teardown(test_ignore, clear),
		cmocka_unit_test_teardown(test_ignore_content, clear),
		cmocka_unit_test_teardown(test_use_headers, clear),
		cmocka_unit_test_teardown(test_extra, clear),
		cmocka_unit_test_teardown(test_unusable, clear),
		cmocka_unit_test_teardown(test_refresh, clear),
		cmocka_unit_test_teardown(test_content_encoding, clear),
		cmocka_unit_test_teardown(test_many, clear),
		cmocka_unit_test_teardown(test_load_errors, clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
