/*
 * h2up.c -- HTTP/2 toward a server (transitional: no upstream speaks it
 * until the codec lands; conn.c offers h2 only to HTTP/2 clients).
 */
#include <stdlib.h>

#include "core/loop/stream.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h2up.h"

struct h2up *
core_h2up_new(struct conn *c, struct stream *s, const char *scheme,
    const char *host, int port, const char *addr)
{
	core_stream_abort(s);
	return NULL;
}

struct h2up *
core_h2up_find(struct conn *c, const struct xtarget *t)
{
	return NULL;
}

void
core_h2up_attach(struct h2up *h, struct exchange *x)
{
	core_exchange_up_failed(x, "HTTP/2 upstreams are not supported", 0,
	    NULL);
}

void
core_h2up_close(struct h2up *h)
{
}
