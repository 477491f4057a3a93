/*
 * reverse.h -- reverse mode (`--mode reverse:http[s]://HOST[:PORT]`):
 * trawl listens, and every client connection goes to that one server, as
 * a transparent connection whose destination is known. The sniffer tells
 * TLS from plain HTTP: a TLS client gets a certificate for the server's
 * name (and the name it asked for); the server gets TLS when the URL says
 * https://, whatever the client spoke. Each request's URL and Host name
 * the server, as mitmproxy does by default; the flow keeps what the
 * client sent as its original request.
 */
#ifndef CORE_PROXY_REVERSE_H
#define CORE_PROXY_REVERSE_H

#include <sys/socket.h>

struct conn;
struct flow;
struct proxy_mode;
struct xtarget;

/* A listener_fn (core/proxy/listen.h); mode is the struct proxy_mode. */
void	core_reverse_accept(void *mode, int fd,
	    const struct sockaddr_storage *peer);
/* 1 for a reverse mode; core_reverse_plain: one whose server is http://. */
int	core_reverse_is(const struct proxy_mode *);
int	core_reverse_plain(const struct proxy_mode *);
/* A request of c's (its flow f and target t) is about to go: for a
 * reverse mode's conn, it now names the server. */
void	core_reverse_request(const struct conn *, struct flow *f,
	    struct xtarget *t);

#endif
