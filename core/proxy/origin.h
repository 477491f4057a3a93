/*
 * origin.h -- what the proxy is told about a client connection it takes:
 * shared by the proxy and the sniffer, which hands connections to it.
 */
#ifndef CORE_PROXY_ORIGIN_H
#define CORE_PROXY_ORIGIN_H

#include <stddef.h>

struct proxy_mode;
struct stream;

/* Where a client connection came from and, if known, where it was going. */
struct proxy_origin {
	const char	*client;	/* "ip:port" */
	const char	*dest_host;	/* NULL: an explicit proxy client */
	int		 dest_port;
	int		 pid;		/* 0 when unknown */
	const char	*comm;
	unsigned long long replay_of;	/* flows it makes are replays of it */
	const char	*scheme;	/* with dest_host: "http" or "https" (the
					 * stream is then trawl's TLS server);
					 * NULL: sniff the protocol first */
	const char	*sni;		/* https: the name the client asked for */
	const char	*pre;		/* bytes the client already sent */
	size_t		 prelen;
	/* With dest_host: the connection to it the sniffer already opened
	 * (a CONNECT's), handed over with the client; the proxy owns it. */
	struct stream	*upstream;
	const char	*upstream_addr;	/* "ip:port" it reached */
	int		 upstream_h2;	/* it speaks HTTP/2 (ALPN h2) */
	const char	*upstream_pre;	/* what it already sent */
	size_t		 upstream_prelen;
	const char	*upstream_error; /* or why there is none (its TLS
					 * handshake failed): the first
					 * request is answered with it */
	int		 h2;		/* the client speaks HTTP/2 (ALPN h2,
					 * or the h2c preface in pre) */
	int		 one_request;	/* a replay: close after one exchange */
	const struct proxy_mode *mode;	/* the --mode it came through (NULL:
					 * none, a replay); core/proxy/mode.h */
	/* With upstream in local mode: when trawl's connect to it began
	 * (the program's SYN came) and ended. */
	double		 upstream_start;
	double		 upstream_end;
};

/* Takes ownership of the stream (core_proxy_accept is one). */
typedef void (*proxy_accept_fn)(struct stream *, const struct proxy_origin *);

#endif
