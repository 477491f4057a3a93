/*
 * http1-fuzzer.c -- libFuzzer target for core/http/http1.c and core/http/url.c.
 *
 * The input is parsed as a request head and as a response head (with
 * their framings and the target as a URL), and walked as a chunked body
 * whole, one byte at a time and in three pieces. Every piece lives in a
 * malloc of exactly its size, so ASan catches a read past its end. Beyond
 * not crashing, the target checks what the contract promises: pointers
 * stay inside the buffer, a prefix of a complete head is partial, and a
 * chunked walk gives the same answer however the input is split.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/http1.h"
#include "core/http/url.h"
#include "core/loop/limits.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

/* Caller frees. */
static char *
exact(const char *s, size_t n)
{
	char	*p;

	p = malloc(n == 0 ? 1 : n);
	CHECK(p != NULL);
	memcpy(p, s, n);
	return (p);
}

static void
inside(const char *base, size_t len, const char *p, size_t n)
{
	CHECK(p >= base && n <= len && p - base <= (ptrdiff_t)(len - n));
}

struct sum {
	const char	*base;		/* piece being scanned */
	size_t		 base_len;
	uint64_t	 bytes;
	uint64_t	 hash;
};

static void
on_data(void *arg, const char *p, size_t n)
{
	struct sum	*s = arg;
	size_t		 i;

	CHECK(n > 0);
	inside(s->base, s->base_len, p, n);
	for (i = 0; i < n; i++)
		s->hash = (s->hash ^ (unsigned char)p[i]) * 1099511628211ULL;
	s->bytes += n;
}

struct walk {
	ssize_t		taken;		/* body bytes, or -1 */
	int		done;
	struct sum	sum;
};

/*
 * Walks buf in pieces: cuts[] are the offsets where a new piece starts
 * (ascending); each piece is copied into its own exact buffer.
 */
static void
walk(const char *buf, size_t len, const size_t *cuts, size_t ncuts,
    struct walk *w)
{
	struct http1_chunked	 c;
	char			*piece;
	size_t			 off = 0, end, i = 0;
	ssize_t			 rc;

	memset(&c, 0, sizeof c);
	memset(w, 0, sizeof *w);
	w->sum.hash = 14695981039346656037ULL;
	while (off < len) {
		end = i < ncuts ? cuts[i++] : len;
		if (end <= off || end > len)
			continue;
		piece = exact(buf + off, end - off);
		w->sum.base = piece;
		w->sum.base_len = end - off;
		rc = core_http1_chunked_scan(&c, piece, end - off, on_data,
		    &w->sum, &w->done);
		free(piece);
		if (rc < 0) {
			w->taken = -1;
			CHECK(!w->done);
			return;
		}
		CHECK((size_t)rc <= end - off);
		w->taken += rc;
		if (w->done) {
			/* Nothing is taken past the end. */
			CHECK(core_http1_chunked_scan(&c, buf, len, NULL,
			    NULL, &w->done) == 0 && w->done);
			return;
		}
		CHECK((size_t)rc == end - off);
		off = end;
	}
}

static void
fuzz_chunked(const char *buf, size_t len)
{
	struct walk	 whole, bytes, thirds;
	size_t		*cuts, i, three[2];

	walk(buf, len, NULL, 0, &whole);

	cuts = malloc((len == 0 ? 1 : len) * sizeof *cuts);
	CHECK(cuts != NULL);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	walk(buf, len, cuts, len, &bytes);
	free(cuts);

	three[0] = len / 3;
	three[1] = 2 * len / 3;
	walk(buf, len, three, 2, &thirds);

	CHECK(whole.taken == bytes.taken && whole.taken == thirds.taken);
	CHECK(whole.done == bytes.done && whole.done == thirds.done);
	CHECK(whole.sum.bytes == bytes.sum.bytes &&
	    whole.sum.bytes == thirds.sum.bytes);
	CHECK(whole.sum.hash == bytes.sum.hash &&
	    whole.sum.hash == thirds.sum.hash);
	if (whole.taken >= 0 && !whole.done)
		CHECK((size_t)whole.taken == len);
}

static void
check_headers(const char *buf, int rc, const struct http1_header *h,
    size_t n)
{
	size_t	i;

	CHECK(n <= LIMIT_HTTP_HEADERS);
	for (i = 0; i < n; i++) {
		CHECK(h[i].name_len > 0);
		inside(buf, rc, h[i].name, h[i].name_len);
		inside(buf, rc, h[i].value, h[i].value_len);
		CHECK(core_http1_token_eq(h[i].name, h[i].name_len, "") == 0);
		(void)core_http1_list_has(h[i].value, h[i].value_len,
		    "chunked");
	}
}

static void
check_framing(const struct http1_framing *f, int rc, const char *cause)
{
	if (rc != 0) {
		CHECK(rc == -1 && cause != NULL);
		return;
	}
	CHECK(f->kind == HTTP1_BODY_NONE || f->kind == HTTP1_BODY_LENGTH ||
	    f->kind == HTTP1_BODY_CHUNKED || f->kind == HTTP1_BODY_CLOSE);
	CHECK(f->kind != HTTP1_BODY_LENGTH || f->length > 0);
}

/* A complete head's every prefix must be partial; try a few. */
static void
prefixes(const char *buf, int rc,
    int (*parse)(const char *, size_t, void *), void *msg)
{
	size_t	 cut[3], i;
	char	*p;

	cut[0] = rc - 1;
	cut[1] = rc / 2;
	cut[2] = 0;
	for (i = 0; i < 3; i++) {
		p = exact(buf, cut[i]);
		CHECK(parse(p, cut[i], msg) == -2);
		free(p);
	}
	p = exact(buf, rc);
	CHECK(parse(p, rc, msg) == rc);
	free(p);
}

static struct http1_header	hdrs[LIMIT_HTTP_HEADERS];

static int
parse_req(const char *buf, size_t len, void *arg)
{
	struct http1_request	*req = arg;

	req->headers = hdrs;
	req->nheaders = LIMIT_HTTP_HEADERS;
	return (core_http1_parse_request(buf, len, req));
}

static int
parse_resp(const char *buf, size_t len, void *arg)
{
	struct http1_response	*resp = arg;

	resp->headers = hdrs;
	resp->nheaders = LIMIT_HTTP_HEADERS;
	return (core_http1_parse_response(buf, len, resp));
}

static void
fuzz_url(const char *s, size_t n)
{
	struct url	 u;
	char		*b = exact(s, n);

	if (core_url_parse_absolute(b, n, &u) == 0) {
		inside(b, n, u.host, u.host_len);
		CHECK(u.port >= 1 && u.port <= 65535);
		CHECK(u.path_len > 0 && u.path[0] == '/');
	}
	if (core_url_parse_authority(b, n, &u, 443) == 0) {
		inside(b, n, u.host, u.host_len);
		CHECK(u.host_len > 0 && u.port >= 1 && u.port <= 65535);
	}
	if (core_url_parse_host_header(b, n, &u, 80) == 0)
		inside(b, n, u.host, u.host_len);
	free(b);
}

static void
fuzz_request(const char *buf, size_t len)
{
	struct http1_request	 req;
	struct http1_framing	 f;
	const char		*cause = NULL;
	int			 rc;

	memset(&req, 0, sizeof req);
	rc = parse_req(buf, len, &req);
	CHECK(rc >= -2 && rc <= (int)len && rc != 0);
	CHECK(rc <= LIMIT_HTTP_HEAD);
	if (rc < 0)
		return;
	inside(buf, rc, req.method, req.method_len);
	inside(buf, rc, req.target, req.target_len);
	CHECK(req.method_len > 0 && req.target_len > 0);
	CHECK(req.minor == 0 || req.minor == 1);
	check_headers(buf, rc, req.headers, req.nheaders);
	fuzz_url(req.target, req.target_len);

	rc = core_http1_request_framing(&req, &f, &cause);
	check_framing(&f, rc, cause);
	CHECK(rc != 0 || f.kind != HTTP1_BODY_CLOSE);

	/* The head's pointers are used above; re-parse for the prefixes. */
	rc = parse_req(buf, len, &req);
	prefixes(buf, rc, parse_req, &req);
}

static void
fuzz_response(const char *buf, size_t len)
{
	static const char	*methods[] = {
		"GET", "HEAD", "CONNECT", NULL
	};
	struct http1_response	 resp;
	struct http1_framing	 f;
	const char		*cause, *m;
	size_t			 i;
	int			 rc;

	memset(&resp, 0, sizeof resp);
	rc = parse_resp(buf, len, &resp);
	CHECK(rc >= -2 && rc <= (int)len && rc != 0);
	if (rc < 0)
		return;
	CHECK(resp.status >= 100 && resp.status <= 999);
	CHECK(resp.minor >= 0 && resp.minor <= 9);
	CHECK(resp.reason >= buf && resp.reason + resp.reason_len <= buf + rc);
	check_headers(buf, rc, resp.headers, resp.nheaders);
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		m = methods[i];
		cause = NULL;
		rc = core_http1_response_framing(&resp, m,
		    m != NULL ? strlen(m) : 0, &f, &cause);
		check_framing(&f, rc, cause);
	}

	rc = parse_resp(buf, len, &resp);
	prefixes(buf, rc, parse_resp, &resp);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;
	int	 rc;

	buf = exact((const char *)data, size);
	fuzz_request(buf, size);
	fuzz_response(buf, size);
	fuzz_chunked(buf, size);

	/* A chunked body right after a head, as a proxy would see it. */
	{
		struct http1_request	req;

		memset(&req, 0, sizeof req);
		rc = parse_req(buf, size, &req);
		if (rc > 0)
			fuzz_chunked(buf + rc, size - rc);
	}
	{
		struct http1_response	resp;

		memset(&resp, 0, sizeof resp);
		rc = parse_resp(buf, size, &resp);
		if (rc > 0)
			fuzz_chunked(buf + rc, size - rc);
	}
	fuzz_url(buf, size);
	free(buf);
	return (0);
}
