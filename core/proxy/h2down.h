/*
 * h2down.h -- HTTP/2 from a client: each stream an exchange, as many at
 * once as LIMIT_H2_STREAMS allows, flow control per stream.
 */
#ifndef CORE_PROXY_H2DOWN_H
#define CORE_PROXY_H2DOWN_H

#include <stddef.h>

struct conn;

/* Reads c->s as HTTP/2 (after TLS with ALPN h2, or the h2c preface,
 * which pre may hold). */
void	core_h2down_start(struct conn *, const char *pre, size_t prelen);

#endif
