/*
 * h2down.c -- HTTP/2 from a client (transitional until the codec lands:
 * no client is given h2 yet).
 */
#include <stdlib.h>

#include "core/loop/stream.h"
#include "core/proxy/conn.h"
#include "core/proxy/h2down.h"

void
core_h2down_start(struct conn *c, const char *pre, size_t prelen)
{
	core_stream_abort(c->s);
	c->s = NULL;
	core_conn_free(c);
}
