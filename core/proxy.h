/*
 * proxy.h -- the proxy pipeline for one client connection: HTTP/1.1
 * exchanges (explicit-proxy or transparent), CONNECT tunnels and raw
 * relays, each recorded as flows in the store.
 */
#ifndef CORE_PROXY_H
#define CORE_PROXY_H

struct stream;

/* Where a client connection came from and, if known, where it was going. */
struct proxy_origin {
	const char	*client;	/* "ip:port" */
	const char	*dest_host;	/* NULL: an explicit proxy client */
	int		 dest_port;
	int		 pid;		/* 0 when unknown */
	const char	*comm;
};

/* Takes ownership of the client stream. */
void	core_proxy_accept(struct stream *, const struct proxy_origin *);
/* Connections open now (for tests of fd baselines and the status bar). */
int	core_proxy_connections(void);
/* Closes idle pooled upstream connections, at exit. */
void	core_proxy_shutdown(void);

#endif
