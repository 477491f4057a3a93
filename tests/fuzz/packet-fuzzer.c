/*
 * packet-fuzzer.c -- malformed IPv4/IPv6/TCP/UDP from the tun, through the
 * packet parser, the NAT and the whole netstack input path (lwIP included)
 * must not crash trawl.
 *
 * The input is a list of records [type][len hi][len lo][len bytes]:
 *   type % 4 == 0  the bytes as a packet from the tun
 *   type % 4 == 1  the same with the IPv4/TCP/UDP checksums made right
 *   type % 4 == 2  a TCP answer to the netstack's last TCP packet (so
 *                  handshakes complete): first byte the flags, then data
 *   type % 4 == 3  one pass of the loop (lwIP timers, stream work)
 * The netstack's output goes to a socketpair that stands in for the tun.
 * Connections are echoed; an odd server port is refused. A SYN is held
 * as local mode holds it, then by its server port % 4 accepted at once
 * (0), refused with a reset (1) or ICMP (2), or answered at the next
 * pass (3: accepted, or left to time out silently when held too many).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/net/nat.h"
#include "core/net/netstack.h"
#include "core/net/packet.h"

static uint8_t	last[PACKET_MAX];
static size_t	lastlen;

#define FUZZ_HELD	8
static struct netstack_syn	*held[FUZZ_HELD];

static int
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
}

static void
s_data(void *arg, const char *d, size_t n)
{
	core_stream_write(arg, d, n);
}

static void
s_eof(void *arg)
{
	core_stream_shutdown(arg);
}

static void
s_error(void *arg, const char *msg)
{
	core_stream_close(arg);
}

static void
on_tcp(void *arg, struct stream *s, const struct sockaddr *c,
    const struct sockaddr *v, void *ctx)
{
	struct stream_cbs cbs = { s_data, NULL, s_eof, s_error, s };

	if (port_of(v) % 2) {
		core_netstack_tcp_refuse(s);
		return;
	}
	core_stream_set_cbs(s, &cbs);
	core_stream_pause(s, 0);
}

static void
on_syn(void *arg, struct netstack_syn *y, const struct sockaddr *c,
    const struct sockaddr *v)
{
	int i;

	switch (port_of(v) % 4) {
	case 0:
		core_netstack_syn_accept(y, y);
		return;
	case 1:
		core_netstack_syn_refuse(y, ECONNREFUSED);
		return;
	case 2:
		core_netstack_syn_refuse(y, port_of(v) % 8 == 2 ?
		    EHOSTUNREACH : EACCES);
		return;
	}
	for (i = 0; i < FUZZ_HELD; i++)
		if (held[i] == NULL) {
			held[i] = y;
			return;
		}
	core_netstack_syn_refuse(y, ETIMEDOUT);
}

static void
on_syn_drop(void *arg, struct netstack_syn *y, void *ctx)
{
	int i;

	for (i = 0; i < FUZZ_HELD; i++)
		if (held[i] == y)
			held[i] = NULL;
}

/* The held SYNs' servers answer: each one accepted. */
static void
answer_held(void)
{
	struct netstack_syn *y;
	int i;

	for (i = 0; i < FUZZ_HELD; i++)
		if ((y = held[i]) != NULL) {
			held[i] = NULL;
			core_netstack_syn_accept(y, y);
		}
}

static void
u_data(void *arg, const char *d, size_t n)
{
	core_netstack_udp_send(arg, d, n);
}

static void
u_expire(void *arg)
{
	core_netstack_udp_close(arg);
}

static void
on_udp(void *arg, struct netstack_udp *u, const struct sockaddr *c,
    const struct sockaddr *v)
{
	struct netstack_udp_cbs cbs = { u_data, u_expire, u };

	if (port_of(v) % 2) {
		core_netstack_udp_refuse(u);
		return;
	}
	core_netstack_udp_set_cbs(u, &cbs);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
fix_csums(uint8_t *b, size_t n)
{
	struct packet pk;

	if (core_packet_parse(b, n, &pk) < 0)
		return;
	if (pk.family == AF_INET)
		put16(b + 10, core_packet_ip4_csum(b, &pk));
	put16(b + pk.csum_off, core_packet_l4_csum(b, &pk));
}

/* The netstack's packets: keep the last TCP one to answer. */
static void
drain(int fd)
{
	static uint8_t b[PACKET_MAX];
	struct packet pk;
	ssize_t n;

	while ((n = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0)
		if (core_packet_parse(b, (size_t)n, &pk) > 0 &&
		    pk.proto == IPPROTO_TCP) {
			memcpy(last, b, (size_t)n);
			lastlen = (size_t)n;
		}
}

/* A client's answer to the last TCP packet: swapped ends, in sequence. */
static size_t
answer(uint8_t *out, const uint8_t *d, size_t n)
{
	struct packet pk;
	size_t ih, len, dl;
	uint32_t seq, ack;

	if (lastlen == 0 || n == 0 ||
	    core_packet_parse(last, lastlen, &pk) < 0)
		return 0;
	ih = pk.l4_off;
	dl = n - 1;
	if (ih + 20 + dl > PACKET_MAX)
		dl = PACKET_MAX - ih - 20;
	len = ih + 20 + dl;
	memcpy(out, last, ih);
	memcpy(out + pk.src_off, last + pk.dst_off, pk.addr_len);
	memcpy(out + pk.dst_off, last + pk.src_off, pk.addr_len);
	if (pk.family == AF_INET)
		put16(out + 2, (uint16_t)len);
	else
		put16(out + 4, (uint16_t)(len - 40));
	memset(out + ih, 0, 20);
	put16(out + ih, pk.dport);
	put16(out + ih + 2, pk.sport);
	seq = get32(last + ih + 8);
	ack = get32(last + ih + 4) + (uint32_t)(lastlen - pk.data_off) +
	    ((pk.tcp_flags & (PACKET_TCP_SYN | PACKET_TCP_FIN)) != 0);
	put32(out + ih + 4, seq);
	put32(out + ih + 8, ack);
	out[ih + 12] = 5 << 4;
	out[ih + 13] = d[0] & 0x3f;
	put16(out + ih + 14, 0xffff);
	memcpy(out + ih + 20, d + 1, dl);
	fix_csums(out, len);
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t b[PACKET_MAX];
	struct netstack_cbs cbs = { on_tcp, on_udp, NULL, on_syn,
		on_syn_drop };
	struct netstack *ns;
	struct loop *loop;
	struct packet pk;
	size_t n, k;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) == -1)
		return 0;
	loop = core_loop_new();
	ns = core_netstack_new(loop, fds[0], &cbs, NULL);
	if (ns == NULL)
		abort();
	lastlen = 0;
	while (size >= 3) {
		n = (size_t)data[1] << 8 | data[2];
		if (n > size - 3)
			n = size - 3;
		switch (data[0] % 4) {
		case 0:
		case 1:
			memcpy(b, data + 3, n);
			/* The parser alone, on the raw bytes, first. */
			core_packet_parse(b, n, &pk);
			if (data[0] % 4 == 1)
				fix_csums(b, n);
			core_netstack_input(ns, b, n);
			break;
		case 2:
			if ((k = answer(b, data + 3, n)) > 0)
				core_netstack_input(ns, b, k);
			break;
		case 3:
			answer_held();
			core_loop_once(loop, 0);
			break;
		}
		drain(fds[1]);
		data += 3 + n;
		size -= 3 + n;
	}
	core_loop_once(loop, 0);
	core_netstack_free(ns);
	core_loop_free(loop);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
