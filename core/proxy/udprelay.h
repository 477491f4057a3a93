/*
 * udprelay.h -- local mode's UDP: one relay per captured 5-tuple (a
 * netstack pseudo-connection, core/net/netstack.h) and a kernel UDP socket of
 * trawl's own, connected to the original destination.
 *
 * Contract:
 * - Datagrams go both ways unchanged. What crossed is recorded as one
 *   FLOW_UDP flow per relay (prefixes and byte counts of both directions),
 *   or, for DNS (port 53, or any datagram that core_dns_looks_like), one
 *   FLOW_DNS flow per query, finished when its answer arrives.
 * - A relay ends when the netstack says the 5-tuple was idle for
 *   LIMIT_UDP_IDLE_SEC, when the upstream refuses (the client then gets
 *   ICMP port unreachable through core_netstack_udp_refuse), or at
 *   core_udprelay_shutdown. Its flows finish then; queries still
 *   unanswered finish with an error.
 * - Everything runs on the core loop; trawl's own sockets are never
 *   captured (the BPF program excludes trawl), so no loop forms.
 */
#ifndef CORE_UDPRELAY_H
#define CORE_UDPRELAY_H

struct loop;
struct netstack_udp;
struct sockaddr;

/*
 * Starts relaying u, whose first datagram is about to be delivered (call
 * this from the netstack's on_udp). Takes ownership of u. pid and comm
 * name the socket's creator (0 and NULL when unknown). Returns 0, or -1
 * when no upstream socket could be made: u has then been refused (the
 * client got ICMP unreachable) and is gone.
 */
int	core_udprelay_start(struct loop *, struct netstack_udp *u,
	    const struct sockaddr *client, const struct sockaddr *server,
	    int pid, const char *comm);
/*
 * The same for a 5-tuple whose first datagrams were read already (held,
 * nheld of them, in order; sent upstream and recorded before this
 * returns) and, when quic is not NULL, found to be QUIC: its flow then
 * records the Initial's SNI and ALPN (client_tls, version "QUIC") and why
 * it was not intercepted (server_tls.passthrough_reason). The caller's
 * callbacks on u are replaced. Returns as core_udprelay_start; -1 also
 * when the upstream refused one of held (u was refused and is gone).
 */
struct udprelay_quic {
	const char	*sni;		/* NULL when the hello had none */
	const char	*alpn;		/* "h3,h3-29", or NULL */
	const char	*reason;	/* "--quic passthrough", ... */
};
int	core_udprelay_start_with(struct loop *, struct netstack_udp *u,
	    const struct sockaddr *client, const struct sockaddr *server,
	    int pid, const char *comm, const struct udprelay_quic *quic,
	    const char *const *held, const size_t *heldlen, int nheld);
/* Ends every relay (their flows finish), e.g. before the netstack goes. */
void	core_udprelay_shutdown(void);
/* Relays alive now. */
int	core_udprelay_count(void);

/*
 * A relay whose client is not the netstack (a SOCKS5 UDP association):
 * the client's datagrams come in through core_udprelay_send, the server's
 * go to send(). gone() says the relay ended by itself (the server
 * refused: err); it is freed then. The flows record mode (or none).
 */
struct relay;
struct udprelay_client {
	void	(*send)(void *arg, const char *, size_t);
	void	(*gone)(void *arg, int err);
	void	*arg;
};
/* Returns the relay, or NULL with errno set (no socket, no route). */
struct relay	*core_udprelay_open(struct loop *, const struct sockaddr *client,
		    const struct sockaddr *server, const char *mode,
		    const struct udprelay_client *);
void		 core_udprelay_send(struct relay *, const char *, size_t);
/* Ends the relay (its flows finish); gone() is not called. */
void		 core_udprelay_close(struct relay *);

#endif
