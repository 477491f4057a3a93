/*
 * core_har.c -- HAR save/load: lossless round trips of every flow field,
 * the append-only writer, devtools files, malformed input.
 *
 * Run from the top of the tree (tests/run.sh does): the devtools samples
 * are read from tests/unit/data/.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/loop/limits.h"

#define DATA	"tests/unit/data/"

static char tmpdir[64];
static struct rlimit fsize_saved;

/* Flows handed over by core_har_load. */
struct got {
	struct flow	**v;
	size_t		  n;
};

static void
collect(struct flow *f, void *arg)
{
	struct got *g = arg;

	g->v = realloc(g->v, (g->n + 1) * sizeof *g->v);
	assert_non_null(g->v);
	g->v[g->n++] = f;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		core_flow_free(g->v[i]);
	free(g->v);
	memset(g, 0, sizeof *g);
}

static char *
tmp_path(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", tmpdir, name) != -1);
	return p;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

/* --- deep comparison ------------------------------------------------- */

static void
cmp_str(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		fail_msg("%s: \"%s\" != \"%s\"", what, a ? a : "(null)",
		    b ? b : "(null)");
}

static void
cmp_num(double a, double b, const char *what)
{
	if (a != b)
		fail_msg("%s: %.17g != %.17g", what, a, b);
}

static void
cmp_int(long long a, long long b, const char *what)
{
	if (a != b)
		fail_msg("%s: %lld != %lld", what, a, b);
}

static void
cmp_body(const struct flow_body *a, const struct flow_body *b,
    const char *what)
{
	if ((a->data == NULL) != (b->data == NULL))
		fail_msg("%s: data %p vs %p", what, (void *)a->data,
		    (void *)b->data);
	cmp_int(a->len, b->len, what);
	if (a->len > 0 && memcmp(a->data, b->data, a->len) != 0)
		fail_msg("%s: bytes differ", what);
	cmp_int((long long)a->total, (long long)b->total, what);
	cmp_int(a->truncated, b->truncated, what);
}

static void
cmp_headers(const struct flow_headers *a, const struct flow_headers *b,
    const char *what)
{
	size_t i;

	cmp_int(a->n, b->n, what);
	for (i = 0; i < a->n; i++) {
		cmp_str(a->v[i].name, b->v[i].name, what);
		cmp_str(a->v[i].value, b->v[i].value, what);
	}
}

static void
cmp_request(const struct flow_request *a, const struct flow_request *b,
    const char *what)
{
	if ((a == NULL) != (b == NULL))
		fail_msg("%s: one is NULL", what);
	if (a == NULL)
		return;
	cmp_str(a->method, b->method, "method");
	cmp_str(a->scheme, b->scheme, "scheme");
	cmp_str(a->host, b->host, "host");
	cmp_int(a->port, b->port, "port");
	cmp_str(a->path, b->path, "path");
	cmp_str(a->version, b->version, "request version");
	cmp_headers(&a->headers, &b->headers, "request headers");
	cmp_headers(&a->trailers, &b->trailers, "request trailers");
	cmp_body(&a->body, &b->body, "request body");
	cmp_num(a->t_start, b->t_start, "request t_start");
	cmp_num(a->t_end, b->t_end, "request t_end");
}

static void
cmp_response(const struct flow_response *a, const struct flow_response *b,
    const char *what)
{
	if ((a == NULL) != (b == NULL))
		fail_msg("%s: one is NULL", what);
	if (a == NULL)
		return;
	cmp_int(a->status, b->status, "status");
	cmp_str(a->reason, b->reason, "reason");
	cmp_str(a->version, b->version, "response version");
	cmp_headers(&a->headers, &b->headers, "response headers");
	cmp_headers(&a->trailers, &b->trailers, "response trailers");
	cmp_body(&a->body, &b->body, "response body");
	cmp_num(a->t_start, b->t_start, "response t_start");
	cmp_num(a->t_end, b->t_end, "response t_end");
}

static void
cmp_tls(const struct flow_tls *a, const struct flow_tls *b)
{
	cmp_int(a->present, b->present, "tls present");
	cmp_str(a->version, b->version, "tls version");
	cmp_str(a->cipher, b->cipher, "tls cipher");
	cmp_str(a->sni, b->sni, "tls sni");
	cmp_str(a->alpn, b->alpn, "tls alpn");
	cmp_str(a->cert_subject, b->cert_subject, "cert subject");
	cmp_str(a->cert_issuer, b->cert_issuer, "cert issuer");
	cmp_str(a->cert_sans, b->cert_sans, "cert sans");
	cmp_num(a->cert_not_before, b->cert_not_before, "cert not before");
	cmp_num(a->cert_not_after, b->cert_not_after, "cert not after");
	cmp_str(a->cert_sha256, b->cert_sha256, "cert sha256");
	cmp_int(a->passthrough, b->passthrough, "tls passthrough");
	cmp_str(a->passthrough_reason, b->passthrough_reason,
	    "tls passthrough reason");
}

/* Every field a HAR round trip must keep (not mem, not front). */
static void
cmp_flow(const struct flow *a, const struct flow *b)
{
	cmp_int((long long)a->id, (long long)b->id, "id");
	cmp_int(a->stream_id, b->stream_id, "stream id");
	cmp_int(a->type, b->type, "type");
	cmp_int(a->state, b->state, "state");
	cmp_str(a->client, b->client, "client");
	cmp_str(a->server, b->server, "server");
	cmp_int(a->pid, b->pid, "pid");
	cmp_str(a->comm, b->comm, "comm");
	cmp_request(a->request, b->request, "request");
	cmp_response(a->response, b->response, "response");
	cmp_request(a->orig_request, b->orig_request, "orig_request");
	cmp_response(a->orig_response, b->orig_response, "orig_response");
	cmp_tls(core_flow_client_tls(a), core_flow_client_tls(b));
	cmp_tls(core_flow_server_tls(a), core_flow_server_tls(b));
	cmp_num(a->t.start, b->t.start, "t.start");
	cmp_num(a->t.dns_start, b->t.dns_start, "t.dns_start");
	cmp_num(a->t.dns_end, b->t.dns_end, "t.dns_end");
	cmp_num(a->t.connect_end, b->t.connect_end, "t.connect_end");
	cmp_num(a->t.tls_end, b->t.tls_end, "t.tls_end");
	cmp_num(a->t.request_sent, b->t.request_sent, "t.request_sent");
	cmp_num(a->t.response_start, b->t.response_start, "t.response_start");
	cmp_num(a->t.end, b->t.end, "t.end");
	cmp_body(&a->up, &b->up, "up");
	cmp_body(&a->down, &b->down, "down");
	if ((a->dns == NULL) != (b->dns == NULL))
		fail_msg("dns: one is NULL");
	if (a->dns != NULL) {
		cmp_str(a->dns->name, b->dns->name, "dns name");
		cmp_int(a->dns->qtype, b->dns->qtype, "dns qtype");
		cmp_int(a->dns->rcode, b->dns->rcode, "dns rcode");
		cmp_str(a->dns->answers, b->dns->answers, "dns answers");
	}
	cmp_str(a->error, b->error, "error");
	cmp_str(a->marker, b->marker, "marker");
	cmp_str(a->comment, b->comment, "comment");
	cmp_int(a->replay, b->replay, "replay");
	cmp_int((long long)a->replay_of, (long long)b->replay_of, "replay_of");
	cmp_int(a->client_gone, b->client_gone, "client_gone");
	cmp_int(a->modified, b->modified, "modified");
}

/* --- flows with every field set -------------------------------------- */

static void
hdr(struct flow_headers *h, const char *name, const char *value)
{
	core_flow_header_add(h, name, strlen(name), value, strlen(value));
}

static void
tls_fill(struct flow_tls *t, const char *sni, int server)
{
	t->present = 1;
	core_flow_set(&t->version, "TLSv1.3");
	core_flow_set(&t->cipher, "TLS_AES_128_GCM_SHA256");
	core_flow_set(&t->sni, sni);
	core_flow_set(&t->alpn, "http/1.1");
	if (server) {
		core_flow_set(&t->cert_subject, "CN=example.com");
		core_flow_set(&t->cert_issuer, "CN=R3,O=Let's Encrypt,C=US");
		core_flow_set(&t->cert_sans, "example.com,www.example.com");
		t->cert_not_before = 1700000000.0;
		t->cert_not_after = 1707776000.5;
		core_flow_set(&t->cert_sha256,
		    "9f86d081884c7d659a2feaa0c55ad015"
		    "a3bf4f1b2b0b822cd15d6c15b0f00a08");
	}
	t->passthrough = server;
}

static struct flow *
flow_full(uint64_t id)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *r;
	struct flow_response *s;
	static const char bin[] =
	    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe\x00\x80";
	static const char json[] = "{\"name\":\"caf\xc3\xa9 \xe2\x98\x95\"}";
	double t0 = 1715678463.123456;

	f->id = id;
	f->state = FLOW_DONE;
	core_flow_set(&f->client, "127.0.0.1:50312");
	core_flow_set(&f->server, "93.184.215.14:8443");
	f->pid = 4242;
	core_flow_set(&f->comm, "curl");

	r = f->request = core_flow_request_new();
	core_flow_set(&r->method, "POST");
	core_flow_set(&r->scheme, "https");
	core_flow_set(&r->host, "example.com");
	r->port = 8443;
	core_flow_set(&r->path, "/api/v1/items?id=7&q=caf%C3%A9&flag");
	core_flow_set(&r->version, "HTTP/1.1");
	hdr(&r->headers, "Host", "example.com:8443");
	hdr(&r->headers, "User-Agent", "curl/7.88.1");
	hdr(&r->headers, "Cookie", "a=1; b=2");
	hdr(&r->headers, "Content-Type", "application/json");
	hdr(&r->headers, "X-Latin1", "caf\xe9 \xff\xfe");	/* not UTF-8 */
	hdr(&r->headers, "X-Empty", "");
	core_flow_body_set(&r->body, json, strlen(json));
	r->t_start = t0 + 0.0001;
	r->t_end = t0 + 0.0002;

	f->stream_id = 5;
	hdr(&r->trailers, "x-request-checksum", "abc");
	s = f->response = core_flow_response_new();
	s->status = 201;
	core_flow_set(&s->reason, "Created");
	hdr(&s->trailers, "grpc-status", "0");
	hdr(&s->trailers, "grpc-message", "");
	core_flow_set(&s->version, "HTTP/1.1");
	hdr(&s->headers, "Content-Type", "image/png");
	hdr(&s->headers, "Set-Cookie", "sid=xyz; Path=/; Domain=example.com; "
	    "Secure; HttpOnly");
	hdr(&s->headers, "Location", "/api/v1/items/7");
	core_flow_body_set(&s->body, bin, sizeof bin - 1);
	s->body.total = 5000;
	s->body.truncated = 1;
	s->t_start = t0 + 0.2;
	s->t_end = t0 + 0.25;

	f->orig_request = core_flow_request_dup(r);
	core_flow_set(&f->orig_request->method, "PUT");
	core_flow_body_set(&f->orig_request->body, "old", 3);
	f->orig_response = core_flow_response_dup(s);
	f->orig_response->status = 500;

	tls_fill(core_flow_client_tls_w(f), "example.com", 0);
	tls_fill(core_flow_server_tls_w(f), "example.com", 1);
	f->t.start = t0;
	f->t.dns_start = t0 + 0.001;
	f->t.dns_end = t0 + 0.011;
	f->t.connect_end = t0 + 0.05;
	f->t.tls_end = t0 + 0.09;
	f->t.request_sent = t0 + 0.1;
	f->t.response_start = t0 + 0.2;
	f->t.end = t0 + 0.25;

	/* An HTTP flow's raw bytes have no HAR place: they go in _up/_down. */
	core_flow_body_set(&f->up, "GET / HTTP/1.1\r\n", 16);
	core_flow_body_set(&f->down, "\x00\x01\x02", 3);
	f->down.total = 9;
	f->down.truncated = 1;

	core_flow_set(&f->error, "upstream reset the connection");
	core_flow_set(&f->marker, ":star:");
	core_flow_set(&f->comment, "n\xc3\xb6te \xf0\x9f\x90\x9f");
	f->replay = REPLAY_REQUEST;
	f->replay_of = 7;
	f->client_gone = 1;
	f->modified = 1;
	f->rule_ids[0] = 2;
	f->rule_ids[1] = 5;
	f->nrule_ids = 2;
	return f;
}

static struct flow *
flow_stream(enum flow_type type, uint64_t id)
{
	struct flow *f = core_flow_new(type);
	static const char up[] = "\x16\x03\x01\x02\x00\x01\x00\xff\xff\0tail";

	f->id = id;
	f->state = FLOW_ACTIVE;
	core_flow_set(&f->client, "[fd00::1]:40000");
	core_flow_set(&f->server, "[2001:db8::5]:5353");
	f->pid = 77;
	core_flow_set(&f->comm, "nc");
	core_flow_body_set(&f->up, up, sizeof up - 1);
	core_flow_body_set(&f->down, "hello back \xe2\x9c\x93", 14);
	f->up.total = 100000;
	f->up.truncated = 1;
	f->t.start = 1715678400.5;
	f->t.end = 1715678401.75;
	if (type == FLOW_DNS) {
		f->dns = calloc(1, sizeof *f->dns);
		assert_non_null(f->dns);
		core_flow_set(&f->dns->name, "example.com");
		f->dns->qtype = 28;
		f->dns->rcode = 0;
		core_flow_set(&f->dns->answers,
		    "example.com. 300 IN AAAA "
		    "2606:2800:21f:cb07:6820:80da:af6b:8b2c\n"
		    "example.com. 300 IN AAAA 2001:db8::1");
	}
	if (type == FLOW_UDP) {
		core_flow_server_tls_w(f)->passthrough = 1;
		core_flow_set(&core_flow_server_tls_w(f)->passthrough_reason,
		    "--ignore-hosts");
	}
	return f;
}

/* An HTTP flow that knows little: NULLs everywhere they may be. */
static struct flow *
flow_sparse(uint64_t id)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->id = id;
	f->state = FLOW_PAUSED_REQUEST;
	f->t.start = 0;
	f->request = core_flow_request_new();
	/* method, scheme, host, path, version unknown; empty body. */
	core_flow_body_set(&f->request->body, "", 0);
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_set(&f->response->reason, "");	/* "" is not NULL */
	/* The store dropped the body but kept its size. */
	f->response->body.total = 123456;
	f->response->body.truncated = 1;
	f->replay = REPLAY_RESPONSE;
	return f;
}

/* No request and no response yet. */
static struct flow *
flow_bare(uint64_t id)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->id = id;
	core_flow_set(&f->client, "10.0.0.2:1234");
	return f;
}

#define NFLOWS 7

static void
flows_make(struct flow **v)
{
	v[0] = flow_full(1);
	v[1] = flow_stream(FLOW_TCP, 2);
	v[2] = flow_stream(FLOW_UDP, 3);
	v[3] = flow_stream(FLOW_DNS, 4);
	v[4] = flow_sparse(5);
	v[5] = flow_bare(6);
	v[6] = flow_full(UINT64_MAX - 1);	/* ids are uint64_t */
}

static void
flows_free(struct flow **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		core_flow_free(v[i]);
}

static int
load(const char *path, struct got *g, char **cause)
{
	*cause = NULL;
	return core_har_load(path, collect, g, cause);
}

/* --- tests ----------------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	struct flow *v[NFLOWS];
	struct got g = { 0 };
	char *path = tmp_path("rt.har"), *cause = NULL;
	size_t i;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	assert_null(cause);
	assert_int_equal(load(path, &g, &cause), 0);
	if (cause != NULL)
		fail_msg("cause: %s", cause);
	assert_int_equal(g.n, NFLOWS);
	for (i = 0; i < NFLOWS; i++)
		cmp_flow(v[i], g.v[i]);

	/* A second trip gives the same file. */
	{
		char *p2 = tmp_path("rt2.har"), *a, *b;
		FILE *fa, *fb;
		size_t la, lb;

		assert_int_equal(core_har_save(p2, g.v, g.n, &cause), 0);
		fa = fopen(path, "r");
		fb = fopen(p2, "r");
		assert_non_null(fa);
		assert_non_null(fb);
		a = calloc(1, 1 << 20);
		b = calloc(1, 1 << 20);
		la = fread(a, 1, 1 << 20, fa);
		lb = fread(b, 1, 1 << 20, fb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		fclose(fa);
		fclose(fb);
		free(a);
		free(b);
		unlink(p2);
		free(p2);
	}
	got_free(&g);
	flows_free(v, NFLOWS);
	unlink(path);
	free(path);
}

static json_t *
entry_at(json_t *root, size_t i)
{
	return json_array_get(json_object_get(json_object_get(root, "log"),
	    "entries"), i);
}

static const char *
jpath_str(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (c != NULL)
		v = json_object_get(v, c);
	return json_string_value(v);
}

/* The file is standard HAR where it can be: check the fields viewers use. */
static void
test_har_shape(void **state)
{
	struct flow *v[NFLOWS];
	char *path = tmp_path("shape.har"), *cause = NULL;
	json_error_t err;
	json_t *root, *e, *t, *h;
	size_t i;
	int found;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	root = json_load_file(path, JSON_ALLOW_NUL, &err);
	assert_non_null(root);
	assert_string_equal(jpath_str(root, "log", "version", NULL), "1.2");
	assert_string_equal(jpath_str(json_object_get(root, "log"), "creator",
	    "name", NULL), "trawl");
	assert_int_equal(json_array_size(json_object_get(json_object_get(root,
	    "log"), "entries")), NFLOWS);

	e = entry_at(root, 0);
	assert_string_equal(jpath_str(e, "startedDateTime", NULL, NULL),
	    "2024-05-14T09:21:03.123Z");
	assert_string_equal(jpath_str(e, "request", "method", NULL), "POST");
	assert_string_equal(jpath_str(e, "request", "url", NULL),
	    "https://example.com:8443/api/v1/items?id=7&q=caf%C3%A9&flag");
	assert_string_equal(jpath_str(e, "request", "httpVersion", NULL),
	    "HTTP/1.1");
	/* UTF-8 body as text, binary as base64. */
	assert_string_equal(jpath_str(e, "request", "postData", "text"),
	    "{\"name\":\"caf\xc3\xa9 \xe2\x98\x95\"}");
	assert_null(json_object_get(json_object_get(json_object_get(e,
	    "request"), "postData"), "encoding"));
	assert_string_equal(jpath_str(e, "request", "postData", "mimeType"),
	    "application/json");
	assert_string_equal(jpath_str(json_object_get(e, "response"),
	    "content", "encoding", NULL), "base64");
	assert_string_equal(jpath_str(json_object_get(e, "response"),
	    "content", "text", NULL), "iVBORw0KGgoAAAANSUhEUv/+AIA=");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(e, "response"), "content"), "size")), 5000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e,
	    "response"), "status")), 201);
	assert_string_equal(jpath_str(e, "response", "redirectURL", NULL),
	    "/api/v1/items/7");
	assert_string_equal(jpath_str(e, "serverIPAddress", NULL, NULL),
	    "93.184.215.14");
	assert_string_equal(jpath_str(e, "connection", NULL, NULL), "50312");
	/* The rules that changed the flow, by id. */
	h = json_object_get(e, "_rules");
	assert_int_equal(json_array_size(h), 2);
	assert_int_equal(json_integer_value(json_array_get(h, 1)), 5);
	/* Query and cookies parsed for viewers. */
	h = json_object_get(json_object_get(e, "request"), "queryString");
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(jpath_str(json_array_get(h, 1), "value", NULL,
	    NULL), "caf%C3%A9");
	assert_string_equal(jpath_str(json_array_get(h, 2), "name", NULL,
	    NULL), "flag");
	h = json_object_get(json_object_get(e, "request"), "cookies");
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(jpath_str(json_array_get(h, 1), "value", NULL,
	    NULL), "2");
	h = json_object_get(json_object_get(e, "response"), "cookies");
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(jpath_str(json_array_get(h, 0), "domain", NULL,
	    NULL), "example.com");
	assert_true(json_is_true(json_object_get(json_array_get(h, 0),
	    "httpOnly")));
	/* A header that is not UTF-8: readable text plus the exact bytes. */
	h = json_object_get(json_object_get(e, "request"), "headers");
	found = 0;
	for (i = 0; i < json_array_size(h); i++) {
		json_t *x = json_array_get(h, i);

		if (strcmp(jpath_str(x, "name", NULL, NULL), "X-Latin1") != 0)
			continue;
		found = 1;
		assert_string_equal(jpath_str(x, "value", NULL, NULL),
		    "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
		assert_string_equal(jpath_str(x, "_value_b64", NULL, NULL),
		    "Y2Fm6SD//g==");
	}
	assert_true(found);
	/* Relative timings in ms; connect includes ssl; time is the sum. */
	t = json_object_get(e, "timings");
	assert_true(fabs(json_number_value(json_object_get(t, "blocked")) -
	    1) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "dns")) -
	    10) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "connect")) -
	    79) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "ssl")) -
	    40) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "send")) -
	    10) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "wait")) -
	    100) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(t, "receive")) -
	    50) < 1e-3);
	assert_true(fabs(json_number_value(json_object_get(e, "time")) -
	    250) < 1e-3);
	assert_non_null(json_object_get(e, "cache"));

	/* Streams: a request/response shape and _type. */
	e = entry_at(root, 1);
	assert_string_equal(jpath_str(e, "_type", NULL, NULL), "tcp");
	assert_string_equal(jpath_str(e, "request", "method", NULL), "CONNECT");
	assert_string_equal(jpath_str(e, "request", "url", NULL),
	    "tcp://[2001:db8::5]:5353/");
	assert_string_equal(jpath_str(e, "serverIPAddress", NULL, NULL),
	    "2001:db8::5");
	assert_string_equal(jpath_str(json_object_get(e, "request"),
	    "postData", "encoding", NULL), "base64");
	assert_string_equal(jpath_str(json_object_get(e, "response"),
	    "content", "text", NULL), "hello back \xe2\x9c\x93");
	e = entry_at(root, 3);
	assert_string_equal(jpath_str(e, "_type", NULL, NULL), "dns");
	assert_string_equal(jpath_str(e, "request", "method", NULL), "DNS");
	assert_string_equal(jpath_str(e, "request", "url", NULL),
	    "dns://[2001:db8::5]:5353/example.com");
	assert_string_equal(jpath_str(e, "_dns", "name", NULL), "example.com");
	/* Unknown required strings are "" and listed in _null. */
	e = entry_at(root, 4);
	assert_string_equal(jpath_str(e, "request", "method", NULL), "");
	assert_int_equal(json_array_size(json_object_get(json_object_get(e,
	    "request"), "_null")), 2);
	assert_string_equal(jpath_str(e, "response", "statusText", NULL), "");
	assert_string_equal(jpath_str(e, "startedDateTime", NULL, NULL),
	    "1970-01-01T00:00:00.000Z");

	json_decref(root);
	flows_free(v, NFLOWS);
	unlink(path);
	free(path);
}

static void
test_writer(void **state)
{
	struct flow *v[NFLOWS];
	struct har_writer *w;
	struct got g = { 0 };
	char *path = tmp_path("w.har"), *cause = NULL;
	json_error_t err;
	json_t *root;
	size_t i;

	/* Junk from before is replaced. */
	write_str(path, "junk junk junk junk junk junk junk junk junk junk");
	flows_make(v);
	w = core_har_writer_open(path, &cause);
	assert_non_null(w);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("empty file: %s", err.text);
	assert_int_equal(json_array_size(json_object_get(json_object_get(root,
	    "log"), "entries")), 0);
	json_decref(root);
	for (i = 0; i < NFLOWS; i++) {
		assert_int_equal(core_har_writer_add(w, v[i], &cause), 0);
		/* Complete after every add, as if trawl died right here. */
		root = json_load_file(path, JSON_ALLOW_NUL, &err);
		if (root == NULL)
			fail_msg("after %zu: %s", i, err.text);
		assert_int_equal(json_array_size(json_object_get(
		    json_object_get(root, "log"), "entries")), i + 1);
		assert_int_equal((uint64_t)json_integer_value(json_object_get(
		    entry_at(root, i), "_id")), v[i]->id);
		json_decref(root);
	}
	core_har_writer_close(w);
	core_har_writer_close(NULL);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, NFLOWS);
	for (i = 0; i < NFLOWS; i++)
		cmp_flow(v[i], g.v[i]);
	got_free(&g);
	flows_free(v, NFLOWS);
	unlink(path);
	free(path);
}

static void
test_writer_errors(void **state)
{
	char *cause = NULL;

	assert_null(core_har_writer_open("/nonexistent-dir/x.har", &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent-dir/x.har"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_har_save("/nonexistent-dir/x.har", NULL, 0,
	    &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
}

/* Save leaves no temporary file and replaces what was there. */
static void
test_save_atomic(void **state)
{
	struct flow *f = flow_full(9);
	struct got g = { 0 };
	char *path = tmp_path("atomic.har"), *cause = NULL;
	DIR *d;
	struct dirent *de;
	int others = 0;

	write_str(path, "old contents");
	assert_int_equal(core_har_save(path, &f, 1, &cause), 0);
	assert_int_equal(core_har_save(path, &f, 1, &cause), 0);
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "atomic.har.", 11) == 0)
			others++;
	closedir(d);
	assert_int_equal(others, 0);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 1);
	cmp_flow(f, g.v[0]);
	got_free(&g);
	core_flow_free(f);
	unlink(path);
	free(path);
}

static long
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

static size_t
entries_in(const char *path)
{
	json_error_t err;
	json_t *root = json_load_file(path, JSON_ALLOW_NUL, &err);
	size_t n;

	if (root == NULL)
		fail_msg("%s: %s", path, err.text);
	n = json_array_size(json_object_get(json_object_get(root, "log"),
	    "entries"));
	json_decref(root);
	return n;
}

/* Writes that fail half-way (RLIMIT_FSIZE) leave earlier entries intact. */
static void
test_write_failures(void **state)
{
	struct flow *bare = flow_bare(1), *full = flow_full(2);
	struct har_writer *w;
	struct rlimit old, lim;
	char *path = tmp_path("fsize.har"), *probe = tmp_path("probe.har");
	char *cause = NULL;
	long one, delta;
	DIR *d;
	struct dirent *de;
	int others = 0;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);

	/* How much one more bare entry takes. */
	w = core_har_writer_open(probe, &cause);
	assert_non_null(w);
	assert_int_equal(core_har_writer_add(w, bare, &cause), 0);
	one = file_size(probe);
	assert_int_equal(core_har_writer_add(w, bare, &cause), 0);
	delta = file_size(probe) - one;
	core_har_writer_close(w);

	w = core_har_writer_open(path, &cause);
	assert_non_null(w);
	assert_int_equal(core_har_writer_add(w, bare, &cause), 0);
	lim = old;
	lim.rlim_cur = one + delta + 8;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	/* Too big: written in part, then undone. */
	assert_int_equal(core_har_writer_add(w, full, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "File too large"));
	free(cause);
	cause = NULL;
	assert_int_equal(entries_in(path), 1);
	assert_int_equal(file_size(path), one);
	/* The writer goes on. */
	assert_int_equal(core_har_writer_add(w, bare, &cause), 0);
	assert_int_equal(entries_in(path), 2);
	core_har_writer_close(w);

	/* A failed save keeps the old file and leaves no temporary. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_cur = one + 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(core_har_save(path, &full, 1, &cause), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_non_null(strstr(cause, path));
	free(cause);
	assert_int_equal(entries_in(path), 2);
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "fsize.har.", 10) == 0)
			others++;
	closedir(d);
	assert_int_equal(others, 0);

	signal(SIGXFSZ, SIG_DFL);
	core_flow_free(bare);
	core_flow_free(full);
	unlink(path);
	unlink(probe);
	free(path);
	free(probe);
}

/* A failed assertion skips the test's own clean-up. */
static int
fsize_restore(void **state)
{
	signal(SIGXFSZ, SIG_DFL);
	return setrlimit(RLIMIT_FSIZE, &fsize_saved);
}

/* A body at the cap, all binary, survives; a bigger one is cut. */
static void
test_big_bodies(void **state)
{
	struct flow *f = flow_full(1), *c;
	struct got g = { 0 };
	char *path = tmp_path("big.har"), *cause = NULL, *big;
	size_t i, n = LIMIT_FLOW_BODY;
	json_t *root, *content;
	json_error_t err;
	char *text;
	FILE *fp;

	big = malloc(n + 1000);
	assert_non_null(big);
	for (i = 0; i < n + 1000; i++)
		big[i] = (char)(i * 7 + (i >> 8));
	core_flow_body_set(&f->response->body, big, n);
	f->response->body.total = 10ULL * n;
	f->response->body.truncated = 1;
	assert_int_equal(core_har_save(path, &f, 1, &cause), 0);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 1);
	cmp_flow(f, g.v[0]);
	got_free(&g);

	/* Another tool's file with more than the cap: kept prefix. */
	root = json_load_file(path, JSON_ALLOW_NUL, &err);
	assert_non_null(root);
	content = json_object_get(json_object_get(entry_at(root, 0),
	    "response"), "content");
	json_object_del(content, "encoding");
	json_object_del(content, "_truncated");
	json_object_set_new(content, "size", json_integer(1));
	text = malloc(n + 1000);
	assert_non_null(text);
	memset(text, 'y', n + 1000);
	json_object_set_new(content, "text", json_stringn(text, n + 1000));
	free(text);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(json_dumpf(root, fp, 0), 0);
	fclose(fp);
	assert_int_equal(load(path, &g, &cause), 0);
	c = g.v[0];
	assert_int_equal(c->response->body.len, LIMIT_FLOW_BODY);
	assert_int_equal(c->response->body.total, n + 1000);
	assert_true(c->response->body.truncated);
	assert_int_equal(c->response->body.data[n - 1], 'y');
	got_free(&g);

	/* Cut on load even when the file says it was not truncated. */
	json_object_set_new(content, "_truncated", json_false());
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(json_dumpf(root, fp, 0), 0);
	fclose(fp);
	json_decref(root);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.v[0]->response->body.len, LIMIT_FLOW_BODY);
	assert_true(g.v[0]->response->body.truncated);
	got_free(&g);

	free(big);
	core_flow_free(f);
	unlink(path);
	free(path);
}

static void
assert_body(const struct flow_body *b, const char *data, size_t len)
{
	assert_non_null(b->data);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, data, len);
}

static const unsigned char png_head[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H'
};

/* WebSocket messages: trawl's own file round-trips every field; a file
 * shaped as Chrome writes it (text as is, binary in base64) loads. */
static void
test_websocket(void **state)
{
	static const char chrome[] = "{\"log\":{\"version\":\"1.2\","
	    "\"creator\":{\"name\":\"WebInspector\",\"version\":\"537.36\"},"
	    "\"entries\":[{\"_resourceType\":\"websocket\","
	    "\"_webSocketMessages\":[{\"type\":\"send\",\"time\":"
	    "1700000000.5,\"opcode\":1,\"data\":\"hi chrome\"},{\"type\":"
	    "\"receive\",\"time\":1700000000.75,\"opcode\":2,\"data\":"
	    "\"AP8Q\"},{\"type\":\"bogus\"}],\"request\":{\"method\":\"GET\","
	    "\"url\":\"wss://example.org/socket\",\"httpVersion\":\"HTTP/1.1\","
	    "\"headers\":[],\"queryString\":[],\"cookies\":[],"
	    "\"headersSize\":-1,\"bodySize\":0},\"response\":{\"status\":"
	    "101,\"statusText\":\"Switching Protocols\",\"httpVersion\":"
	    "\"HTTP/1.1\",\"headers\":[],\"cookies\":[],\"content\":"
	    "{\"size\":0,\"mimeType\":\"x-unknown\"},\"redirectURL\":\"\","
	    "\"headersSize\":-1,\"bodySize\":0},\"cache\":{},\"timings\":"
	    "{\"send\":0,\"wait\":0,\"receive\":0},\"startedDateTime\":"
	    "\"2023-11-14T22:13:20.000Z\",\"time\":1}]}}";
	struct flow *f = flow_full(1), *g0;
	struct got g = { 0 };
	char *path = tmp_path("ws.har"), *cause = NULL;
	const struct flow_msg *m;
	FILE *fp;

	(void)state;
	f->ws.on = 1;
	f->ws.closed_by = 2;
	f->ws.close_code = 4001;
	core_flow_set(&f->ws.close_reason, "bye now");
	core_flow_set(&f->ws.extensions, "permessage-deflate");
	core_flow_msg_add(f, 1, 1, "hello", 5, 5, FLOW_MSG_COMPRESSED);
	core_flow_msg_add(f, 0, 2, "\x00\xff\x10", 3, 3, FLOW_MSG_INJECTED);
	core_flow_msg_add(f, 0, 1, "caf\xc3", 4, 900, FLOW_MSG_EDITED);
	core_flow_msg_at(f, 0)->t = 1700000000.25;
	assert_int_equal(core_har_save(path, &f, 1, &cause), 0);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 1);
	g0 = g.v[0];
	assert_true(g0->ws.on);
	assert_int_equal(g0->msgs.n, 3);
	assert_int_equal(g0->msgs.total, 3);
	m = core_flow_msg_at(g0, 0);
	assert_true(m->from_client);
	assert_int_equal(m->opcode, 1);
	assert_string_equal(m->data, "hello");
	assert_true(m->t > 1700000000.24 && m->t < 1700000000.26);
	assert_int_equal(m->flags, FLOW_MSG_COMPRESSED);
	m = core_flow_msg_at(g0, 1);
	assert_false(m->from_client);
	assert_int_equal(m->len, 3);
	assert_memory_equal(m->data, "\x00\xff\x10", 3);
	assert_int_equal(m->flags, FLOW_MSG_INJECTED);
	m = core_flow_msg_at(g0, 2);
	assert_int_equal(m->len, 4);
	assert_memory_equal(m->data, "caf\xc3", 4);	/* not UTF-8: exact */
	assert_int_equal(m->size, 900);
	assert_true(m->flags & FLOW_MSG_EDITED);
	assert_true(m->flags & FLOW_MSG_TRUNCATED);
	assert_int_equal(g0->ws.closed_by, 2);
	assert_int_equal(g0->ws.close_code, 4001);
	assert_string_equal(g0->ws.close_reason, "bye now");
	assert_string_equal(g0->ws.extensions, "permessage-deflate");
	got_free(&g);
	core_flow_free(f);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(chrome, fp);
	fclose(fp);
	assert_int_equal(load(path, &g, &cause), 1);	/* the bogus item */
	assert_non_null(cause);
	free(cause);
	assert_int_equal(g.n, 1);
	g0 = g.v[0];
	assert_int_equal(g0->msgs.n, 2);
	m = core_flow_msg_at(g0, 0);
	assert_true(m->from_client);
	assert_string_equal(m->data, "hi chrome");
	m = core_flow_msg_at(g0, 1);
	assert_int_equal(m->opcode, 2);
	assert_int_equal(m->len, 3);
	assert_memory_equal(m->data, "\x00\xff\x10", 3);
	assert_true(m->t > 1700000000.7);
	got_free(&g);
	unlink(path);
	free(path);
}

static void
test_chrome(void **state)
{
	struct got g = { 0 };
	char *cause = NULL, *path = tmp_path("chrome-again.har");
	struct flow *f;
	struct got g2 = { 0 };
	size_t i;

	assert_int_equal(load(DATA "chrome.har", &g, &cause), 0);
	if (cause != NULL)
		fail_msg("%s", cause);
	assert_int_equal(g.n, 4);

	f = g.v[0];
	assert_int_equal(f->type, FLOW_HTTP);
	assert_int_equal(f->state, FLOW_DONE);
	assert_string_equal(f->request->method, "GET");
	assert_string_equal(f->request->scheme, "https");
	assert_string_equal(f->request->host, "example.com");
	assert_int_equal(f->request->port, 443);
	assert_string_equal(f->request->path, "/index.html?lang=en&x=1");
	assert_string_equal(f->request->version, "http/2.0");
	/* HTTP/2 pseudo-headers dropped, the rest in order. */
	assert_int_equal(f->request->headers.n, 5);
	assert_string_equal(f->request->headers.v[0].name, "accept");
	assert_string_equal(core_flow_header_get(&f->request->headers,
	    "cookie"), "session=abc123; theme=dark");
	assert_null(f->request->body.data);
	assert_int_equal(f->response->status, 200);
	assert_string_equal(f->response->reason, "");
	assert_int_equal(f->response->headers.n, 8);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "etag"), "\"3147526947+gzip\"");
	assert_non_null(f->response->body.data);
	assert_int_equal(f->response->body.len, 199);
	assert_non_null(strstr(f->response->body.data,
	    "Example \xe2\x98\x95 Domain"));
	assert_int_equal(f->response->body.total, 199);
	assert_false(f->response->body.truncated);
	assert_string_equal(f->server, "93.184.215.14:443");
	assert_null(f->error);
	/* 09:21:03.510Z; the phases follow each other from there. */
	assert_true(fabs(f->t.start - 1715678463.510) < 1e-6);
	assert_true(fabs(f->t.dns_start - (f->t.start + 0.002104)) < 1e-6);
	assert_true(fabs(f->t.dns_end - f->t.dns_start - 0.020512) < 1e-6);
	assert_true(fabs(f->t.connect_end - f->t.dns_end - 0.0389) < 1e-6);
	assert_true(fabs(f->t.tls_end - f->t.dns_end - 0.0802) < 1e-6);
	assert_true(fabs(f->t.end - f->t.start - 0.187213) < 1e-6);
	assert_true(fabs(f->request->t_start - f->t.start) < 1e-9);
	assert_true(fabs(f->response->t_end - f->t.end) < 1e-9);

	f = g.v[1];
	assert_string_equal(f->request->method, "POST");
	assert_string_equal(f->request->host, "api.example.com");
	assert_int_equal(f->request->port, 8443);
	assert_string_equal(f->request->path, "/v1/projects");
	assert_body(&f->request->body, "{\"name\":\"trawl\",\"tags\":[\"net\","
	    "\"tui\"]}", 37);
	assert_int_equal(f->response->status, 201);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "location"), "/v1/projects/1017");
	assert_non_null(strstr(f->response->body.data,
	    "\"login\":\"\xc3\xbcn\xc3\xaf""c\xc3\xb8""d\xc3\xa9\""));
	assert_string_equal(f->server, "[2606:4700::6810:85e5]:8443");
	assert_int_equal(f->t.dns_start, 0);
	assert_int_equal(f->t.connect_end, 0);

	f = g.v[2];
	assert_string_equal(f->request->path, "/img/dot.png");
	assert_int_equal(f->response->body.len, 69);
	assert_memory_equal(f->response->body.data, png_head,
	    sizeof png_head);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "content-type"), "image/png");

	f = g.v[3];
	assert_int_equal(f->response->status, 0);
	assert_string_equal(f->error, "net::ERR_NAME_NOT_RESOLVED");
	assert_null(f->response->body.data);
	assert_null(f->server);

	/* Saved by trawl and loaded again, nothing changes. */
	assert_int_equal(core_har_save(path, g.v, g.n, &cause), 0);
	assert_int_equal(load(path, &g2, &cause), 0);
	assert_int_equal(g2.n, g.n);
	for (i = 0; i < g.n; i++)
		cmp_flow(g.v[i], g2.v[i]);
	got_free(&g2);
	got_free(&g);
	unlink(path);
	free(path);
}

static void
test_firefox(void **state)
{
	struct got g = { 0 };
	char *cause = NULL;
	struct flow *f;

	assert_int_equal(load(DATA "firefox.har", &g, &cause), 0);
	if (cause != NULL)
		fail_msg("%s", cause);
	assert_int_equal(g.n, 4);

	f = g.v[0];
	assert_string_equal(f->request->method, "GET");
	assert_string_equal(f->request->scheme, "http");
	assert_string_equal(f->request->host, "example.org");
	assert_int_equal(f->request->port, 80);
	assert_string_equal(f->request->path, "/");
	assert_string_equal(f->request->version, "HTTP/1.1");
	assert_int_equal(f->request->headers.n, 7);
	assert_string_equal(f->request->headers.v[0].name, "Host");
	assert_string_equal(f->request->headers.v[0].value, "example.org");
	assert_int_equal(f->response->status, 200);
	assert_string_equal(f->response->reason, "OK");
	assert_int_equal(f->response->body.len, 199);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "Content-Type"), "text/html; charset=UTF-8");
	/* +02:00: the same instant as Chrome's 09:21:03.510Z. */
	assert_true(fabs(f->t.start - 1715678463.510) < 1e-6);
	assert_true(fabs(f->t.end - f->t.start - 0.112) < 1e-6);
	assert_string_equal(f->server, "93.184.215.14:80");

	/* A form post that only has params. */
	f = g.v[1];
	assert_string_equal(f->request->method, "POST");
	assert_body(&f->request->body, "q=trawl&page=2", 14);
	assert_int_equal(f->request->body.total, 14);
	assert_int_equal(f->response->status, 302);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "Location"), "/results?q=trawl&page=2");
	assert_body(&f->response->body, "", 0);

	f = g.v[2];
	assert_int_equal(f->request->port, 443);
	assert_int_equal(f->response->body.len, 69);
	assert_memory_equal(f->response->body.data, png_head,
	    sizeof png_head);
	assert_string_equal(f->server, "[2606:4700::6810:85e5]:443");

	/* Only what HAR requires, and less. */
	f = g.v[3];
	assert_string_equal(f->request->path, "/minimal");
	assert_int_equal(f->response->status, 204);
	assert_null(f->response->body.data);
	assert_int_equal(f->response->body.total, 0);
	assert_null(f->server);
	assert_true(fabs(f->t.end - f->t.start - 0.010) < 1e-6);
	got_free(&g);
}

/* Errors that make the file unusable: -1, a message, no flow. */
static void
expect_fatal(const char *name, const char *data, size_t len,
    const char *needle)
{
	struct got g = { 0 };
	char *path = tmp_path(name), *cause = NULL;

	write_file(path, data, len);
	assert_int_equal(load(path, &g, &cause), -1);
	assert_int_equal(g.n, 0);
	if (cause == NULL)
		fail_msg("%s: no cause", name);
	if (needle != NULL && strstr(cause, needle) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", name, cause, needle);
	free(cause);
	unlink(path);
	free(path);
}

/* A string literal without its NUL. */
#define FATAL(name, lit, needle) expect_fatal(name, lit, sizeof lit - 1, needle)

static void
test_malformed_fatal(void **state)
{
	char *deep;
	size_t i, n = 100000;

	FATAL("empty.har", "", "line");
	FATAL("text.har", "hello, world\n", "line 1");
	FATAL("array.har", "[]", "not a HAR file");
	FATAL("nolog.har", "{\"log\": 5}", "\"log\"");
	FATAL("noentries.har", "{\"log\": {\"version\": \"1.2\"}}",
	    "log.entries");
	FATAL("entriesobj.har", "{\"log\": {\"entries\": {}}}", "log.entries");
	FATAL("bigint.har", "{\"log\": {\"entries\": [{\"time\": "
	    "99999999999999999999999999}]}}", "too big");
	FATAL("bigreal.har", "{\"log\": {\"entries\": [{\"time\": "
	    "1e999}]}}", "overflow");
	FATAL("trailing.har", "{\"log\": {\"entries\": []}} x", NULL);
	FATAL("badutf8.har", "{\"log\": {\"entries\": [\"\xff\"]}}", NULL);
	/* Deep nesting is refused by the parser, not by the stack. */
	deep = malloc(2 * n);
	assert_non_null(deep);
	for (i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	expect_fatal("deep.har", deep, 2 * n, NULL);
	free(deep);
}

/* Every proper prefix of a real file is refused cleanly. */
static void
test_truncated(void **state)
{
	struct flow *v[NFLOWS];
	char *path = tmp_path("whole.har"), *cause = NULL, *data;
	FILE *fp;
	long len, cut;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	flows_free(v, NFLOWS);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	data = malloc(len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, len, fp), len);
	fclose(fp);
	/* The last byte is a newline after the closing brace. */
	for (cut = 0; cut < len - 2; cut += 1 + cut / 7)
		expect_fatal("cut.har", data, cut, "line");
	free(data);
	unlink(path);
	free(path);
}

static void
test_not_a_file(void **state)
{
	struct got g = { 0 };
	char *cause = NULL, *path = tmp_path("huge.har");
	int fd;

	assert_int_equal(load("/nonexistent/x.har", &g, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	assert_int_equal(load(tmpdir, &g, &cause), -1);
	assert_non_null(strstr(cause, "directory"));
	free(cause);
	/* Devices and FIFOs are refused at once, before any read: /dev/zero
	 * never ends, a FIFO without a writer would block the open. */
	assert_int_equal(load("/dev/zero", &g, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load(path, &g, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	/* One with a writer that never writes: still no read. */
	fd = open(path, O_RDWR);
	assert_true(fd != -1);
	assert_int_equal(load(path, &g, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	close(fd);
	assert_int_equal(g.n, 0);
	unlink(path);
	free(path);
	/* cause may be NULL. */
	assert_int_equal(core_har_load("/nonexistent/x.har", collect, &g,
	    NULL), -1);
}

/* Entries with bad fields load as far as they can; the cause says where. */
static void
test_malformed_fields(void **state)
{
	struct got g = { 0 };
	char *path = tmp_path("fields.har"), *cause = NULL;
	struct flow *f;
	static const char har[] =
	    "{\"log\": {\"version\": \"1.2\", \"creator\": {\"name\": 5},\n"
	    "\"entries\": [\n"
	    " 17,\n"
	    " {\"startedDateTime\": \"yesterday\",\n"
	    "  \"request\": {\"method\": 5,"
	    "   \"url\": \"http://h.example:99999/p\","
	    "   \"headers\": [{\"name\": \"A\", \"value\": \"1\"}, 3,"
	    "     {\"value\": \"x\"}, {\"name\": [], \"value\": \"2\"},"
	    "     {\"name\": \"B\", \"value\": {}}],"
	    "   \"postData\": {\"text\": \"%%%\", \"encoding\": \"base64\"},"
	    "   \"bodySize\": 1e300},\n"
	    "  \"response\": {\"status\": 1e300, \"statusText\": 7,"
	    "   \"headers\": \"none\", \"content\": {\"size\": -5,"
	    "   \"text\": 12}},\n"
	    "  \"timings\": {\"wait\": \"slow\"}},\n"
	    " {\"_type\": \"carrier-pigeon\", \"_id\": 1.5, \"_pid\": 1e10,"
	    "  \"_timings\": {\"start\": \"now\", \"end\": 2.5},"
	    "  \"_clientTLS\": [], \"_dns\": {\"qtype\": \"AAAA\"},"
	    "  \"_comm\": \"ok\", \"_comm_b64\": \"!!\","
	    "  \"request\": {\"method\": \"GET\", \"url\": \"no-scheme\"},"
	    "  \"response\": {\"status\": 200.0, \"content\":"
	    "   {\"text\": \"hi\", \"encoding\": \"rot13\"}}},\n"
	    " {\"request\": [], \"response\": null},\n"
	    " {}\n"
	    "]}}\n";

	write_str(path, har);
	assert_int_equal(load(path, &g, &cause), 1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "entry 0: not an object"));
	assert_non_null(strstr(cause, "more problems"));
	free(cause);
	assert_int_equal(g.n, 4);

	f = g.v[0];
	assert_null(f->request->method);
	assert_string_equal(f->request->host, "h.example");
	assert_int_equal(f->request->port, 80);	/* bad port ignored */
	assert_string_equal(f->request->path, "/p");
	assert_int_equal(f->request->headers.n, 2);
	assert_string_equal(f->request->headers.v[0].name, "A");
	assert_string_equal(f->request->headers.v[1].name, "B");
	assert_string_equal(f->request->headers.v[1].value, "");
	assert_null(f->request->body.data);
	assert_int_equal(f->response->status, 0);
	assert_null(f->response->reason);
	assert_int_equal(f->response->headers.n, 0);
	assert_null(f->response->body.data);
	assert_int_equal(f->t.start, 0);

	f = g.v[1];
	assert_int_equal(f->type, FLOW_HTTP);
	assert_int_equal(f->id, 0);
	assert_int_equal(f->pid, 0);
	assert_int_equal(f->t.start, 0);
	assert_true(f->t.end == 2.5);
	assert_non_null(f->dns);
	assert_int_equal(f->dns->qtype, 0);
	assert_string_equal(f->comm, "ok");
	assert_string_equal(f->request->path, "no-scheme");
	assert_int_equal(f->response->status, 200);
	assert_body(&f->response->body, "hi", 2);

	f = g.v[2];
	assert_null(f->request);
	assert_null(f->response);
	f = g.v[3];
	assert_null(f->request);
	got_free(&g);

	/* The first problem is named with its index. */
	write_str(path, "{\"log\": {\"entries\": [{\"request\": {\"url\": "
	    "\"http://a/\", \"headers\": 5}}]}}");
	assert_int_equal(load(path, &g, &cause), 1);
	assert_non_null(strstr(cause, "entry 0: request.headers is not an "
	    "array"));
	assert_null(strstr(cause, "more"));
	free(cause);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0]->request->host, "a");
	got_free(&g);
	unlink(path);
	free(path);
}

/* BOM, JSON nulls, NUL bytes in text, integers written as reals. */
static void
test_tolerated(void **state)
{
	struct got g = { 0 };
	char *path = tmp_path("tolerated.har"), *cause = NULL;
	static const char har[] =
	    "\xef\xbb\xbf{\"log\": {\"entries\": [{"
	    "\"startedDateTime\": \"2024-05-14T09:21:03Z\","
	    "\"request\": {\"method\": \"GET\", \"url\": "
	    "\"HTTPS://user:pw@[::1]:8443?x=1#frag\", \"headers\": null,"
	    " \"httpVersion\": null},"
	    "\"response\": {\"status\": 404.0, \"statusText\": \"Not Found\","
	    " \"content\": {\"size\": 3, \"text\": \"a\\u0000b\"}},"
	    "\"timings\": null, \"time\": 5}]}}";

	write_str(path, har);
	assert_int_equal(load(path, &g, &cause), 0);
	if (cause != NULL)
		fail_msg("%s", cause);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0]->request->scheme, "https");
	assert_string_equal(g.v[0]->request->host, "::1");
	assert_int_equal(g.v[0]->request->port, 8443);
	assert_string_equal(g.v[0]->request->path, "/?x=1");
	assert_null(g.v[0]->request->version);
	assert_int_equal(g.v[0]->response->status, 404);
	assert_body(&g.v[0]->response->body, "a\0b", 3);
	assert_true(g.v[0]->t.start == 1715678463.0);
	assert_true(fabs(g.v[0]->t.end - 1715678463.005) < 1e-9);
	got_free(&g);
	unlink(path);
	free(path);
}

/* --- streaming, limits, modes --------------------------------------- */

struct keep_last {
	struct flow	*f;
	size_t		 n;
	const char	*path;
	off_t		 at;
};

static void
rewrite_keep(struct flow *f, void *arg)
{
	struct keep_last *k = arg;
	int fd;

	if (k->n++ == 0) {
		fd = open(k->path, O_WRONLY);
		assert_true(fd != -1);
		assert_int_equal(pwrite(fd, "BBBB", 4, k->at), 4);
		close(fd);
		core_flow_free(f);
		return;
	}
	core_flow_free(k->f);
	k->f = f;
}

/*
 * Entries are read after the ones before them were handed over: a change
 * to entry 1 made on disk while entry 0 is being taken shows in entry 1.
 * A load that read the whole file first would still see the old bytes.
 */
static void
test_streams(void **state)
{
	static const char head[] = "{\"log\": {\"entries\": [\n"
	    "{\"request\": {\"url\": \"http://a/\"}},\n";
	static const char e1[] = "{\"request\": {\"url\": \"http://a/\"}, "
	    "\"comment\": \"AAAA\"}]}}";
	char *path = tmp_path("late.har"), *cause = NULL, *data;
	struct keep_last k;
	size_t pad = 1024 * 1024, n;

	n = sizeof head - 1 + pad + sizeof e1 - 1;
	data = malloc(n);
	assert_non_null(data);
	memcpy(data, head, sizeof head - 1);
	memset(data + sizeof head - 1, '\n', pad);
	memcpy(data + sizeof head - 1 + pad, e1, sizeof e1 - 1);
	write_file(path, data, n);
	free(data);
	memset(&k, 0, sizeof k);
	k.path = path;
	k.at = (off_t)(sizeof head - 1 + pad + sizeof e1 - 1 -
	    strlen("AAAA\"}]}}"));
	assert_int_equal(core_har_load(path, rewrite_keep, &k, &cause), 0);
	assert_int_equal(k.n, 2);
	assert_non_null(k.f);
	assert_string_equal(k.f->comment, "BBBB");
	core_flow_free(k.f);
	unlink(path);
	free(path);
}

/* A file made of a head, n copies of one entry, and the tail. */
static void
write_entries(const char *path, const char *entry, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	fputs("{\"log\": {\"creator\": {\"name\": \"x\"}, \"entries\": [", f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(",\n", f);
		fputs(entry, f);
	}
	fputs("]}}\n", f);
	assert_int_equal(fclose(f), 0);
}

/* Strings past LIMIT_HAR_STRING: a body keeps its prefix and its size. */
static void
test_long_strings(void **state)
{
	char *path = tmp_path("long.har"), *cause = NULL, *e, *p;
	size_t big = 3 * (size_t)LIMIT_HAR_STRING, i;
	struct got g = { 0 };
	const struct flow_body *b;
	FILE *f;

	e = malloc(big + 1);
	assert_non_null(e);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\", "
	    "\"headers\": [{\"name\": \"X-Long\", \"value\": \"", f);
	memset(e, 'h', big);
	fwrite(e, 1, big, f);
	fputs("\"}]}, \"response\": {\"status\": 200, \"content\": "
	    "{\"text\": \"", f);
	/* Text with escapes: the counts are of the unescaped bytes. */
	for (i = 0; i < big / 2; i++)
		fputs("\\n", f);
	fputs("\"}}, \"_up\": {\"encoding\": \"base64\", \"text\": \"", f);
	/* base64 of big bytes 0xff, wrapped like a mail. */
	for (i = 0; i < big / 3; i++) {
		fputs("////", f);
		if (i % 19 == 18)
			fputs("\\r\\n", f);
	}
	fputs("\"}}]}}", f);
	assert_int_equal(fclose(f), 0);
	free(e);

	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 1);
	p = (char *)core_flow_header_get(&g.v[0]->request->headers, "x-long");
	assert_non_null(p);
	assert_int_equal(strlen(p), LIMIT_HAR_STRING);
	b = &g.v[0]->response->body;
	assert_int_equal(b->len, LIMIT_FLOW_BODY);
	assert_int_equal(b->total, big / 2);
	assert_true(b->truncated);
	assert_int_equal(b->data[0], '\n');
	b = &g.v[0]->up;
	assert_int_equal(b->len, LIMIT_FLOW_BODY);
	assert_int_equal(b->total, big);
	assert_true(b->truncated);
	assert_int_equal((unsigned char)b->data[LIMIT_FLOW_BODY - 1], 0xff);
	got_free(&g);
	unlink(path);
	free(path);
}

/* An entry past LIMIT_HAR_ENTRY once parsed is skipped, not held. */
static void
test_entry_cap(void **state)
{
	char *path = tmp_path("cap.har"), *cause = NULL;
	size_t i, n = LIMIT_HAR_ENTRY / 64 + 1000;
	struct got g = { 0 };
	FILE *f;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"log\": {\"entries\": [{\"request\": {\"url\": \"http://a/\"},"
	    " \"comment\": \"first\"},\n{\"comment\": \"huge\", \"_x\": [", f);
	/* Two bytes of file, a json_t each once parsed. */
	for (i = 0; i < n; i++)
		fputs(i ? ",0" : "0", f);
	fputs("]},\n{\"request\": {\"url\": \"http://a/\"}, \"comment\": "
	    "\"last\"}]}}", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(load(path, &g, &cause), 1);
	assert_non_null(strstr(cause, "entry 1: larger than"));
	free(cause);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0]->comment, "first");
	assert_string_equal(g.v[1]->comment, "last");
	got_free(&g);
	unlink(path);
	free(path);
}

/*
 * The writer never writes what the reader would skip: a flow with a
 * string past LIMIT_HAR_STRING is refused with a message, and the file
 * stays whole and loads.
 */
static void
test_writer_refuses(void **state)
{
	char *path = tmp_path("refuse.har"), *cause = NULL, *v;
	struct flow *ok = flow_full(1), *big = flow_full(2), *max = flow_full(3);
	struct har_writer *w;
	struct got g = { 0 };
	size_t n = LIMIT_HAR_STRING + 1;

	v = malloc(n);
	assert_non_null(v);
	memset(v, 'v', n);
	core_flow_header_add(&big->request->headers, "X-Big", 5, v, n);
	free(v);
	w = core_har_writer_open(path, &cause);
	assert_non_null(w);
	assert_int_equal(core_har_writer_add(w, ok, &cause), 0);
	assert_int_equal(core_har_writer_add(w, big, &cause), -1);
	assert_non_null(strstr(cause, "flow 2 not saved"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_har_writer_add(w, ok, &cause), 0);
	core_har_writer_close(w);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 2);
	cmp_flow(ok, g.v[1]);
	got_free(&g);
	assert_int_equal(core_har_save(path, &big, 1, &cause), -1);
	assert_non_null(strstr(cause, "not saved"));
	free(cause);

	/* The largest flow trawl captures goes through: every body at
	 * LIMIT_FLOW_BODY, as escaped text and as base64. */
	v = malloc(LIMIT_FLOW_BODY);
	assert_non_null(v);
	memset(v, 1, LIMIT_FLOW_BODY);		/* \u0001 in JSON */
	core_flow_body_set(&max->request->body, v, LIMIT_FLOW_BODY);
	core_flow_body_set(&max->up, v, LIMIT_FLOW_BODY);
	memset(v, 0xfe, LIMIT_FLOW_BODY);	/* base64 */
	core_flow_body_set(&max->response->body, v, LIMIT_FLOW_BODY);
	core_flow_body_set(&max->down, v, LIMIT_FLOW_BODY);
	free(v);
	assert_int_equal(core_har_save(path, &max, 1, &cause), 0);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 1);
	cmp_flow(max, g.v[0]);
	got_free(&g);
	core_flow_free(ok);
	core_flow_free(big);
	core_flow_free(max);
	unlink(path);
	free(path);
}

/* Files with captured data are 0600, whatever the umask or the file. */
static void
test_private_files(void **state)
{
	char *path = tmp_path("mode.har"), *cause = NULL;
	struct flow *f = flow_full(1);
	struct har_writer *w;
	struct stat st;
	mode_t old = umask(0);

	/* New file. */
	w = core_har_writer_open(path, &cause);
	assert_non_null(w);
	core_har_writer_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Existing file that others could read. */
	assert_int_equal(chmod(path, 0644), 0);
	w = core_har_writer_open(path, &cause);
	assert_non_null(w);
	core_har_writer_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Whole-file save over a 0666 file. */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(core_har_save(path, &f, 1, &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	umask(old);
	core_flow_free(f);
	unlink(path);
	free(path);
}

/* Many entries, each handed over and freed: they come in file order. */
static void
test_many_entries(void **state)
{
	char *path = tmp_path("many.har"), *cause = NULL;
	struct got g = { 0 };
	size_t i;

	write_entries(path, "{\"request\": {\"method\": \"GET\", \"url\": "
	    "\"http://m.example/x\"}, \"_junk\": [1, 2.5, true, false, null, "
	    "{\"a\": [\"\\u00e9\\ud83d\\ude00\"]}]}", 5000);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, 5000);
	for (i = 0; i < g.n; i++)
		assert_string_equal(g.v[i]->request->host, "m.example");
	got_free(&g);
	unlink(path);
	free(path);
}

/* --- the sliced reader ----------------------------------------------- */

/* Loads path with core_har_reader_step(bytes) until the end; returns the
 * verdict. *steps counts the slices; progress only goes forward. */
static int
load_sliced(const char *path, int check, size_t bytes, struct got *g,
    char **cause, size_t *steps)
{
	struct har_reader *r;
	uint64_t done, total, last = 0;
	size_t flows, k = 0;
	int rv;

	*cause = NULL;
	r = core_har_reader_open(path, check, collect, g, cause);
	if (r == NULL)
		return -2;
	for (;;) {
		int more = core_har_reader_step(r, bytes);

		k++;
		core_har_reader_progress(r, &done, &total, &flows);
		assert_true(done >= last);
		assert_true(done <= total);
		assert_int_equal(flows, g->n);
		last = done;
		if (!more)
			break;
		assert_true(k < 10000000);
	}
	assert_int_equal(done, total);
	rv = core_har_reader_result(r, cause);
	core_har_reader_free(r);
	if (steps != NULL)
		*steps = k;
	return rv;
}

/*
 * The same flows whatever the slice: of one byte (every slice boundary
 * falls inside a token), of a few bytes (boundaries inside keys, numbers,
 * base64 and escapes), of a read buffer and of the whole file; checked
 * or not.
 */
static void
test_sliced_same(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 61, 1000, 4096, 65537,
	    SIZE_MAX };
	static const char *files[] = { NULL, DATA "chrome.har",
	    DATA "firefox.har" };
	struct flow *v[NFLOWS];
	struct got want, got;
	char *path = tmp_path("sliced.har"), *cause = NULL;
	const char *file;
	size_t i, j, k, steps;
	int check, rv;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	flows_free(v, NFLOWS);
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		file = files[i] != NULL ? files[i] : path;
		memset(&want, 0, sizeof want);
		rv = load(file, &want, &cause);
		free(cause);
		assert_true(want.n > 0);
		for (check = 0; check <= 1; check++)
			for (j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
				memset(&got, 0, sizeof got);
				assert_int_equal(load_sliced(file, check,
				    sizes[j], &got, &cause, &steps), rv);
				free(cause);
				assert_int_equal(got.n, want.n);
				for (k = 0; k < got.n; k++)
					cmp_flow(want.v[k], got.v[k]);
				/* Small slices are many slices. */
				if (sizes[j] == 1)
					assert_true(steps > got.n);
				got_free(&got);
			}
		got_free(&want);
	}
	unlink(path);
	free(path);
}

/* Unchecked, a file cut short keeps what loaded before the cut, and says
 * where; cut before the entries it is no HAR file at all. */
static void
test_sliced_cut(void **state)
{
	struct flow *v[NFLOWS];
	struct got g = { 0 };
	char *path = tmp_path("whole2.har"), *cut = tmp_path("cut2.har");
	char *cause = NULL, *data, *entries;
	size_t len, at, n, last = 0;
	FILE *fp;
	int rv;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	data = malloc(1 << 20);
	len = fread(data, 1, 1 << 20, fp);
	fclose(fp);
	entries = strstr(data, "\"entries\": [");
	assert_non_null(entries);
	/* The last cut is inside the text after the entries. */
	for (at = 0; at < len - 2; at = at + 1 + at / 11 < len - 3 ?
	    at + 1 + at / 11 : at < len - 3 ? len - 3 : len) {
		write_file(cut, data, at);
		rv = load_sliced(cut, 0, 5, &g, &cause, NULL);
		n = g.n;
		if (cause == NULL)
			fail_msg("cut at %zu: no cause", at);
		if (strstr(cause, cut) == NULL || strstr(cause, "line") == NULL)
			fail_msg("cut at %zu: \"%s\"", at, cause);
		if (at <= (size_t)(entries - data) + 12)
			assert_int_equal(rv, -1);
		else {
			assert_int_equal(rv, 1);
			assert_true(strstr(cause, "entry ") != NULL);
		}
		/* The flows before the cut, whole, in order. */
		assert_true(n >= last);
		assert_true(n <= NFLOWS);
		for (size_t k = 0; k < n; k++)
			cmp_flow(v[k], g.v[k]);
		last = n;
		free(cause);
		got_free(&g);
	}
	assert_int_equal(last, NFLOWS);
	/* Checked, the same cut file loads nothing. */
	write_file(cut, data, len / 2);
	assert_int_equal(load_sliced(cut, 1, 5, &g, &cause, NULL), -1);
	assert_int_equal(g.n, 0);
	free(cause);
	flows_free(v, NFLOWS);
	free(data);
	unlink(cut);
	unlink(path);
	free(cut);
	free(path);
}

/* Stopped half-way: the flows handed out are the caller's, the verdict
 * says it stopped. */
static void
test_sliced_stop(void **state)
{
	struct flow *v[NFLOWS];
	struct got g = { 0 };
	struct har_reader *r;
	char *path = tmp_path("stop.har"), *cause = NULL;
	uint64_t done, total;
	size_t flows;

	flows_make(v);
	assert_int_equal(core_har_save(path, v, NFLOWS, &cause), 0);
	flows_free(v, NFLOWS);
	r = core_har_reader_open(path, 0, collect, &g, &cause);
	assert_non_null(r);
	while (g.n < 3)
		assert_int_equal(core_har_reader_step(r, 1), 1);
	core_har_reader_progress(r, &done, &total, &flows);
	assert_int_equal(flows, 3);
	assert_true(done > 0 && done < total);
	assert_int_equal(core_har_reader_result(r, &cause), 1);
	assert_non_null(strstr(cause, "stopped after 3 flows"));
	free(cause);
	core_har_reader_free(r);
	assert_int_equal(g.n, 3);
	got_free(&g);
	/* A missing file: no reader, a cause. */
	cause = NULL;
	assert_null(core_har_reader_open("/nonexistent/x.har", 0, collect, &g,
	    &cause));
	assert_non_null(cause);
	free(cause);
	unlink(path);
	free(path);
}

/* A saver writes beside the target: aborted, neither the target nor a
 * temporary file is left (an old file keeps its contents); committed, the
 * target holds every flow. */
static void
test_saver(void **state)
{
	struct flow *v[NFLOWS];
	struct har_saver *sv;
	struct got g = { 0 };
	char *path = tmp_path("saver.har"), *cause = NULL;
	DIR *d;
	struct dirent *de;
	size_t i, others;

	flows_make(v);
	sv = core_har_saver_open(path, &cause);
	assert_non_null(sv);
	for (i = 0; i < 3; i++)
		assert_int_equal(core_har_saver_add(sv, v[i], &cause), 0);
	assert_int_equal(core_har_saver_count(sv), 3);
	assert_int_equal(access(path, F_OK), -1);
	core_har_saver_abort(sv);
	assert_int_equal(access(path, F_OK), -1);
	d = opendir(tmpdir);
	assert_non_null(d);
	others = 0;
	while ((de = readdir(d)) != NULL)
		others += strncmp(de->d_name, "saver.har", 9) == 0;
	closedir(d);
	assert_int_equal(others, 0);

	write_str(path, "old");
	sv = core_har_saver_open(path, &cause);
	assert_non_null(sv);
	assert_int_equal(core_har_saver_add(sv, v[0], &cause), 0);
	core_har_saver_abort(sv);
	assert_int_equal(file_size(path), 3);

	sv = core_har_saver_open(path, &cause);
	assert_non_null(sv);
	for (i = 0; i < NFLOWS; i++)
		assert_int_equal(core_har_saver_add(sv, v[i], &cause), 0);
	assert_int_equal(core_har_saver_commit(sv, &cause), 0);
	assert_int_equal(load(path, &g, &cause), 0);
	assert_int_equal(g.n, NFLOWS);
	for (i = 0; i < NFLOWS; i++)
		cmp_flow(v[i], g.v[i]);
	got_free(&g);
	core_har_saver_abort(NULL);
	assert_null(core_har_saver_open("/nonexistent/dir/x.har", &cause));
	assert_non_null(cause);
	free(cause);
	flows_free(v, NFLOWS);
	unlink(path);
	free(path);
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/trawl-har-XXXXXX");
	if (getrlimit(RLIMIT_FSIZE, &fsize_saved) == -1)
		return -1;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* Failed tests leave their files behind. */
static int
teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char *p;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", tmpdir, de->d_name) != -1) {
			unlink(p);
			free(p);
		}
	}
	if (d != NULL)
		closedir(d);
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_har_shape),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_save_atomic),
		cmocka_unit_test_teardown(test_write_failures, fsize_restore),
		cmocka_unit_test(test_big_bodies),
		cmocka_unit_test(test_chrome),
		cmocka_unit_test(test_websocket),
		cmocka_unit_test(test_firefox),
		cmocka_unit_test(test_malformed_fatal),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_tolerated),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_entry_cap),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_private_files),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_sliced_same),
		cmocka_unit_test(test_sliced_cut),
		cmocka_unit_test(test_sliced_stop),
		cmocka_unit_test(test_saver),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
