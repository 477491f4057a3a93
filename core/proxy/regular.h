/*
 * regular.h -- regular mode: trawl as an explicit HTTP proxy that clients
 * are configured to use (curl -x, http_proxy=). Upstream mode is the same
 * toward clients (its conns send on through core_mode_connect).
 */
#ifndef CORE_REGULAR_H
#define CORE_REGULAR_H

#include <sys/socket.h>

/* A listener_fn (core/proxy/listen.h); mode is the struct proxy_mode. */
void	core_regular_accept(void *mode, int fd,
	    const struct sockaddr_storage *peer);

#endif
