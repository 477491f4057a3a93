/*
 * h1write.h -- an HTTP/1 message's header fields as the next hop gets
 * them: hop-by-hop fields dropped, the body's framing written by trawl
 * where the sender put its own (so untouched fields keep their order).
 */
#ifndef CORE_PROXY_H1WRITE_H
#define CORE_PROXY_H1WRITE_H

#include <stdint.h>

#include "core/proxy/exchange.h"

struct buf;
struct flow_headers;

#define H1W_KEEP_UPGRADE 0x1	/* an upgrade request keeps Upgrade */

/*
 * Appends "Name: value\r\n" lines (not the empty line). kind and len say
 * how the body is framed on this hop: LENGTH writes Content-Length: len,
 * CHUNKED keeps the Transfer-Encoding that ends in chunked (or adds one),
 * CLOSE keeps Transfer-Encoding and drops Content-Length, NONE keeps
 * both as they came (a HEAD's or 304's Content-Length).
 */
void	core_h1write_fields(struct buf *, const struct flow_headers *,
	    enum xbody kind, uint64_t len, int flags);
/* The same for a request: host, when not NULL, is the Host value to
 * write where the client had its Host field (one, the first). */
void	core_h1write_request_fields(struct buf *, const struct flow_headers *,
	    const char *host, enum xbody kind, uint64_t len, int flags);

#endif
