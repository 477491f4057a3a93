/*
 * sniff.c -- decide, from the client's first bytes, what a stream is.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/h2.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/reverse.h"
#include "core/proxy/sniff.h"
#include "core/proxy/tunnel.h"
#include "core/tls/ca.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"
#include "core/tls/tls_peek.h"

/* A client that says nothing this long waits for the server to speak. */
#define SNIFF_WAIT_SEC 1.0

struct sniff {
	struct stream		*cs;
	struct stream		*us;
	char			*us_addr;
	struct flow		*f;
	char			*host;
	int			 port;
	struct buf		 in;
	struct loop_timer	*timer;
	struct connect		*connecting;
	int			 decided;
	int			 client_eof;	/* the client sent FIN already */
	int			 hello_wait;	/* waiting out a slow ClientHello */
	int			 tls_wait;	/* the server's TLS handshake first */
	char			*sni;
	char			 offer[24];	/* the client's HTTP ALPN, in order */
	int			 client_alpn;	/* it sent ALPN at all */
	struct stream		*up_tls;	/* toward the server, shaking hands */
	int			 up_h2;		/* the server chose h2 */
	int			 client_h1;	/* the client offered http/1.1 */
	struct buf		 up_pre;	/* an h2c server's early bytes */
	char			*up_error;	/* why the server is not there */
	proxy_accept_fn		 http;		/* where HTTP goes on */
	const struct proxy_mode	*mode;		/* it came through, or NULL */
};

static int nsniffs;

int
core_sniff_count(void)
{
	return nsniffs;
}

static void
sniff_free(struct sniff *sn)
{
	nsniffs--;
	core_loop_timer_free(sn->timer);
	if (sn->connecting != NULL)
		core_connect_cancel(sn->connecting);
	core_buf_free(&sn->in);
	core_buf_free(&sn->up_pre);
	if (sn->up_tls != NULL)
		core_stream_abort(sn->up_tls);
	free(sn->us_addr);
	free(sn->host);
	free(sn->sni);
	free(sn->up_error);
	free(sn);
}

/* A connection that started a TLS record is recorded as TLS, never as
 * plain TCP, whatever became of it. */
static void
mark_tls(struct sniff *sn, const char *sni)
{
	core_flow_client_tls_w(sn->f)->present = 1;
	if (sni != NULL)
		core_flow_set(&core_flow_client_tls_w(sn->f)->sni, sni);
}

/* The flow is over before it began: record why, drop both sides. */
static void
give_up(struct sniff *sn, const char *why)
{
	core_store_add(sn->f);
	core_flow_error(sn->f, "%s", why);
	core_store_finish(sn->f);
	if (sn->cs != NULL)
		core_stream_abort(sn->cs);
	if (sn->us != NULL)
		core_stream_abort(sn->us);
	sniff_free(sn);
}

/* Server bytes held back go to the client first (a raw relay). */
static void
flush_up_pre(struct sniff *sn)
{
	if (sn->up_pre.len == 0)
		return;
	core_tunnel_record(sn->f, 0, core_buf_head(&sn->up_pre),
	    sn->up_pre.len);
	core_stream_write(sn->cs, core_buf_head(&sn->up_pre), sn->up_pre.len);
	core_buf_free(&sn->up_pre);
}

static void
tunnel(struct sniff *sn)
{
	flush_up_pre(sn);
	core_flow_set(&sn->f->server, sn->us_addr);
	core_store_add(sn->f);
	core_tunnel_start(sn->cs, sn->us, sn->f, core_buf_head(&sn->in),
	    sn->in.len, sn->client_eof);
	sn->cs = sn->us = NULL;
	sniff_free(sn);
}

static void
on_connected(void *arg, const struct connect_result *r)
{
	struct sniff *sn = arg;
	struct stream *s;

	sn->connecting = NULL;
	sn->f->t.dns_end = r->dns_end;
	if (r->error != NULL) {
		core_flow_set(&sn->f->server, r->addr[0] ? r->addr : NULL);
		give_up(sn, r->error);
		return;
	}
	sn->f->t.connect_end = r->connect_end;
	if ((s = core_sockstream_new(core_loop, r->fd)) == NULL) {
		give_up(sn, "out of descriptors");
		return;
	}
	sn->us = s;
	sn->us_addr = strdup(r->addr);
	tunnel(sn);
}

/* Raw relay: once there is an upstream. */
static void
go_raw(struct sniff *sn)
{
	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	core_stream_pause(sn->cs, 1);
	if (sn->us != NULL) {
		tunnel(sn);
		return;
	}
	sn->f->t.dns_start = core_now();
	sn->connecting = core_connect_start(core_loop, sn->host, sn->port,
	    on_connected, sn);
}

/* Relayed untouched, but recorded as the TLS it is, with why. */
static void
go_passthrough(struct sniff *sn, const char *sni, const char *why)
{
	mark_tls(sn, sni);
	core_flow_server_tls_w(sn->f)->passthrough = 1;
	core_flow_set(&core_flow_server_tls_w(sn->f)->passthrough_reason, why);
	go_raw(sn);
}

/* The client's stream, and the upstream if there is one, go on to the
 * HTTP layer as one client connection. */
static void
go_http(struct sniff *sn, struct stream *cs, int h2, const char *pre,
    size_t prelen)
{
	struct proxy_origin o;

	memset(&o, 0, sizeof o);
	o.upstream = sn->us;
	o.upstream_addr = sn->us_addr;
	/* h2c with prior knowledge: both sides speak HTTP/2 from the start,
	 * as the program did to the server (whose SETTINGS may be here). */
	o.h2 = o.upstream_h2 = h2;
	o.upstream_pre = core_buf_head(&sn->up_pre);
	o.upstream_prelen = sn->up_pre.len;
	sn->us = NULL;
	o.client = sn->f->client;
	o.dest_host = sn->host;
	o.dest_port = sn->port;
	o.pid = sn->f->pid;
	o.comm = sn->f->comm;
	o.scheme = "http";
	o.mode = sn->mode;
	o.pre = pre;
	o.prelen = prelen;
	sn->http(cs, &o);
	core_flow_free(sn->f);
	sniff_free(sn);
}

static int
is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 ||
	    inet_pton(AF_INET6, host, b) == 1;
}

/* The client's handshake, now that the server's is over (or failed):
 * trawl chooses for the client the protocol the server chose. */
static void
finish_client(struct sniff *sn, const char *alpn)
{
	const char *name = sn->sni != NULL ? sn->sni :
	    !is_ip(sn->host) ? sn->host : NULL;
	/* Reverse: the server's name too, whatever name the client used. */
	const char *extra[2] = { core_reverse_is(sn->mode) ? sn->host : NULL,
	    NULL };
	struct proxy_origin o;
	struct stream *cs;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *cause = NULL;

	/* Without SNI, the name the client connected to (a CONNECT's host)
	 * is the one it checks. */
	if (core_ca_leaf(core_mitm_ca(), name, is_ip(sn->host) ? sn->host :
	    NULL, extra, &cert, &key, &cause) == -1) {
		give_up(sn, cause != NULL ? cause : "cannot make a certificate");
		free(cause);
		return;
	}
	cs = core_tls_server_new(core_loop, sn->cs, core_mitm_server_ctx(),
	    cert, key, alpn, core_buf_head(&sn->in), sn->in.len, &cause);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (cs == NULL) {
		give_up(sn, cause != NULL ? cause : "TLS setup failed");
		free(cause);
		return;
	}
	sn->cs = cs;
	core_buf_free(&sn->in);
	memset(&o, 0, sizeof o);
	o.client = sn->f->client;
	o.dest_host = sn->host;
	o.dest_port = sn->port;
	o.pid = sn->f->pid;
	o.comm = sn->f->comm;
	o.scheme = "https";
	o.sni = sn->sni;
	o.h2 = alpn != NULL && strcmp(alpn, "h2") == 0;
	o.upstream = sn->up_tls;
	o.upstream_addr = sn->us_addr;
	o.upstream_h2 = sn->up_h2;
	o.upstream_error = sn->up_error;
	o.mode = sn->mode;
	sn->up_tls = NULL;
	sn->cs = NULL;
	sn->http(cs, &o);
	core_flow_free(sn->f);
	sniff_free(sn);
}

/*
 * What the client is told, from what the server chose: h2 where both
 * speak it. A server that chose HTTP/1.1 (or nothing, which means it)
 * gives a client that offered http/1.1 that; a client that offered only
 * h2 still gets h2, with HTTP/1.1 behind it.
 */
static const char *
client_choice(const struct sniff *sn, const char *server)
{
	if (!sn->client_alpn)
		return NULL;
	if (server != NULL && strcmp(server, "h2") == 0)
		return "h2";
	return sn->client_h1 ? "http/1.1" : "h2";
}

/* The server's handshake failed: the client's goes on, and its first
 * request is answered with why (HTTP/1.1 when it speaks it). */
static void
server_failed(struct sniff *sn, const char *why)
{
	char m[400];

	snprintf(m, sizeof m, "server %s: %s", sn->host, why);
	free(sn->up_error);
	sn->up_error = strdup(m);
	if (sn->up_tls != NULL) {
		core_stream_abort(sn->up_tls);
		sn->up_tls = NULL;
	}
	finish_client(sn, client_choice(sn, NULL));
}

static void
up_tls_done(void *arg)
{
	struct sniff *sn = arg;
	struct tls_facts tf;
	char alpn[16] = "";

	core_tls_facts(sn->up_tls, &tf);
	if (tf.alpn != NULL)
		snprintf(alpn, sizeof alpn, "%s", tf.alpn);
	core_tls_facts_clear(&tf);
	sn->up_h2 = strcmp(alpn, "h2") == 0;
	finish_client(sn, client_choice(sn, alpn));
}

static void
up_tls_error(void *arg, const char *msg)
{
	server_failed(arg, msg);
}

/* TLS toward the server, offering what the client offered. */
static void
up_handshake(struct sniff *sn)
{
	struct stream_cbs cbs = { NULL, NULL, NULL, up_tls_error, sn };
	char *cause = NULL;
	struct stream *us = sn->us;

	sn->us = NULL;
	sn->up_tls = core_mitm_client_ctx() == NULL ? NULL :
	    core_tls_client_new(core_loop, us, core_mitm_client_ctx(),
	    core_reverse_is(sn->mode) || sn->sni == NULL ? sn->host : sn->sni,
	    sn->offer[0] != '\0' ? sn->offer : "http/1.1", &cause);
	if (sn->up_tls == NULL) {
		core_stream_abort(us);
		server_failed(sn, cause != NULL ? cause :
		    "TLS toward servers is not set up");
		free(cause);
		return;
	}
	core_stream_set_cbs(sn->up_tls, &cbs);
	core_tls_on_handshake(sn->up_tls, up_tls_done, sn);
}

static void
tls_connected(void *arg, const struct connect_result *r)
{
	struct sniff *sn = arg;

	sn->connecting = NULL;
	sn->f->t.dns_end = r->dns_end;
	if (r->error != NULL) {
		server_failed(sn, r->error);
		return;
	}
	sn->f->t.connect_end = r->connect_end;
	if ((sn->us = core_sockstream_new(core_loop, r->fd)) == NULL) {
		server_failed(sn, "out of descriptors");
		return;
	}
	free(sn->us_addr);
	sn->us_addr = strdup(r->addr);
	up_handshake(sn);
}

/*
 * A ClientHello: trawl opens its TLS connection to the server first,
 * offering the client's own ALPN list (its HTTP protocols), then answers
 * the client with the protocol the server chose.
 */
static void
go_tls(struct sniff *sn, const struct tls_hello *h)
{
	const char *sni = h->has_sni && h->sni[0] ? h->sni : NULL;
	size_t i, n;

	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	/* Passthrough: the client sees the server's own certificate. */
	if (core_mitm_ca() == NULL) {
		go_passthrough(sn, sni, "trawl has no CA");
		return;
	}
	if (core_mitm_ignored(sn->host, sn->port, sni)) {
		go_passthrough(sn, sni, "--ignore-hosts");
		return;
	}
	for (i = 0; i < h->alpn_len; i += 1 + n) {
		const unsigned char *p = h->alpn + i + 1;

		n = h->alpn[i];
		if (i + 1 + n > h->alpn_len)
			break;
		if ((n == 2 && memcmp(p, "h2", 2) == 0) ||
		    (n == 8 && memcmp(p, "http/1.1", 8) == 0)) {
			if (sn->offer[0] != '\0')
				strcat(sn->offer, ",");
			strncat(sn->offer, (const char *)p, n);
		}
	}
	sn->client_alpn = h->has_alpn;
	/* An h2-only client: the server may still answer in HTTP/1.1, which
	 * trawl then speaks behind the client's HTTP/2. */
	sn->client_h1 = strstr(sn->offer, "http/1.1") != NULL;
	if (strcmp(sn->offer, "h2") == 0)
		strcat(sn->offer, ",http/1.1");
	if (h->has_alpn && sn->offer[0] == '\0') {
		go_passthrough(sn, sni, "the client offers no HTTP protocol "
		    "(ALPN)");
		return;
	}
	sn->sni = sni != NULL ? strdup(sni) : NULL;
	sn->tls_wait = 1;
	if (core_reverse_plain(sn->mode)) {
		/* reverse:http://: TLS ends at trawl, the server gets plain
		 * HTTP (connected to per request). */
		finish_client(sn, client_choice(sn, NULL));
		return;
	}
	if (sn->us != NULL) {
		up_handshake(sn);
		return;
	}
	sn->f->t.dns_start = core_now();
	sn->connecting = core_connect_start(core_loop, sn->host, sn->port,
	    tls_connected, sn);
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/*
 * An HTTP/1 request line starts with a method token and a space. An
 * upper-case method (GET, POST) says so at once; any other token (get,
 * VERSION-CONTROL) only with a line that ends in HTTP/1.x, so that other
 * protocols' first lines (an SSH banner) are not taken for HTTP. Returns
 * 1, 0, or -1 when it cannot tell yet.
 */
static int
looks_like_http(const char *p, size_t n)
{
	const char *eol;
	size_t i, line;
	int upper = 1;

	for (i = 0; i < n && i < 20; i++) {
		if (p[i] == ' ')
			break;
		if (!is_tchar((unsigned char)p[i]))
			return 0;
		if (p[i] < 'A' || p[i] > 'Z')
			upper = 0;
	}
	if (i == n)
		return n < 20 ? -1 : 0;
	if (i == 0 || i == 20)
		return 0;
	if (upper)
		return 1;
	if ((eol = memchr(p, '\n', n)) == NULL)
		return n < LIMIT_HTTP_CHUNK_LINE ? -1 : 0;
	line = (size_t)(eol - p);
	if (line > 0 && p[line - 1] == '\r')
		line--;
	return line > 9 + i && (memcmp(p + line - 9, " HTTP/1.1", 9) == 0 ||
	    memcmp(p + line - 9, " HTTP/1.0", 9) == 0);
}

static void
decide(struct sniff *sn)
{
	const char *p = core_buf_head(&sn->in);
	struct tls_hello h;
	ssize_t n;
	int http, h2;

	if (sn->in.len == 0)
		return;
	if ((unsigned char)p[0] == 0x16) {
		n = core_tls_peek(p, sn->in.len, &h);
		if (n == -2 && sn->in.len < LIMIT_TLS_HELLO)
			return;
		if (n >= 0) {
			go_tls(sn, &h);
			return;
		}
		/* trawl cannot read this hello (a malformed or oversized
		 * server name, say) but a server may: relay it, as TLS. */
		go_passthrough(sn, NULL, n == -2 ? "ClientHello too large" :
		    "ClientHello not understood");
		return;
	}
	if ((h2 = core_h2_is_preface(p, sn->in.len)) == -2)
		return;
	http = h2 ? 1 : looks_like_http(p, sn->in.len);
	if (http == -1)
		return;
	sn->decided = 1;
	core_loop_timer_stop(sn->timer);
	if (http) {
		struct buf pre = sn->in;

		memset(&sn->in, 0, sizeof sn->in);
		go_http(sn, sn->cs, h2, core_buf_head(&pre), pre.len);
		core_buf_free(&pre);
		return;
	}
	go_raw(sn);
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct sniff *sn = arg;

	core_buf_append(&sn->in, p, n);
	if (!sn->decided)
		decide(sn);
	else if (sn->in.len > LIMIT_CONN_BUFFER)
		core_stream_pause(sn->cs, 1);	/* waiting for the upstream */
}

static void
on_eof(void *arg)
{
	struct sniff *sn = arg;

	sn->client_eof = 1;
	if (sn->tls_wait) {
		mark_tls(sn, sn->sni);
		give_up(sn, "client closed the connection during the TLS "
		    "handshake");
		return;
	}
	if (sn->decided) {
		/* Connecting for a raw relay: the tunnel passes the FIN on. */
		core_stream_pause(sn->cs, 1);
		return;
	}
	/* With a server there already (local mode), its side goes on as
	 * it would without trawl: it gets the FIN, and may still answer. */
	if (sn->in.len == 0 && sn->us == NULL) {
		give_up(sn, "client closed the connection without sending");
		return;
	}
	if (sn->in.len > 0 &&
	    (unsigned char)core_buf_head(&sn->in)[0] == 0x16) {
		mark_tls(sn, NULL);
		give_up(sn, "client closed the connection during its TLS "
		    "ClientHello");
		return;
	}
	go_raw(sn);
}

static void
on_error(void *arg, const char *msg)
{
	struct sniff *sn = arg;

	sn->f->client_gone = 1;
	give_up(sn, msg);
}

/*
 * Silence: the server may be the one to speak first. A client that has
 * started a TLS record is waited for (a ClientHello may come slowly, in
 * pieces) up to the handshake deadline, then dropped as failed TLS.
 */
static void
on_quiet(void *arg)
{
	struct sniff *sn = arg;

	if (sn->decided)
		return;
	if (sn->in.len > 0 && (unsigned char)core_buf_head(&sn->in)[0] == 0x16) {
		if (!sn->hello_wait) {
			sn->hello_wait = 1;
			core_loop_timer_set(sn->timer, LIMIT_TLS_HELLO_SEC);
			return;
		}
		mark_tls(sn, NULL);
		give_up(sn, "client did not finish its TLS ClientHello in time");
		return;
	}
	go_raw(sn);
}

static void
up_gone(void *arg, const char *msg)
{
	struct sniff *sn = arg;

	give_up(sn, msg);
}

static void
up_eof(void *arg)
{
	struct sniff *sn = arg;

	/* The server spoke first and left: relay what there is. */
	if (!sn->decided)
		go_raw(sn);
}

/* An HTTP/2 server (h2c) sends its SETTINGS at once, before the
 * client's preface: a frame header of type 4 on stream 0. */
static int
h2_settings_first(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	return n >= 9 && u[3] == 0x04 && (u[5] & 0x7f) == 0 && u[6] == 0 &&
	    u[7] == 0 && u[8] == 0 && ((size_t)u[0] << 16 | (size_t)u[1] << 8 |
	    u[2]) <= 16384;
}

static void
up_data(void *arg, const char *p, size_t n)
{
	struct sniff *sn = arg;

	core_stream_pause(sn->us, 1);
	if (sn->decided)
		return;
	/* An h2c server's SETTINGS wait for the client to say what it
	 * speaks (its preface, usually at once). */
	if ((sn->up_pre.len > 0 || h2_settings_first(p, n)) &&
	    sn->up_pre.len + n <= LIMIT_H2_OUTPUT) {
		core_buf_append(&sn->up_pre, p, n);
		return;
	}
	/* The server speaks first: it is not HTTP or TLS from this client.
	 * The tunnel must see these bytes, so hand them over raw. */
	flush_up_pre(sn);
	core_tunnel_record(sn->f, 0, p, n);
	core_stream_write(sn->cs, p, n);
	go_raw(sn);
}

void
core_sniff_start(struct stream *client, struct stream *upstream,
    const char *upstream_addr, struct flow *f, const char *host, int port,
    const char *pre, size_t prelen, proxy_accept_fn http,
    const struct proxy_mode *mode)
{
	struct sniff *sn = calloc(1, sizeof *sn);
	struct stream_cbs cbs = { on_data, NULL, on_eof, on_error, sn };
	struct stream_cbs ucbs = { up_data, NULL, up_eof, up_gone, sn };

	if (sn == NULL)
		abort();
	nsniffs++;
	sn->cs = client;
	sn->us = upstream;
	sn->us_addr = upstream_addr != NULL ? strdup(upstream_addr) : NULL;
	sn->f = f;
	sn->http = http;
	sn->mode = mode;
	sn->host = strdup(host);
	sn->port = port;
	sn->timer = core_loop_timer_new(core_loop, on_quiet, sn);
	core_stream_set_cbs(client, &cbs);
	if (upstream != NULL) {
		core_stream_set_cbs(upstream, &ucbs);
		core_stream_pause(upstream, 0);
	}
	core_buf_append(&sn->in, pre, prelen);
	core_loop_timer_set(sn->timer, SNIFF_WAIT_SEC);
	core_stream_pause(client, 0);
	if (prelen > 0)
		decide(sn);
}
