/*
 * socks5.c -- a SOCKS5 client's handshake (RFC 1928, RFC 1929), then its
 * CONNECT handed to the sniffer, or its UDP association.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/mode.h"
#include "core/proxy/proxy.h"
#include "core/proxy/serverreplay.h"
#include "core/proxy/sniff.h"
#include "core/proxy/socks5.h"
#include "core/proxy/socks5udp.h"

/* RFC 1928 reply codes. */
#define REP_OK		0x00
#define REP_FAILURE	0x01
#define REP_NETWORK	0x03
#define REP_HOST	0x04
#define REP_REFUSED	0x05
#define REP_COMMAND	0x07
#define REP_ADDRESS	0x08

enum s5state {
	S5_GREETING,	/* VER NMETHODS METHODS */
	S5_LOGIN,	/* RFC 1929: VER ULEN UNAME PLEN PASSWD */
	S5_REQUEST,	/* VER CMD RSV ATYP DST.ADDR DST.PORT */
	S5_CONNECTING,	/* CONNECT: reaching the destination */
	S5_UDP,		/* UDP ASSOCIATE: the connection holds it open */
	S5_CLOSING	/* the last reply drains, then the connection goes */
};

struct socks5 {
	const struct proxy_mode	*mode;
	struct stream		*s;
	char			 client[80];
	struct sockaddr_storage	 peer;
	enum s5state		 state;
	struct buf		 in;
	struct loop_timer	*deadline;
	struct connect		*connecting;
	struct flow		*f;		/* CONNECT's, until the sniffer */
	char			 host[256];
	int			 port;
	struct socks5udp	*udp;
	struct socks5		*prev, *next;
};

static struct socks5	*all;
static int		 nall;

int
core_socks5_count(void)
{
	return nall;
}

static void
s5_free(struct socks5 *x, int abort)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		all = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	nall--;
	core_loop_timer_free(x->deadline);
	core_connect_cancel(x->connecting);
	core_socks5udp_free(x->udp);
	if (x->f != NULL)
		core_flow_free(x->f);
	if (x->s != NULL) {
		if (abort)
			core_stream_abort(x->s);
		else
			core_stream_close(x->s);
	}
	core_buf_free(&x->in);
	free(x);
}

void
core_socks5_shutdown(void)
{
	while (all != NULL)
		s5_free(all, 1);
}

/* A flow for what this client asked, destination known or not. */
static struct flow *
flow_new(struct socks5 *x, enum flow_type type)
{
	struct flow *f = core_flow_new(type);
	char server[300];

	core_flow_set(&f->client, x->client);
	core_flow_set(&f->mode, x->mode->spec);
	if (x->host[0] != '\0') {
		snprintf(server, sizeof server, strchr(x->host, ':') != NULL ?
		    "[%s]:%d" : "%s:%d", x->host, x->port);
		core_flow_set(&f->server, server);
	}
	return f;
}

/* Recorded as a flow that failed: a refused login, a bad request, a
 * destination that could not be reached. */
static void
record_failure(struct socks5 *x, const char *fmt, const char *detail)
{
	struct flow *f = x->f != NULL ? x->f : flow_new(x, FLOW_TCP);

	x->f = NULL;
	core_store_add(f);
	core_flow_error(f, fmt, detail);
	core_store_finish(f);
}

/* The reply goes, then the connection closes once it drained. */
static void
close_after(struct socks5 *x, const void *reply, size_t n)
{
	if (n > 0)
		core_stream_write(x->s, reply, n);
	x->state = S5_CLOSING;
	core_stream_pause(x->s, 1);
	if (core_stream_pending(x->s) == 0)
		s5_free(x, 0);
}

/* A reply with a bound address (the unspecified one on failure). */
static size_t
reply(unsigned char *out, int rep, const struct sockaddr_storage *bound)
{
	size_t n = 4;

	out[0] = 5;
	out[1] = (unsigned char)rep;
	out[2] = 0;
	if (bound != NULL && bound->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)bound;

		out[3] = 4;
		memcpy(out + n, &s6->sin6_addr, 16);
		n += 16;
		memcpy(out + n, &s6->sin6_port, 2);
	} else if (bound != NULL && bound->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)bound;

		out[3] = 1;
		memcpy(out + n, &s4->sin_addr, 4);
		n += 4;
		memcpy(out + n, &s4->sin_port, 2);
	} else {
		out[3] = 1;
		memset(out + n, 0, 6);
		n += 4;
	}
	return n + 2;
}

static void
fail(struct socks5 *x, int rep, const char *fmt, const char *detail)
{
	unsigned char out[32];

	record_failure(x, fmt, detail);
	close_after(x, out, reply(out, rep, NULL));
}

/* The reply code for why a connect failed (RFC 1928, section 6). */
static int
rep_of(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return REP_REFUSED;
	case ENETUNREACH:
		return REP_NETWORK;
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ETIMEDOUT:
		return REP_HOST;
	default:
		return REP_FAILURE;
	}
}

static void
on_connected(void *arg, const struct connect_result *r)
{
	struct socks5 *x = arg;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	unsigned char out[32];
	struct stream *us, *cs;
	struct flow *f = x->f;
	struct buf pre;

	x->connecting = NULL;
	f->t.dns_end = r->dns_end;
	memset(&bound, 0, sizeof bound);
	if (r->error != NULL && core_serverreplay_active()) {
		/* --server-replay answers without the server: the client is
		 * told it connected, and what the file does not answer fails
		 * inside with this error. */
		us = NULL;
	} else if (r->error != NULL) {
		if (r->addr[0] != '\0')
			core_flow_set(&f->server, r->addr);
		fail(x, rep_of(r->err), "%s", r->error);
		return;
	} else {
		f->t.connect_end = r->connect_end;
		getsockname(r->fd, (struct sockaddr *)&bound, &blen);
		if ((us = core_sockstream_new(core_loop, r->fd)) == NULL) {
			fail(x, REP_FAILURE, "%s", "out of descriptors");
			return;
		}
	}
	core_flow_set(&f->server, r->addr[0] != '\0' ? r->addr : NULL);
	core_stream_write(x->s, out, reply(out, REP_OK, &bound));
	/* As a local-mode connection: TLS intercepted, HTTP parsed, the
	 * rest relayed; what the client sent early goes first. */
	cs = x->s;
	pre = x->in;
	x->s = NULL;
	x->f = NULL;
	memset(&x->in, 0, sizeof x->in);
	core_sniff_start(cs, us, r->addr, f, x->host, x->port,
	    core_buf_head(&pre), pre.len, core_proxy_accept, x->mode);
	core_buf_free(&pre);
	s5_free(x, 0);
}

/* METHODS: no authentication, or username/password with --proxyauth. */
static int
greeting(struct socks5 *x, const unsigned char *p, size_t n)
{
	int want = core_mode_proxyauth_user() != NULL ? 2 : 0;
	unsigned char out[2] = { 5, 0xff };
	size_t i, len;

	if (n < 2)
		return 0;
	len = 2 + (size_t)p[1];
	if (n < len)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] == want)
			break;
	if (i == len) {
		record_failure(x, "%s", want == 2 ? "SOCKS5 client offers no "
		    "username/password login (--proxyauth)" :
		    "SOCKS5 client wants a login, and no --proxyauth is set");
		close_after(x, out, 2);
		return -1;
	}
	out[1] = (unsigned char)want;
	core_stream_write(x->s, out, 2);
	x->state = want == 2 ? S5_LOGIN : S5_REQUEST;
	return (int)len;
}

static int
login(struct socks5 *x, const unsigned char *p, size_t n)
{
	const char *user = core_mode_proxyauth_user();
	const char *pass = core_mode_proxyauth_pass();
	unsigned char ok[2] = { 1, 0 }, no[2] = { 1, 1 };
	size_t ulen, plen;

	if (n < 2)
		return 0;
	if (p[0] != 1) {
		record_failure(x, "%s", "bad SOCKS5 login (RFC 1929 version)");
		close_after(x, no, 2);
		return -1;
	}
	ulen = p[1];
	if (n < 2 + ulen + 1)
		return 0;
	plen = p[2 + ulen];
	if (n < 3 + ulen + plen)
		return 0;
	if (ulen != strlen(user) || plen != strlen(pass) ||
	    memcmp(p + 2, user, ulen) != 0 ||
	    memcmp(p + 3 + ulen, pass, plen) != 0) {
		record_failure(x, "%s", "SOCKS5 login refused: wrong user "
		    "or password");
		close_after(x, no, 2);
		return -1;
	}
	core_stream_write(x->s, ok, 2);
	x->state = S5_REQUEST;
	return (int)(3 + ulen + plen);
}

/* DST.ADDR DST.PORT at p: into x->host and x->port. Returns the bytes
 * used, 0 for more, -1 for an address type SOCKS5 does not have, -2 for
 * a domain name no DNS would take. */
int
core_socks5_address(const unsigned char *p, size_t n, char *host,
    size_t hostlen, int *port)
{
	size_t len, i;

	if (n < 1)
		return 0;
	switch (p[0]) {
	case 1:
		if (n < 7)
			return 0;
		if (inet_ntop(AF_INET, p + 1, host, (socklen_t)hostlen) == NULL)
			return -2;
		len = 5;
		break;
	case 4:
		if (n < 19)
			return 0;
		if (inet_ntop(AF_INET6, p + 1, host, (socklen_t)hostlen) ==
		    NULL)
			return -2;
		len = 17;
		break;
	case 3:
		if (n < 2 || n < 2 + (size_t)p[1] + 2)
			return 0;
		len = p[1];
		if (len == 0 || len >= hostlen)
			return -2;
		for (i = 0; i < len; i++)
			if (p[2 + i] <= ' ' || p[2 + i] >= 0x7f)
				return -2;
		memcpy(host, p + 2, len);
		host[len] = '\0';
		len += 2;
		break;
	default:
		return -1;
	}
	*port = p[len] << 8 | p[len + 1];
	return (int)len + 2;
}

static int
request(struct socks5 *x, const unsigned char *p, size_t n)
{
	unsigned char out[32];
	int used;

	if (n < 4)
		return 0;
	if (p[0] != 5) {
		fail(x, REP_FAILURE, "%s", "bad SOCKS5 request (version)");
		return -1;
	}
	used = core_socks5_address(p + 3, n - 3, x->host, sizeof x->host,
	    &x->port);
	if (used == 0)
		return 0;
	if (used < 0) {
		x->host[0] = '\0';
		fail(x, REP_ADDRESS, "%s", used == -1 ? "SOCKS5 address type "
		    "not supported" : "bad SOCKS5 domain name");
		return -1;
	}
	core_loop_timer_stop(x->deadline);
	switch (p[1]) {
	case 1:
		x->state = S5_CONNECTING;
		x->f = flow_new(x, FLOW_TCP);
		x->f->t.dns_start = core_now();
		core_stream_pause(x->s, 1);
		x->connecting = core_connect_start(core_loop, x->host, x->port,
		    on_connected, x);
		break;
	case 3: {
		struct sockaddr_storage bound;
		char *cause = NULL;

		x->udp = core_socks5udp_new(x->mode, core_sockstream_fd(x->s),
		    &x->peer, x->port, &bound, &cause);
		if (x->udp == NULL) {
			fail(x, REP_FAILURE, "SOCKS5 UDP ASSOCIATE: %s", cause);
			free(cause);
			return -1;
		}
		x->state = S5_UDP;
		core_stream_write(x->s, out, reply(out, REP_OK, &bound));
		break;
	}
	default:
		fail(x, REP_COMMAND, "%s", p[1] == 2 ? "SOCKS5 BIND is not "
		    "supported" : "unknown SOCKS5 command");
		return -1;
	}
	return 3 + used;
}

/* Parses what came, as far as it goes. Returns -1 when x is gone (or
 * closing), else 0. */
static int
process(struct socks5 *x)
{
	for (;;) {
		const unsigned char *p = (const void *)core_buf_head(&x->in);
		int used;

		if (x->in.len == 0)
			return 0;
		switch (x->state) {
		case S5_GREETING:
			if (p[0] != 5) {
				record_failure(x, "%s", "not a SOCKS5 client "
				    "(it spoke another protocol)");
				close_after(x, NULL, 0);
				return -1;
			}
			used = greeting(x, p, x->in.len);
			break;
		case S5_LOGIN:
			used = login(x, p, x->in.len);
			break;
		case S5_REQUEST:
			used = request(x, p, x->in.len);
			break;
		case S5_UDP:
			/* Nothing more is said on it (RFC 1928, section 7). */
			core_buf_free(&x->in);
			return 0;
		default:
			return 0; /* CONNECT's early bytes wait for the sniffer */
		}
		if (used < 0)
			return -1;
		if (used == 0)
			return 0;	/* more to come */
		core_buf_consume(&x->in, (size_t)used);
		if (x->state == S5_CONNECTING)
			return 0;
	}
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct socks5 *x = arg;

	if (x->state == S5_CLOSING)
		return;
	core_buf_append(&x->in, p, n);
	if (process(x) == -1)
		return;
	/* What follows a CONNECT is the sniffer's (read is paused); a
	 * handshake step left unfinished is held to the cap. */
	if (x->state <= S5_REQUEST && x->in.len > LIMIT_SOCKS5_HANDSHAKE)
		fail(x, REP_FAILURE, "%s", "SOCKS5 handshake too large");
}

static void
on_drain(void *arg)
{
	struct socks5 *x = arg;

	if (x->state == S5_CLOSING)
		s5_free(x, 0);
}

static void
on_eof(void *arg)
{
	struct socks5 *x = arg;

	/* A UDP association ends with its TCP connection (section 7). */
	s5_free(x, 0);
}

static void
on_error(void *arg, const char *msg)
{
	struct socks5 *x = arg;

	if (x->f != NULL) {
		x->f->client_gone = 1;
		record_failure(x, "client disconnected: %s", msg);
	}
	s5_free(x, 1);
}

static void
on_deadline(void *arg)
{
	struct socks5 *x = arg;
	char why[64];

	snprintf(why, sizeof why, "SOCKS5 handshake not complete after %d s",
	    LIMIT_SOCKS5_SEC);
	if (x->in.len == 0 && x->state == S5_GREETING) {
		s5_free(x, 0);	/* connected and said nothing: no flow */
		return;
	}
	/* A reply only answers a request; before one, the client is
	 * just closed. */
	if (x->state == S5_REQUEST)
		fail(x, REP_FAILURE, "%s", why);
	else {
		record_failure(x, "%s", why);
		close_after(x, NULL, 0);
	}
}

void
core_socks5_accept(void *mode, int fd, const struct sockaddr_storage *peer)
{
	struct socks5 *x;
	struct stream_cbs cbs = { on_data, on_drain, on_eof, on_error, NULL };
	struct stream *s;

	if ((s = core_sockstream_new(core_loop, fd)) == NULL)
		return;
	if ((x = calloc(1, sizeof *x)) == NULL)
		abort();
	x->mode = mode;
	x->s = s;
	x->peer = *peer;
	core_connect_format(peer, x->client, sizeof x->client);
	x->deadline = core_loop_timer_new(core_loop, on_deadline, x);
	core_loop_timer_set(x->deadline, LIMIT_SOCKS5_SEC);
	x->next = all;
	if (all != NULL)
		all->prev = x;
	all = x;
	nall++;
	cbs.arg = x;
	core_stream_set_cbs(s, &cbs);
	core_stream_pause(s, 0);
}
