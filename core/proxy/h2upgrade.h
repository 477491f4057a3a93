/*
 * h2upgrade.h -- `Upgrade: h2c` (RFC 7540 3.2) from an HTTP/1.1 client:
 * whether trawl takes it, and the hand-over to HTTP/2.
 */
#ifndef CORE_PROXY_H2UPGRADE_H
#define CORE_PROXY_H2UPGRADE_H

#include <stddef.h>

#include "core/proxy/exchange.h"

struct conn;
struct flow;

/*
 * f's request (HTTP/1.<minor>, framed as kind) was read from c, rest is
 * what the client sent after its head. When the request asks for h2c
 * and trawl takes it, the client gets 101, the connection goes on as
 * HTTP/2 (h2down.c) with the request as stream 1, and this returns 0:
 * f and t's strings are taken, c's codec is no longer the caller's and
 * c may be gone. Otherwise -1 and nothing changed: the request goes on
 * as HTTP/1.1 without the upgrade (RFC 9110 7.8 lets a server ignore it).
 */
int	core_h2upgrade_take(struct conn *c, struct flow *f, int minor,
	    struct xtarget *t, enum xbody kind, const char *rest, size_t n);

#endif
