/*
 * h2.c -- the HTTP/2 codec: nghttp2's callbacks turned into h2_cbs events.
 *
 * nghttp2 frames, validates and does HPACK; this file holds each stream's
 * send queue (served to nghttp2 without a copy), collects header blocks,
 * ties the receive windows to core_h2_consume and adds the defences
 * nghttp2 1.52 lacks (header list cap, rapid reset, empty frames).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "core/http/h2.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"

#define PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN	(sizeof PREFACE - 1)
/* Smallest piece of a send queue; bigger writes get a piece of their own. */
#define CHUNK		(16 * 1024)
/* A queue refuses data past this (see h2.h, Flow control). */
#define QUEUE_HARD	((size_t)LIMIT_H2_SEND_QUEUE + LIMIT_H2_STREAM_WINDOW)

struct chunk {
	struct chunk	*next;
	size_t		 start;		/* first unsent byte */
	size_t		 end;		/* bytes written */
	size_t		 cap;
	char		 data[];
};

/* Trailer fields waiting for the body to drain; nv points into buf. */
struct nvset {
	nghttp2_nv	*nv;
	size_t		 n;
	char		*buf;
};

struct h2_stream {
	struct h2_stream *next, *prev;
	int32_t		 id;
	struct chunk	*head, *tail;	/* send queue */
	size_t		 queued;
	struct nvset	 trailers;	/* nv == NULL: none */
	unsigned	 provider:1;	/* final head sent with a body to follow */
	unsigned	 final:1;	/* final head sent (server) */
	unsigned	 end_queued:1;	/* caller ended its side */
	unsigned	 local_ended:1;	/* END_STREAM handed to nghttp2 */
	unsigned	 deferred:1;	/* provider returned DEFERRED */
	unsigned	 full:1;	/* queue reached LIMIT_H2_SEND_QUEUE */
	unsigned	 writable:1;	/* on_writable owed */
	unsigned	 announced:1;	/* the caller knows the stream */
	unsigned	 remote_ended:1;
	unsigned	 local_reset:1;	/* the caller wants (or gets) no more */
	unsigned	 caller_reset:1;	/* by core_h2_reset */
	unsigned	 refused:1;	/* the codec reset it for a limit */
	unsigned	 peer_reset:1;	/* RST_STREAM received */
	unsigned	 not_sent:1;	/* request HEADERS never went out */
	uint32_t	 not_sent_code;
	uint32_t	 refused_code;
};

/* One received field: offsets into h2->hb. */
struct hfield {
	size_t	name, name_len, value, value_len;
};

struct h2 {
	nghttp2_session	*s;
	struct h2_cbs	 cb;
	int		 server;
	int		 busy;		/* inside nghttp2 or a callback burst */
	int		 fed;		/* core_h2_feed was called */
	struct h2_stream *streams;
	int		 nstreams;

	/* The header block being received (one at a time per connection). */
	int32_t		 hid;
	char		*hb;
	size_t		 hb_len, hb_cap;
	struct hfield	*hf;
	size_t		 nhf, hf_cap;
	size_t		 hsize;		/* RFC 9113 size so far */
	int		 hover;		/* past LIMIT_H2_HEADER_LIST */
	size_t		 pseudo[5];	/* offset + 1 of :method :scheme
					   :authority :path :status; 0 absent */
	struct h2_field	*fv;		/* handed to callbacks */
	size_t		 fv_cap;

	/* Output of one flush, gathered so that it reaches on_output (and
	 * the socket) in one piece, not a write per frame. */
	char		*ob;
	size_t		 olen, ocap;
	size_t		 sent;
	int		 blocked;	/* stopped at LIMIT_H2_OUTPUT */
	int		 writable;	/* some stream owes on_writable */
	char		 tail[17];	/* raw GOAWAY after a fatal error */
	size_t		 tail_len;

	/* Defences and ending. */
	int		 debt;		/* bad streams beyond good ones */
	int		 empty;		/* empty DATA frames in a row */
	int		 cut;		/* the codec terminated the session */
	int		 dead;		/* nghttp2 failed: session unusable */
	int		 goaway_ours;
	char		 fail[256];	/* why it ended in error; "" if not */
	char		 lasterr[200];	/* nghttp2's last error message */
};

enum { P_METHOD, P_SCHEME, P_AUTHORITY, P_PATH, P_STATUS };

/* --- streams and their send queues --- */

static struct h2_stream *
stream_new(struct h2 *h, int32_t id)
{
	struct h2_stream	*st;

	st = calloc(1, sizeof *st);
	if (st == NULL)
		return (NULL);
	st->id = id;
	st->next = h->streams;
	if (h->streams != NULL)
		h->streams->prev = st;
	h->streams = st;
	h->nstreams++;
	return (st);
}

static void
nvset_free(struct nvset *v)
{
	free(v->nv);
	free(v->buf);
	memset(v, 0, sizeof *v);
}

static void
stream_free(struct h2 *h, struct h2_stream *st)
{
	struct chunk	*c, *n;

	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	h->nstreams--;
	for (c = st->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	nvset_free(&st->trailers);
	if (h->s != NULL && nghttp2_session_find_stream(h->s, st->id) != NULL)
		nghttp2_session_set_stream_user_data(h->s, st->id, NULL);
	free(st);
}

static struct h2_stream *
stream_find(struct h2 *h, int32_t id)
{
	struct h2_stream	*st;

	for (st = h->streams; st != NULL; st = st->next)
		if (st->id == id)
			return (st);
	return (NULL);
}

/* The stream nghttp2 knows as id (or one still waiting to open). */
static struct h2_stream *
stream_get(struct h2 *h, int32_t id)
{
	struct h2_stream	*st;

	st = nghttp2_session_get_stream_user_data(h->s, id);
	return (st != NULL ? st : stream_find(h, id));
}

static int
queue_append(struct h2_stream *st, const char *p, size_t n)
{
	struct chunk	*c = st->tail;
	size_t		 room, cap;

	if (c != NULL && (room = c->cap - c->end) > 0) {
		if (room > n)
			room = n;
		memcpy(c->data + c->end, p, room);
		c->end += room;
		p += room;
		n -= room;
		st->queued += room;
	}
	if (n == 0)
		return (0);
	/* A first piece fits what came (a small body is often all there
	 * is); the pieces after it are CHUNK or more. */
	cap = n > CHUNK || st->head == NULL ? n : CHUNK;
	c = malloc(sizeof *c + cap);
	if (c == NULL)
		return (-1);
	c->next = NULL;
	c->start = 0;
	c->end = n;
	c->cap = cap;
	memcpy(c->data, p, n);
	if (st->tail != NULL)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	st->queued += n;
	return (0);
}

/* --- fields out: nghttp2_nv arrays --- */

static int
token_eq(const char *s, size_t n, const char *lit)
{
	return (strlen(lit) == n && strncasecmp(s, lit, n) == 0);
}

/* Whether the comma-separated list v holds the token t (any case). */
static int
list_has(const char *v, size_t vn, const char *t, size_t tn)
{
	size_t	i = 0, a, b;

	while (i < vn) {
		while (i < vn && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		a = i;
		while (i < vn && v[i] != ',')
			i++;
		b = i;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tn && tn > 0 && strncasecmp(v + a, t, tn) == 0)
			return (1);
	}
	return (0);
}

/* RFC 9113 section 8.2.2: what HTTP/2 must not carry. conn: some field
 * of all is a Connection field (found once per list, not per field). */
static int
hop_by_hop(const struct h2_field *f, const struct h2_field *all, size_t n,
    int conn)
{
	static const char	*names[] = {
		"connection", "keep-alive", "proxy-connection",
		"transfer-encoding", "upgrade"
	};
	const char	*v = f->value;
	size_t		 i, vn = f->value_len;

	if (f->name_len == 0 || f->name[0] == ':')
		return (1);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (token_eq(f->name, f->name_len, names[i]))
			return (1);
	if (token_eq(f->name, f->name_len, "te")) {
		while (vn > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vn--;
		}
		while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		return (!token_eq(v, vn, "trailers"));
	}
	/* Fields that a Connection field names are hop-by-hop too. */
	for (i = 0; conn && i < n; i++)
		if (token_eq(all[i].name, all[i].name_len, "connection") &&
		    list_has(all[i].value, all[i].value_len, f->name,
		    f->name_len))
			return (1);
	return (0);
}

static void
nv_put(nghttp2_nv *nv, const char *name, size_t nl, const char *value,
    size_t vl)
{
	nv->name = (uint8_t *)(uintptr_t)name;
	nv->namelen = nl;
	nv->value = (uint8_t *)(uintptr_t)value;
	nv->valuelen = vl;
	nv->flags = NGHTTP2_NV_FLAG_NONE;
}

/*
 * Builds pseudo-headers from head (NULL for trailers; status != 0 makes
 * a response) and the fields, lower-cased, without hop-by-hop ones.
 * Returns -1 for a field HTTP/2 cannot carry. Caller frees with
 * nvset_free.
 */
static int
nv_build(struct nvset *v, const struct h2_head *head,
    const struct h2_field *f, size_t nf, char *status)
{
	size_t	i, j, names = 0;
	char	*p, c;
	int	conn = 0;

	memset(v, 0, sizeof *v);
	for (i = 0; i < nf; i++) {
		names += f[i].name_len;
		conn = conn || token_eq(f[i].name, f[i].name_len,
		    "connection");
	}
	v->nv = calloc(nf + 5, sizeof *v->nv);
	v->buf = malloc(names + 1);
	if (v->nv == NULL || v->buf == NULL)
		goto fail;
	if (head != NULL && head->status != 0) {
		snprintf(status, 4, "%03d", head->status);
		nv_put(&v->nv[v->n++], ":status", 7, status, 3);
	} else if (head != NULL) {
		const char	*ps[4] = { head->method, head->scheme,
			head->authority, head->path };
		static const char *pn[4] = { ":method", ":scheme",
			":authority", ":path" };

		for (i = 0; i < 4; i++)
			if (ps[i] != NULL)
				nv_put(&v->nv[v->n++], pn[i], strlen(pn[i]),
				    ps[i], strlen(ps[i]));
	}
	p = v->buf;
	for (i = 0; i < nf; i++) {
		if (hop_by_hop(&f[i], f, nf, conn))
			continue;
		for (j = 0; j < f[i].name_len; j++) {
			c = f[i].name[j];
			p[j] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
		}
		if (!nghttp2_check_header_name((uint8_t *)p, f[i].name_len) ||
		    !nghttp2_check_header_value_rfc9113(
		    (const uint8_t *)f[i].value, f[i].value_len))
			goto fail;
		nv_put(&v->nv[v->n++], p, f[i].name_len, f[i].value,
		    f[i].value_len);
		p += f[i].name_len;
	}
	return (0);
fail:
	nvset_free(v);
	return (-1);
}

/* Copies an nvset so that it owns its bytes (trailers wait in a queue). */
static int
nv_own(struct nvset *dst, const struct nvset *src)
{
	size_t	i, total = 0;
	char	*p;

	memset(dst, 0, sizeof *dst);
	for (i = 0; i < src->n; i++)
		total += src->nv[i].namelen + src->nv[i].valuelen;
	dst->nv = calloc(src->n + 1, sizeof *dst->nv);
	dst->buf = malloc(total + 1);
	if (dst->nv == NULL || dst->buf == NULL) {
		nvset_free(dst);
		return (-1);
	}
	p = dst->buf;
	for (i = 0; i < src->n; i++) {
		memcpy(p, src->nv[i].name, src->nv[i].namelen);
		memcpy(p + src->nv[i].namelen, src->nv[i].value,
		    src->nv[i].valuelen);
		nv_put(&dst->nv[i], p, src->nv[i].namelen,
		    p + src->nv[i].namelen, src->nv[i].valuelen);
		p += src->nv[i].namelen + src->nv[i].valuelen;
	}
	dst->n = src->n;
	return (0);
}

/* --- ending --- */

static void
set_fail(struct h2 *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_fail(struct h2 *h, const char *fmt, ...)
{
	va_list	ap;

	if (h->fail[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(h->fail, sizeof h->fail, fmt, ap);
	va_end(ap);
}

/* A defence fired: GOAWAY through nghttp2, which ignores what follows. */
static void
cut(struct h2 *h, uint32_t code)
{
	h->cut = 1;
	h->goaway_ours = 1;
	nghttp2_session_terminate_session(h->s, code);
}

/*
 * nghttp2 returned a fatal error: the session may not be used again, so
 * the GOAWAY is written by hand.
 */
static void
die(struct h2 *h, int rv)
{
	uint32_t	code = NGHTTP2_INTERNAL_ERROR;
	int32_t		last;
	unsigned char	*g = (unsigned char *)h->tail;

	if (h->dead)
		return;
	switch (rv) {
	case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
		code = NGHTTP2_ENHANCE_YOUR_CALM;
		set_fail(h, "CONTINUATION flood: more than %d CONTINUATION "
		    "frames in one header block", LIMIT_H2_CONTINUATIONS);
		break;
	case NGHTTP2_ERR_FLOODED:
		code = NGHTTP2_ENHANCE_YOUR_CALM;
		set_fail(h, "control frame flood: the peer does not read the "
		    "PING/SETTINGS acknowledgements it asks for");
		break;
	case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
		code = NGHTTP2_PROTOCOL_ERROR;
		set_fail(h, "not an HTTP/2 client connection preface");
		break;
	default:
		set_fail(h, "HTTP/2 session failed: %s", nghttp2_strerror(rv));
		break;
	}
	h->dead = 1;
	last = nghttp2_session_get_last_proc_stream_id(h->s);
	/* 8-byte payload, type GOAWAY, no flags, stream 0. */
	memcpy(g, "\0\0\x08\x07\0\0\0\0\0", 9);
	g[9] = (last >> 24) & 0x7f;
	g[10] = (last >> 16) & 0xff;
	g[11] = (last >> 8) & 0xff;
	g[12] = last & 0xff;
	g[13] = code >> 24;
	g[14] = (code >> 16) & 0xff;
	g[15] = (code >> 8) & 0xff;
	g[16] = code & 0xff;
	h->tail_len = 17;
}

/* --- nghttp2 callbacks: output --- */

/* Gathers n bytes for the end of the flush. Bounded: a flush stops
 * taking frames past LIMIT_H2_OUTPUT. */
static void
out(struct h2 *h, const void *p, size_t n)
{
	size_t	cap;

	if (h->olen + n > h->ocap) {
		for (cap = h->ocap ? h->ocap : CHUNK; cap < h->olen + n; )
			cap *= 2;
		if ((h->ob = realloc(h->ob, cap)) == NULL)
			abort();	/* out of memory is not survivable */
		h->ocap = cap;
	}
	memcpy(h->ob + h->olen, p, n);
	h->olen += n;
}

/* What the flush gathered, out in one call. A connection with streams
 * open keeps the buffer (at most LIMIT_H2_OUTPUT and a frame) for its
 * next flush: a malloc and free of it per flush would have the heap
 * trimmed and grown again, a page fault per page. An idle one lets it
 * go. */
static void
out_flush(struct h2 *h)
{
	if (h->olen > 0)
		h->cb.on_output(h->cb.arg, h->ob, h->olen);
	h->olen = 0;
	if (h->nstreams == 0) {
		free(h->ob);
		h->ob = NULL;
		h->ocap = 0;
	}
}

static ssize_t
send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags,
    void *arg)
{
	struct h2	*h = arg;

	if (h->sent >= LIMIT_H2_OUTPUT) {
		h->blocked = 1;
		return (NGHTTP2_ERR_WOULDBLOCK);
	}
	out(h, data, len);
	h->sent += len;
	return ((ssize_t)len);
}

/* DATA frames are taken straight from the queue (NGHTTP2_DATA_FLAG_NO_COPY)
 * into the flush's output. */
static int
send_data_cb(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *fh,
    size_t length, nghttp2_data_source *src, void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st = src->ptr;
	struct chunk		*c;
	size_t			 n;

	if (frame->data.padlen != 0)
		return (NGHTTP2_ERR_CALLBACK_FAILURE);	/* never asked for */
	if (h->sent >= LIMIT_H2_OUTPUT) {
		h->blocked = 1;
		return (NGHTTP2_ERR_WOULDBLOCK);
	}
	out(h, fh, 9);
	h->sent += 9 + length;
	while (length > 0 && (c = st->head) != NULL) {
		n = c->end - c->start;
		if (n > length)
			n = length;
		out(h, c->data + c->start, n);
		c->start += n;
		length -= n;
		st->queued -= n;
		if (c->start == c->end) {
			st->head = c->next;
			if (st->head == NULL)
				st->tail = NULL;
			free(c);
		}
	}
	if (st->full && st->queued < LIMIT_H2_SEND_QUEUE) {
		st->full = 0;
		st->writable = 1;
		h->writable = 1;
	}
	return (0);
}

static ssize_t
read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2_stream	*st = src->ptr;
	size_t			 n = st->queued < length ? st->queued : length;

	if (n == st->queued && st->end_queued) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		st->local_ended = 1;
		if (st->trailers.nv != NULL) {
			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
			if (nghttp2_submit_trailer(s, id, st->trailers.nv,
			    st->trailers.n) != 0) {
				nvset_free(&st->trailers);
				return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
			}
			nvset_free(&st->trailers);
		}
	} else if (n == 0) {
		st->deferred = 1;
		return (NGHTTP2_ERR_DEFERRED);
	}
	if (n > 0)
		*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	return ((ssize_t)n);
}

/* --- nghttp2 callbacks: input --- */

static void
stream_error(struct h2 *h, int32_t id, const char *why)
{
	if (h->cb.on_stream_error != NULL)
		h->cb.on_stream_error(h->cb.arg, id, why);
}

static int
begin_headers_cb(nghttp2_session *s, const nghttp2_frame *frame, void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st;

	if (frame->hd.type != NGHTTP2_HEADERS)
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);	/* a push */
	h->hid = frame->hd.stream_id;
	h->hb_len = h->nhf = h->hsize = 0;
	h->hover = 0;
	memset(h->pseudo, 0, sizeof h->pseudo);
	if (frame->headers.cat == NGHTTP2_HCAT_REQUEST && h->server) {
		st = stream_new(h, frame->hd.stream_id);
		if (st == NULL)
			return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
		nghttp2_session_set_stream_user_data(s, st->id, st);
	}
	return (0);
}

/* Appends s (n bytes) and a NUL to the header block; returns its offset. */
static size_t
hb_put(struct h2 *h, const uint8_t *s, size_t n)
{
	size_t	off = h->hb_len, cap;

	if (h->hb_len + n + 1 > h->hb_cap) {
		cap = h->hb_cap ? h->hb_cap : 1024;
		while (cap < h->hb_len + n + 1)
			cap *= 2;
		h->hb = realloc(h->hb, cap);
		if (h->hb == NULL)
			abort();
		h->hb_cap = cap;
	}
	memcpy(h->hb + off, s, n);
	h->hb[off + n] = '\0';
	h->hb_len += n + 1;
	return (off);
}

static int
header_cb(nghttp2_session *s, const nghttp2_frame *frame,
    const uint8_t *name, size_t nl, const uint8_t *value, size_t vl,
    uint8_t flags, void *arg)
{
	static const char	*pn[5] = {
		":method", ":scheme", ":authority", ":path", ":status"
	};
	struct h2		*h = arg;
	struct hfield		*f;
	size_t			 i;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->hd.stream_id != h->hid || h->hover)
		return (0);
	h->hsize += nl + vl + 32;
	if (h->hsize > LIMIT_H2_HEADER_LIST) {
		/* Keep decoding (HPACK state), keep nothing; refused later. */
		h->hover = 1;
		return (0);
	}
	if (nl > 0 && name[0] == ':') {
		for (i = 0; i < 5; i++)
			if (token_eq((const char *)name, nl, pn[i]))
				h->pseudo[i] = hb_put(h, value, vl) + 1;
		return (0);
	}
	if (h->nhf == h->hf_cap) {
		h->hf_cap = h->hf_cap ? 2 * h->hf_cap : 32;
		h->hf = reallocarray(h->hf, h->hf_cap, sizeof *h->hf);
		if (h->hf == NULL)
			abort();
	}
	f = &h->hf[h->nhf++];
	f->name = hb_put(h, name, nl);
	f->name_len = nl;
	f->value = hb_put(h, value, vl);
	f->value_len = vl;
	return (0);
}

/* The received fields as the callbacks see them. */
static const struct h2_field *
fields(struct h2 *h)
{
	size_t	i;

	if (h->nhf > h->fv_cap) {
		h->fv_cap = h->nhf;
		h->fv = reallocarray(h->fv, h->fv_cap, sizeof *h->fv);
		if (h->fv == NULL)
			abort();
	}
	for (i = 0; i < h->nhf; i++) {
		h->fv[i].name = h->hb + h->hf[i].name;
		h->fv[i].name_len = h->hf[i].name_len;
		h->fv[i].value = h->hb + h->hf[i].value;
		h->fv[i].value_len = h->hf[i].value_len;
	}
	return (h->fv);
}

static const char *
pseudo(struct h2 *h, int i)
{
	return (h->pseudo[i] ? h->hb + h->pseudo[i] - 1 : NULL);
}

/* The codec resets a stream for a limit; the caller hears why. */
static void
refuse(struct h2 *h, struct h2_stream *st, uint32_t code, const char *why)
{
	st->refused = 1;
	st->refused_code = code;
	nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, code);
	stream_error(h, st->id, why);
}

/* Whether the caller still wants events for st. */
static int
live(const struct h2_stream *st)
{
	return (st != NULL && st->announced && !st->local_reset &&
	    !st->refused);
}

static void
got_headers(struct h2 *h, const nghttp2_frame *frame, struct h2_stream *st)
{
	struct h2_head	 head;
	char		 why[64];
	const char	*status;

	if (st == NULL || st->local_reset || st->refused ||
	    frame->hd.stream_id != h->hid)
		return;
	if (h->hover) {
		snprintf(why, sizeof why, "header list over %d bytes",
		    LIMIT_H2_HEADER_LIST);
		refuse(h, st, NGHTTP2_ENHANCE_YOUR_CALM, why);
		return;
	}
	memset(&head, 0, sizeof head);
	head.fields = fields(h);
	head.nfields = h->nhf;
	head.end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
	status = pseudo(h, P_STATUS);
	if (h->server ? frame->headers.cat == NGHTTP2_HCAT_REQUEST :
	    status != NULL) {
		head.method = pseudo(h, P_METHOD);
		head.scheme = pseudo(h, P_SCHEME);
		head.authority = pseudo(h, P_AUTHORITY);
		head.path = pseudo(h, P_PATH);
		head.status = status != NULL ? atoi(status) : 0;
		/* nghttp2 checks three digits only: "051" gets here. */
		if (!h->server && head.status < 100) {
			refuse(h, st, NGHTTP2_PROTOCOL_ERROR,
			    "malformed :status");
			return;
		}
		st->announced = 1;
		if (h->cb.on_head != NULL)
			h->cb.on_head(h->cb.arg, st->id, &head);
	} else if (st->announced && h->cb.on_trailers != NULL)
		h->cb.on_trailers(h->cb.arg, st->id, head.fields, head.nfields);
}

static int
frame_recv_cb(nghttp2_session *s, const nghttp2_frame *frame, void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st = NULL;
	size_t			 len;

	if (frame->hd.stream_id != 0)
		st = nghttp2_session_get_stream_user_data(s,
		    frame->hd.stream_id);
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		got_headers(h, frame, st);
		break;
	case NGHTTP2_DATA:
		len = frame->hd.length - (frame->data.padlen > 0 ?
		    frame->data.padlen : 0);
		if (len > 0)
			h->empty = 0;
		else if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
		    ++h->empty > LIMIT_H2_EMPTY_FRAMES) {
			set_fail(h, "empty frame flood: more than %d DATA "
			    "frames in a row without payload",
			    LIMIT_H2_EMPTY_FRAMES);
			cut(h, NGHTTP2_ENHANCE_YOUR_CALM);
			return (0);
		}
		break;
	case NGHTTP2_RST_STREAM:
		if (st != NULL)
			st->peer_reset = 1;
		return (0);
	case NGHTTP2_GOAWAY:
		if (h->cb.on_goaway != NULL)
			h->cb.on_goaway(h->cb.arg, frame->goaway.error_code,
			    frame->goaway.last_stream_id);
		return (0);
	default:
		return (0);
	}
	if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && live(st)) {
		st->remote_ended = 1;
		if (h->cb.on_end != NULL)
			h->cb.on_end(h->cb.arg, st->id);
	}
	return (0);
}

static int
data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
    size_t len, void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st;

	st = nghttp2_session_get_stream_user_data(s, id);
	if (!live(st) || h->cb.on_data == NULL) {
		/* Nobody will consume it: give the window back now. */
		nghttp2_session_consume(s, id, len);
		return (0);
	}
	h->cb.on_data(h->cb.arg, id, (const char *)data, len);
	return (0);
}

static int
stream_close_cb(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st;
	int			 bad;

	st = nghttp2_session_get_stream_user_data(s, id);
	if (st == NULL)
		st = stream_find(h, id);
	if (st != NULL && st->announced && !st->local_reset &&
	    (code != NGHTTP2_NO_ERROR || st->refused ||
	    !(st->remote_ended && st->local_ended)) && h->cb.on_reset != NULL) {
		/* Calls on the id from on_reset fail. */
		st->local_reset = 1;
		/* A refused stream may have closed before our RST went out;
		 * nghttp2 calls a request it could not send REFUSED. */
		h->cb.on_reset(h->cb.arg, id, st->refused ? st->refused_code :
		    st->not_sent ? st->not_sent_code : code);
	}
	if (st != NULL)
		st->local_reset = 1;
	/*
	 * Rapid reset: a client's streams that ended in a reset (its own,
	 * or one it provoked) run up a debt that completed streams pay off.
	 */
	if (h->server) {
		if (st != NULL)
			bad = st->peer_reset || st->refused ||
			    (code != NGHTTP2_NO_ERROR && !st->caller_reset);
		else
			bad = code != NGHTTP2_NO_ERROR;
		if (bad)
			h->debt++;
		else if (h->debt > 0 && st != NULL && !st->caller_reset)
			h->debt--;
		if (h->debt > LIMIT_H2_RAPID_RESET && !h->cut) {
			set_fail(h, "rapid reset flood: the client reset more "
			    "than %d streams beyond those that completed "
			    "(CVE-2023-44487)", LIMIT_H2_RAPID_RESET);
			cut(h, NGHTTP2_ENHANCE_YOUR_CALM);
		}
	}
	if (st != NULL)
		stream_free(h, st);
	return (0);
}

static int
invalid_frame_cb(nghttp2_session *s, const nghttp2_frame *frame, int code,
    void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st;
	char			 why[256];

	if (frame->hd.stream_id == 0)
		return (0);
	st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
	if (st == NULL)
		return (0);
	snprintf(why, sizeof why, "%s%s%s", nghttp2_strerror(code),
	    h->lasterr[0] != '\0' ? ": " : "", h->lasterr);
	h->lasterr[0] = '\0';
	stream_error(h, st->id, why);
	return (0);
}

static int
error_cb(nghttp2_session *s, int code, const char *msg, size_t len,
    void *arg)
{
	struct h2	*h = arg;

	snprintf(h->lasterr, sizeof h->lasterr, "%.*s", (int)len, msg);
	return (0);
}

static int
frame_send_cb(nghttp2_session *s, const nghttp2_frame *frame, void *arg)
{
	struct h2	*h = arg;
	const char	*why;
	size_t		 n;

	/* nghttp2 ended the connection for a protocol error of the peer. */
	if (frame->hd.type != NGHTTP2_GOAWAY ||
	    frame->goaway.error_code == NGHTTP2_NO_ERROR || h->goaway_ours)
		return (0);
	why = (const char *)frame->goaway.opaque_data;
	n = frame->goaway.opaque_data_len;
	if (n == 0) {
		why = h->lasterr[0] != '\0' ? h->lasterr : "no reason given";
		n = strlen(why);
	}
	set_fail(h, "HTTP/2 error by the peer (%s): %.*s",
	    nghttp2_http2_strerror(frame->goaway.error_code), (int)n, why);
	return (0);
}

static int
frame_not_send_cb(nghttp2_session *s, const nghttp2_frame *frame, int code,
    void *arg)
{
	struct h2		*h = arg;
	struct h2_stream	*st;

	if (frame->hd.type != NGHTTP2_HEADERS)
		return (0);
	st = stream_find(h, frame->hd.stream_id);
	if (st == NULL)
		return (0);
	if (!h->server && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
		/* Settled after the send: the stream may never have opened. */
		st->not_sent = 1;
		st->not_sent_code = code == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED ?
		    NGHTTP2_REFUSED_STREAM : NGHTTP2_INTERNAL_ERROR;
	} else if (!st->local_reset)
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
	if (!st->local_reset)
		stream_error(h, st->id, nghttp2_strerror(code));
	return (0);
}

/* Requests whose HEADERS nghttp2 dropped before opening a stream. */
static void
sweep_not_sent(struct h2 *h)
{
	struct h2_stream	*st, *next;

	for (st = h->streams; st != NULL; st = next) {
		next = st->next;
		if (!st->not_sent || nghttp2_session_find_stream(h->s, st->id))
			continue;
		if (!st->local_reset && h->cb.on_reset != NULL) {
			st->local_reset = 1;
			h->cb.on_reset(h->cb.arg, st->id, st->not_sent_code);
		}
		next = st->next;	/* the callback may have opened one */
		stream_free(h, st);
	}
}

/* --- the interface --- */

struct h2 *
core_h2_new(int server, const struct h2_cbs *cbs, char **cause)
{
	nghttp2_session_callbacks	*cb = NULL;
	nghttp2_option			*opt = NULL;
	nghttp2_settings_entry		 iv[6];
	struct h2			*h;
	size_t				 n = 0;
	int				 rv;

	h = calloc(1, sizeof *h);
	if (h == NULL || cbs->on_output == NULL ||
	    nghttp2_session_callbacks_new(&cb) != 0 ||
	    nghttp2_option_new(&opt) != 0) {
		core_cause(cause, "HTTP/2 codec: out of memory");
		goto fail;
	}
	h->cb = *cbs;
	h->server = server;
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_send_data_callback(cb, send_data_cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
	    begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
	    frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
	    stream_close_cb);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb,
	    invalid_frame_cb);
	nghttp2_session_callbacks_set_error_callback2(cb, error_cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb,
	    frame_send_cb);
	nghttp2_session_callbacks_set_on_frame_not_send_callback(cb,
	    frame_not_send_cb);

	/* Windows follow core_h2_consume, not nghttp2's reading. */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_no_closed_streams(opt, 1);
	nghttp2_option_set_max_deflate_dynamic_table_size(opt,
	    LIMIT_H2_HPACK_TABLE);
	nghttp2_option_set_max_continuations(opt, LIMIT_H2_CONTINUATIONS);
	nghttp2_option_set_peer_max_concurrent_streams(opt, LIMIT_H2_STREAMS);
	nghttp2_option_set_max_reserved_remote_streams(opt, 0);

	rv = server ? nghttp2_session_server_new2(&h->s, cb, h, opt) :
	    nghttp2_session_client_new2(&h->s, cb, h, opt);
	if (rv != 0) {
		core_cause(cause, "HTTP/2 codec: %s", nghttp2_strerror(rv));
		goto fail;
	}
	iv[n++] = (nghttp2_settings_entry){ NGHTTP2_SETTINGS_HEADER_TABLE_SIZE,
	    LIMIT_H2_HPACK_TABLE };
	iv[n++] = (nghttp2_settings_entry){
	    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, LIMIT_H2_STREAMS };
	iv[n++] = (nghttp2_settings_entry){
	    NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, LIMIT_H2_STREAM_WINDOW };
	iv[n++] = (nghttp2_settings_entry){
	    NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, LIMIT_H2_HEADER_LIST };
	iv[n++] = (nghttp2_settings_entry){
	    NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 };
	if (!server)
		iv[n++] = (nghttp2_settings_entry){
		    NGHTTP2_SETTINGS_ENABLE_PUSH, 0 };
	if ((rv = nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv,
	    n)) != 0 || (rv = nghttp2_session_set_local_window_size(h->s,
	    NGHTTP2_FLAG_NONE, 0, LIMIT_H2_CONN_WINDOW)) != 0) {
		core_cause(cause, "HTTP/2 codec: %s", nghttp2_strerror(rv));
		goto fail;
	}
	nghttp2_session_callbacks_del(cb);
	nghttp2_option_del(opt);
	return (h);
fail:
	if (cb != NULL)
		nghttp2_session_callbacks_del(cb);
	if (opt != NULL)
		nghttp2_option_del(opt);
	core_h2_free(h);
	return (NULL);
}

void
core_h2_free(struct h2 *h)
{
	if (h == NULL)
		return;
	while (h->streams != NULL)
		stream_free(h, h->streams);
	if (h->s != NULL)
		nghttp2_session_del(h->s);
	free(h->hb);
	free(h->hf);
	free(h->fv);
	free(h->ob);
	free(h);
}

int
core_h2_feed(struct h2 *h, const char *p, size_t n, char **cause)
{
	ssize_t	rv;

	if (h->busy) {
		core_cause(cause, "HTTP/2 codec: fed from its own callback");
		return (-1);
	}
	h->fed = 1;
	if (!h->dead && !h->cut) {
		h->busy = 1;
		rv = nghttp2_session_mem_recv(h->s, (const uint8_t *)p, n);
		h->busy = 0;
		if (rv < 0)
			die(h, (int)rv);
	}
	if (h->dead || h->cut) {
		core_cause(cause, "%s", h->fail);
		return (-1);
	}
	return (0);
}

/* Submits a head; request: returns the new id, response: 0; or < 0. */
static int32_t
submit_head(struct h2 *h, struct h2_stream *st, const struct h2_head *head)
{
	nghttp2_data_provider	 prd, *pp = NULL;
	struct nvset		 v;
	char			 status[4];
	int32_t			 rv;

	if (nv_build(&v, head, head->fields, head->nfields, status) != 0)
		return (NGHTTP2_ERR_INVALID_ARGUMENT);
	if (!head->end_stream && (head->status == 0 || head->status >= 200)) {
		prd.source.ptr = st;
		prd.read_callback = read_cb;
		pp = &prd;
	}
	if (head->status == 0)
		rv = nghttp2_submit_request(h->s, NULL, v.nv, v.n, pp, st);
	else if (head->status < 200)
		rv = nghttp2_submit_headers(h->s, NGHTTP2_FLAG_NONE, st->id,
		    NULL, v.nv, v.n, NULL);
	else
		rv = nghttp2_submit_response(h->s, st->id, v.nv, v.n, pp);
	nvset_free(&v);
	if (rv >= 0 && (head->status == 0 || head->status >= 200)) {
		st->final = 1;
		st->provider = pp != NULL;
		if (pp == NULL)
			st->end_queued = st->local_ended = 1;
	}
	return (rv);
}

int32_t
core_h2_request(struct h2 *h, const struct h2_head *head, char **cause)
{
	struct h2_stream	*st;
	int32_t			 id;

	if (h->server || h->dead || head->method == NULL || head->status) {
		core_cause(cause, "HTTP/2: not a request on a client");
		return (-1);
	}
	if (!nghttp2_session_check_request_allowed(h->s)) {
		core_cause(cause, "HTTP/2: the server is going away (GOAWAY)");
		return (-1);
	}
	if (h->nstreams >= LIMIT_H2_STREAMS) {
		core_cause(cause, "HTTP/2: more than %d streams open",
		    LIMIT_H2_STREAMS);
		return (-1);
	}
	if ((st = stream_new(h, 0)) == NULL) {
		core_cause(cause, "HTTP/2: out of memory");
		return (-1);
	}
	st->announced = 1;
	id = submit_head(h, st, head);
	if (id < 0) {
		stream_free(h, st);
		core_cause(cause, "HTTP/2 request: %s",
		    id == NGHTTP2_ERR_INVALID_ARGUMENT ?
		    "a field HTTP/2 cannot carry" : nghttp2_strerror(id));
		return (-1);
	}
	st->id = id;
	return (id);
}

int
core_h2_respond(struct h2 *h, int32_t id, const struct h2_head *head)
{
	struct h2_stream	*st;

	if (!h->server || h->dead || (st = stream_get(h, id)) == NULL ||
	    !live(st) || st->final || head->status < 100 ||
	    head->status > 999 || head->status == 101)
		return (-1);
	return (submit_head(h, st, head) == 0 ? 0 : -1);
}

static void
resume(struct h2 *h, struct h2_stream *st)
{
	if (st->deferred) {
		st->deferred = 0;
		nghttp2_session_resume_data(h->s, st->id);
	}
}

int
core_h2_data(struct h2 *h, int32_t id, const char *p, size_t n, int end)
{
	struct h2_stream	*st;

	if (h->dead || (st = stream_get(h, id)) == NULL || st->local_reset ||
	    st->refused || !st->provider || st->end_queued ||
	    st->queued + n > QUEUE_HARD)
		return (-1);
	if (n > 0 && queue_append(st, p, n) != 0)
		return (-1);
	if (end)
		st->end_queued = 1;
	if (st->queued >= LIMIT_H2_SEND_QUEUE)
		st->full = 1;
	resume(h, st);
	return (0);
}

int
core_h2_trailers(struct h2 *h, int32_t id, const struct h2_field *f,
    size_t n)
{
	struct h2_stream	*st;
	struct nvset		 v;
	char			 unused[4];

	if (h->dead || (st = stream_get(h, id)) == NULL || st->local_reset ||
	    st->refused || !st->provider || st->end_queued)
		return (-1);
	if (nv_build(&v, NULL, f, n, unused) != 0)
		return (-1);
	if (v.n == 0) {
		/* Nothing left to send as trailers: just end the body. */
		nvset_free(&v);
		st->end_queued = 1;
		resume(h, st);
		return (0);
	}
	if (nv_own(&st->trailers, &v) != 0) {
		nvset_free(&v);
		return (-1);
	}
	nvset_free(&v);
	st->end_queued = 1;
	resume(h, st);
	return (0);
}

void
core_h2_reset(struct h2 *h, int32_t id, uint32_t code)
{
	struct h2_stream	*st;

	if (h->dead || (st = stream_get(h, id)) == NULL || st->local_reset)
		return;
	st->local_reset = st->caller_reset = 1;
	nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, id, code);
}

void
core_h2_consume(struct h2 *h, int32_t id, size_t n)
{
	if (!h->dead && n > 0)
		nghttp2_session_consume(h->s, id, n);
}

size_t
core_h2_pending(struct h2 *h, int32_t id)
{
	struct h2_stream	*st;

	if (h->dead || (st = stream_get(h, id)) == NULL)
		return (0);
	return (st->queued);
}

void
core_h2_goaway(struct h2 *h, uint32_t code)
{
	if (h->dead)
		return;
	h->goaway_ours = 1;
	if (code == NGHTTP2_NO_ERROR)
		nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(h->s), code,
		    NULL, 0);
	else
		nghttp2_session_terminate_session(h->s, code);
}

int
core_h2_flush(struct h2 *h)
{
	struct h2_stream	*st;
	int			 rv;

	if (h->busy)
		return (0);
	h->sent = 0;
	h->blocked = 0;
	for (;;) {
		if (h->dead) {
			if (h->tail_len > 0)
				out(h, h->tail, h->tail_len);
			h->tail_len = 0;
			out_flush(h);
			return (0);
		}
		h->busy = 1;
		rv = nghttp2_session_send(h->s);
		if (rv != 0) {
			h->busy = 0;
			die(h, rv);
			continue;
		}
		sweep_not_sent(h);
		if (!h->writable) {
			h->busy = 0;
			break;
		}
		/* Owed on_writable: the caller may queue more, so go again. */
		h->writable = 0;
		for (st = h->streams; st != NULL; st = st->next)
			if (st->writable) {
				st->writable = 0;
				if (live(st) && h->cb.on_writable != NULL)
					h->cb.on_writable(h->cb.arg, st->id);
			}
		h->busy = 0;
		if (h->blocked)
			break;
	}
	out_flush(h);
	return (h->blocked);
}

/* base64url (RFC 4648 section 5), padding optional; -1 on a bad byte. */
static ssize_t
b64url(const char *s, size_t n, uint8_t *out)
{
	uint32_t	acc = 0;
	size_t		i, o = 0;
	int		bits = 0, v;

	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-' || c == '+')
			v = 62;
		else if (c == '_' || c == '/')
			v = 63;
		else if (c == '=')
			break;
		else
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	return ((ssize_t)o);
}

int
core_h2_upgrade(struct h2 *h, const char *settings, size_t len,
    int head_request)
{
	struct h2_stream	*st;
	uint8_t			*raw;
	ssize_t			 n;
	int			 rv = -1;

	if (!h->server || h->fed || h->nstreams > 0 || h->dead)
		return (-1);
	if ((raw = malloc(len + 1)) == NULL)
		return (-1);
	n = b64url(settings, len, raw);
	if (n < 0 || n % 6 != 0 ||
	    nghttp2_session_upgrade2(h->s, raw, (size_t)n, head_request,
	    NULL) != 0)
		goto out;
	if ((st = stream_new(h, 1)) == NULL)
		goto out;
	st->announced = 1;
	st->remote_ended = 1;
	nghttp2_session_set_stream_user_data(h->s, 1, st);
	rv = 0;
out:
	free(raw);
	return (rv);
}

int
core_h2_active_streams(const struct h2 *h)
{
	return (h->nstreams);
}

int
core_h2_finished(const struct h2 *h, const char **why)
{
	int	done;

	if (h->dead)
		done = h->tail_len == 0;
	else
		done = !nghttp2_session_want_read(h->s) &&
		    !nghttp2_session_want_write(h->s);
	if (why != NULL)
		*why = done && h->fail[0] != '\0' ? h->fail : NULL;
	return (done);
}

int
core_h2_is_preface(const char *p, size_t n)
{
	if (memcmp(p, PREFACE, n < PREFACE_LEN ? n : PREFACE_LEN) != 0)
		return (0);
	return (n < PREFACE_LEN ? -2 : 1);
}
