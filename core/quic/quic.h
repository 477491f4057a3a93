/*
 * quic.h -- one QUIC endpoint of trawl's (issue 17): ngtcp2 with TLS from
 * core/tls/quic_tls.c, its timers on the core loop. The server kind
 * terminates a captured client's connection; the client kind is trawl's
 * own connection to the original server. Datagrams go in with
 * core_quic_input and out through cbs->send, so the owner picks the path
 * (the netstack toward the client, a kernel socket toward the server).
 *
 * Stream bytes written are copied and kept until the peer acknowledges
 * them (at most LIMIT_QUIC_STREAM_WINDOW per stream: past it the write
 * fails with EAGAIN and on_writable tells when to retry).
 */
#ifndef CORE_QUIC_H
#define CORE_QUIC_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct sockaddr;
struct quic;

struct quic_cbs {
	/* One datagram for the peer: 0, or -1 (dropped: QUIC resends). */
	int	(*send)(void *arg, const uint8_t *, size_t);
	/* The TLS handshake is done (alpn is "h3" or NULL). */
	void	(*on_handshake)(void *arg, const char *alpn);
	/* Bytes of stream id from the peer; fin: it ends there. */
	void	(*on_stream_data)(void *arg, int64_t id, const uint8_t *,
		    size_t, int fin);
	/* The peer reset stream id, or stopped reading it. */
	void	(*on_stream_reset)(void *arg, int64_t id, uint64_t app_error);
	/* Stream id is over in both directions (may be NULL). */
	void	(*on_stream_close)(void *arg, int64_t id, uint64_t app_error);
	/* Room again on streams written to past the cap. */
	void	(*on_writable)(void *arg);
	/* The connection ended (why: a sentence, static or until return;
	 * verify: the certificate error, or NULL). The owner frees it. */
	void	(*on_close)(void *arg, const char *why, const char *verify);
	void	*arg;
	/* 0: the peer's flow-control credit comes back as soon as
	 * on_stream_data returns (the owner copies everything at once).
	 * 1: only through core_quic_consume, so a slow reader stalls its
	 * own stream (HTTP/3, whose bodies wait for the other side). */
	int	 manual_credit;
};

/* A server connection from the client's first Initial datagram (not
 * yet read: pass it to core_quic_input). sni names the leaf (NULL: host).
 * NULL with *cause. */
struct quic	*core_quic_server_new(struct loop *, const uint8_t *first,
		    size_t len, const struct sockaddr *client,
		    const struct sockaddr *server, const char *sni,
		    const char *host, const struct quic_cbs *, char **cause);
/* A client connection to server, verified for host; its first packets
 * go out on the next loop pass. NULL with *cause. */
struct quic	*core_quic_client_new(struct loop *, const struct sockaddr *local,
		    const struct sockaddr *server, const char *host,
		    const struct quic_cbs *, char **cause);
/* One datagram from the peer. */
void		 core_quic_input(struct quic *, const uint8_t *, size_t);
/* Appends to stream id (opened by the peer or core_quic_open): 0, or -1
 * with errno (EAGAIN: over the cap). */
int		 core_quic_write(struct quic *, int64_t id, const uint8_t *,
		    size_t, int fin);
/* Gives the peer back n bytes of credit on stream id (manual_credit). */
void		 core_quic_consume(struct quic *, int64_t id, size_t n);
/* Opens a stream of ours: the id, or -1 (the peer's limit). */
int64_t		 core_quic_open(struct quic *, int uni);
/* Resets stream id toward the peer (both directions). */
void		 core_quic_reset(struct quic *, int64_t id, uint64_t app_error);
/* Closes with an application error (0: no error); on_close follows on a
 * later pass. */
void		 core_quic_close(struct quic *, uint64_t app_error,
		    const char *why);
void		 core_quic_free(struct quic *);
int		 core_quic_established(const struct quic *);

#endif
