/*
 * connect.c -- resolve, then a non-blocking connect to each address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/flows/flow.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/proxy/connect.h"
#include "core/proxy/resolve.h"

#define MAX_ADDRS 8

struct connect {
	struct loop		*loop;
	connect_cb		 cb;
	void			*arg;
	struct resolve		*resolve;
	struct loop_timer	*timer;
	struct sockaddr_storage	 addrs[MAX_ADDRS];
	socklen_t		 lens[MAX_ADDRS];
	int			 naddrs, next;
	int			 fd;
	int			 failed;	/* start_addr failed at once */
	char			 addr[64];
	char			 error[160];
	int			 err;
	double			 dns_end;
};

void
core_connect_format(const void *sa, char *out, unsigned len)
{
	const struct sockaddr *s = sa;
	char ip[INET6_ADDRSTRLEN];

	if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(out, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (s->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		snprintf(out, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else
		snprintf(out, len, "?");
}

static void
done(struct connect *c, int fd)
{
	struct connect_result r;

	r.fd = fd;
	r.error = fd == -1 ? c->error : NULL;
	r.addr = c->addr;
	r.dns_end = c->dns_end;
	r.connect_end = fd == -1 ? 0 : core_now();
	r.err = fd == -1 ? (c->err != 0 ? c->err : EHOSTUNREACH) : 0;
	c->cb(c->arg, &r);
	core_loop_timer_free(c->timer);
	free(c);
}

static void	try_next(struct connect *);

static void
on_writable(int fd, int events, void *arg)
{
	struct connect *c = arg;
	socklen_t len = sizeof(int);
	int err = 0, one = 1;

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	core_loop_del(c->loop, fd);
	if (err != 0) {
		close(fd);
		c->fd = -1;
		c->err = err;
		snprintf(c->error, sizeof c->error, "cannot connect to %s: %s",
		    c->addr, strerror(err));
		try_next(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = -1;
	done(c, fd);
}

/* Starts a connect to the next address. Returns -1 if none is left. */
static int
attempt(struct connect *c)
{
	while (c->next < c->naddrs) {
		int i = c->next++, fd;

		core_connect_format(&c->addrs[i], c->addr, sizeof c->addr);
		fd = socket(c->addrs[i].ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			c->err = errno;
			snprintf(c->error, sizeof c->error, "socket: %s",
			    strerror(errno));
			continue;
		}
		if (connect(fd, (struct sockaddr *)&c->addrs[i], c->lens[i]) ==
		    -1 && errno != EINPROGRESS) {
			c->err = errno;
			snprintf(c->error, sizeof c->error,
			    "cannot connect to %s: %s", c->addr, strerror(errno));
			close(fd);
			continue;
		}
		c->fd = fd;
		core_loop_add(c->loop, fd, LOOP_WRITE, on_writable, c);
		return 0;
	}
	return -1;
}

static void
try_next(struct connect *c)
{
	if (attempt(c) == -1)
		done(c, -1);
}

static void
on_resolved(void *arg, const struct addrinfo *res, const char *error)
{
	struct connect *c = arg;
	const struct addrinfo *ai;

	c->resolve = NULL;
	c->dns_end = core_now();
	if (error != NULL) {
		snprintf(c->error, sizeof c->error, "%s", error);
		done(c, -1);
		return;
	}
	for (ai = res; ai != NULL && c->naddrs < MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof c->addrs[0])
			continue;
		memcpy(&c->addrs[c->naddrs], ai->ai_addr, ai->ai_addrlen);
		c->lens[c->naddrs++] = ai->ai_addrlen;
	}
	snprintf(c->error, sizeof c->error, "no address to connect to");
	try_next(c);
}

static void
on_timeout(void *arg)
{
	struct connect *c = arg;

	if (c->failed) {
		done(c, -1);
		return;
	}
	if (c->resolve != NULL) {
		core_resolve_cancel(c->resolve);
		c->resolve = NULL;
	}
	if (c->fd != -1) {
		core_loop_del(c->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	c->err = ETIMEDOUT;
	snprintf(c->error, sizeof c->error, "timed out connecting to %s",
	    c->addr[0] ? c->addr : "server");
	done(c, -1);
}

struct connect *
core_connect_start(struct loop *loop, const char *host, int port,
    connect_cb cb, void *arg)
{
	struct connect *c = calloc(1, sizeof *c);

	if (c == NULL)
		abort();
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->fd = -1;
	c->timer = core_loop_timer_new(loop, on_timeout, c);
	core_loop_timer_set(c->timer, LIMIT_CONNECT_SEC);
	c->resolve = core_resolve_start(loop, host, port, on_resolved, c);
	return c;
}

struct connect *
core_connect_start_addr(struct loop *loop, const struct sockaddr *sa,
    double timeout, connect_cb cb, void *arg)
{
	struct connect *c = calloc(1, sizeof *c);

	if (c == NULL)
		abort();
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->fd = -1;
	c->timer = core_loop_timer_new(loop, on_timeout, c);
	c->lens[0] = sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memcpy(&c->addrs[0], sa, c->lens[0]);
	c->naddrs = 1;
	snprintf(c->error, sizeof c->error, "no address to connect to");
	/* At once: a refusal the kernel knows without a packet (no route)
	 * still reaches the callback later, from the timer. */
	c->failed = attempt(c) == -1;
	core_loop_timer_set(c->timer, c->failed ? 0 : timeout);
	return c;
}

void
core_connect_cancel(struct connect *c)
{
	if (c == NULL)
		return;
	if (c->resolve != NULL)
		core_resolve_cancel(c->resolve);
	if (c->fd != -1) {
		core_loop_del(c->loop, c->fd);
		close(c->fd);
	}
	core_loop_timer_free(c->timer);
	free(c);
}
