/*
 * socks5udp.c -- a SOCKS5 UDP association's socket and its destinations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/mode.h"
#include "core/proxy/resolve.h"
#include "core/proxy/socks5.h"
#include "core/proxy/socks5udp.h"
#include "core/proxy/udprelay.h"

/* Datagrams read in one wake-up, and held while a name resolves. */
#define S5U_BATCH	64
#define S5U_HELD	8

struct held {
	char	*data;
	size_t	 len;
};

/* One destination: where the client's datagrams to host:port go. */
struct peer {
	struct socks5udp	*a;
	char			 host[256];
	int			 port;
	struct sockaddr_storage	 server;	/* once known */
	struct relay		*r;
	struct resolve		*resolving;
	struct held		 held[S5U_HELD];
	int			 nheld;
	struct peer		*next;
};

struct socks5udp {
	const struct proxy_mode	*mode;
	int			 fd;
	struct sockaddr_storage	 client;	/* the client's UDP address */
	int			 client_port;	/* 0 until known */
	struct peer		*peers;
	int			 npeers;
};

/* A datagram's largest payload; one read at a time on the loop thread. */
static unsigned char	dbuf[65536];

static socklen_t
sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port =
		    htons((uint16_t)port);
	else
		((struct sockaddr_in *)(void *)ss)->sin_port =
		    htons((uint16_t)port);
}

static int
get_port(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ?
	    ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port) :
	    ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
}

static int
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->
		    sin6_addr, &((const struct sockaddr_in6 *)(const void *)b)->
		    sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
	    ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
}

static void
peer_free(struct peer *p)
{
	struct peer **pp;
	int i;

	for (pp = &p->a->peers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	p->a->npeers--;
	if (p->resolving != NULL)
		core_resolve_cancel(p->resolving);
	if (p->r != NULL)
		core_udprelay_close(p->r);
	for (i = 0; i < p->nheld; i++)
		free(p->held[i].data);
	free(p);
}

/* The server answered: to the client, with a header saying whence. */
static void
peer_send(void *arg, const char *data, size_t n)
{
	struct peer *p = arg;
	struct socks5udp *a = p->a;
	unsigned char head[22];
	struct iovec iov[2];
	struct msghdr mh;
	size_t hl = 4;

	head[0] = head[1] = head[2] = 0;
	if (p->server.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&p->server;

		head[3] = 4;
		memcpy(head + hl, &s6->sin6_addr, 16);
		hl += 16;
		memcpy(head + hl, &s6->sin6_port, 2);
	} else {
		const struct sockaddr_in *s4 = (const void *)&p->server;

		head[3] = 1;
		memcpy(head + hl, &s4->sin_addr, 4);
		hl += 4;
		memcpy(head + hl, &s4->sin_port, 2);
	}
	hl += 2;
	if (a->client_port == 0)
		return;		/* nowhere to send yet */
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = n;
	memset(&mh, 0, sizeof mh);
	mh.msg_name = &a->client;
	mh.msg_namelen = sa_len(&a->client);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	/* A full buffer drops it, as a network would. */
	sendmsg(a->fd, &mh, MSG_DONTWAIT);
}

/* The server refused (ICMP): the relay is gone (its flow says why), the
 * next datagram to it makes a new one. */
static void
peer_gone(void *arg, int err)
{
	struct peer *p = arg;

	p->r = NULL;
}

static int
peer_open(struct peer *p)
{
	struct udprelay_client ext = { peer_send, peer_gone, p };

	set_port(&p->server, p->port);
	p->r = core_udprelay_open(core_loop, (struct sockaddr *)&p->a->client,
	    (struct sockaddr *)&p->server, p->a->mode->spec, &ext);
	return p->r != NULL ? 0 : -1;
}

static void
on_resolved(void *arg, const struct addrinfo *res, const char *error)
{
	struct peer *p = arg;
	int i, n;

	p->resolving = NULL;
	if (error != NULL || res == NULL || res->ai_addrlen > sizeof p->server) {
		peer_free(p);	/* its datagrams are lost, as unroutable */
		return;
	}
	memcpy(&p->server, res->ai_addr, res->ai_addrlen);
	if (peer_open(p) == -1) {
		peer_free(p);
		return;
	}
	n = p->nheld;
	p->nheld = 0;
	for (i = 0; i < n; i++) {
		/* The relay may end at any send (refused). */
		if (p->r != NULL)
			core_udprelay_send(p->r, p->held[i].data,
			    p->held[i].len);
		free(p->held[i].data);
	}
}

static struct peer *
peer_find(struct socks5udp *a, const char *host, int port)
{
	struct peer *p, *last = NULL;
	unsigned char b[16];

	for (p = a->peers; p != NULL; p = p->next) {
		if (p->port == port && strcmp(p->host, host) == 0)
			return p;
		last = p;
	}
	/* Full: the oldest destination (the last) makes room. */
	if (a->npeers >= LIMIT_SOCKS5_UDP_PEERS && last != NULL)
		peer_free(last);
	if ((p = calloc(1, sizeof *p)) == NULL)
		abort();
	p->a = a;
	snprintf(p->host, sizeof p->host, "%s", host);
	p->port = port;
	p->next = a->peers;
	a->peers = p;
	a->npeers++;
	if (inet_pton(AF_INET, host, b) == 1) {
		p->server.ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)(void *)&p->server)->sin_addr, b,
		    4);
	} else if (inet_pton(AF_INET6, host, b) == 1) {
		p->server.ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)(void *)&p->server)->sin6_addr,
		    b, 16);
	} else {
		p->resolving = core_resolve_start(core_loop, host, port,
		    on_resolved, p);
		return p;
	}
	if (peer_open(p) == -1) {
		peer_free(p);
		return NULL;
	}
	return p;
}

/* One datagram from the client: RSV RSV FRAG, an address, the data. */
static void
datagram(struct socks5udp *a, const unsigned char *d, size_t n)
{
	char host[256];
	struct peer *p;
	int used, port;

	if (n < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0)
		return;		/* not ours, or a fragment */
	used = core_socks5_address(d + 3, n - 3, host, sizeof host, &port);
	if (used <= 0 || port == 0)
		return;
	d += 3 + (size_t)used;
	n -= 3 + (size_t)used;
	if ((p = peer_find(a, host, port)) == NULL)
		return;
	if (p->resolving != NULL) {
		if (p->nheld < S5U_HELD) {
			if ((p->held[p->nheld].data = malloc(n + 1)) == NULL)
				abort();
			memcpy(p->held[p->nheld].data, d, n);
			p->held[p->nheld++].len = n;
		}
		return;
	}
	if (p->r == NULL && peer_open(p) == -1)
		return;
	core_udprelay_send(p->r, (const char *)d, n);
}

static void
on_readable(int fd, int events, void *arg)
{
	struct socks5udp *a = arg;
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int i;

	for (i = 0; i < S5U_BATCH; i++) {
		flen = sizeof from;
		n = recvfrom(fd, dbuf, sizeof dbuf, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen);
		if (n == -1)
			return;
		/* Only the client that asked may use the relay. */
		if (!same_ip(&from, &a->client) || (a->client_port != 0 &&
		    get_port(&from) != a->client_port))
			continue;
		if (a->client_port == 0) {
			a->client_port = get_port(&from);
			set_port(&a->client, a->client_port);
		}
		datagram(a, dbuf, (size_t)n);
	}
}

struct socks5udp *
core_socks5udp_new(const struct proxy_mode *mode, int tcp_fd,
    const struct sockaddr_storage *peer, int port,
    struct sockaddr_storage *bound, char **cause)
{
	struct socks5udp *a;
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	int fd;

	memset(&local, 0, sizeof local);
	if (getsockname(tcp_fd, (struct sockaddr *)&local, &len) == -1) {
		core_cause(cause, "getsockname: %s", strerror(errno));
		return NULL;
	}
	set_port(&local, 0);
	fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&local, sa_len(&local)) ==
	    -1) {
		core_cause(cause, "cannot open a UDP socket: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	len = sizeof *bound;
	getsockname(fd, (struct sockaddr *)bound, &len);
	if ((a = calloc(1, sizeof *a)) == NULL)
		abort();
	a->mode = mode;
	a->fd = fd;
	a->client = *peer;
	a->client_port = port;
	set_port(&a->client, port);
	core_loop_add(core_loop, fd, LOOP_READ, on_readable, a);
	return a;
}

void
core_socks5udp_free(struct socks5udp *a)
{
	if (a == NULL)
		return;
	while (a->peers != NULL)
		peer_free(a->peers);
	core_loop_del(core_loop, a->fd);
	close(a->fd);
	free(a);
}
