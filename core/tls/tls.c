/*
 * tls.c -- a TLS layer over any struct stream, with BoringSSL.
 *
 * BoringSSL never touches a socket here: its BIO reads ciphertext from a
 * queue that below's on_data fills, and writes ciphertext straight into
 * below. Everything that calls the owner back (plaintext, EOF, errors,
 * the handshake callback) runs in run(), which is entered only from
 * below's callbacks or from a deferred loop callback, never from inside a
 * call the owner made (stream.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/tls/keylog.h"
#include "core/tls/tls.h"

/* The largest plaintext one TLS record carries. */
#define RECORD_PLAINTEXT	16384
#define REC_HANDSHAKE		22
#define REC_ALERT		21

enum tls_state {
	TLS_HANDSHAKE,	/* hello not done; plaintext writes are queued */
	TLS_OPEN,	/* established; plaintext moves both ways */
	TLS_FAILED	/* dead: on_error reported or about to be */
};

struct tls {
	struct stream	 s;		/* the owner's handle; s.impl is this */
	struct stream	*below;		/* NULL once closed */
	struct loop	*loop;
	SSL		*ssl;
	BIO		*bio;		/* ours: reads in, writes into below */
	int		 server;	/* trawl is the TLS server */
	enum tls_state	 state;
	char		*host;		/* client side: SNI / name verified */
	char		 alpn[32];	/* server side: the protocol to choose,
					 * "" for none */

	struct buf	 in;		/* ciphertext from below, not yet read */
	struct buf	 early;		/* plaintext written during handshake */
	size_t		 sent;		/* ciphertext bytes written to below */
	int		 first_byte;	/* first byte from the peer, or -1 */

	int		 paused;	/* owner paused delivery */
	int		 below_paused;	/* we paused below */
	int		 below_eof;	/* below reported on_eof */
	int		 eof_up;	/* on_eof given to the owner */
	int		 want_shutdown;	/* owner shut down during handshake */
	int		 shut;		/* close_notify sent, below shut down */
	int		 closed;	/* owner closed: free once unwound */
	int		 busy;		/* inside run(): freeing must wait */
	int		 deferred;	/* a deferred run() is queued */

	char		*error;		/* failure to report to the owner */
	int		 error_told;
	char		*verify_error;
	int		 rejected;	/* see core_tls_cert_rejected */

	/* Record boundaries of the peer's handshake-time bytes, to spot an
	 * alert sent in the clear (see scan_records). */
	unsigned char	 rec_hdr[5];
	size_t		 rec_hlen;	/* header bytes collected */
	size_t		 rec_skip;	/* body bytes of the record left */
	int		 rec_alert;	/* type 21, length 2: body follows */
	int		 plain_alert;	/* description seen, or -1 */

	void		(*hs_cb)(void *);
	void		*hs_arg;
};

static const struct stream_ops tls_ops;
static void run(struct tls *);

/* --- the BIO between BoringSSL and below --- */

static int
bio_write(BIO *b, const char *p, int n)
{
	struct tls	*t = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (t == NULL || t->below == NULL || n < 0)
		return -1;
	core_stream_write(t->below, p, (size_t)n);
	t->sent += (size_t)n;
	return n;
}

static int
bio_read(BIO *b, char *p, int n)
{
	struct tls	*t = BIO_get_data(b);
	size_t		 k;

	BIO_clear_retry_flags(b);
	if (t == NULL || n <= 0)
		return -1;
	if (t->in.len == 0) {
		/* Not EOF even when below is done: run() decides that. */
		BIO_set_retry_read(b);
		return -1;
	}
	k = t->in.len < (size_t)n ? t->in.len : (size_t)n;
	memcpy(p, core_buf_head(&t->in), k);
	core_buf_consume(&t->in, k);
	return (int)k;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* One method table for the process, made on first use and never freed. */
static const BIO_METHOD *
bio_method(void)
{
	static BIO_METHOD	*m;

	if (m == NULL) {
		m = BIO_meth_new(BIO_TYPE_MEM, "trawl stream");
		if (m == NULL)
			return NULL;
		BIO_meth_set_write(m, bio_write);
		BIO_meth_set_read(m, bio_read);
		BIO_meth_set_ctrl(m, bio_ctrl);
	}
	return m;
}

/* --- messages --- */

static char *
xstrdup(const char *s)
{
	char	*d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL)
		abort();
	return d;
}

static char *
xprintf(const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	return s;
}

static const char *
peer_name(const struct tls *t)
{
	return t->server ? "client" : "server";
}

/* The host this session is about, for messages; may be NULL. */
static const char *
host_name(const struct tls *t)
{
	if (!t->server)
		return t->host;
	return SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
}

/* " for example.com", or "" when the name is unknown. */
static void
for_host(const struct tls *t, char *buf, size_t size)
{
	const char	*h = host_name(t);

	if (h != NULL && h[0] != '\0')
		snprintf(buf, size, " for %s", h);
	else
		buf[0] = '\0';
}

/* The peer's first byte was no TLS record: say what it looked like. */
static char *
not_tls(const struct tls *t)
{
	uint32_t	e = ERR_peek_error();
	int		c = t->first_byte;

	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		if (ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST)
			return xprintf("the %s sent a plain HTTP request into "
			    "a TLS connection", peer_name(t));
		if (ERR_GET_REASON(e) == SSL_R_HTTPS_PROXY_REQUEST)
			return xprintf("the %s sent an HTTP CONNECT request "
			    "into a TLS connection", peer_name(t));
	}
	if ((c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n')
		return xprintf("the %s sent plain text (HTTP?) instead of "
		    "TLS", peer_name(t));
	return xprintf("the %s sent data that is not TLS (first byte "
	    "0x%02x)", peer_name(t), c);
}

/* BoringSSL's reasons are identifiers (NO_SHARED_CIPHER); users read
 * words. */
static const char *
humane(const char *r, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; r[i] != '\0' && i + 1 < size; i++)
		buf[i] = r[i] == '_' ? ' ' : (char)tolower((unsigned char)r[i]);
	buf[i] = '\0';
	return buf;
}

static int
cert_alert(int alert)
{
	switch (alert) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
		return 1;
	}
	return 0;
}

/* The user's account of a failed SSL_* call; BoringSSL's error queue and
 * our own notes on the peer say what went wrong. */
static char *
describe(struct tls *t)
{
	uint32_t	 e = ERR_peek_error();
	int		 reason = ERR_GET_REASON(e);
	const char	*r, *what;
	char		 fh[300], reason_buf[128];
	long		 v;

	if (t->first_byte != -1 && t->first_byte != REC_HANDSHAKE &&
	    t->first_byte != REC_ALERT)
		return not_tls(t);
	for_host(t, fh, sizeof fh);
	what = t->state == TLS_HANDSHAKE ? "TLS handshake" : "TLS session";
	if (t->plain_alert != -1 || (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    reason >= SSL_AD_REASON_OFFSET)) {
		int alert = t->plain_alert != -1 ? t->plain_alert :
		    reason - SSL_AD_REASON_OFFSET;

		if (t->server && t->state == TLS_HANDSHAKE &&
		    cert_alert(alert)) {
			t->rejected = 1;
			return xprintf("the client rejected trawl's "
			    "certificate%s (TLS alert: %s): it does not trust "
			    "trawl's CA, or it pins the server's certificate",
			    fh, SSL_alert_desc_string_long(alert));
		}
		return xprintf("%s%s failed: the %s sent TLS alert \"%s\"",
		    what, fh, peer_name(t), SSL_alert_desc_string_long(alert));
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    reason == SSL_R_CERTIFICATE_VERIFY_FAILED && !t->server) {
		v = SSL_get_verify_result(t->ssl);
		return xprintf("cannot verify the server's certificate%s: %s",
		    fh, X509_verify_cert_error_string(v));
	}
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	return xprintf("%s%s with the %s failed: %s", what, fh, peer_name(t),
	    humane(r != NULL ? r : "unknown error", reason_buf,
	    sizeof reason_buf));
}

/* The peer closed (EOF from below) before the handshake was done. */
static char *
describe_eof(struct tls *t)
{
	char	fh[300];

	if (t->first_byte != -1 && t->first_byte != REC_HANDSHAKE &&
	    t->first_byte != REC_ALERT)
		return not_tls(t);
	for_host(t, fh, sizeof fh);
	if (t->server && t->sent > 0) {
		t->rejected = 2;
		return xprintf("the client closed the connection during the "
		    "TLS handshake, after receiving trawl's certificate%s "
		    "(it may not trust trawl's CA)", fh);
	}
	return xprintf("the %s closed the connection during the TLS "
	    "handshake%s", peer_name(t), fh);
}

/* Marks the session dead; run() tells the owner. Takes ownership of msg. */
static void
fail(struct tls *t, char *msg)
{
	if (t->state == TLS_FAILED) {
		free(msg);
		return;
	}
	t->state = TLS_FAILED;
	free(t->error);
	t->error = msg;
	core_buf_free(&t->early);
	ERR_clear_error();
}

/*
 * OpenSSL clients reject a certificate with a TLS 1.3 alert in the clear
 * (their write keys change only later), which BoringSSL, expecting an
 * encrypted record, reports as "bad packet length". Watching the record
 * headers during the handshake lets us still say what the client meant.
 */
static void
scan_records(struct tls *t, const unsigned char *p, size_t n)
{
	size_t	k, len;

	while (n > 0 && t->plain_alert == -1) {
		if (t->rec_skip > 0) {
			/* The body is level, description. */
			if (t->rec_alert && n >= t->rec_skip)
				t->plain_alert = p[t->rec_skip - 1];
			k = n < t->rec_skip ? n : t->rec_skip;
			t->rec_skip -= k;
			p += k;
			n -= k;
			continue;
		}
		t->rec_hdr[t->rec_hlen++] = *p++;
		n--;
		if (t->rec_hlen < 5)
			continue;
		t->rec_hlen = 0;
		len = (size_t)t->rec_hdr[3] << 8 | t->rec_hdr[4];
		t->rec_alert = t->rec_hdr[0] == REC_ALERT && len == 2;
		t->rec_skip = len;
	}
}

/* --- the engine --- */

static void
destroy(struct tls *t)
{
	if (t->bio != NULL)
		BIO_set_data(t->bio, NULL);
	SSL_free(t->ssl);
	core_buf_free(&t->in);
	core_buf_free(&t->early);
	free(t->host);
	free(t->error);
	free(t->verify_error);
	free(t);
}

static void
deferred_run(void *arg)
{
	struct tls	*t = arg;

	t->deferred = 0;
	if (t->closed) {
		if (!t->busy)
			destroy(t);
		return;
	}
	run(t);
}

/* Runs run() soon, from the loop, for work an owner call started. */
static void
kick(struct tls *t)
{
	if (t->deferred)
		return;
	t->deferred = 1;
	core_loop_defer(t->loop, deferred_run, t);
}

/* Keeps below paused while we hold enough of its bytes, or the owner
 * does not want more. */
static void
throttle(struct tls *t)
{
	int	want = t->paused || t->in.len >= LIMIT_CONN_BUFFER;

	if (t->below == NULL || t->closed || t->state == TLS_FAILED ||
	    want == t->below_paused)
		return;
	t->below_paused = want;
	core_stream_pause(t->below, want);
}

static void
write_plain(struct tls *t, const void *buf, size_t len)
{
	const char	*p = buf;
	int		 n, r;

	while (len > 0 && t->state == TLS_OPEN) {
		n = len > (1 << 20) ? 1 << 20 : (int)len;
		ERR_clear_error();
		if ((r = SSL_write(t->ssl, p, n)) <= 0) {
			fail(t, describe(t));
			return;
		}
		p += r;
		len -= (size_t)r;
	}
}

static void
send_shutdown(struct tls *t)
{
	if (t->shut || t->below == NULL)
		return;
	t->shut = 1;
	ERR_clear_error();
	SSL_shutdown(t->ssl);		/* writes close_notify into below */
	ERR_clear_error();
	core_stream_shutdown(t->below);
}

static void
established(struct tls *t)
{
	long	v;

	t->state = TLS_OPEN;
	if (!t->server && (v = SSL_get_verify_result(t->ssl)) != X509_V_OK)
		t->verify_error = xstrdup(X509_verify_cert_error_string(v));
	if (t->early.len > 0) {
		struct buf early = t->early;

		memset(&t->early, 0, sizeof t->early);
		write_plain(t, core_buf_head(&early), early.len);
		core_buf_free(&early);
	}
	if (t->want_shutdown && t->state == TLS_OPEN)
		send_shutdown(t);
}

static void
handshake(struct tls *t)
{
	int	r;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		established(t);
		if (t->state == TLS_OPEN && t->hs_cb != NULL)
			t->hs_cb(t->hs_arg);
		return;
	}
	if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ) {
		if (t->below_eof)
			fail(t, describe_eof(t));
		return;
	}
	fail(t, describe(t));
}

static void
read_plain(struct tls *t)
{
	char	buf[RECORD_PLAINTEXT];
	int	n, err;

	while (t->state == TLS_OPEN && !t->paused && !t->closed &&
	    !t->eof_up) {
		ERR_clear_error();
		n = SSL_read(t->ssl, buf, sizeof buf);
		if (n > 0) {
			if (t->s.cbs.on_data != NULL)
				t->s.cbs.on_data(t->s.cbs.arg, buf, (size_t)n);
			continue;
		}
		err = SSL_get_error(t->ssl, n);
		if (err == SSL_ERROR_WANT_READ && !t->below_eof)
			break;
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_ZERO_RETURN) {
			/* close_notify, or a peer that just closed: many
			 * servers skip close_notify, so both are an EOF. */
			t->eof_up = 1;
			if (t->s.cbs.on_eof != NULL)
				t->s.cbs.on_eof(t->s.cbs.arg);
			break;
		}
		fail(t, describe(t));
	}
}

/* The one place that calls the owner back. */
static void
run(struct tls *t)
{
	t->busy++;
	if (t->state == TLS_HANDSHAKE && !t->paused)
		handshake(t);
	if (t->state == TLS_OPEN && !t->closed)
		read_plain(t);
	if (t->state == TLS_FAILED && !t->closed && !t->error_told) {
		t->error_told = 1;
		if (t->s.cbs.on_error != NULL)
			t->s.cbs.on_error(t->s.cbs.arg, t->error);
	}
	throttle(t);
	t->busy--;
	if (t->closed && t->busy == 0 && !t->deferred)
		destroy(t);
}

/* --- below's callbacks --- */

static void
below_data(void *arg, const char *p, size_t n)
{
	struct tls	*t = arg;

	if (n == 0 || t->state == TLS_FAILED)
		return;
	if (t->first_byte == -1)
		t->first_byte = (unsigned char)p[0];
	if (t->state == TLS_HANDSHAKE)
		scan_records(t, (const unsigned char *)p, n);
	core_buf_append(&t->in, p, n);
	run(t);
}

static void
below_drain(void *arg)
{
	struct tls	*t = arg;

	if (t->state == TLS_OPEN && t->early.len == 0 &&
	    t->s.cbs.on_drain != NULL)
		t->s.cbs.on_drain(t->s.cbs.arg);
}

static void
below_eof(void *arg)
{
	struct tls	*t = arg;

	t->below_eof = 1;
	run(t);
}

static void
below_error(void *arg, const char *msg)
{
	struct tls	*t = arg;
	char		 fh[300];

	if (t->state == TLS_HANDSHAKE) {
		for_host(t, fh, sizeof fh);
		fail(t, xprintf("%s (during the TLS handshake%s)", msg, fh));
	} else
		fail(t, xstrdup(msg));
	run(t);
}

/* --- the owner's calls --- */

static void
tls_write(struct stream *s, const void *buf, size_t len)
{
	struct tls	*t = s->impl;

	if (len == 0 || t->shut || t->want_shutdown)
		return;
	switch (t->state) {
	case TLS_HANDSHAKE:
		core_buf_append(&t->early, buf, len);
		break;
	case TLS_OPEN:
		write_plain(t, buf, len);
		if (t->state == TLS_FAILED)
			kick(t);
		break;
	case TLS_FAILED:
		break;
	}
}

static size_t
tls_pending(struct stream *s)
{
	struct tls	*t = s->impl;

	if (t->below == NULL || t->state == TLS_FAILED)
		return 0;
	return t->early.len + core_stream_pending(t->below);
}

static void
tls_pause(struct stream *s, int paused)
{
	struct tls	*t = s->impl;

	paused = paused != 0;
	if (t->paused == paused)
		return;
	t->paused = paused;
	throttle(t);
	/* Bytes may be waiting in t->in or inside BoringSSL. */
	if (!paused)
		kick(t);
}

static void
tls_shutdown(struct stream *s)
{
	struct tls	*t = s->impl;

	if (t->state == TLS_HANDSHAKE)
		t->want_shutdown = 1;
	else if (t->state == TLS_OPEN)
		send_shutdown(t);
}

static void
finish(struct tls *t, int abort_below)
{
	if (t->below != NULL) {
		if (abort_below)
			core_stream_abort(t->below);
		else {
			if (t->state == TLS_OPEN && !t->shut) {
				ERR_clear_error();
				SSL_shutdown(t->ssl);
				ERR_clear_error();
			}
			core_stream_close(t->below);
		}
		t->below = NULL;
	}
	t->closed = 1;
	if (t->busy == 0 && !t->deferred)
		destroy(t);
}

static void
tls_close(struct stream *s)
{
	finish(s->impl, 0);
}

static void
tls_abort(struct stream *s)
{
	finish(s->impl, 1);
}

static const struct stream_ops tls_ops = {
	.write = tls_write,
	.pending = tls_pending,
	.pause = tls_pause,
	.shutdown = tls_shutdown,
	.close = tls_close,
	.abort = tls_abort,
};

/* --- contexts --- */

/* The library's reason for the last failure; it never carries key bytes. */
const char *
core_tls_reason(void)
{
	const char	*r = ERR_reason_error_string(ERR_peek_last_error());

	return r != NULL ? r : "unknown error";
}

/* The protocol the session was told to choose (what the server chose),
 * if the client offered it; else none, and the client decides for
 * itself whether to go on. */
static int
alpn_select(SSL *ssl, const uint8_t **out, uint8_t *outlen,
    const uint8_t *in, unsigned inlen, void *arg)
{
	const struct tls	*t = SSL_get_app_data(ssl);
	const char		*want = t != NULL ? t->alpn : "";
	unsigned		i, n;

	if (want[0] == '\0')
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 0; i < inlen; i += 1 + n) {
		n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == strlen(want) && memcmp(in + i + 1, want, n) == 0) {
			*out = in + i + 1;
			*outlen = (uint8_t)n;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *
core_tls_server_ctx_new(char **cause)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		core_cause(cause, "cannot make a TLS context: %s", core_tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	/* No file yet (mitm.c may add one): for core/tls/keytap.h. */
	core_keylog_attach(NULL, ctx);
	return ctx;
}

SSL_CTX *
core_tls_client_ctx_new(const struct tls_verify *v, char **cause)
{
	SSL_CTX		*ctx;
	const char	*roots = v->roots != NULL ? v->roots : TLS_SYSTEM_ROOTS;

	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		core_cause(cause, "cannot make a TLS context: %s", core_tls_reason());
		goto fail;
	}
	/* Without a trust store only --ssl-insecure makes sense. */
	if (!SSL_CTX_load_verify_locations(ctx, roots, NULL) && !v->insecure) {
		core_cause(cause, "cannot load the trusted roots in %s: %s",
		    roots, core_tls_reason());
		goto fail;
	}
	if (v->extra_roots != NULL &&
	    !SSL_CTX_load_verify_locations(ctx, v->extra_roots, NULL)) {
		core_cause(cause, "cannot load the upstream CA file %s: %s",
		    v->extra_roots, core_tls_reason());
		goto fail;
	}
	ERR_clear_error();
	SSL_CTX_set_verify(ctx, v->insecure ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* --- sessions --- */

static struct tls *
tls_new(struct loop *loop, struct stream *below, SSL_CTX *ctx, int server,
    char **cause)
{
	struct tls	*t;
	const BIO_METHOD *m;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		core_cause(cause, "out of memory");
		return NULL;
	}
	t->s.ops = &tls_ops;
	t->s.impl = t;
	t->loop = loop;
	t->server = server;
	t->first_byte = -1;
	t->plain_alert = -1;
	if ((m = bio_method()) == NULL || (t->ssl = SSL_new(ctx)) == NULL ||
	    (t->bio = BIO_new(m)) == NULL) {
		core_cause(cause, "cannot start a TLS session: %s", core_tls_reason());
		goto fail;
	}
	BIO_set_data(t->bio, t);
	BIO_set_init(t->bio, 1);
	SSL_set_app_data(t->ssl, t);
	SSL_set_bio(t->ssl, t->bio, t->bio);	/* one reference, the SSL's */
	if (server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	return t;
fail:
	ERR_clear_error();
	if (t->ssl == NULL || t->bio == NULL) {
		BIO_free(t->bio);
		t->bio = NULL;
	}
	destroy(t);
	return NULL;
}

/* The owner has its session: below is ours from here on. */
static struct stream *
tls_start(struct tls *t, struct stream *below)
{
	struct stream_cbs	cbs = {
		.on_data = below_data,
		.on_drain = below_drain,
		.on_eof = below_eof,
		.on_error = below_error,
		.arg = t,
	};

	t->below = below;
	core_stream_set_cbs(below, &cbs);
	core_stream_pause(below, 0);
	/* The first flight goes out from the loop, where errors may be told. */
	kick(t);
	return &t->s;
}

struct stream *
core_tls_server_new(struct loop *loop, struct stream *below, SSL_CTX *ctx,
    X509 *cert, EVP_PKEY *key, const char *alpn, const void *initial,
    size_t len, char **cause)
{
	struct tls	*t;
	const char	*p = initial;

	if ((t = tls_new(loop, below, ctx, 1, cause)) == NULL)
		return NULL;
	snprintf(t->alpn, sizeof t->alpn, "%s", alpn != NULL ? alpn : "");
	if ((cert != NULL && !SSL_use_certificate(t->ssl, cert)) ||
	    (key != NULL && !SSL_use_PrivateKey(t->ssl, key))) {
		core_cause(cause, "cannot use the certificate: %s",
		    core_tls_reason());
		ERR_clear_error();
		destroy(t);
		return NULL;
	}
	if (len > 0) {
		t->first_byte = (unsigned char)p[0];
		scan_records(t, initial, len);
		core_buf_append(&t->in, initial, len);
	}
	return tls_start(t, below);
}

/* "h2,http/1.1" in wire form (length-prefixed). -1 when malformed. */
static int
alpn_wire(const char *list, uint8_t *out, size_t size, size_t *len)
{
	const char	*p = list, *e;
	size_t		 n, off = 0;

	while (*p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n > 255 || off + 1 + n > size)
			return -1;
		out[off] = (uint8_t)n;
		memcpy(out + off + 1, p, n);
		off += 1 + n;
		p += n + (e != NULL);
	}
	*len = off;
	return off > 0 ? 0 : -1;
}

static int
is_ip(const char *s)
{
	unsigned char	b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

struct stream *
core_tls_client_new(struct loop *loop, struct stream *below, SSL_CTX *ctx,
    const char *host, const char *alpn, char **cause)
{
	struct tls		*t;
	X509_VERIFY_PARAM	*param;
	uint8_t			 wire[512];
	size_t			 n;

	if ((t = tls_new(loop, below, ctx, 0, cause)) == NULL)
		return NULL;
	if (alpn != NULL && (alpn_wire(alpn, wire, sizeof wire, &n) == -1 ||
	    SSL_set_alpn_protos(t->ssl, wire, n) != 0)) {
		core_cause(cause, "bad ALPN list \"%s\"", alpn);
		goto fail;
	}
	if (host != NULL && host[0] != '\0') {
		t->host = xstrdup(host);
		param = SSL_get0_param(t->ssl);
		/* RFC 6066 3: literal IP addresses are not sent as SNI. */
		if (is_ip(host) ? !X509_VERIFY_PARAM_set1_ip_asc(param, host) :
		    (!SSL_set_tlsext_host_name(t->ssl, host) ||
		    !X509_VERIFY_PARAM_set1_host(param, host, strlen(host)))) {
			core_cause(cause, "cannot use \"%s\" as the TLS server "
			    "name", host);
			goto fail;
		}
	}
	return tls_start(t, below);
fail:
	ERR_clear_error();
	destroy(t);
	return NULL;
}

/* --- details --- */

int
core_tls_is(const struct stream *s)
{
	return s != NULL && s->ops == &tls_ops;
}

void
core_tls_on_handshake(struct stream *s, void (*cb)(void *), void *arg)
{
	struct tls	*t = s->impl;

	t->hs_cb = cb;
	t->hs_arg = arg;
}

int
core_tls_established(const struct stream *s)
{
	const struct tls	*t = s->impl;

	return t->state == TLS_OPEN;
}

const char *
core_tls_verify_error(const struct stream *s)
{
	const struct tls	*t = s->impl;

	return t->verify_error;
}

int
core_tls_cert_rejected(const struct stream *s)
{
	const struct tls	*t = s->impl;

	return t->rejected;
}

static char *
name_text(X509_NAME *name)
{
	BIO		*bio;
	const uint8_t	*p;
	size_t		 n;
	char		*s = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    BIO_mem_contents(bio, &p, &n) && (s = malloc(n + 1)) != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	BIO_free(bio);
	return s;
}

static char *
sans_text(X509 *x)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	struct buf		 b;
	char			 ip[INET6_ADDRSTRLEN];
	const uint8_t		*d;
	size_t			 i, before;
	int			 len;
	char			*s;

	memset(&b, 0, sizeof b);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		before = b.len;
		if (b.len > 0)
			core_buf_append(&b, ",", 1);
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			/* Keep the list parseable: no commas, no controls. */
			if (len <= 0 || memchr(d, ',', (size_t)len) != NULL ||
			    memchr(d, '\0', (size_t)len) != NULL) {
				b.len = before;
				continue;
			}
			core_buf_append(&b, d, (size_t)len);
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len != 4 && len != 16) || inet_ntop(len == 4 ?
			    AF_INET : AF_INET6, d, ip, sizeof ip) == NULL) {
				b.len = before;
				continue;
			}
			core_buf_append(&b, ip, strlen(ip));
		} else
			b.len = before;
	}
	GENERAL_NAMES_free(gens);
	if (b.len == 0) {
		core_buf_free(&b);
		return NULL;
	}
	if ((s = strndup(core_buf_head(&b), b.len)) == NULL)
		abort();
	core_buf_free(&b);
	return s;
}

/* Seconds since the epoch of an ASN1_TIME (ASN1_TIME_to_posix is not in
 * this BoringSSL). */
static double
time_of(const ASN1_TIME *at)
{
	ASN1_TIME	*epoch;
	int		 days = 0, secs = 0;

	if (at == NULL || (epoch = ASN1_TIME_set(NULL, 0)) == NULL)
		return 0;
	if (!ASN1_TIME_diff(&days, &secs, epoch, at))
		days = secs = 0;
	ASN1_TIME_free(epoch);
	return (double)days * 86400 + secs;
}

static char *
sha256_hex(X509 *x)
{
	uint8_t		md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;
	char		*s;

	if (!X509_digest(x, EVP_sha256(), md, &n) ||
	    (s = malloc(2 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", md[i]);
	return s;
}

void
core_tls_facts(const struct stream *s, struct tls_facts *tf)
{
	const struct tls	*t = s->impl;
	const SSL_CIPHER	*c;
	const uint8_t		*alpn;
	unsigned		 alen;
	const char		*sni;
	X509			*x;

	memset(tf, 0, sizeof *tf);
	if (t->server)
		sni = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
	else
		sni = t->host != NULL && !is_ip(t->host) ? t->host : NULL;
	tf->sni = xstrdup(sni);
	if (t->state != TLS_OPEN)
		return;
	tf->version = xstrdup(SSL_get_version(t->ssl));
	c = SSL_get_current_cipher(t->ssl);
	tf->cipher = xstrdup(c != NULL ? SSL_CIPHER_get_name(c) : NULL);
	SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
	tf->alpn = alen > 0 ? strndup((const char *)alpn, alen) : NULL;
	if (t->server || (x = SSL_get_peer_certificate(t->ssl)) == NULL)
		return;
	tf->cert_subject = name_text(X509_get_subject_name(x));
	tf->cert_issuer = name_text(X509_get_issuer_name(x));
	tf->cert_sans = sans_text(x);
	tf->cert_not_before = time_of(X509_get0_notBefore(x));
	tf->cert_not_after = time_of(X509_get0_notAfter(x));
	tf->cert_sha256 = sha256_hex(x);
	X509_free(x);
}

void
core_tls_facts_clear(struct tls_facts *tf)
{
	free(tf->sni);
	free(tf->version);
	free(tf->cipher);
	free(tf->alpn);
	free(tf->cert_subject);
	free(tf->cert_issuer);
	free(tf->cert_sans);
	free(tf->cert_sha256);
	memset(tf, 0, sizeof *tf);
}
