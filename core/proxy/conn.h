/*
 * conn.h -- one client connection, whatever it speaks: where it came from
 * and where it was going, the codec that reads it, its exchanges, and the
 * upstream connections that belong to it (DESIGN.md, Core: an upstream
 * connection belongs to one client connection; nothing is shared).
 *
 * The codec toward the client (h1down.c, h2down.c) owns the client
 * stream and calls core_conn_close when the connection ends; conn.c owns
 * the rest and frees it all in one place.
 */
#ifndef CORE_PROXY_CONN_H
#define CORE_PROXY_CONN_H

#include <stdint.h>

#include "core/proxy/origin.h"
#include "core/proxy/pool.h"

enum flow_type;
struct exchange;
struct flow;
struct loop_timer;
struct stream;
struct upwait;

/* What a down codec is to the conn. */
struct codec_ops {
	/* The conn ends (trawl quits, the cap makes room, the server of a
	 * transparent connection left): release everything, reset or close
	 * the client's stream. */
	void	(*close)(void *codec, int abort);
	/* 1 when the codec has no exchange and nothing half-read. */
	int	(*idle)(void *codec);
};

struct conn {
	struct stream		*s;		/* the client's; the codec's to use */
	char			*addr;		/* "ip:port" */
	int			 pid;
	char			*comm;
	char			*dest_host;	/* transparent: where it was going */
	int			 dest_port;
	const char		*scheme;	/* of origin-form requests */
	char			*sni;		/* https: what the client asked for */
	int			 tls;		/* s is trawl's TLS server */
	int			 h2;		/* the client speaks HTTP/2 */
	int			 h2_upgraded;	/* h2c by Upgrade: its server is
						 * not known to speak h2c */
	int			 one_request;	/* a replay */
	uint64_t		 replay_of;
	int			 nreq;		/* requests seen */
	struct pool		 pool;		/* its HTTP/1 upstreams, idle */
	struct h2up		*h2ups;		/* its HTTP/2 upstreams */
	struct h3up		*h3up;		/* HTTP/3: the QUIC connection
						 * to the server (the owner's:
						 * core/proxy/quicintercept.c) */
	struct upwait		*waits;		/* exchanges waiting for one */
	char			*up_error;	/* its upstream failed before use */
	const struct codec_ops	*codec_ops;
	void			*codec;
	const struct proxy_mode	*mode;		/* it came through; or NULL */
	struct conn		*prev, *next;	/* every conn */
};

/* Takes ownership of s. The codec is set by the caller right after. */
struct conn	*core_conn_new(struct stream *s, const struct proxy_origin *);
/* Frees the conn and everything it holds but the codec and the client
 * stream (the codec's). */
void		 core_conn_free(struct conn *);
/* A new flow for this connection: client, process, TLS facts, replay. */
struct flow	*core_conn_flow(struct conn *, enum flow_type);
/* A transparent connection's "host:port" (or "[v6]:port"), into buf. */
void		 core_conn_server(const struct conn *, char *, size_t);

/*
 * An upstream for x's target: reused from the conn's own, or connected.
 * core_exchange_up_ready or _up_failed follows, never inside this call.
 * fresh: never reuse (a retry after a keep-alive race).
 */
void		 core_conn_upstream(struct conn *, struct exchange *,
		    int fresh);
/* x no longer waits for an upstream (it is gone). */
void		 core_conn_upstream_cancel(struct conn *, struct exchange *);

/* For the stats and the connection cap. */
int		 core_conn_count(void);
/* Closes the conn that has been idle longest; -1 when none is. */
int		 core_conn_make_room(void);
/* Closes every conn (trawl exits). */
void		 core_conn_close_all(void);

#endif
