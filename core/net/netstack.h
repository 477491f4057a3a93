/*
 * netstack.h -- local mode's TCP/IP stack: trawl's own lwIP build behind
 * the NAT (core/net/nat.h), on the tun fd the redirector hands over.
 *
 * Every TCP connection and UDP 5-tuple that arrives on the tun, whatever
 * its destination, is terminated here and handed to the proxy: a TCP
 * connection as a struct stream (core/loop/stream.h), a UDP 5-tuple as a
 * pseudo-connection of datagrams. Single-threaded, on the core loop:
 * lwIP's timers run at the end of each pass.
 *
 * lwIP is global: one netstack per process at a time. Free it before its
 * loop, and run no more passes of that loop afterwards.
 *
 * This header includes no lwIP header, so the proxy never sees lwIP's
 * macros (lwIP redefines TCP_MSS, for one).
 */
#ifndef CORE_NETSTACK_H
#define CORE_NETSTACK_H

#include <stddef.h>
#include <stdint.h>

#include "redirect/proto.h"

struct loop;
struct sockaddr;
struct stream;
struct netstack;
struct netstack_syn;
struct netstack_udp;

/*
 * lwIP's own addresses: the user-space side of the redirector's address
 * plan (redirect/proto.h, the one source of truth); the kernel's side of
 * the tun (the captured sockets' source) is the _PEER address here.
 */
#define NETSTACK_IP4		RD_TUN_PEER4
#define NETSTACK_IP4_PEER	RD_TUN_ADDR4
#define NETSTACK_IP4_PREFIX	RD_TUN_PREFIX4
#define NETSTACK_IP6		RD_TUN_PEER6
#define NETSTACK_IP6_PEER	RD_TUN_ADDR6
#define NETSTACK_IP6_PREFIX	RD_TUN_PREFIX6
#define NETSTACK_LISTEN_PORT	7

/* Milliseconds between extra tcp_fasttmr passes: lwIP's own 250 ms would
 * delay ACKs past Linux's 200 ms minimum retransmit timeout. */
#define NETSTACK_FASTTMR_MS	40

struct netstack_cbs {
	/*
	 * A TCP connection to any address completed its handshake. client
	 * and server are the original addresses (sockaddr_in or _in6). The
	 * callee owns s: it starts paused; set callbacks, then unpause. To
	 * refuse it (upstream refused), core_netstack_tcp_refuse(s). ctx is
	 * what core_netstack_syn_accept was given (NULL without on_syn).
	 */
	void	(*on_tcp)(void *arg, struct stream *s,
		    const struct sockaddr *client, const struct sockaddr *server,
		    void *ctx);
	/*
	 * The first datagram of a new UDP 5-tuple. The callee owns u: set
	 * its callbacks here to receive this datagram and the next ones.
	 */
	void	(*on_udp)(void *arg, struct netstack_udp *u,
		    const struct sockaddr *client, const struct sockaddr *server);
	void	*arg;
	/*
	 * A client's SYN that opens a connection (its retransmits do not
	 * come here): nothing answers it until the callee, having tried the
	 * server, calls core_netstack_syn_accept (the client gets its
	 * SYN-ACK, then on_tcp follows) or core_netstack_syn_refuse; it may
	 * do so at once. Meanwhile the client's retransmitted SYNs are taken
	 * and dropped. NULL: lwIP answers every SYN itself, at once.
	 */
	void	(*on_syn)(void *arg, struct netstack_syn *,
		    const struct sockaddr *client, const struct sockaddr *server);
	/*
	 * A held SYN goes away without on_tcp: unanswered (ctx NULL) when
	 * the netstack is freed, or accepted (with its ctx) when the client
	 * never finished its handshake (it gave up, or reset). The callee
	 * forgets the SYN and frees ctx.
	 */
	void	(*on_syn_drop)(void *arg, struct netstack_syn *, void *ctx);
};

struct netstack_udp_cbs {
	void	(*on_datagram)(void *arg, const char *, size_t);
	/* Idle for LIMIT_UDP_IDLE_SEC: the owner must call
	 * core_netstack_udp_close. */
	void	(*on_expire)(void *arg);
	void	*arg;
};

struct netstack_stats {
	uint64_t	tun_in;		/* packets read from the tun */
	uint64_t	tun_out;	/* packets written to it */
	uint64_t	tun_drop;	/* dropped: NAT, lwIP, memory, tun full */
	uint64_t	nat_full;	/* new 5-tuples refused at the NAT cap */
	size_t		nat_entries;
	size_t		tcp_conns;	/* streams alive (incl. closing) */
	size_t		udp_conns;
	size_t		mem_used;	/* lwIP heap bytes (LIMIT_NETSTACK_MEM) */
	uint64_t	asserts;	/* lwIP assertions that did not abort */
	const char	*last_assert;	/* the last one's message, or NULL */
	size_t		syns_held;	/* SYNs waiting for on_syn's answer */
	uint64_t	syn_drop;	/* SYNs dropped at LIMIT_SYN_HELD */
	size_t		tcp_pcbs;	/* lwIP's, TIME_WAIT aside: a pcb
					 * retired from its stream still counts */
};

/*
 * Starts lwIP on tun_fd (made non-blocking; the caller keeps ownership
 * and closes it after core_netstack_free). tun_fd may be -1 for tests
 * that feed packets with core_netstack_input; output is then dropped.
 * Returns NULL with *cause set (caller frees) on failure.
 */
struct netstack	*core_netstack_new(struct loop *, int tun_fd,
		    const struct netstack_cbs *, char **cause);
/* Resets every connection and stops lwIP's netif. */
void		 core_netstack_free(struct netstack *);
/* One packet as if read from the tun (tests, fuzzing). */
void		 core_netstack_input(struct netstack *, const void *, size_t);
void		 core_netstack_stats(const struct netstack *,
		    struct netstack_stats *);

/* The upstream refused or is unreachable: the client gets a RST. The
 * stream is gone on return (like core_stream_abort). */
void		 core_netstack_tcp_refuse(struct stream *);

/* The server accepted: lwIP answers the held SYN (SYN-ACK), and on_tcp
 * gets ctx when the client completes the handshake (or on_syn_drop, if
 * it never does). */
void		 core_netstack_syn_accept(struct netstack_syn *, void *ctx);
/*
 * The server could not be reached; err is the errno trawl's own connect
 * got, and the client gets what that kernel got: a RST for ECONNREFUSED
 * (and for errors no packet can say), ICMP unreachable for
 * EHOSTUNREACH, ENETUNREACH, EACCES and their like, nothing for
 * ETIMEDOUT (its own SYNs time out). The SYN is gone on return.
 */
void		 core_netstack_syn_refuse(struct netstack_syn *, int err);

void		 core_netstack_udp_set_cbs(struct netstack_udp *,
		    const struct netstack_udp_cbs *);
/* Sends one datagram to the client from the original server address.
 * Returns 0, or -1 if it is too big for the tun or memory is short. */
int		 core_netstack_udp_send(struct netstack_udp *, const void *,
		    size_t);
/* Ends the pseudo-connection; u is gone on return. */
void		 core_netstack_udp_close(struct netstack_udp *);
/* The upstream refused: the client gets ICMP port unreachable; u is gone
 * on return. */
void		 core_netstack_udp_refuse(struct netstack_udp *);

#endif
