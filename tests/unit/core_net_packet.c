/*
 * core_packet.c -- unit tests for core/net/packet.c: parsing untrusted IPv4 and
 * IPv6 TCP/UDP headers, checksums, ICMP errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/net/packet.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* An IPv4 (alen 4) or IPv6 (alen 16) packet with valid checksums. */
static size_t
mk(uint8_t *b, size_t alen, int proto, const uint8_t *src, uint16_t sport,
    const uint8_t *dst, uint16_t dport, uint8_t flags, size_t payload)
{
	size_t ih = alen == 4 ? 20 : 40, th = proto == IPPROTO_TCP ? 20 : 8;
	size_t n = ih + th + payload;
	struct packet pk;

	memset(b, 0, n);
	if (alen == 4) {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)n);
		b[8] = 64;
		b[9] = (uint8_t)proto;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
	} else {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(n - 40));
		b[6] = (uint8_t)proto;
		b[7] = 64;
		memcpy(b + 8, src, 16);
		memcpy(b + 24, dst, 16);
	}
	put16(b + ih, sport);
	put16(b + ih + 2, dport);
	if (proto == IPPROTO_TCP) {
		b[ih + 12] = 5 << 4;
		b[ih + 13] = flags;
	} else
		put16(b + ih + 4, (uint16_t)(th + payload));
	memset(b + ih + th, 'a', payload);
	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	if (alen == 4)
		put16(b + 10, core_packet_ip4_csum(b, &pk));
	put16(b + pk.csum_off, core_packet_l4_csum(b, &pk));
	return n;
}

static const uint8_t c4[4] = { 10, 0, 93, 2 }, s4[4] = { 192, 0, 2, 1 };
static const uint8_t c6[16] = { 0xfd, 0, 0x74, 0x72, 0x61, 0x77, [15] = 2 };
static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };

static void
test_rfc1071(void **state)
{
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
	    0xf6, 0xf7 };

	/* RFC 1071 section 3: the sum is 0xddf2. */
	assert_int_equal(core_packet_sum(0, d, sizeof d), 0xddf2);
	assert_int_equal(core_packet_fold(core_packet_sum(0, d, sizeof d)),
	    0x220d);
	/* An odd byte counts as the high half of a word. */
	assert_int_equal(core_packet_sum(0, d, 3), 0x0001 + 0xf200);
}

static void
test_parse_tcp4(void **state)
{
	uint8_t b[200];
	struct packet pk;
	size_t n = mk(b, 4, IPPROTO_TCP, c4, 40000, s4, 80,
	    PACKET_TCP_SYN, 10);

	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	assert_int_equal(pk.family, AF_INET);
	assert_int_equal(pk.proto, IPPROTO_TCP);
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 80);
	assert_int_equal(pk.tcp_flags, PACKET_TCP_SYN);
	assert_int_equal(pk.l4_off, 20);
	assert_int_equal(pk.data_off, 40);
	assert_memory_equal(b + pk.dst_off, s4, 4);
	assert_true(core_packet_csum_ok(b, &pk));
	/* Trailing bytes beyond the IP length are not consumed. */
	assert_int_equal(core_packet_parse(b, n + 5, &pk), (ssize_t)n);
	/* A flipped payload bit breaks the TCP checksum only. */
	b[n - 1] ^= 1;
	assert_false(core_packet_csum_ok(b, &pk));
	b[n - 1] ^= 1;
	b[8] ^= 1;		/* TTL: the IPv4 header checksum */
	assert_false(core_packet_csum_ok(b, &pk));
}

static void
test_parse_udp6(void **state)
{
	uint8_t b[200];
	struct packet pk;
	size_t n = mk(b, 16, IPPROTO_UDP, c6, 5353, s6, 53, 0, 33);

	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	assert_int_equal(pk.family, AF_INET6);
	assert_int_equal(pk.proto, IPPROTO_UDP);
	assert_int_equal(pk.data_off, 48);
	assert_int_equal(pk.csum_off, 46);
	assert_true(core_packet_csum_ok(b, &pk));
	/* IPv6 UDP without a checksum is not allowed. */
	put16(b + 46, 0);
	assert_false(core_packet_csum_ok(b, &pk));
}

static void
test_parse_bad(void **state)
{
	uint8_t b[200], t[200];
	struct packet pk;
	size_t n = mk(b, 4, IPPROTO_TCP, c4, 40000, s4, 80, 0, 10), k;

	/* Every truncation is partial or an error, never a read past. */
	for (k = 0; k < n; k++)
		assert_true(core_packet_parse(b, k, &pk) < 0);
	assert_int_equal(core_packet_parse(b, 10, &pk), -2);
	memcpy(t, b, n);
	t[0] = 0x55;		/* version 5 */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[0] = 0x44;		/* IHL 16 bytes */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[6] = 0x20;		/* more fragments */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[7] = 1;		/* fragment offset */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[9] = IPPROTO_ICMP;
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[32] = 4 << 4;		/* TCP data offset below 5 */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	t[32] = 15 << 4;	/* TCP header past the end */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	put16(t + 2, 19);	/* total length below the header */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	put16(t + 20, 0);	/* source port 0 */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);

	n = mk(b, 4, IPPROTO_UDP, c4, 1000, s4, 53, 0, 4);
	memcpy(t, b, n);
	put16(t + 24, 13);	/* UDP length != IP payload */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	n = mk(b, 16, IPPROTO_UDP, c6, 1000, s6, 53, 0, 4);
	memcpy(t, b, n);
	t[6] = 0;		/* hop-by-hop extension header */
	assert_int_equal(core_packet_parse(t, n, &pk), -1);
	memcpy(t, b, n);
	put16(t + 4, 200);	/* payload length past the buffer */
	assert_int_equal(core_packet_parse(t, n, &pk), -2);
}

static void
test_parse_head(void **state)
{
	uint8_t b[200];
	struct packet pk;
	size_t n = mk(b, 16, IPPROTO_TCP, c6, 40000, s6, 443, 0, 100);

	assert_int_equal(core_packet_parse_head(b, 60, n, &pk), (ssize_t)n);
	assert_int_equal(pk.dport, 443);
	assert_int_equal(core_packet_parse_head(b, 59, n, &pk), -1);
	assert_int_equal(core_packet_parse_head(b, n + 1, n, &pk), -1);
}

static void
test_adjust(void **state)
{
	uint8_t b[200];
	struct packet pk;
	uint16_t c;
	size_t n = mk(b, 4, IPPROTO_UDP, c4, 1234, s4, 53, 0, 7);

	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	c = (uint16_t)(b[pk.csum_off] << 8 | b[pk.csum_off + 1]);
	/* Port 1234 -> 65000: incremental equals recomputed. */
	c = core_packet_csum_adjust(c, 1234, 65000);
	put16(b + 20, 65000);
	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	assert_int_equal(c, core_packet_l4_csum(b, &pk));
}

static void
test_classify(void **state)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 }, mc[4] = { 239, 255,
	    255, 250 }, bc[4] = { 255, 255, 255, 255 };
	static const uint8_t mc6[16] = { 0xff, 0x02, [15] = 0xfb };
	static const uint8_t lo6[16] = { [15] = 1 };
	uint8_t b[200];
	struct packet pk;

	mk(b, 4, IPPROTO_UDP, c4, 1900, mc, 1900, 0, 1);
	core_packet_parse(b, sizeof b, &pk);
	assert_true(core_packet_dst_multicast(b, &pk));
	assert_false(core_packet_src_bogus(b, &pk));
	mk(b, 4, IPPROTO_UDP, c4, 68, bc, 67, 0, 1);
	core_packet_parse(b, sizeof b, &pk);
	assert_true(core_packet_dst_multicast(b, &pk));
	mk(b, 4, IPPROTO_TCP, lo, 1000, s4, 80, 0, 0);
	core_packet_parse(b, sizeof b, &pk);
	assert_true(core_packet_src_bogus(b, &pk));
	assert_false(core_packet_dst_multicast(b, &pk));
	mk(b, 16, IPPROTO_UDP, c6, 5353, mc6, 5353, 0, 1);
	core_packet_parse(b, sizeof b, &pk);
	assert_true(core_packet_dst_multicast(b, &pk));
	mk(b, 16, IPPROTO_UDP, lo6, 5353, s6, 5353, 0, 1);
	core_packet_parse(b, sizeof b, &pk);
	assert_true(core_packet_src_bogus(b, &pk));
}

static void
test_unreach(void **state)
{
	uint8_t b[200];
	ssize_t n;

	n = core_packet_udp_unreach(b, sizeof b, 4, c4, 5000, s4, 54);
	assert_int_equal(n, 56);
	assert_memory_equal(b + 12, s4, 4);	/* from the server */
	assert_memory_equal(b + 16, c4, 4);
	assert_int_equal(b[20], 3);
	assert_int_equal(b[21], 3);
	/* Valid IP and ICMP checksums sum to 0xffff. */
	assert_int_equal(core_packet_fold(core_packet_sum(0, b, 20)), 0);
	assert_int_equal(core_packet_fold(core_packet_sum(0, b + 20, 36)), 0);
	assert_int_equal(b[28 + 20] << 8 | b[28 + 21], 5000);

	n = core_packet_udp_unreach(b, sizeof b, 16, c6, 5000, s6, 54);
	assert_int_equal(n, 96);
	assert_int_equal(b[40], 1);
	assert_int_equal(b[41], 4);
	assert_int_equal(core_packet_udp_unreach(b, 50, 16, c6, 1, s6, 2), -1);
}

/* A SYN's host unreachable quotes its ports and sequence number. */
static void
test_tcp_unreach(void **state)
{
	static const uint8_t c4[4] = { 10, 0, 0, 2 }, s4[4] = { 192, 0, 2, 9 };
	static const uint8_t c6[16] = { 0xfd, [15] = 2 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	const uint8_t *q;
	uint8_t b[200];
	uint32_t s;
	ssize_t n;

	n = core_packet_tcp_unreach(b, sizeof b, 4, 1, c4, 40000, s4, 22,
	    0x01020304);
	assert_int_equal(n, 56);
	assert_int_equal(b[9], 1);		/* ICMP */
	assert_memory_equal(b + 16, c4, 4);
	assert_int_equal(b[20], 3);
	assert_int_equal(b[21], 1);		/* host unreachable */
	assert_int_equal(core_packet_fold(core_packet_sum(0, b, 20)), 0);
	assert_int_equal(core_packet_fold(core_packet_sum(0, b + 20, 36)), 0);
	q = b + 28;
	assert_int_equal(q[9], 6);		/* it quotes TCP */
	assert_memory_equal(q + 12, c4, 4);
	assert_memory_equal(q + 16, s4, 4);
	assert_int_equal(q[20] << 8 | q[21], 40000);
	assert_int_equal(q[22] << 8 | q[23], 22);
	assert_int_equal(q[24], 1);
	assert_int_equal(q[27], 4);

	n = core_packet_tcp_unreach(b, sizeof b, 16, 3, c6, 40000, s6, 22,
	    0xa0b0c0d0);
	assert_int_equal(n, 96);
	assert_int_equal(b[6], 58);		/* ICMPv6 */
	assert_int_equal(b[40], 1);
	assert_int_equal(b[41], 3);		/* address unreachable */
	q = b + 48;
	assert_int_equal(q[6], 6);
	assert_int_equal(q[40 + 4], 0xa0);
	assert_int_equal(q[40 + 7], 0xd0);
	/* The ICMPv6 checksum covers the pseudo-header. */
	s = core_packet_sum(0, b + 8, 32);
	s += 56;
	s += 58;
	assert_int_equal(core_packet_fold(core_packet_sum(s, b + 40, 56)), 0);
	assert_int_equal(core_packet_tcp_unreach(b, 50, 4, 1, c4, 1, s4, 2, 0),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071),
		cmocka_unit_test(test_parse_tcp4),
		cmocka_unit_test(test_parse_udp6),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_head),
		cmocka_unit_test(test_adjust),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_unreach),
		cmocka_unit_test(test_tcp_unreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
