/*
 * packet.c -- parsing and checksums of tun packets (see packet.h).
 *
 * Every field is read byte by byte: the input is untrusted and the buffer
 * need not be aligned.
 */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/net/packet.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Fills the transport part of pk from l4[0..n). */
static ssize_t
parse_l4(const uint8_t *pkt, struct packet *pk, int proto)
{
	const uint8_t *l4 = pkt + pk->l4_off;
	size_t n = pk->len - pk->l4_off, hl;

	pk->proto = proto;
	if (proto == IPPROTO_TCP) {
		if (n < 20)
			return -1;
		hl = (size_t)(l4[12] >> 4) * 4;
		if (hl < 20 || hl > n)
			return -1;
		pk->tcp_flags = l4[13] & 0x3f;
		pk->csum_off = pk->l4_off + 16;
		pk->data_off = pk->l4_off + hl;
	} else if (proto == IPPROTO_UDP) {
		if (n < 8)
			return -1;
		hl = get16(l4 + 4);
		/* The UDP length must be the IP payload: no trailing bytes. */
		if (hl != n)
			return -1;
		pk->tcp_flags = 0;
		pk->csum_off = pk->l4_off + 6;
		pk->data_off = pk->l4_off + 8;
	} else
		return -1;
	pk->sport = get16(l4);
	pk->dport = get16(l4 + 2);
	/* Port 0 is not a port anyone can connect from or to. */
	if (pk->sport == 0 || pk->dport == 0)
		return -1;
	return (ssize_t)pk->len;
}

ssize_t
core_packet_parse_head(const uint8_t *pkt, size_t len, size_t total,
    struct packet *pk)
{
	size_t need;
	ssize_t r;
	int proto;

	/* Every byte core_packet_parse reads must be within len. */
	if (len < 1 || len > total)
		return -1;
	if (pkt[0] >> 4 == 4) {
		if (len < 20)
			return -1;
		need = (size_t)(pkt[0] & 0x0f) * 4;
		proto = pkt[9];
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40)
			return -1;
		need = 40;
		proto = pkt[6];
	} else
		return -1;
	need += proto == IPPROTO_TCP ? 20 : 8;
	if (len < need)
		return -1;
	r = core_packet_parse(pkt, total, pk);
	return r < 0 || (size_t)r != total ? -1 : r;
}

ssize_t
core_packet_parse(const uint8_t *pkt, size_t len, struct packet *pk)
{
	size_t ihl, tot;

	memset(pk, 0, sizeof *pk);
	if (len < 1)
		return -2;
	switch (pkt[0] >> 4) {
	case 4:
		if (len < 20)
			return -2;
		ihl = (size_t)(pkt[0] & 0x0f) * 4;
		tot = get16(pkt + 2);
		if (ihl < 20 || tot < ihl)
			return -1;
		if (tot > len)
			return -2;
		/* Fragments (MF set or an offset): the netstack does not
		 * reassemble, and a tun of MTU 65535 never needs to. */
		if ((get16(pkt + 6) & 0x3fff) != 0)
			return -1;
		pk->family = AF_INET;
		pk->len = tot;
		pk->l4_off = ihl;
		pk->addr_len = 4;
		pk->src_off = 12;
		pk->dst_off = 16;
		return parse_l4(pkt, pk, pkt[9]);
	case 6:
		if (len < 40)
			return -2;
		tot = 40 + (size_t)get16(pkt + 4);
		if (tot > len)
			return -2;
		pk->family = AF_INET6;
		pk->len = tot;
		pk->l4_off = 40;
		pk->addr_len = 16;
		pk->src_off = 8;
		pk->dst_off = 24;
		/* Next header must be TCP or UDP: extension headers (and
		 * jumbograms, payload length 0) are not taken. */
		return parse_l4(pkt, pk, pkt[6]);
	default:
		return -1;
	}
}

uint32_t
core_packet_sum(uint32_t sum, const void *b, size_t n)
{
	const uint8_t *p = b;
	uint64_t s = sum;

	while (n >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
	}
	if (n)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
core_packet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
core_packet_csum_adjust(uint16_t csum, uint16_t old, uint16_t new)
{
	/* HC' = ~(~HC + ~m + m'), RFC 1624 eq. 3. */
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old;
	s += new;
	return core_packet_fold(s);
}

uint16_t
core_packet_ip4_csum(const uint8_t *pkt, const struct packet *pk)
{
	uint32_t s;

	s = core_packet_sum(0, pkt, 10);
	s = core_packet_sum(s, pkt + 12, pk->l4_off - 12);
	return core_packet_fold(s);
}

/* The sum over the TCP/UDP pseudo-header of a parsed packet. */
static uint32_t
pseudo_sum(const uint8_t *pkt, const struct packet *pk)
{
	uint8_t ph[4];
	uint32_t s;

	s = core_packet_sum(0, pkt + pk->src_off, pk->addr_len);
	s = core_packet_sum(s, pkt + pk->dst_off, pk->addr_len);
	ph[0] = 0;
	ph[1] = (uint8_t)pk->proto;
	put16(ph + 2, (uint16_t)(pk->len - pk->l4_off));
	if (pk->family == AF_INET6) {
		/* 32-bit length; the high half is 0 for n <= 65535. */
		s = core_packet_sum(s, ph + 2, 2);
		return core_packet_sum(s, ph, 2);
	}
	return core_packet_sum(s, ph, 4);
}

uint16_t
core_packet_l4_csum(const uint8_t *pkt, const struct packet *pk)
{
	uint32_t s;
	uint16_t c;

	s = pseudo_sum(pkt, pk);
	s = core_packet_sum(s, pkt + pk->l4_off, pk->csum_off - pk->l4_off);
	s = core_packet_sum(s, pkt + pk->csum_off + 2,
	    pk->len - pk->csum_off - 2);
	c = core_packet_fold(s);
	/* UDP sends a computed 0 as 0xffff (0 means "no checksum"). */
	if (pk->proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	return c;
}

void
core_packet_l4_csum_partial(uint8_t *pkt, const struct packet *pk)
{
	put16(pkt + pk->csum_off, (uint16_t)~core_packet_fold(
	    pseudo_sum(pkt, pk)));
}

int
core_packet_csum_ok(const uint8_t *pkt, const struct packet *pk)
{
	uint16_t c = get16(pkt + pk->csum_off);

	if (pk->family == AF_INET &&
	    core_packet_ip4_csum(pkt, pk) != get16(pkt + 10))
		return 0;
	if (pk->proto == IPPROTO_UDP && c == 0)
		return pk->family == AF_INET;
	return core_packet_l4_csum(pkt, pk) == c;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

int
core_packet_dst_multicast(const uint8_t *pkt, const struct packet *pk)
{
	const uint8_t *d = pkt + pk->dst_off;

	if (pk->family == AF_INET)
		return (d[0] & 0xf0) == 0xe0 ||
		    (d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255) ||
		    all_zero(d, 4);
	return d[0] == 0xff || all_zero(d, 16);
}

int
core_packet_src_bogus(const uint8_t *pkt, const struct packet *pk)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	const uint8_t *s = pkt + pk->src_off;

	if (pk->family == AF_INET)
		return s[0] == 127 || (s[0] & 0xf0) == 0xe0 || all_zero(s, 4);
	return memcmp(s, lo6, 16) == 0 || s[0] == 0xff || all_zero(s, 16);
}

/*
 * An ICMP "destination unreachable" with code, from dst back to src,
 * quoting the header of a packet of proto src:sport -> dst:dport whose
 * next four bytes (UDP's length and checksum, TCP's sequence number) are
 * word: Linux matches the error to the socket by addresses and ports,
 * and for TCP checks the sequence number too.
 */
static ssize_t
unreach(uint8_t *out, size_t cap, size_t alen, int proto, int code,
    const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
    uint32_t word)
{
	size_t ih = alen == 4 ? 20 : 40, n = ih + 8 + ih + 8;
	/* The quoted packet's length: a UDP header, or a bare TCP one. */
	uint16_t l4 = proto == IPPROTO_UDP ? 8 : 20;
	uint8_t *q;
	uint32_t s;

	if ((alen != 4 && alen != 16) || cap < n)
		return -1;
	memset(out, 0, n);
	q = out + ih + 8;
	if (alen == 4) {
		q[0] = 0x45;
		put16(q + 2, (uint16_t)(20 + l4));
		q[8] = 64;
		q[9] = (uint8_t)proto;
		memcpy(q + 12, src, 4);
		memcpy(q + 16, dst, 4);
		put16(q + 10, core_packet_fold(core_packet_sum(0, q, 20)));
	} else {
		q[0] = 0x60;
		put16(q + 4, l4);
		q[6] = (uint8_t)proto;
		q[7] = 64;
		memcpy(q + 8, src, 16);
		memcpy(q + 24, dst, 16);
	}
	put16(q + ih, sport);
	put16(q + ih + 2, dport);
	put16(q + ih + 4, (uint16_t)(word >> 16));
	put16(q + ih + 6, (uint16_t)word);
	/* The error, from the server's address back to the client. */
	if (alen == 4) {
		out[0] = 0x45;
		put16(out + 2, (uint16_t)n);
		out[8] = 64;
		out[9] = IPPROTO_ICMP;
		memcpy(out + 12, dst, 4);
		memcpy(out + 16, src, 4);
		put16(out + 10, core_packet_fold(core_packet_sum(0, out, 20)));
		out[20] = 3;	/* destination unreachable */
		out[21] = (uint8_t)code;
		put16(out + 22, core_packet_fold(core_packet_sum(0, out + 20,
		    n - 20)));
	} else {
		uint8_t ph[8] = { 0 };

		out[0] = 0x60;
		put16(out + 4, (uint16_t)(n - 40));
		out[6] = IPPROTO_ICMPV6;
		out[7] = 64;
		memcpy(out + 8, dst, 16);
		memcpy(out + 24, src, 16);
		out[40] = 1;	/* destination unreachable */
		out[41] = (uint8_t)code;
		put16(ph + 2, (uint16_t)(n - 40));
		ph[7] = IPPROTO_ICMPV6;
		s = core_packet_sum(0, out + 8, 32);
		s = core_packet_sum(s, ph, 8);
		s = core_packet_sum(s, out + 40, n - 40);
		put16(out + 42, core_packet_fold(s));
	}
	return (ssize_t)n;
}

ssize_t
core_packet_udp_unreach(uint8_t *out, size_t cap, size_t alen,
    const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	/* Port unreachable; the quoted UDP header has length 8, no sum. */
	return unreach(out, cap, alen, IPPROTO_UDP, alen == 4 ? 3 : 4, src,
	    sport, dst, dport, 8u << 16);
}

ssize_t
core_packet_tcp_unreach(uint8_t *out, size_t cap, size_t alen, int code,
    const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
    uint32_t seq)
{
	return unreach(out, cap, alen, IPPROTO_TCP, code, src, sport, dst,
	    dport, seq);
}
