/*
 * quic.c -- one QUIC endpoint on ngtcp2 (issue 17). TLS comes from
 * core/tls/quic_tls.c as an opaque session (BoringSSL stays in core/tls).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/quic/quic.h"
#include "core/tls/quic_tls.h"

/* Bytes written to one stream, in chunks that never move: ngtcp2 keeps
 * pointers into what it sent until the peer acknowledges it (it resends
 * from them). The first unacknowledged byte is head->data[hoff], at
 * stream offset base; len bytes from there are kept, sent of them are
 * with ngtcp2, the rest wait. */
#define QCHUNK	(16 * 1024)

struct qchunk {
	struct qchunk	*next;
	size_t		 used, cap;
	uint8_t		 data[];
};

struct qstream {
	int64_t		 id;
	struct qchunk	*head, *tail;
	size_t		 hoff;
	size_t		 len, sent;
	uint64_t	 base;
	int		 fin, fin_sent, blocked;
	struct qstream	*next;
};

struct quic {
	struct loop		*loop;
	ngtcp2_conn		*conn;
	void			*tls;
	ngtcp2_crypto_conn_ref	 ref;
	struct sockaddr_storage	 local, remote;
	socklen_t		 locallen, remotelen;
	struct quic_cbs		 cbs;
	struct loop_timer	*timer;
	struct qstream		*streams;
	int			 server, told_handshake, closed, in_cb;
	int			 want_writable;
	int			 close_pending, zombie;
	const char		*why;
	char			 whybuf[160];
};

static void	quic_flush(struct quic *);

static ngtcp2_tstamp
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NGTCP2_SECONDS + (uint64_t)ts.tv_nsec;
}

static void
fill(uint8_t *p, size_t n)
{
	/* glibc 2.36 (Debian 12) has arc4random_buf. */
	arc4random_buf(p, n);
}

static ngtcp2_conn *
get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic *)ref->user_data)->conn;
}

static void
rand_cb(uint8_t *dest, size_t n, const ngtcp2_rand_ctx *ctx)
{
	fill(dest, n);
}

static int
new_cid(ngtcp2_conn *c, ngtcp2_cid *cid, uint8_t *token, size_t len,
    void *ud)
{
	cid->datalen = len;
	fill(cid->data, len);
	fill(token, NGTCP2_STATELESS_RESET_TOKENLEN);
	return 0;
}

static void
stream_free(struct qstream *s)
{
	struct qchunk	*c;

	while ((c = s->head) != NULL) {
		s->head = c->next;
		free(c);
	}
	free(s);
}

static struct qstream *
stream_get(struct quic *q, int64_t id, int make)
{
	struct qstream	*s;

	for (s = q->streams; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	if (!make || (s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->id = id;
	s->next = q->streams;
	q->streams = s;
	return s;
}

static void
stream_drop(struct quic *q, int64_t id)
{
	struct qstream	**pp, *s;

	for (pp = &q->streams; (s = *pp) != NULL; pp = &s->next)
		if (s->id == id) {
			*pp = s->next;
			stream_free(s);
			return;
		}
}

static int
handshake_completed(ngtcp2_conn *c, void *ud)
{
	struct quic	*q = ud;

	q->told_handshake = 1;
	if (q->cbs.on_handshake != NULL)
		q->cbs.on_handshake(q->cbs.arg, core_quic_tls_alpn(q->tls));
	return 0;
}

static int
recv_stream_data(ngtcp2_conn *c, uint32_t flags, int64_t id,
    uint64_t offset, const uint8_t *data, size_t len, void *ud, void *sud)
{
	struct quic	*q = ud;

	if (q->cbs.on_stream_data != NULL)
		q->cbs.on_stream_data(q->cbs.arg, id, data, len,
		    (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
	/* The owner has copied them (its own write caps them). */
	if (!q->cbs.manual_credit) {
		ngtcp2_conn_extend_max_stream_offset(c, id, len);
		ngtcp2_conn_extend_max_offset(c, len);
	}
	return 0;
}

static int
acked(ngtcp2_conn *c, int64_t id, uint64_t offset, uint64_t len, void *ud,
    void *sud)
{
	struct quic	*q = ud;
	struct qstream	*s;
	struct qchunk	*ch;
	size_t		 n;

	if ((s = stream_get(q, id, 0)) == NULL || offset + len <= s->base)
		return 0;
	n = (size_t)(offset + len - s->base);
	if (n > s->sent)
		n = s->sent;
	s->len -= n;
	s->sent -= n;
	s->base += n;
	while (n > 0 && (ch = s->head) != NULL) {
		size_t take = ch->used - s->hoff < n ? ch->used - s->hoff : n;

		s->hoff += take;
		n -= take;
		if (s->hoff < ch->used)
			break;
		/* Wholly acknowledged: ngtcp2 points into it no more. */
		s->head = ch->next;
		if (s->tail == ch)
			s->tail = NULL;
		s->hoff = 0;
		free(ch);
	}
	if (s->blocked) {
		s->blocked = 0;
		q->want_writable = 1;
	}
	return 0;
}

static int
stream_close(ngtcp2_conn *c, uint32_t flags, int64_t id, uint64_t err,
    void *ud, void *sud)
{
	struct quic	*q = ud;

	stream_drop(q, id);
	if (q->cbs.on_stream_close != NULL)
		q->cbs.on_stream_close(q->cbs.arg, id, err);
	/* The peer may open another in its place. */
	if (!ngtcp2_conn_is_local_stream(c, id)) {
		if (ngtcp2_is_bidi_stream(id))
			ngtcp2_conn_extend_max_streams_bidi(c, 1);
		else
			ngtcp2_conn_extend_max_streams_uni(c, 1);
	}
	return 0;
}

static int
stream_reset(ngtcp2_conn *c, int64_t id, uint64_t size, uint64_t err,
    void *ud, void *sud)
{
	struct quic	*q = ud;

	if (q->cbs.on_stream_reset != NULL)
		q->cbs.on_stream_reset(q->cbs.arg, id, err);
	return 0;
}

static int
stop_sending(ngtcp2_conn *c, int64_t id, uint64_t err, void *ud, void *sud)
{
	return stream_reset(c, id, 0, err, ud, sud);
}

static int
extend_stream(ngtcp2_conn *c, int64_t id, uint64_t max, void *ud, void *sud)
{
	struct quic	*q = ud;
	struct qstream	*s;

	if ((s = stream_get(q, id, 0)) != NULL)
		s->blocked = 0;
	return 0;
}

static void
callbacks(ngtcp2_callbacks *cb, int server)
{
	memset(cb, 0, sizeof *cb);
	if (server)
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = new_cid;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->handshake_completed = handshake_completed;
	cb->recv_stream_data = recv_stream_data;
	cb->acked_stream_data_offset = acked;
	cb->stream_close = stream_close;
	cb->stream_reset = stream_reset;
	cb->stream_stop_sending = stop_sending;
	cb->extend_max_stream_data = extend_stream;
}

static void
settings(ngtcp2_settings *s, ngtcp2_transport_params *tp)
{
	ngtcp2_settings_default(s);
	s->initial_ts = now();
	s->max_tx_udp_payload_size = LIMIT_QUIC_DATAGRAM;
	s->no_tx_udp_payload_size_shaping = 0;
	ngtcp2_transport_params_default(tp);
	tp->initial_max_streams_bidi = LIMIT_QUIC_STREAMS_BIDI;
	tp->initial_max_streams_uni = LIMIT_QUIC_STREAMS_UNI;
	tp->initial_max_stream_data_bidi_local = LIMIT_QUIC_STREAM_WINDOW;
	tp->initial_max_stream_data_bidi_remote = LIMIT_QUIC_STREAM_WINDOW;
	tp->initial_max_stream_data_uni = LIMIT_QUIC_STREAM_WINDOW;
	tp->initial_max_data = LIMIT_QUIC_CONN_WINDOW;
	tp->max_idle_timeout = LIMIT_QUIC_IDLE_SEC * NGTCP2_SECONDS;
	tp->max_udp_payload_size = LIMIT_QUIC_DATAGRAM;
}

static void
path_of(struct quic *q, ngtcp2_path *p)
{
	p->local.addr = (ngtcp2_sockaddr *)&q->local;
	p->local.addrlen = q->locallen;
	p->remote.addr = (ngtcp2_sockaddr *)&q->remote;
	p->remote.addrlen = q->remotelen;
}

static socklen_t
sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

/* Ends q once: on_close on a later pass, so callers up the stack are not
 * freed under them. */
static void
closed_cb(void *arg)
{
	struct quic	*q = arg;
	char		 verify[128];
	const char	*v;

	q->close_pending = 0;
	if (q->zombie) {
		/* Freed by its owner while this was on its way. */
		core_quic_free(q);
		return;
	}
	if ((v = core_quic_tls_verify_error(q->tls)) != NULL) {
		snprintf(verify, sizeof verify, "%s", v);
		v = verify;
	}
	if (q->cbs.on_close != NULL)
		q->cbs.on_close(q->cbs.arg, q->why, v);
}

static void
set_closed(struct quic *q, const char *why)
{
	if (q->closed)
		return;
	q->closed = 1;
	snprintf(q->whybuf, sizeof q->whybuf, "%s", why);
	q->why = q->whybuf;
	core_loop_timer_stop(q->timer);
	q->close_pending = 1;
	core_loop_defer(q->loop, closed_cb, q);
}

/* A CONNECTION_CLOSE with ccerr, then the end. */
static void
close_with(struct quic *q, const ngtcp2_connection_close_error *ccerr,
    const char *why)
{
	uint8_t		 buf[LIMIT_QUIC_DATAGRAM];
	ngtcp2_path	 p;
	ngtcp2_pkt_info	 pi;
	ngtcp2_ssize	 n;

	if (q->closed)
		return;
	path_of(q, &p);
	if (!ngtcp2_conn_is_in_closing_period(q->conn) &&
	    !ngtcp2_conn_is_in_draining_period(q->conn)) {
		n = ngtcp2_conn_write_connection_close(q->conn, &p, &pi, buf,
		    sizeof buf, ccerr, now());
		if (n > 0)
			q->cbs.send(q->cbs.arg, buf, (size_t)n);
	}
	set_closed(q, why);
}

static void
close_liberr(struct quic *q, int rv, const char *what)
{
	ngtcp2_connection_close_error	ccerr;
	char				why[128];
	uint8_t				alert;

	ngtcp2_connection_close_error_default(&ccerr);
	if (rv == NGTCP2_ERR_CRYPTO &&
	    (alert = ngtcp2_conn_get_tls_alert(q->conn)) != 0)
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
		    &ccerr, alert, NULL, 0);
	else
		ngtcp2_connection_close_error_set_transport_error_liberr(
		    &ccerr, rv, NULL, 0);
	snprintf(why, sizeof why, "%s: %s", what, ngtcp2_strerror(rv));
	close_with(q, &ccerr, why);
}

static void
arm(struct quic *q)
{
	ngtcp2_tstamp	exp = ngtcp2_conn_get_expiry(q->conn), t = now();

	if (q->closed)
		return;
	if (exp == UINT64_MAX) {
		core_loop_timer_stop(q->timer);
		return;
	}
	core_loop_timer_set(q->timer, exp <= t ? 0 :
	    (double)(exp - t) / NGTCP2_SECONDS);
}

/* The bytes of s not yet given to ngtcp2, as up to max vecs. */
static size_t
unsent(struct qstream *s, ngtcp2_vec *v, size_t max)
{
	struct qchunk	*c = s->head;
	size_t		 skip = s->hoff + s->sent, n = 0;

	for (; c != NULL && skip >= c->used; c = c->next)
		skip -= c->used;
	for (; c != NULL && n < max; c = c->next, skip = 0) {
		if (c->used == skip)
			continue;
		v[n].base = c->data + skip;
		v[n].len = c->used - skip;
		n++;
	}
	return n;
}

/* Writes what ngtcp2 has: stream bytes first, then control frames. */
static void
quic_flush(struct quic *q)
{
	uint8_t		 buf[LIMIT_QUIC_DATAGRAM];
	ngtcp2_path	 p;
	ngtcp2_pkt_info	 pi;
	ngtcp2_ssize	 n, used;
	ngtcp2_vec	 v[8];
	size_t		 nv;
	struct qstream	*s, *next;
	uint32_t	 fl;
	int		 rounds = 0;

	/* Inside ngtcp2_conn_read_pkt (a callback wrote): the read's own
	 * flush follows. */
	if (q->closed || q->in_cb)
		return;
	path_of(q, &p);
	for (s = q->streams; s != NULL; s = next) {
		next = s->next;
		while (!s->blocked && (s->sent < s->len ||
		    (s->fin && !s->fin_sent))) {
			nv = unsent(s, v, 8);
			fl = NGTCP2_WRITE_STREAM_FLAG_MORE;
			if (s->fin)
				fl |= NGTCP2_WRITE_STREAM_FLAG_FIN;
			used = -1;
			n = ngtcp2_conn_writev_stream(q->conn, &p, &pi, buf,
			    sizeof buf, &used, fl, s->id, v, nv, now());
			if (used > 0)
				s->sent += (size_t)used;
			if (used >= 0 && s->fin && s->sent == s->len)
				s->fin_sent = 1;
			if (n == NGTCP2_ERR_WRITE_MORE)
				continue;
			if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
				s->blocked = 1;
				break;
			}
			if (n == NGTCP2_ERR_STREAM_SHUT_WR ||
			    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
				s->len = s->sent;
				s->fin_sent = 1;
				break;
			}
			if (n < 0) {
				close_liberr(q, (int)n, "QUIC write");
				return;
			}
			if (n == 0)
				break;
			q->cbs.send(q->cbs.arg, buf, (size_t)n);
			if (++rounds > 64)
				break;
		}
	}
	for (;;) {
		n = ngtcp2_conn_write_pkt(q->conn, &p, &pi, buf, sizeof buf,
		    now());
		if (n < 0) {
			close_liberr(q, (int)n, "QUIC write");
			return;
		}
		if (n == 0)
			break;
		q->cbs.send(q->cbs.arg, buf, (size_t)n);
	}
	arm(q);
	if (q->want_writable && q->cbs.on_writable != NULL) {
		q->want_writable = 0;
		q->cbs.on_writable(q->cbs.arg);
	}
}

static void
on_timer(void *arg)
{
	struct quic	*q = arg;
	int		 rv;

	if (q->closed)
		return;
	rv = ngtcp2_conn_handle_expiry(q->conn, now());
	if (rv == NGTCP2_ERR_IDLE_CLOSE) {
		set_closed(q, ngtcp2_conn_get_handshake_completed(q->conn) ?
		    "QUIC idle timeout" : "QUIC handshake timed out");
		return;
	}
	if (rv != 0) {
		close_liberr(q, rv, "QUIC timer");
		return;
	}
	quic_flush(q);
}

static struct quic *
quic_alloc(struct loop *loop, const struct sockaddr *local,
    const struct sockaddr *remote, const struct quic_cbs *cbs, int server,
    char **cause)
{
	struct quic	*q;

	if ((q = calloc(1, sizeof *q)) == NULL) {
		core_cause(cause, "out of memory");
		return NULL;
	}
	q->loop = loop;
	q->cbs = *cbs;
	q->server = server;
	q->ref.get_conn = get_conn;
	q->ref.user_data = q;
	memcpy(&q->local, local, sa_len(local));
	q->locallen = sa_len(local);
	memcpy(&q->remote, remote, sa_len(remote));
	q->remotelen = sa_len(remote);
	if ((q->timer = core_loop_timer_new(loop, on_timer, q)) == NULL) {
		core_cause(cause, "out of memory");
		free(q);
		return NULL;
	}
	return q;
}

struct quic *
core_quic_server_new(struct loop *loop, const uint8_t *first, size_t len,
    const struct sockaddr *client, const struct sockaddr *server,
    const char *sni, const char *host, const struct quic_cbs *cbs,
    char **cause)
{
	struct quic		*q;
	ngtcp2_pkt_hd		 hd;
	ngtcp2_callbacks	 cb;
	ngtcp2_settings		 s;
	ngtcp2_transport_params	 tp;
	ngtcp2_cid		 scid;
	ngtcp2_path		 p;
	int			 rv;

	if (ngtcp2_accept(&hd, first, len) != 0) {
		core_cause(cause, "not a QUIC Initial trawl can accept");
		return NULL;
	}
	if ((q = quic_alloc(loop, server, client, cbs, 1, cause)) == NULL)
		return NULL;
	if ((q->tls = core_quic_tls_server_new(sni, host, &q->ref,
	    cause)) == NULL)
		goto fail;
	callbacks(&cb, 1);
	settings(&s, &tp);
	tp.original_dcid = hd.dcid;
	scid.datalen = 18;
	fill(scid.data, scid.datalen);
	path_of(q, &p);
	if ((rv = ngtcp2_conn_server_new(&q->conn, &hd.scid, &scid, &p,
	    hd.version, &cb, &s, &tp, NULL, q)) != 0) {
		core_cause(cause, "cannot start QUIC: %s", ngtcp2_strerror(rv));
		goto fail;
	}
	ngtcp2_conn_set_tls_native_handle(q->conn, q->tls);
	return q;
fail:
	core_quic_free(q);
	return NULL;
}

static void
first_flush(void *arg)
{
	quic_flush(arg);
}

struct quic *
core_quic_client_new(struct loop *loop, const struct sockaddr *local,
    const struct sockaddr *server, const char *host,
    const struct quic_cbs *cbs, char **cause)
{
	struct quic		*q;
	ngtcp2_callbacks	 cb;
	ngtcp2_settings		 s;
	ngtcp2_transport_params	 tp;
	ngtcp2_cid		 scid, dcid;
	ngtcp2_path		 p;
	int			 rv;

	if ((q = quic_alloc(loop, local, server, cbs, 0, cause)) == NULL)
		return NULL;
	if ((q->tls = core_quic_tls_client_new(host, &q->ref, cause)) == NULL)
		goto fail;
	callbacks(&cb, 0);
	settings(&s, &tp);
	scid.datalen = 8;
	fill(scid.data, scid.datalen);
	dcid.datalen = 18;
	fill(dcid.data, dcid.datalen);
	path_of(q, &p);
	if ((rv = ngtcp2_conn_client_new(&q->conn, &dcid, &scid, &p,
	    NGTCP2_PROTO_VER_V1, &cb, &s, &tp, NULL, q)) != 0) {
		core_cause(cause, "cannot start QUIC: %s", ngtcp2_strerror(rv));
		goto fail;
	}
	ngtcp2_conn_set_tls_native_handle(q->conn, q->tls);
	core_loop_defer(loop, first_flush, q);
	return q;
fail:
	core_quic_free(q);
	return NULL;
}

void
core_quic_input(struct quic *q, const uint8_t *data, size_t len)
{
	ngtcp2_path			p;
	ngtcp2_pkt_info			pi;
	ngtcp2_connection_close_error	ccerr;
	char				why[128];
	int				rv;

	if (q->closed)
		return;
	path_of(q, &p);
	memset(&pi, 0, sizeof pi);
	q->in_cb = 1;
	rv = ngtcp2_conn_read_pkt(q->conn, &p, &pi, data, len, now());
	q->in_cb = 0;
	if (rv == NGTCP2_ERR_DRAINING) {
		ngtcp2_conn_get_connection_close_error(q->conn, &ccerr);
		snprintf(why, sizeof why, "QUIC closed by the peer (error "
		    "0x%llx%s%.*s)", (unsigned long long)ccerr.error_code,
		    ccerr.reasonlen ? ": " : "", (int)ccerr.reasonlen,
		    ccerr.reason != NULL ? (const char *)ccerr.reason : "");
		set_closed(q, why);
		return;
	}
	if (rv != 0 && rv != NGTCP2_ERR_DISCARD_PKT) {
		close_liberr(q, rv, "QUIC read");
		return;
	}
	quic_flush(q);
}

int
core_quic_write(struct quic *q, int64_t id, const uint8_t *data, size_t len,
    int fin)
{
	struct qstream	*s;
	struct qchunk	*c;
	size_t		 room;

	if (q->closed) {
		errno = EPIPE;
		return -1;
	}
	if ((s = stream_get(q, id, 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* The peer's window plus what the other side may have in flight. */
	if (s->len + len > 2 * (size_t)LIMIT_QUIC_STREAM_WINDOW) {
		s->blocked = 1;
		errno = EAGAIN;
		return -1;
	}
	while (len > 0) {
		if ((c = s->tail) == NULL || c->used == c->cap) {
			/* Small writes (HTTP/3's control frames) take small
			 * chunks; bodies fill QCHUNK ones. */
			room = len < 1024 ? 1024 : len > QCHUNK ? QCHUNK : len;
			if ((c = malloc(sizeof *c + room)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			c->next = NULL;
			c->used = 0;
			c->cap = room;
			if (s->tail != NULL)
				s->tail->next = c;
			else
				s->head = c;
			s->tail = c;
		}
		room = c->cap - c->used < len ? c->cap - c->used : len;
		memcpy(c->data + c->used, data, room);
		c->used += room;
		s->len += room;
		data += room;
		len -= room;
	}
	if (fin)
		s->fin = 1;
	quic_flush(q);
	return 0;
}

void
core_quic_consume(struct quic *q, int64_t id, size_t n)
{
	if (q->closed || n == 0)
		return;
	ngtcp2_conn_extend_max_stream_offset(q->conn, id, n);
	ngtcp2_conn_extend_max_offset(q->conn, n);
	quic_flush(q);
}

int64_t
core_quic_open(struct quic *q, int uni)
{
	int64_t	id;

	if (q->closed || (uni ? ngtcp2_conn_open_uni_stream(q->conn, &id,
	    NULL) : ngtcp2_conn_open_bidi_stream(q->conn, &id, NULL)) != 0)
		return -1;
	return id;
}

void
core_quic_reset(struct quic *q, int64_t id, uint64_t err)
{
	if (q->closed)
		return;
	ngtcp2_conn_shutdown_stream(q->conn, id, err);
	quic_flush(q);
}

void
core_quic_close(struct quic *q, uint64_t err, const char *why)
{
	ngtcp2_connection_close_error	ccerr;

	ngtcp2_connection_close_error_default(&ccerr);
	ngtcp2_connection_close_error_set_application_error(&ccerr, err,
	    (const uint8_t *)why, why != NULL ? strlen(why) : 0);
	close_with(q, &ccerr, why != NULL ? why : "closed");
}

int
core_quic_established(const struct quic *q)
{
	return q->told_handshake;
}

void
core_quic_free(struct quic *q)
{
	struct qstream	*s;

	if (q == NULL)
		return;
	if (q->close_pending) {
		/* closed_cb frees it: the loop still holds the pointer. */
		q->zombie = 1;
		q->closed = 1;
		return;
	}
	while ((s = q->streams) != NULL) {
		q->streams = s->next;
		stream_free(s);
	}
	ngtcp2_conn_del(q->conn);
	core_quic_tls_free(q->tls);
	core_loop_timer_free(q->timer);
	free(q);
}
