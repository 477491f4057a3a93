/*
 * h3down.c -- HTTP/3 from a captured client: one exchange per request
 * stream (h3down.h). The QUIC endpoint copies what is written, so the
 * codec's queues are the only back-pressure: a request body the
 * exchange holds back keeps its QUIC credit owed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/h3.h"
#include "core/http/url.h"
#include "core/loop/cause.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h2fields.h"
#include "core/proxy/h3down.h"
#include "core/quic/quic.h"

struct h3down;

struct dstream {
	struct h3down		*h;
	int64_t			 id;
	struct exchange		*x;		/* NULL once done */
	size_t			 owed;		/* credit held back */
	int			 paused;
	int			 head_sent;
	struct flow_headers	 trailers;
	struct dstream		*next;
};

struct h3down {
	struct conn		*c;
	struct quic		*q;
	struct h3		*h3;
	struct dstream		*streams;
	struct loop_timer	*flush_later;
	void			(*on_close)(void *);
	void			*arg;
	int			 busy;
};

static void	flush(struct h3down *);

static struct dstream *
find(struct h3down *h, int64_t id)
{
	struct dstream *s;

	for (s = h->streams; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void
stream_free(struct dstream *s)
{
	struct dstream **p;

	for (p = &s->h->streams; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->owed > 0)
		core_quic_consume(s->h->q, s->id, s->owed);
	core_flow_headers_clear(&s->trailers);
	free(s);
}

static void
dirty(struct h3down *h)
{
	if (!core_loop_timer_pending(h->flush_later))
		core_loop_timer_set(h->flush_later, 0);
}

static void
flush(struct h3down *h)
{
	if (h->busy == 0 && h->h3 != NULL)
		core_h3_flush(h->h3);
}

static void
flush_timer(void *arg)
{
	flush(arg);
}

static void
reset(struct dstream *s, uint64_t code)
{
	core_h3_stream_reset(s->h->h3, s->id);
	core_quic_reset(s->h->q, s->id, code);
}

/* Every exchange ends with why; the conn goes. */
static void
drop_exchanges(struct h3down *h, const char *why)
{
	struct dstream *s;

	while (h->streams != NULL) {
		s = h->streams;
		if (s->x != NULL) {
			struct exchange *x = s->x;

			s->x = NULL;
			core_exchange_abort(x, why);
		}
		/* The QUIC connection is going: no credit to give back. */
		s->owed = 0;
		stream_free(s);
	}
	if (h->c != NULL) {
		core_conn_free(h->c);
		h->c = NULL;
	}
}

/* --- the conn's view of the codec ----------------------------------------- */

static void
codec_close(void *codec, int abort)
{
	struct h3down *h = codec;

	drop_exchanges(h, "the client connection was closed");
	h->on_close(h->arg);
}

static int
codec_idle(void *codec)
{
	struct h3down *h = codec;

	return h->streams == NULL;
}

static const struct codec_ops h3down_codec = { codec_close, codec_idle };

/* --- the exchange's down side -------------------------------------------- */

static void
respond(struct dstream *s, const struct flow_response *r, int end)
{
	struct h2_head hd;
	struct h2_field *f = NULL;

	memset(&hd, 0, sizeof hd);
	hd.status = r->status;
	hd.nfields = core_h2fields_from(&r->headers, &f);
	hd.fields = f;
	hd.end_stream = end;
	if (core_h3_respond(s->h->h3, s->id, &hd) == -1)
		reset(s, H3_INTERNAL_ERROR);
	free(f);
	dirty(s->h);
}

static void
op_interim(void *side, const struct flow_response *r)
{
	struct dstream *s = side;

	if (r->status != 101)
		respond(s, r, 0);
}

static void
op_head(void *side, const struct flow_response *r, enum xbody kind,
    uint64_t len)
{
	struct dstream *s = side;

	s->head_sent = 1;
	respond(s, r, kind == XBODY_NONE);
}

static void
op_data(void *side, const char *p, size_t n)
{
	struct dstream *s = side;

	if (n > 0 && core_h3_data(s->h->h3, s->id, p, n, 0) == -1)
		reset(s, H3_INTERNAL_ERROR);
	dirty(s->h);
}

static void
op_end(void *side, const struct flow_headers *tr)
{
	struct dstream *s = side;
	struct h2_field *f = NULL;
	size_t n;

	if (!s->head_sent)
		return;		/* a bodyless head ended the stream */
	if (tr != NULL && tr->n > 0) {
		n = core_h2fields_from(tr, &f);
		core_h3_trailers(s->h->h3, s->id, f, n);
		free(f);
	} else
		core_h3_data(s->h->h3, s->id, NULL, 0, 1);
	dirty(s->h);
}

static void
op_fail(void *side, int status, const char *reason, const char *msg)
{
	struct dstream *s = side;
	struct flow_response r;
	char len[24];

	if (status == XFAIL_KILLED || status == 0 || s->head_sent) {
		reset(s, status == XFAIL_KILLED ? H3_REQUEST_CANCELLED :
		    H3_INTERNAL_ERROR);
		dirty(s->h);
		return;
	}
	/* trawl's own answer, never recorded as the server's. */
	memset(&r, 0, sizeof r);
	r.status = status;
	snprintf(len, sizeof len, "%zu", strlen(msg) + 1);
	core_flow_header_add(&r.headers, "content-type", 12,
	    "text/plain; charset=utf-8", 25);
	core_flow_header_add(&r.headers, "content-length", 14, len,
	    strlen(len));
	respond(s, &r, 0);
	core_flow_headers_clear(&r.headers);
	core_h3_data(s->h->h3, s->id, msg, strlen(msg), 0);
	core_h3_data(s->h->h3, s->id, "\n", 1, 1);
	s->head_sent = 1;
}

static size_t
op_pending(void *side)
{
	struct dstream *s = side;

	return core_h3_pending(s->h->h3, s->id);
}

static void
op_pause(void *side, int paused)
{
	struct dstream *s = side;

	s->paused = paused;
	if (!paused && s->owed > 0) {
		core_quic_consume(s->h->q, s->id, s->owed);
		s->owed = 0;
	}
}

static void
op_done(void *side, int ok)
{
	struct dstream *s = side;
	struct h3down *h = s->h;

	s->x = NULL;
	if (!ok)
		reset(s, s->head_sent ? H3_NO_ERROR : H3_INTERNAL_ERROR);
	stream_free(s);
	dirty(h);
}

static const struct down_ops h3down_ops = {
	op_interim, op_head, op_data, op_end, op_fail, op_pending, op_pause,
	op_done, NULL
};

/* --- the codec's events ---------------------------------------------------- */

static void
refuse(struct h3down *h, struct flow *f, struct flow_request *fr,
    int64_t id, const char *why)
{
	f->request = fr;
	core_store_add(f);
	core_flow_error(f, "%s", why);
	core_store_finish(f);
	core_h3_stream_reset(h->h3, id);
	core_quic_reset(h->q, id, H3_REQUEST_REJECTED);
}

static void
on_head(void *arg, int64_t id, const struct h2_head *hd)
{
	struct h3down *h = arg;
	struct conn *c = h->c;
	struct flow_request *fr;
	struct flow_tls *tls;
	struct xtarget t;
	struct dstream *s;
	struct flow *f;
	struct url u;
	const char *cl, *auth;
	enum xbody kind;
	uint64_t len = 0;
	size_t i;

	if (c == NULL || find(h, id) != NULL)
		return;
	f = core_conn_flow(c, FLOW_HTTP);
	f->stream_id = (int32_t)id;
	tls = core_flow_client_tls_w(f);
	tls->present = 1;
	core_flow_set(&tls->version, "TLSv1.3");
	core_flow_set(&tls->alpn, "h3");
	core_flow_set(&tls->sni, c->sni);
	fr = core_flow_request_new();
	fr->t_start = core_now();
	fr->version = strdup("HTTP/3");
	core_flow_set(&fr->method, hd->method != NULL ? hd->method : "?");
	core_flow_set(&fr->scheme, "https");
	core_flow_set(&fr->path, hd->path != NULL ? hd->path : "/");
	for (i = 0; i < hd->nfields; i++)
		core_flow_header_add(&fr->headers, hd->fields[i].name,
		    hd->fields[i].name_len, hd->fields[i].value,
		    hd->fields[i].value_len);
	/* :authority is the host, as mitmproxy reads it (else Host). */
	memset(&u, 0, sizeof u);
	auth = hd->authority != NULL ? hd->authority :
	    core_flow_header_get(&fr->headers, "host");
	if (auth == NULL || core_url_parse_host_header(auth, strlen(auth), &u,
	    c->dest_port) == -1) {
		u.host = "";
		u.host_len = 0;
		u.port = c->dest_port;
	}
	fr->host = core_flow_strndup(u.host, u.host_len);
	fr->port = u.port;
	c->nreq++;
	if (fr->host[0] == '\0' || strcmp(fr->method, "CONNECT") == 0) {
		refuse(h, f, fr, id, fr->host[0] == '\0' ? "HTTP/3 request "
		    "without :authority" : "HTTP/3 CONNECT is not supported");
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		abort();
	s->h = h;
	s->id = id;
	s->next = h->streams;
	h->streams = s;
	/* The program's QUIC connection went to one server: so do its
	 * requests, whatever their authority says (as in local mode's
	 * TCP). */
	memset(&t, 0, sizeof t);
	t.scheme = strdup("https");
	t.host = strdup(c->dest_host);
	t.port = c->dest_port;
	t.tls_name = strdup(c->sni != NULL ? c->sni : fr->host);
	t.minor = 1;
	cl = core_flow_header_get(&fr->headers, "content-length");
	if (hd->end_stream)
		kind = XBODY_NONE;
	else if (cl != NULL && (len = strtoull(cl, NULL, 10)) > 0)
		kind = XBODY_LENGTH;
	else
		kind = XBODY_CHUNKED;
	s->x = core_exchange_new(c, &h3down_ops, s, f, fr, &t, kind, len);
}

static void
on_data(void *arg, int64_t id, const char *p, size_t n)
{
	struct h3down *h = arg;
	struct dstream *s = find(h, id);

	if (s == NULL || s->x == NULL) {
		core_quic_consume(h->q, id, n);
		return;
	}
	core_exchange_request_data(s->x, p, n);
	/* The exchange may be gone, or may hold the body back. */
	if ((s = find(h, id)) != NULL && s->paused)
		s->owed += n;
	else
		core_quic_consume(h->q, id, n);
}

static void
on_trailers(void *arg, int64_t id, const struct h2_field *fl, size_t n)
{
	struct dstream *s = find(arg, id);
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		core_flow_header_add(&s->trailers, fl[i].name, fl[i].name_len,
		    fl[i].value, fl[i].value_len);
}

static void
on_end(void *arg, int64_t id)
{
	struct dstream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_request_end(s->x, s->trailers.n > 0 ?
		    &s->trailers : NULL);
}

static void
gone(struct h3down *h, int64_t id, const char *why)
{
	struct dstream *s = find(h, id);

	if (s == NULL)
		return;
	if (s->x != NULL) {
		struct exchange *x = s->x;

		s->x = NULL;
		core_exchange_client_gone(x, why);
	}
	if ((s = find(h, id)) != NULL)
		stream_free(s);
}

static void
on_reset(void *arg, int64_t id, uint64_t code)
{
	char why[80];

	snprintf(why, sizeof why, "malformed HTTP/3 stream (error 0x%llx)",
	    (unsigned long long)code);
	gone(arg, id, why);
}

static void
on_writable(void *arg, int64_t id)
{
	struct dstream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_down_drained(s->x);
}

static int
on_output(void *arg, int64_t id, const uint8_t *p, size_t n, int fin)
{
	struct h3down *h = arg;

	if (core_quic_write(h->q, id, p, n, fin) == -1 && errno == EAGAIN)
		return -1;
	return 0;	/* taken, or the connection is going anyway */
}

static void
on_consume(void *arg, int64_t id, size_t n)
{
	struct h3down *h = arg;

	core_quic_consume(h->q, id, n);
}

static void
on_stream_reset(void *arg, int64_t id, uint64_t code)
{
	struct h3down *h = arg;

	core_quic_reset(h->q, id, code);
}

/* --- from the owner -------------------------------------------------------- */

struct h3down *
core_h3down_new(struct quic *q, const struct proxy_origin *o, struct h3up *up,
    void (*on_close)(void *), void *arg, char **cause)
{
	struct h3down *h = calloc(1, sizeof *h);
	struct h3_cbs cbs = {
		on_head, on_data, on_trailers, on_end, on_reset, on_writable,
		on_output, on_consume, on_stream_reset, h
	};
	int64_t ctrl, qenc, qdec;

	if (h == NULL)
		abort();
	if ((ctrl = core_quic_open(q, 1)) < 0 ||
	    (qenc = core_quic_open(q, 1)) < 0 ||
	    (qdec = core_quic_open(q, 1)) < 0) {
		core_cause(cause, "HTTP/3: the client allows no streams");
		free(h);
		return NULL;
	}
	if ((h->h3 = core_h3_new(1, &cbs, ctrl, qenc, qdec, cause)) == NULL) {
		free(h);
		return NULL;
	}
	h->q = q;
	h->on_close = on_close;
	h->arg = arg;
	h->flush_later = core_loop_timer_new(core_loop, flush_timer, h);
	h->c = core_conn_new(NULL, o);
	h->c->codec_ops = &h3down_codec;
	h->c->codec = h;
	h->c->h3up = up;
	flush(h);	/* the control stream's SETTINGS */
	return h;
}

void
core_h3down_input(struct h3down *h, int64_t id, const uint8_t *p, size_t n,
    int fin)
{
	uint64_t code = 0;
	char *cause = NULL;

	h->busy++;
	if (core_h3_feed(h->h3, id, p, n, fin, &code, &cause) == -1) {
		h->busy--;
		drop_exchanges(h, cause != NULL ? cause : "HTTP/3 error");
		core_quic_close(h->q, code, cause);
		free(cause);
		return;
	}
	h->busy--;
	flush(h);
}

void
core_h3down_reset(struct h3down *h, int64_t id, uint64_t err)
{
	char why[80];

	core_h3_stream_reset(h->h3, id);
	snprintf(why, sizeof why, "the client reset the stream (HTTP/3 "
	    "error 0x%llx)", (unsigned long long)err);
	gone(h, id, why);
	dirty(h);
}

void
core_h3down_stream_close(struct h3down *h, int64_t id, uint64_t err)
{
	core_h3_stream_closed(h->h3, id, err);
}

void
core_h3down_writable(struct h3down *h)
{
	core_h3_unblock(h->h3, -1);
	flush(h);
}

void
core_h3down_free(struct h3down *h, const char *why)
{
	if (h == NULL)
		return;
	drop_exchanges(h, why);
	core_loop_timer_free(h->flush_later);
	core_h3_free(h->h3);
	free(h);
}
