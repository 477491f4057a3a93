/*
 * h2up.h -- HTTP/2 toward a server: one connection of a conn, carrying
 * as many of its exchanges at once as the server allows, each a stream.
 */
#ifndef CORE_PROXY_H2UP_H
#define CORE_PROXY_H2UP_H

struct conn;
struct exchange;
struct h2up;
struct stream;
struct xtarget;

/* Takes ownership of s (connected, TLS with ALPN h2 or h2c) for c. */
struct h2up	*core_h2up_new(struct conn *, struct stream *, const char *scheme,
		    const char *host, int port, const char *addr);
/* Bytes the server sent before h existed (an h2c server's SETTINGS). */
void		 core_h2up_feed(struct h2up *, const char *, size_t);
/* c's live HTTP/2 connection to t's server, or NULL. */
struct h2up	*core_h2up_find(struct conn *, const struct xtarget *);
/* Opens a stream on h for x; core_exchange_up_ready runs inside. */
void		 core_h2up_attach(struct h2up *, struct exchange *);
/* Closes the connection: its exchanges end with an error. */
void		 core_h2up_close(struct h2up *);

#endif
