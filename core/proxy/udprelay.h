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
/* Ends every relay (their flows finish), e.g. before the netstack goes. */
void	core_udprelay_shutdown(void);
/* Relays alive now. */
int	core_udprelay_count(void);

#endif
