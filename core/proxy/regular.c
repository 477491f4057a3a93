/*
 * regular.c -- the listening socket of regular mode.
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

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/sockstream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/proxy.h"
#include "core/proxy/regular.h"

static int			 listen_fd = -1;
static char			 bound[80];
static struct loop_timer	*backoff;

static void	on_accept(int, int, void *);

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
resume_accept(void *unused)
{
	core_loop_mod(core_loop, listen_fd, LOOP_READ);
}

static void
on_accept(int fd, int events, void *unused)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		struct proxy_origin o;
		struct stream *s;
		char addr[80];
		int cfd, one = 1;

		cfd = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				core_notice("out of file descriptors: new "
				    "connections wait (%s)", strerror(errno));
				core_loop_mod(core_loop, fd, 0);
				core_loop_timer_set(backoff, 0.1);
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
		s = core_sockstream_new(core_loop, cfd);
		if (s == NULL)
			continue;
		core_connect_format(&ss, addr, sizeof addr);
		memset(&o, 0, sizeof o);
		o.client = addr;
		core_proxy_accept(s, &o);
	}
}

int
core_regular_start(const char *host, int port, char **cause)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char portstr[16];
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		if (asprintf(cause, "cannot listen on %s: %s", host,
		    gai_strerror(rc)) == -1)
			*cause = NULL;
		return -1;
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
	getsockname(fd, (struct sockaddr *)&ss, &len);
	core_connect_format(&ss, bound, sizeof bound);
	listen_fd = fd;
	backoff = core_loop_timer_new(core_loop, resume_accept, NULL);
	core_loop_add(core_loop, fd, LOOP_READ, on_accept, NULL);
	return 0;
fail:
	if (asprintf(cause, "cannot listen on %s:%d: %s", host, port,
	    strerror(errno)) == -1)
		*cause = NULL;
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

void
core_regular_stop(void)
{
	if (listen_fd == -1)
		return;
	core_loop_del(core_loop, listen_fd);
	close(listen_fd);
	listen_fd = -1;
	core_loop_timer_free(backoff);
	backoff = NULL;
}

const char *
core_regular_address(void)
{
	return bound;
}
