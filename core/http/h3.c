/*
 * h3.c -- HTTP/3 on libnghttp3 (h3.h). Send queues are lists of copied
 * chunks: nghttp3 keeps pointers into what read_data gave it until the
 * bytes are acknowledged, so a chunk never moves. The QUIC layer copies
 * what it takes and resends it itself, so bytes count as acknowledged
 * here as soon as QUIC took them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#include "core/http/h3.h"
#include "core/loop/limits.h"
#include "core/loop/cause.h"

struct chunk {
	struct chunk	*next;
	size_t		 len;
	size_t		 given;		/* handed to nghttp3 */
	size_t		 acked;		/* taken by QUIC: the chunk goes when
					 * all is */
	char		 data[];
};

/* A field being received: nghttp3's buffers, held until the section
 * ends. */
struct rfield {
	nghttp3_rcbuf	*name, *value;
};

struct h3s {
	int64_t		 id;
	struct h3	*h;
	struct chunk	*head, *tail;
	size_t		 queued;	/* bytes not yet taken by QUIC */
	int		 eof;		/* the message's end is queued */
	int		 over;		/* queued passed LIMIT_H3_SEND_QUEUE */
	int		 reset;		/* on_reset was said */
	struct rfield	*rf;
	size_t		 nrf, caprf;
	struct h3s	*next;
};

/* A stream QUIC freed while nghttp3 was on the stack. */
struct closing {
	int64_t		 id;
	uint64_t	 code;
};

struct h3 {
	nghttp3_conn	*conn;
	struct h3_cbs	 cbs;
	int		 server;
	struct h3s	*streams;
	int64_t		 blocked[LIMIT_H3_BLOCKED];
	size_t		 nblocked;
	/* Inside nghttp3 (feed, flush): closes wait in closing, as
	 * nghttp3 still uses the stream it calls back for. */
	int		 busy;
	struct closing	*closing;
	size_t		 nclosing, capclosing;
};

static struct h3s *
find(struct h3 *h, int64_t id, int make)
{
	struct h3s *s;

	for (s = h->streams; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	if (!make)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		abort();
	s->id = id;
	s->h = h;
	s->next = h->streams;
	h->streams = s;
	return s;
}

static void
fields_clear(struct h3s *s)
{
	size_t i;

	for (i = 0; i < s->nrf; i++) {
		nghttp3_rcbuf_decref(s->rf[i].name);
		nghttp3_rcbuf_decref(s->rf[i].value);
	}
	s->nrf = 0;
}

static void
stream_free(struct h3 *h, struct h3s *s)
{
	struct h3s **p;
	struct chunk *c;

	for (p = &h->streams; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	while ((c = s->head) != NULL) {
		s->head = c->next;
		free(c);
	}
	fields_clear(s);
	free(s->rf);
	free(s);
}

static void
say_reset(struct h3 *h, int64_t id, uint64_t code)
{
	struct h3s *s = find(h, id, 0);

	if (s == NULL || s->reset)
		return;
	s->reset = 1;
	if (h->cbs.on_reset != NULL)
		h->cbs.on_reset(h->cbs.arg, id, code);
}

/* --- nghttp3's callbacks -------------------------------------------------- */

/* n more bytes of stream id's body are acknowledged (that is, taken
 * by QUIC): chunks wholly acknowledged go. */
static int
cb_acked(nghttp3_conn *conn, int64_t id, uint64_t n, void *arg, void *sarg)
{
	struct h3 *h = arg;
	struct h3s *s = find(h, id, 0);
	struct chunk *c;

	if (s == NULL)
		return 0;
	s->queued = s->queued > n ? s->queued - (size_t)n : 0;
	while (n > 0 && (c = s->head) != NULL) {
		size_t take = c->len - c->acked < n ? c->len - c->acked :
		    (size_t)n;

		c->acked += take;
		n -= take;
		if (c->acked < c->len)
			break;
		s->head = c->next;
		if (s->tail == c)
			s->tail = NULL;
		free(c);
	}
	if (s->over && s->queued < LIMIT_H3_SEND_QUEUE) {
		s->over = 0;
		if (h->cbs.on_writable != NULL)
			h->cbs.on_writable(h->cbs.arg, id);
	}
	return 0;
}

static int
cb_stream_close(nghttp3_conn *conn, int64_t id, uint64_t code, void *arg,
    void *sarg)
{
	struct h3 *h = arg;
	struct h3s *s = find(h, id, 0);

	if (s != NULL)
		stream_free(h, s);
	return 0;
}

static int
cb_recv_data(nghttp3_conn *conn, int64_t id, const uint8_t *p, size_t n,
    void *arg, void *sarg)
{
	struct h3 *h = arg;

	if (h->cbs.on_data != NULL)
		h->cbs.on_data(h->cbs.arg, id, (const char *)p, n);
	return 0;
}

static int
cb_deferred_consume(nghttp3_conn *conn, int64_t id, size_t n, void *arg,
    void *sarg)
{
	struct h3 *h = arg;

	if (h->cbs.on_consume != NULL)
		h->cbs.on_consume(h->cbs.arg, id, n);
	return 0;
}

static int
cb_begin_headers(nghttp3_conn *conn, int64_t id, void *arg, void *sarg)
{
	struct h3s *s = find(arg, id, 1);

	fields_clear(s);
	return 0;
}

static int
cb_recv_header(nghttp3_conn *conn, int64_t id, int32_t token,
    nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags, void *arg,
    void *sarg)
{
	struct h3s *s = find(arg, id, 1);

	if (s->nrf == s->caprf) {
		size_t cap = s->caprf ? 2 * s->caprf : 16;
		struct rfield *n = realloc(s->rf, cap * sizeof *n);

		if (n == NULL)
			return NGHTTP3_ERR_CALLBACK_FAILURE;
		s->rf = n;
		s->caprf = cap;
	}
	nghttp3_rcbuf_incref(name);
	nghttp3_rcbuf_incref(value);
	s->rf[s->nrf].name = name;
	s->rf[s->nrf].value = value;
	s->nrf++;
	return 0;
}

/* Turns the section s holds into h2.h's terms for the callbacks. */
static int
section_end(struct h3 *h, int64_t id, int fin, int trailers)
{
	struct h3s *s = find(h, id, 1);
	struct h2_head hd;
	struct h2_field *f;
	char *pseudo[4] = { NULL, NULL, NULL, NULL };
	size_t i, nf = 0;

	if ((f = calloc(s->nrf + 1, sizeof *f)) == NULL)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	memset(&hd, 0, sizeof hd);
	for (i = 0; i < s->nrf; i++) {
		nghttp3_vec n = nghttp3_rcbuf_get_buf(s->rf[i].name);
		nghttp3_vec v = nghttp3_rcbuf_get_buf(s->rf[i].value);
		static const char *const names[] = {
			":method", ":scheme", ":authority", ":path"
		};
		size_t k;

		if (n.len > 0 && n.base[0] == ':') {
			/* nghttp3 checked them; the strings are NUL-ended
			 * copies for h2.h's head. */
			if (n.len == 7 && memcmp(n.base, ":status", 7) == 0) {
				hd.status = 0;
				for (k = 0; k < v.len && k < 3; k++)
					hd.status = hd.status * 10 +
					    (v.base[k] - '0');
				continue;
			}
			for (k = 0; k < 4; k++)
				if (strlen(names[k]) == n.len &&
				    memcmp(names[k], n.base, n.len) == 0 &&
				    pseudo[k] == NULL)
					pseudo[k] = strndup((char *)v.base,
					    v.len);
			continue;
		}
		f[nf].name = (const char *)n.base;
		f[nf].name_len = n.len;
		f[nf].value = (const char *)v.base;
		f[nf].value_len = v.len;
		nf++;
	}
	if (trailers) {
		if (h->cbs.on_trailers != NULL)
			h->cbs.on_trailers(h->cbs.arg, id, f, nf);
	} else {
		hd.method = pseudo[0];
		hd.scheme = pseudo[1];
		hd.authority = pseudo[2];
		hd.path = pseudo[3];
		hd.fields = f;
		hd.nfields = nf;
		hd.end_stream = fin;
		if (h->cbs.on_head != NULL)
			h->cbs.on_head(h->cbs.arg, id, &hd);
	}
	for (i = 0; i < 4; i++)
		free(pseudo[i]);
	free(f);
	/* The callback may have reset and freed the stream. */
	if ((s = find(h, id, 0)) != NULL)
		fields_clear(s);
	return 0;
}

static int
cb_end_headers(nghttp3_conn *conn, int64_t id, int fin, void *arg, void *sarg)
{
	return section_end(arg, id, fin, 0);
}

static int
cb_end_trailers(nghttp3_conn *conn, int64_t id, int fin, void *arg,
    void *sarg)
{
	return section_end(arg, id, fin, 1);
}

static int
cb_end_stream(nghttp3_conn *conn, int64_t id, void *arg, void *sarg)
{
	struct h3 *h = arg;

	if (h->cbs.on_end != NULL)
		h->cbs.on_end(h->cbs.arg, id);
	return 0;
}

/* nghttp3 found the stream malformed (or a section too big). */
static int
cb_reset_stream(nghttp3_conn *conn, int64_t id, uint64_t code, void *arg,
    void *sarg)
{
	struct h3 *h = arg;

	if (h->cbs.on_stream_reset != NULL)
		h->cbs.on_stream_reset(h->cbs.arg, id, code);
	say_reset(h, id, code);
	return 0;
}

static nghttp3_ssize
read_data(nghttp3_conn *conn, int64_t id, nghttp3_vec *vec, size_t veccnt,
    uint32_t *flags, void *arg, void *sarg)
{
	struct h3s *s = find(arg, id, 0);
	struct chunk *c;
	size_t n = 0;

	if (s == NULL) {
		*flags |= NGHTTP3_DATA_FLAG_EOF;
		return 0;
	}
	for (c = s->head; c != NULL && n < veccnt; c = c->next) {
		if (c->given == c->len)
			continue;
		vec[n].base = (uint8_t *)c->data + c->given;
		vec[n].len = c->len - c->given;
		c->given = c->len;
		n++;
	}
	if (n == 0 && !s->eof)
		return NGHTTP3_ERR_WOULDBLOCK;
	if (s->eof) {
		for (c = s->head; c != NULL && c->given == c->len; c = c->next)
			;
		if (c == NULL)
			*flags |= NGHTTP3_DATA_FLAG_EOF;
	}
	return (nghttp3_ssize)n;
}

static const nghttp3_data_reader reader = { read_data };

/* --- the codec --------------------------------------------------------------- */

struct h3 *
core_h3_new(int server, const struct h3_cbs *cbs, int64_t ctrl, int64_t qenc,
    int64_t qdec, char **cause)
{
	nghttp3_callbacks	cb;
	nghttp3_settings	set;
	struct h3		*h = calloc(1, sizeof *h);
	int			rv;

	if (h == NULL)
		abort();
	h->cbs = *cbs;
	h->server = server;
	memset(&cb, 0, sizeof cb);
	cb.acked_stream_data = cb_acked;
	cb.stream_close = cb_stream_close;
	cb.recv_data = cb_recv_data;
	cb.deferred_consume = cb_deferred_consume;
	cb.begin_headers = cb_begin_headers;
	cb.recv_header = cb_recv_header;
	cb.end_headers = cb_end_headers;
	cb.begin_trailers = cb_begin_headers;
	cb.recv_trailer = cb_recv_header;
	cb.end_trailers = cb_end_trailers;
	cb.end_stream = cb_end_stream;
	cb.reset_stream = cb_reset_stream;
	cb.stop_sending = cb_reset_stream;
	nghttp3_settings_default(&set);
	set.max_field_section_size = LIMIT_H3_HEADER_LIST;
	set.qpack_max_dtable_capacity = 4096;
	set.qpack_blocked_streams = 16;
	rv = server ? nghttp3_conn_server_new(&h->conn, &cb, &set, NULL, h) :
	    nghttp3_conn_client_new(&h->conn, &cb, &set, NULL, h);
	if (rv == 0 && server)
		nghttp3_conn_set_max_client_streams_bidi(h->conn,
		    (uint64_t)1 << 40);
	if (rv == 0)
		rv = nghttp3_conn_bind_control_stream(h->conn, ctrl);
	if (rv == 0)
		rv = nghttp3_conn_bind_qpack_streams(h->conn, qenc, qdec);
	if (rv != 0) {
		core_cause(cause, "HTTP/3: %s", nghttp3_strerror(rv));
		nghttp3_conn_del(h->conn);
		free(h);
		return NULL;
	}
	return h;
}

void
core_h3_free(struct h3 *h)
{
	if (h == NULL)
		return;
	while (h->streams != NULL)
		stream_free(h, h->streams);
	nghttp3_conn_del(h->conn);
	free(h->closing);
	free(h);
}

static void	closes_run(struct h3 *);

int
core_h3_feed(struct h3 *h, int64_t id, const uint8_t *p, size_t n, int fin,
    uint64_t *code, char **cause)
{
	nghttp3_ssize used;

	h->busy++;
	used = nghttp3_conn_read_stream(h->conn, id, p, n, fin);
	h->busy--;
	closes_run(h);
	if (used < 0) {
		*code = nghttp3_err_infer_quic_app_error_code((int)used);
		core_cause(cause, "HTTP/3: %s", nghttp3_strerror((int)used));
		return -1;
	}
	if (used > 0 && h->cbs.on_consume != NULL)
		h->cbs.on_consume(h->cbs.arg, id, (size_t)used);
	return 0;
}

/* nghttp3's name-value pairs for a head: pseudo-headers first, names
 * lower-cased into one block (HTTP/3 refuses upper case). */
static nghttp3_nv *
nva_of(const struct h2_head *hd, size_t *nnv, char **block)
{
	nghttp3_nv *nv = calloc(hd->nfields + 5, sizeof *nv);
	size_t i, n = 0, need = 8;
	char *b, status[8];
	const char *pn[4] = { ":method", ":scheme", ":authority", ":path" };
	const char *pv[4] = { hd->method, hd->scheme, hd->authority, hd->path };

	if (nv == NULL)
		abort();
	for (i = 0; i < hd->nfields; i++)
		need += hd->fields[i].name_len;
	if ((b = *block = malloc(need)) == NULL)
		abort();
	if (hd->status != 0) {
		snprintf(status, sizeof status, "%03d", hd->status);
		memcpy(b, status, 4);
		nv[n].name = (uint8_t *)":status";
		nv[n].namelen = 7;
		nv[n].value = (uint8_t *)b;
		nv[n].valuelen = 3;
		n++;
		b += 4;
	}
	for (i = 0; i < 4; i++)
		if (pv[i] != NULL) {
			nv[n].name = (uint8_t *)pn[i];
			nv[n].namelen = strlen(pn[i]);
			nv[n].value = (uint8_t *)pv[i];
			nv[n].valuelen = strlen(pv[i]);
			n++;
		}
	for (i = 0; i < hd->nfields; i++) {
		const struct h2_field *f = &hd->fields[i];
		size_t k;

		if (f->name_len == 0 || f->name[0] == ':')
			continue;
		for (k = 0; k < f->name_len; k++)
			b[k] = (char)tolower((unsigned char)f->name[k]);
		nv[n].name = (uint8_t *)b;
		nv[n].namelen = f->name_len;
		nv[n].value = (uint8_t *)f->value;
		nv[n].valuelen = f->value_len;
		b += f->name_len;
		n++;
	}
	*nnv = n;
	return nv;
}

int
core_h3_request(struct h3 *h, int64_t id, const struct h2_head *hd,
    char **cause)
{
	nghttp3_nv *nv;
	size_t n;
	char *block;
	int rv;

	find(h, id, 1);
	nv = nva_of(hd, &n, &block);
	rv = nghttp3_conn_submit_request(h->conn, id, nv, n,
	    hd->end_stream ? NULL : &reader, NULL);
	free(nv);
	free(block);
	if (rv != 0) {
		core_cause(cause, "HTTP/3 request: %s", nghttp3_strerror(rv));
		return -1;
	}
	return 0;
}

int
core_h3_respond(struct h3 *h, int64_t id, const struct h2_head *hd)
{
	nghttp3_nv *nv;
	size_t n;
	char *block;
	int rv;

	if (find(h, id, 0) == NULL)
		return -1;
	nv = nva_of(hd, &n, &block);
	if (hd->status >= 100 && hd->status < 200)
		rv = nghttp3_conn_submit_info(h->conn, id, nv, n);
	else
		rv = nghttp3_conn_submit_response(h->conn, id, nv, n,
		    hd->end_stream ? NULL : &reader);
	free(nv);
	free(block);
	return rv == 0 ? 0 : -1;
}

int
core_h3_data(struct h3 *h, int64_t id, const char *p, size_t n, int fin)
{
	struct h3s *s = find(h, id, 0);
	struct chunk *c;

	if (s == NULL || s->eof || s->reset)
		return -1;
	if (n > 0) {
		if ((c = malloc(sizeof *c + n)) == NULL)
			abort();
		c->next = NULL;
		c->len = n;
		c->given = c->acked = 0;
		memcpy(c->data, p, n);
		if (s->tail != NULL)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
		s->queued += n;
		if (s->queued >= LIMIT_H3_SEND_QUEUE)
			s->over = 1;
	}
	if (fin)
		s->eof = 1;
	nghttp3_conn_resume_stream(h->conn, id);
	return 0;
}

int
core_h3_trailers(struct h3 *h, int64_t id, const struct h2_field *f,
    size_t n)
{
	struct h3s *s = find(h, id, 0);
	struct h2_head hd;
	nghttp3_nv *nv;
	size_t nn;
	char *block;
	int rv;

	if (s == NULL || s->eof || s->reset)
		return -1;
	memset(&hd, 0, sizeof hd);
	hd.fields = f;
	hd.nfields = n;
	nv = nva_of(&hd, &nn, &block);
	rv = nghttp3_conn_submit_trailers(h->conn, id, nv, nn);
	free(nv);
	free(block);
	s->eof = 1;
	nghttp3_conn_resume_stream(h->conn, id);
	return rv == 0 ? 0 : -1;
}

size_t
core_h3_pending(struct h3 *h, int64_t id)
{
	struct h3s *s = find(h, id, 0);

	return s != NULL ? s->queued : 0;
}

void
core_h3_stream_reset(struct h3 *h, int64_t id)
{
	struct h3s *s = find(h, id, 0);

	nghttp3_conn_shutdown_stream_read(h->conn, id);
	nghttp3_conn_shutdown_stream_write(h->conn, id);
	if (s != NULL)
		s->reset = 1;
}

static void
close_now(struct h3 *h, int64_t id, uint64_t code)
{
	struct h3s *s;

	/* Closes what nghttp3 knows; stream_close frees ours. */
	if (nghttp3_conn_close_stream(h->conn, id, code) != 0 &&
	    (s = find(h, id, 0)) != NULL)
		stream_free(h, s);
}

/* The closes a callback asked for, once nghttp3 returned (a close
 * there may call back and add more). */
static void
closes_run(struct h3 *h)
{
	size_t i;

	if (h->busy)
		return;
	h->busy++;
	for (i = 0; i < h->nclosing; i++)
		close_now(h, h->closing[i].id, h->closing[i].code);
	h->nclosing = 0;
	h->busy--;
}

void
core_h3_stream_closed(struct h3 *h, int64_t id, uint64_t code)
{
	if (!h->busy) {
		close_now(h, id, code);
		return;
	}
	if (h->nclosing == h->capclosing) {
		size_t cap = h->capclosing ? 2 * h->capclosing : 8;
		struct closing *n = realloc(h->closing, cap * sizeof *n);

		if (n == NULL)
			abort();
		h->closing = n;
		h->capclosing = cap;
	}
	h->closing[h->nclosing].id = id;
	h->closing[h->nclosing].code = code;
	h->nclosing++;
}

void
core_h3_unblock(struct h3 *h, int64_t id)
{
	size_t i;

	for (i = 0; i < h->nblocked; i++)
		if (id == -1 || h->blocked[i] == id) {
			nghttp3_conn_unblock_stream(h->conn, h->blocked[i]);
			h->blocked[i--] = h->blocked[--h->nblocked];
		}
}

static void
block(struct h3 *h, int64_t id)
{
	size_t i;

	for (i = 0; i < h->nblocked; i++)
		if (h->blocked[i] == id)
			return;
	if (h->nblocked < LIMIT_H3_BLOCKED)
		h->blocked[h->nblocked++] = id;
	nghttp3_conn_block_stream(h->conn, id);
}

void
core_h3_flush(struct h3 *h)
{
	nghttp3_vec	v[16];
	nghttp3_ssize	n;
	int64_t		id;
	int		fin, i, rounds = 0;

	h->busy++;
	while (rounds++ < 4096) {
		id = -1;
		fin = 0;
		n = nghttp3_conn_writev_stream(h->conn, &id, &fin, v, 16);
		if (n < 0 || id == -1)
			break;
		if (n == 0) {
			if (h->cbs.on_output(h->cbs.arg, id, NULL, 0, fin) == 0)
				nghttp3_conn_add_write_offset(h->conn, id, 0);
			else
				block(h, id);
			continue;
		}
		for (i = 0; i < n; i++) {
			int last = i == n - 1;

			if (h->cbs.on_output(h->cbs.arg, id, v[i].base,
			    v[i].len, last && fin) != 0) {
				block(h, id);
				break;
			}
			/* QUIC copied them: written and, for nghttp3,
			 * acknowledged (cb_acked frees the chunks). */
			nghttp3_conn_add_write_offset(h->conn, id, v[i].len);
			nghttp3_conn_add_ack_offset(h->conn, id, v[i].len);
		}
	}
	h->busy--;
	closes_run(h);
}
