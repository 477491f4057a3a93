/*
 * h3up.c -- HTTP/3 toward a server: a client connection's exchanges as
 * request streams of trawl's QUIC connection to the server (h3up.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/http/h3.h"
#include "core/loop/cause.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h2fields.h"
#include "core/proxy/h3up.h"
#include "core/quic/quic.h"

struct h3up;

struct ustream {
	struct h3up		*u;
	int64_t			 id;		/* -1 until the head went */
	struct exchange		*x;
	size_t			 owed;
	int			 paused;
	int			 ended;		/* the response ended */
	int			 reset;
	char			*why;
	struct flow_headers	 trailers;
	struct ustream		*next;
};

struct h3up {
	struct quic		*q;
	struct h3		*h3;
	char			*host;
	char			*addr;
	char			*dead;		/* why it takes nothing more */
	struct ustream		*streams;
	struct loop_timer	*flush_later;
	int			 busy;
};

static char *
dupstr(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		abort();
	return d;
}

static struct ustream *
find(struct h3up *u, int64_t id)
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
	if (s->owed > 0 && s->id >= 0 && s->u->dead == NULL)
		core_quic_consume(s->u->q, s->id, s->owed);
	core_flow_headers_clear(&s->trailers);
	free(s->why);
	free(s);
}

static void
flush(struct h3up *u)
{
	if (u->busy == 0 && u->dead == NULL)
		core_h3_flush(u->h3);
}

static void
flush_timer(void *arg)
{
	flush(arg);
}

static void
dirty(struct h3up *u)
{
	if (!core_loop_timer_pending(u->flush_later))
		core_loop_timer_set(u->flush_later, 0);
}

static void
reset(struct ustream *s, uint64_t code)
{
	if (s->id < 0 || s->u->dead != NULL)
		return;
	core_h3_stream_reset(s->u->h3, s->id);
	core_quic_reset(s->u->q, s->id, code);
}

/* --- the exchange's up side -------------------------------------------------- */

static void
op_head(void *side, const struct flow_request *r, const struct xtarget *t,
    enum xbody body, uint64_t len)
{
	struct ustream *s = side;
	struct h3up *u = s->u;
	struct h2_head hd;
	struct h2_field *f = NULL;
	char auth[300], *cause = NULL;
	const char *hosthdr = core_flow_header_get(&r->headers, "host");
	const char *host = r->host != NULL ? r->host : t->host;
	int port = r->port != 0 ? r->port : t->port;

	if (u->dead != NULL) {
		s->why = strdup(u->dead);
		return;
	}
	if ((s->id = core_quic_open(u->q, 0)) < 0) {
		s->why = strdup("the server allows no more streams");
		return;
	}
	if (hosthdr != NULL)
		snprintf(auth, sizeof auth, "%s", hosthdr);
	else if (port == 443)
		snprintf(auth, sizeof auth, strchr(host, ':') ? "[%s]" : "%s",
		    host);
	else
		snprintf(auth, sizeof auth, strchr(host, ':') ? "[%s]:%d" :
		    "%s:%d", host, port);
	memset(&hd, 0, sizeof hd);
	hd.method = r->method;
	hd.scheme = "https";
	hd.authority = auth;
	hd.path = r->path != NULL && r->path[0] != '\0' ? r->path : "/";
	hd.nfields = core_h2fields_from(&r->headers, &f);
	hd.fields = f;
	hd.end_stream = body == XBODY_NONE;
	if (core_h3_request(u->h3, s->id, &hd, &cause) == -1) {
		reset(s, H3_INTERNAL_ERROR);
		s->id = -1;
		s->why = cause;
	}
	free(f);
	dirty(u);
}

static void
op_data(void *side, const char *p, size_t n)
{
	struct ustream *s = side;

	if (s->id >= 0 && n > 0 && core_h3_data(s->u->h3, s->id, p, n, 0) == -1)
		reset(s, H3_INTERNAL_ERROR);
	dirty(s->u);
}

static void
op_end(void *side, const struct flow_headers *tr)
{
	struct ustream *s = side;
	struct h2_field *f = NULL;
	size_t n;

	if (s->id < 0)
		return;
	if (tr != NULL && tr->n > 0) {
		n = core_h2fields_from(tr, &f);
		core_h3_trailers(s->u->h3, s->id, f, n);
		free(f);
	} else
		core_h3_data(s->u->h3, s->id, NULL, 0, 1);
	dirty(s->u);
}

static size_t
op_pending(void *side)
{
	struct ustream *s = side;

	return s->id >= 0 ? core_h3_pending(s->u->h3, s->id) : 0;
}

static void
op_pause(void *side, int paused)
{
	struct ustream *s = side;

	s->paused = paused;
	if (!paused && s->owed > 0) {
		if (s->u->dead == NULL)
			core_quic_consume(s->u->q, s->id, s->owed);
		s->owed = 0;
	}
}

static void
op_release(void *side, int reusable)
{
	struct ustream *s = side;
	struct h3up *u = s->u;

	s->x = NULL;
	/* A stream the exchange gave up on ends here; the connection goes
	 * on for the others. */
	if (!s->reset && !(reusable && s->ended))
		reset(s, H3_REQUEST_CANCELLED);
	stream_free(s);
	dirty(u);
}

static const struct up_ops h3up_ops = {
	op_head, op_data, op_end, op_pending, op_pause, op_release, NULL
};

/* --- the codec's events ------------------------------------------------------ */

static void
on_head(void *arg, int64_t id, const struct h2_head *hd)
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
	r->version = strdup("HTTP/3");
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
on_data(void *arg, int64_t id, const char *p, size_t n)
{
	struct h3up *u = arg;
	struct ustream *s = find(u, id);

	if (s == NULL || s->x == NULL) {
		core_quic_consume(u->q, id, n);
		return;
	}
	core_exchange_response_data(s->x, p, n);
	if ((s = find(u, id)) != NULL && s->paused)
		s->owed += n;
	else
		core_quic_consume(u->q, id, n);
}

static void
on_trailers(void *arg, int64_t id, const struct h2_field *fl, size_t n)
{
	struct ustream *s = find(arg, id);
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		core_flow_header_add(&s->trailers, fl[i].name, fl[i].name_len,
		    fl[i].value, fl[i].value_len);
}

static void
on_end(void *arg, int64_t id)
{
	struct ustream *s = find(arg, id);

	if (s == NULL || s->x == NULL)
		return;
	s->ended = 1;
	core_exchange_response_end(s->x, s->trailers.n > 0 ? &s->trailers :
	    NULL);
}

static void
server_reset(struct h3up *u, int64_t id, const char *fmt, uint64_t code)
{
	struct ustream *s = find(u, id);
	char why[300];

	if (s == NULL || s->x == NULL)
		return;
	snprintf(why, sizeof why, fmt, u->host, (unsigned long long)code);
	s->reset = 1;
	core_exchange_server_gone(s->x, why, code == H3_REQUEST_REJECTED);
}

static void
on_reset(void *arg, int64_t id, uint64_t code)
{
	server_reset(arg, id, "server %s: malformed HTTP/3 response "
	    "(error 0x%llx)", code);
}

static void
on_writable(void *arg, int64_t id)
{
	struct ustream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_up_drained(s->x);
}

static int
on_output(void *arg, int64_t id, const uint8_t *p, size_t n, int fin)
{
	struct h3up *u = arg;

	if (core_quic_write(u->q, id, p, n, fin) == -1 && errno == EAGAIN)
		return -1;
	return 0;
}

static void
on_consume(void *arg, int64_t id, size_t n)
{
	struct h3up *u = arg;

	core_quic_consume(u->q, id, n);
}

static void
on_stream_reset(void *arg, int64_t id, uint64_t code)
{
	struct h3up *u = arg;

	core_quic_reset(u->q, id, code);
}

/* --- from the owner ---------------------------------------------------------- */

struct h3up *
core_h3up_new(struct quic *q, const char *host, const char *addr, char **cause)
{
	struct h3up *u = calloc(1, sizeof *u);
	struct h3_cbs cbs = {
		on_head, on_data, on_trailers, on_end, on_reset, on_writable,
		on_output, on_consume, on_stream_reset, u
	};
	int64_t ctrl, qenc, qdec;

	if (u == NULL)
		abort();
	if ((ctrl = core_quic_open(q, 1)) < 0 ||
	    (qenc = core_quic_open(q, 1)) < 0 ||
	    (qdec = core_quic_open(q, 1)) < 0) {
		core_cause(cause, "HTTP/3: the server allows no streams");
		free(u);
		return NULL;
	}
	if ((u->h3 = core_h3_new(0, &cbs, ctrl, qenc, qdec, cause)) == NULL) {
		free(u);
		return NULL;
	}
	u->q = q;
	u->host = dupstr(host);
	u->addr = dupstr(addr);
	u->flush_later = core_loop_timer_new(core_loop, flush_timer, u);
	flush(u);
	return u;
}

void
core_h3up_attach(struct h3up *u, struct exchange *x)
{
	struct ustream *s;
	struct flow_tls *tls;
	char m[300];

	if (u->dead != NULL) {
		core_exchange_up_failed(x, u->dead, 0, NULL);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		abort();
	s->u = u;
	s->id = -1;
	s->x = x;
	s->next = u->streams;
	u->streams = s;
	tls = core_flow_server_tls_w(core_exchange_flow(x));
	tls->present = 1;
	core_flow_set(&tls->version, "TLSv1.3");
	core_flow_set(&tls->alpn, "h3");
	core_flow_set(&tls->sni, core_exchange_target(x)->tls_name);
	core_exchange_up_ready(x, &h3up_ops, s, u->addr);
	if (s->id < 0 && s->x != NULL && s->why != NULL) {
		snprintf(m, sizeof m, "server %s: %s", u->host, s->why);
		core_exchange_server_gone(x, m, 0);
	}
}

void
core_h3up_input(struct h3up *u, int64_t id, const uint8_t *p, size_t n,
    int fin)
{
	uint64_t code = 0;
	char *cause = NULL, m[300];

	if (u->dead != NULL)
		return;
	u->busy++;
	if (core_h3_feed(u->h3, id, p, n, fin, &code, &cause) == -1) {
		u->busy--;
		snprintf(m, sizeof m, "server %s: %s", u->host, cause);
		core_quic_close(u->q, code, cause);
		free(cause);
		core_h3up_close(u, m);
		return;
	}
	u->busy--;
	flush(u);
}

void
core_h3up_reset(struct h3up *u, int64_t id, uint64_t err)
{
	if (u->dead != NULL)
		return;
	core_h3_stream_reset(u->h3, id);
	server_reset(u, id, "server %s reset the stream (HTTP/3 error "
	    "0x%llx)", err);
	dirty(u);
}

void
core_h3up_stream_close(struct h3up *u, int64_t id, uint64_t err)
{
	if (u->dead == NULL)
		core_h3_stream_closed(u->h3, id, err);
}

void
core_h3up_writable(struct h3up *u)
{
	if (u->dead != NULL)
		return;
	core_h3_unblock(u->h3, -1);
	flush(u);
}

void
core_h3up_close(struct h3up *u, const char *why)
{
	struct ustream *s;
	struct exchange *x;

	if (u->dead == NULL)
		u->dead = dupstr(why);
	/* Each failure may end others: start over each time. */
	for (;;) {
		for (s = u->streams; s != NULL && s->x == NULL; s = s->next)
			;
		if (s == NULL)
			break;
		x = s->x;
		s->x = NULL;
		s->reset = 1;
		core_exchange_server_gone(x, why, 0);
	}
}

void
core_h3up_free(struct h3up *u)
{
	if (u == NULL)
		return;
	core_h3up_close(u, "the server connection was closed");
	while (u->streams != NULL)
		stream_free(u->streams);
	core_loop_timer_free(u->flush_later);
	core_h3_free(u->h3);
	free(u->host);
	free(u->addr);
	free(u->dead);
	free(u);
}
