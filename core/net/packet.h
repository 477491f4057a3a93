/*
 * packet.h -- IPv4/IPv6 packets with a TCP or UDP header, as read from the
 * tun: parsing untrusted bytes, Internet checksums, ICMP errors.
 *
 * Contract: nothing here allocates or reads past the length it is given.
 * core_packet_parse accepts only what the netstack handles (no fragments,
 * no IPv6 extension headers, TCP and UDP only); the rest is -1 and is
 * dropped. Kernel-header code only: lwIP's headers must not be included
 * with this file's (lwIP redefines TCP_MSS).
 */
#ifndef CORE_PACKET_H
#define CORE_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PACKET_TCP_FIN	0x01
#define PACKET_TCP_SYN	0x02
#define PACKET_TCP_RST	0x04
#define PACKET_TCP_PSH	0x08
#define PACKET_TCP_ACK	0x10

/* Largest packet on the tun (its MTU). */
#define PACKET_MAX	65535

/* Where things are in a parsed packet; offsets into the caller's bytes. */
struct packet {
	int		family;		/* AF_INET or AF_INET6 */
	int		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	size_t		len;		/* IP total length */
	size_t		l4_off;		/* TCP or UDP header */
	size_t		data_off;	/* payload after the TCP/UDP header */
	size_t		addr_len;	/* 4 or 16 */
	size_t		src_off;	/* source address */
	size_t		dst_off;	/* destination address */
	size_t		csum_off;	/* TCP or UDP checksum field */
	uint16_t	sport;		/* host order */
	uint16_t	dport;
	uint8_t		tcp_flags;	/* PACKET_TCP_*, 0 for UDP */
};

/*
 * Parses the headers of pkt[0..len). Returns the IP total length (bytes
 * consumed, <= len), -2 if pkt is shorter than its headers say, -1 for a
 * malformed packet or one the netstack does not take.
 */
ssize_t		core_packet_parse(const uint8_t *pkt, size_t len,
		    struct packet *);
/* The same for trusted packets (lwIP's output) of which only the first
 * len bytes are at hand: total is the whole packet's length. Returns
 * total, or -1 if the headers are not all within len. */
ssize_t		core_packet_parse_head(const uint8_t *pkt, size_t len,
		    size_t total, struct packet *);

/* Adds b[0..n) to a one's-complement sum (network byte order). */
uint32_t	core_packet_sum(uint32_t sum, const void *b, size_t n);
/* Folds and complements a sum into a checksum field value. */
uint16_t	core_packet_fold(uint32_t sum);
/* RFC 1624: the checksum after a 16-bit word changes from old to new. */
uint16_t	core_packet_csum_adjust(uint16_t csum, uint16_t old,
		    uint16_t new);
/* The IPv4 header checksum or the TCP/UDP checksum (pseudo-header
 * included) that the packet should carry. */
uint16_t	core_packet_ip4_csum(const uint8_t *pkt, const struct packet *);
uint16_t	core_packet_l4_csum(const uint8_t *pkt, const struct packet *);
/* Stores in the TCP/UDP checksum field the folded pseudo-header sum
 * alone: the "partial" checksum a device (or the kernel) completes over
 * the payload, as Linux keeps it for CHECKSUM_PARTIAL. Only the field
 * within the first bytes of pkt is touched, so pk may come from
 * core_packet_parse_head. */
void		core_packet_l4_csum_partial(uint8_t *pkt,
		    const struct packet *);
/* Whether both checksums (IPv4 header, TCP/UDP) are right. */
int		core_packet_csum_ok(const uint8_t *pkt, const struct packet *);

/* Destination is multicast, broadcast or unspecified. */
int		core_packet_dst_multicast(const uint8_t *pkt,
		    const struct packet *);
/* Source is loopback, multicast or unspecified. */
int		core_packet_src_bogus(const uint8_t *pkt, const struct packet *);

/*
 * Builds into out[0..cap) the ICMP "port unreachable" a server would send
 * for a UDP datagram from src:sport to dst:dport (addresses of addr_len
 * bytes, 4 or 16; ports in host order). Returns its length or -1.
 */
ssize_t		core_packet_udp_unreach(uint8_t *out, size_t cap,
		    size_t addr_len, const uint8_t *src, uint16_t sport,
		    const uint8_t *dst, uint16_t dport);
/*
 * The same for a TCP SYN (sequence number seq) from src:sport that cannot
 * reach dst:dport: "destination unreachable" with code, ICMP's for IPv4
 * and ICMPv6's for IPv6, as a router on the way would send it.
 */
ssize_t		core_packet_tcp_unreach(uint8_t *out, size_t cap,
		    size_t addr_len, int code, const uint8_t *src,
		    uint16_t sport, const uint8_t *dst, uint16_t dport,
		    uint32_t seq);

#endif
