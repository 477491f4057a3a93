/*
 * listen.c -- a listening socket of one mode.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/listen.h"
#include "core/proxy/proxy.h"

struct listener {
	int			 fd;
	char			 bound[80];
	struct loop_timer	*backoff;
	listener_fn		 fn;
	void			*arg;
};

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
resume_accept(void *arg)
{
	struct listener *l = arg;

	core_loop_mod(core_loop, l->fd, LOOP_READ);
}

static void
on_accept(int fd, int events, void *arg)
{
	struct listener *l = arg;
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int cfd, one = 1;

		cfd = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				core_notice("out of file descriptors: new "
				    "connections wait (%s)", strerror(errno));
				core_loop_mod(core_loop, fd, 0);
				core_loop_timer_set(l->backoff, 0.1);
			}
			return;
		}
		/* Small writes (interim responses, chunks) must not wait. */
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (core_proxy_connections() >= LIMIT_CONNECTIONS &&
		    core_proxy_make_room() == -1) {
			core_notice("%d connections open: new ones are refused",
			    LIMIT_CONNECTIONS);
			close(cfd);
			continue;
		}
		l->fn(l->arg, cfd, &ss);
	}
}

struct listener *
core_listener_new(const char *host, int port, listener_fn fn, void *arg,
    char **cause)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct listener *l;
	char portstr[16];
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		core_cause(cause, "cannot listen on %s: %s", host,
		    gai_strerror(rc));
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1)
		goto fail;
	freeaddrinfo(res);
	if ((l = calloc(1, sizeof *l)) == NULL)
		abort();
	getsockname(fd, (struct sockaddr *)&ss, &len);
	core_connect_format(&ss, l->bound, sizeof l->bound);
	l->fd = fd;
	l->fn = fn;
	l->arg = arg;
	l->backoff = core_loop_timer_new(core_loop, resume_accept, l);
	core_loop_add(core_loop, fd, LOOP_READ, on_accept, l);
	return l;
fail:
	core_cause(cause, strchr(host, ':') != NULL ? "cannot listen on "
	    "[%s]:%d: %s" : "cannot listen on %s:%d: %s", host, port,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return NULL;
}

void
core_listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	core_loop_del(core_loop, l->fd);
	close(l->fd);
	core_loop_timer_free(l->backoff);
	free(l);
}

const char *
core_listener_address(const struct listener *l)
{
	return l->bound;
}
