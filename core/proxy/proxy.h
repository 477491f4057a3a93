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
/* Client connections open now, in every state: sniffing, HTTP, tunnels
 * (for the connection cap, tests of descriptor baselines, the status). */
int	core_proxy_connections(void);
/* What is open now, for the `stats` command and leak tests. */
struct proxy_stats {
	int	clients;	/* HTTP client connections */
	int	sniffing;	/* connections whose protocol is not known yet */
	int	tunnels;	/* raw relays (TCP, passthrough, WebSocket) */
	int	idle_upstreams;	/* upstream connections kept between requests */
};
void	core_proxy_stats(struct proxy_stats *);
/* At the cap: closes the longest-idle keep-alive client connection (one
 * between requests) to make room. Returns 0, or -1 when none is idle. */
int	core_proxy_make_room(void);
/* For core/proxy/intercept.c: the exchange behind a paused flow. Each returns
 * 0, or -1 with *cause (caller frees; cause may be NULL). */
int	core_proxy_is_paused(const struct flow *);
int	core_proxy_resume(struct flow *, char **cause);
int	core_proxy_kill(struct flow *, char **cause);
/* Fills out with up to max paused flows; returns how many are paused. */
int	core_proxy_paused(struct flow **out, int max);

/* Closes every client connection and its upstreams, at exit. */
void	core_proxy_shutdown(void);

#endif
