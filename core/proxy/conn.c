/*
 * conn.c -- a client connection's state and its upstream connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/connect.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h1up.h"
#include "core/proxy/h2up.h"
#include "core/proxy/h3up.h"
#include "core/proxy/mode.h"
#include "core/proxy/tlsrecord.h"
#include "core/proxy/upstream.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"

/* An exchange waiting for an upstream: being connected, or about to be
 * handed one (deferred to the end of the current callback, so that the
 * answer never comes inside the asking call). */
struct upwait {
	struct conn		*c;
	struct exchange		*x;
	struct connect		*connecting;
	struct stream		*tls;		/* handshaking, for ALPN */
	char			*addr;
	struct upstream		*ready;		/* to hand over */
	char			*error;		/* or why not */
	int			 deferred;	/* choose() is queued */
	int			 dead;		/* freed while queued */
	int			 fresh;		/* never reuse (a retry) */
	int			 parked;	/* behind another's connect */
	int			 no_park;
	struct upwait		*next;
};

static struct conn	*conns;
static int		 nconns;

static char *
xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		abort();
	return d;
}

static void	server_left(void *, int, const char *);
static void	choose(void *);

struct conn *
core_conn_new(struct stream *s, const struct proxy_origin *o)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		abort();
	c->s = s;
	c->scheme = o->scheme != NULL && strcmp(o->scheme, "https") == 0 ?
	    "https" : "http";
	c->tls = core_tls_is(s);
	c->sni = o->sni != NULL && o->sni[0] != '\0' ? xstrdup(o->sni) : NULL;
	c->addr = xstrdup(o->client != NULL ? o->client : "?");
	c->pid = o->pid;
	c->comm = xstrdup(o->comm);
	c->replay_of = o->replay_of;
	c->one_request = o->one_request;
	c->h2 = o->h2;
	c->mode = o->mode;
	if (o->dest_host != NULL) {
		c->dest_host = xstrdup(o->dest_host);
		c->dest_port = o->dest_port;
	}
	if (o->upstream_error != NULL)
		c->up_error = xstrdup(o->upstream_error);
	c->pool.reap = c->dest_host == NULL;
	c->pool.gone = server_left;
	c->pool.arg = c;
	if (o->upstream != NULL && !o->upstream_h2)
		core_pool_put(&c->pool, core_pool_upstream_new(o->upstream,
		    c->scheme, c->dest_host, c->dest_port,
		    c->sni != NULL ? c->sni : c->dest_host, o->upstream_addr));
	else if (o->upstream != NULL) {
		struct h2up *u = core_h2up_new(c, o->upstream, c->scheme,
		    c->dest_host, c->dest_port, o->upstream_addr);

		if (u != NULL && o->upstream_prelen > 0)
			core_h2up_feed(u, o->upstream_pre, o->upstream_prelen);
	}
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	nconns++;
	return c;
}

static void
wait_free(struct upwait *w)
{
	struct upwait **p;

	for (p = &w->c->waits; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	if (w->connecting != NULL)
		core_connect_cancel(w->connecting);
	if (w->tls != NULL)
		core_stream_abort(w->tls);
	core_pool_release(w->ready, 1);
	free(w->addr);
	free(w->error);
	w->addr = w->error = NULL;
	w->ready = NULL;
	/* A queued choose() still holds w: it frees it. */
	if (w->deferred)
		w->dead = 1;
	else
		free(w);
}

void
core_conn_free(struct conn *c)
{
	while (c->waits != NULL)
		wait_free(c->waits);
	core_pool_clear(&c->pool);
	while (c->h2ups != NULL)
		core_h2up_close(c->h2ups);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nconns--;
	free(c->addr);
	free(c->comm);
	free(c->dest_host);
	free(c->sni);
	free(c->up_error);
	free(c);
}

struct flow *
core_conn_flow(struct conn *c, enum flow_type type)
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
		core_tlsrecord_fill(c->s, core_flow_client_tls_w(f));
	if (c->mode != NULL)
		core_flow_set(&f->mode, c->mode->spec);
	return f;
}

void
core_conn_server(const struct conn *c, char *buf, size_t len)
{
	snprintf(buf, len, c->dest_host != NULL && strchr(c->dest_host, ':') ?
	    "[%s]:%d" : "%s:%d", c->dest_host != NULL ? c->dest_host : "?",
	    c->dest_port);
}

int
core_conn_count(void)
{
	return nconns;
}

int
core_conn_make_room(void)
{
	struct conn *c, *victim = NULL;

	/* The list is newest first: the last idle one waited longest. */
	for (c = conns; c != NULL; c = c->next)
		if (c->codec_ops != NULL && c->codec_ops->idle(c->codec))
			victim = c;
	if (victim == NULL)
		return -1;
	victim->codec_ops->close(victim->codec, 0);
	return 0;
}

void
core_conn_close_all(void)
{
	while (conns != NULL && conns->codec_ops != NULL)
		conns->codec_ops->close(conns->codec, 1);
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
	struct conn *c = arg;

	if (c->dest_host == NULL)
		return;
	if (!used && c->up_error == NULL) {
		c->up_error = xstrdup(why);
		return;
	}
	if (c->codec_ops != NULL && c->codec_ops->idle(c->codec))
		c->codec_ops->close(c->codec, 0);
}

/* --- getting an upstream -------------------------------------------------- */

/* The answer, outside the asking call. */
static void
deliver(void *arg)
{
	struct upwait *w = arg;
	struct exchange *x = w->x;
	struct conn *c = w->c;
	struct upstream *u = w->ready;
	struct flow *f = core_exchange_flow(x);
	char *error = w->error, *addr = w->addr;
	struct h2up *h2;

	w->ready = NULL;
	w->error = NULL;
	w->addr = NULL;
	wait_free(w);
	if (error != NULL) {
		core_exchange_up_failed(x, error, f->t.dns_end, addr);
		free(error);
		free(addr);
		return;
	}
	free(addr);
	if (u == NULL && c->h3up != NULL) {
		core_h3up_attach(c->h3up, x);
		return;
	}
	if (u == NULL) {
		/* An HTTP/2 upstream of this conn takes it as a stream. */
		h2 = core_h2up_find(c, core_exchange_target(x));
		if (h2 == NULL)
			core_exchange_up_failed(x, "the server's HTTP/2 "
			    "connection is gone", 0, NULL);
		else
			core_h2up_attach(h2, x);
		return;
	}
	if (f->t.connect_end == 0)
		f->t.dns_end = f->t.connect_end = f->t.dns_start;
	core_h1up_attach(c, u, x);
}

static struct upwait *
wait_new(struct conn *c, struct exchange *x)
{
	struct upwait *w = calloc(1, sizeof *w);

	if (w == NULL)
		abort();
	w->c = c;
	w->x = x;
	w->next = c->waits;
	c->waits = w;
	return w;
}

static void	unpark(struct conn *, const struct xtarget *);

static void
wait_fail(struct upwait *w, const char *why)
{
	free(w->error);
	w->error = xstrdup(why);
	unpark(w->c, core_exchange_target(w->x));
	deliver(w);
}

/* The ALPN offered to a server: what the client speaks; a replay (a
 * client that is no one) goes out over what the server prefers. */
static const char *
offer(const struct conn *c)
{
	return c->h2 || c->one_request ? "h2,http/1.1" : "http/1.1";
}

static int
same_target(const struct xtarget *a, const struct xtarget *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0 &&
	    strcmp(a->scheme, b->scheme) == 0;
}

/* w's connect is over: those parked behind it choose again (an HTTP/2
 * connection carries them all; else each goes its own way). */
static void
unpark(struct conn *c, const struct xtarget *t)
{
	struct upwait *p;

	for (;;) {
		for (p = c->waits; p != NULL; p = p->next)
			if (p->parked && same_target(core_exchange_target(p->x),
			    t))
				break;
		if (p == NULL)
			return;
		p->parked = 0;
		p->no_park = 1;
		choose(p);
	}
}

static void
tls_done(void *arg)
{
	struct upwait *w = arg;
	struct exchange *x = w->x;
	struct stream *s = w->tls;
	const struct xtarget *t = core_exchange_target(x);
	struct tls_facts tf;
	int h2;

	w->tls = NULL;
	core_tls_facts(s, &tf);
	h2 = tf.alpn != NULL && strcmp(tf.alpn, "h2") == 0;
	core_tls_facts_clear(&tf);
	core_exchange_up_tls(x, s);
	if (h2) {
		core_h2up_new(w->c, s, t->scheme, t->host, t->port, w->addr);
		unpark(w->c, t);
		deliver(w);
		return;
	}
	unpark(w->c, t);
	w->ready = core_pool_upstream_new(s, t->scheme, t->host, t->port,
	    t->tls_name, w->addr);
	deliver(w);
}

static void
tls_error(void *arg, const char *msg)
{
	struct upwait *w = arg;
	const struct xtarget *t = core_exchange_target(w->x);
	char m[300];

	snprintf(m, sizeof m, "server %s: %s", t->host, msg);
	wait_fail(w, m);
}

static void
on_connected(void *arg, const struct connect_result *r)
{
	struct upwait *w = arg;
	struct exchange *x = w->x;
	const struct xtarget *t = core_exchange_target(x);
	struct flow *f = core_exchange_flow(x);
	struct stream *s, *ts;
	char *cause = NULL;

	w->connecting = NULL;
	f->t.dns_end = r->dns_end;
	free(w->addr);
	w->addr = xstrdup(r->addr);
	if (r->error != NULL) {
		wait_fail(w, r->error);
		return;
	}
	f->t.connect_end = r->connect_end;
	if ((s = core_sockstream_new(core_loop, r->fd)) == NULL) {
		wait_fail(w, "out of descriptors");
		return;
	}
	if (strcmp(t->scheme, "https") != 0) {
		/* An h2c client's server spoke h2c to it: prior knowledge.
		 * One that upgraded asked its server in HTTP/1.1. */
		if (w->c->h2 && !w->c->h2_upgraded)
			core_h2up_new(w->c, s, t->scheme, t->host, t->port,
			    r->addr);
		else
			w->ready = core_pool_upstream_new(s, t->scheme, t->host,
			    t->port, NULL, r->addr);
		unpark(w->c, t);
		deliver(w);
		return;
	}
	ts = core_mitm_client_ctx() == NULL ? NULL :
	    core_tls_client_new(core_loop, s, core_mitm_client_ctx(),
	    t->tls_name != NULL ? t->tls_name : t->host, offer(w->c), &cause);
	if (ts == NULL) {
		core_stream_abort(s);
		wait_fail(w, cause != NULL ? cause :
		    "TLS toward servers is not set up");
		free(cause);
		return;
	}
	{
		struct stream_cbs cbs = { NULL, NULL, NULL, tls_error, w };

		core_stream_set_cbs(ts, &cbs);
	}
	w->tls = ts;
	/* Whether the server speaks HTTP/2 is known after the handshake. */
	core_tls_on_handshake(ts, tls_done, w);
}

/* Decided after the callback that asked, when the exchange before this
 * one has given its connection back (a pipelined request reuses it). */
static void
choose(void *arg)
{
	struct upwait *w = arg;
	struct conn *c = w->c;
	const struct xtarget *t;
	struct upstream *u = NULL;

	if (w->deferred) {
		w->deferred = 0;
		if (w->dead) {
			free(w);
			return;
		}
	}
	t = core_exchange_target(w->x);
	/* A captured QUIC connection's requests go on trawl's own QUIC
	 * connection to its server, made before the client's handshake. */
	if (c->h3up != NULL || (!w->fresh && core_h2up_find(c, t) != NULL)) {
		deliver(w);
		return;
	}
	if (!w->fresh)
		u = core_pool_take(&c->pool, t->scheme, t->host, t->port,
		    c->dest_host != NULL ? NULL : t->tls_name);
	if (u != NULL) {
		w->ready = u;
		deliver(w);
		return;
	}
	if (c->up_error != NULL) {
		/* The program's connection to the server is gone: a new one
		 * would be a connection it never made. */
		wait_fail(w, c->up_error);
		return;
	}
	/* An HTTP/2 client's streams wait for the connection being made to
	 * the same server: if it speaks HTTP/2 it carries them all, as the
	 * client's one connection would. */
	if (!w->no_park && (c->h2 || c->one_request)) {
		struct upwait *p;

		for (p = c->waits; p != NULL; p = p->next)
			if (p != w && (p->connecting != NULL || p->tls != NULL) &&
			    same_target(core_exchange_target(p->x), t)) {
				w->parked = 1;
				return;
			}
	}
	w->connecting = core_mode_connect(c->mode, t->host, t->port,
	    core_upstream_via(c, t), on_connected, w);
}

void
core_conn_upstream(struct conn *c, struct exchange *x, int fresh)
{
	struct upwait *w = wait_new(c, x);

	w->fresh = fresh;
	w->deferred = 1;
	core_loop_defer(core_loop, choose, w);
}

void
core_conn_upstream_cancel(struct conn *c, struct exchange *x)
{
	struct upwait *w;

	for (w = c->waits; w != NULL; w = w->next)
		if (w->x == x) {
			wait_free(w);
			return;
		}
}
