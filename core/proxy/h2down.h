/*
 * h2down.h -- HTTP/2 from a client: each stream an exchange, as many at
 * once as LIMIT_H2_STREAMS allows, flow control per stream.
 */
#ifndef CORE_PROXY_H2DOWN_H
#define CORE_PROXY_H2DOWN_H

#include <stddef.h>

struct conn;
struct flow;
struct xtarget;

/* Reads c->s as HTTP/2 (after TLS with ALPN h2, or the h2c preface,
 * which pre may hold). */
void	core_h2down_start(struct conn *, const char *pre, size_t prelen);

/*
 * h2c by Upgrade (RFC 7540 3.2): the HTTP/1 request in f (no body) was
 * read from c->s and asked for it with settings, its HTTP2-Settings
 * value. Returns -1, nothing changed, when the codec refuses the
 * settings. Else writes the 101, reads c->s as HTTP/2 from pre on (the
 * client's preface, if it came already) and makes the request stream
 * 1's exchange; takes ownership of f and of t's strings.
 */
int	core_h2down_upgrade(struct conn *, const char *settings, size_t,
	    struct flow *f, struct xtarget *t, const char *pre, size_t prelen);

#endif
