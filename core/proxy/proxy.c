/*
 * proxy.c -- one client connection: HTTP/1.1 exchanges in order, CONNECT
 * tunnels, and the errors a client sees.
 *
 * A client connection carries one exchange at a time; pipelined requests
 * wait in the client's input buffer and are parsed once the exchange
 * before them is done, so responses go back in order. Bodies stream
 * through: only a capped prefix is kept on the flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/http1.h"
#include "core/http/url.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/intercept.h"
#include "core/proxy/pool.h"
#include "core/proxy/proxy.h"
#include "core/proxy/sniff.h"
#include "core/proxy/tlsrecord.h"
#include "core/proxy/tunnel.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"

enum exchange_state {
	X_CONNECTING,	/* waiting for an upstream connection */
	X_SENDING,	/* request (head, body) going upstream */
	X_RESPONDING,	/* response coming back (request may still be sending) */
	X_TUNNEL_WAIT	/* CONNECT: waiting to open the tunnel */
};

struct client;

struct exchange {
	struct client		*c;
	enum exchange_state	 state;
	struct flow		*f;
	struct connect		*connecting;
	struct upstream		*up;
	struct buf		 upq;		/* bytes for upstream while connecting */
	struct buf		 held_body;	/* intercepted: the request body's
						 * bytes as they came (framing too) */
	char			*method;
	char			*scheme;
	char			*host;		/* where trawl connects */
	int			 port;
	char			*tls_name;	/* https: name sent and verified */

	struct http1_framing	 req_fr;
	uint64_t		 req_left;
	struct http1_chunked	 req_ch;
	int			 req_done;

	struct buf		 rin;		/* response bytes not parsed yet */
	struct buf		 cout;		/* response head (and the body that
						 * came with it) for one write */
	int			 head_done;
	struct http1_framing	 resp_fr;
	uint64_t		 resp_left;
	struct http1_chunked	 resp_ch;
	int			 resp_done;
	int			 up_close;	/* server will not keep the connection */
	int			 sent_any;	/* response bytes reached the client */

	int			 stored;	/* the flow is in the store */
	int			 retried;	/* sent again after a stale upstream */
	int			 absolute;	/* the target was an absolute URL */
	int			 upgrade;	/* asked to switch protocols (WebSocket) */
	int			 hold_req;	/* intercepted: request kept back */
	int			 hold_resp;	/* intercepted: response kept back */
	int			 minor;		/* client's HTTP/1.<minor> */
	int			 held;		/* registered with intercept */
	struct loop_timer	*pause_timer;	/* --intercept-timeout */
};

struct client {
	struct stream		*s;
	char			*addr;
	int			 pid;
	char			*comm;
	char			*dest_host;	/* transparent: where it was going */
	int			 dest_port;
	const char		*scheme;	/* of origin-form requests */
	char			*sni;		/* https: what the client asked for */
	int			 tls;		/* s is trawl's TLS server */
	int			 nreq;		/* requests seen */
	struct buf		 in;		/* client bytes not parsed yet */
	struct exchange		*x;
	struct pool		 pool;		/* its upstreams between requests */
	struct loop_timer	*idle;
	int			 eof;		/* client sent FIN */
	int			 close_after;	/* no more requests on it */
	int			 close_after_first; /* a replay's one request */
	uint64_t		 replay_of;	/* a replay's original flow */
	struct client		*prev, *next;	/* every client connection */
	char			*up_error;	/* its upstream failed before use */
};

static int nclients;
static struct client *clients;

static void	client_process(struct client *);
static void	unpause(struct exchange *);
static void	switch_protocols(struct exchange *, size_t);
static void	pause_request(struct exchange *);
static void	pause_response(struct exchange *);
static void	client_free(struct client *, int abort_conn);
static void	exchange_free(struct exchange *);
static void	response_process(struct exchange *);
static ssize_t	response_body(struct exchange *, const char *, size_t);

int
core_proxy_connections(void)
{
	return nclients + core_sniff_count() + core_tunnel_count();
}

void
core_proxy_stats(struct proxy_stats *st)
{
	st->clients = nclients;
	st->sniffing = core_sniff_count();
	st->tunnels = core_tunnel_count();
	st->idle_upstreams = core_pool_idle();
}

int
core_proxy_make_room(void)
{
	struct client *c, *victim = NULL;

	/* The list is newest first: the last idle one waited longest. */
	for (c = clients; c != NULL; c = c->next)
		if (c->x == NULL && c->in.len == 0)
			victim = c;
	if (victim == NULL)
		return -1;
	client_free(victim, 0);
	return 0;
}

/* --- headers ----------------------------------------------------------- */

/*
 * Hop-by-hop fields (RFC 9110 7.6.1) a proxy never forwards, with those
 * the Connection field names. Transfer-Encoding is hop-by-hop too, but
 * trawl forwards the body's framing as it came, so the field goes along
 * with it; and what trawl forwards is framed exactly as trawl parsed it:
 * a Connection token naming Content-Length, Transfer-Encoding or Host is
 * ignored (the field stays), or the next hop would read the body as
 * another message (request smuggling, response desync).
 */
static int
hop_by_hop(const char *name, const char *connection)
{
	static const char *const fixed[] = {
		"connection", "proxy-connection", "keep-alive", "te",
		"upgrade", "proxy-authorization", "proxy-authenticate", NULL
	};
	static const char *const framing[] = {
		"content-length", "transfer-encoding", "host", NULL
	};
	size_t i;

	for (i = 0; fixed[i] != NULL; i++)
		if (strcasecmp(name, fixed[i]) == 0)
			return 1;
	for (i = 0; framing[i] != NULL; i++)
		if (strcasecmp(name, framing[i]) == 0)
			return 0;
	return connection != NULL &&
	    core_http1_list_has(connection, strlen(connection), name);
}

/* Whether a client keeps the connection after this request. */
static int
wants_keepalive(const struct flow_headers *h, int minor)
{
	const char *conn = core_flow_header_get(h, "connection");
	const char *pconn = core_flow_header_get(h, "proxy-connection");

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

/* A response head for the client: the server's fields but the
 * hop-by-hop ones, and Connection: close when the client's connection
 * ends after it. */
static void
status_head(struct buf *out, int minor, const struct flow_response *r,
    int close)
{
	const char *conn = core_flow_header_get(&r->headers, "connection");
	size_t i;

	core_buf_printf(out, "HTTP/1.%d %d %s\r\n", minor, r->status,
	    r->reason != NULL ? r->reason : "");
	for (i = 0; i < r->headers.n; i++)
		if (!hop_by_hop(r->headers.v[i].name, conn))
			core_buf_field(out, r->headers.v[i].name,
			    r->headers.v[i].value);
	if (close)
		core_buf_printf(out, "Connection: close\r\n");
	core_buf_printf(out, "\r\n");
}

/* Flows go into the store once they are worth showing (a CONNECT only
 * when it fails or turns out to be a raw tunnel). */
static void
x_store(struct exchange *x)
{
	if (!x->stored) {
		x->stored = 1;
		core_store_add(x->f);
	}
}

/* --- errors toward the client ------------------------------------------ */

/* A response trawl makes itself; never recorded as the server's. */
static void
send_error(struct client *c, int status, const char *reason, const char *msg)
{
	struct buf b = { 0 };

	core_buf_printf(&b, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	    status, reason, strlen(msg) + 1, msg);
	core_stream_write(c->s, core_buf_head(&b), b.len);
	core_buf_free(&b);
}

/* Ends the exchange with an error; the client gets status unless it
 * already saw part of a response, in which case it is reset. */
static void
exchange_fail(struct exchange *x, int status, const char *reason,
    const char *fmt, const char *detail)
{
	struct client *c = x->c;
	char msg[512];

	snprintf(msg, sizeof msg, fmt, detail);
	x_store(x);
	core_flow_error(x->f, "%s", msg);
	if (x->sent_any || status == 0) {
		exchange_free(x);
		client_free(c, 1);
		return;
	}
	send_error(c, status, reason, msg);
	exchange_free(x);
	c->close_after = 1;
	client_free(c, 0);
}

/* --- upstream ---------------------------------------------------------- */

static void
up_data(void *arg, const char *p, size_t n)
{
	struct exchange *x = arg;
	ssize_t used;

	core_loop_timer_set(x->c->idle, LIMIT_IDLE_CLIENT_SEC);
	/* The bulk of a body: on to the client without a copy into rin. */
	if (x->head_done && !x->resp_done && x->rin.len == 0) {
		if ((used = response_body(x, p, n)) < 0)
			return;		/* x is gone */
		p += used;
		n -= (size_t)used;
	}
	core_buf_append(&x->rin, p, n);
	response_process(x);
}

static void
up_drain(void *arg)
{
	struct exchange *x = arg;

	/* The server took what we queued: read more of the request. */
	client_process(x->c);
}

static int	up_connect(struct exchange *);
static void	request_head_out(struct exchange *, const char *, int);

/*
 * A pooled connection the server closed just as the request went out: a
 * request without a body is sent once more on a fresh connection, as
 * browsers do. Returns 1 when it did so.
 */
static int
retry_stale(struct exchange *x)
{
	/* A transparent client's connection mirrors the program's own: its
	 * failure is the program's to see and retry, never a second one. */
	if (x->c->dest_host != NULL ||
	    x->retried || x->head_done || x->rin.len > 0 || x->up == NULL ||
	    x->up->requests < 2 || x->req_fr.kind != HTTP1_BODY_NONE ||
	    x->hold_req || x->f->response != NULL)
		return 0;
	x->retried = 1;
	x->up->owner = NULL;
	core_pool_release(x->up, 1);
	x->up = NULL;
	request_head_out(x, x->f->request->path, x->minor);
	up_connect(x);
	return 1;
}

static void
up_eof(void *arg)
{
	struct exchange *x = arg;

	if (retry_stale(x))
		return;
	if (x->head_done && x->resp_fr.kind == HTTP1_BODY_CLOSE) {
		x->resp_done = 1;
		x->up_close = 1;
		response_process(x);
		return;
	}
	if (!x->head_done && x->rin.len == 0)
		exchange_fail(x, 502, "Bad Gateway",
		    "server %s closed the connection without a response",
		    x->host);
	else if (!x->head_done)
		exchange_fail(x, 502, "Bad Gateway",
		    "server %s sent an incomplete response head", x->host);
	else
		exchange_fail(x, 0, NULL,
		    "server %s closed the connection mid-response", x->host);
}

static void
up_error(void *arg, const char *msg)
{
	struct exchange *x = arg;
	char m[256];

	if (retry_stale(x))
		return;
	snprintf(m, sizeof m, "server %s: %s", x->host, msg);
	exchange_fail(x, x->head_done ? 0 : 502, "Bad Gateway", "%s", m);
}

/* The server's TLS handshake is done: record it on the flow using it. */
static void
up_tls_done(void *arg)
{
	struct upstream *u = arg;
	struct exchange *x = u->owner;

	if (x == NULL || x->f == NULL)
		return;
	core_tlsrecord_fill(u->s, &x->f->server_tls);
	x->f->t.tls_end = core_now();
}

static void
up_attach(struct exchange *x)
{
	struct stream_cbs cbs = { up_data, up_drain, up_eof, up_error, x };

	x->up->owner = x;
	if (core_tls_is(x->up->s)) {
		if (core_tls_established(x->up->s))
			core_tlsrecord_fill(x->up->s, &x->f->server_tls);
		else
			core_tls_on_handshake(x->up->s, up_tls_done, x->up);
	}
	core_stream_set_cbs(x->up->s, &cbs);
	core_stream_pause(x->up->s, 0);
	core_flow_set(&x->f->server, x->up->addr);
	x->up->requests++;
}

/* Sends bytes toward the server, or queues them while connecting. */
static void
up_write(struct exchange *x, const char *p, size_t n)
{
	if (x->up != NULL)
		core_stream_write(x->up->s, p, n);
	else
		core_buf_append(&x->upq, p, n);
}

static size_t
up_pending(struct exchange *x)
{
	return x->up != NULL ? core_stream_pending(x->up->s) : x->upq.len;
}

static void	tunnel_open(struct exchange *);

/* The upstream is there: send what waited for it. */
static void
up_ready(struct exchange *x)
{
	up_attach(x);
	x->state = X_SENDING;
	if (x->upq.len > 0) {
		core_stream_write(x->up->s, core_buf_head(&x->upq), x->upq.len);
		core_buf_free(&x->upq);
	}
	if (x->req_done && x->f->t.request_sent == 0)
		x->f->t.request_sent = core_now();
}

static void
on_connected(void *arg, const struct connect_result *r)
{
	struct exchange *x = arg;
	struct stream *s;

	x->connecting = NULL;
	x->f->t.dns_end = r->dns_end;
	if (r->error != NULL) {
		core_flow_set(&x->f->server, r->addr[0] ? r->addr : NULL);
		exchange_fail(x, 502, "Bad Gateway", "%s", r->error);
		return;
	}
	x->f->t.connect_end = r->connect_end;
	s = core_sockstream_new(core_loop, r->fd);
	if (s == NULL) {
		exchange_fail(x, 502, "Bad Gateway", "%s", "out of descriptors");
		return;
	}
	if (x->state != X_TUNNEL_WAIT && strcmp(x->scheme, "https") == 0) {
		struct stream *t;
		char *cause = NULL;

		if (core_mitm_client_ctx() == NULL)
			t = NULL;
		else
			t = core_tls_client_new(core_loop, s,
			    core_mitm_client_ctx(), x->tls_name != NULL ?
			    x->tls_name : x->host, "http/1.1", &cause);
		if (t == NULL) {
			core_stream_abort(s);
			exchange_fail(x, 502, "Bad Gateway", "%s", cause != NULL ?
			    cause : "TLS toward servers is not set up");
			free(cause);
			return;
		}
		s = t;
	}
	x->up = core_pool_upstream_new(s, x->scheme, x->host, x->port,
	    x->tls_name, r->addr);
	if (x->state == X_TUNNEL_WAIT) {
		tunnel_open(x);
		return;
	}
	up_ready(x);
	client_process(x->c);
}

/* Returns -1 when the exchange failed at once and its client is gone. */
static int
up_connect(struct exchange *x)
{
	x->f->t.dns_start = core_now();
	x->state = X_CONNECTING;
	/* A retry wants a fresh connection, not another stale one. */
	x->up = x->retried ? NULL : core_pool_take(&x->c->pool, x->scheme,
	    x->host, x->port, x->c->dest_host != NULL ? NULL : x->tls_name);
	if (x->up != NULL) {
		x->f->t.dns_end = x->f->t.connect_end = x->f->t.dns_start;
		up_ready(x);
		return 0;
	}
	if (x->c->up_error != NULL) {
		/* The program's connection to the server is gone: a new one
		 * would be a connection it never made. */
		x->c->close_after = 1;
		exchange_fail(x, 502, "Bad Gateway", "%s", x->c->up_error);
		return -1;
	}
	x->connecting = core_connect_start(core_loop, x->host, x->port,
	    on_connected, x);
	return 0;
}

/* --- response ---------------------------------------------------------- */

static void
resp_body_data(void *arg, const char *p, size_t n)
{
	struct exchange *x = arg;

	core_flow_body_append(&x->f->response->body, p, n);
}

static void	exchange_done(struct exchange *);

/* Parses the response head; returns 0 when parsed, 1 to wait, -1 failed. */
static int
response_head(struct exchange *x)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_response r;
	struct flow_response *fr;
	struct client *c = x->c;
	struct buf out = { 0 };
	const char *cause, *conn;
	size_t i;
	int n;

	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_response(core_buf_head(&x->rin), x->rin.len, &r);
	if (n == -2 && x->rin.len < LIMIT_HTTP_HEAD)
		return 1;
	if (n < 0) {
		exchange_fail(x, 502, "Bad Gateway",
		    "server %s sent a malformed response head", x->host);
		return -1;
	}
	if (r.status >= 100 && r.status < 200 && r.status != 101) {
		/* Interim (100 Continue, 103): relay it, wait for the final. */
		core_stream_write(c->s, core_buf_head(&x->rin), (size_t)n);
		core_buf_consume(&x->rin, (size_t)n);
		return 0;
	}
	if (core_http1_response_framing(&r, x->method, strlen(x->method),
	    &x->resp_fr, &cause) == -1) {
		exchange_fail(x, 502, "Bad Gateway", "bad response: %s", cause);
		return -1;
	}
	fr = core_flow_response_new();
	fr->status = r.status;
	fr->reason = core_flow_strndup(r.reason, r.reason_len);
	fr->version = strdup(r.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	fr->t_start = core_now();
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&fr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	x->f->response = fr;
	x->f->t.response_start = fr->t_start;
	x->head_done = 1;
	x->resp_left = x->resp_fr.length;

	conn = core_flow_header_get(&fr->headers, "connection");
	if (r.minor == 0 ? !(conn != NULL &&
	    core_http1_list_has(conn, strlen(conn), "keep-alive")) :
	    (conn != NULL && core_http1_list_has(conn, strlen(conn), "close")))
		x->up_close = 1;
	if (x->resp_fr.kind == HTTP1_BODY_CLOSE) {
		/* Only the server's close ends this body: so must ours. */
		x->up_close = 1;
		c->close_after = 1;
	}

	if (r.status == 101) {
		if (!x->upgrade) {
			exchange_fail(x, 502, "Bad Gateway", "server %s switched "
			    "protocols unasked", x->host);
			return -1;
		}
		switch_protocols(x, (size_t)n);
		return -1;	/* x is gone: the streams are a tunnel now */
	}
	if (core_intercept_wants(x->f, INTERCEPT_RESPONSE)) {
		/* Keep the response back until the user lets it go. */
		x->hold_resp = 1;
		core_buf_consume(&x->rin, (size_t)n);
		if (x->resp_fr.kind == HTTP1_BODY_NONE ||
		    (x->resp_fr.kind == HTTP1_BODY_LENGTH && x->resp_left == 0))
			x->resp_done = 1;
		core_store_update(x->f);
		return 0;
	}
	status_head(&out, r.minor, fr, c->close_after);
	/* Held back so the head and the first body bytes leave together:
	 * one send per small response instead of two. */
	core_buf_free(&x->cout);
	x->cout = out;
	core_buf_consume(&x->rin, (size_t)n);
	x->sent_any = 1;
	if (x->resp_fr.kind == HTTP1_BODY_NONE ||
	    (x->resp_fr.kind == HTTP1_BODY_LENGTH && x->resp_left == 0))
		x->resp_done = 1;
	core_store_update(x->f);
	return 0;
}

/*
 * Passes response body bytes p[0..n) to the client (and keeps them on the
 * flow) up to the body's end. Returns the bytes used, or -1 when the
 * exchange failed and x is gone.
 */
static ssize_t
response_body(struct exchange *x, const char *p, size_t n)
{
	size_t take, used = 0;

	while (used < n && !x->resp_done) {
		const char *q = p + used;
		size_t left = n - used;
		ssize_t k;
		int done = 0;

		switch (x->resp_fr.kind) {
		case HTTP1_BODY_LENGTH:
			take = left < x->resp_left ? left :
			    (size_t)x->resp_left;
			core_flow_body_append(&x->f->response->body, q, take);
			x->resp_left -= take;
			if (x->resp_left == 0)
				x->resp_done = 1;
			break;
		case HTTP1_BODY_CHUNKED:
			k = core_http1_chunked_scan(&x->resp_ch, q, left,
			    resp_body_data, x, &done);
			if (k < 0) {
				exchange_fail(x, 0, NULL, "server %s sent "
				    "malformed chunked framing", x->host);
				return -1;
			}
			take = (size_t)k;
			if (done)
				x->resp_done = 1;
			break;
		default:
			take = left;
			core_flow_body_append(&x->f->response->body, q, take);
			break;
		}
		if (!x->hold_resp) {
			if (x->cout.len > 0)
				core_buf_append(&x->cout, q, take);
			else
				core_stream_write(x->c->s, q, take);
		}
		used += take;
		if (x->hold_resp && x->f->response->body.truncated) {
			exchange_fail(x, 502, "Bad Gateway", "response body "
			    "over %s is too large to intercept", "4 MiB");
			return -1;
		}
		if (take == 0 && !x->resp_done)
			break;		/* the scanner wants more */
	}
	return (ssize_t)used;
}

/* Moves the response on: head, then body, then the end of the exchange. */
static void
response_process(struct exchange *x)
{
	struct client *c = x->c;

	while (!x->head_done) {
		if (x->rin.len == 0)
			return;
		switch (response_head(x)) {
		case 1:
			return;
		case -1:
			return;	/* x is gone */
		}
	}
	if (x->rin.len > 0 && !x->resp_done) {
		ssize_t used = response_body(x, core_buf_head(&x->rin),
		    x->rin.len);

		if (used < 0)
			return;		/* x is gone */
		core_buf_consume(&x->rin, (size_t)used);
	}
	if (x->cout.len > 0) {
		core_stream_write(c->s, core_buf_head(&x->cout), x->cout.len);
		core_buf_free(&x->cout);
	}
	if (x->resp_done) {
		if (x->rin.len > 0)
			x->up_close = 1;	/* bytes past the end: not reusable */
		if (x->hold_resp) {
			pause_response(x);
			return;
		}
		exchange_done(x);
		return;
	}
	/* The client is slow: stop reading the server until it drains. */
	if (!x->hold_resp && core_stream_pending(c->s) > LIMIT_CONN_BUFFER)
		core_stream_pause(x->up->s, 1);
}

/* --- the exchange ------------------------------------------------------ */

static void
exchange_free(struct exchange *x)
{
	if (x == NULL)
		return;
	if (x->c != NULL && x->c->x == x)
		x->c->x = NULL;
	unpause(x);
	if (x->connecting != NULL)
		core_connect_cancel(x->connecting);
	if (x->up != NULL)
		core_pool_release(x->up, 1);
	if (x->f != NULL && !x->stored)
		core_flow_free(x->f);
	else if (x->f != NULL && x->f->state != FLOW_DONE)
		core_store_finish(x->f);
	core_buf_free(&x->upq);
	core_buf_free(&x->held_body);
	core_buf_free(&x->rin);
	core_buf_free(&x->cout);
	free(x->method);
	free(x->scheme);
	free(x->host);
	free(x->tls_name);
	free(x);
}

static void
exchange_done(struct exchange *x)
{
	struct client *c = x->c;
	struct upstream *u = x->up;

	x->f->response->t_end = core_now();
	if (!x->req_done) {
		/* The server answered before the request ended (e.g. 413):
		 * the rest of the request cannot be told apart from the
		 * next one, so both connections end here. */
		x->up_close = 1;
		c->close_after = 1;
	}
	x->up = NULL;
	if (u != NULL) {
		u->owner = NULL;
		if (x->up_close)
			core_pool_release(u, 0);
		else
			core_pool_put(&c->pool, u);
	}
	exchange_free(x);
	if (c->close_after || c->eof) {
		client_free(c, 0);
		return;
	}
	core_loop_timer_set(c->idle, LIMIT_IDLE_CLIENT_SEC);
	client_process(c);
}

static void
req_body_data(void *arg, const char *p, size_t n)
{
	struct exchange *x = arg;

	core_flow_body_append(&x->f->request->body, p, n);
}

/* Moves request body bytes from the client buffer toward the server. */
static int
request_body(struct exchange *x)
{
	struct client *c = x->c;
	const char *p = core_buf_head(&c->in);
	size_t take = 0;
	ssize_t used;
	int done = 0;

	switch (x->req_fr.kind) {
	case HTTP1_BODY_LENGTH:
		take = c->in.len < x->req_left ? c->in.len : (size_t)x->req_left;
		core_flow_body_append(&x->f->request->body, p, take);
		x->req_left -= take;
		done = x->req_left == 0;
		break;
	case HTTP1_BODY_CHUNKED:
		used = core_http1_chunked_scan(&x->req_ch, p, c->in.len,
		    req_body_data, x, &done);
		if (used < 0) {
			core_flow_error(x->f, "client sent malformed chunked "
			    "framing");
			send_error(c, 400, "Bad Request", "malformed chunked body");
			exchange_free(x);
			client_free(c, 0);
			return -1;
		}
		take = (size_t)used;
		break;
	default:
		done = 1;
		break;
	}
	if (!x->hold_req)
		up_write(x, p, take);
	else if (!x->f->request->body.truncated)
		core_buf_append(&x->held_body, p, take);
	core_buf_consume(&c->in, take);
	if (x->hold_req && x->f->request->body.truncated) {
		core_flow_error(x->f, "request body over 4 MiB is too large "
		    "to intercept");
		send_error(c, 413, "Content Too Large", x->f->error);
		exchange_free(x);
		client_free(c, 0);
		return -1;
	}
	if (done) {
		x->req_done = 1;
		x->f->request->t_end = core_now();
		if (x->up != NULL)
			x->f->t.request_sent = x->f->request->t_end;
		if (x->hold_req)
			pause_request(x);
	}
	return 0;
}

/* Writes the request head as the server should see it. */
static void
request_head_out(struct exchange *x, const char *path, int minor)
{
	const struct flow_request *r = x->f->request;
	const char *conn = core_flow_header_get(&r->headers, "connection");
	const char *host = r->host != NULL ? r->host : x->host;
	int port = r->port != 0 ? r->port : x->port;
	struct buf out = { 0 }, hv = { 0 };
	int have_host = 0;
	size_t i;

	/* The authority of the URL, for a Host field trawl writes. */
	core_buf_printf(&hv, strchr(host, ':') ? "[%s]" : "%s", host);
	if (port != (strcmp(x->scheme, "https") ? 80 : 443))
		core_buf_printf(&hv, ":%d", port);
	core_buf_append(&hv, "", 1);

	core_buf_printf(&out, "%s %s HTTP/1.%d\r\n", r->method, path, minor);
	for (i = 0; i < r->headers.n; i++) {
		const struct flow_header *h = &r->headers.v[i];

		if (x->upgrade && strcasecmp(h->name, "upgrade") == 0) {
			core_buf_field(&out, h->name, h->value);
			continue;
		}
		if (hop_by_hop(h->name, conn))
			continue;
		if (strcasecmp(h->name, "host") == 0) {
			if (have_host++)
				continue;
			/* An absolute-form target wins over Host (RFC 9112
			 * 3.2.2); otherwise Host goes as the client sent it. */
			if (x->absolute)
				core_buf_printf(&out, "Host: %s\r\n",
				    core_buf_head(&hv));
			else
				core_buf_printf(&out, "Host: %s\r\n", h->value);
			continue;
		}
		core_buf_field(&out, h->name, h->value);
	}
	if (!have_host)
		core_buf_printf(&out, "Host: %s\r\n", core_buf_head(&hv));
	if (x->upgrade)
		core_buf_printf(&out, "Connection: Upgrade\r\n");
	core_buf_printf(&out, "\r\n");
	up_write(x, core_buf_head(&out), out.len);
	core_buf_free(&out);
	core_buf_free(&hv);
}

static struct flow *
flow_for(struct client *c, enum flow_type type)
{
	struct flow *f = core_flow_new(type);

	core_flow_set(&f->client, c->addr);
	f->pid = c->pid;
	core_flow_set(&f->comm, c->comm);
	if (c->replay_of != 0) {
		f->replay = REPLAY_REQUEST;
		f->replay_of = c->replay_of;
	}
	if (c->tls && c->s != NULL)
		core_tlsrecord_fill(c->s, &f->client_tls);
	return f;
}

/*
 * 101 Switching Protocols: the head goes to the client, then both streams
 * become a raw relay that records the bytes each way on the same flow.
 */
static void
switch_protocols(struct exchange *x, size_t head_len)
{
	struct flow_response *fr = x->f->response;
	struct client *c = x->c;
	struct stream *cs = c->s, *us = x->up->s;
	struct flow *f = x->f;
	struct buf out = { 0 }, pre = c->in;
	size_t i;

	core_buf_printf(&out, "HTTP/1.1 101 %s\r\n", fr->reason);
	for (i = 0; i < fr->headers.n; i++) {
		const struct flow_header *h = &fr->headers.v[i];

		if (strcasecmp(h->name, "upgrade") == 0 ||
		    !hop_by_hop(h->name, core_flow_header_get(&fr->headers,
		    "connection")))
			core_buf_field(&out, h->name, h->value);
	}
	core_buf_printf(&out, "Connection: Upgrade\r\n\r\n");
	core_buf_consume(&x->rin, head_len);
	/* Whatever the server sent after the head is the new protocol's. */
	if (x->rin.len > 0) {
		core_buf_append(&out, core_buf_head(&x->rin), x->rin.len);
		core_flow_body_append(&f->down, core_buf_head(&x->rin),
		    x->rin.len);
	}
	core_stream_write(cs, core_buf_head(&out), out.len);
	core_buf_free(&out);
	fr->t_end = core_now();
	core_store_update(f);
	x->up->s = NULL;
	x->f = NULL;
	memset(&c->in, 0, sizeof c->in);
	c->s = NULL;
	exchange_free(x);
	client_free(c, 0);
	core_tunnel_start(cs, us, f, core_buf_head(&pre), pre.len, 0);
	core_buf_free(&pre);
}

/* CONNECT host:port: answer 200 once the server is reached, then relay. */
static void
tunnel_open(struct exchange *x)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct client *c = x->c;
	struct stream *cs = c->s, *us = x->up->s;
	struct flow *f = x->f;
	struct buf pre = c->in;

	char *addr = strdup(x->up->addr), *host = strdup(x->host);
	int port = x->port;

	core_flow_set(&f->server, x->up->addr);
	core_stream_write(cs, ok, sizeof ok - 1);
	/* What the tunnel carries decides what becomes of the streams and
	 * the flow: TLS is intercepted, HTTP parsed, the rest relayed. */
	x->up->s = NULL;
	x->f = NULL;
	memset(&c->in, 0, sizeof c->in);
	c->s = NULL;
	exchange_free(x);
	client_free(c, 0);
	core_sniff_start(cs, us, addr, f, host, port, core_buf_head(&pre),
	    pre.len, core_proxy_accept);
	core_buf_free(&pre);
	free(addr);
	free(host);
}

/* Parses one request head from the client buffer and starts it. */
static int
request_start(struct client *c)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_request r;
	struct flow_request *fr;
	struct exchange *x;
	struct url u;
	const char *cause, *path;
	size_t path_len, i;
	int n, is_connect;

	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_request(core_buf_head(&c->in), c->in.len, &r);
	if (n == -2 && c->in.len < LIMIT_HTTP_HEAD)
		return 1;

	x = calloc(1, sizeof *x);
	if (x == NULL)
		abort();
	x->c = c;
	c->x = x;
	x->f = flow_for(c, FLOW_HTTP);
	x->f->request = fr = core_flow_request_new();
	fr->t_start = core_now();
	c->nreq++;
	if (n < 0) {
		core_flow_set(&fr->method, "?");
		x_store(x);
		core_flow_error(x->f, n == -2 ? "request head too large" :
		    "malformed request head");
		send_error(c, n == -2 ? 431 : 400, n == -2 ?
		    "Request Header Fields Too Large" : "Bad Request",
		    x->f->error);
		exchange_free(x);
		client_free(c, 0);
		return -1;
	}
	/* The head is complete: its deadline is over, the exchange has the
	 * idle time (a slow server is waited for). */
	core_loop_timer_set(c->idle, LIMIT_IDLE_CLIENT_SEC);
	fr->method = core_flow_strndup(r.method, r.method_len);
	fr->version = strdup(r.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&fr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	x->method = strdup(fr->method);
	is_connect = core_http1_token_eq(r.method, r.method_len, "CONNECT");

	memset(&u, 0, sizeof u);
	cause = NULL;
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
		x->absolute = 1;
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
	if (cause == NULL && core_http1_request_framing(&r, &x->req_fr,
	    &cause) == 0)
		cause = NULL;

	if (cause == NULL) {
		x->scheme = core_flow_strndup(u.scheme, u.scheme_len);
		for (i = 0; x->scheme[i] != '\0'; i++)
			x->scheme[i] = (char)(x->scheme[i] | 0x20);
		fr->scheme = strdup(x->scheme);
		fr->host = core_flow_strndup(u.host, u.host_len);
		fr->port = u.port;
		/* A transparent client (or one in a tunnel) goes where it was
		 * going, whatever its Host field says; the URL shows Host. */
		x->host = strdup(c->dest_host != NULL && !is_connect ?
		    c->dest_host : fr->host);
		x->port = c->dest_host != NULL && !is_connect ? c->dest_port :
		    fr->port;
		if (strcmp(x->scheme, "https") == 0)
			x->tls_name = strdup(c->sni != NULL ? c->sni : fr->host);
		path = u.path;
		path_len = u.path_len;
		fr->path = core_flow_strndup(path, path_len);
	} else if (r.target_len > 0)
		fr->path = core_flow_strndup(r.target, r.target_len);
	core_buf_consume(&c->in, (size_t)n);

	if (cause != NULL) {
		x_store(x);
		core_flow_error(x->f, "bad request: %s", cause);
		send_error(c, 400, "Bad Request", x->f->error);
		exchange_free(x);
		client_free(c, 0);
		return -1;
	}
	if (!wants_keepalive(&fr->headers, r.minor) || c->close_after_first)
		c->close_after = 1;
	{
		const char *conn = core_flow_header_get(&fr->headers,
		    "connection");

		/* WebSocket and other upgrades: passed on, then relayed. */
		x->upgrade = !is_connect && r.minor == 1 && conn != NULL &&
		    core_http1_list_has(conn, strlen(conn), "upgrade") &&
		    core_flow_header_get(&fr->headers, "upgrade") != NULL;
	}

	if (is_connect) {
		x->f->type = FLOW_TCP;
		x->state = X_TUNNEL_WAIT;
		x->f->t.dns_start = core_now();
		/* The client is still read (what it sends early waits in
		 * c->in), so its close or reset ends the connect at once. */
		x->connecting = core_connect_start(core_loop, x->host, x->port,
		    on_connected, x);
		return -1;	/* nothing more to parse on this connection */
	}
	x_store(x);
	x->minor = r.minor;
	x->req_left = x->req_fr.length;
	x->req_done = x->req_fr.kind == HTTP1_BODY_NONE;
	if (x->req_done)
		fr->t_end = fr->t_start;
	if (core_intercept_wants(x->f, INTERCEPT_REQUEST)) {
		/* Nothing goes upstream until the user lets it. */
		x->hold_req = 1;
		if (x->req_done)
			pause_request(x);
		return 0;
	}
	request_head_out(x, fr->path, r.minor);
	return up_connect(x);	/* -1: c is gone */
}

/* --- intercept ---------------------------------------------------------- */

static void
unpause(struct exchange *x)
{
	core_loop_timer_free(x->pause_timer);
	x->pause_timer = NULL;
	if (x->held && x->f != NULL)
		core_intercept_unhold(x->f);
	x->held = 0;
}

static int	exchange_resume(void *, char **);
static int	exchange_kill(void *, char **);
static const struct intercept_hold_ops hold_ops = {
	exchange_resume, exchange_kill
};

static void
pause_expired(void *arg)
{
	struct exchange *x = arg;

	core_intercept_resume(x->f, NULL);
}

static void
pause_flow(struct exchange *x, enum flow_state state)
{
	double timeout = core_intercept_timeout();

	x->f->state = state;
	x->held = 1;
	core_intercept_hold(x->f, &hold_ops, x);
	if (timeout > 0) {
		x->pause_timer = core_loop_timer_new(core_loop, pause_expired, x);
		core_loop_timer_set(x->pause_timer, timeout);
	}
	/* A paused exchange waits on the user, not on its peers. */
	core_loop_timer_stop(x->c->idle);
	core_store_update(x->f);
}

static void
pause_request(struct exchange *x)
{
	pause_flow(x, FLOW_PAUSED_REQUEST);
}

/* The whole response is in: the server's part is done. */
static void
pause_response(struct exchange *x)
{
	struct upstream *u = x->up;

	x->f->response->t_end = core_now();
	x->up = NULL;
	if (u != NULL) {
		u->owner = NULL;
		if (x->up_close || !x->req_done)
			core_pool_release(u, 0);
		else
			core_pool_put(&x->c->pool, u);
	}
	pause_flow(x, FLOW_PAUSED_RESPONSE);
}

/* Writes the flow's (possibly edited) response to the client. */
static void
answer_from_flow(struct exchange *x)
{
	struct flow_response *r = x->f->response;
	struct client *c = x->c;
	struct buf out = { 0 };
	int bodyless = r->status < 200 || r->status == 204 || r->status == 304;
	int head = strcmp(x->method, "HEAD") == 0;

	if (!head)
		core_flow_headers_frame(&r->headers, r->body.len, !bodyless);
	status_head(&out, 1, r, c->close_after);
	core_stream_write(c->s, core_buf_head(&out), out.len);
	core_buf_free(&out);
	if (!bodyless && !head && r->body.len > 0)
		core_stream_write(c->s, r->body.data, r->body.len);
	x->sent_any = 1;
}

/* Whether an edit changed where the request goes. */
static int
retargeted(const struct flow_request *was, const struct flow_request *now)
{
	if (was == NULL)
		return 0;
	return was->port != now->port ||
	    strcmp(was->host ? was->host : "", now->host ? now->host : "") ||
	    strcmp(was->scheme ? was->scheme : "", now->scheme ? now->scheme : "");
}

/* intercept.c took the hold off before calling either of these. */
static int
exchange_resume(void *arg, char **cause)
{
	struct exchange *x = arg;
	struct flow *f = x->f;
	struct flow_request *r;

	x->held = 0;
	unpause(x);
	f->state = FLOW_ACTIVE;
	core_loop_timer_set(x->c->idle, LIMIT_IDLE_CLIENT_SEC);
	if (x->hold_resp) {
		/* The response stage: the server is done, answer. */
		x->hold_resp = 0;
		answer_from_flow(x);
		exchange_done(x);
		return 0;
	}
	x->hold_req = 0;
	if (f->response != NULL) {
		/* A response set by the user: the server is never asked. */
		f->response->t_start = f->response->t_end = core_now();
		answer_from_flow(x);
		x->req_done = 1;
		x->up_close = 1;
		exchange_done(x);
		return 0;
	}
	/* The request stage: send the (possibly edited) request. */
	r = f->request;
	free(x->method);
	x->method = strdup(r->method);
	if (retargeted(f->orig_request, r)) {
		/* The user pointed the request elsewhere: go there. */
		free(x->host);
		free(x->scheme);
		free(x->tls_name);
		x->host = strdup(r->host != NULL ? r->host : "");
		x->scheme = strdup(r->scheme != NULL ? r->scheme : "http");
		x->port = r->port;
		x->tls_name = strcmp(x->scheme, "https") == 0 ?
		    strdup(x->host) : NULL;
		x->absolute = 1;	/* Host follows the new URL */
	}
	if (f->modified) {
		/* Edited: the body is what the user wrote, framed by length
		 * (the fields they left alone keep their order). */
		core_flow_headers_frame(&r->headers, r->body.len,
		    r->body.len > 0 || x->req_fr.kind != HTTP1_BODY_NONE);
		request_head_out(x, r->path != NULL ? r->path : "/", x->minor);
		if (r->body.len > 0)
			up_write(x, r->body.data, r->body.len);
	} else {
		/* Untouched: sent as it came, framing and all. */
		request_head_out(x, r->path != NULL ? r->path : "/", x->minor);
		if (x->held_body.len > 0)
			up_write(x, core_buf_head(&x->held_body),
			    x->held_body.len);
	}
	core_buf_free(&x->held_body);
	x->req_done = 1;
	core_store_update(f);
	up_connect(x);
	client_process(x->c);
	return 0;
}

static int
exchange_kill(void *arg, char **cause)
{
	struct exchange *x = arg;

	x->held = 0;
	unpause(x);
	exchange_fail(x, 502, "Bad Gateway", "%s", "killed by the user");
	return 0;
}

/* Parses and forwards what the client sent, as far as it can go now. */
static void
client_process(struct client *c)
{
	for (;;) {
		struct exchange *x = c->x;

		if (x == NULL) {
			if (c->close_after || c->in.len == 0)
				break;
			if (request_start(c) != 0)
				return;	/* waiting for more, or c is gone */
			continue;
		}
		if (x->state == X_TUNNEL_WAIT || x->req_done || c->in.len == 0 ||
		    x->f->state == FLOW_PAUSED_REQUEST)
			break;
		if (request_body(x) == -1)
			return;
		if (x->req_done && x->f->t.request_sent == 0 && x->up != NULL)
			x->f->t.request_sent = core_now();
		if (up_pending(x) > LIMIT_CONN_BUFFER)
			break;
	}
	if (c->s == NULL)
		return;
	/* Back-pressure: stop reading while the server is slow or requests
	 * pile up behind the current one. */
	if (c->eof || (c->x != NULL && up_pending(c->x) > LIMIT_CONN_BUFFER) ||
	    c->in.len > LIMIT_CONN_BUFFER)
		core_stream_pause(c->s, 1);
	else
		core_stream_pause(c->s, 0);
}

/* --- the client connection ---------------------------------------------- */

static void
client_free(struct client *c, int abort_conn)
{
	if (c->x != NULL) {
		struct exchange *x = c->x;

		x->c = NULL;
		c->x = NULL;
		exchange_free(x);
	}
	if (c->s != NULL) {
		if (abort_conn)
			core_stream_abort(c->s);
		else
			core_stream_close(c->s);
	}
	core_pool_clear(&c->pool);
	core_loop_timer_free(c->idle);
	core_buf_free(&c->in);
	free(c->addr);
	free(c->comm);
	free(c->dest_host);
	free(c->sni);
	free(c->up_error);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	nclients--;
}

static void
client_data(void *arg, const char *p, size_t n)
{
	struct client *c = arg;

	/* A request head has LIMIT_HEAD_SEC from its first byte, however
	 * slowly it trickles in; a body keeps the connection alive. */
	if (c->x != NULL)
		core_loop_timer_set(c->idle, LIMIT_IDLE_CLIENT_SEC);
	else if (c->in.len == 0)
		core_loop_timer_set(c->idle, LIMIT_HEAD_SEC);
	core_buf_append(&c->in, p, n);
	client_process(c);
}

static void
client_drain(void *arg)
{
	struct client *c = arg;

	core_loop_timer_set(c->idle, LIMIT_IDLE_CLIENT_SEC);
	if (c->x != NULL && c->x->up != NULL && c->x->head_done)
		core_stream_pause(c->x->up->s, 0);
}

/* A TLS client that never got to a request: the handshake failed. */
static void
tls_failed(struct client *c, const char *why)
{
	struct flow *f;
	char server[300];

	if (!c->tls || c->nreq > 0 || core_tls_established(c->s))
		return;
	f = flow_for(c, FLOW_TCP);
	core_tlsrecord_fill(c->s, &f->client_tls);
	snprintf(server, sizeof server, strchr(c->dest_host, ':') ?
	    "[%s]:%d" : "%s:%d", c->dest_host, c->dest_port);
	core_flow_set(&f->server, server);
	core_store_add(f);
	core_flow_error(f, "TLS handshake with the client failed: %s", why);
	core_store_finish(f);
	if (core_tls_cert_rejected(c->s))
		core_mitm_client_refused(f->client_tls.sni != NULL &&
		    f->client_tls.sni[0] ? f->client_tls.sni : c->dest_host);
}

/* The client is gone before its exchange ended. */
static void
client_gone(struct client *c, const char *why)
{
	if (c->x != NULL) {
		c->x->f->client_gone = 1;
		core_flow_error(c->x->f, "client disconnected: %s", why);
	}
	client_free(c, 1);
}

static void
client_eof(void *arg)
{
	struct client *c = arg;

	c->eof = 1;
	if (c->x == NULL) {
		tls_failed(c, "the client closed the connection");
		if (c->in.len > 0) {
			/* A partial request head, then nothing. */
			struct flow *f = flow_for(c, FLOW_HTTP);

			f->request = core_flow_request_new();
			core_flow_set(&f->request->method, "?");
			core_store_add(f);
			core_flow_error(f, "client closed the connection "
			    "mid-request");
			core_store_finish(f);
		}
		client_free(c, 0);
		return;
	}
	if (!c->x->req_done || c->x->state == X_TUNNEL_WAIT) {
		client_gone(c, "closed mid-request");
		return;
	}
	core_stream_pause(c->s, 1);	/* the response still goes back */
}

static void
client_error(void *arg, const char *msg)
{
	tls_failed(arg, msg);
	client_gone(arg, msg);
}

static void
client_idle(void *arg)
{
	struct client *c = arg;

	if (c->x != NULL) {
		core_flow_error(c->x->f, "idle timeout after %d s",
		    LIMIT_IDLE_CLIENT_SEC);
		exchange_fail(c->x, c->x->head_done ? 0 : 504,
		    "Gateway Timeout", "%s", "server did not answer in time");
		return;
	}
	if (c->in.len > 0) {
		/* Part of a head, and no more of it in time (slowloris). */
		struct flow *f = flow_for(c, FLOW_HTTP);

		f->request = core_flow_request_new();
		core_flow_set(&f->request->method, "?");
		core_store_add(f);
		core_flow_error(f, "request head not complete after %d s",
		    LIMIT_HEAD_SEC);
		core_store_finish(f);
		send_error(c, 408, "Request Timeout", f->error);
	}
	client_free(c, 0);
}

/*
 * A transparent client's upstream went while idle. After requests, the
 * server closed a keep-alive connection: the program's own connection
 * ends with it, as it would without trawl. Before any (its TLS handshake
 * failed, say), the client's first request is answered with why. An
 * exchange in the making (paused by the user) connects afresh.
 */
static void
server_left(void *arg, int used, const char *why)
{
	struct client *c = arg;

	if (c->dest_host == NULL)
		return;
	if (!used && c->up_error == NULL) {
		c->up_error = strdup(why);
		return;
	}
	if (c->x == NULL)
		client_free(c, 0);
}

void
core_proxy_accept(struct stream *s, const struct proxy_origin *o)
{
	struct client *c = calloc(1, sizeof *c);
	struct stream_cbs cbs = {
		client_data, client_drain, client_eof, client_error, c
	};

	if (c == NULL)
		abort();
	if (o->dest_host != NULL && o->scheme == NULL) {
		/* Transparent, protocol unknown: look at the bytes first. */
		struct flow *f = core_flow_new(FLOW_TCP);
		char server[300];

		free(c);
		core_flow_set(&f->client, o->client);
		f->pid = o->pid;
		core_flow_set(&f->comm, o->comm);
		snprintf(server, sizeof server, strchr(o->dest_host, ':') ?
		    "[%s]:%d" : "%s:%d", o->dest_host, o->dest_port);
		core_flow_set(&f->server, server);
		core_sniff_start(s, NULL, NULL, f, o->dest_host, o->dest_port,
		    o->pre, o->prelen, core_proxy_accept);
		return;
	}
	nclients++;
	c->next = clients;
	if (clients != NULL)
		clients->prev = c;
	clients = c;
	c->s = s;
	c->scheme = o->scheme != NULL && strcmp(o->scheme, "https") == 0 ?
	    "https" : "http";
	c->tls = core_tls_is(s);
	c->sni = o->sni != NULL && o->sni[0] != '\0' ? strdup(o->sni) : NULL;
	c->addr = strdup(o->client != NULL ? o->client : "?");
	c->pid = o->pid;
	c->comm = o->comm != NULL ? strdup(o->comm) : NULL;
	c->replay_of = o->replay_of;
	if (o->dest_host != NULL) {
		c->dest_host = strdup(o->dest_host);
		c->dest_port = o->dest_port;
	}
	if (o->one_request)
		c->close_after_first = 1;
	c->pool.reap = c->dest_host == NULL;
	c->pool.gone = server_left;
	c->pool.arg = c;
	if (o->upstream != NULL)
		core_pool_put(&c->pool, core_pool_upstream_new(o->upstream,
		    c->scheme, c->dest_host, c->dest_port,
		    c->sni != NULL ? c->sni : c->dest_host, o->upstream_addr));
	c->idle = core_loop_timer_new(core_loop, client_idle, c);
	/* Bytes the sniffer already read start a head: its deadline runs. */
	core_loop_timer_set(c->idle, o->prelen > 0 ? LIMIT_HEAD_SEC :
	    LIMIT_IDLE_CLIENT_SEC);
	core_stream_set_cbs(s, &cbs);
	core_stream_pause(s, 0);
	if (o->prelen > 0) {
		core_buf_append(&c->in, o->pre, o->prelen);
		client_process(c);
	}
}

void
core_proxy_shutdown(void)
{
	while (clients != NULL)
		client_free(clients, 1);
}
