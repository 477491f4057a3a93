/*
 * h2down.c -- HTTP/2 from a client: one exchange per stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/h2.h"
#include "core/http/url.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h2down.h"
#include "core/proxy/h2fields.h"

struct h2down;

/* One client stream: the exchange's down side. */
struct dstream {
	struct h2down		*h;
	int32_t			 id;
	struct exchange		*x;		/* NULL once done */
	size_t			 owed;		/* request bytes not consumed yet */
	int			 paused;	/* the exchange holds the body back */
	int			 head_sent;
	struct flow_headers	 trailers;
	char			*why;		/* the codec's reason for a reset */
	struct dstream		*next;
};

struct h2down {
	struct conn		*c;
	struct h2		*h2;
	struct dstream		*streams;
	struct loop_timer	*idle;
	struct loop_timer	*flush_later;
	int			 busy;		/* inside our own call chain */
	int			 closing;
	int			 abort;
};

static void	flush(struct h2down *);

/* --- streams ----------------------------------------------------------------- */

static struct dstream *
find(struct h2down *h, int32_t id)
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
	if (s->owed > 0 && s->h->h2 != NULL)
		core_h2_consume(s->h->h2, s->id, s->owed);
	core_flow_headers_clear(&s->trailers);
	free(s->why);
	free(s);
}

/* --- teardown ------------------------------------------------------------- */

static void
h_free(struct h2down *h)
{
	struct conn *c = h->c;

	while (h->streams != NULL) {
		struct dstream *s = h->streams;

		if (s->x != NULL) {
			struct exchange *x = s->x;

			s->x = NULL;
			core_exchange_abort(x, "the client connection was closed");
		}
		stream_free(s);
	}
	if (c->s != NULL) {
		if (h->abort)
			core_stream_abort(c->s);
		else
			core_stream_close(c->s);
		c->s = NULL;
	}
	core_h2_free(h->h2);
	core_loop_timer_free(h->idle);
	core_loop_timer_free(h->flush_later);
	core_conn_free(c);
	free(h);
}

static void
h_close(struct h2down *h, int abort)
{
	h->closing = 1;
	h->abort = h->abort || abort;
	if (h->busy == 0)
		h_free(h);
}

static void
settle(struct h2down *h)
{
	if (--h->busy > 0)
		return;
	if (h->closing) {
		h_free(h);
		return;
	}
	flush(h);
}

/* Writes what the codec queued while the socket takes it all; the rest
 * goes on the client's drain. Closes once the codec is finished. */
static void
flush(struct h2down *h)
{
	const char *why = NULL;

	if (h->busy > 0 || h->closing)
		return;
	while (core_h2_flush(h->h2) == 1 &&
	    core_stream_pending(h->c->s) == 0)
		;
	if (core_h2_finished(h->h2, &why) && h->streams == NULL) {
		if (why != NULL)
			core_notice("HTTP/2 client %s: %s", h->c->addr, why);
		h_close(h, why != NULL);
	}
}

static void
flush_timer(void *arg)
{
	flush(arg);
}

/* Ops come from the upstream's events, outside our own calls: flush at
 * the end of the pass, once, whatever they queued. */
static void
dirty(struct h2down *h)
{
	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	if (!core_loop_timer_pending(h->flush_later))
		core_loop_timer_set(h->flush_later, 0);
}

static void
codec_close(void *codec, int abort)
{
	h_close(codec, abort);
}

static int
codec_idle(void *codec)
{
	struct h2down *h = codec;

	return h->streams == NULL;
}

static const struct codec_ops h2down_codec = { codec_close, codec_idle };

/* --- the exchange's down side ------------------------------------------------ */

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
	core_h2_respond(s->h->h2, s->id, &hd);
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

	if (n > 0 && core_h2_data(s->h->h2, s->id, p, n, 0) == -1)
		core_h2_reset(s->h->h2, s->id, H2_INTERNAL_ERROR);
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
		core_h2_trailers(s->h->h2, s->id, f, n);
		free(f);
	} else
		core_h2_data(s->h->h2, s->id, NULL, 0, 1);
	dirty(s->h);
}

static void
op_fail(void *side, int status, const char *reason, const char *msg)
{
	struct dstream *s = side;
	struct flow_response r;
	char len[24];

	if (status == XFAIL_KILLED || status == 0 || s->head_sent) {
		core_h2_reset(s->h->h2, s->id, status == XFAIL_KILLED ?
		    H2_CANCEL : H2_INTERNAL_ERROR);
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
	core_h2_data(s->h->h2, s->id, msg, strlen(msg), 0);
	core_h2_data(s->h->h2, s->id, "\n", 1, 1);
	s->head_sent = 1;
}

static size_t
op_pending(void *side)
{
	struct dstream *s = side;

	return core_h2_pending(s->h->h2, s->id);
}

static void
op_pause(void *side, int paused)
{
	struct dstream *s = side;

	s->paused = paused;
	if (!paused && s->owed > 0) {
		core_h2_consume(s->h->h2, s->id, s->owed);
		s->owed = 0;
		dirty(s->h);
	}
}

static void
op_done(void *side, int ok)
{
	struct dstream *s = side;
	struct h2down *h = s->h;

	s->x = NULL;
	/* A response that ended before the request did: the client may
	 * stop sending (RFC 9113 8.1); a failed one is reset. */
	if (!ok)
		core_h2_reset(h->h2, s->id, s->head_sent ? H2_NO_ERROR :
		    H2_INTERNAL_ERROR);
	stream_free(s);
	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	dirty(h);
}

static const struct down_ops h2down_ops = {
	op_interim, op_head, op_data, op_end, op_fail, op_pending, op_pause,
	op_done, NULL
};

/* --- the codec's events -------------------------------------------------------- */

static void
on_head(void *arg, int32_t id, const struct h2_head *hd)
{
	struct h2down *h = arg;
	struct conn *c = h->c;
	struct flow_request *fr;
	struct xtarget t;
	struct dstream *s;
	struct flow *f;
	struct url u;
	const char *cl;
	enum xbody kind;
	uint64_t len = 0;
	size_t i;

	if (find(h, id) != NULL)
		return;		/* trailers come as on_trailers */
	s = calloc(1, sizeof *s);
	if (s == NULL)
		abort();
	s->h = h;
	s->id = id;
	s->next = h->streams;
	h->streams = s;
	c->nreq++;

	f = core_conn_flow(c, FLOW_HTTP);
	f->stream_id = id;
	fr = core_flow_request_new();
	fr->t_start = core_now();
	fr->version = strdup("HTTP/2.0");
	core_flow_set(&fr->method, hd->method != NULL ? hd->method : "?");
	core_flow_set(&fr->scheme, hd->scheme != NULL ? hd->scheme :
	    c->scheme);
	for (i = 0; fr->scheme[i] != '\0'; i++)
		fr->scheme[i] = (char)(fr->scheme[i] | 0x20);
	core_flow_set(&fr->path, hd->path != NULL ? hd->path : "/");
	for (i = 0; i < hd->nfields; i++)
		core_flow_header_add(&fr->headers, hd->fields[i].name,
		    hd->fields[i].name_len, hd->fields[i].value,
		    hd->fields[i].value_len);
	/* :authority is the host, as mitmproxy reads it (else Host). */
	memset(&u, 0, sizeof u);
	{
		const char *auth = hd->authority != NULL ? hd->authority :
		    core_flow_header_get(&fr->headers, "host");
		int dport = strcmp(fr->scheme, "https") == 0 ? 443 : 80;

		if (auth == NULL || core_url_parse_host_header(auth,
		    strlen(auth), &u, c->dest_host != NULL ? c->dest_port :
		    dport) == -1) {
			u.host = c->dest_host != NULL ? c->dest_host : "";
			u.host_len = strlen(u.host);
			u.port = c->dest_port;
		}
	}
	fr->host = core_flow_strndup(u.host, u.host_len);
	fr->port = u.port;

	memset(&t, 0, sizeof t);
	t.scheme = strdup(fr->scheme);
	t.host = strdup(c->dest_host != NULL ? c->dest_host : fr->host);
	t.port = c->dest_host != NULL ? c->dest_port : fr->port;
	if (strcmp(t.scheme, "https") == 0)
		t.tls_name = strdup(c->sni != NULL ? c->sni : fr->host);
	t.minor = 1;
	t.absolute = c->dest_host == NULL;
	cl = core_flow_header_get(&fr->headers, "content-length");
	if (hd->end_stream)
		kind = XBODY_NONE;
	else if (cl != NULL && (len = strtoull(cl, NULL, 10)) > 0)
		kind = XBODY_LENGTH;
	else
		kind = XBODY_CHUNKED;
	if (fr->host[0] == '\0' || strcmp(fr->method, "CONNECT") == 0) {
		/* Extended CONNECT (WebSocket over HTTP/2) and requests with
		 * no authority are not relayed: the stream is refused. */
		f->request = fr;
		core_store_add(f);
		core_flow_error(f, "%s", fr->host[0] == '\0' ? "HTTP/2 request "
		    "without :authority" : "HTTP/2 CONNECT is not supported");
		core_store_finish(f);
		core_xtarget_clear(&t);
		core_h2_reset(h->h2, id, H2_REFUSED_STREAM);
		stream_free(s);
		return;
	}
	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	s->x = core_exchange_new(c, &h2down_ops, s, f, fr, &t, kind, len);
}

static void
on_data(void *arg, int32_t id, const char *p, size_t n)
{
	struct h2down *h = arg;
	struct dstream *s = find(h, id);

	if (s == NULL || s->x == NULL) {
		core_h2_consume(h->h2, id, n);
		return;
	}
	core_exchange_request_data(s->x, p, n);
	/* The exchange may be gone, or may hold the body back. */
	if ((s = find(h, id)) != NULL && s->paused)
		s->owed += n;
	else
		core_h2_consume(h->h2, id, n);
}

static void
on_trailers(void *arg, int32_t id, const struct h2_field *fl, size_t n)
{
	struct dstream *s = find(arg, id);
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		core_flow_header_add(&s->trailers, fl[i].name, fl[i].name_len,
		    fl[i].value, fl[i].value_len);
}

static void
on_end(void *arg, int32_t id)
{
	struct dstream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_request_end(s->x, s->trailers.n > 0 ?
		    &s->trailers : NULL);
}

static void
on_reset(void *arg, int32_t id, uint32_t code)
{
	struct dstream *s = find(arg, id);
	char why[300];

	if (s == NULL)
		return;
	if (s->x != NULL) {
		struct exchange *x = s->x;

		s->x = NULL;
		if (s->why != NULL)
			snprintf(why, sizeof why, "%s", s->why);
		else
			snprintf(why, sizeof why, "the client reset the stream "
			    "(HTTP/2 error 0x%x)", code);
		core_exchange_client_gone(x, why);
	}
	stream_free(s);
}

static void
on_stream_error(void *arg, int32_t id, const char *why)
{
	struct dstream *s = find(arg, id);

	if (s != NULL) {
		free(s->why);
		s->why = strdup(why);
	}
}

static void
on_writable(void *arg, int32_t id)
{
	struct dstream *s = find(arg, id);

	if (s != NULL && s->x != NULL)
		core_exchange_down_drained(s->x);
}

static void
on_output(void *arg, const char *p, size_t n)
{
	struct h2down *h = arg;

	core_stream_write(h->c->s, p, n);
}

/* --- the client's stream -------------------------------------------------------- */

static void
client_data(void *arg, const char *p, size_t n)
{
	struct h2down *h = arg;
	char *cause = NULL;

	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	h->busy++;
	if (core_h2_feed(h->h2, p, n, &cause) == -1) {
		/* A flood or a broken session: the client is cut off, and
		 * the user told why. */
		struct flow *f = core_conn_flow(h->c, FLOW_TCP);
		char server[300];

		core_conn_server(h->c, server, sizeof server);
		core_flow_set(&f->server, server);
		core_store_add(f);
		core_flow_error(f, "HTTP/2 client cut off: %s", cause != NULL ?
		    cause : "protocol error");
		core_store_finish(f);
		free(cause);
		h->busy--;
		while (core_h2_flush(h->h2) == 1 &&
		    core_stream_pending(h->c->s) == 0)
			;
		h_close(h, 0);
		return;
	}
	settle(h);
}

static void
client_drain(void *arg)
{
	struct h2down *h = arg;

	flush(h);
}

static void
client_gone(struct h2down *h, const char *why)
{
	struct dstream *s;

	h->busy++;
	for (s = h->streams; s != NULL; s = s->next)
		if (s->x != NULL) {
			struct exchange *x = s->x;

			s->x = NULL;
			core_exchange_client_gone(x, why);
		}
	h->busy--;
	h_close(h, 1);
}

static void
client_eof(void *arg)
{
	client_gone(arg, "closed the connection");
}

static void
client_error(void *arg, const char *msg)
{
	client_gone(arg, msg);
}

static void
client_idle(void *arg)
{
	struct h2down *h = arg;
	struct dstream *s;

	if (h->streams != NULL) {
		/* Nothing moved on any stream for that long: their servers
		 * did not answer in time (each fails with 504 or a reset). */
		h->busy++;
		for (;;) {
			for (s = h->streams; s != NULL && s->x == NULL;
			    s = s->next)
				;
			if (s == NULL)
				break;
			core_exchange_timeout(s->x);
		}
		core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
		settle(h);
		return;
	}
	core_h2_goaway(h->h2, H2_NO_ERROR);
	flush(h);
	h_close(h, 0);
}

/* The codec for c, not yet reading; NULL (nothing changed) when
 * nghttp2 cannot start one. */
static struct h2down *
h2down_new(struct conn *c, char **cause)
{
	struct h2down *h = calloc(1, sizeof *h);
	struct h2_cbs hc = {
		on_head, on_data, on_trailers, on_end, on_reset,
		on_stream_error, on_writable, NULL, on_output, h
	};

	if (h == NULL)
		abort();
	h->c = c;
	if ((h->h2 = core_h2_new(1, &hc, cause)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

/* h takes c over and reads it. */
static void
h2down_run(struct h2down *h)
{
	struct conn *c = h->c;
	struct stream_cbs cbs = {
		client_data, client_drain, client_eof, client_error, h
	};

	c->codec_ops = &h2down_codec;
	c->codec = h;
	h->idle = core_loop_timer_new(core_loop, client_idle, h);
	h->flush_later = core_loop_timer_new(core_loop, flush_timer, h);
	core_loop_timer_set(h->idle, LIMIT_IDLE_CLIENT_SEC);
	core_stream_set_cbs(c->s, &cbs);
	core_stream_pause(c->s, 0);
}

void
core_h2down_start(struct conn *c, const char *pre, size_t prelen)
{
	struct h2down *h;
	char *cause = NULL;

	if ((h = h2down_new(c, &cause)) == NULL) {
		core_notice("HTTP/2: %s", cause != NULL ? cause : "no memory");
		free(cause);
		core_stream_abort(c->s);
		c->s = NULL;
		core_conn_free(c);
		return;
	}
	h2down_run(h);
	flush(h);
	if (prelen > 0)
		client_data(h, pre, prelen);
}

int
core_h2down_upgrade(struct conn *c, const char *settings, size_t slen,
    struct flow *f, struct xtarget *t, const char *pre, size_t prelen)
{
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
	struct flow_request *fr = f->request;
	struct h2down *h;
	struct dstream *s;
	char *cause = NULL;

	if ((h = h2down_new(c, &cause)) == NULL) {
		free(cause);
		return -1;
	}
	if (core_h2_upgrade(h->h2, settings, slen,
	    strcmp(fr->method, "HEAD") == 0) == -1) {
		core_h2_free(h->h2);
		free(h);
		return -1;
	}
	/* The 101 first; the server's SETTINGS follow it (RFC 7540 3.2). */
	core_stream_write(c->s, ok, sizeof ok - 1);
	c->h2 = 1;
	c->h2_upgraded = 1;
	h2down_run(h);
	if ((s = calloc(1, sizeof *s)) == NULL)
		abort();
	s->h = h;
	s->id = 1;
	h->streams = s;
	f->stream_id = 1;
	core_flow_set(&fr->version, "HTTP/2.0");
	h->busy++;
	s->x = core_exchange_new(c, &h2down_ops, s, f, fr, t, XBODY_NONE, 0);
	/* The client's preface, if it came with the request. */
	if (prelen > 0)
		client_data(h, pre, prelen);
	settle(h);
	return 0;
}
