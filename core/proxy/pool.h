/*
 * pool.h -- the upstream connections of one client connection, kept
 * between its requests. An upstream connection belongs to exactly one
 * client connection (DESIGN.md, Core): nothing here is shared between
 * client connections. A transparent client has one upstream (its own
 * connection's mirror); a client of the explicit proxy one per host it
 * asks for, up to LIMIT_UPSTREAMS_PER_CLIENT. Across every pool at most
 * LIMIT_IDLE_UPSTREAMS are idle; the oldest makes room. A pool owns the
 * idle connections it holds.
 */
#ifndef CORE_PROXY_POOL_H
#define CORE_PROXY_POOL_H

struct stream;

struct upstream {
	struct stream		*s;
	char			*host;
	int			 port;
	char			*scheme;
	char			*name;		/* TLS server name, or NULL */
	char			*addr;		/* "ip:port" reached */
	int			 requests;	/* exchanges it carried */
	void			*owner;		/* the exchange using it, if any */
	/* While idle, in a pool: */
	struct pool		*pool;
	struct loop_timer	*idle;
	struct upstream		*next;		/* in the pool */
	struct upstream		*older, *newer;	/* among all idle ones */
};

struct pool {
	struct upstream		*idle;
	int			 n;
	/* With reap set, idle connections close after
	 * LIMIT_IDLE_UPSTREAM_SEC. gone(arg, used, why) runs when the server
	 * closes (or speaks on) an idle connection, or its TLS handshake
	 * fails; used: it carried requests. The pool has dropped it. */
	int			 reap;
	void			(*gone)(void *arg, int used, const char *why);
	void			*arg;
};

/* Caller owns the result: an idle connection to reuse, or NULL. With a
 * name, a TLS connection also matches on the server name it was opened
 * for; NULL takes any. */
struct upstream	*core_pool_take(struct pool *, const char *scheme,
		    const char *host, int port, const char *name);
/* Takes ownership; keeps it idle (listening for the server's close). */
void		 core_pool_put(struct pool *, struct upstream *);
/* A new upstream for a stream already connected; takes ownership of s. */
struct upstream	*core_pool_upstream_new(struct stream *s, const char *scheme,
		    const char *host, int port, const char *name,
		    const char *addr);
/* Frees an upstream the caller owns; abort=1 resets the connection. */
void		 core_pool_release(struct upstream *, int abort);
/* Closes every idle connection of the pool (gone is not called). */
void		 core_pool_clear(struct pool *);
/* Idle connections across every pool. */
int		 core_pool_idle(void);

#endif
