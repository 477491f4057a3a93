/*
 * pool.h -- upstream connections: kept idle for reuse per host, port and
 * scheme, closed after LIMIT_IDLE_UPSTREAM_SEC or when the server speaks
 * out of turn. The pool owns the idle connections it holds.
 */
#ifndef CORE_POOL_H
#define CORE_POOL_H

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
	struct loop_timer	*idle;
	struct upstream		*next;
};

/* Caller owns the result: an idle connection to reuse, or NULL. A TLS
 * connection also matches on the server name it was opened for. */
struct upstream	*core_pool_take(const char *scheme, const char *host, int port,
		    const char *name);
/* Takes ownership; keeps it for reuse or closes it. */
void		 core_pool_put(struct upstream *);
/* Frees an upstream the caller owns; abort=1 resets the connection. */
void		 core_pool_release(struct upstream *, int abort);
/* Closes every idle connection. */
void		 core_pool_clear(void);
int		 core_pool_idle(void);

#endif
