/*
 * proxy.h -- the proxy pipeline for one client connection: HTTP/1.1
 * exchanges (explicit-proxy or transparent), CONNECT tunnels and raw
 * relays, each recorded as flows in the store.
 */
#ifndef CORE_PROXY_H
#define CORE_PROXY_H

#include "core/proxy/origin.h"

struct flow;
struct stream;

/* Takes ownership of the client stream. */
void	core_proxy_accept(struct stream *, const struct proxy_origin *);
/* Connections open now (for tests of fd baselines and the status bar). */
int	core_proxy_connections(void);
/* For core/proxy/intercept.c: the exchange behind a paused flow. Each returns
 * 0, or -1 with *cause (caller frees; cause may be NULL). */
int	core_proxy_is_paused(const struct flow *);
int	core_proxy_resume(struct flow *, char **cause);
int	core_proxy_kill(struct flow *, char **cause);
/* Fills out with up to max paused flows; returns how many are paused. */
int	core_proxy_paused(struct flow **out, int max);

/* Closes idle pooled upstream connections, at exit. */
void	core_proxy_shutdown(void);

#endif
