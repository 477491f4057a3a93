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
#include "core/net/redirector.h"
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
	char			 error[320];
	int			 err;
	double			 dns_end;
	/* core_connect_via: the CONNECT request, then the proxy's answer. */
	char			*via_request;
	char			*via_target;
	char			*via_head;
	size_t			 via_len;
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
via_free(struct connect *c)
{
	free(c->via_request);
	free(c->via_target);
	free(c->via_head);
}

static void	via_start(struct connect *, int fd);

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
	via_free(c);
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
	if (c->via_request != NULL) {
		via_start(c, fd);
		return;
	}
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
		/* From inside the namespace with --netns-upstream. */
		fd = core_redirector_socket(c->addrs[i].ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
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
	via_free(c);
	free(c);
}

/* --- through an HTTP proxy (core_connect_via) ------------------------------ */

/* The proxy's answer fails the connect; the fd goes. */
static void
via_fail(struct connect *c, const char *what, const char *detail)
{
	char m[200];

	snprintf(m, sizeof m, "%s %.100s: %.60s", what, c->via_target, detail);
	core_loop_del(c->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->err = EPROTO;
	snprintf(c->error, sizeof c->error, "upstream proxy %s: %s", c->addr, m);
	done(c, -1);
}

/* The answer's status line, once its head is whole: 2xx is the tunnel. */
static void
via_answer(struct connect *c)
{
	char *eol = strstr(c->via_head, "\r\n"), *sp;
	int fd = c->fd;

	if (eol != NULL)
		*eol = '\0';
	sp = strchr(c->via_head, ' ');
	if (strncmp(c->via_head, "HTTP/1.", 7) != 0 || sp == NULL ||
	    sp[1] != '2') {
		via_fail(c, "refused CONNECT to", sp != NULL ? sp + 1 :
		    "not an HTTP answer");
		return;
	}
	core_loop_del(c->loop, fd);
	c->fd = -1;
	done(c, fd);
}

/*
 * Reads the answer's head and nothing past it: what follows is the
 * tunnel's, for its new owner. Peeked first, then only the bytes up to
 * the blank line consumed (level-triggered: nothing is left unread that
 * would wake the loop again without news).
 */
static void
via_readable(int fd, int events, void *arg)
{
	struct connect *c = arg;
	char tmp[1024], *end;
	ssize_t n;
	size_t want, keep;

	want = LIMIT_PROXY_REPLY - c->via_len;
	if (want > sizeof tmp)
		want = sizeof tmp;
	n = recv(fd, tmp, want, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		via_fail(c, "did not answer CONNECT to", n == 0 ?
		    "closed the connection" : strerror(errno));
		return;
	}
	memcpy(c->via_head + c->via_len, tmp, (size_t)n);
	c->via_head[c->via_len + (size_t)n] = '\0';
	/* The blank line may straddle what was read before. */
	keep = c->via_len > 3 ? c->via_len - 3 : 0;
	end = strstr(c->via_head + keep, "\r\n\r\n");
	want = end != NULL ? (size_t)(end + 4 - c->via_head) - c->via_len :
	    (size_t)n;
	if (recv(fd, tmp, want, 0) != (ssize_t)want) {
		via_fail(c, "did not answer CONNECT to", "read failed");
		return;
	}
	c->via_len += want;
	c->via_head[c->via_len] = '\0';
	if (end != NULL)
		via_answer(c);
	else if (c->via_len >= LIMIT_PROXY_REPLY)
		via_fail(c, "answered CONNECT to", "a head too large");
}

/* Connected to the proxy: the request goes (a fresh socket's buffer
 * takes it whole), then the answer is awaited on the same deadline. */
static void
via_start(struct connect *c, int fd)
{
	size_t n = strlen(c->via_request);

	c->fd = fd;
	if (send(fd, c->via_request, n, MSG_NOSIGNAL) != (ssize_t)n) {
		via_fail(c, "cannot send CONNECT to", strerror(errno));
		return;
	}
	if ((c->via_head = malloc(LIMIT_PROXY_REPLY + 1)) == NULL)
		abort();
	core_loop_add(c->loop, fd, LOOP_READ, via_readable, c);
}

struct connect *
core_connect_via(struct loop *loop, const char *proxy_host, int proxy_port,
    const char *auth, const char *host, int port, connect_cb cb, void *arg)
{
	struct connect *c;
	char target[300];

	snprintf(target, sizeof target, strchr(host, ':') != NULL ?
	    "[%s]:%d" : "%s:%d", host, port);
	c = core_connect_start(loop, proxy_host, proxy_port, cb, arg);
	if (asprintf(&c->via_request, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
	    "%s%s%s\r\n", target, target, auth != NULL ?
	    "Proxy-Authorization: " : "", auth != NULL ? auth : "",
	    auth != NULL ? "\r\n" : "") == -1)
		abort();
	c->via_target = strdup(target);
	return c;
}
