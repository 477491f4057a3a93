/*
 * h1up.c -- HTTP/1.1 toward a server, one exchange at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/http/http1.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/stream.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h1up.h"
#include "core/proxy/h1write.h"
#include "core/proxy/mode.h"
#include "core/proxy/upstream.h"
#include "core/proxy/pool.h"
#include "core/tls/tls.h"

struct h1up {
	struct conn		*c;
	struct upstream		*u;
	struct exchange		*x;		/* NULL once released */
	char			*method;
	int			 chunked_out;	/* the request goes chunked */
	struct buf		 rin;		/* response bytes not parsed yet */
	int			 head_done;
	struct http1_framing	 fr;
	uint64_t		 left;
	struct http1_chunked	 ch;
	int			 resp_done;
	int			 up_close;	/* not reusable after this */
	int			 busy;		/* inside our own callback */
	int			 released;	/* release came while busy */
	int			 reusable;
};

static void	process(struct h1up *);

/* The connection goes back to the conn's pool or is closed, at once
 * (the conn may be gone by the time a busy h is freed). */
static void
let_go(struct h1up *h)
{
	struct upstream *u = h->u;

	h->u = NULL;
	if (u == NULL)
		return;
	u->owner = NULL;
	if (h->reusable && !h->up_close && h->resp_done)
		core_pool_put(&h->c->pool, u);
	else
		core_pool_release(u, !h->resp_done);
}

static void
h_free(struct h1up *h)
{
	let_go(h);
	core_http1_chunked_free(&h->ch);
	core_buf_free(&h->rin);
	free(h->method);
	free(h);
}

/* --- the request ------------------------------------------------------------ */

static void
op_head(void *side, const struct flow_request *r, const struct xtarget *t,
    enum xbody body, uint64_t len)
{
	struct h1up *h = side;
	const char *hosthdr = core_flow_header_get(&r->headers, "host");
	const char *host = r->host != NULL ? r->host : t->host;
	int port = r->port != 0 ? r->port : t->port;
	int via = core_upstream_via(h->c, t);
	struct buf out = { 0 }, hv = { 0 };

	free(h->method);
	h->method = strdup(r->method);
	if (body == XBODY_CLOSE)
		body = XBODY_CHUNKED;	/* a request cannot end by closing */
	h->chunked_out = body == XBODY_CHUNKED;
	/* An absolute-form target wins over Host (RFC 9112 3.2.2); else
	 * Host goes as the client sent it, where it sent it; a client
	 * without one (HTTP/2's :authority) gets the URL's authority. */
	core_buf_printf(&hv, strchr(host, ':') ? "[%s]" : "%s", host);
	if (port != (strcmp(t->scheme, "https") ? 80 : 443))
		core_buf_printf(&hv, ":%d", port);
	core_buf_append(&hv, "", 1);
	/* To an upstream proxy (upstream mode): absolute form. */
	core_buf_printf(&out, "%s %s%s%s HTTP/1.%d\r\n", r->method,
	    via ? "http://" : "", via ? core_buf_head(&hv) : "",
	    r->path != NULL && r->path[0] != '\0' ? r->path : "/",
	    t->minor == 0 ? 0 : 1);
	if (via && core_mode_upstream_auth() != NULL)
		core_buf_printf(&out, "Proxy-Authorization: %s\r\n",
		    core_mode_upstream_auth());
	if (hosthdr == NULL)
		core_buf_printf(&out, "Host: %s\r\n", core_buf_head(&hv));
	core_h1write_request_fields(&out, &r->headers, t->absolute ?
	    core_buf_head(&hv) : NULL, body, len, t->upgrade ?
	    H1W_KEEP_UPGRADE : 0);
	core_buf_free(&hv);
	if (t->upgrade)
		core_buf_printf(&out, "Connection: Upgrade\r\n");
	core_buf_printf(&out, "\r\n");
	core_stream_write(h->u->s, core_buf_head(&out), out.len);
	core_buf_free(&out);
}

static void
op_data(void *side, const char *p, size_t n)
{
	struct h1up *h = side;
	char line[24];

	if (n == 0)
		return;
	if (h->chunked_out) {
		snprintf(line, sizeof line, "%zx\r\n", n);
		core_stream_write(h->u->s, line, strlen(line));
	}
	core_stream_write(h->u->s, p, n);
	if (h->chunked_out)
		core_stream_write(h->u->s, "\r\n", 2);
}

static void
op_end(void *side, const struct flow_headers *tr)
{
	struct h1up *h = side;
	struct buf out = { 0 };
	size_t i;

	if (!h->chunked_out)
		return;
	core_buf_printf(&out, "0\r\n");
	for (i = 0; tr != NULL && i < tr->n; i++)
		core_buf_field(&out, tr->v[i].name, tr->v[i].value);
	core_buf_printf(&out, "\r\n");
	core_stream_write(h->u->s, core_buf_head(&out), out.len);
	core_buf_free(&out);
}

static size_t
op_pending(void *side)
{
	struct h1up *h = side;

	return core_stream_pending(h->u->s);
}

static void
op_pause(void *side, int paused)
{
	struct h1up *h = side;

	core_stream_pause(h->u->s, paused);
}

static void
op_release(void *side, int reusable)
{
	struct h1up *h = side;

	h->x = NULL;
	h->reusable = reusable;
	let_go(h);
	if (h->busy) {
		h->released = 1;
		return;
	}
	h_free(h);
}

static struct stream *
op_detach(void *side, const char **pre, size_t *prelen)
{
	struct h1up *h = side;
	struct stream *s = h->u->s;
	static struct buf rest;

	/* What came after the 101 head belongs to the new protocol; it
	 * stays valid until the next detach (the caller copies it). */
	core_buf_free(&rest);
	rest = h->rin;
	memset(&h->rin, 0, sizeof h->rin);
	*pre = core_buf_head(&rest);
	*prelen = rest.len;
	h->u->s = NULL;
	h->resp_done = 1;
	h->x = NULL;
	if (h->busy)
		h->released = 1;
	else
		h_free(h);
	return s;
}

static const struct up_ops h1up_ops = {
	op_head, op_data, op_end, op_pending, op_pause, op_release, op_detach
};

/* --- the response ----------------------------------------------------------- */

static void
resp_body_data(void *arg, const char *p, size_t n)
{
	struct h1up *h = arg;

	if (h->x != NULL && n > 0)
		core_exchange_response_data(h->x, p, n);
}

static void
ended(struct h1up *h)
{
	struct flow_headers tr = { 0 };
	struct http1_header th[LIMIT_HTTP_HEADERS];
	size_t n = LIMIT_HTTP_HEADERS, i;

	h->resp_done = 1;
	if (h->fr.kind == HTTP1_BODY_CHUNKED) {
		core_http1_chunked_trailers(&h->ch, th, &n);
		for (i = 0; i < n; i++)
			core_flow_header_add(&tr, th[i].name, th[i].name_len,
			    th[i].value, th[i].value_len);
	}
	core_exchange_response_end(h->x, tr.n > 0 ? &tr : NULL);
	core_flow_headers_clear(&tr);
}

/* Parses the response head; returns 0 when parsed, 1 to wait, -1 when
 * the exchange is over. */
static int
response_head(struct h1up *h)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_response r;
	struct flow_response *fr;
	const char *cause, *conn;
	enum xbody kind;
	size_t i;
	int n;

	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_response(core_buf_head(&h->rin), h->rin.len, &r);
	if (n == -2 && h->rin.len < LIMIT_HTTP_HEAD)
		return 1;
	if (n < 0) {
		h->up_close = 1;
		core_exchange_server_gone(h->x, "server sent a malformed "
		    "response head", 0);
		return -1;
	}
	fr = core_flow_response_new();
	fr->status = r.status;
	fr->reason = core_flow_strndup(r.reason, r.reason_len);
	fr->version = strdup(r.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&fr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	if (r.status >= 100 && r.status < 200 && r.status != 101) {
		core_buf_consume(&h->rin, (size_t)n);
		core_exchange_response_head(h->x, fr, XBODY_NONE, 0);
		return 0;
	}
	if (core_http1_response_framing(&r, h->method, strlen(h->method),
	    &h->fr, &cause) == -1) {
		char m[200];

		core_flow_response_free(fr);
		h->up_close = 1;
		snprintf(m, sizeof m, "bad response: %s", cause);
		core_exchange_server_gone(h->x, m, 0);
		return -1;
	}
	conn = core_flow_header_get(&fr->headers, "connection");
	if (r.minor == 0 ? !(conn != NULL &&
	    core_http1_list_has(conn, strlen(conn), "keep-alive")) :
	    (conn != NULL && core_http1_list_has(conn, strlen(conn), "close")))
		h->up_close = 1;
	h->head_done = 1;
	h->left = h->fr.length;
	h->ch.keep_trailers = 1;
	core_buf_consume(&h->rin, (size_t)n);
	switch (h->fr.kind) {
	case HTTP1_BODY_LENGTH:
		kind = XBODY_LENGTH;
		break;
	case HTTP1_BODY_CHUNKED:
		kind = XBODY_CHUNKED;
		break;
	case HTTP1_BODY_CLOSE:
		kind = XBODY_CLOSE;
		h->up_close = 1;
		break;
	default:
		kind = XBODY_NONE;
		break;
	}
	core_exchange_response_head(h->x, fr, kind, h->fr.length);
	if (h->x == NULL)
		return -1;	/* switched protocols, or failed */
	if (kind == XBODY_NONE) {
		if (h->rin.len > 0)
			h->up_close = 1;	/* bytes past the end */
		ended(h);
		return -1;
	}
	return 0;
}

/* Body bytes p[0..n) to the exchange up to the body's end. Returns the
 * bytes that belonged to the body (the exchange may be over after), or
 * -1 on malformed framing (the exchange is over). */
static ssize_t
response_body(struct h1up *h, const char *p, size_t n)
{
	size_t take;
	ssize_t k;
	int done = 0;

	switch (h->fr.kind) {
	case HTTP1_BODY_LENGTH:
		take = n < h->left ? n : (size_t)h->left;
		h->left -= take;
		if (take > 0)
			core_exchange_response_data(h->x, p, take);
		if (h->x != NULL && h->left == 0) {
			if (take < n)
				h->up_close = 1;	/* bytes past the end */
			ended(h);
		}
		return (ssize_t)take;
	case HTTP1_BODY_CHUNKED:
		k = core_http1_chunked_scan(&h->ch, p, n, resp_body_data, h,
		    &done);
		if (k < 0) {
			h->up_close = 1;
			if (h->x != NULL)
				core_exchange_server_gone(h->x, "server sent "
				    "malformed chunked framing", 0);
			return -1;
		}
		if (h->x != NULL && done) {
			if ((size_t)k < n)
				h->up_close = 1;	/* bytes past the end */
			ended(h);
		}
		return k;
	default:
		core_exchange_response_data(h->x, p, n);
		return (ssize_t)n;
	}
}

static void
process(struct h1up *h)
{
	ssize_t used;

	while (h->x != NULL && !h->resp_done) {
		if (!h->head_done) {
			if (h->rin.len == 0 || response_head(h) != 0)
				return;
			continue;
		}
		if (h->rin.len == 0)
			return;
		if ((used = response_body(h, core_buf_head(&h->rin),
		    h->rin.len)) < 0)
			return;
		core_buf_consume(&h->rin, (size_t)used);
		if (used == 0)
			return;
	}
	if (h->resp_done && h->rin.len > 0)
		h->up_close = 1;	/* bytes past the end: not reusable */
}

/* Runs fn inside the busy guard: a release during it frees h after. */
static void
settle(struct h1up *h)
{
	if (--h->busy == 0 && h->released)
		h_free(h);
}

static void
up_data(void *arg, const char *p, size_t n)
{
	struct h1up *h = arg;
	ssize_t used;

	if (h->x == NULL || h->resp_done) {
		h->up_close = 1;	/* bytes past the end: not reusable */
		return;
	}
	h->busy++;
	/* The bulk of a body: on without a copy into rin. */
	if (h->head_done && h->rin.len == 0) {
		if ((used = response_body(h, p, n)) < 0) {
			settle(h);
			return;
		}
		p += used;
		n -= (size_t)used;
	}
	if (n > 0 && h->x != NULL && !h->resp_done) {
		core_buf_append(&h->rin, p, n);
		process(h);
	} else if (n > 0)
		h->up_close = 1;	/* bytes past the end: not reusable */
	settle(h);
}

static void
up_drain(void *arg)
{
	struct h1up *h = arg;

	if (h->x != NULL) {
		h->busy++;
		core_exchange_up_drained(h->x);
		settle(h);
	}
}

static void
up_eof(void *arg)
{
	struct h1up *h = arg;
	char m[300];

	h->up_close = 1;
	if (h->x == NULL)
		return;
	h->busy++;
	if (h->head_done && h->fr.kind == HTTP1_BODY_CLOSE) {
		ended(h);
	} else if (!h->head_done) {
		snprintf(m, sizeof m, h->rin.len == 0 ? "server %s closed the "
		    "connection without a response" : "server %s sent an "
		    "incomplete response head", h->u->host);
		core_exchange_server_gone(h->x, m, h->rin.len == 0 &&
		    h->u->requests >= 2);
	} else {
		snprintf(m, sizeof m, "server %s closed the connection "
		    "mid-response", h->u->host);
		core_exchange_server_gone(h->x, m, 0);
	}
	settle(h);
}

static void
up_error(void *arg, const char *msg)
{
	struct h1up *h = arg;
	char m[300];

	h->up_close = 1;
	if (h->x == NULL)
		return;
	h->busy++;
	snprintf(m, sizeof m, "server %s: %s", h->u->host, msg);
	core_exchange_server_gone(h->x, m, !h->head_done && h->rin.len == 0 &&
	    h->u->requests >= 2);
	settle(h);
}

static void
tls_done(void *arg)
{
	struct upstream *u = arg;
	struct h1up *h = u->owner;

	if (h != NULL && h->x != NULL)
		core_exchange_up_tls(h->x, u->s);
}

void
core_h1up_attach(struct conn *c, struct upstream *u, struct exchange *x)
{
	struct h1up *h = calloc(1, sizeof *h);
	struct stream_cbs cbs = { up_data, up_drain, up_eof, up_error, h };

	if (h == NULL)
		abort();
	h->c = c;
	h->u = u;
	h->x = x;
	u->owner = h;
	u->requests++;
	if (core_tls_is(u->s)) {
		if (core_tls_established(u->s))
			core_exchange_up_tls(x, u->s);
		else	/* a connection the sniffer opened, still shaking */
			core_tls_on_handshake(u->s, tls_done, u);
	}
	core_stream_set_cbs(u->s, &cbs);
	core_stream_pause(u->s, 0);
	h->busy++;
	core_exchange_up_ready(x, &h1up_ops, h, u->addr);
	settle(h);
}
