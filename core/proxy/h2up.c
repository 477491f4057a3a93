/*
 * h2up.c -- HTTP/2 toward a server: the conn's exchanges as streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/http/h2.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h2fields.h"
#include "core/proxy/h2up.h"
#include "core/tls/tls.h"

/* One stream: an exchange's up side. */
struct ustream {
	struct h2up		*u;
	int32_t			 id;		/* -1 until the head went */
	struct exchange		*x;
	size_t			 owed;		/* response bytes not consumed yet */
	int			 paused;
	int			 ended;		/* the response ended */
	int			 reset;		/* the server reset it (or died) */
	struct flow_headers	 trailers;
	char			*why;
	struct ustream		*next;
};

struct h2up {
	struct conn		*c;
	struct stream		*s;
	struct h2		*h2;
	char			*scheme;
	char			*host;
	int			 port;
	char			*addr;
	int			 goaway;	/* no new streams */
	int			 busy;
	int			 dead;		/* close when the chain unwinds */
	struct ustream		*streams;
	struct loop_timer	*flush_later;
	struct h2up		*next;		/* the conn's */
};

static void	flush(struct h2up *);
static void	up_free(struct h2up *);

static struct ustream *
find(struct h2up *u, int32_t id)
{
	struct ustream *s;

	for (s = u->streams; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void
stream_free(struct ustream *s)
{
	struct ustream **p;

	for (p = &s->u->streams; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->owed > 0 && s->id > 0)
		core_h2_consume(s->u->h2, s->id, s->owed);
	core_flow_headers_clear(&s->trailers);
	free(s->why);
	free(s);
}

static void
dirty(struct h2up *u)
{
	if (!core_loop_timer_pending(u->flush_later))
		core_loop_timer_set(u->flush_later, 0);
}

/* --- the exchange's up side --------------------------------------------------- */

static void
op_head(void *side, const struct flow_request *r, const struct xtarget *t,
    enum xbody body, uint64_t len)
{
	struct ustream *s = side;
	struct h2_head hd;
	struct h2_field *f = NULL;
	char auth[300], *cause = NULL;
	const char *hosthdr = core_flow_header_get(&r->headers, "host");
	const char *host = r->host != NULL ? r->host : t->host;
	int port = r->port != 0 ? r->port : t->port;

	/* :authority as Host would say it: the client's own, or the URL's. */
	if (hosthdr != NULL && !t->absolute)
		snprintf(auth, sizeof auth, "%s", hosthdr);
	else if (port == (strcmp(t->scheme, "https") ? 80 : 443))
		snprintf(auth, sizeof auth, strchr(host, ':') ? "[%s]" : "%s",
		    host);
	else
		snprintf(auth, sizeof auth, strchr(host, ':') ? "[%s]:%d" :
		    "%s:%d", host, port);
	memset(&hd, 0, sizeof hd);
	hd.method = r->method;
	hd.scheme = t->scheme;
	hd.authority = auth;
	hd.path = r->path != NULL && r->path[0] != '\0' ? r->path : "/";
	hd.nfields = core_h2fields_from(&r->headers, &f);
	hd.fields = f;
	hd.end_stream = body == XBODY_NONE;
	s->id = core_h2_request(s->u->h2, &hd, &cause);
	free(f);
	if (s->id < 0) {
		free(s->why);
		s->why = cause;
	}
	dirty(s->u);
}

static void
op_data(void *side, const char *p, size_t n)
{
	struct ustream *s = side;

	if (s->id > 0 && n > 0 && core_h2_data(s->u->h2, s->id, p, n, 0) == -1)
		core_h2_reset(s->u->h2, s->id, H2_INTERNAL_ERROR);
	dirty(s->u);
}

static void
op_end(void *side, const struct flow_headers *tr)
{
	struct ustream *s = side;
	struct h2_field *f = NULL;
	size_t n;

	if (s->id <= 0)
		return;
	if (tr != NULL && tr->n > 0) {
		n = core_h2fields_from(tr, &f);
		core_h2_trailers(s->u->h2, s->id, f, n);
		free(f);
	} else
		core_h2_data(s->u->h2, s->id, NULL, 0, 1);
	dirty(s->u);
}

static size_t
op_pending(void *side)
{
	struct ustream *s = side;

	return s->id > 0 ? core_h2_pending(s->u->h2, s->id) : 0;
}

static void
op_pause(void *side, int paused)
{
	struct ustream *s = side;

	s->paused = paused;
	if (!paused && s->owed > 0) {
		core_h2_consume(s->u->h2, s->id, s->owed);
		s->owed = 0;
		dirty(s->u);
	}
}

static void
op_release(void *side, int reusable)
{
	struct ustream *s = side;
	struct h2up *u = s->u;

	s->x = NULL;
	/* A stream the exchange gave up on ends here; the connection goes
	 * on for the conn's other exchanges. */
	if (s->id > 0 && !s->reset && !(reusable && s->ended))
		core_h2_reset(u->h2, s->id, H2_CANCEL);
	stream_free(s);
	dirty(u);
}

static const struct up_ops h2up_ops = {
	op_head, op_data, op_end, op_pending, op_pause, op_release, NULL
};

/* --- the codec's events ------------------------------------------------------- */

static void
on_head(void *arg, int32_t id, const struct h2_head *hd)
{
	struct ustream *s = find(arg, id);
	struct flow_response *r;
	const char *cl;
	enum xbody kind;
	uint64_t len = 0;
	size_t i;

	if (s == NULL || s->x == NULL)
		return;
	r = core_flow_response_new();
	r->status = hd->status;
	r->version = strdup("HTTP/2.0");
	for (i = 0; i < hd->nfields; i++)
		core_flow_header_add(&r->headers, hd->fields[i].name,
		    hd->fields[i].name_len, hd->fields[i].value,
		    hd->fields[i].value_len);
	cl = core_flow_header_get(&r->headers, "content-length");
	if (hd->end_stream)
		kind = XBODY_NONE;
	else if (cl != NULL && (len = strtoull(cl, NULL, 10)) > 0)
		kind = XBODY_LENGTH;
	else
		kind = XBODY_CHUNKED;
	core_exchange_response_head(s->x, r, kind, len);
}

static void
on_data(void *arg, int32_t id, const char *p, size_t n)
{
	struct h2up *u = arg;
	struct ustream *s = find(u, id);

	if (s == NULL || s->x == NULL) {
		core_h2_consume(u->h2, id, n);
		return;
	}
	core_exchange_response_data(s->x, p, n);
	if ((s = find(u, id)) != NULL && s->paused)
		s->owed += n;
	else
		core_h2_consume(u->h2, id, n);
}

static void
on_trailers(void *arg, int32_t id, const struct h2_field *fl, size_t n)
{
	struct ustream *s = find(arg, id);
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		core_flow_header_add(&s->trailers, fl[i].name, fl[i].name_len,
		    fl[i].value, fl[i].value_len);
}

static void
on_end(void *arg, int32_t id)
{
	struct ustream *s = find(arg, id);

	if (s == NULL || s->x == NULL)
		return;
	s->ended = 1;
	core_exchange_response_end(s->x, s->trailers.n > 0 ? &s->trailers :
	    NULL);
}

static void
on_reset(void *arg, int32_t id, uint32_t code)
{
	struct ustream *s = find(arg, id);
	char why[300];

	if (s == NULL || s->x == NULL)
		return;
	if (s->why != NULL)
		snprintf(why, sizeof why, "server %s: %s", s->u->host, s->why);
	else
		snprintf(why, sizeof why, "server %s reset the stream (HTTP/2 "
		    "error 0x%x)", s->u->host, code);
	s->reset = 1;
	core_exchange_server_gone(s->x, why, code == H2_REFUSED_STREAM);
}

static void
on_stream_error(void *arg, int32_t id, const char *why)
{
	struct ustream *s = find(arg, id);

	if (s != NULL) {
		free(s->why);
		s->why = strdup(why);
	}
}

static void
on_writable(void *arg, int32_t id)
{
	struct ustream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_up_drained(s->x);
}

static void
on_goaway(void *arg, uint32_t code, int32_t last_id)
{
	struct h2up *u = arg;

	u->goaway = 1;
}

static void
on_output(void *arg, const char *p, size_t n)
{
	struct h2up *u = arg;

	core_stream_write(u->s, p, n);
}

/* --- the connection ------------------------------------------------------------ */

/* Every exchange on it learns why; the conn forgets it. */
static void
fail_all(struct h2up *u, const char *why)
{
	struct ustream *s;
	struct exchange *x;

	u->busy++;
	/* Each failure may end others (a conn closing): start over each
	 * time. */
	for (;;) {
		for (s = u->streams; s != NULL && s->x == NULL; s = s->next)
			;
		if (s == NULL)
			break;
		x = s->x;
		s->x = NULL;	/* progress, even if it stays */
		s->reset = 1;
		core_exchange_server_gone(x, why, 0);
	}
	u->busy--;
	u->dead = 0;
	up_free(u);
}

static void
flush(struct h2up *u)
{
	const char *why = NULL;

	if (u->busy > 0 || u->dead)
		return;
	while (core_h2_flush(u->h2) == 1 && core_stream_pending(u->s) == 0)
		;
	if (core_h2_finished(u->h2, &why)) {
		char m[300];

		snprintf(m, sizeof m, "server %s: %s", u->host, why != NULL ?
		    why : "the HTTP/2 connection ended");
		fail_all(u, m);
	}
}

static void
flush_timer(void *arg)
{
	flush(arg);
}

static void
up_data(void *arg, const char *p, size_t n)
{
	struct h2up *u = arg;
	char *cause = NULL, m[300];

	u->busy++;
	if (core_h2_feed(u->h2, p, n, &cause) == -1 && !u->dead) {
		snprintf(m, sizeof m, "server %s: %s", u->host, cause != NULL ?
		    cause : "HTTP/2 protocol error");
		free(cause);
		u->busy--;
		fail_all(u, m);
		return;
	}
	free(cause);
	u->busy--;
	if (u->dead) {
		up_free(u);
		return;
	}
	flush(u);
}

static void
up_drain(void *arg)
{
	flush(arg);
}

static void
up_eof(void *arg)
{
	struct h2up *u = arg;
	char m[300];

	snprintf(m, sizeof m, "server %s closed the HTTP/2 connection",
	    u->host);
	fail_all(u, m);
}

static void
up_error(void *arg, const char *msg)
{
	struct h2up *u = arg;
	char m[300];

	snprintf(m, sizeof m, "server %s: %s", u->host, msg);
	fail_all(u, m);
}

/* Leaves the conn at once; the memory goes when no call chain of ours
 * is inside the codec any more (the conn may close from a callback). */
static void
up_free(struct h2up *u)
{
	struct h2up **p;

	if (u->c != NULL) {
		for (p = &u->c->h2ups; *p != NULL; p = &(*p)->next)
			if (*p == u) {
				*p = u->next;
				break;
			}
		u->c = NULL;
	}
	if (u->busy > 0) {
		u->dead = 1;
		return;
	}
	while (u->streams != NULL) {
		u->streams->id = -1;
		u->streams->x = NULL;
		stream_free(u->streams);
	}
	if (u->s != NULL)
		core_stream_close(u->s);
	core_h2_free(u->h2);
	core_loop_timer_free(u->flush_later);
	free(u->scheme);
	free(u->host);
	free(u->addr);
	free(u);
}

struct h2up *
core_h2up_new(struct conn *c, struct stream *s, const char *scheme,
    const char *host, int port, const char *addr)
{
	struct h2up *u = calloc(1, sizeof *u);
	struct stream_cbs cbs = { up_data, up_drain, up_eof, up_error, u };
	struct h2_cbs hc = {
		on_head, on_data, on_trailers, on_end, on_reset,
		on_stream_error, on_writable, on_goaway, on_output, u
	};
	char *cause = NULL;

	if (u == NULL)
		abort();
	if ((u->h2 = core_h2_new(0, &hc, &cause)) == NULL) {
		free(cause);
		free(u);
		core_stream_abort(s);
		return NULL;
	}
	u->c = c;
	u->s = s;
	u->scheme = strdup(scheme);
	u->host = strdup(host);
	u->port = port;
	u->addr = strdup(addr != NULL ? addr : "");
	u->flush_later = core_loop_timer_new(core_loop, flush_timer, u);
	u->next = c->h2ups;
	c->h2ups = u;
	core_stream_set_cbs(s, &cbs);
	core_stream_pause(s, 0);
	flush(u);
	return u;
}

void
core_h2up_feed(struct h2up *u, const char *p, size_t n)
{
	up_data(u, p, n);
}

struct h2up *
core_h2up_find(struct conn *c, const struct xtarget *t)
{
	struct h2up *u;

	for (u = c->h2ups; u != NULL; u = u->next)
		if (!u->goaway && u->port == t->port &&
		    strcmp(u->host, t->host) == 0 &&
		    strcmp(u->scheme, t->scheme) == 0)
			return u;
	return NULL;
}

void
core_h2up_attach(struct h2up *u, struct exchange *x)
{
	struct ustream *s = calloc(1, sizeof *s);

	if (s == NULL)
		abort();
	s->u = u;
	s->id = -1;
	s->x = x;
	s->next = u->streams;
	u->streams = s;
	if (core_tls_is(u->s) && core_tls_established(u->s))
		core_exchange_up_tls(x, u->s);
	core_exchange_up_ready(x, &h2up_ops, s, u->addr);
	if (s->id < 0 && s->x != NULL && s->why != NULL) {
		char m[300];

		snprintf(m, sizeof m, "server %s: %s", u->host, s->why);
		core_exchange_server_gone(x, m, 0);
	}
}

void
core_h2up_close(struct h2up *u)
{
	up_free(u);
}
