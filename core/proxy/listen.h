/*
 * listen.h -- a listening TCP socket on the loop, shared by the modes that
 * take connections (regular, upstream, reverse, socks5): it accepts in
 * batches, waits out a lack of descriptors instead of spinning, and keeps
 * to LIMIT_CONNECTIONS (closing the longest-idle client to make room).
 */
#ifndef CORE_PROXY_LISTEN_H
#define CORE_PROXY_LISTEN_H

#include <sys/socket.h>

struct listener;

/* A connection was accepted: fd (non-blocking, TCP_NODELAY) is the
 * callee's; peer is the client's address. */
typedef void (*listener_fn)(void *arg, int fd,
    const struct sockaddr_storage *peer);

/* Listens on host:port (port 0: any free one). Returns the listener, or
 * NULL with *cause (caller frees). */
struct listener	*core_listener_new(const char *host, int port, listener_fn,
		    void *arg, char **cause);
/* Stops listening; connections accepted before stay. NULL is fine. */
void		 core_listener_free(struct listener *);
/* The address actually bound, "host:port" or "[v6]:port". */
const char	*core_listener_address(const struct listener *);

#endif
