/*
 * quic.h -- local mode's UDP dispatch (issue 17): each new captured UDP
 * 5-tuple waits here until its first datagram says whether it is QUIC.
 *
 * Contract:
 * - Not a QUIC Initial (core/tls/quic_initial.h), or one that does not
 *   decrypt: the 5-tuple goes to core_udprelay_start_with exactly as any
 *   UDP (DNS and the rest unchanged), first datagram included.
 * - QUIC whose ClientHello spans several datagrams: up to LIMIT_QUIC_HELLO_HELD
 *   are held, then relayed or intercepted in order (browsers' hellos,
 *   with post-quantum key shares, take two).
 * - With the ClientHello's SNI in hand, by the --quic setting:
 *   block: the client gets ICMP port unreachable (it falls back to TCP)
 *   and a finished UDP flow says so; passthrough, or an SNI or address
 *   --ignore-hosts matches: relayed untouched, its flow carrying the SNI
 *   and ALPN (client_tls, version "QUIC") and the reason; intercept:
 *   core_quic_intercept_start, and on its -1 a relay as for passthrough.
 * - A 5-tuple that goes idle before its hello is complete is closed.
 */
#ifndef CORE_QUIC_H
#define CORE_QUIC_H

struct loop;
struct netstack_udp;
struct sockaddr;

enum quic_mode {
	QUIC_INTERCEPT,
	QUIC_PASSTHROUGH,	/* the default */
	QUIC_BLOCK
};

/* "intercept", "passthrough" or "block": 0, else -1. */
int		core_quic_set_mode(const char *);
enum quic_mode	core_quic_mode(void);

/* A new UDP 5-tuple (the netstack's on_udp); takes ownership of u. */
void	core_quic_dispatch(struct loop *, struct netstack_udp *u,
	    const struct sockaddr *client, const struct sockaddr *server,
	    int pid, const char *comm);
/* Ends the 5-tuples still waiting and every intercepted connection. */
void	core_quic_shutdown(void);

#endif
