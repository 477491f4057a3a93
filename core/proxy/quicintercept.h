/*
 * quicintercept.h -- a captured QUIC connection terminated by trawl
 * (issue 17, `--quic intercept`): trawl answers the client's QUIC with a
 * certificate from its CA for the SNI, opens its own QUIC connection to
 * the server, and carries HTTP/3 requests as exchanges.
 *
 * Contract:
 * - Called by local mode's UDP dispatch (core/proxy/quic.c) once the
 *   first datagram of a 5-tuple has been read and found to be a QUIC
 *   Initial whose SNI is not ignored.
 * - On 0 it owns u (its callbacks are replaced) and has consumed the
 *   first datagrams (nfirst of them: a ClientHello may span several).
 * - On -1 it has not touched u (errno ENOSYS: interception is not built
 *   in; anything else: it could not start), and the caller relays the
 *   5-tuple untouched instead, first datagram included.
 */
#ifndef CORE_QUICINTERCEPT_H
#define CORE_QUICINTERCEPT_H

#include <stddef.h>

struct loop;
struct netstack_udp;
struct sockaddr;

int	core_quic_intercept_start(struct loop *, struct netstack_udp *u,
	    const struct sockaddr *client, const struct sockaddr *server,
	    int pid, const char *comm, const char *sni,
	    const char *const *first, const size_t *firstlen, size_t nfirst);
/* Ends every intercepted QUIC connection (their flows finish). */
void	core_quic_intercept_shutdown(void);

#endif
