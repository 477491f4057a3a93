/*
 * core_flows_filter.c -- unit tests of the filter language: a table of
 * expressions against a fixed set of flows (one column per flow), a second
 * table whose answers come from mitmproxy's own flowfilter on the same
 * flows (core_flows_filter-mitmproxy.py beside this file), error columns
 * and messages, case folding, intercept stages, decoded bodies and the
 * promise that matching does not allocate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/loop/limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_MALLOC_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_MALLOC_HOOKS 1
#endif
#endif
#ifdef HAVE_MALLOC_HOOKS
/* From the sanitizer runtime; gcc ships no header for it. */
int	__sanitizer_install_malloc_and_free_hooks(
	    void (*)(const volatile void *, size_t),
	    void (*)(const volatile void *));
#endif

#define NFLOWS 8
static struct flow *flows[NFLOWS];

static void
gzip_body(struct flow_body *b, const char *s, size_t len)
{
	z_stream z;
	char out[4096];

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = len;
	z.next_out = (Bytef *)out;
	z.avail_out = sizeof out;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	core_flow_body_set(b, out, z.total_out);
	deflateEnd(&z);
}

static void
br_body(struct flow_body *b, const char *s)
{
	uint8_t out[4096];
	size_t n = sizeof out;

	assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, strlen(s),
	    (const uint8_t *)s, &n, out));
	core_flow_body_set(b, out, n);
}

static void
zstd_body(struct flow_body *b, const char *s)
{
	char out[4096];
	size_t n = ZSTD_compress(out, sizeof out, s, strlen(s), 3);

	assert_false(ZSTD_isError(n));
	core_flow_body_set(b, out, n);
}

static void
header(struct flow_headers *h, const char *name, const char *value)
{
	core_flow_header_add(h, name, strlen(name), value, strlen(value));
}

static struct flow *
http_flow(const char *method, const char *scheme, const char *host, int port,
    const char *path)
{
	struct flow *f = core_flow_new(FLOW_HTTP);

	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, method);
	core_flow_set(&f->request->scheme, scheme);
	core_flow_set(&f->request->host, host);
	f->request->port = port;
	core_flow_set(&f->request->path, path);
	core_flow_set(&f->request->version, "HTTP/1.1");
	return f;
}

static void
addresses(struct flow *f, const char *client, const char *server, int pid,
    const char *comm)
{
	core_flow_set(&f->client, client);
	core_flow_set(&f->server, server);
	f->pid = pid;
	core_flow_set(&f->comm, comm);
}

static const char f0_body[] = "{\"user\":\"alice\",\"token\":\"SECRET42\"}";

/*
 * 0 HTTPS GET with a gzip'ed JSON response, 0.7 s, 2 MiB on the wire
 * 1 HTTP POST with a br'ed form body, no response, running for 100 s
 * 2 HTTP 404 image with a zstd body; marked, commented, failed, replayed
 * 3 raw TCP (SMTP) with SNI, 2 s
 * 4 raw UDP ping/pong, 1 ms
 * 5 answered DNS query, a server replay, 20 ms
 * 6 unanswered DNS query, no times
 * 7 an HTTP flow with nothing filled in
 */
static int
setup(void **state)
{
	struct flow *f;

	f = flows[0] = http_flow("GET", "https", "example.com", 443,
	    "/api/users?id=1");
	header(&f->request->headers, "Host", "example.com");
	header(&f->request->headers, "User-Agent", "curl/8.0");
	header(&f->request->headers, "Accept", "*/*");
	f->response = core_flow_response_new();
	f->response->status = 200;
	core_flow_set(&f->response->reason, "OK");
	header(&f->response->headers, "Content-Type",
	    "application/json; charset=utf-8");
	header(&f->response->headers, "Content-Encoding", "gzip");
	header(&f->response->headers, "Server", "nginx");
	gzip_body(&f->response->body, f0_body, sizeof f0_body - 1);
	f->response->body.total = 2 * 1024 * 1024;
	addresses(f, "127.0.0.1:50000", "93.184.216.34:443", 1234, "curl");
	core_flow_set(&f->mode, "regular@8081");
	f->t.start = 1000.0;
	f->t.end = 1000.7;
	f->state = FLOW_DONE;

	f = flows[1] = http_flow("POST", "http", "upload.test", 8080, "/form");
	header(&f->request->headers, "Host", "upload.test:8080");
	header(&f->request->headers, "Content-Type",
	    "application/x-www-form-urlencoded");
	header(&f->request->headers, "Content-Encoding", "br");
	br_body(&f->request->body, "user=bob&pass=hunter2");
	addresses(f, "127.0.0.1:50001", "10.1.1.1:8080", 42, "python3");
	f->t.start = core_now() - 100;

	f = flows[2] = http_flow("GET", "http", "cdn.test", 80,
	    "/img/logo.png");
	f->response = core_flow_response_new();
	f->response->status = 404;
	header(&f->response->headers, "Content-Type", "image/png");
	header(&f->response->headers, "Content-Encoding", "zstd");
	zstd_body(&f->response->body, "not found here");
	addresses(f, "[::1]:50002", "[2001:db8::1]:80", 0, NULL);
	core_flow_set(&f->marker, ":bug:");
	core_flow_set(&f->comment, "look at this one");
	core_flow_set(&f->error, "upstream reset");
	f->replay = REPLAY_REQUEST;
	f->replay_of = 1;
	f->t.start = 2000.0;
	f->t.end = 2000.05;
	f->state = FLOW_DONE;

	f = flows[3] = core_flow_new(FLOW_TCP);
	addresses(f, "127.0.0.1:50003", "10.0.0.1:25", 77, "sendmail");
	core_flow_body_append(&f->up, "EHLO client\r\n", 13);
	core_flow_body_append(&f->down, "220 mail ESMTP ready\r\n", 22);
	f->down.total = 5000;
	core_flow_set(&core_flow_client_tls_w(f)->sni, "mail.test");
	f->t.start = 3000.0;
	f->t.end = 3002.0;

	f = flows[4] = core_flow_new(FLOW_UDP);
	addresses(f, "127.0.0.1:50004", "10.0.0.2:9999", 0, NULL);
	core_flow_set(&f->mode, "socks5@1080");
	core_flow_body_append(&f->up, "ping", 4);
	core_flow_body_append(&f->down, "pong", 4);
	f->t.start = 4000.0;
	f->t.end = 4000.001;

	f = flows[5] = core_flow_new(FLOW_DNS);
	addresses(f, "127.0.0.1:50005", "1.1.1.1:53", 500, "resolved");
	f->dns = calloc(1, sizeof *f->dns);
	core_flow_set(&f->dns->name, "dns.example.org");
	f->dns->qtype = 1;
	f->dns->rcode = 0;
	core_flow_set(&f->dns->answers,
	    "dns.example.org. 300 IN A 93.184.216.34");
	f->replay = REPLAY_RESPONSE;
	f->t.start = 5000.0;
	f->t.end = 5000.02;

	f = flows[6] = core_flow_new(FLOW_DNS);
	f->dns = calloc(1, sizeof *f->dns);
	core_flow_set(&f->dns->name, "slow.test");
	f->dns->rcode = -1;
	f->t.start = 0;

	f = flows[7] = core_flow_new(FLOW_HTTP);
	f->request = core_flow_request_new();
	f->t.start = 0;
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	for (i = 0; i < NFLOWS; i++)
		core_flow_free(flows[i]);
	return 0;
}

struct match_case {
	const char	*expr;
	const char	*want;	/* '1' or '0' per flow */
};

static const struct match_case match_cases[] = {
	/* Flow kinds and flags. */
	{ "~all",		"11111111" },
	{ "~http",		"11100001" },
	{ "~tcp",		"00010000" },
	{ "~udp",		"00001000" },
	{ "~dns",		"00000110" },
	{ "~websocket",		"00000000" },
	{ "~q",			"01000011" },
	{ "~s",			"10100100" },
	{ "~e",			"00100000" },
	{ "~marked",		"00100000" },
	{ "~marker bug",	"00100000" },
	{ "~marker '^:bug:$'",	"00100000" },
	{ "~marker nope",	"00000000" },
	{ "~comment 'this one'", "00100000" },
	{ "~comment \"look at\"", "00100000" },
	{ "~replay",		"00100100" },
	{ "~replayq",		"00100000" },
	{ "~replays",		"00000100" },
	{ "~replay & !~replayq", "00000100" },
	{ "!~replay & ~http",	"11000001" },
	{ "~replayq & ~s",	"00100000" },
	{ "~replays & ~http",	"00000000" },
	{ "~a",			"00100000" },
	/* Status codes and comparisons. */
	{ "~c 200",		"10000000" },
	{ "~c 404",		"00100000" },
	{ "~c >=400",		"00100000" },
	{ "~c>=400",		"00100000" },
	{ "~c <500",		"10100000" },
	{ "~c 200..299",	"10000000" },
	{ "~c =404",		"00100000" },
	{ "~c ==404",		"00100000" },
	/* Request fields. */
	{ "~m GET",		"10100000" },
	{ "~m post",		"01000000" },
	{ "~m ^P",		"01000000" },
	{ "~d example",		"10000100" },
	{ "~d upload",		"01000000" },
	{ "~d mail.test",	"00010000" },
	/* The Host header's host, never its port (issue 19, point 1). */
	{ "~d ':8080$'",	"00000000" },
	{ "~d '^upload\\.test$'", "01000000" },
	{ "~u /api/users",	"10000000" },
	{ "~u '^https://example\\.com/api'", "10000000" },
	{ "~u ^http://upload.test:8080/form$", "01000000" },
	{ "~u ^http://cdn.test/img", "00100000" },
	{ "~u dns.example",	"00000100" },
	{ "~u 10.0.0.1:25",	"00010000" },
	{ "users",		"10000000" },
	{ "'id=1'",		"10000000" },
	{ "\"logo\\.png$\"",	"00100000" },
	/* Headers and content types. */
	{ "~h 'user-agent: curl'", "10000000" },
	{ "~h \"^server: nginx$\"", "10000000" },
	{ "~hq nginx",		"00000000" },
	{ "~hs nginx",		"10000000" },
	{ "~hq content-type",	"01000000" },
	{ "~hs content-type",	"10100000" },
	{ "~t json",		"10000000" },
	{ "~t form",		"01000000" },
	{ "~tq json",		"00000000" },
	{ "~ts json",		"10000000" },
	{ "~ts image",		"00100000" },
	{ "~tq form",		"01000000" },
	{ "~ts form",		"00000000" },
	/* Bodies, decoded: gzip (0), br (1), zstd (2), raw for the rest. */
	{ "~b SECRET42",	"10000000" },
	{ "~b secret42",	"10000000" },
	{ "~bs alice",		"10000000" },
	{ "~bq alice",		"00000000" },
	{ "~b hunter2",		"01000000" },
	{ "~bq hunter2",	"01000000" },
	{ "~bs hunter2",	"00000000" },
	{ "~b 'not found'",	"00100000" },
	{ "~b EHLO",		"00010000" },
	{ "~bq EHLO",		"00010000" },
	{ "~bs EHLO",		"00000000" },
	{ "~bs ESMTP",		"00010000" },
	{ "~b ping",		"00001000" },
	{ "~bs pong",		"00001000" },
	{ "~bq pong",		"00000000" },
	{ "~bq dns.example",	"00000100" },
	{ "~bs 93.184",		"00000100" },
	{ "~b '93\\.184\\.216\\.34$'", "00000100" },
	/* Addresses and processes. */
	{ "~src 50000",		"10000000" },
	{ "~src '^\\[::1\\]'",	"00100000" },
	{ "~dst ':25$'",	"00010000" },
	{ "~dst '^1\\.1\\.1\\.1:'", "00000100" },
	{ "~proc curl",		"10000000" },
	{ "~proc ^python",	"01000000" },
	{ "~proc resolved",	"00000100" },
	{ "~pid 1234",		"10000000" },
	{ "~mode regular",	"10000000" },
	{ "~mode ^socks5",	"00001000" },
	{ "~mode 8081|1080",	"10001000" },
	{ "~pid >100",		"10000100" },
	{ "~pid <100",		"01010000" },
	/* Durations: a flow still going counts up to now. */
	{ "~dur >500ms",	"11010000" },
	{ "~dur>500ms",		"11010000" },
	{ "~dur > 500ms",	"11010000" },
	{ "~dur \">500ms\"",	"11010000" },
	{ "~dur <=60ms",	"00101100" },
	{ "~dur >= 2s",		"01010000" },
	{ "~dur 1s..3s",	"00010000" },
	{ "~dur >1m",		"01000000" },
	{ "~dur >1min",		"01000000" },
	{ "~dur <1.5",		"10101100" },
	{ "~dur <2000us",	"00001000" },
	{ "~dur >1h",		"00000000" },
	/* Sizes. */
	{ "~size >1m",		"10000000" },
	{ "~size >1k",		"10010000" },
	{ "~size >=2MiB",	"10000000" },
	{ "~size <=100",	"00101000" },
	{ "~size 4b",		"00001000" },
	{ "~sizes >1m",		"10000000" },
	{ "~sizeq >0",		"01011000" },
	{ "~sizeq 0",		"10100001" },
	/* Precedence: ! then & then |, then juxtaposition (an &). */
	{ "~tcp | ~udp & ~dns",	"00010000" },
	{ "(~tcp | ~udp) ~b ping", "00001000" },
	{ "!~http",		"00011110" },
	{ "!~http & !~dns",	"00011000" },
	{ "!(~http | ~dns)",	"00011000" },
	{ "!!~tcp",		"00010000" },
	{ "~http ~s",		"10100000" },
	{ "~http&~s",		"10100000" },
	{ "~http ~s !~c 404",	"10000000" },
	{ "~m GET | ~tcp ~b EHLO", "00010000" },
	{ "~b EHLO ~m GET | ~tcp", "00010000" },
	{ "~s | ~q & ~http",	"11100101" },
	{ "(~s | ~q) & ~http",	"11100001" },
	{ "~dns & (~q | ~replays)", "00000110" },
	{ "((~tcp))",		"00010000" },
	{ "\t~tcp\n|\r~udp ",	"00011000" },
	/* Quoting and escapes. */
	{ "~b '\"user\"'",	"10000000" },
	{ "~b \"\\\"user\\\"\"", "10000000" },
	{ "~u \"id=\\d\"",	"10000000" },
	{ "~u 'id=\\D'",	"00000000" },
	{ "~comment 'it\\'s'",	"00000000" },
	{ "~u ''",		"11111111" },
	{ "~m 'GET|POST'",	"11100000" },
	{ "~m GET|POST",	"11100000" },	/* one regex */
	{ "~m GET|~m POST",	"11100000" },	/* the | is the operator */
	/* Only bodies that exist (point 3): DNS questions always do,
	 * answers once the query is answered. */
	{ "~b ''",		"11111110" },
	{ "~bq ''",		"01011110" },
	{ "~bs ''",		"10111100" },
	{ "~u x!y",		"00000000" },
};

static void
test_table(void **state)
{
	char got[NFLOWS + 1], *cause = NULL;
	struct filter *f;
	size_t i, j;
	int failed = 0;

	for (i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
		const struct match_case *c = &match_cases[i];

		f = core_filter_compile(c->expr, 0, &cause);
		if (f == NULL) {
			print_error("%s: %s\n", c->expr, cause);
			free(cause);
			failed++;
			continue;
		}
		assert_string_equal(core_filter_text(f), c->expr);
		for (j = 0; j < NFLOWS; j++)
			got[j] = core_filter_match(f, flows[j]) ? '1' : '0';
		got[NFLOWS] = '\0';
		/* Twice: the result must not depend on the last match. */
		for (j = 0; j < NFLOWS; j++) {
			if ((core_filter_match(f, flows[j]) ? '1' : '0') !=
			    got[j])
				got[j] = '?';
		}
		if (strcmp(got, c->want) != 0) {
			print_error("%-32s want %s got %s\n", c->expr,
			    c->want, got);
			failed++;
		}
		core_filter_free(f);
	}
	assert_int_equal(failed, 0);
}

struct error_case {
	const char	*expr;
	int		 column;
	const char	*message;	/* a substring */
};

static const struct error_case error_cases[] = {
	{ "",			1,  "empty expression" },
	{ "   ",		1,  "empty expression" },
	{ "~d",			3,  "~d needs a regular expression" },
	{ "~d   ",		6,  "~d needs a regular expression" },
	{ "~d ~u x",		4,  "~d needs a regular expression" },
	{ "~d (x)",		4,  "~d needs a regular expression" },
	{ "~c",			3,  "~c needs a number such as 404" },
	{ "~c abc",		4,  "~c needs a number such as 404 or >=500, "
				    "not \"abc\"" },
	{ "~c 1.5",		4,  "~c needs a number" },
	{ "~pid x",		6,  "~pid needs a number" },
	{ "~dur >5x",		6,  "~dur needs a duration such as >500ms" },
	{ "~dur 5..",		6,  "~dur needs a duration" },
	{ "~size >",		8,  "~size needs a size such as >1m" },
	{ "~size 2k..1k",	7,  "~size needs a size" },
	{ "~size >>1",		7,  "~size needs a size" },
	{ "~u (",		4,  "~u needs a regular expression" },
	{ "~u 'a(b'",		8,  "bad regular expression: missing closing "
				    "parenthesis" },
	{ "~u a[",		6,  "bad regular expression: missing "
				    "terminating ]" },
	{ "~h \"\\\\\\\\x\\\"(\"", 13, "bad regular expression: missing "
				    "closing parenthesis" },
	{ "~b *",		4,  "bad regular expression: quantifier does "
				    "not follow" },
	{ "a{2,1}",		6,  "bad regular expression: numbers out of "
				    "order" },
	{ "(~a",		1,  "unbalanced parenthesis: ( without )" },
	{ "~a)",		3,  "unbalanced parenthesis: ) without (" },
	{ "(~a))",		5,  "unbalanced parenthesis: ) without (" },
	{ "((~a) | (~s)",	1,  "unbalanced parenthesis: ( without )" },
	{ "()",			2,  "expression expected before )" },
	{ "~zz",		1,  "unknown operator ~zz" },
	{ "~a ~zz",		4,  "unknown operator ~zz" },
	{ "~Q",			1,  "unknown operator ~Q" },
	{ "~u.x",		1,  "unknown operator ~u.x" },
	{ "~a'x'",		1,  "unknown operator ~a'x'" },
	{ "~ ",			1,  "~ needs an operator name" },
	{ "~a &",		5,  "expression expected at the end" },
	/* An & or | before ~ ! ( is the operator, so no regex is left. */
	{ "~u &~s",		4,  "~u needs a regular expression" },
	{ "~u |(~s)",		4,  "~u needs a regular expression" },
	{ "~u&x",		3,  "~u needs a regular expression" },
	{ "~m GET|!",		9,  "expression expected at the end" },
	{ "~m GET&(",		9,  "expression expected at the end" },
	{ "~u a\\\\ ~zz",	8,  "unknown operator ~zz" },
	{ "(~a ~s",		1,  "unbalanced parenthesis: ( without )" },
	{ "~a (~s ~q))",	11, "unbalanced parenthesis: ) without (" },
	{ "& ~a",		1,  "expression expected before &" },
	{ "~a | | ~s",		6,  "expression expected before |" },
	{ "~a |",		5,  "expression expected at the end" },
	{ "!",			2,  "expression expected at the end" },
	{ "~u 'abc",		4,  "unterminated quote" },
	{ "~u \"a\\\"",		4,  "unterminated quote" },
	/* Columns count characters: é is two bytes, one column. */
	{ "~u \xc3\xa9 ~zz",	6,  "unknown operator ~zz" },
};

static void
test_errors(void **state)
{
	struct filter_error err;
	struct filter *f;
	char *cause;
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const struct error_case *c = &error_cases[i];

		memset(&err, 0x55, sizeof err);
		f = core_filter_compile_err(c->expr, 0, &err);
		if (f != NULL) {
			print_error("%s: compiled\n", c->expr);
			core_filter_free(f);
			failed++;
			continue;
		}
		if (err.column != c->column ||
		    strstr(err.message, c->message) == NULL) {
			print_error("%-16s want %d \"%s\" got %d \"%s\"\n",
			    c->expr, c->column, c->message, err.column,
			    err.message);
			failed++;
		}
		/* Also through the cause string, and without one. */
		cause = NULL;
		assert_null(core_filter_compile(c->expr, 0, &cause));
		assert_non_null(cause);
		assert_int_equal(strncmp(cause, "column ", 7), 0);
		free(cause);
		assert_null(core_filter_compile(c->expr, 0, NULL));
		assert_null(core_filter_compile_err(c->expr, 0, NULL));
	}
	assert_int_equal(failed, 0);
}

static void
test_deep_nesting(void **state)
{
	struct filter_error err;
	struct filter *f;
	char expr[512];

	memset(expr, '(', 100);
	strcpy(expr + 100, "~s");
	memset(expr + 102, ')', 100);
	expr[202] = '\0';
	assert_non_null(f = core_filter_compile_err(expr, 0, &err));
	assert_true(core_filter_match(f, flows[0]));
	core_filter_free(f);

	memset(expr, '(', 101);
	strcpy(expr + 101, "~a");
	memset(expr + 103, ')', 101);
	expr[204] = '\0';
	assert_null(core_filter_compile_err(expr, 0, &err));
	assert_int_equal(err.column, 101);
	assert_string_equal(err.message, "nested deeper than 100");

	memset(expr, '!', 300);
	strcpy(expr + 300, "~a");
	assert_null(core_filter_compile_err(expr, 0, &err));
	assert_string_equal(err.message, "nested deeper than 100");
}

/* The message a user reads: column, the expression, a caret under it. */
static void
test_cause(void **state)
{
	char *cause = NULL;

	assert_null(core_filter_compile("~a ~zz", 0, &cause));
	assert_string_equal(cause,
	    "column 4: unknown operator ~zz\n~a ~zz\n   ^");
	free(cause);
	/* A tab before the fault stays a tab, so the caret lines up. */
	assert_null(core_filter_compile("~a\t~u (", 0, &cause));
	assert_string_equal(cause,
	    "column 7: ~u needs a regular expression\n~a\t~u (\n  \t   ^");
	free(cause);
	/* Past the end, and a newline shown as a space. */
	assert_null(core_filter_compile("~s\n~d", 0, &cause));
	assert_string_equal(cause,
	    "column 6: ~d needs a regular expression\n~s ~d\n     ^");
	free(cause);
	assert_null(core_filter_compile("~u 'a(b'", 0, &cause));
	assert_string_equal(cause, "column 8: bad regular expression: "
	    "missing closing parenthesis\n~u 'a(b'\n       ^");
	free(cause);
}

static void
test_case_sensitive(void **state)
{
	static const struct {
		const char	*expr;
		int		 flags;
		const char	*want;
	} cases[] = {
		{ "~m get", 0, "10100000" },
		{ "~m get", FILTER_CASE_SENSITIVE, "00000000" },
		{ "~m GET", FILTER_CASE_SENSITIVE, "10100000" },
		{ "~b secret42", FILTER_CASE_SENSITIVE, "00000000" },
		{ "~b SECRET42", FILTER_CASE_SENSITIVE, "10000000" },
		{ "~h '^SERVER'", 0, "10000000" },
		{ "~h '^SERVER'", FILTER_CASE_SENSITIVE, "00000000" },
		{ "EXAMPLE", FILTER_CASE_SENSITIVE, "00000000" },
		{ "EXAMPLE", 0, "10000100" },
		{ "~u '(?i)EXAMPLE'", FILTER_CASE_SENSITIVE, "10000100" },
		/* The Host header's host and CR LF header lines too. */
		{ "~d UPLOAD.TEST$", 0, "01000000" },
		{ "~d UPLOAD.TEST$", FILTER_CASE_SENSITIVE, "00000000" },
		{ "~d upload.test$", FILTER_CASE_SENSITIVE, "01000000" },
		{ "~h 'curl/8.0\\r\\naccept: \\*/\\*\\r\\n$'", 0,
		    "10000000" },
		{ "~h 'curl/8.0\\r\\naccept'", FILTER_CASE_SENSITIVE,
		    "00000000" },
		{ "~h 'curl/8.0\\r\\nAccept'", FILTER_CASE_SENSITIVE,
		    "10000000" },
	};
	char got[NFLOWS + 1];
	struct filter *f;
	size_t i, j;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_non_null(f = core_filter_compile(cases[i].expr,
		    cases[i].flags, NULL));
		for (j = 0; j < NFLOWS; j++)
			got[j] = core_filter_match(f, flows[j]) ? '1' : '0';
		got[NFLOWS] = '\0';
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s/%d: want %s got %s", cases[i].expr,
			    cases[i].flags, cases[i].want, got);
		core_filter_free(f);
	}
}

static void
test_stages(void **state)
{
	static const struct {
		const char	*expr;
		int		 req, resp;
	} cases[] = {
		{ "~q", 1, 0 },
		{ "~q ~d example", 1, 0 },
		{ "!~q", 1, 0 },
		{ "~s", 0, 1 },
		{ "~s & ~c 500", 0, 1 },
		{ "~q | ~s", 1, 1 },
		{ "~d example", 1, 1 },
		{ "~all", 1, 1 },
		{ "~bs foo", 1, 1 },
		{ "~replayq", 1, 1 },
	};
	struct filter *f;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_non_null(f = core_filter_compile(cases[i].expr, 0,
		    NULL));
		if (core_filter_wants_request(f) != cases[i].req ||
		    core_filter_wants_response(f) != cases[i].resp)
			fail_msg("%s: want %d/%d", cases[i].expr,
			    cases[i].req, cases[i].resp);
		core_filter_free(f);
	}
	assert_int_equal(core_filter_wants_request(NULL), 1);
	assert_int_equal(core_filter_wants_response(NULL), 1);
	assert_int_equal(core_filter_match(NULL, flows[0]), 1);
}

/* Filters whose result the request head fixes (rules keep it for the
 * response head) and ones that read what comes later. */
static void
test_request_stable(void **state)
{
	static const struct {
		const char	*expr;
		int		 stable;
	} cases[] = {
		{ "~d example", 1 },
		{ "~u /a | ~m POST", 1 },
		{ "!(~hq x-a & ~tq json) & ~http", 1 },
		{ "~mode regular & ~replayq", 1 },
		{ "~h x-a", 0 },
		{ "~hs x-a", 0 },
		{ "~c 200", 0 },
		{ "~q", 0 },
		{ "~s", 0 },
		{ "~d a & ~bq b", 0 },
		{ "~d a | ~dur >1", 0 },
		{ "~src 127", 0 },
		{ "~marked", 0 },
		{ "~e", 0 },
	};
	struct filter *f;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_non_null(f = core_filter_compile(cases[i].expr, 0,
		    NULL));
		if (core_filter_request_stable(f) != cases[i].stable)
			fail_msg("%s: want %d", cases[i].expr, cases[i].stable);
		core_filter_free(f);
	}
	assert_int_equal(core_filter_request_stable(NULL), 1);
}

/* The prefetch hint reads only pointers, of any flow (ASan watches). */
static void
test_prefetch(void **state)
{
	static const char *exprs[] = { "~h x", "~u x", "~bs x", "~tcp" };
	struct filter *f;
	size_t i, j;

	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		assert_non_null(f = core_filter_compile(exprs[i], 0, NULL));
		for (j = 0; j < NFLOWS; j++) {
			core_filter_prefetch(f, flows[j]);
			core_filter_prefetch(NULL, flows[j]);
		}
		core_filter_free(f);
	}
}

/* An undecodable body is matched raw; a kept prefix decodes partly. */
static void
test_body_fallback(void **state)
{
	struct flow *fl = http_flow("GET", "http", "h.test", 80, "/");
	struct filter *f;
	char *big, *half;
	size_t i, n = 256 * 1024;
	z_stream z;

	fl->response = core_flow_response_new();
	fl->response->status = 200;
	header(&fl->response->headers, "Content-Encoding", "gzip");
	core_flow_body_set(&fl->response->body, "plain words here", 16);
	assert_non_null(f = core_filter_compile("~bs 'words'", 0, NULL));
	assert_true(core_filter_match(f, fl));
	core_filter_free(f);

	/* An unknown coding: raw bytes too. */
	fl->response->headers.v[0].value[0] = 'X';
	assert_non_null(f = core_filter_compile("~bs 'words'", 0, NULL));
	assert_true(core_filter_match(f, fl));
	core_filter_free(f);
	fl->response->headers.v[0].value[0] = 'g';

	/* The first half of a gzip stream, as a truncated flow keeps it. */
	big = malloc(n);
	memcpy(big, "NEEDLE ", 7);
	for (i = 7; i < n; i++)
		big[i] = "abcdefghijklmnopqrstuvwxyz"[(i * 2654435761u >> 11) %
		    26];
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	half = malloc(deflateBound(&z, n));
	z.next_in = (Bytef *)big;
	z.avail_in = n;
	z.next_out = (Bytef *)half;
	z.avail_out = deflateBound(&z, n);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	core_flow_body_set(&fl->response->body, half, z.total_out / 2);
	fl->response->body.truncated = 1;
	fl->response->body.total = z.total_out;
	deflateEnd(&z);
	assert_non_null(f = core_filter_compile("~bs ^NEEDLE", 0, NULL));
	assert_true(core_filter_match(f, fl));
	/* Not truncated: the cut stream is corrupt, so raw bytes are used. */
	fl->response->body.truncated = 0;
	assert_false(core_filter_match(f, fl));
	core_filter_free(f);

	/* An edited body is matched as it is now, never from a cache. */
	assert_non_null(f = core_filter_compile("~b SECRET42", 0, NULL));
	gzip_body(&fl->response->body, f0_body, sizeof f0_body - 1);
	assert_true(core_filter_match(f, fl));
	gzip_body(&fl->response->body, "other", 5);
	assert_false(core_filter_match(f, fl));
	core_filter_free(f);

	free(big);
	free(half);
	core_flow_free(fl);
}

/* Long URLs and header blocks grow the scratch buffer, and still match. */
static void
test_large_fields(void **state)
{
	struct flow *fl = http_flow("GET", "http", "h.test", 80, "/");
	struct filter *f;
	char *path, *value;
	size_t n = 3 * LIMIT_HTTP_HEAD;

	path = malloc(n + 1);
	memset(path, 'a', n);
	path[0] = '/';
	strcpy(path + n - 4, "TAIL");
	core_flow_set(&fl->request->path, path);
	value = path + 1;
	header(&fl->request->headers, "X-Long", value);
	header(&fl->request->headers, "X-After", "last");
	assert_non_null(f = core_filter_compile(
	    "~u TAIL$ ~hq '^x-after: last$'", 0, NULL));
	assert_true(core_filter_match(f, fl));
	core_filter_free(f);
	free(path);
	core_flow_free(fl);
}

#ifdef HAVE_MALLOC_HOOKS
static volatile size_t mallocs;

static void
count_malloc(const volatile void *p, size_t size)
{
	mallocs++;
}

static void
count_free(const volatile void *p)
{
}

static size_t
mallocs_during(struct filter *f, int from, int to, int rounds)
{
	size_t before;
	int i, j;

	before = mallocs;
	for (i = 0; i < rounds; i++)
		for (j = from; j < to; j++)
			(void)core_filter_match(f, flows[j]);
	return mallocs - before;
}
#endif

static void
test_no_allocation(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
	struct filter *f;
	size_t one, two;

	__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
	/* Every operator but the bodies, over every flow. */
	assert_non_null(f = core_filter_compile("~all ~e | ~marked | "
	    "~marker x | ~comment x | ~http | ~tcp | ~udp | ~dns | ~q | ~s | "
	    "~replay | ~replayq | ~replays | ~a | ~c 999 | ~m x | ~d x | "
	    "~u x | ~h x | ~hq x | ~hs x | ~t x | ~tq x | ~ts x | ~src x | "
	    "~dst x | ~proc x | ~pid 1 | ~dur >1h | ~size 3 | ~sizeq 3 | "
	    "~sizes 3 | ~websocket", 0, NULL));
	(void)mallocs_during(f, 0, NFLOWS, 1);
	assert_int_equal(mallocs_during(f, 0, NFLOWS, 20), 0);
	core_filter_free(f);

	/* Bodies without a coding (TCP, UDP, DNS) need no decoding. */
	assert_non_null(f = core_filter_compile("~b x | ~bq y | ~bs z", 0,
	    NULL));
	(void)mallocs_during(f, 3, NFLOWS, 1);
	assert_int_equal(mallocs_during(f, 3, NFLOWS, 20), 0);
	core_filter_free(f);

	/* A coded body decodes once per match, however often it is named. */
	assert_non_null(f = core_filter_compile("~bs x1", 0, NULL));
	(void)mallocs_during(f, 0, 1, 1);
	one = mallocs_during(f, 0, 1, 1);
	core_filter_free(f);
	assert_non_null(f = core_filter_compile("~bs x1 | ~bs x2 | ~b x3", 0,
	    NULL));
	(void)mallocs_during(f, 0, 1, 1);
	two = mallocs_during(f, 0, 1, 1);
	core_filter_free(f);
	__sanitizer_install_malloc_and_free_hooks(NULL, NULL);
	assert_true(one > 0);
	assert_int_equal(one, two);
#else
	skip();
#endif
}

static void
test_operator_table(void **state)
{
	const struct filter_operator *ops;
	struct filter *f;
	char expr[64];
	size_t n, i;

	ops = core_filter_operators(&n);
	assert_true(n >= 37);
	/* Every listed operator compiles with a fitting argument. */
	for (i = 0; i < n; i++) {
		if (ops[i].arg == NULL)
			snprintf(expr, sizeof expr, "%s", ops[i].name);
		else if (strcmp(ops[i].arg, "REGEX") == 0)
			snprintf(expr, sizeof expr, "%s x", ops[i].name);
		else
			snprintf(expr, sizeof expr, "%s >1", ops[i].name);
		assert_non_null(f = core_filter_compile(expr, 0, NULL));
		assert_non_null(ops[i].help);
		core_filter_free(f);
	}
}

/*
 * The mitmproxy reference: flows that core_flows_filter-mitmproxy.py
 * builds the same way for mitmproxy 8's flowfilter (Debian's mitmproxy
 * package), and expressions with the answers that script printed. Where
 * trawl keeps its own reading (issue 19, point 9) the third column holds
 * mitmproxy's answer ("error": it rejects the expression) and a comment
 * says why; NULL means mitmproxy answers as trawl does. The script checks
 * that column against mitmproxy; this test needs no mitmproxy.
 *
 * 0 GET https://example.com/api/cdn-list?q=1, a 200 with two Content-Type
 *   fields (text/html, application/json) and a body
 * 1 POST http://10.1.1.1:8080/form with Host: upload.test:8080, a form
 *   body, no response; marked, a comment of two lines
 * 2 HEAD http://cdn.test/logo.png: a 200 image/png without a body
 * 3 GET http://192.0.2.1/status with Host: api.test, a 204 without a body
 *   and two Content-Type fields (text/plain, text/css)
 * 4 PUT http://cdn.test:8080/upload!now?a=1&b=2 with a body, a 500 with a
 *   body, and an error
 * 5 raw TCP, "hello" up and "it's me" down; 6 raw TCP that sent nothing
 */
#define NREF 7
static struct flow *ref[NREF];

static void
ref_response(struct flow *f, int status, const char *body)
{
	f->response = core_flow_response_new();
	f->response->status = status;
	if (body != NULL)
		core_flow_body_set(&f->response->body, body, strlen(body));
}

static int
ref_setup(void **state)
{
	struct flow *f;

	f = ref[0] = http_flow("GET", "https", "example.com", 443,
	    "/api/cdn-list?q=1");
	header(&f->request->headers, "Host", "example.com");
	header(&f->request->headers, "User-Agent", "curl/8.0");
	header(&f->request->headers, "Accept", "*/*");
	ref_response(f, 200, "hello world");
	header(&f->response->headers, "Content-Type", "text/html");
	header(&f->response->headers, "Content-Type", "application/json");
	header(&f->response->headers, "Server", "nginx");

	f = ref[1] = http_flow("POST", "http", "10.1.1.1", 8080, "/form");
	header(&f->request->headers, "Host", "upload.test:8080");
	header(&f->request->headers, "Content-Type",
	    "application/x-www-form-urlencoded");
	core_flow_body_set(&f->request->body, "user=bob&pass=hunter2", 21);
	core_flow_set(&f->marker, ":bug:");
	core_flow_set(&f->comment, "first line\nsecond line");

	f = ref[2] = http_flow("HEAD", "http", "cdn.test", 80, "/logo.png");
	header(&f->request->headers, "Host", "cdn.test");
	ref_response(f, 200, NULL);
	header(&f->response->headers, "Content-Type", "image/png");
	header(&f->response->headers, "Content-Length", "1234");

	f = ref[3] = http_flow("GET", "http", "192.0.2.1", 80, "/status");
	header(&f->request->headers, "Host", "api.test");
	ref_response(f, 204, NULL);
	header(&f->response->headers, "Server", "apache");
	header(&f->response->headers, "Content-Type", "text/plain");
	header(&f->response->headers, "Content-Type", "text/css");

	f = ref[4] = http_flow("PUT", "http", "cdn.test", 8080,
	    "/upload!now?a=1&b=2");
	header(&f->request->headers, "Host", "cdn.test:8080");
	header(&f->request->headers, "Content-Type", "text/plain");
	core_flow_body_set(&f->request->body, "x", 1);
	ref_response(f, 500, "oops");
	header(&f->response->headers, "Content-Type", "text/plain");
	core_flow_set(&f->error, "error");

	f = ref[5] = core_flow_new(FLOW_TCP);
	core_flow_body_append(&f->up, "hello", 5);
	core_flow_body_append(&f->down, "it's me", 7);

	ref[6] = core_flow_new(FLOW_TCP);
	return 0;
}

static int
ref_teardown(void **state)
{
	size_t i;

	for (i = 0; i < NREF; i++)
		core_flow_free(ref[i]);
	return 0;
}

struct ref_case {
	const char	*expr;
	const char	*want;		/* '1' or '0' per flow, or "error" */
	const char	*mitmproxy;	/* NULL: the same as want */
};

static const struct ref_case ref_cases[] = {
	/* 1. ~d is the request's host or the Host header's, never a port. */
	{ "~d 8080",				"0000000", NULL },
	{ "~d :",				"0000000", NULL },
	{ "~d upload",				"0100000", NULL },
	{ "~d ^upload\\.test$",			"0100000", NULL },
	{ "~d ^10\\.1\\.1\\.1$",		"0100000", NULL },
	{ "~d ^api\\.test$",			"0001000", NULL },
	{ "~d ^cdn\\.test$",			"0010100", NULL },
	/* 2. ~u: the URL of the request line or as the Host header names
	 * it. mitmproxy matches only the second (its pretty_url); trawl
	 * matches either, as ~d matches either host. */
	{ "~u ^http://upload\\.test:8080/form$",	"0100000", NULL },
	{ "~u ^http://api\\.test/status$",	"0001000", NULL },
	{ "~u ^https://example\\.com/api/",	"1000000", NULL },
	{ "upload.test",			"0100000", NULL },
	{ "~u :8080/",				"0100100", NULL },
	{ "~u ^http://10\\.1\\.1\\.1:8080/form$",	"0100000", "0000000" },
	{ "~u ^http://192\\.0\\.2\\.1/",		"0001000", "0000000" },
	{ "~u ^http://api\\.test/",		"0001000", NULL },
	/* 3. Bodies that do not exist (HEAD, 204, no request body, a stream
	 * that sent nothing) match nothing, not even the empty text. */
	{ "~b \"\"",				"1100110", NULL },
	{ "~bq \"\"",				"0100110", NULL },
	{ "~bs \"\"",				"1000110", NULL },
	{ "~bs ^$",				"0000000", NULL },
	{ "~b x*",				"1100110", NULL },
	{ "!~b .",				"0011001", NULL },
	/* 4. No marker or comment is the empty text; comments are matched
	 * line by line (mitmproxy compiles ~comment with re.MULTILINE). */
	{ "~comment ^$",			"1011111", NULL },
	{ "~marker ^$",				"1011111", NULL },
	{ "~marker bug",			"0100000", NULL },
	{ "~comment ^second",			"0100000", NULL },
	{ "~comment line$",			"0100000", NULL },
	/* 5. Every Content-Type field, for ~a too. */
	{ "~t json",				"1000000", NULL },
	{ "~ts json",				"1000000", NULL },
	{ "~tq json",				"0000000", NULL },
	{ "~t ^text/html$",			"1000000", NULL },
	{ "~ts ^application/json$",		"1000000", NULL },
	{ "~ts css",				"0001000", NULL },
	{ "~a",					"0011000", NULL },
	/* 6. Header lines joined by CR LF, each line ending in CR LF. */
	{ "~hq curl/8.0\\r\\nAccept:",		"1000000", NULL },
	{ "~h ^Server:\\s",			"1001000", NULL },
	{ "~hs \\r\\n$",			"1011100", NULL },
	{ "~hq ^Host:\\scdn\\.test\\r\\n",	"0010000", NULL },
	{ "~hs image/png\\r\\nContent-Length:\\s1234", "0010000", NULL },
	{ "~hs ^Content-Type:\\simage/png\\r\\nContent-Length:", "0010000",
	    NULL },
	{ "~hq User-Agent:\\s+curl\\S*\\r\\nAccept:",	"1000000", NULL },
	/* $ before a CR LF: Python's re sees no line end there, and its
	 * . matches the CR, which PCRE2's does not with CR LF newlines. */
	{ "~hs nginx$",				"1000000", "0000000" },
	{ "~hs nginx.$",			"0000000", "1000000" },
	/* 7. Juxtaposition ands whole expressions: it binds loosest. */
	{ "~m POST | ~m GET ~s",		"1001000", NULL },
	{ "~s ~m GET | ~m HEAD",		"1011000", NULL },
	{ "~q | ~e ~m PUT",			"0000100", NULL },
	{ "!~s ~http | ~tcp",			"0100011", NULL },
	{ "~m GET ~d example | ~d cdn",		"1000000", NULL },
	{ "(~m GET | ~m PUT) ~s",		"1001100", NULL },
	{ "~m GET | ~m HEAD ~c 200",		"1010000", NULL },
	{ "~m GET | ~m HEAD & ~c 200",		"1011000", NULL },
	{ "~tcp & ~b hello | ~d cdn & ~bq x",	"0000110", NULL },
	/* mitmproxy reads no juxtaposition inside parentheses. */
	{ "(~m GET ~d example)",		"1000000", "error" },
	/* 8. A bare regex runs to white space, a parenthesis, ~ or a
	 * quote, so &, | and ! inside it are the regex's. */
	{ "~m delete|put",			"0000100", NULL },
	{ "~d api|cdn",				"0011100", NULL },
	{ "~bq user=bob&pass",			"0100000", NULL },
	{ "~u !now",				"0000100", NULL },
	{ "~u a=1&b=2",				"0000100", NULL },
	{ "a=1&b=2",				"0000100", NULL },
	{ "~m GET|",				"1111100", NULL },
	{ "~m get|head ~s",			"1011000", NULL },
	{ "~m ^delete$|^put$",			"0000100", NULL },
	{ "~bq user=bob&pass=",			"0100000", NULL },
	{ "~m GET| ~m POST",			"0100000", NULL },
	{ "~c 200|~c 204",			"1011000", NULL },
	/* An & or | right before ~, ! or ( is the operator; mitmproxy
	 * reads "~m GET|~m POST" as ~m "GET|" & ~m POST. */
	{ "~m GET|~m POST",			"1101000", "0100000" },
	{ "~m GET|!~s",				"1101011", "1001000" },
	{ "~d example&(~s)",			"1000000", "error" },
	{ "~d cdn&!~e",				"0010000", "0000000" },
	/* 9. trawl's own readings where mitmproxy 8 is broken or stricter.
	 * A backslash in quotes reaches PCRE2 (mitmproxy drops it but
	 * before \r, \n, \t and \f, which it turns into those bytes). */
	{ "~u \"upload!now\\?a=\\d\"",		"0000100", "0000000" },
	{ "~h \"curl/8.0\\r\\nAccept\"",	"1000000", NULL },
	/* An operator without an argument before ) or &. */
	{ "(~e)",				"0000100", "error" },
	{ "!(~q | ~s)",				"0000011", "error" },
	{ "~s&~e",				"0000100", "error" },
	/* Comparisons on status codes. */
	{ "~c >=500",				"0000100", "error" },
	/* Regexes ignore case by default (mitmproxy's ~d and ~m only). */
	{ "~d UPLOAD\\.TEST$",			"0100000", NULL },
	{ "~h ^server:\\s",			"1001000", "0000000" },
	{ "~hs ^content-length:",		"0010000", "0000000" },
	/* A lone ! is an error, not the regex "!"; so is a regex alone
	 * that starts with & or |. */
	{ "!",					"error", "0000100" },
	{ "~q | &now",				"error", "0100000" },
};

static void
test_mitmproxy(void **state)
{
	char got[NREF + 1];
	struct filter *f;
	size_t i, j;
	int failed = 0;

	for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++) {
		const struct ref_case *c = &ref_cases[i];

		if ((f = core_filter_compile(c->expr, 0, NULL)) == NULL)
			strcpy(got, "error");
		else {
			for (j = 0; j < NREF; j++)
				got[j] = core_filter_match(f, ref[j]) ?
				    '1' : '0';
			got[NREF] = '\0';
			core_filter_free(f);
		}
		if (strcmp(got, c->want) != 0) {
			print_error("%-40s want %s got %s\n", c->expr,
			    c->want, got);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ~websocket: an upgrade to WebSocket that the server accepted. */
static void
test_websocket(void **state)
{
	struct filter *ws = core_filter_compile("~websocket", 0, NULL);
	struct flow *f = http_flow("GET", "http", "ws.test", 80, "/chat");

	assert_non_null(ws);
	assert_false(core_filter_match(ws, f));		/* no response yet */
	f->response = core_flow_response_new();
	f->response->status = 101;
	header(&f->response->headers, "Upgrade", "WebSocket");
	assert_true(core_filter_match(ws, f));
	f->response->status = 200;
	assert_false(core_filter_match(ws, f));		/* not switched */
	f->response->status = 101;
	core_flow_headers_clear(&f->response->headers);
	header(&f->response->headers, "Upgrade", "h2c");
	assert_false(core_filter_match(ws, f));		/* another protocol */
	core_flow_free(f);
	core_filter_free(ws);
}

/* ~grpc: gRPC calls by Content-Type; ~grpc REGEX: by their path,
 * "/package.Service/Method". */
static void
test_grpc(void **state)
{
	static const struct {
		const char	*expr;
		int		 call, web, other, tcp;
	} rows[] = {
		{ "~grpc",			1, 1, 0, 0 },
		{ "~grpc Echo/Bidi",		1, 0, 0, 0 },
		{ "~grpc ^/trawl\\.test\\.Echo/",	1, 0, 0, 0 },
		{ "~grpc 'Greeter/SayHello$'",	0, 1, 0, 0 },
		{ "~grpc echo/bidi",		1, 0, 0, 0 },	/* caseless */
		{ "~grpc /Unary",		0, 0, 0, 0 },
		{ "~grpc & ~m POST",		1, 1, 0, 0 },
		{ "~grpc ~m POST",		1, 1, 0, 0 },	/* anded */
		{ "~grpc !~d web",		1, 0, 0, 0 },
		{ "!~grpc",			0, 0, 1, 1 },
		{ "(~grpc)|~tcp",		1, 1, 0, 1 },
		{ "~grpc Bidi | ~grpc Hello",	1, 1, 0, 0 },
		{ "~grpc|~u other",		1, 1, 1, 0 },
		{ "~grpc !~grpc Greeter",	1, 0, 0, 0 },
		{ "~grpc '^/helloworld\\.Greeter/'", 0, 1, 0, 0 },
	};
	struct flow *fl[4];
	struct filter *f;
	struct filter_error err;
	size_t i;

	fl[0] = http_flow("POST", "http", "grpc.test", 50051,
	    "/trawl.test.Echo/Bidi");
	header(&fl[0]->request->headers, "content-type", "application/grpc");
	fl[1] = http_flow("POST", "https", "web.test", 443,
	    "/helloworld.Greeter/SayHello");
	fl[1]->response = core_flow_response_new();
	fl[1]->response->status = 200;
	header(&fl[1]->response->headers, "Content-Type",
	    "application/grpc-web+proto");
	/* A type that only starts like gRPC's is not gRPC. */
	fl[2] = http_flow("POST", "http", "other.test", 80,
	    "/trawl.test.Echo/Bidi");
	header(&fl[2]->request->headers, "Content-Type",
	    "application/grpcx");
	fl[3] = core_flow_new(FLOW_TCP);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		f = core_filter_compile(rows[i].expr, 0, NULL);
		if (f == NULL)
			fail_msg("'%s' does not compile", rows[i].expr);
		if (core_filter_match(f, fl[0]) != rows[i].call ||
		    core_filter_match(f, fl[1]) != rows[i].web ||
		    core_filter_match(f, fl[2]) != rows[i].other ||
		    core_filter_match(f, fl[3]) != rows[i].tcp)
			fail_msg("'%s' matches %d%d%d%d", rows[i].expr,
			    core_filter_match(f, fl[0]),
			    core_filter_match(f, fl[1]),
			    core_filter_match(f, fl[2]),
			    core_filter_match(f, fl[3]));
		core_filter_free(f);
	}
	/* A bad regex is reported where it is. */
	assert_null(core_filter_compile_err("~grpc a[", 0, &err));
	assert_int_equal(err.column, 9);
	assert_null(core_filter_compile_err("~grpc (", 0, &err));
	for (i = 0; i < 4; i++)
		core_flow_free(fl[i]);
}

/* ~b, ~bq, ~bs search WebSocket messages by who sent them. */
static void
test_websocket_bodies(void **state)
{
	struct filter *b = core_filter_compile("~b hello", 0, NULL);
	struct filter *bq = core_filter_compile("~bq hello", 0, NULL);
	struct filter *bs = core_filter_compile("~bs hello", 0, NULL);
	struct filter *across = core_filter_compile("~b 'lo.wor'", 0, NULL);
	struct flow *f = http_flow("GET", "http", "ws.test", 80, "/chat");

	(void)state;
	f->response = core_flow_response_new();
	f->response->status = 101;
	assert_false(core_filter_match(b, f));
	core_flow_msg_add(f, 0, 1, "say hello", 9, 9, 0);
	core_flow_msg_add(f, 1, 1, "world", 5, 5, 0);
	assert_true(core_filter_match(b, f));
	assert_false(core_filter_match(bq, f));
	assert_true(core_filter_match(bs, f));
	assert_false(core_filter_match(across, f));	/* one at a time */
	core_flow_msg_add(f, 1, 1, "hello there", 11, 11, 0);
	assert_true(core_filter_match(bq, f));
	assert_int_equal(f->msgs.n, 3);
	core_flow_free(f);
	core_filter_free(b);
	core_filter_free(bq);
	core_filter_free(bs);
	core_filter_free(across);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_websocket),
		cmocka_unit_test(test_websocket_bodies),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_cause),
		cmocka_unit_test(test_case_sensitive),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_request_stable),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_body_fallback),
		cmocka_unit_test(test_large_fields),
		cmocka_unit_test(test_no_allocation),
		cmocka_unit_test(test_operator_table),
		cmocka_unit_test(test_grpc),
	};

	const struct CMUnitTest ref_tests[] = {
		cmocka_unit_test(test_mitmproxy),
	};
	int failed;

	failed = cmocka_run_group_tests(tests, setup, teardown);
	failed += cmocka_run_group_tests(ref_tests, ref_setup, ref_teardown);
	return failed != 0;
}
