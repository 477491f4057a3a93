/*
 * connect.h -- open a TCP connection to host:port without blocking: resolve,
 * then try each address in turn within LIMIT_CONNECT_SEC.
 */
#ifndef CORE_CONNECT_H
#define CORE_CONNECT_H

struct loop;
struct connect;
struct sockaddr;

struct connect_result {
	int		 fd;		/* connected socket (callee owns), or -1 */
	const char	*error;		/* NULL on success */
	const char	*addr;		/* "ip:port" reached (or last tried) */
	double		 dns_end;	/* epoch seconds, 0 if no lookup */
	double		 connect_end;
	int		 err;		/* on error, errno-style: ECONNREFUSED,
					 * ETIMEDOUT, EHOSTUNREACH (also for a
					 * name that did not resolve), EPROTO
					 * (a proxy refused); else 0 */
};

typedef void (*connect_cb)(void *arg, const struct connect_result *);

/* The callback runs once, later, on the loop thread. */
struct connect	*core_connect_start(struct loop *, const char *host, int port,
		    connect_cb, void *arg);
/* The same to one address, without resolving (local mode knows where
 * the program was going), within timeout seconds. */
struct connect	*core_connect_start_addr(struct loop *, const struct sockaddr *,
		    double timeout, connect_cb, void *arg);
/* The callback will not run; the handle is gone on return. */
void		 core_connect_cancel(struct connect *);
/*
 * Through an HTTP proxy: connects to proxy_host:proxy_port, asks it to
 * CONNECT to host:port (auth: a Proxy-Authorization value, or NULL) and
 * reports the tunnel once the proxy said 2xx; a refusal is an error that
 * names the proxy's answer. addr in the result is the proxy's.
 */
struct connect	*core_connect_via(struct loop *, const char *proxy_host,
		    int proxy_port, const char *auth, const char *host,
		    int port, connect_cb, void *arg);
/* Formats a socket address as "ip:port" or "[ip6]:port". */
void		 core_connect_format(const void *sockaddr, char *, unsigned);

#endif
