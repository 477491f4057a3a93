/*
 * core_http1.c -- table-driven tests of the HTTP/1.x parser.
 *
 * Every input is copied into a malloc of exactly its size, so ASan stops
 * any read past the end (the guard-page trick of picohttpparser's tests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/http/http1.h"
#include "core/loop/limits.h"

#define NHDR	16

/* Caller frees. */
static char *
exact(const char *s, size_t n)
{
	char	*p;

	p = malloc(n == 0 ? 1 : n);
	assert_non_null(p);
	memcpy(p, s, n);
	return (p);
}

/*
 * Parses a copy of s in a buffer of exactly n bytes. With keep, the copy
 * (which req points into) is handed to the caller, who frees it.
 */
static int
parse_req_keep(const char *s, size_t n, struct http1_request *req,
    struct http1_header *h, size_t nh, char **keep)
{
	char	*b = exact(s, n);
	int	 rc;

	memset(req, 0, sizeof *req);
	req->headers = h;
	req->nheaders = nh;
	rc = core_http1_parse_request(b, n, req);
	if (rc > 0) {
		/* Pointers must be inside the buffer. */
		assert_true(req->method >= b && req->method < b + rc);
		assert_true(req->target >= b && req->target < b + rc);
	}
	if (keep != NULL)
		*keep = b;
	else
		free(b);
	return (rc);
}

static int
parse_req(const char *s, size_t n, struct http1_request *req,
    struct http1_header *h, size_t nh)
{
	return (parse_req_keep(s, n, req, h, nh, NULL));
}

/* As parse_req_keep. */
static int
parse_resp_keep(const char *s, size_t n, struct http1_response *resp,
    struct http1_header *h, size_t nh, char **keep)
{
	char	*b = exact(s, n);
	int	 rc;

	memset(resp, 0, sizeof *resp);
	resp->headers = h;
	resp->nheaders = nh;
	rc = core_http1_parse_response(b, n, resp);
	if (rc > 0)
		assert_true(resp->reason >= b && resp->reason <= b + rc);
	if (keep != NULL)
		*keep = b;
	else
		free(b);
	return (rc);
}

static int
parse_resp(const char *s, size_t n, struct http1_response *resp,
    struct http1_header *h, size_t nh)
{
	return (parse_resp_keep(s, n, resp, h, nh, NULL));
}

static int
eq(const char *p, size_t n, const char *want)
{
	return (p != NULL && strlen(want) == n && memcmp(p, want, n) == 0);
}

/* --- requests --- */

struct req_ok {
	const char	*head;
	const char	*tail;		/* bytes after the head */
	const char	*method;
	const char	*target;
	int		 minor;
	size_t		 nheaders;
	const char	*name0, *value0;	/* first header */
	const char	*name_last, *value_last;
};

static const struct req_ok req_ok[] = {
	{ "GET / HTTP/1.1\r\n\r\n", "", "GET", "/", 1, 0, NULL, NULL,
	  NULL, NULL },
	{ "GET /a?b=c HTTP/1.0\r\nHost: x\r\n\r\n", "", "GET", "/a?b=c", 0,
	  1, "Host", "x", "Host", "x" },
	{ "POST /p HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n",
	  "hello", "POST", "/p", 1, 2, "Host", "example.com",
	  "Content-Length", "5" },
	{ "GET http://example.com:8080/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
	  "GET / HTTP/1.1\r\n\r\n", "GET", "http://example.com:8080/x", 1, 1,
	  "Host", "example.com", "Host", "example.com" },
	{ "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	  "\x16\x03\x01", "CONNECT", "example.com:443", 1, 1, "Host",
	  "example.com:443", "Host", "example.com:443" },
	{ "OPTIONS * HTTP/1.1\r\n\r\n", "", "OPTIONS", "*", 1, 0, NULL, NULL,
	  NULL, NULL },
	/* OWS is trimmed from both ends of a value; inner space stays. */
	{ "GET / HTTP/1.1\r\nA:  \t b  c \t \r\n\r\n", "", "GET", "/", 1, 1,
	  "A", "b  c", "A", "b  c" },
	/* Empty values, with and without OWS. */
	{ "GET / HTTP/1.1\r\nA:\r\nB: \t\r\n\r\n", "", "GET", "/", 1, 2,
	  "A", "", "B", "" },
	/* Bare LF line ends (RFC 9112 2.2), also mixed with CRLF. */
	{ "GET / HTTP/1.1\nHost: a\n\n", "x", "GET", "/", 1, 1, "Host", "a",
	  "Host", "a" },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", "", "GET", "/", 1, 1, "Host",
	  "a", "Host", "a" },
	/* Empty lines before the request line are skipped. */
	{ "\r\n\r\nGET / HTTP/1.1\r\n\r\n", "", "GET", "/", 1, 0, NULL, NULL,
	  NULL, NULL },
	{ "\nGET / HTTP/1.1\r\n\r\n", "", "GET", "/", 1, 0, NULL, NULL,
	  NULL, NULL },
	/* Any token is a method; names keep their case. */
	{ "M-SEARCH * HTTP/1.1\r\nx-Y_z~!#$%&'*+.^`|: 1\r\n\r\n", "",
	  "M-SEARCH", "*", 1, 1, "x-Y_z~!#$%&'*+.^`|", "1",
	  "x-Y_z~!#$%&'*+.^`|", "1" },
	/* obs-text in target and value; ':' inside a value. */
	{ "GET /\xc3\xa9 HTTP/1.1\r\nX: \xff\x80 a:b\r\n\r\n", "", "GET",
	  "/\xc3\xa9", 1, 1, "X", "\xff\x80 a:b", "X", "\xff\x80 a:b" },
	{ "DELETE /r HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", "",
	  "DELETE", "/r", 1, 4, "A", "1", "D", "4" },
};

static void
check_req_ok(const struct req_ok *c)
{
	struct http1_request	 req;
	struct http1_header	 h[NHDR];
	char			*in, *copy;
	size_t			 hl = strlen(c->head);
	size_t			 tl = strlen(c->tail);
	size_t			 n;
	int			 rc;

	in = malloc(hl + tl);
	assert_non_null(in);
	memcpy(in, c->head, hl);
	memcpy(in + hl, c->tail, tl);

	rc = parse_req_keep(in, hl + tl, &req, h, NHDR, &copy);
	if (rc != (int)hl)
		fail_msg("%s: rc %d, want %zu", c->head, rc, hl);
	assert_true(eq(req.method, req.method_len, c->method));
	assert_true(eq(req.target, req.target_len, c->target));
	assert_int_equal(req.minor, c->minor);
	assert_int_equal(req.nheaders, c->nheaders);
	if (c->nheaders > 0) {
		assert_true(eq(h[0].name, h[0].name_len, c->name0));
		assert_true(eq(h[0].value, h[0].value_len, c->value0));
		n = c->nheaders - 1;
		assert_true(eq(h[n].name, h[n].name_len, c->name_last));
		assert_true(eq(h[n].value, h[n].value_len, c->value_last));
	}
	free(copy);

	/* Every prefix of the head is partial, never an error. */
	for (n = 0; n < hl; n++) {
		rc = parse_req(in, n, &req, h, NHDR);
		if (rc != -2)
			fail_msg("%s: prefix %zu gave %d", c->head, n, rc);
		/* On -2 the in/out count is kept for the next call. */
		assert_int_equal(req.nheaders, NHDR);
	}
	/* Exactly the head, no spare byte. */
	assert_int_equal(parse_req(in, hl, &req, h, NHDR), (int)hl);
	free(in);
}

static void
test_request_ok(void **state)
{
	size_t	i;

	for (i = 0; i < sizeof req_ok / sizeof req_ok[0]; i++)
		check_req_ok(&req_ok[i]);
}

/* Heads that must be refused (-1 on the whole input). */
static const char *req_bad[] = {
	/* request line */
	"GET  / HTTP/1.1\r\n\r\n",
	"GET /  HTTP/1.1\r\n\r\n",
	" GET / HTTP/1.1\r\n\r\n",
	"GET\t/ HTTP/1.1\r\n\r\n",
	"GET /\tx HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1 \r\n\r\n",
	"GET / http/1.1\r\n\r\n",
	"GET / HTTP/1.2\r\n\r\n",
	"GET / HTTP/2.0\r\n\r\n",
	"GET / HTTP/1.\r\n\r\n",
	"GET / HTTP/1.10\r\n\r\n",
	"GET /\r\n\r\n",			/* HTTP/0.9 */
	"GET\r\n\r\n",
	" / HTTP/1.1\r\n\r\n",
	"G(T / HTTP/1.1\r\n\r\n",
	"GET /\x01 HTTP/1.1\r\n\r\n",
	"GET /\x7f HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\rX\r\n\r\n",		/* bare CR */
	"GET / HTTP/1.1\r\r\n\r\n",
	"\rGET / HTTP/1.1\r\n\r\n",
	/* header lines */
	"GET / HTTP/1.1\r\nHost : x\r\n\r\n",	/* SP before colon */
	"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
	"GET / HTTP/1.1\r\n Host: x\r\n\r\n",	/* leading SP */
	"GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n",	/* obs-fold */
	"GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",
	"GET / HTTP/1.1\r\n: x\r\n\r\n",	/* empty name */
	"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
	"GET / HTTP/1.1\r\nA(b: x\r\n\r\n",
	"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",	/* bare CR in value */
	"GET / HTTP/1.1\r\nA: b\r\r\n\r\n",
	"GET / HTTP/1.1\r\nA: b\r\n\rx",	/* bare CR at the end */
	"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
	"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
	"GET / HTTP/1.1\r\nA: b\x0b\r\n\r\n",
};

static void
test_request_bad(void **state)
{
	struct http1_request	req;
	struct http1_header	h[NHDR];
	size_t			i, n, len;
	int			rc;

	for (i = 0; i < sizeof req_bad / sizeof req_bad[0]; i++) {
		len = strlen(req_bad[i]);
		rc = parse_req(req_bad[i], len, &req, h, NHDR);
		if (rc != -1)
			fail_msg("case %zu (%s): rc %d", i, req_bad[i], rc);
		/* No prefix is ever taken for a whole head. */
		for (n = 0; n < len; n++)
			assert_true(parse_req(req_bad[i], n, &req, h,
			    NHDR) < 0);
	}
	/* NUL anywhere in a head. */
	assert_int_equal(parse_req("GET /\0 HTTP/1.1\r\n\r\n", 19, &req, h,
	    NHDR), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24,
	    &req, h, NHDR), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nA\0: b\r\n\r\n", 25,
	    &req, h, NHDR), -1);
}

/* Errors are reported before the head is complete. */
static void
test_request_early_error(void **state)
{
	struct http1_request	req;
	struct http1_header	h[NHDR];

	assert_int_equal(parse_req("GET  ", 5, &req, h, NHDR), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nA : ", 20, &req, h,
	    NHDR), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nA: b\r\n ", 23, &req,
	    h, NHDR), -1);
	assert_int_equal(parse_req("\x16\x03\x01\x02", 4, &req, h, NHDR), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\rX", 16, &req, h, NHDR),
	    -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r", 15, &req, h, NHDR),
	    -2);
}

static void
test_request_header_count(void **state)
{
	struct http1_request	 req;
	struct http1_header	*h;
	const char		*three =
	    "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	char			*buf;
	size_t			 len, i;

	/* The caller's array decides. */
	len = strlen(three);
	h = calloc(LIMIT_HTTP_HEADERS + 1, sizeof *h);
	assert_non_null(h);
	assert_int_equal(parse_req(three, len, &req, h, 3), (int)len);
	assert_int_equal(req.nheaders, 3);
	assert_int_equal(parse_req(three, len, &req, h, 2), -1);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\n\r\n", 18, &req, NULL,
	    0), 18);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\nA: 1\r\n\r\n", 24,
	    &req, NULL, 0), -1);

	/* LIMIT_HTTP_HEADERS caps even a larger array. */
	buf = malloc(32 + (LIMIT_HTTP_HEADERS + 1) * 8);
	assert_non_null(buf);
	len = sprintf(buf, "GET / HTTP/1.1\r\n");
	for (i = 0; i < LIMIT_HTTP_HEADERS; i++)
		len += sprintf(buf + len, "A: 1\r\n");
	memcpy(buf + len, "\r\n", 2);
	assert_int_equal(parse_req(buf, len + 2, &req, h,
	    LIMIT_HTTP_HEADERS + 1), (int)len + 2);
	assert_int_equal(req.nheaders, LIMIT_HTTP_HEADERS);
	len += sprintf(buf + len, "A: 1\r\n\r\n");
	assert_int_equal(parse_req(buf, len, &req, h, LIMIT_HTTP_HEADERS + 1),
	    -1);
	free(buf);
	free(h);
}

static void
test_head_limit(void **state)
{
	struct http1_request	 req;
	struct http1_response	 resp;
	struct http1_header	 h[NHDR];
	char			*buf;
	size_t			 len = LIMIT_HTTP_HEAD + 100, vlen;
	int			 rc;

	/* A head of exactly LIMIT_HTTP_HEAD bytes is fine. */
	buf = malloc(len);
	assert_non_null(buf);
	vlen = LIMIT_HTTP_HEAD - strlen("GET / HTTP/1.1\r\nA: \r\n\r\n");
	memcpy(buf, "GET / HTTP/1.1\r\nA: ", 19);
	memset(buf + 19, 'a', vlen);
	memcpy(buf + 19 + vlen, "\r\n\r\n", 4);
	memset(buf + LIMIT_HTTP_HEAD, 'b', len - LIMIT_HTTP_HEAD);
	rc = parse_req(buf, len, &req, h, NHDR);
	assert_int_equal(rc, LIMIT_HTTP_HEAD);
	assert_int_equal(h[0].value_len, vlen);
	rc = parse_req(buf, LIMIT_HTTP_HEAD, &req, h, NHDR);
	assert_int_equal(rc, LIMIT_HTTP_HEAD);
	assert_int_equal(parse_req(buf, LIMIT_HTTP_HEAD - 1, &req, h, NHDR),
	    -2);

	/* One byte more is an error, as soon as the limit is reached. */
	memmove(buf + 20, buf + 19, LIMIT_HTTP_HEAD - 19);
	assert_int_equal(parse_req(buf, LIMIT_HTTP_HEAD + 1, &req, h, NHDR),
	    -1);
	assert_int_equal(parse_req(buf, LIMIT_HTTP_HEAD, &req, h, NHDR), -1);
	assert_int_equal(parse_req(buf, LIMIT_HTTP_HEAD - 1, &req, h, NHDR),
	    -2);

	/* The same for responses. */
	memcpy(buf, "HTTP/1.1 200 OK\r\nA: ", 20);
	memset(buf + 20, 'a', len - 20);
	assert_int_equal(parse_resp(buf, len, &resp, h, NHDR), -1);
	assert_int_equal(parse_resp(buf, LIMIT_HTTP_HEAD - 1, &resp, h,
	    NHDR), -2);
	free(buf);
}

/* --- responses --- */

struct resp_ok {
	const char	*head;
	int		 minor;
	int		 status;
	const char	*reason;
	size_t		 nheaders;
};

static const struct resp_ok resp_ok[] = {
	{ "HTTP/1.1 200 OK\r\n\r\n", 1, 200, "OK", 0 },
	{ "HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n", 0, 404, "Not Found",
	  1 },
	{ "HTTP/1.1 204 \r\n\r\n", 1, 204, "", 0 },
	{ "HTTP/1.1 204\r\n\r\n", 1, 204, "", 0 },
	{ "HTTP/1.1 304\nETag: \"x\"\n\n", 1, 304, "", 1 },
	{ "HTTP/1.1 100 Continue\r\n\r\n", 1, 100, "Continue", 0 },
	{ "HTTP/1.1 999 Odd\r\n\r\n", 1, 999, "Odd", 0 },
	{ "HTTP/1.9 200 OK\r\n\r\n", 9, 200, "OK", 0 },
	{ "HTTP/1.1 200  two\tspaces \r\n\r\n", 1, 200, " two\tspaces ", 0 },
	{ "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nA: 1\r\nB: 2\r\n\r\n", 1, 200,
	  "\xc3\xa9t\xc3\xa9", 2 },
};

static void
test_response_ok(void **state)
{
	struct http1_response	resp;
	struct http1_header	h[NHDR];
	const struct resp_ok	*c;
	char			*copy;
	size_t			i, n, len;
	int			rc;

	for (i = 0; i < sizeof resp_ok / sizeof resp_ok[0]; i++) {
		c = &resp_ok[i];
		len = strlen(c->head);
		rc = parse_resp_keep(c->head, len, &resp, h, NHDR, &copy);
		if (rc != (int)len)
			fail_msg("%s: rc %d", c->head, rc);
		assert_int_equal(resp.minor, c->minor);
		assert_int_equal(resp.status, c->status);
		assert_true(eq(resp.reason, resp.reason_len, c->reason));
		assert_int_equal(resp.nheaders, c->nheaders);
		free(copy);
		for (n = 0; n < len; n++) {
			rc = parse_resp(c->head, n, &resp, h, NHDR);
			if (rc != -2)
				fail_msg("%s: prefix %zu gave %d", c->head, n,
				    rc);
		}
	}
}

static const char *resp_bad[] = {
	"HTTP/1.1 20 OK\r\n\r\n",
	"HTTP/1.1 2000 OK\r\n\r\n",
	"HTTP/1.1 099 OK\r\n\r\n",
	"HTTP/1.1 2x0 OK\r\n\r\n",
	"HTTP/1.1  200 OK\r\n\r\n",
	"HTTP/1.1 200\tOK\r\n\r\n",
	"HTTP/1.1\r\n\r\n",
	"HTTP/2 200 OK\r\n\r\n",
	"HTTP/1.x 200 OK\r\n\r\n",
	"http/1.1 200 OK\r\n\r\n",
	"\r\nHTTP/1.1 200 OK\r\n\r\n",
	"ICY 200 OK\r\n\r\n",
	"HTTP/1.1 200 O\x01K\r\n\r\n",
	"HTTP/1.1 200 OK\rX\r\n\r\n",
	"HTTP/1.1 200 OK\r\nA : b\r\n\r\n",
	"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
	"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
};

static void
test_response_bad(void **state)
{
	struct http1_response	resp;
	struct http1_header	h[NHDR];
	size_t			i, n, len;
	int			rc;

	for (i = 0; i < sizeof resp_bad / sizeof resp_bad[0]; i++) {
		len = strlen(resp_bad[i]);
		rc = parse_resp(resp_bad[i], len, &resp, h, NHDR);
		if (rc != -1)
			fail_msg("case %zu (%s): rc %d", i, resp_bad[i], rc);
		for (n = 0; n < len; n++)
			assert_true(parse_resp(resp_bad[i], n, &resp, h,
			    NHDR) < 0);
	}
	assert_int_equal(parse_resp("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", 25,
	    &resp, h, 0), -1);
}

/* --- framing --- */

#define ERR	(-1)

struct req_framing {
	const char	*head;
	int		 kind;		/* enum http1_body, or ERR */
	uint64_t	 length;
};

static const struct req_framing req_framing[] = {
	{ "GET / HTTP/1.1\r\n\r\n", HTTP1_BODY_NONE, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP1_BODY_NONE, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n", HTTP1_BODY_LENGTH,
	  42 },
	{ "POST / HTTP/1.1\r\ncontent-LENGTH: 007\r\n\r\n", HTTP1_BODY_LENGTH,
	  7 },
	{ "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
	  HTTP1_BODY_LENGTH, UINT64_MAX },
	/* identical duplicates, as two lines or as a list */
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	  HTTP1_BODY_LENGTH, 5 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5, 5 ,5\r\n\r\n",
	  HTTP1_BODY_LENGTH, 5 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5,5\r\nContent-Length: 5\r\n\r\n",
	  HTTP1_BODY_LENGTH, 5 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	  HTTP1_BODY_CHUNKED, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
	  HTTP1_BODY_CHUNKED, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	  HTTP1_BODY_CHUNKED, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", HTTP1_BODY_CHUNKED, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: deflate,chunked\r\n\r\n",
	  HTTP1_BODY_CHUNKED, 0 },
	/* smuggling shapes */
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 5\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	  ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: ,5\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5,,5\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 1.0\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
	  ERR, 0 },
	{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	  ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ERR,
	  0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: gzip\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	  ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n", ERR,
	  0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: , chunked\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", ERR,
	  0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", ERR,
	  0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked x\r\n\r\n", ERR, 0 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", ERR, 0 },
};

static int
head_request(const char *head, struct http1_request *req,
    struct http1_header *h)
{
	memset(req, 0, sizeof *req);
	req->headers = h;
	req->nheaders = NHDR;
	return (core_http1_parse_request(head, strlen(head), req));
}

static void
test_request_framing(void **state)
{
	struct http1_request	 req;
	struct http1_header	 h[NHDR];
	struct http1_framing	 f;
	const char		*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof req_framing / sizeof req_framing[0]; i++) {
		const struct req_framing *c = &req_framing[i];

		assert_int_equal(head_request(c->head, &req, h),
		    (int)strlen(c->head));
		memset(&f, 0xa5, sizeof f);
		cause = NULL;
		rc = core_http1_request_framing(&req, &f, &cause);
		if (c->kind == ERR) {
			if (rc != -1)
				fail_msg("%s: accepted", c->head);
			assert_non_null(cause);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", c->head, cause);
		assert_int_equal(f.kind, c->kind);
		assert_true(f.length == c->length);
	}
}

struct resp_framing {
	const char	*head;
	const char	*method;
	int		 kind;
	uint64_t	 length;
};

static const struct resp_framing resp_framing[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "GET",
	  HTTP1_BODY_LENGTH, 10 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "head",
	  HTTP1_BODY_LENGTH, 10 },
	{ "HTTP/1.1 100 Continue\r\n\r\n", "POST", HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 101 Switching Protocols\r\n\r\n", "GET",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", "GET",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", "GET",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 299 OK\r\nContent-Length: 4\r\n\r\n", "CONNECT",
	  HTTP1_BODY_NONE, 0 },
	{ "HTTP/1.1 407 Auth\r\nContent-Length: 4\r\n\r\n", "CONNECT",
	  HTTP1_BODY_LENGTH, 4 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET",
	  HTTP1_BODY_CHUNKED, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	  "GET", HTTP1_BODY_CHUNKED, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET",
	  HTTP1_BODY_CLOSE, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	  "GET", HTTP1_BODY_CLOSE, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n", "GET",
	  HTTP1_BODY_CLOSE, 0 },
	{ "HTTP/1.1 200 OK\r\n\r\n", "GET", HTTP1_BODY_CLOSE, 0 },
	{ "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", NULL, HTTP1_BODY_CLOSE, 0 },
	{ "HTTP/1.1 500 Oops\r\nContent-Length: 3, 3\r\n\r\n", "POST",
	  HTTP1_BODY_LENGTH, 3 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", "GET", ERR, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	  "GET", ERR, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 3,4\r\n\r\n", "GET", ERR, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "GET", ERR, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	  "GET", ERR, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n", "GET",
	  ERR, 0 },
};

static void
test_response_framing(void **state)
{
	struct http1_response	 resp;
	struct http1_header	 h[NHDR];
	struct http1_framing	 f;
	const char		*cause, *m;
	size_t			 i, len;
	int			 rc;

	for (i = 0; i < sizeof resp_framing / sizeof resp_framing[0]; i++) {
		const struct resp_framing *c = &resp_framing[i];

		len = strlen(c->head);
		memset(&resp, 0, sizeof resp);
		resp.headers = h;
		resp.nheaders = NHDR;
		assert_int_equal(core_http1_parse_response(c->head, len,
		    &resp), (int)len);
		m = c->method;
		cause = NULL;
		rc = core_http1_response_framing(&resp, m,
		    m != NULL ? strlen(m) : 0, &f, &cause);
		if (c->kind == ERR) {
			if (rc != -1)
				fail_msg("%s: accepted", c->head);
			assert_non_null(cause);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", c->head, cause);
		if ((int)f.kind != c->kind)
			fail_msg("%s (%s): kind %d, want %d", c->head, m,
			    f.kind, c->kind);
		assert_true(f.length == c->length);
	}
}

/* --- chunked --- */

struct sink {
	char	buf[4096];
	size_t	len;
};

static void
collect(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;

	assert_true(n > 0);
	assert_true(s->len + n <= sizeof s->buf);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

struct chunked_case {
	const char	*in;
	size_t		 in_len;	/* 0: strlen */
	int		 ok;		/* 1 ends, 0 not yet, -1 error */
	size_t		 body;		/* of in, the body */
	const char	*data;		/* decoded */
	size_t		 data_len;	/* 0: strlen */
};

static const struct chunked_case chunked[] = {
	{ "0\r\n\r\n", 0, 1, 5, "", 0 },
	{ "5\r\nhello\r\n0\r\n\r\n", 0, 1, 15, "hello", 0 },
	{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1", 0, 1, 26,
	  "hello world", 0 },
	{ "A\r\n0123456789\r\n0\r\n\r\n", 0, 1, 20, "0123456789", 0 },
	{ "a\r\n0123456789\r\n00\r\n\r\n", 0, 1, 21, "0123456789", 0 },
	{ "0003\r\nabc\r\n0\r\n\r\n", 0, 1, 16, "abc", 0 },
	{ "00000000000000000000003\r\nabc\r\n0\r\n\r\n", 0, 1, 35, "abc", 0 },
	/* extensions */
	{ "3;name=value\r\nabc\r\n0\r\n\r\n", 0, 1, 24, "abc", 0 },
	{ "3 ; a=\"b;c\" ;d\r\nabc\r\n0;last\r\n\r\n", 0, 1, 31, "abc", 0 },
	{ "3\t;x\r\nabc\r\n0\r\n\r\n", 0, 1, 16, "abc", 0 },
	/* trailers */
	{ "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  1 \r\n\r\nrest", 0, 1,
	  41, "abc", 0 },
	{ "0\r\nA:\r\n\r\n", 0, 1, 9, "", 0 },
	/* data may hold anything, including CRLF and NUL */
	{ "4\r\n\r\n0\r\r\n0\r\n\r\n", 0, 1, 14, "\r\n0\r", 0 },
	{ "2\r\n\0\xff\r\n0\r\n\r\n", 12, 1, 12, "\0\xff", 2 },
	/* unfinished bodies */
	{ "", 0, 0, 0, "", 0 },
	{ "5\r\nhel", 0, 0, 6, "hel", 0 },
	{ "5\r\nhello\r\n0\r\n", 0, 0, 13, "hello", 0 },
	{ "0\r\nA: b\r\n", 0, 0, 9, "", 0 },
	{ "FFFFFFFFFFFFFFFF\r\nab", 0, 0, 20, "ab", 0 },
	/* malformed */
	{ "\r\n", 0, -1, 0, NULL, 0 },
	{ "x\r\n", 0, -1, 0, NULL, 0 },
	{ "-1\r\n", 0, -1, 0, NULL, 0 },
	{ "+1\r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0x1\r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ " 1\r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	/* BWS without an extension */
	{ "1 \r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ ";a\r\n", 0, -1, 0, NULL, 0 },
	{ "1\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },		/* bare LF */
	{ "1\ra\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },		/* bare CR */
	/* LF in an extension */
	{ "1;a\nb\r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "1;a\x01\r\na\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	/* data longer than the size */
	{ "1\r\nab\r\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "1\r\na\n0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "1\r\na\r0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "1\r\naXY0\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\n\n", 0, -1, 0, NULL, 0 },
	{ "0\r\n\rx", 0, -1, 0, NULL, 0 },
	{ "0\r\nA: b\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\n A: b\r\n\r\n", 0, -1, 0, NULL, 0 },	/* obs-fold */
	{ "0\r\nA : b\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\n: b\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\nA\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\nA: b\x7f\r\n\r\n", 0, -1, 0, NULL, 0 },
	{ "0\r\nA: b\rc\r\n\r\n", 0, -1, 0, NULL, 0 },
	/* 2^64 and more */
	{ "10000000000000000\r\n", 0, -1, 0, NULL, 0 },
	{ "FFFFFFFFFFFFFFFF0\r\n", 0, -1, 0, NULL, 0 },
};

/*
 * Feeds in as pieces of the given sizes (cycled); returns the body bytes
 * taken in all, or -1. *done as at the end.
 */
static ssize_t
feed(const char *in, size_t len, size_t first, size_t step,
    struct sink *sink, int *done)
{
	struct http1_chunked	 c;
	char			*piece;
	size_t			 off = 0, n;
	ssize_t			 rc, total = 0;

	memset(&c, 0, sizeof c);
	sink->len = 0;
	*done = 0;
	while (off < len) {
		n = off == 0 ? first : step;
		if (n > len - off)
			n = len - off;
		piece = exact(in + off, n);
		rc = core_http1_chunked_scan(&c, piece, n, collect, sink, done);
		free(piece);
		if (rc < 0) {
			/* and it stays an error */
			assert_int_equal(core_http1_chunked_scan(&c, "0", 1,
			    NULL, NULL, done), -1);
			return (-1);
		}
		assert_true((size_t)rc <= n);
		total += rc;
		if (*done) {
			/* Past the end nothing more is taken. */
			assert_int_equal(core_http1_chunked_scan(&c, "x", 1,
			    collect, sink, done), 0);
			assert_int_equal(*done, 1);
			return (total);
		}
		assert_true((size_t)rc == n);
		off += n;
	}
	return (total);
}

static void
check_chunked(const struct chunked_case *c, size_t first, size_t step)
{
	struct sink	*sink;
	size_t		 len = c->in_len ? c->in_len : strlen(c->in);
	ssize_t		 rc;
	int		 done;

	sink = calloc(1, sizeof *sink);
	assert_non_null(sink);
	rc = feed(c->in, len, first, step, sink, &done);
	if (c->ok < 0) {
		if (rc != -1)
			fail_msg("%s (%zu/%zu): rc %zd", c->in, first, step,
			    rc);
		free(sink);
		return;
	}
	if (rc != (ssize_t)c->body || done != c->ok)
		fail_msg("%s (%zu/%zu): rc %zd done %d", c->in, first, step, rc,
		    done);
	assert_int_equal(sink->len, c->data_len != 0 ? c->data_len :
	    strlen(c->data));
	assert_memory_equal(sink->buf, c->data, sink->len);
	free(sink);
}

static void
test_chunked(void **state)
{
	const struct chunked_case	*c;
	size_t				 i, len, split;

	for (i = 0; i < sizeof chunked / sizeof chunked[0]; i++) {
		c = &chunked[i];
		len = c->in_len ? c->in_len : strlen(c->in);
		/* whole, one byte at a time, two and three at a time */
		check_chunked(c, len, len);
		check_chunked(c, 1, 1);
		check_chunked(c, 2, 2);
		check_chunked(c, 3, 3);
		/* every split into two pieces */
		for (split = 1; split < len; split++)
			check_chunked(c, split, len);
	}
}

static void
test_chunked_limits(void **state)
{
	struct sink	*sink;
	char		*buf;
	size_t		 len, n;
	int		 done;

	sink = calloc(1, sizeof *sink);
	buf = malloc(LIMIT_HTTP_TRAILERS + 64);
	assert_non_null(sink);
	assert_non_null(buf);

	/* A size line of exactly LIMIT_HTTP_CHUNK_LINE bytes, then one more. */
	len = LIMIT_HTTP_CHUNK_LINE;
	memset(buf, '0', len - 1);
	buf[len - 1] = '1';
	memcpy(buf + len, "\r\nz\r\n0\r\n\r\n", 10);
	assert_int_equal(feed(buf, len + 10, len + 10, 1, sink, &done),
	    (ssize_t)len + 10);
	assert_int_equal(done, 1);
	assert_int_equal(feed(buf, len + 10, 1, 1, sink, &done),
	    (ssize_t)len + 10);
	memmove(buf + 1, buf, len + 10);
	assert_int_equal(feed(buf, len + 11, len + 11, 1, sink, &done), -1);
	assert_int_equal(feed(buf, len + 11, 1, 1, sink, &done), -1);

	/* The same with extensions making up the length. */
	memcpy(buf, "1;", 2);
	memset(buf + 2, 'e', LIMIT_HTTP_CHUNK_LINE - 2);
	len = LIMIT_HTTP_CHUNK_LINE;
	memcpy(buf + len, "\r\nz\r\n0\r\n\r\n", 10);
	assert_int_equal(feed(buf, len + 10, 7, 7, sink, &done),
	    (ssize_t)len + 10);
	buf[len] = 'e';
	memcpy(buf + len + 1, "\r\nz\r\n0\r\n\r\n", 10);
	assert_int_equal(feed(buf, len + 11, 7, 7, sink, &done), -1);

	/* Trailer lines of exactly LIMIT_HTTP_TRAILERS bytes, then one more. */
	memcpy(buf, "0\r\nA:", 5);
	n = LIMIT_HTTP_TRAILERS - 4;	/* "A:" + value + CRLF */
	memset(buf + 5, 'v', n);
	memcpy(buf + 5 + n, "\r\n\r\n", 4);
	len = 5 + n + 4;
	assert_int_equal(feed(buf, len, len, 1, sink, &done), (ssize_t)len);
	assert_int_equal(done, 1);
	assert_int_equal(feed(buf, len, 1, 1, sink, &done), (ssize_t)len);
	buf[5 + n] = 'v';
	memcpy(buf + 5 + n + 1, "\r\n\r\n", 4);
	assert_int_equal(feed(buf, len + 1, len + 1, 1, sink, &done), -1);
	assert_int_equal(feed(buf, len + 1, 1, 1, sink, &done), -1);

	free(buf);
	free(sink);
}

/* A huge chunk is walked without holding it. */
static void
test_chunked_large(void **state)
{
	struct http1_chunked	 c;
	struct sink		*sink;
	char			*block;
	size_t			 i;
	int			 done;

	sink = calloc(1, sizeof *sink);
	block = malloc(4096);
	assert_non_null(sink);
	assert_non_null(block);
	memset(block, 'x', 4096);
	memset(&c, 0, sizeof c);
	assert_int_equal(core_http1_chunked_scan(&c, "100000\r\n", 8, NULL,
	    NULL, &done), 8);
	for (i = 0; i < 0x100000 / 4096; i++) {
		assert_int_equal(core_http1_chunked_scan(&c, block, 4096, NULL,
		    NULL, &done), 4096);
		assert_int_equal(done, 0);
	}
	assert_int_equal(core_http1_chunked_scan(&c, "\r\n0\r\n\r\nX", 8,
	    collect, sink, &done), 7);
	assert_int_equal(done, 1);
	assert_int_equal(sink->len, 0);
	free(block);
	free(sink);
}

/* --- helpers --- */

static void
test_token(void **state)
{
	assert_true(core_http1_token_eq("Chunked", 7, "chunked"));
	assert_true(core_http1_token_eq("CONTENT-LENGTH", 14,
	    "content-length"));
	assert_true(core_http1_token_eq("", 0, ""));
	assert_false(core_http1_token_eq("chunke", 6, "chunked"));
	assert_false(core_http1_token_eq("chunkedx", 8, "chunked"));
	assert_false(core_http1_token_eq("chunked", 6, "chunked"));
	assert_false(core_http1_token_eq("\xc3hunked", 7, "chunked"));

	assert_true(core_http1_list_has("close", 5, "close"));
	assert_true(core_http1_list_has("keep-alive, Upgrade", 19, "upgrade"));
	assert_true(core_http1_list_has(" a ,\tb\t, c ", 11, "b"));
	assert_true(core_http1_list_has("a,,c", 4, "c"));
	assert_true(core_http1_list_has("gzip, chunked;x=1", 17, "chunked"));
	assert_false(core_http1_list_has("closed", 6, "close"));
	assert_false(core_http1_list_has("a b", 3, "a"));
	assert_false(core_http1_list_has("", 0, "close"));
	assert_false(core_http1_list_has("x-close", 7, "close"));
	/* Only the counted bytes are read. */
	assert_false(core_http1_list_has("clos", 4, "close"));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_request_ok),
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_request_early_error),
		cmocka_unit_test(test_request_header_count),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_response_ok),
		cmocka_unit_test(test_response_bad),
		cmocka_unit_test(test_request_framing),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_limits),
		cmocka_unit_test(test_chunked_large),
		cmocka_unit_test(test_token),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
