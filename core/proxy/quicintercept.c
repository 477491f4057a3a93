/*
 * quicintercept.c -- a captured QUIC connection terminated by trawl
 * (issue 17): a core/quic server endpoint toward the client (a leaf from
 * trawl's CA for the SNI) fed by the netstack, a client endpoint toward
 * the original server on a kernel UDP socket of trawl's own.
 *
 * The client's datagrams are held (LIMIT_QUIC_HELD) until trawl's own
 * handshake with the server has succeeded: a server that does not answer
 * leaves the client unanswered, one that answers ICMP gets the client
 * ICMP, and one whose certificate fails verification never sees the
 * client finish; so the client fails as it would without trawl and falls
 * back to TCP. Then HTTP/3 runs on each side (core/proxy/h3down.c toward
 * the client, h3up.c toward the server), every request an exchange and a
 * flow. Should either codec fail to start, stream bytes are carried
 * between the two connections untouched, stream for stream.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/net/netstack.h"
#include "core/net/redirector.h"
#include "core/proxy/h3down.h"
#include "core/proxy/h3up.h"
#include "core/proxy/mode.h"
#include "core/proxy/origin.h"
#include "core/proxy/quicintercept.h"
#include "core/quic/quic.h"

/* Stream pairs one connection may have had (peers reuse no ids). */
#define QI_MAX_STREAMS	4096

struct held {
	size_t	 len;
	uint8_t	 data[LIMIT_QUIC_DATAGRAM];
};

struct smap {
	int64_t	 down, up;
};

struct qi {
	struct loop		*loop;
	struct netstack_udp	*u;
	struct quic		*down, *up;
	struct h3down		*h3d;		/* NULL: relayed raw */
	struct h3up		*h3u;
	int			 pid;
	char			*comm;
	int			 fd;
	struct sockaddr_storage	 client, server;
	char			*sni;
	char			 host[INET6_ADDRSTRLEN];
	struct held		*held;
	size_t			 nheld;
	struct smap		*map;
	size_t			 nmap, capmap;
	int			 dying;
	struct qi		*prev, *next;
};

static struct qi	*all;
static uint8_t		 rbuf[65536];

static socklen_t
sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static int
refused(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH ||
	    err == ENETUNREACH || err == EHOSTDOWN || err == EACCES ||
	    err == EPERM;
}

static void
qi_free(struct qi *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else if (all == q)
		all = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	if (q->fd != -1) {
		core_loop_del(q->loop, q->fd);
		close(q->fd);
	}
	core_h3down_free(q->h3d, "the QUIC connection was closed");
	core_h3up_free(q->h3u);
	core_quic_free(q->down);
	core_quic_free(q->up);
	free(q->sni);
	free(q->comm);
	free(q->held);
	free(q->map);
	free(q);
}

static void
reap(void *arg)
{
	qi_free(arg);
}

/* Ends both sides; icmp: the client gets port unreachable. */
static void
qi_end(struct qi *q, int icmp)
{
	if (q->dying)
		return;
	q->dying = 1;
	if (q->u != NULL) {
		if (icmp)
			core_netstack_udp_refuse(q->u);
		else
			core_netstack_udp_close(q->u);
		q->u = NULL;
	}
	core_loop_defer(q->loop, reap, q);
}

/* --- stream ids: the same stream on both connections --- */

static struct smap *
map_find(struct qi *q, int64_t id, int from_down)
{
	size_t	i;

	for (i = 0; i < q->nmap; i++)
		if ((from_down ? q->map[i].down : q->map[i].up) == id)
			return &q->map[i];
	return NULL;
}

static struct smap *
map_add(struct qi *q, int64_t down, int64_t up)
{
	struct smap	*m;
	size_t		 cap;

	if (q->nmap == q->capmap) {
		if (q->capmap >= QI_MAX_STREAMS)
			return NULL;
		cap = q->capmap ? q->capmap * 2 : 16;
		if ((m = reallocarray(q->map, cap, sizeof *m)) == NULL)
			return NULL;
		q->map = m;
		q->capmap = cap;
	}
	m = &q->map[q->nmap++];
	m->down = down;
	m->up = up;
	return m;
}

/* Stream id of one side opened by its peer: the other side's stream,
 * opened by trawl on first use. -1 when none can be. */
static int64_t
peer_of(struct qi *q, int64_t id, int from_down)
{
	struct smap	*m;
	struct quic	*other = from_down ? q->up : q->down;
	int64_t		 nid;

	if ((m = map_find(q, id, from_down)) != NULL)
		return from_down ? m->up : m->down;
	/* Bit 1 of a stream id: unidirectional (RFC 9000 2.1). */
	if ((nid = core_quic_open(other, (id & 2) != 0)) == -1)
		return -1;
	if ((from_down ? map_add(q, id, nid) : map_add(q, nid, id)) == NULL)
		return -1;
	return nid;
}

static void
relay_data(struct qi *q, int from_down, int64_t id, const uint8_t *data,
    size_t len, int fin)
{
	struct quic	*from = from_down ? q->down : q->up;
	struct quic	*to = from_down ? q->up : q->down;
	int64_t		 nid;

	if (q->dying || to == NULL)
		return;
	if ((nid = peer_of(q, id, from_down)) == -1) {
		/* H3_STREAM_CREATION_ERROR would be a guess: refused. */
		core_quic_reset(from, id, 0x103);
		return;
	}
	if (core_quic_write(to, nid, data, len, fin) == -1) {
		/* Over the cap: the peer ignored flow control's spirit. */
		core_quic_reset(from, id, 0x102);
		core_quic_reset(to, nid, 0x102);
	}
	/* Copied: the sender's credit comes back at once. */
	core_quic_consume(from, id, len);
}

static void
relay_reset(struct qi *q, int from_down, int64_t id, uint64_t err)
{
	struct smap	*m;

	if (q->dying || (m = map_find(q, id, from_down)) == NULL)
		return;
	if (from_down)
		core_quic_reset(q->up, m->up, err);
	else if (q->down != NULL)
		core_quic_reset(q->down, m->down, err);
}

/* --- toward the client (netstack) --- */

static int
down_send(void *arg, const uint8_t *data, size_t len)
{
	struct qi	*q = arg;

	if (q->u == NULL)
		return -1;
	return core_netstack_udp_send(q->u, data, len);
}

/* The conn of the HTTP/3 codec was closed from outside (trawl exits, the
 * connection cap made room): both QUIC connections end. */
static void
h3_closed(void *arg)
{
	struct qi	*q = arg;

	if (q->down != NULL)
		core_quic_close(q->down, 0x100, NULL);
	if (q->up != NULL)
		core_quic_close(q->up, 0x100, NULL);
	qi_end(q, 0);
}

/* HTTP/3 toward the client, once both handshakes are through (or the
 * client's first request stream came in the same datagram). */
static void
h3_start(struct qi *q)
{
	struct proxy_origin	 o;
	char			 client[INET6_ADDRSTRLEN + 8], *cause = NULL;
	const struct sockaddr	*ca = (struct sockaddr *)&q->client;
	char			 ip[INET6_ADDRSTRLEN];
	int			 port;

	if (q->h3d != NULL || q->h3u == NULL || q->down == NULL || q->dying)
		return;
	if (ca->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ca;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		port = ntohs(s6->sin6_port);
		snprintf(client, sizeof client, "[%s]:%d", ip, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ca;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		port = ntohs(s4->sin_port);
		snprintf(client, sizeof client, "%s:%d", ip, port);
	}
	memset(&o, 0, sizeof o);
	o.client = client;
	o.dest_host = q->host;
	o.dest_port = ntohs(((const struct sockaddr_in *)(const void *)
	    &q->server)->sin_port);
	o.pid = q->pid;
	o.comm = q->comm;
	o.scheme = "https";
	o.sni = q->sni;
	o.mode = core_mode_local();
	q->h3d = core_h3down_new(q->down, &o, q->h3u, h3_closed, q, &cause);
	if (q->h3d == NULL) {
		fprintf(stderr, "trawl: HTTP/3 toward the client: %s\n",
		    cause != NULL ? cause : "cannot start");
		free(cause);
		/* Raw relay from here on: the server's codec must go too. */
		core_h3up_free(q->h3u);
		q->h3u = NULL;
	}
}

static void
down_handshake(void *arg, const char *alpn)
{
	h3_start(arg);
}

static void
down_data(void *arg, int64_t id, const uint8_t *data, size_t len, int fin)
{
	struct qi	*q = arg;

	h3_start(q);
	if (q->h3d != NULL)
		core_h3down_input(q->h3d, id, data, len, fin);
	else
		relay_data(q, 1, id, data, len, fin);
}

static void
down_reset(void *arg, int64_t id, uint64_t err)
{
	struct qi	*q = arg;

	if (q->h3d != NULL)
		core_h3down_reset(q->h3d, id, err);
	else
		relay_reset(q, 1, id, err);
}

static void
down_stream_close(void *arg, int64_t id, uint64_t err)
{
	struct qi	*q = arg;

	if (q->h3d != NULL)
		core_h3down_stream_close(q->h3d, id, err);
}

static void
down_writable(void *arg)
{
	struct qi	*q = arg;

	if (q->h3d != NULL)
		core_h3down_writable(q->h3d);
}

static void
down_close(void *arg, const char *why, const char *verify)
{
	struct qi	*q = arg;
	char		 m[300];

	if (q->h3d != NULL) {
		snprintf(m, sizeof m, "client: %s", why != NULL ? why :
		    "the QUIC connection ended");
		core_h3down_free(q->h3d, m);
		q->h3d = NULL;
	}
	if (q->up != NULL)
		core_quic_close(q->up, 0, NULL);
	qi_end(q, 0);
}

static void
on_datagram(void *arg, const char *data, size_t len)
{
	struct qi	*q = arg;

	if (q->dying)
		return;
	if (q->down != NULL) {
		core_quic_input(q->down, (const uint8_t *)data, len);
		return;
	}
	/* Held until the server's handshake is through; more are lost (the
	 * client sends them again). */
	if (q->nheld < LIMIT_QUIC_HELD && len <= sizeof q->held[0].data) {
		memcpy(q->held[q->nheld].data, data, len);
		q->held[q->nheld++].len = len;
	}
}

static void
on_expire(void *arg)
{
	struct qi	*q = arg;

	if (q->down != NULL)
		core_quic_close(q->down, 0, NULL);
	if (q->up != NULL)
		core_quic_close(q->up, 0, NULL);
	qi_end(q, 0);
}

/* --- toward the server (kernel socket) --- */

static int
up_send(void *arg, const uint8_t *data, size_t len)
{
	struct qi	*q = arg;

	if (send(q->fd, data, len, 0) == -1) {
		if (refused(errno) && !core_quic_established(q->up))
			qi_end(q, 1);
		return -1;
	}
	return 0;
}

static void
up_handshake(void *arg, const char *alpn)
{
	struct qi	*q = arg;
	struct quic_cbs	 cbs;
	char		*cause = NULL;
	size_t		 i;

	if (q->dying || q->nheld == 0)
		return;
	/* HTTP/3 on the server's side first: the client's requests find it. */
	if (alpn != NULL && strcmp(alpn, "h3") == 0) {
		char addr[INET6_ADDRSTRLEN + 8];

		snprintf(addr, sizeof addr, strchr(q->host, ':') != NULL ?
		    "[%s]:%d" : "%s:%d", q->host, ntohs(((const struct
		    sockaddr_in *)(const void *)&q->server)->sin_port));
		q->h3u = core_h3up_new(q->up, q->sni != NULL ? q->sni :
		    q->host, addr, &cause);
		if (q->h3u == NULL) {
			fprintf(stderr, "trawl: HTTP/3 toward the server: %s\n",
			    cause != NULL ? cause : "cannot start");
			free(cause);
			cause = NULL;
		}
	}
	memset(&cbs, 0, sizeof cbs);
	cbs.send = down_send;
	cbs.on_handshake = down_handshake;
	cbs.on_stream_data = down_data;
	cbs.on_stream_reset = down_reset;
	cbs.on_stream_close = down_stream_close;
	cbs.on_writable = down_writable;
	cbs.on_close = down_close;
	cbs.arg = q;
	cbs.manual_credit = 1;
	q->down = core_quic_server_new(q->loop, q->held[0].data,
	    q->held[0].len, (struct sockaddr *)&q->client,
	    (struct sockaddr *)&q->server, q->sni, q->host, &cbs, &cause);
	if (q->down == NULL) {
		fprintf(stderr, "trawl: QUIC interception: %s\n",
		    cause != NULL ? cause : "cannot start");
		free(cause);
		core_quic_close(q->up, 0, NULL);
		qi_end(q, 0);
		return;
	}
	for (i = 0; i < q->nheld && !q->dying; i++)
		core_quic_input(q->down, q->held[i].data, q->held[i].len);
	q->nheld = 0;
}

static void
up_data(void *arg, int64_t id, const uint8_t *data, size_t len, int fin)
{
	struct qi	*q = arg;

	if (q->h3u != NULL)
		core_h3up_input(q->h3u, id, data, len, fin);
	else
		relay_data(q, 0, id, data, len, fin);
}

static void
up_reset(void *arg, int64_t id, uint64_t err)
{
	struct qi	*q = arg;

	if (q->h3u != NULL)
		core_h3up_reset(q->h3u, id, err);
	else
		relay_reset(q, 0, id, err);
}

static void
up_stream_close(void *arg, int64_t id, uint64_t err)
{
	struct qi	*q = arg;

	if (q->h3u != NULL)
		core_h3up_stream_close(q->h3u, id, err);
}

static void
up_writable(void *arg)
{
	struct qi	*q = arg;

	if (q->h3u != NULL)
		core_h3up_writable(q->h3u);
}

static void
up_close(void *arg, const char *why, const char *verify)
{
	struct qi	*q = arg;

	/* Before the client's handshake: it hears nothing, as from a server
	 * that does not speak QUIC; it gives up and uses TCP. */
	if (q->h3u != NULL) {
		char	 m[300];

		snprintf(m, sizeof m, "server %s: %s", q->sni != NULL ?
		    q->sni : q->host, why != NULL ? why :
		    "the QUIC connection ended");
		core_h3up_close(q->h3u, m);
	}
	if (q->down != NULL)
		core_quic_close(q->down, 0, NULL);
	qi_end(q, 0);
}

static void
up_readable(int fd, int events, void *arg)
{
	struct qi	*q = arg;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 64 && !q->dying; i++) {
		n = recv(fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
		if (n == -1) {
			/* ICMP from the server before it answered: the client
			 * gets the same. */
			if (refused(errno) && !core_quic_established(q->up))
				qi_end(q, 1);
			return;
		}
		core_quic_input(q->up, rbuf, (size_t)n);
	}
}

int
core_quic_intercept_start(struct loop *l, struct netstack_udp *u,
    const struct sockaddr *client, const struct sockaddr *server, int pid,
    const char *comm, const char *sni, const char *const *first,
    const size_t *firstlen, size_t nfirst)
{
	struct netstack_udp_cbs	 ncbs;
	struct quic_cbs		 cbs;
	struct sockaddr_storage	 local;
	socklen_t		 llen = sizeof local;
	struct qi		*q;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < nfirst; i++)
		if (firstlen[i] > LIMIT_QUIC_DATAGRAM) {
			errno = EMSGSIZE;
			return -1;
		}
	if (nfirst == 0 || nfirst > LIMIT_QUIC_HELD ||
	    (q = calloc(1, sizeof *q)) == NULL) {
		errno = nfirst == 0 || nfirst > LIMIT_QUIC_HELD ? EINVAL :
		    ENOMEM;
		return -1;
	}
	q->loop = l;
	q->fd = -1;
	memcpy(&q->client, client, sa_len(client));
	memcpy(&q->server, server, sa_len(server));
	/* The name of a client that sent no SNI: the address it dialled. */
	if (inet_ntop(server->sa_family, server->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)(const void *)server)->
	    sin6_addr : (const void *)&((const struct sockaddr_in *)
	    (const void *)server)->sin_addr, q->host, sizeof q->host) == NULL)
		goto fail;
	q->pid = pid;
	if ((sni != NULL && (q->sni = strdup(sni)) == NULL) ||
	    (q->comm = strdup(comm != NULL ? comm : "")) == NULL ||
	    (q->held = calloc(LIMIT_QUIC_HELD, sizeof *q->held)) == NULL)
		goto fail;
	q->fd = core_redirector_socket(server->sa_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (q->fd == -1 || connect(q->fd, server, sa_len(server)) == -1 ||
	    getsockname(q->fd, (struct sockaddr *)&local, &llen) == -1 ||
	    core_loop_add(l, q->fd, LOOP_READ, up_readable, q) == -1)
		goto fail;
	memset(&cbs, 0, sizeof cbs);
	cbs.send = up_send;
	cbs.on_handshake = up_handshake;
	cbs.on_stream_data = up_data;
	cbs.on_stream_reset = up_reset;
	cbs.on_stream_close = up_stream_close;
	cbs.on_writable = up_writable;
	cbs.on_close = up_close;
	cbs.arg = q;
	cbs.manual_credit = 1;
	/* Verified for the SNI the client sent, else the address. */
	if ((q->up = core_quic_client_new(l, (struct sockaddr *)&local, server,
	    sni != NULL && sni[0] != '\0' ? sni : q->host, &cbs,
	    &cause)) == NULL) {
		free(cause);
		errno = EPROTO;
		goto fail;
	}
	for (i = 0; i < nfirst; i++) {
		memcpy(q->held[i].data, first[i], firstlen[i]);
		q->held[i].len = firstlen[i];
	}
	q->nheld = nfirst;
	q->u = u;
	q->next = all;
	if (all != NULL)
		all->prev = q;
	all = q;
	memset(&ncbs, 0, sizeof ncbs);
	ncbs.on_datagram = on_datagram;
	ncbs.on_expire = on_expire;
	ncbs.arg = q;
	core_netstack_udp_set_cbs(u, &ncbs);
	return 0;
fail:
	{
		int	 e = errno;

		qi_free(q);
		errno = e;
	}
	return -1;
}

void
core_quic_intercept_shutdown(void)
{
	struct qi	*q, *next;

	for (q = all; q != NULL; q = next) {
		next = q->next;
		if (q->dying)
			continue;	/* its reap is on the way */
		if (q->down != NULL)
			core_quic_close(q->down, 0, NULL);
		if (q->up != NULL)
			core_quic_close(q->up, 0, NULL);
		if (q->u != NULL)
			core_netstack_udp_close(q->u);
		q->u = NULL;
		q->dying = 1;
		qi_free(q);
	}
}
