/*
 * sniff.h -- what a stream of unknown protocol carries, told from its
 * first bytes (not its port): a TLS ClientHello is intercepted (or passed
 * through for ignored hosts), an HTTP/1 request line goes to the HTTP
 * proxy, anything else -- or silence, when the server speaks first -- is
 * relayed raw as a TCP flow. Used for CONNECT tunnels and transparent
 * (local mode) connections.
 */
#ifndef CORE_SNIFF_H
#define CORE_SNIFF_H

#include <stddef.h>

#include "core/proxy/origin.h"

struct flow;
struct stream;

/*
 * Takes ownership of client, upstream (NULL: connect to host:port when
 * needed; upstream_addr is then ignored) and f, a FLOW_TCP flow not yet
 * in the store with client, pid and comm set. pre holds bytes the client
 * already sent. A stream that carries HTTP (plain, or decrypted TLS)
 * goes on to http. mode: the --mode it came through (or NULL), passed on.
 */
void	core_sniff_start(struct stream *client, struct stream *upstream,
	    const char *upstream_addr, struct flow *f, const char *host,
	    int port, const char *pre, size_t prelen, proxy_accept_fn http,
	    const struct proxy_mode *);

/* Connections being sniffed now. */
int	core_sniff_count(void);

#endif
