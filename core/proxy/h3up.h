/*
 * h3up.h -- HTTP/3 toward a server (issue 17): trawl's own QUIC client
 * connection to it, carrying the exchanges of the one client connection
 * it belongs to, each a request stream.
 *
 * Contract: quicintercept.c owns the QUIC endpoint and feeds this codec
 * its events once the handshake chose ALPN h3; the conn of the client's
 * connection finds it in c->h3up. core_h3up_close fails what is open and
 * refuses what comes later; core_h3up_free frees it (after the conn that
 * pointed at it is gone).
 */
#ifndef CORE_PROXY_H3UP_H
#define CORE_PROXY_H3UP_H

#include <stddef.h>
#include <stdint.h>

struct exchange;
struct h3up;
struct quic;

/* The codec on q (handshake done). host: the server's name for the
 * flows, addr: "ip:port" it reached. NULL with *cause. */
struct h3up	*core_h3up_new(struct quic *q, const char *host,
		    const char *addr, char **cause);
/* Opens a request stream for x; core_exchange_up_ready (or _up_failed)
 * runs inside. */
void		 core_h3up_attach(struct h3up *, struct exchange *);
void		 core_h3up_input(struct h3up *, int64_t id, const uint8_t *,
		    size_t, int fin);
void		 core_h3up_reset(struct h3up *, int64_t id, uint64_t err);
void		 core_h3up_stream_close(struct h3up *, int64_t id,
		    uint64_t err);
void		 core_h3up_writable(struct h3up *);
/* The server's connection ended: its exchanges fail with why. */
void		 core_h3up_close(struct h3up *, const char *why);
void		 core_h3up_free(struct h3up *);

#endif
