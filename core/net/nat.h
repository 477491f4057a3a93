/*
 * nat.h -- the NAT in front of lwIP (DESIGN.md, "Accepting any
 * destination").
 *
 * lwIP accepts only packets addressed to its own netif, so every inbound
 * packet client:cport -> dst:dport is rewritten to client:synthetic ->
 * netif:listen_port, one synthetic port per 5-tuple (Linux reuses a source
 * port toward different destinations), with an incremental checksum
 * fix-up; outbound packets get the original addresses back. IPv4 and IPv6,
 * TCP and UDP. The netstack's accept callback finds the original
 * destination with core_nat_find.
 *
 * Entries: a TCP SYN or any UDP datagram of a new 5-tuple makes one. While
 * a connection holds it (core_nat_hold) it lives; otherwise it expires
 * after LIMIT_NAT_IDLE_SEC without packets. At most `cap` entries.
 * Time is passed in (seconds, monotonic) so tests can drive it.
 */
#ifndef CORE_NAT_H
#define CORE_NAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct packet;

struct nat;
struct nat_entry;

/* The original 5-tuple: client src:sport toward dst:dport. */
struct nat_tuple {
	int		family;		/* AF_INET or AF_INET6 */
	int		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		src[16];	/* first 4 bytes for IPv4 */
	uint8_t		dst[16];
	uint16_t	sport;		/* host order */
	uint16_t	dport;
};

/* Counters, for tests and the status line. */
struct nat_stats {
	uint64_t	in;		/* packets rewritten toward lwIP */
	uint64_t	out;		/* packets rewritten toward the tun */
	uint64_t	dropped;	/* refused, malformed, unknown */
	uint64_t	full;		/* new 5-tuples refused at the cap */
	size_t		entries;
};

/*
 * ip4 and ip6 are lwIP's netif addresses, listen_port the port lwIP listens
 * on (host order); cap is the most entries at once (<= 65534 per family
 * and protocol). Caller frees with core_nat_free. NULL if out of memory.
 */
struct nat	*core_nat_new(const uint8_t ip4[4], const uint8_t ip6[16],
		    uint16_t listen_port, size_t cap);
void		 core_nat_free(struct nat *);

/*
 * Rewrites pkt[0..len), read from the tun, in place for lwIP. Returns the
 * packet's length (IP total length) to pass on, or -1 to drop it: not TCP
 * or UDP, malformed, from loopback or lwIP's own address, to a multicast
 * or broadcast address, a TCP segment of no known connection, or the cap.
 */
ssize_t		 core_nat_in(struct nat *, uint8_t *pkt, size_t len,
		    double now);
/* Rewrites a packet from lwIP in place for the tun. Returns its length, or
 * -1 to drop it (no entry for its synthetic port). Leaves the parsed
 * headers in *pk (its offsets hold after the rewrite). */
ssize_t		 core_nat_out(struct nat *, uint8_t *pkt, size_t len,
		    double now, struct packet *pk);
/* The same given only the first len bytes of a total-byte packet (they
 * must hold its IP and TCP/UDP headers): the payload is not needed, as
 * the checksum is fixed up incrementally. */
ssize_t		 core_nat_out_head(struct nat *, uint8_t *hdr, size_t len,
		    size_t total, double now, struct packet *pk);

/* The entry of the connection lwIP sees as client:port (port is the
 * synthetic one). NULL if none. Valid until it expires, see above. */
struct nat_entry *core_nat_find(struct nat *, int family, int proto,
		    const uint8_t *client, uint16_t port);
const struct nat_tuple *core_nat_tuple(const struct nat_entry *);
/* The synthetic port lwIP sees for this entry. */
uint16_t	 core_nat_port(const struct nat_entry *);

/* A connection uses the entry: it does not expire until released. owner
 * is the connection's, returned by core_nat_owner (NULL when not held). */
void		 core_nat_hold(struct nat *, struct nat_entry *, void *owner);
void		*core_nat_owner(const struct nat_entry *);
/* The connection is gone; packets still pass until the entry expires. */
void		 core_nat_release(struct nat *, struct nat_entry *,
		    double now);

/* Frees entries idle past LIMIT_NAT_IDLE_SEC that nothing holds. */
void		 core_nat_expire(struct nat *, double now);
void		 core_nat_stats(const struct nat *, struct nat_stats *);

#endif
