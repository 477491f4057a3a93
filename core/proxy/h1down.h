/*
 * h1down.h -- HTTP/1.x from a client: requests parsed in order (one
 * exchange at a time; pipelined requests wait in the input buffer, so
 * responses go back in order), CONNECT tunnels, upgrades, the errors and
 * timeouts a client sees.
 */
#ifndef CORE_PROXY_H1DOWN_H
#define CORE_PROXY_H1DOWN_H

#include <stddef.h>

struct conn;

/* Reads c->s as HTTP/1; pre holds bytes the client already sent. */
void	core_h1down_start(struct conn *, const char *pre, size_t prelen);

#endif
