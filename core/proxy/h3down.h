/*
 * h3down.h -- HTTP/3 from a captured client (issue 17): each request
 * stream of trawl's QUIC server endpoint an exchange, beneath the same
 * exchange layer as HTTP/1 and HTTP/2.
 *
 * Contract: quicintercept.c owns the QUIC endpoint and feeds this codec
 * the endpoint's events once its handshake chose ALPN h3. The codec owns
 * a conn (no client stream: c->s is NULL) whose exchanges go up on
 * c->h3up. When the conn is closed from outside (trawl exits, the
 * connection cap makes room), on_close(arg) tells the owner, which then
 * closes the QUIC connection and frees the codec with core_h3down_free.
 */
#ifndef CORE_PROXY_H3DOWN_H
#define CORE_PROXY_H3DOWN_H

#include <stddef.h>
#include <stdint.h>

struct h3down;
struct h3up;
struct proxy_origin;
struct quic;

/* The codec on q (handshake done); up carries its exchanges. NULL with
 * *cause. */
struct h3down	*core_h3down_new(struct quic *q, const struct proxy_origin *,
		    struct h3up *up, void (*on_close)(void *), void *arg,
		    char **cause);
/* The QUIC endpoint's events. */
void		 core_h3down_input(struct h3down *, int64_t id, const uint8_t *,
		    size_t, int fin);
void		 core_h3down_reset(struct h3down *, int64_t id, uint64_t err);
void		 core_h3down_stream_close(struct h3down *, int64_t id,
		    uint64_t err);
void		 core_h3down_writable(struct h3down *);
/* The QUIC connection ended (why: for the flows still open); frees. */
void		 core_h3down_free(struct h3down *, const char *why);

#endif
