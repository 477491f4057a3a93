/*
 * core_tls.c -- TLS streams back to back over an in-memory pair of
 * streams (no sockets): trawl's client and server roles with a leaf from
 * core_ca, data both ways, details, key log, the failures a user must be
 * told about (untrusted CA, wrong host, plain HTTP, garbage, peers that
 * close mid-handshake), pause and closing from inside callbacks.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ssl.h>

#include "core/flows/flow.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/proxy/tlsrecord.h"
#include "core/tls/ca.h"
#include "core/tls/keylog.h"
#include "core/tls/tls.h"
#include "core/tls/tls_peek.h"

/* --- an in-memory pair of streams, delivering from the loop --- */

struct end {
	struct stream	 s;
	struct end	*peer;
	struct loop	*loop;
	char		*in;		/* written by the peer, not delivered */
	size_t		 inlen;
	int		 paused;
	int		 fin;		/* the peer shut down: EOF after in */
	int		 eof_told;
	int		 reset;		/* the peer aborted */
	int		 reset_told;
	int		 closed;	/* our owner closed us */
	int		 scheduled;
	int		 drain_wanted;
};

struct pair {
	struct end	a, b;
};

/* Bytes handed to on_data at once: small, so records arrive in pieces. */
static size_t	chunk = 1500;

static void deliver(void *);

static void
schedule(struct end *e)
{
	if (e->scheduled)
		return;
	e->scheduled = 1;
	core_loop_defer(e->loop, deliver, e);
}

static void
deliver(void *arg)
{
	struct end	*e = arg, *w = e->peer;
	size_t		 n;
	char		*p;

	e->scheduled = 0;
	if (e->closed || e->paused)
		return;
	if (e->inlen > 0) {
		n = e->inlen < chunk ? e->inlen : chunk;
		p = malloc(n);
		assert_non_null(p);
		memcpy(p, e->in, n);
		memmove(e->in, e->in + n, e->inlen - n);
		e->inlen -= n;
		if (e->s.cbs.on_data != NULL)
			e->s.cbs.on_data(e->s.cbs.arg, p, n);
		free(p);
		if (e->inlen > 0) {
			schedule(e);
			return;
		}
		if (!w->closed && w->drain_wanted) {
			w->drain_wanted = 0;
			if (w->s.cbs.on_drain != NULL)
				w->s.cbs.on_drain(w->s.cbs.arg);
		}
		if (e->closed || e->paused)
			return;
	}
	if (e->reset && !e->reset_told) {
		e->reset_told = 1;
		if (e->s.cbs.on_error != NULL)
			e->s.cbs.on_error(e->s.cbs.arg, "connection reset");
		return;
	}
	if (e->fin && !e->eof_told) {
		e->eof_told = 1;
		if (e->s.cbs.on_eof != NULL)
			e->s.cbs.on_eof(e->s.cbs.arg);
	}
}

static void
end_write(struct stream *s, const void *buf, size_t len)
{
	struct end	*e = s->impl, *r = e->peer;

	assert_false(e->closed);
	if (r->closed || len == 0)
		return;
	r->in = realloc(r->in, r->inlen + len);
	assert_non_null(r->in);
	memcpy(r->in + r->inlen, buf, len);
	r->inlen += len;
	e->drain_wanted = 1;
	schedule(r);
}

static size_t
end_pending(struct stream *s)
{
	struct end	*e = s->impl;

	return e->peer->inlen;
}

static void
end_pause(struct stream *s, int paused)
{
	struct end	*e = s->impl;

	e->paused = paused;
	if (!paused)
		schedule(e);
}

static void
end_shutdown(struct stream *s)
{
	struct end	*e = s->impl;

	e->peer->fin = 1;
	schedule(e->peer);
}

static void
end_close(struct stream *s)
{
	struct end	*e = s->impl;

	e->closed = 1;
	e->peer->fin = 1;
	schedule(e->peer);
}

static void
end_abort(struct stream *s)
{
	struct end	*e = s->impl;

	e->closed = 1;
	e->peer->reset = 1;
	schedule(e->peer);
}

static const struct stream_ops end_ops = {
	end_write, end_pending, end_pause, end_shutdown, end_close, end_abort
};

static void
pair_init(struct pair *p, struct loop *loop)
{
	memset(p, 0, sizeof *p);
	p->a.s.ops = p->b.s.ops = &end_ops;
	p->a.s.impl = &p->a;
	p->b.s.impl = &p->b;
	p->a.peer = &p->b;
	p->b.peer = &p->a;
	p->a.loop = p->b.loop = loop;
	/* Like a socket stream: paused until its owner is ready. */
	p->a.paused = p->b.paused = 1;
}

static void
pair_free(struct pair *p)
{
	free(p->a.in);
	free(p->b.in);
}

/* --- what each side saw --- */

struct side {
	struct stream	*s;
	char		*got;
	size_t		 len;
	int		 eof;
	int		 handshakes;
	char		*error;
	int		 drains;
	int		 in_owner_call;	/* set while the test calls in */
	int		 close_on_data;	/* close the stream from on_data */
	int		 pause_on_data;
};

static void
side_data(void *arg, const char *p, size_t n)
{
	struct side	*sd = arg;

	assert_false(sd->in_owner_call);
	sd->got = realloc(sd->got, sd->len + n + 1);
	assert_non_null(sd->got);
	memcpy(sd->got + sd->len, p, n);
	sd->len += n;
	sd->got[sd->len] = '\0';
	if (sd->pause_on_data)
		core_stream_pause(sd->s, 1);
	if (sd->close_on_data) {
		core_stream_close(sd->s);
		sd->s = NULL;
	}
}

static void
side_drain(void *arg)
{
	struct side	*sd = arg;

	assert_false(sd->in_owner_call);
	sd->drains++;
}

static void
side_eof(void *arg)
{
	struct side	*sd = arg;

	assert_false(sd->in_owner_call);
	sd->eof++;
}

static void
side_error(void *arg, const char *msg)
{
	struct side	*sd = arg;

	assert_false(sd->in_owner_call);
	assert_null(sd->error);
	sd->error = strdup(msg);
}

static void
side_handshake(void *arg)
{
	struct side	*sd = arg;

	assert_false(sd->in_owner_call);
	sd->handshakes++;
}

static void
side_attach(struct side *sd, struct stream *s)
{
	struct stream_cbs	cbs = { side_data, side_drain, side_eof,
				    side_error, sd };

	assert_non_null(s);
	sd->s = s;
	core_stream_set_cbs(s, &cbs);
	if (core_tls_is(s))
		core_tls_on_handshake(s, side_handshake, sd);
}

static void
side_free(struct side *sd)
{
	if (sd->s != NULL)
		core_stream_close(sd->s);
	free(sd->got);
	free(sd->error);
	memset(sd, 0, sizeof *sd);
}

/* --- fixtures --- */

struct fx {
	struct loop	*loop;
	char		 dir[64];
	struct ca	*ca;
	SSL_CTX		*sctx;
	SSL_CTX		*cctx;		/* trusts trawl's CA only */
	struct keylog	*kl;
	char		 keylog[128];
};

static struct fx	fx;

static void
spin(int (*done)(void *), void *arg)
{
	int	i;

	for (i = 0; i < 100000 && !done(arg); i++)
		assert_int_equal(core_loop_once(fx.loop, 0), 0);
}

static void
spin_idle(void)
{
	int	i;

	for (i = 0; i < 200; i++)
		core_loop_once(fx.loop, 0);
}

static SSL_CTX *
client_ctx(int insecure, const char *roots)
{
	struct tls_verify	v = { insecure, roots, NULL };
	char			*cause = NULL;
	SSL_CTX			*ctx = core_tls_client_ctx_new(&v, &cause);

	if (ctx == NULL)
		fail_msg("client ctx: %s", cause);
	return ctx;
}

static int
setup(void **state)
{
	char	*cause = NULL;

	memset(&fx, 0, sizeof fx);
	strcpy(fx.dir, "/tmp/trawl-tls-test-XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	fx.loop = core_loop_new();
	if ((fx.ca = core_ca_load_or_create(fx.dir, &cause)) == NULL) {
		fprintf(stderr, "ca: %s\n", cause);
		return -1;
	}
	if ((fx.sctx = core_tls_server_ctx_new(&cause)) == NULL)
		return -1;
	fx.cctx = client_ctx(0, core_ca_cert_path(fx.ca));
	snprintf(fx.keylog, sizeof fx.keylog, "%s/keys.log", fx.dir);
	if ((fx.kl = core_keylog_open(fx.keylog, &cause)) == NULL)
		return -1;
	core_keylog_attach(fx.kl, fx.sctx);
	core_keylog_attach(fx.kl, fx.cctx);
	chunk = 1500;
	return 0;
}

static int
teardown(void **state)
{
	char	p[256];

	spin_idle();
	SSL_CTX_free(fx.sctx);
	SSL_CTX_free(fx.cctx);
	core_keylog_free(fx.kl);
	core_ca_free(fx.ca);
	core_loop_free(fx.loop);
	unlink(fx.keylog);
	snprintf(p, sizeof p, "%s/%s", fx.dir, CA_KEY_FILE);
	unlink(p);
	snprintf(p, sizeof p, "%s/%s", fx.dir, CA_CERT_FILE);
	unlink(p);
	snprintf(p, sizeof p, "%s/%s", fx.dir, CA_CERT_DER);
	unlink(p);
	rmdir(fx.dir);
	return 0;
}

static struct stream *
server_alpn(struct pair *p, const char *sni, const char *ip, const char *alpn)
{
	X509		*cert;
	EVP_PKEY	*key;
	char		*cause = NULL;
	struct stream	*s;

	assert_int_equal(core_ca_leaf(fx.ca, sni, ip, NULL, &cert, &key,
	    &cause), 0);
	s = core_tls_server_new(fx.loop, &p->a.s, fx.sctx, cert, key, alpn,
	    NULL, 0, &cause);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (s == NULL)
		fail_msg("server: %s", cause);
	return s;
}

static struct stream *
server(struct pair *p, const char *sni, const char *ip)
{
	return server_alpn(p, sni, ip, "http/1.1");
}

static struct stream *
client(struct pair *p, SSL_CTX *ctx, const char *host, const char *alpn)
{
	char		*cause = NULL;
	struct stream	*s;

	s = core_tls_client_new(fx.loop, &p->b.s, ctx, host, alpn, &cause);
	if (s == NULL)
		fail_msg("client: %s", cause);
	return s;
}

struct two {
	struct side	*a, *b;
	size_t		 alen, blen;
};

static int
both_handshaken(void *arg)
{
	struct two	*t = arg;

	return (t->a->handshakes && t->b->handshakes) || t->a->error ||
	    t->b->error;
}

static int
both_got(void *arg)
{
	struct two	*t = arg;

	return (t->a->len >= t->alen && t->b->len >= t->blen) ||
	    t->a->error || t->b->error;
}

static int
both_failed(void *arg)
{
	struct two	*t = arg;

	return t->a->error != NULL && t->b->error != NULL;
}

static int
one_failed(void *arg)
{
	return ((struct side *)arg)->error != NULL;
}

static void
free_tls(struct flow_tls *t)
{
	free(t->version);
	free(t->cipher);
	free(t->sni);
	free(t->alpn);
	free(t->cert_subject);
	free(t->cert_issuer);
	free(t->cert_sans);
	free(t->cert_sha256);
	memset(t, 0, sizeof *t);
}

/* --- tests --- */

static void
test_exchange(void **state)
{
	struct pair		 p;
	struct side		 srv = { 0 }, cli = { 0 };
	struct two		 two = { &srv, &cli, 0, 0 };
	struct flow_tls		 ft = { 0 };
	double			 now = (double)time(NULL);
	size_t			 big = 3 * 1024 * 1024, i;
	char			*buf;

	pair_init(&p, fx.loop);
	cli.in_owner_call = srv.in_owner_call = 1;
	side_attach(&srv, server(&p, "localhost", "127.0.0.1"));
	side_attach(&cli, client(&p, fx.cctx, "localhost", "http/1.1"));
	/* Written before the handshake: queued, sent after it. */
	core_stream_write(cli.s, "early hello", 11);
	assert_int_equal(core_stream_pending(cli.s), 11);
	assert_false(core_tls_established(cli.s));
	cli.in_owner_call = srv.in_owner_call = 0;

	two.alen = 11;
	spin(both_got, &two);
	assert_null(srv.error);
	assert_null(cli.error);
	assert_int_equal(srv.handshakes, 1);
	assert_int_equal(cli.handshakes, 1);
	assert_string_equal(srv.got, "early hello");
	assert_true(core_tls_established(srv.s));
	assert_null(core_tls_verify_error(cli.s));
	assert_int_equal(core_tls_cert_rejected(srv.s), 0);

	/* The client side records the server's certificate. */
	core_tlsrecord_fill(cli.s, &ft);
	assert_int_equal(ft.present, 1);
	assert_string_equal(ft.version, "TLSv1.3");
	assert_non_null(ft.cipher);
	assert_string_equal(ft.sni, "localhost");
	assert_string_equal(ft.alpn, "http/1.1");
	assert_string_equal(ft.cert_subject, "CN=localhost,O=trawl");
	assert_string_equal(ft.cert_issuer, "CN=trawl CA,O=trawl");
	assert_string_equal(ft.cert_sans, "localhost,127.0.0.1");
	assert_int_equal(strlen(ft.cert_sha256), 64);
	assert_true(ft.cert_not_before < now - 3600);
	assert_true(ft.cert_not_after > now + 300.0 * 86400);
	/* Filling twice replaces, never leaks. */
	core_tlsrecord_fill(cli.s, &ft);
	free_tls(&ft);

	core_tlsrecord_fill(srv.s, &ft);
	assert_string_equal(ft.version, "TLSv1.3");
	assert_string_equal(ft.sni, "localhost");
	assert_string_equal(ft.alpn, "http/1.1");
	assert_null(ft.cert_subject);
	free_tls(&ft);

	/* Bulk both ways, delivered in pieces that split records. */
	buf = malloc(big);
	assert_non_null(buf);
	for (i = 0; i < big; i++)
		buf[i] = (char)(i * 7 + i / 1000);
	chunk = 7777;
	srv.in_owner_call = cli.in_owner_call = 1;
	core_stream_write(cli.s, buf, big);
	core_stream_write(srv.s, buf, big / 3);
	assert_true(core_stream_pending(cli.s) > 0);
	srv.in_owner_call = cli.in_owner_call = 0;
	two.alen = 11 + big;
	two.blen = big / 3;
	spin(both_got, &two);
	assert_int_equal(srv.len, 11 + big);
	assert_int_equal(cli.len, big / 3);
	assert_memory_equal(srv.got + 11, buf, big);
	assert_memory_equal(cli.got, buf, big / 3);
	assert_true(cli.drains > 0);
	assert_int_equal(core_stream_pending(cli.s), 0);
	free(buf);

	/* Half-close: the client is done, the server answers, then EOF. */
	core_stream_shutdown(cli.s);
	spin_idle();
	assert_int_equal(srv.eof, 1);
	assert_int_equal(cli.eof, 0);
	core_stream_write(srv.s, "bye", 3);
	core_stream_shutdown(srv.s);
	spin_idle();
	assert_int_equal(cli.eof, 1);
	assert_memory_equal(cli.got + big / 3, "bye", 3);
	assert_null(srv.error);
	assert_null(cli.error);

	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
}

static void
test_keylog(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	FILE		*f;
	char		 line[512];
	int		 n = 0, traffic = 0;
	struct stat	 st;

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	spin(both_handshaken, &two);
	assert_int_equal(cli.handshakes, 1);
	spin_idle();

	assert_non_null(f = fopen(fx.keylog, "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		assert_non_null(strchr(line, '\n'));
		if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0)
			traffic++;
	}
	fclose(f);
	/* Both legs log: each end of this session wrote its lines. */
	assert_int_equal(traffic, 2);
	assert_int_equal(n, (int)core_keylog_lines(fx.kl));
	assert_int_equal(stat(fx.keylog, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);

	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
}

static void
test_tls12_and_alpn(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	struct flow_tls	 ft = { 0 };
	SSL_CTX		*ctx = client_ctx(0, core_ca_cert_path(fx.ca));

	assert_true(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION));
	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	/* Told to choose http/1.1, trawl gives a client offering only h2
	 * no ALPN (the server it mirrors did not speak h2). */
	side_attach(&cli, client(&p, ctx, "localhost", "h2"));
	spin(both_handshaken, &two);
	assert_null(cli.error);
	core_tlsrecord_fill(cli.s, &ft);
	assert_string_equal(ft.version, "TLSv1.2");
	assert_non_null(strstr(ft.cipher, "ECDHE-ECDSA"));
	assert_null(ft.alpn);
	free_tls(&ft);
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
	SSL_CTX_free(ctx);
}

/* Told to choose h2 (the server did), trawl chooses it for a client that
 * offers it first or last, and none for one that does not offer it. */
static void
test_alpn_mirrors_the_server(void **state)
{
	static const char *const offers[] = { "h2,http/1.1", "http/1.1,h2",
	    "http/1.1" };
	static const char *const want[] = { "h2", "h2", NULL };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct pair	 p;
		struct side	 srv = { 0 }, cli = { 0 };
		struct two	 two = { &srv, &cli, 0, 0 };
		struct flow_tls	 ft = { 0 };

		pair_init(&p, fx.loop);
		side_attach(&srv, server_alpn(&p, "localhost", NULL, "h2"));
		side_attach(&cli, client(&p, fx.cctx, "localhost", offers[i]));
		spin(both_handshaken, &two);
		assert_null(cli.error);
		core_tlsrecord_fill(cli.s, &ft);
		if (want[i] == NULL)
			assert_null(ft.alpn);
		else
			assert_string_equal(ft.alpn, want[i]);
		free_tls(&ft);
		side_free(&srv);
		side_free(&cli);
		spin_idle();
		pair_free(&p);
	}
}

static void
test_ip_without_sni(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	struct flow_tls	 ft = { 0 };

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, NULL, "127.0.0.1"));
	side_attach(&cli, client(&p, fx.cctx, "127.0.0.1", "http/1.1"));
	spin(both_handshaken, &two);
	assert_null(cli.error);
	assert_null(srv.error);
	core_tlsrecord_fill(srv.s, &ft);
	assert_null(ft.sni);
	free_tls(&ft);
	core_tlsrecord_fill(cli.s, &ft);
	assert_null(ft.sni);
	assert_string_equal(ft.cert_sans, "127.0.0.1");
	free_tls(&ft);
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
}

static void
test_untrusted_ca(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	SSL_CTX		*ctx = client_ctx(0, NULL);	/* system roots */

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, ctx, "localhost", "http/1.1"));
	spin(both_failed, &two);
	assert_non_null(cli.error);
	assert_non_null(srv.error);
	print_message("client: %s\nserver: %s\n", cli.error, srv.error);
	assert_non_null(strstr(cli.error,
	    "cannot verify the server's certificate for localhost"));
	assert_non_null(strstr(cli.error, "local issuer"));
	assert_non_null(strstr(srv.error,
	    "client rejected trawl's certificate for localhost"));
	assert_int_equal(core_tls_cert_rejected(srv.s), 1);
	assert_int_equal(srv.handshakes + cli.handshakes, 0);
	/* A dead stream takes writes and drops them. */
	core_stream_write(cli.s, "x", 1);
	assert_int_equal(core_stream_pending(cli.s), 0);
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
	SSL_CTX_free(ctx);
}

static void
test_wrong_host(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, fx.cctx, "other.example", NULL));
	spin(both_failed, &two);
	print_message("client: %s\n", cli.error);
	assert_non_null(strstr(cli.error, "for other.example"));
	assert_non_null(strstr(cli.error, "Hostname mismatch"));
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
}

static void
test_insecure(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	SSL_CTX		*ctx = client_ctx(1, "/nonexistent/roots.pem");

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, ctx, "other.example", NULL));
	spin(both_handshaken, &two);
	assert_null(cli.error);
	assert_null(srv.error);
	assert_int_equal(cli.handshakes, 1);
	/* Accepted, but why it would not have been is kept. */
	assert_non_null(core_tls_verify_error(cli.s));
	print_message("insecure: %s\n", core_tls_verify_error(cli.s));
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
	SSL_CTX_free(ctx);
}

static void
test_bad_verify_settings(void **state)
{
	struct tls_verify	 v = { 0, "/nonexistent/roots.pem", NULL };
	char			*cause = NULL;

	assert_null(core_tls_client_ctx_new(&v, &cause));
	assert_non_null(strstr(cause, "/nonexistent/roots.pem"));
	free(cause);
	cause = NULL;
	v.roots = NULL;
	v.extra_roots = "/nonexistent/extra.pem";
	assert_null(core_tls_client_ctx_new(&v, &cause));
	assert_non_null(strstr(cause, "upstream CA file"));
	free(cause);
}

/* A raw end talking to trawl's TLS server. */
static void
raw_into_server(const void *bytes, size_t len, int close_after,
    int as_initial, const char *want)
{
	struct pair	 p;
	struct side	 srv = { 0 }, raw = { 0 };
	X509		*cert;
	EVP_PKEY	*key;
	char		*cause = NULL;
	struct stream	*s;

	pair_init(&p, fx.loop);
	assert_int_equal(core_ca_leaf(fx.ca, "localhost", NULL, NULL, &cert,
	    &key, &cause), 0);
	s = core_tls_server_new(fx.loop, &p.a.s, fx.sctx, cert, key,
	    "http/1.1", as_initial ? bytes : NULL, as_initial ? len : 0,
	    &cause);
	X509_free(cert);
	EVP_PKEY_free(key);
	side_attach(&srv, s);
	side_attach(&raw, &p.b.s);
	core_stream_pause(raw.s, 0);
	if (!as_initial)
		core_stream_write(raw.s, bytes, len);
	if (close_after)
		core_stream_close(raw.s);
	if (close_after)
		raw.s = NULL;
	spin(one_failed, &srv);
	assert_non_null(srv.error);
	print_message("server: %s\n", srv.error);
	assert_non_null(strstr(srv.error, want));
	side_free(&srv);
	side_free(&raw);
	spin_idle();
	pair_free(&p);
}

static void
test_plain_http(void **state)
{
	static const char	req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	raw_into_server(req, sizeof req - 1, 0, 0, "plain HTTP request");
	raw_into_server(req, sizeof req - 1, 0, 1, "plain HTTP request");
	raw_into_server("CONNECT x:443 HTTP/1.1\r\n\r\n", 26, 0, 0,
	    "CONNECT request");
	raw_into_server("HELLO", 5, 1, 0, "plain text");
}

static void
test_garbage(void **state)
{
	raw_into_server("\x00\x01\x02\x03\x04\x05\x06\x07", 8, 0, 0,
	    "not TLS (first byte 0x00)");
	/* A TLS record header, then nonsense. */
	raw_into_server("\x16\x03\x01\x00\x05\xff\xff\xff\xff\xff", 10, 0, 0,
	    "TLS handshake with the client failed: excessive message size");
}

/* Records what a TLS client writes, to replay it in pieces. */
static void
capture_hello(unsigned char *out, size_t *len)
{
	struct pair	 p;
	struct side	 cli = { 0 }, raw = { 0 };
	int		 i;

	pair_init(&p, fx.loop);
	side_attach(&cli, client(&p, fx.cctx, "localhost", "http/1.1"));
	side_attach(&raw, &p.a.s);
	core_stream_pause(raw.s, 0);
	for (i = 0; i < 100 && raw.len == 0; i++)
		core_loop_once(fx.loop, 0);
	assert_true(raw.len > 0 && raw.len <= *len);
	memcpy(out, raw.got, raw.len);
	*len = raw.len;
	side_free(&cli);
	side_free(&raw);
	spin_idle();
	pair_free(&p);
}

static void
test_closed_mid_handshake(void **state)
{
	unsigned char		hello[4096];
	size_t			len = sizeof hello;
	struct tls_hello	h;

	capture_hello(hello, &len);
	/* BoringSSL's own hello peeks fine. */
	assert_int_equal(core_tls_peek(hello, len, &h), (ssize_t)len);
	assert_string_equal(h.sni, "localhost");
	assert_true(core_tls_peek_alpn_has(&h, "http/1.1"));

	raw_into_server(hello, 100, 1, 0,
	    "client closed the connection during the TLS handshake");
	raw_into_server(hello, 0, 1, 0,
	    "client closed the connection during the TLS handshake");
	/* The whole hello: trawl answered, then the client left. */
	raw_into_server(hello, len, 1, 0,
	    "after receiving trawl's certificate for localhost");
}

/* OpenSSL clients send a TLS 1.3 certificate alert in the clear. */
static void
test_plaintext_alert(void **state)
{
	unsigned char	buf[4096 + 7];
	size_t		len = 4096;
	static const size_t chunks[] = { 1500, 3, 1 };
	size_t		i;

	capture_hello(buf, &len);
	memcpy(buf + len, "\x15\x03\x03\x00\x02\x02\x30", 7);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		chunk = chunks[i];
		raw_into_server(buf, len + 7, 0, 0, "client rejected trawl's "
		    "certificate for localhost (TLS alert: unknown CA)");
	}
	/* Any other alert is reported as such. */
	chunk = 1500;
	memcpy(buf + len, "\x15\x03\x03\x00\x02\x02\x28", 7);
	raw_into_server(buf, len + 7, 0, 0,
	    "the client sent TLS alert \"handshake failure\"");
}

static void
test_server_closes_mid_handshake(void **state)
{
	struct pair	 p;
	struct side	 cli = { 0 }, raw = { 0 };

	pair_init(&p, fx.loop);
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	side_attach(&raw, &p.a.s);
	raw.close_on_data = 1;		/* read the hello, hang up */
	core_stream_pause(raw.s, 0);
	spin(one_failed, &cli);
	print_message("client: %s\n", cli.error);
	assert_non_null(strstr(cli.error, "the server closed the connection "
	    "during the TLS handshake for localhost"));
	side_free(&cli);
	side_free(&raw);
	spin_idle();
	pair_free(&p);

	/* A server that answers in plain HTTP. */
	pair_init(&p, fx.loop);
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	side_attach(&raw, &p.a.s);
	core_stream_pause(raw.s, 0);
	core_stream_write(raw.s, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
	spin(one_failed, &cli);
	print_message("client: %s\n", cli.error);
	assert_non_null(strstr(cli.error, "the server sent plain text"));
	side_free(&cli);
	side_free(&raw);
	spin_idle();
	pair_free(&p);
}

/*
 * The proxy's way: bytes from the client are peeked until a whole
 * ClientHello is there, then the TLS server starts on them (initial) and
 * the rest is relayed.
 */
struct relay {
	struct pair	 p1, p2;	/* cli - raw1, raw2 - srv */
	unsigned char	 buf[8192];
	size_t		 len;
	struct side	*srv;
	struct stream	*raw1;
	int		 started;
};

static void
relay_data(void *arg, const char *d, size_t n)
{
	struct relay		*r = arg;
	struct tls_hello	 h;
	X509			*cert;
	EVP_PKEY		*key;
	char			*cause = NULL;
	ssize_t			 c;

	if (r->started) {
		core_stream_write(&r->p2.a.s, d, n);
		return;
	}
	assert_true(r->len + n <= sizeof r->buf);
	memcpy(r->buf + r->len, d, n);
	r->len += n;
	if ((c = core_tls_peek(r->buf, r->len, &h)) == -2)
		return;
	assert_true(c > 0);
	r->started = 1;
	assert_int_equal(core_ca_leaf(fx.ca, h.sni, NULL, NULL, &cert, &key,
	    &cause), 0);
	side_attach(r->srv, core_tls_server_new(fx.loop, &r->p2.b.s, fx.sctx,
	    cert, key, "http/1.1", r->buf, r->len, &cause));
	X509_free(cert);
	EVP_PKEY_free(key);
	/* The server's output comes back through p2.a to raw1. */
	core_stream_pause(&r->p2.a.s, 0);
}

static void
relay_back(void *arg, const char *d, size_t n)
{
	struct relay	*r = arg;

	core_stream_write(r->raw1, d, n);
}

static void
test_peek_then_serve(void **state)
{
	struct relay		*r = calloc(1, sizeof *r);
	struct side		 srv = { 0 }, cli = { 0 };
	struct two		 two = { &srv, &cli, 5, 5 };
	struct stream_cbs	 c1 = { relay_data, NULL, NULL, NULL, r };
	struct stream_cbs	 c2 = { relay_back, NULL, NULL, NULL, r };

	assert_non_null(r);
	chunk = 50;			/* the hello arrives in pieces */
	pair_init(&r->p1, fx.loop);
	pair_init(&r->p2, fx.loop);
	r->srv = &srv;
	r->raw1 = &r->p1.a.s;
	core_stream_set_cbs(&r->p1.a.s, &c1);
	core_stream_set_cbs(&r->p2.a.s, &c2);
	core_stream_pause(&r->p1.a.s, 0);
	side_attach(&cli, client(&r->p1, fx.cctx, "relay.example", NULL));
	spin(both_handshaken, &two);
	assert_null(cli.error);
	assert_int_equal(cli.handshakes, 1);
	core_stream_write(cli.s, "ping!", 5);
	core_stream_write(srv.s, "pong!", 5);
	spin(both_got, &two);
	assert_memory_equal(srv.got, "ping!", 5);
	assert_memory_equal(cli.got, "pong!", 5);
	side_free(&cli);
	side_free(&srv);
	spin_idle();
	pair_free(&r->p1);
	pair_free(&r->p2);
	free(r);
}

static void
test_pause(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };
	char		*buf = calloc(1, 200000);
	size_t		 seen;

	assert_non_null(buf);
	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	spin(both_handshaken, &two);
	srv.pause_on_data = 1;
	core_stream_write(cli.s, buf, 200000);
	spin_idle();
	/* Paused after the first record: nothing more arrives. */
	seen = srv.len;
	assert_true(seen > 0 && seen < 200000);
	spin_idle();
	assert_int_equal(srv.len, seen);
	srv.pause_on_data = 0;
	srv.in_owner_call = 1;
	core_stream_pause(srv.s, 0);	/* delivers later, not in here */
	srv.in_owner_call = 0;
	assert_int_equal(srv.len, seen);
	two.alen = 200000;
	spin(both_got, &two);
	assert_int_equal(srv.len, 200000);
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
	free(buf);
}

static void
test_close_in_callback(void **state)
{
	struct pair	 p;
	struct side	 srv = { 0 }, cli = { 0 };
	struct two	 two = { &srv, &cli, 0, 0 };

	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	spin(both_handshaken, &two);
	srv.close_on_data = 1;
	core_stream_write(cli.s, "first", 5);
	core_stream_write(cli.s, "second", 6);
	spin_idle();
	assert_null(srv.s);
	assert_true(srv.len >= 5);
	/* The client sees trawl's close_notify as EOF. */
	assert_int_equal(cli.eof, 1);
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);

	/* Closing right after new, before anything ran. */
	pair_init(&p, fx.loop);
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	side_free(&cli);
	spin_idle();
	pair_free(&p);

	/* Aborting resets below. */
	pair_init(&p, fx.loop);
	side_attach(&srv, server(&p, "localhost", NULL));
	side_attach(&cli, client(&p, fx.cctx, "localhost", NULL));
	spin(both_handshaken, &two);
	core_stream_abort(srv.s);
	srv.s = NULL;
	spin(one_failed, &cli);
	assert_string_equal(cli.error, "connection reset");
	side_free(&srv);
	side_free(&cli);
	spin_idle();
	pair_free(&p);
}

static void
test_bad_alpn(void **state)
{
	struct pair	 p;
	char		*cause = NULL;

	pair_init(&p, fx.loop);
	assert_null(core_tls_client_new(fx.loop, &p.b.s, fx.cctx, "localhost",
	    "http/1.1,,h2", &cause));
	assert_non_null(strstr(cause, "ALPN"));
	free(cause);
	pair_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keylog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12_and_alpn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alpn_mirrors_the_server,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_without_sni, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_ca, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_host, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_insecure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_verify_settings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_plain_http, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_mid_handshake,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_plaintext_alert, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_closes_mid_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peek_then_serve, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_in_callback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_alpn, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
