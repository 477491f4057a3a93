/*
 * sniff.c -- decide, from the client's first bytes, what a stream is.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/pool.h"
#include "core/proxy/sniff.h"
#include "core/proxy/tunnel.h"
#include "core/tls/ca.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"
#include "core/tls/tls_peek.h"

/* A client that says nothing this long waits for the server to speak. */
#define SNIFF_WAIT_SEC 1.0

struct sniff {
	struct stream		*cs;
	struct stream		*us;
	char			*us_addr;
	struct flow		*f;
	char			*host;
	int			 port;
	struct buf		 in;
	struct loop_timer	*timer;
	struct connect		*connecting;
	int			 decided;
	proxy_accept_fn		 http;		/* where HTTP goes on */
};

static void
sniff_free(struct sniff *sn)
{
	core_loop_timer_free(sn->timer);
	if (sn->connecting != NULL)
		core_connect_cancel(sn->connecting);
	core_buf_free(&sn->in);
	free(sn->us_addr);
	free(sn->host);
	free(sn);
}

/* The flow is over before it began: record why, drop both sides. */
static void
give_up(struct sniff *sn, const char *why)
{
	core_store_add(sn->f);
	core_flow_error(sn->f, "%s", why);
	core_store_finish(sn->f);
	core_stream_abort(sn->cs);
	if (sn->us != NULL)
		core_stream_abort(sn->us);
	sniff_free(sn);
}

static void
tunnel(struct sniff *sn)
{
	core_flow_set(&sn->f->server, sn->us_addr);
	core_store_add(sn->f);
	core_tunnel_start(sn->cs, sn->us, sn->f, core_buf_head(&sn->in),
	    sn->in.len);
	sn->cs = sn->us = NULL;
	sniff_free(sn);
}

static void
on_connected(void *arg, const struct connect_result *r)
{
	struct sniff *sn = arg;
	struct stream *s;

	sn->connecting = NULL;
	sn->f->t.dns_end = r->dns_end;
	if (r->error != NULL) {
		core_flow_set(&sn->f->server, r->addr[0] ? r->addr : NULL);
		give_up(sn, r->error);
		return;
	}
	sn->f->t.connect_end = r->connect_end;
	if ((s = core_sockstream_new(core_loop, r->fd)) == NULL) {
		give_up(sn, "out of descriptors");
		return;
	}
	sn->us = s;
	sn->us_addr = strdup(r->addr);
	tunnel(sn);
}

/* Raw relay: once there is an upstream. */
static void
go_raw(struct sniff *sn)
{
	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	core_stream_pause(sn->cs, 1);
	if (sn->us != NULL) {
		tunnel(sn);
		return;
	}
	sn->f->t.dns_start = core_now();
	sn->connecting = core_connect_start(core_loop, sn->host, sn->port,
	    on_connected, sn);
}

/* Hands an upstream already connected to the pool for the HTTP layer. */
static void
pool_upstream(struct sniff *sn, struct stream *s, const char *scheme,
    const char *name)
{
	struct upstream *u = calloc(1, sizeof *u);

	if (u == NULL)
		abort();
	u->s = s;
	u->host = strdup(sn->host);
	u->scheme = strdup(scheme);
	u->name = name != NULL ? strdup(name) : NULL;
	u->addr = strdup(sn->us_addr != NULL ? sn->us_addr : "");
	u->port = sn->port;
	core_pool_put(u);
}

static void
go_http(struct sniff *sn, struct stream *cs, const char *scheme,
    const char *sni, const char *pre, size_t prelen)
{
	struct proxy_origin o;

	memset(&o, 0, sizeof o);
	o.client = sn->f->client;
	o.dest_host = sn->host;
	o.dest_port = sn->port;
	o.pid = sn->f->pid;
	o.comm = sn->f->comm;
	o.scheme = scheme;
	o.sni = sni;
	o.pre = pre;
	o.prelen = prelen;
	sn->http(cs, &o);
	core_flow_free(sn->f);
	sniff_free(sn);
}

static int
is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 ||
	    inet_pton(AF_INET6, host, b) == 1;
}

static void
go_tls(struct sniff *sn, const struct tls_hello *h)
{
	const char *sni = h->has_sni && h->sni[0] ? h->sni : NULL;
	struct stream *cs, *us = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *cause = NULL;

	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	if (core_mitm_ca() == NULL ||
	    core_mitm_ignored(sn->host, sn->port, sni)) {
		/* Passthrough: the client sees the server's own certificate. */
		sn->f->client_tls.present = 1;
		sn->f->server_tls.passthrough = 1;
		core_flow_set(&sn->f->client_tls.sni, sni);
		go_raw(sn);
		return;
	}
	/* Without SNI the leaf is for the host asked for (CONNECT's name). */
	if (core_ca_leaf(core_mitm_ca(), sni != NULL ? sni : sn->host,
	    is_ip(sn->host) ? sn->host : NULL, NULL, &cert, &key, &cause) == -1) {
		give_up(sn, cause != NULL ? cause : "cannot make a certificate");
		free(cause);
		return;
	}
	cs = core_tls_server_new(core_loop, sn->cs, core_mitm_server_ctx(),
	    cert, key, core_buf_head(&sn->in), sn->in.len, &cause);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (cs == NULL) {
		give_up(sn, cause != NULL ? cause : "TLS setup failed");
		free(cause);
		return;
	}
	sn->cs = cs;
	if (sn->us != NULL) {
		/* The tunnel's connection becomes the first https upstream. */
		us = core_tls_client_new(core_loop, sn->us,
		    core_mitm_client_ctx(), sni != NULL ? sni : sn->host,
		    "http/1.1", &cause);
		if (us != NULL)
			pool_upstream(sn, us, "https",
			    sni != NULL ? sni : sn->host);
		else
			core_stream_abort(sn->us);
		free(cause);
		sn->us = NULL;
	}
	core_buf_free(&sn->in);
	go_http(sn, cs, "https", sni, NULL, 0);
}

/* An HTTP/1 request line starts with a method token and a space. */
static int
looks_like_http(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 20; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (p[i] < 'A' || p[i] > 'Z')
			return 0;
	}
	return n < 20 ? -1 : 0;	/* -1: cannot tell yet */
}

static void
decide(struct sniff *sn)
{
	const char *p = core_buf_head(&sn->in);
	struct tls_hello h;
	ssize_t n;
	int http;

	if (sn->in.len == 0)
		return;
	if ((unsigned char)p[0] == 0x16) {
		n = core_tls_peek(p, sn->in.len, &h);
		if (n == -2 && sn->in.len < LIMIT_TLS_HELLO)
			return;
		if (n >= 0) {
			go_tls(sn, &h);
			return;
		}
		go_raw(sn);	/* not TLS after all, or a hello too big */
		return;
	}
	http = looks_like_http(p, sn->in.len);
	if (http == -1)
		return;
	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	if (http) {
		struct buf pre = sn->in;

		if (sn->us != NULL)
			pool_upstream(sn, sn->us, "http", NULL);
		sn->us = NULL;
		memset(&sn->in, 0, sizeof sn->in);
		go_http(sn, sn->cs, "http", NULL, core_buf_head(&pre), pre.len);
		core_buf_free(&pre);
		return;
	}
	go_raw(sn);
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct sniff *sn = arg;

	core_buf_append(&sn->in, p, n);
	if (!sn->decided)
		decide(sn);
	else if (sn->in.len > LIMIT_CONN_BUFFER)
		core_stream_pause(sn->cs, 1);	/* waiting for the upstream */
}

static void
on_eof(void *arg)
{
	struct sniff *sn = arg;

	if (sn->decided) {
		/* Connecting for a raw relay: the tunnel sees the EOF later. */
		core_stream_pause(sn->cs, 1);
		return;
	}
	if (sn->in.len > 0 || sn->us != NULL)
		go_raw(sn);
	else
		give_up(sn, "client closed the connection without sending");
}

static void
on_error(void *arg, const char *msg)
{
	struct sniff *sn = arg;

	sn->f->client_gone = 1;
	give_up(sn, msg);
}

static void
on_quiet(void *arg)
{
	struct sniff *sn = arg;

	if (!sn->decided)
		go_raw(sn);
}

static void
up_gone(void *arg, const char *msg)
{
	struct sniff *sn = arg;

	give_up(sn, msg);
}

static void
up_eof(void *arg)
{
	struct sniff *sn = arg;

	/* The server spoke first and left: relay what there is. */
	if (!sn->decided)
		go_raw(sn);
}

static void
up_data(void *arg, const char *p, size_t n)
{
	struct sniff *sn = arg;

	/* The server speaks first: it is not HTTP or TLS from this client.
	 * The tunnel must see these bytes, so hand them over raw. */
	core_stream_pause(sn->us, 1);
	if (!sn->decided) {
		core_flow_body_append(&sn->f->down, p, n);
		core_stream_write(sn->cs, p, n);
		go_raw(sn);
	}
}

void
core_sniff_start(struct stream *client, struct stream *upstream,
    const char *upstream_addr, struct flow *f, const char *host, int port,
    const char *pre, size_t prelen, proxy_accept_fn http)
{
	struct sniff *sn = calloc(1, sizeof *sn);
	struct stream_cbs cbs = { on_data, NULL, on_eof, on_error, sn };
	struct stream_cbs ucbs = { up_data, NULL, up_eof, up_gone, sn };

	if (sn == NULL)
		abort();
	sn->cs = client;
	sn->us = upstream;
	sn->us_addr = upstream_addr != NULL ? strdup(upstream_addr) : NULL;
	sn->f = f;
	sn->http = http;
	sn->host = strdup(host);
	sn->port = port;
	sn->timer = core_loop_timer_new(core_loop, on_quiet, sn);
	core_stream_set_cbs(client, &cbs);
	if (upstream != NULL) {
		core_stream_set_cbs(upstream, &ucbs);
		core_stream_pause(upstream, 0);
	}
	core_buf_append(&sn->in, pre, prelen);
	core_loop_timer_set(sn->timer, SNIFF_WAIT_SEC);
	core_stream_pause(client, 0);
	if (prelen > 0)
		decide(sn);
}
