/*
 * h1down.c -- HTTP/1.x from a client, one exchange at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/h2.h"
#include "core/http/http1.h"
#include "core/http/url.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/connect.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h1down.h"
#include "core/proxy/h1write.h"
#include "core/proxy/h2down.h"
#include "core/proxy/h2upgrade.h"
#include "core/proxy/hop.h"
#include "core/proxy/mode.h"
#include "core/proxy/proxy.h"
#include "core/proxy/serverreplay.h"
#include "core/proxy/sniff.h"
#include "core/proxy/tlsrecord.h"
#include "core/proxy/tunnel.h"
#include "core/proxy/wsrelay.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"

struct h1down {
	struct conn		*c;
	struct buf		 in;		/* client bytes not parsed yet */
	struct loop_timer	*idle;
	struct loop_timer	*resume;	/* reading again, from the loop */
	struct exchange		*x;		/* the exchange now, if any */
	int			 minor;		/* its client's HTTP/1.<minor> */
	int			 is_head;	/* it is a HEAD */
	/* The request body of x, as it comes. */
	struct http1_framing	 req_fr;
	uint64_t		 req_left;
	struct http1_chunked	 req_ch;
	int			 req_done;
	/* The response to the client. */
	enum xbody		 resp_kind;	/* as written to the client */
	struct buf		 cout;		/* the head, sent with the first
						 * body bytes in one write */
	int			 sent_any;
	int			 x_paused;	/* the exchange holds the body back */
	/* CONNECT, while the upstream connects. */
	struct flow		*tunnel_flow;
	struct connect		*connecting;
	char			*tunnel_host;
	int			 tunnel_port;

	int			 eof;		/* client sent FIN */
	int			 close_after;	/* no more requests on it */
	int			 busy;		/* inside our own call chain */
	int			 closing;	/* close when the chain unwinds */
	int			 abort;		/* ... with a reset */
	int			 gone;		/* freed when the chain unwinds */
	int			 handed_off;	/* to h2down (an h2c preface) */
};

static void	client_process(struct h1down *);
static void	settle(struct h1down *);

/* --- teardown ------------------------------------------------------------- */

static void
h_free(struct h1down *h)
{
	struct conn *c = h->c;

	if (h->handed_off) {
		/* The connection went on as HTTP/2: only this codec goes. */
		core_loop_timer_free(h->idle);
		core_loop_timer_free(h->resume);
		core_buf_free(&h->in);
		core_buf_free(&h->cout);
		free(h);
		return;
	}
	if (h->x != NULL) {
		struct exchange *x = h->x;

		h->x = NULL;
		core_exchange_abort(x, "the client connection was closed");
	}
	if (h->connecting != NULL)
		core_connect_cancel(h->connecting);
	if (h->tunnel_flow != NULL) {
		core_store_finish(h->tunnel_flow);
	}
	if (c->s != NULL) {
		if (h->abort)
			core_stream_abort(c->s);
		else
			core_stream_close(c->s);
		c->s = NULL;
	}
	core_loop_timer_free(h->idle);
	core_loop_timer_free(h->resume);
	core_http1_chunked_free(&h->req_ch);
	core_buf_free(&h->in);
	core_buf_free(&h->cout);
	free(h->tunnel_host);
	core_conn_free(c);
	free(h);
}

/* Closes (abort: resets) the connection now or, inside a call chain of
 * ours, when it unwinds. */
static void
h_close(struct h1down *h, int abort)
{
	h->closing = 1;
	h->abort = h->abort || abort;
	if (h->busy == 0)
		h_free(h);
}

static void
settle(struct h1down *h)
{
	if (--h->busy > 0)
		return;
	if (h->closing)
		h_free(h);
	else if (h->gone)
		h_free(h);
}

static void
codec_close(void *codec, int abort)
{
	h_close(codec, abort);
}

static int
codec_idle(void *codec)
{
	struct h1down *h = codec;

	return h->x == NULL && h->in.len == 0 && h->connecting == NULL;
}

static const struct codec_ops h1down_codec = { codec_close, codec_idle };

/* --- writing to the client ---------------------------------------------------- */

/* A response trawl makes itself; never recorded as the server's. extra
 * is more header lines, each ending in CR LF. */
static void
send_error_with(struct h1down *h, int status, const char *reason,
    const char *extra, const char *msg)
{
	struct buf b = { 0 };

	core_buf_printf(&b, "HTTP/1.1 %d %s\r\n%s"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	    status, reason, extra, strlen(msg) + 1, msg);
	core_stream_write(h->c->s, core_buf_head(&b), b.len);
	core_buf_free(&b);
	h->close_after = 1;
}

static void
send_error(struct h1down *h, int status, const char *reason, const char *msg)
{
	send_error_with(h, status, reason, "", msg);
}

static void
flush_cout(struct h1down *h)
{
	if (h->cout.len > 0) {
		core_stream_write(h->c->s, core_buf_head(&h->cout), h->cout.len);
		core_buf_free(&h->cout);
	}
}

static void
out_write(struct h1down *h, const char *p, size_t n)
{
	if (h->cout.len > 0)
		core_buf_append(&h->cout, p, n);
	else
		core_stream_write(h->c->s, p, n);
}

static void
op_interim(void *side, const struct flow_response *r)
{
	struct h1down *h = side;
	struct buf out = { 0 };

	if (h->minor == 0)
		return;		/* HTTP/1.0 knows no interim responses */
	core_buf_printf(&out, "HTTP/1.1 %d %s\r\n", r->status,
	    r->reason != NULL ? r->reason : "");
	core_h1write_fields(&out, &r->headers, XBODY_NONE, 0, 0);
	core_buf_printf(&out, "\r\n");
	core_stream_write(h->c->s, core_buf_head(&out), out.len);
	core_buf_free(&out);
}

static void
op_head(void *side, const struct flow_response *r, enum xbody kind,
    uint64_t len)
{
	struct h1down *h = side;
	struct buf out = { 0 };

	/* An HTTP/1.0 client reads a body of unknown length to the close;
	 * a close-delimited one goes on as it came. */
	if (kind == XBODY_CHUNKED && h->minor == 0)
		kind = XBODY_CLOSE;
	if (kind == XBODY_CLOSE)
		h->close_after = 1;
	h->resp_kind = kind;
	core_buf_printf(&out, "HTTP/1.%d %d %s\r\n", h->minor, r->status,
	    r->reason != NULL ? r->reason : "");
	core_h1write_fields(&out, &r->headers, kind, len, 0);
	if (h->close_after)
		core_buf_printf(&out, "Connection: close\r\n");
	core_buf_printf(&out, "\r\n");
	/* Held back so the head and the first body bytes leave together:
	 * one send per small response instead of two. */
	core_buf_free(&h->cout);
	h->cout = out;
	h->sent_any = 1;
}

static void
op_data(void *side, const char *p, size_t n)
{
	struct h1down *h = side;
	char line[24];

	if (n == 0 || h->is_head)
		return;
	if (h->resp_kind == XBODY_CHUNKED) {
		snprintf(line, sizeof line, "%zx\r\n", n);
		out_write(h, line, strlen(line));
		out_write(h, p, n);
		out_write(h, "\r\n", 2);
	} else
		out_write(h, p, n);
	flush_cout(h);
}

static void
op_end(void *side, const struct flow_headers *tr)
{
	struct h1down *h = side;
	struct buf out = { 0 };
	size_t i;

	if (h->resp_kind == XBODY_CHUNKED && !h->is_head) {
		core_buf_printf(&out, "0\r\n");
		for (i = 0; tr != NULL && i < tr->n; i++)
			core_buf_field(&out, tr->v[i].name, tr->v[i].value);
		core_buf_printf(&out, "\r\n");
		out_write(h, core_buf_head(&out), out.len);
		core_buf_free(&out);
	}
	flush_cout(h);
}

static void
op_fail(void *side, int status, const char *reason, const char *msg)
{
	struct h1down *h = side;

	if (status == XFAIL_KILLED)
		status = 502;
	if (status != 0 && !h->sent_any) {
		core_buf_free(&h->cout);
		send_error(h, status, reason, msg);
	} else
		h->abort = 1;
	h->close_after = 1;
}

static size_t
op_pending(void *side)
{
	struct h1down *h = side;

	return core_stream_pending(h->c->s) + h->cout.len;
}

/* Reading resumes from the loop, never inside the exchange's call (its
 * ops must not call back into it). */
static void
resume_reading(void *arg)
{
	struct h1down *h = arg;

	h->busy++;
	client_process(h);
	settle(h);
}

static void
op_pause(void *side, int paused)
{
	struct h1down *h = side;

	h->x_paused = paused;
	if (paused)
		core_stream_pause(h->c->s, 1);
	else if (!core_loop_timer_pending(h->resume))
		core_loop_timer_set(h->resume, 0);
}

/* The exchange is over: the next request, or the end. */
static void
op_done(void *side, int ok)
{
	struct h1down *h = side;

	h->x = NULL;
	flush_cout(h);
	if (!ok || !h->req_done)
		h->close_after = 1;
	h->x_paused = 0;
	h->sent_any = 0;
	h->is_head = 0;
	core_http1_chunked_free(&h->req_ch);
	if (h->close_after || h->eof) {
		h_close(h, h->abort);
		return;
	}
	core_loop_timer_set(h->idle, h->in.len > 0 ? LIMIT_HEAD_SEC :
	    LIMIT_IDLE_CLIENT_SEC);
	if (h->busy == 0) {
		h->busy++;
		client_process(h);
		settle(h);
	}
}

/* 101: the head to the client, then both streams are a raw relay that
 * records the bytes each way on the same flow. */
static void
op_switch(void *side, struct flow *f, struct stream *us, const char *pre,
    size_t prelen)
{
	struct h1down *h = side;
	struct flow_response *fr = f->response;
	struct stream *cs = h->c->s;
	struct buf out = { 0 }, rest = h->in;
	const char *conn = core_flow_header_get(&fr->headers, "connection");
	size_t i;

	core_buf_printf(&out, "HTTP/1.1 101 %s\r\n", fr->reason);
	for (i = 0; i < fr->headers.n; i++) {
		const struct flow_header *hd = &fr->headers.v[i];

		if (strcasecmp(hd->name, "upgrade") == 0 ||
		    !core_hop_by_hop(hd->name, conn))
			core_buf_field(&out, hd->name, hd->value);
	}
	core_buf_printf(&out, "Connection: Upgrade\r\n\r\n");
	/* Whatever the server sent after the head is the new protocol's:
	 * WebSocket's relay reads it first, a tunnel passes it on. */
	if (prelen > 0 && !core_wsrelay_wants(f)) {
		core_buf_append(&out, pre, prelen);
		core_flow_body_append(&f->down, pre, prelen);
	}
	core_stream_write(cs, core_buf_head(&out), out.len);
	core_buf_free(&out);
	h->x = NULL;
	h->c->s = NULL;
	memset(&h->in, 0, sizeof h->in);
	if (core_wsrelay_wants(f))
		core_wsrelay_start(cs, us, f, core_buf_head(&rest), rest.len,
		    pre, prelen, h->eof);
	else
		core_tunnel_start(cs, us, f, core_buf_head(&rest), rest.len,
		    h->eof);
	core_buf_free(&rest);
	h->gone = 1;
	if (h->busy == 0)
		h_free(h);
}

static const struct down_ops h1down_ops = {
	op_interim, op_head, op_data, op_end, op_fail, op_pending, op_pause,
	op_done, op_switch
};

/* --- CONNECT ---------------------------------------------------------------- */

static void
tunnel_connected(void *arg, const struct connect_result *r)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct h1down *h = arg;
	struct flow *f = h->tunnel_flow;
	struct stream *cs = h->c->s, *us;
	struct buf pre = h->in;

	h->connecting = NULL;
	f->t.dns_end = r->dns_end;
	if (r->error != NULL && core_serverreplay_active()) {
		/* --server-replay answers without the server: the tunnel
		 * goes on (TLS intercepted all the same), and what the file
		 * does not answer fails inside it with this error. */
		us = NULL;
	} else if (r->error != NULL || (us = core_sockstream_new(core_loop,
	    r->fd)) == NULL) {
		core_flow_set(&f->server, r->addr[0] ? r->addr : NULL);
		core_store_add(f);
		core_flow_error(f, "%s", r->error != NULL ? r->error :
		    "out of descriptors");
		send_error(h, 502, "Bad Gateway", f->error);
		core_store_finish(f);
		h->tunnel_flow = NULL;
		h_close(h, 0);
		return;
	}
	f->t.connect_end = r->connect_end;
	core_flow_set(&f->server, r->addr[0] ? r->addr : NULL);
	core_stream_write(cs, ok, sizeof ok - 1);
	/* What the tunnel carries decides what becomes of the streams and
	 * the flow: TLS is intercepted, HTTP parsed, the rest relayed. */
	h->tunnel_flow = NULL;
	h->c->s = NULL;
	memset(&h->in, 0, sizeof h->in);
	core_sniff_start(cs, us, r->addr, f, h->tunnel_host, h->tunnel_port,
	    core_buf_head(&pre), pre.len, core_proxy_accept, h->c->mode);
	core_buf_free(&pre);
	h_close(h, 0);
}

/* --- requests ---------------------------------------------------------------- */

/* Whether a client keeps the connection after this request. */
static int
wants_keepalive(const struct flow_headers *hd, int minor)
{
	const char *conn = core_flow_header_get(hd, "connection");
	const char *pconn = core_flow_header_get(hd, "proxy-connection");

	if (conn != NULL && core_http1_list_has(conn, strlen(conn), "close"))
		return 0;
	if (pconn != NULL && core_http1_list_has(pconn, strlen(pconn), "close"))
		return 0;
	if (minor == 0)
		return (conn != NULL &&
		    core_http1_list_has(conn, strlen(conn), "keep-alive")) ||
		    (pconn != NULL &&
		    core_http1_list_has(pconn, strlen(pconn), "keep-alive"));
	return 1;
}

/* A request that never became an exchange: recorded, answered, closed. */
static void
refuse(struct h1down *h, struct flow *f, int status, const char *reason)
{
	core_store_add(f);
	send_error(h, status, reason, f->error);
	core_store_finish(f);
	h_close(h, 0);
}

/*
 * --proxyauth in regular and upstream modes: a proxy request (absolute
 * form or CONNECT) without the login is answered 407, as mitmproxy
 * does; the login is then dropped from the flow, so HAR files never
 * hold it. Returns 1 when refused (the connection closes).
 */
static int
login_refused(struct h1down *h, struct flow *f)
{
	struct flow_headers *hs = &f->request->headers;
	const char *login = core_flow_header_get(hs, "proxy-authorization");
	int ok = core_mode_login_ok(login), given = login != NULL;

	core_flow_header_remove(hs, "proxy-authorization");
	if (ok)
		return 0;
	core_flow_error(f, "proxy login required (--proxyauth): %s",
	    given ? "wrong login" : "none given");
	core_store_add(f);
	send_error_with(h, 407, "Proxy Authentication Required",
	    "Proxy-Authenticate: Basic realm=\"trawl\"\r\n", f->error);
	core_store_finish(f);
	h_close(h, 0);
	return 1;
}

static char *
lower_dup(const char *p, size_t n)
{
	char *s = core_flow_strndup(p, n);
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		s[i] = (char)(s[i] | 0x20);
	return s;
}

/* Upgrade: h2c, when h2upgrade.c takes it: the connection goes on as
 * HTTP/2 with this request as stream 1, and only this codec goes.
 * Returns 0 then, -1 when the request goes on as HTTP/1.1. */
static int
h2c_upgrade(struct h1down *h, struct flow *f, struct xtarget *t,
    enum xbody kind)
{
	if (core_h2upgrade_take(h->c, f, h->minor, t, kind,
	    core_buf_head(&h->in), h->in.len) == -1)
		return -1;
	core_buf_free(&h->in);
	h->handed_off = h->gone = 1;
	return 0;
}

/* Parses one request head from the input and starts it. Returns 0 when
 * an exchange started, 1 to wait for more, -1 when the connection is
 * done reading (refused, CONNECT). */
static int
request_start(struct h1down *h)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_request r;
	struct conn *c = h->c;
	struct flow_request *fr;
	struct xtarget t;
	struct flow *f;
	struct url u;
	const char *cause = NULL;
	enum xbody kind;
	size_t i;
	int n, is_connect;

	/* h2c with prior knowledge, on the proxy's own port. */
	if (c->nreq == 0 && (n = core_h2_is_preface(core_buf_head(&h->in),
	    h->in.len)) != 0) {
		struct buf pre = h->in;

		if (n == -2)
			return 1;
		memset(&h->in, 0, sizeof h->in);
		h->handed_off = h->gone = 1;
		c->h2 = 1;
		core_h2down_start(c, core_buf_head(&pre), pre.len);
		core_buf_free(&pre);
		return -1;
	}
	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_request(core_buf_head(&h->in), h->in.len, &r);
	if (n == -2 && h->in.len < LIMIT_HTTP_HEAD)
		return 1;

	f = core_conn_flow(c, FLOW_HTTP);
	fr = core_flow_request_new();
	fr->t_start = core_now();
	c->nreq++;
	if (n < 0) {
		f->request = fr;
		core_flow_set(&fr->method, "?");
		if (c->dest_host != NULL) {
			char server[300];

			core_conn_server(c, server, sizeof server);
			core_flow_set(&f->server, server);
		}
		core_flow_error(f, n == -2 ? "request head too large" :
		    "malformed request head");
		refuse(h, f, n == -2 ? 431 : 400, n == -2 ?
		    "Request Header Fields Too Large" : "Bad Request");
		return -1;
	}
	fr->method = core_flow_strndup(r.method, r.method_len);
	fr->version = strdup(r.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&fr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	is_connect = core_http1_token_eq(r.method, r.method_len, "CONNECT");

	memset(&u, 0, sizeof u);
	memset(&t, 0, sizeof t);
	if (is_connect) {
		if (core_url_parse_authority(r.target, r.target_len, &u, 443) == -1)
			cause = "bad CONNECT target";
		u.scheme = "http";
		u.scheme_len = 4;
		u.path = "";
		u.path_len = 0;
	} else if (r.target_len > 0 && r.target[0] != '/' && r.target[0] != '*') {
		if (core_url_parse_absolute(r.target, r.target_len, &u) == -1)
			cause = "bad request target";
		t.absolute = 1;
	} else if (c->dest_host != NULL) {
		/* Transparent: origin-form, the destination is known. */
		const char *host = core_flow_header_get(&fr->headers, "host");

		if (host == NULL || core_url_parse_host_header(host,
		    strlen(host), &u, c->dest_port) == -1) {
			u.host = c->dest_host;
			u.host_len = strlen(c->dest_host);
			u.port = c->dest_port;
		}
		u.scheme = c->scheme;
		u.scheme_len = strlen(c->scheme);
		u.path = r.target;
		u.path_len = r.target_len;
	} else
		cause = "trawl is a proxy here: expected an absolute URL "
		    "(http://host/path) or CONNECT";
	if (cause == NULL && core_http1_request_framing(&r, &h->req_fr,
	    &cause) == 0)
		cause = NULL;
	if (cause == NULL) {
		fr->scheme = lower_dup(u.scheme, u.scheme_len);
		fr->host = core_flow_strndup(u.host, u.host_len);
		fr->port = u.port;
		fr->path = core_flow_strndup(u.path, u.path_len);
	} else if (r.target_len > 0)
		fr->path = core_flow_strndup(r.target, r.target_len);
	core_buf_consume(&h->in, (size_t)n);
	f->request = fr;
	if (cause != NULL) {
		core_flow_error(f, "bad request: %s", cause);
		refuse(h, f, 400, "Bad Request");
		return -1;
	}
	if (!wants_keepalive(&fr->headers, r.minor) || c->one_request)
		h->close_after = 1;
	if (c->dest_host == NULL && core_mode_asks_login(c->mode) &&
	    login_refused(h, f))
		return -1;

	if (is_connect) {
		/* The client is still read (what it sends early waits in
		 * h->in), so its close or reset ends the connect at once. */
		f->type = FLOW_TCP;
		f->t.dns_start = core_now();
		h->tunnel_flow = f;
		h->tunnel_host = strdup(fr->host);
		h->tunnel_port = fr->port;
		h->connecting = core_mode_connect(c->mode, h->tunnel_host,
		    h->tunnel_port, 0, tunnel_connected, h);
		return -1;	/* nothing more to parse on this connection */
	}

	/* A transparent client (or one in a tunnel) goes where it was
	 * going, whatever its Host field says; the URL shows Host. */
	t.scheme = strdup(fr->scheme);
	t.host = strdup(c->dest_host != NULL ? c->dest_host : fr->host);
	t.port = c->dest_host != NULL ? c->dest_port : fr->port;
	if (strcmp(t.scheme, "https") == 0)
		t.tls_name = strdup(c->sni != NULL ? c->sni : fr->host);
	t.minor = r.minor;
	{
		const char *conn = core_flow_header_get(&fr->headers,
		    "connection");

		const char *up = core_flow_header_get(&fr->headers, "upgrade");

		/* WebSocket and other upgrades: passed on, then relayed. An
		 * upgrade to h2c is trawl's own (h2c_upgrade) or declined:
		 * the request goes on as HTTP/1.1 without it, so the streams
		 * it would carry are never relayed unparsed. */
		t.upgrade = r.minor == 1 && conn != NULL &&
		    core_http1_list_has(conn, strlen(conn), "upgrade") &&
		    up != NULL && !core_http1_list_has(up, strlen(up), "h2c");
	}
	h->minor = r.minor;
	h->is_head = strcmp(fr->method, "HEAD") == 0;
	h->req_left = h->req_fr.length;
	h->req_done = h->req_fr.kind == HTTP1_BODY_NONE;
	memset(&h->req_ch, 0, sizeof h->req_ch);
	h->req_ch.keep_trailers = 1;
	kind = h->req_fr.kind == HTTP1_BODY_LENGTH ? XBODY_LENGTH :
	    h->req_fr.kind == HTTP1_BODY_CHUNKED ? XBODY_CHUNKED : XBODY_NONE;
	if (h2c_upgrade(h, f, &t, kind) == 0)
		return -1;
	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	h->x = core_exchange_new(c, &h1down_ops, h, f, fr, &t, kind,
	    h->req_fr.length);
	return 0;
}

static void
req_body_data(void *arg, const char *p, size_t n)
{
	struct h1down *h = arg;

	if (h->x != NULL && n > 0)
		core_exchange_request_data(h->x, p, n);
}

/* Moves request body bytes from the input to the exchange. Returns -1
 * when the connection is done. */
static int
request_body(struct h1down *h)
{
	const char *p = core_buf_head(&h->in);
	struct flow_headers tr = { 0 };
	size_t take = 0;
	ssize_t used;
	int done = 0;

	switch (h->req_fr.kind) {
	case HTTP1_BODY_LENGTH:
		take = h->in.len < h->req_left ? h->in.len :
		    (size_t)h->req_left;
		h->req_left -= take;
		done = h->req_left == 0;
		if (take > 0)
			core_exchange_request_data(h->x, p, take);
		break;
	case HTTP1_BODY_CHUNKED:
		used = core_http1_chunked_scan(&h->req_ch, p, h->in.len,
		    req_body_data, h, &done);
		if (used < 0) {
			if (h->x != NULL) {
				struct flow *f = core_exchange_flow(h->x);

				core_flow_error(f, "client sent malformed "
				    "chunked framing");
				core_exchange_abort(h->x, "client sent "
				    "malformed chunked framing");
				h->x = NULL;
			}
			send_error(h, 400, "Bad Request",
			    "malformed chunked body");
			h_close(h, 0);
			return -1;
		}
		take = (size_t)used;
		break;
	default:
		done = 1;
		break;
	}
	core_buf_consume(&h->in, take);
	if (done && !h->req_done) {
		h->req_done = 1;
		if (h->req_fr.kind == HTTP1_BODY_CHUNKED) {
			struct http1_header th[LIMIT_HTTP_HEADERS];
			size_t n = LIMIT_HTTP_HEADERS, i;

			core_http1_chunked_trailers(&h->req_ch, th, &n);
			for (i = 0; i < n; i++)
				core_flow_header_add(&tr, th[i].name,
				    th[i].name_len, th[i].value,
				    th[i].value_len);
		}
		if (h->x != NULL)
			core_exchange_request_end(h->x, tr.n > 0 ? &tr : NULL);
		core_flow_headers_clear(&tr);
	}
	return h->closing ? -1 : 0;
}

/* Parses and forwards what the client sent, as far as it can go now. */
static void
client_process(struct h1down *h)
{
	while (!h->closing && !h->gone) {
		if (h->connecting != NULL)
			break;		/* CONNECT: the bytes wait in h->in */
		if (h->x == NULL) {
			if (h->close_after || h->in.len == 0)
				break;
			if (request_start(h) != 0)
				return;	/* waiting for more, or done */
			continue;
		}
		if (h->req_done || h->in.len == 0 || h->x_paused)
			break;
		if (request_body(h) == -1)
			return;
	}
	if (h->closing || h->gone || h->c->s == NULL)
		return;
	/* Back-pressure: stop reading while the exchange holds the body
	 * back or requests pile up behind the current one. */
	core_stream_pause(h->c->s, h->eof || h->x_paused ||
	    h->in.len > LIMIT_CONN_BUFFER);
}

/* --- the client's stream ------------------------------------------------------ */

static void
client_data(void *arg, const char *p, size_t n)
{
	struct h1down *h = arg;

	/* A request head has LIMIT_HEAD_SEC from its first byte, however
	 * slowly it trickles in; a body keeps the connection alive. */
	if (h->x != NULL || h->connecting != NULL)
		core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	else if (h->in.len == 0)
		core_loop_timer_set(h->idle, LIMIT_HEAD_SEC);
	core_buf_append(&h->in, p, n);
	h->busy++;
	client_process(h);
	settle(h);
}

static void
client_drain(void *arg)
{
	struct h1down *h = arg;

	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	if (h->x != NULL) {
		h->busy++;
		core_exchange_down_drained(h->x);
		settle(h);
	}
}

/* A TLS client that never got to a request: the handshake failed. */
static void
tls_failed(struct h1down *h, const char *why)
{
	struct conn *c = h->c;
	struct flow *f;
	char server[300];

	if (!c->tls || c->nreq > 0 || core_tls_established(c->s))
		return;
	f = core_conn_flow(c, FLOW_TCP);
	core_tlsrecord_fill(c->s, core_flow_client_tls_w(f));
	core_conn_server(c, server, sizeof server);
	core_flow_set(&f->server, server);
	core_store_add(f);
	core_flow_error(f, "TLS handshake with the client failed: %s", why);
	core_store_finish(f);
	if (core_tls_cert_rejected(c->s))
		core_mitm_client_refused(core_flow_client_tls(f)->sni != NULL &&
		    core_flow_client_tls(f)->sni[0] ?
		    core_flow_client_tls(f)->sni : c->dest_host);
}

/* The client is gone before its exchange (or CONNECT) ended. */
static void
client_gone(struct h1down *h, const char *why)
{
	if (h->x != NULL) {
		struct exchange *x = h->x;

		h->x = NULL;
		core_exchange_client_gone(x, why);
	}
	if (h->tunnel_flow != NULL) {
		h->tunnel_flow->client_gone = 1;
		core_store_add(h->tunnel_flow);
		core_flow_error(h->tunnel_flow, "client disconnected: %s", why);
	}
	h_close(h, 1);
}

static void
client_eof(void *arg)
{
	struct h1down *h = arg;

	h->eof = 1;
	h->busy++;
	if (h->x == NULL && h->connecting == NULL) {
		tls_failed(h, "the client closed the connection");
		if (h->in.len > 0) {
			/* A partial request head, then nothing. */
			struct flow *f = core_conn_flow(h->c, FLOW_HTTP);

			f->request = core_flow_request_new();
			core_flow_set(&f->request->method, "?");
			core_store_add(f);
			core_flow_error(f, "client closed the connection "
			    "mid-request");
			core_store_finish(f);
		}
		h_close(h, 0);
	} else if (h->connecting != NULL || !h->req_done)
		client_gone(h, "closed mid-request");
	else
		core_stream_pause(h->c->s, 1);	/* the response still goes back */
	settle(h);
}

static void
client_error(void *arg, const char *msg)
{
	struct h1down *h = arg;

	h->busy++;
	if (h->x == NULL && h->connecting == NULL)
		tls_failed(h, msg);
	client_gone(h, msg);
	settle(h);
}

static void
client_idle(void *arg)
{
	struct h1down *h = arg;

	h->busy++;
	if (h->x != NULL) {
		/* The exchange answers 504 (or resets) through op_fail. */
		core_exchange_timeout(h->x);
	} else if (h->connecting == NULL && h->in.len > 0) {
		/* Part of a head, and no more of it in time (slowloris). */
		struct flow *f = core_conn_flow(h->c, FLOW_HTTP);

		f->request = core_flow_request_new();
		core_flow_set(&f->request->method, "?");
		core_flow_error(f, "request head not complete after %d s",
		    LIMIT_HEAD_SEC);
		refuse(h, f, 408, "Request Timeout");
	} else
		h_close(h, 0);
	settle(h);
}

void
core_h1down_start(struct conn *c, const char *pre, size_t prelen)
{
	struct h1down *h = calloc(1, sizeof *h);
	struct stream_cbs cbs = {
		client_data, client_drain, client_eof, client_error, h
	};

	if (h == NULL)
		abort();
	h->c = c;
	h->minor = 1;
	c->codec_ops = &h1down_codec;
	c->codec = h;
	h->idle = core_loop_timer_new(core_loop, client_idle, h);
	h->resume = core_loop_timer_new(core_loop, resume_reading, h);
	/* Bytes the sniffer read are the start of a head: its deadline runs. */
	core_loop_timer_set(h->idle, prelen > 0 ? LIMIT_HEAD_SEC :
	    LIMIT_IDLE_CLIENT_SEC);
	core_stream_set_cbs(c->s, &cbs);
	core_stream_pause(c->s, 0);
	if (prelen > 0) {
		core_buf_append(&h->in, pre, prelen);
		h->busy++;
		client_process(h);
		settle(h);
	}
}
