/* Unit tests: core/proxy/rules.c -- the parser and what each rule does
 * to a flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "core/flows/flow.h"
#include "core/http/decode.h"
#include "core/proxy/exchange.h"
#include "core/proxy/rules.h"

static char dir[] = "/tmp/trawl-rules-unit.XXXXXX";

static void
put_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	char sub[256];

	assert_non_null(mkdtemp(dir));
	put_file("value.txt", "from-a-file\n");
	put_file("crlf.txt", "bad\r\nX-Injected: 1\n");
	put_file("repl.txt", "$1 is literal\n");
	put_file("page.json", "{\"ok\":1}");
	snprintf(sub, sizeof sub, "%s/site", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof sub, "%s/site/docs", dir);
	mkdir(sub, 0700);
	put_file("site/app.js", "console.log(1)");
	put_file("site/docs/index.html", "<p>docs</p>");
	put_file("secret", "nope");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int
clear(void **state)
{
	core_rules_clear();
	return 0;
}

/* Adds a rule that must fail; checks the column and a word of the why. */
static void
refused(enum rules_kind k, const char *spec, int col, const char *why)
{
	char *cause = NULL, want[32];

	assert_int_equal(core_rules_add(k, spec, &cause), -1);
	assert_non_null(cause);
	snprintf(want, sizeof want, "column %d: ", col);
	if (strncmp(cause, want, strlen(want)) != 0 ||
	    strstr(cause, why) == NULL || strstr(cause, spec) == NULL)
		fail_msg("%s: got '%s', want '%s...%s'", spec, cause, want, why);
	free(cause);
}

static int
added(enum rules_kind k, const char *spec)
{
	char *cause = NULL;
	int id = core_rules_add(k, spec, &cause);

	if (id < 0)
		fail_msg("%s: %s", spec, cause);
	return id;
}

static struct flow *
request(const char *method, const char *host, int port, const char *path)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	char hv[300];

	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, method);
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, host);
	core_flow_set(&f->request->version, "HTTP/1.1");
	f->request->port = port;
	core_flow_set(&f->request->path, path);
	snprintf(hv, sizeof hv, "%s:%d", host, port);
	core_flow_header_add(&f->request->headers, "Host", 4, hv, strlen(hv));
	core_flow_header_add(&f->request->headers, "Accept", 6, "*/*", 3);
	return f;
}

static void
respond(struct flow *f, int status, const char *ctype)
{
	f->response = core_flow_response_new();
	f->response->status = status;
	core_flow_set(&f->response->reason, "OK");
	core_flow_set(&f->response->version, "HTTP/1.1");
	core_flow_header_add(&f->response->headers, "Content-Type", 12, ctype,
	    strlen(ctype));
}

static struct xtarget
target(const char *host, int port)
{
	struct xtarget t = { 0 };

	t.scheme = strdup("http");
	t.host = strdup(host);
	t.port = port;
	t.minor = 1;
	return t;
}

static void
test_parse_errors(void **state)
{
	refused(RULES_MODIFY_HEADERS, "", 1, "empty rule");
	refused(RULES_MODIFY_HEADERS, "X/1", 1, "separator");
	refused(RULES_MODIFY_HEADERS, "/X", 3, "too few '/'");
	refused(RULES_MODIFY_HEADERS, "/~d a/X/1/2", 10, "too many '/'");
	refused(RULES_MODIFY_HEADERS, "/~zz a/X/1", 2, "unknown operator");
	refused(RULES_MODIFY_HEADERS, "|~d (a|X|1", 5, "regular expression");
	refused(RULES_MODIFY_HEADERS, "/X Y/1", 3, "header name");
	refused(RULES_MODIFY_HEADERS, "//1", 2, "empty header name");
	refused(RULES_MODIFY_HEADERS, "/X/@/nonexistent", 4, "cannot start");
	refused(RULES_MODIFY_BODY, "/(ab/x", 5, "missing closing parenthesis");
	refused(RULES_MODIFY_BODY, "/(a)b/$2", 7, "no such group");
	refused(RULES_MODIFY_BODY, "/a/${x", 4, "without its '}'");
	refused(RULES_MODIFY_BODY, "/(?<n>a)/${m}", 10, "no such group");
	refused(RULES_MODIFY_BODY, "//x", 2, "empty regular expression");
	refused(RULES_MAP_REMOTE, "|a|", 4, "empty replacement");
	refused(RULES_MAP_LOCAL, "|a|/nonexistent/trawl", 4,
	    "No such file");
	refused(RULES_BLOCK_LIST, "/45", 2, "from 200 to 599");
	refused(RULES_BLOCK_LIST, "/~d x/4x4", 8, "three digits");
	refused(RULES_BLOCK_LIST, "/~d x/100", 7, "from 200 to 599");
	refused(RULES_BLOCK_LIST, "/a/b/404", 5, "too many");
	/* Columns count characters, not bytes. */
	refused(RULES_MODIFY_HEADERS, "/~d é/X Y/1", 8, "header name");
	assert_int_equal(core_rules_count(), 0);
}

static void
test_parse_forms(void **state)
{
	char spec[300];
	const struct rules_rule *r;
	int id;

	id = added(RULES_MODIFY_HEADERS, "/X-A/1");
	added(RULES_MODIFY_HEADERS, "|~d example\\.com/api|X-B|2");
	added(RULES_MODIFY_HEADERS, "::X-C:");	/* empty filter, removal */
	added(RULES_MODIFY_BODY, "#~s#a/b#c");
	added(RULES_MAP_REMOTE, "|^http://a/|http://b/");
	added(RULES_BLOCK_LIST, "/444");
	added(RULES_BLOCK_LIST, "|~d ads|403");
	added(RULES_ANTICACHE, NULL);
	snprintf(spec, sizeof spec, "|~q|X-F|@%s/value.txt", dir);
	added(RULES_MODIFY_HEADERS, spec);
	snprintf(spec, sizeof spec, "|~q|X-F|@%s/crlf.txt", dir);
	refused(RULES_MODIFY_HEADERS, spec, 9, "CR, LF or NUL");
	snprintf(spec, sizeof spec, "|~q|X-F|@%s/missing", dir);
	refused(RULES_MODIFY_HEADERS, spec, 9, "cannot read");
	assert_int_equal(core_rules_count(), 9);
	r = core_rules_find(id);
	assert_non_null(r);
	assert_string_equal(r->text, "/X-A/1");
	assert_string_equal(core_rules_kind_name(r->kind), "modify-headers");
	assert_int_equal(core_rules_kind_of("map-local"), RULES_MAP_LOCAL);
	assert_int_equal(core_rules_kind_of("nope"), -1);
	assert_int_equal(core_rules_remove(id), 0);
	assert_null(core_rules_find(id));
	assert_int_equal(core_rules_count(), 8);
}

static void
test_modify_headers_sides(void **state)
{
	struct flow *f = request("GET", "api.example", 8080, "/v1");
	struct xtarget t = target("api.example", 8080);
	int q, s, both, rm;

	q = added(RULES_MODIFY_HEADERS, "/~q/X-Req/1");
	s = added(RULES_MODIFY_HEADERS, "/~s/X-Resp/2");
	both = added(RULES_MODIFY_HEADERS, "/~d example/X-Both/3");
	rm = added(RULES_MODIFY_HEADERS, "/~q/Accept/");
	added(RULES_MODIFY_HEADERS, "/~d nomatch/X-No/4");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_string_equal(core_flow_header_get(&f->request->headers,
	    "x-req"), "1");
	assert_string_equal(core_flow_header_get(&f->request->headers,
	    "x-both"), "3");
	assert_null(core_flow_header_get(&f->request->headers, "x-resp"));
	assert_null(core_flow_header_get(&f->request->headers, "accept"));
	assert_null(core_flow_header_get(&f->request->headers, "x-no"));
	/* The original is kept for revert, and the flow names the rules. */
	assert_non_null(f->orig_request);
	assert_string_equal(core_flow_header_get(&f->orig_request->headers,
	    "accept"), "*/*");
	assert_true(f->modified);
	assert_int_equal(f->nrule_ids, 3);
	assert_int_equal(f->rule_ids[0], q);
	assert_int_equal(f->rule_ids[1], both);
	assert_int_equal(f->rule_ids[2], rm);

	respond(f, 200, "text/plain");
	core_rules_response_head(f);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-resp"), "2");
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-both"), "3");
	assert_null(core_flow_header_get(&f->response->headers, "x-req"));
	assert_non_null(f->orig_response);
	assert_null(core_flow_header_get(&f->orig_response->headers, "x-resp"));
	assert_int_equal(f->nrule_ids, 4);
	assert_int_equal(f->rule_ids[3], s);
	/* The body that came after the head goes into the original too. */
	core_flow_body_append(&f->response->body, "hello", 5);
	core_rules_response_end(f, 0);
	assert_int_equal(f->orig_response->body.len, 5);
	assert_int_equal(core_rules_find(both)->flows, 1);
	assert_int_equal(core_rules_find(s)->flows, 1);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

/* The rules screen's operations: a count per changed flow, disabled and
 * removed rules change nothing, an edit keeps the id and a bad edit
 * keeps the rule. */
static int
run_one(const char *path)
{
	struct flow *f = request("GET", "api.example", 80, path);
	struct xtarget t = target("api.example", 80);
	int n;

	core_rules_request_head(f, &t);
	n = f->nrule_ids;
	core_flow_free(f);
	core_xtarget_clear(&t);
	return n;
}

static void
test_lifecycle(void **state)
{
	char *cause = NULL;
	int a, b;

	a = added(RULES_MODIFY_HEADERS, "/~u one/X-A/1");
	b = added(RULES_MODIFY_HEADERS, "/X-B/2");
	assert_int_equal(run_one("/one"), 2);
	assert_int_equal(run_one("/two"), 1);
	assert_int_equal(core_rules_find(a)->flows, 1);
	assert_int_equal(core_rules_find(b)->flows, 2);

	assert_int_equal(core_rules_set_enabled(b, 0), 0);
	assert_int_equal(run_one("/two"), 0);
	assert_int_equal(core_rules_find(b)->flows, 2);
	assert_int_equal(core_rules_set_enabled(b, 1), 0);
	assert_int_equal(run_one("/two"), 1);
	assert_int_equal(core_rules_find(b)->flows, 3);

	assert_int_equal(core_rules_replace(a, "/~u two/X-A/9", &cause), 0);
	assert_int_equal(core_rules_count(), 2);
	assert_int_equal(core_rules_rule(0)->id, a);
	assert_string_equal(core_rules_rule(0)->text, "/~u two/X-A/9");
	assert_int_equal(core_rules_find(a)->flows, 1);
	assert_int_equal(run_one("/one"), 1);
	assert_int_equal(run_one("/two"), 2);
	assert_int_equal(core_rules_replace(a, "/~u (/X/1", &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "column "));
	free(cause);
	assert_string_equal(core_rules_find(a)->text, "/~u two/X-A/9");
	assert_int_equal(core_rules_replace(999, "/X/1", &cause), -1);
	free(cause);

	assert_int_equal(core_rules_remove(b), 0);
	assert_int_equal(core_rules_remove(b), -1);
	assert_null(core_rules_find(b));
	assert_int_equal(run_one("/one"), 0);
	assert_int_equal(core_rules_count(), 1);
	/* A new rule never reuses an id. */
	assert_true(added(RULES_MODIFY_HEADERS, "/X-C/3") > b);
}

static void
test_modify_headers_no_change(void **state)
{
	struct flow *f = request("GET", "a", 80, "/");
	struct xtarget t = target("a", 80);
	int id;

	id = added(RULES_MODIFY_HEADERS, "|~q|Accept|*/*");
	added(RULES_MODIFY_HEADERS, "|~q|X-Gone|");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_int_equal(f->nrule_ids, 0);
	assert_null(f->orig_request);
	assert_false(f->modified);
	assert_int_equal(core_rules_find(id)->flows, 0);
	/* A disabled rule does nothing. */
	core_rules_clear();
	id = added(RULES_MODIFY_HEADERS, "|~q|X-Off|1");
	core_rules_set_enabled(id, 0);
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_null(core_flow_header_get(&f->request->headers, "x-off"));
	core_flow_free(f);
	core_xtarget_clear(&t);
}

/*
 * A rule for both sides whose filter reads the request only matches at
 * the response head as at the request head (the request head's result
 * is kept); one whose filter reads the response still sees it, and an
 * edit, a disabled rule or a new rule between the heads is seen too.
 */
static void
test_modify_headers_both_sides_kept(void **state)
{
	struct flow *f = request("GET", "api.example", 80, "/");
	struct flow *g = request("GET", "other.example", 80, "/");
	struct xtarget t = target("api.example", 80);
	int off;

	added(RULES_MODIFY_HEADERS, "|~d api\\.example|Accept|*/*");
	added(RULES_MODIFY_HEADERS, "/~d nomatch/X-No/1");
	added(RULES_MODIFY_HEADERS, "/~h X-Server/X-Seen/2");
	added(RULES_MODIFY_HEADERS, "/~c 200/X-Code/3");
	off = added(RULES_MODIFY_HEADERS, "/~m GET/Host/api.example:80");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_int_equal(core_rules_request_head(g, &t), RULES_FORWARD);
	assert_false(f->modified);	/* both matched, neither changed */
	assert_true(g->modified);
	core_rules_set_enabled(off, 0);
	respond(f, 200, "text/plain");
	core_flow_header_add(&f->response->headers, "X-Server", 8, "1", 1);
	core_rules_response_head(f);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "accept"), "*/*");
	assert_null(core_flow_header_get(&f->response->headers, "x-no"));
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-seen"), "2");
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-code"), "3");
	assert_null(core_flow_header_get(&f->response->headers, "host"));
	respond(g, 200, "text/plain");
	core_rules_response_head(g);
	assert_null(core_flow_header_get(&g->response->headers, "x-no"));
	assert_string_equal(core_flow_header_get(&g->response->headers,
	    "x-code"), "3");
	core_flow_free(f);
	core_flow_free(g);

	/* An edit of the request between the heads (intercept). */
	core_rules_clear();
	added(RULES_MODIFY_HEADERS, "/~d b\\.example/X-B/1");
	f = request("GET", "a.example", 80, "/");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_false(f->modified);
	core_flow_set(&f->request->host, "b.example");
	f->modified = 1;
	respond(f, 200, "text/plain");
	core_rules_response_head(f);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-b"), "1");
	core_flow_free(f);

	/* A rule added between the heads. */
	core_rules_clear();
	added(RULES_MODIFY_HEADERS, "/~d nomatch/X-No/1");
	f = request("GET", "a.example", 80, "/");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	core_rules_clear();
	added(RULES_MODIFY_HEADERS, "/~d a\\.example/X-A/1");
	respond(f, 200, "text/plain");
	core_rules_response_head(f);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "x-a"), "1");
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_modify_headers_from_file(void **state)
{
	struct flow *f = request("GET", "a", 80, "/");
	struct xtarget t = target("a", 80);
	char spec[300];

	snprintf(spec, sizeof spec, "|X-F|@%s/value.txt", dir);
	added(RULES_MODIFY_HEADERS, spec);
	/* Two rules of one name give two fields, as in mitmproxy. */
	added(RULES_MODIFY_HEADERS, "/X-F/second");
	core_rules_request_head(f, &t);
	assert_string_equal(core_flow_header_get(&f->request->headers, "x-f"),
	    "from-a-file");
	assert_int_equal(f->request->headers.n, 4);
	assert_string_equal(f->request->headers.v[3].value, "second");
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_anticache_anticomp(void **state)
{
	struct flow *f = request("GET", "a", 80, "/");
	struct xtarget t = target("a", 80);

	core_flow_header_add(&f->request->headers, "If-None-Match", 13,
	    "\"x\"", 3);
	core_flow_header_add(&f->request->headers, "If-Modified-Since", 17,
	    "yesterday", 9);
	core_flow_header_add(&f->request->headers, "Accept-Encoding", 15,
	    "gzip, br", 8);
	added(RULES_ANTICACHE, NULL);
	added(RULES_ANTICOMP, NULL);
	core_rules_request_head(f, &t);
	assert_null(core_flow_header_get(&f->request->headers,
	    "if-none-match"));
	assert_null(core_flow_header_get(&f->request->headers,
	    "if-modified-since"));
	assert_string_equal(core_flow_header_get(&f->request->headers,
	    "accept-encoding"), "identity");
	assert_int_equal(f->nrule_ids, 2);
	assert_string_equal(core_rules_rule(0)->text, "");
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_map_remote(void **state)
{
	struct flow *f = request("GET", "prod.example", 80, "/api/v1?x=1");
	struct xtarget t = target("prod.example", 80);
	int id;

	added(RULES_MAP_REMOTE, "|~d nomatch|.*|http://never/");
	id = added(RULES_MAP_REMOTE, "|^http://prod\\.example/api/(v\\d)|"
	    "https://staging.example:8443/\\1/api");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_string_equal(f->request->scheme, "https");
	assert_string_equal(f->request->host, "staging.example");
	assert_int_equal(f->request->port, 8443);
	assert_string_equal(f->request->path, "/v1/api?x=1");
	assert_string_equal(core_flow_header_get(&f->request->headers, "host"),
	    "staging.example:8443");
	/* Host keeps its place. */
	assert_string_equal(f->request->headers.v[0].name, "Host");
	assert_string_equal(t.scheme, "https");
	assert_string_equal(t.host, "staging.example");
	assert_int_equal(t.port, 8443);
	assert_string_equal(t.tls_name, "staging.example");
	assert_true(t.absolute);
	assert_int_equal(t.minor, 1);
	assert_string_equal(f->orig_request->host, "prod.example");
	assert_string_equal(f->orig_request->path, "/api/v1?x=1");
	assert_int_equal(f->nrule_ids, 1);
	assert_int_equal(f->rule_ids[0], id);
	core_flow_free(f);
	core_xtarget_clear(&t);

	/* A replacement that is no URL leaves the request as it was. */
	core_rules_clear();
	f = request("GET", "a", 80, "/");
	t = target("a", 80);
	added(RULES_MAP_REMOTE, "|.*|ftp://x/");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_string_equal(f->request->host, "a");
	assert_non_null(f->error);
	assert_int_equal(f->nrule_ids, 0);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_map_local(void **state)
{
	struct xtarget t = target("a", 80);
	struct flow *f;
	char spec[300];

	snprintf(spec, sizeof spec, "|~d cdn|example\\.com/static|%s/site",
	    dir);
	added(RULES_MAP_LOCAL, spec);
	snprintf(spec, sizeof spec, "|/data\\.json$|%s/page.json", dir);
	added(RULES_MAP_LOCAL, spec);

	f = request("GET", "cdn.example.com", 80, "/static/app.js?v=3");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 200);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "content-type"), "text/javascript; charset=utf-8");
	assert_int_equal(f->response->body.len, 14);
	assert_memory_equal(f->response->body.data, "console.log(1)", 14);
	assert_int_equal(f->nrule_ids, 1);
	core_flow_free(f);

	f = request("GET", "cdn.example.com", 80, "/static/docs/");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 200);
	assert_int_equal(f->response->body.len, 11);
	core_flow_free(f);

	f = request("GET", "cdn.example.com", 80, "/static/docs");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->body.len, 11);
	core_flow_free(f);

	f = request("GET", "cdn.example.com", 80, "/static/missing.css");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 404);
	core_flow_free(f);

	/* Out of the directory: refused, whether written plain or encoded. */
	f = request("GET", "cdn.example.com", 80, "/static/../secret");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 404);
	core_flow_free(f);
	f = request("GET", "cdn.example.com", 80, "/static/%2e%2e/secret");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 404);
	core_flow_free(f);

	f = request("GET", "other", 80, "/x/data.json");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "content-type"), "application/json");
	core_flow_free(f);

	f = request("GET", "other", 80, "/x/data.jsonx");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_null(f->response);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_block_list(void **state)
{
	struct xtarget t = target("a", 80);
	struct flow *f;
	int id;

	id = added(RULES_BLOCK_LIST, "|~d tracker|451");
	added(RULES_BLOCK_LIST, "|~u /drop|444");
	f = request("GET", "tracker.example", 80, "/pixel");
	assert_int_equal(core_rules_request_head(f, &t), RULES_ANSWER);
	assert_int_equal(f->response->status, 451);
	assert_int_equal(f->response->body.len, 0);
	assert_int_equal(f->rule_ids[0], id);
	core_flow_free(f);
	f = request("GET", "a", 80, "/drop");
	assert_int_equal(core_rules_request_head(f, &t), RULES_CLOSE);
	assert_null(f->response);
	core_flow_free(f);
	f = request("GET", "a", 80, "/fine");
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
gzip_body(struct flow_body *b, const char *s)
{
	char out[1024];
	z_stream z;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)s;
	z.avail_in = strlen(s);
	z.next_out = (Bytef *)out;
	z.avail_out = sizeof out;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	core_flow_body_set(b, out, sizeof out - z.avail_out);
	deflateEnd(&z);
}

static void
test_modify_body(void **state)
{
	struct xtarget t = target("a", 80);
	struct flow *f = request("POST", "a", 80, "/echo");
	char spec[300], *plain = NULL;
	size_t len;

	added(RULES_MODIFY_BODY, "/~q/(\\w+)@example\\.com/$1@test.invalid");
	added(RULES_MODIFY_BODY, "|~s|(?<w>wor)ld|${w}LD \\1 $$");
	snprintf(spec, sizeof spec, "|~s|secret|@%s/repl.txt", dir);
	added(RULES_MODIFY_BODY, spec);
	assert_int_equal(core_rules_request_head(f, &t), RULES_FORWARD);
	assert_true(core_rules_request_body_wanted(f));
	core_flow_body_set(&f->request->body, "to: ann@example.com, "
	    "bob@example.com", 36);
	core_rules_request_end(f, 1);
	assert_int_equal(f->request->body.len, 38);
	assert_memory_equal(f->request->body.data, "to: ann@test.invalid, "
	    "bob@test.invalid", 38);
	assert_int_equal(f->orig_request->body.len, 36);

	/* A gzip body is decoded, changed, and gzip again. */
	respond(f, 200, "text/plain");
	core_flow_header_add(&f->response->headers, "Content-Encoding", 16,
	    "gzip", 4);
	core_rules_response_head(f);
	assert_true(core_rules_response_body_wanted(f));
	gzip_body(&f->response->body, "hello world, a secret");
	core_rules_response_end(f, 1);
	assert_string_equal(core_flow_header_get(&f->response->headers,
	    "content-encoding"), "gzip");
	assert_int_equal(core_decode_body("gzip", f->response->body.data,
	    f->response->body.len, &plain, &len, NULL), 0);
	assert_string_equal(plain, "hello worLD wor $, a $1 is literal\n");
	free(plain);
	assert_int_equal(f->nrule_ids, 3);
	assert_non_null(f->orig_response);
	core_flow_free(f);

	/* Not held (streamed): the body stays as it came. */
	f = request("GET", "a", 80, "/");
	respond(f, 200, "text/plain");
	core_flow_body_set(&f->response->body, "world", 5);
	core_rules_response_end(f, 0);
	assert_memory_equal(f->response->body.data, "world", 5);
	assert_int_equal(f->nrule_ids, 0);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

static void
test_empty_matches(void **state)
{
	struct xtarget t = target("a", 80);
	struct flow *f = request("GET", "a", 80, "/");

	added(RULES_MODIFY_BODY, "/~s/x*/-");
	respond(f, 200, "text/plain");
	core_flow_body_set(&f->response->body, "abxc", 4);
	core_rules_response_end(f, 1);
	/* As Python's re.sub("x*", "-", "abxc") does. */
	assert_int_equal(f->response->body.len, 8);
	assert_memory_equal(f->response->body.data, "-a-b--c-", 8);
	core_flow_free(f);
	core_xtarget_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_errors, clear),
		cmocka_unit_test_teardown(test_parse_forms, clear),
		cmocka_unit_test_teardown(test_modify_headers_sides, clear),
		cmocka_unit_test_teardown(test_modify_headers_no_change, clear),
		cmocka_unit_test_teardown(test_modify_headers_both_sides_kept, clear),
		cmocka_unit_test_teardown(test_lifecycle, clear),
		cmocka_unit_test_teardown(test_modify_headers_from_file, clear),
		cmocka_unit_test_teardown(test_anticache_anticomp, clear),
		cmocka_unit_test_teardown(test_map_remote, clear),
		cmocka_unit_test_teardown(test_map_local, clear),
		cmocka_unit_test_teardown(test_block_list, clear),
		cmocka_unit_test_teardown(test_modify_body, clear),
		cmocka_unit_test_teardown(test_empty_matches, clear),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
