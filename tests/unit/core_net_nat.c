/*
 * core_nat.c -- unit tests for core/net/nat.c: rewriting both ways with valid
 * checksums, 5-tuple collisions, drops, expiry, the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/loop/limits.h"
#include "core/net/nat.h"

/* Where core_nat_out leaves the headers it parsed. */
static struct packet out_pk;
#include "core/net/packet.h"

static const uint8_t own4[4] = { 10, 0, 93, 1 }, cl4[4] = { 10, 0, 93, 2 };
static const uint8_t sv4[4] = { 192, 0, 2, 1 }, sv4b[4] = { 192, 0, 2, 2 };
static const uint8_t own6[16] = { 0xfd, 0, 0x74, 0x72, 0x61, 0x77,
    [15] = 1 };
static const uint8_t cl6[16] = { 0xfd, 0, 0x74, 0x72, 0x61, 0x77,
    [15] = 2 };
static const uint8_t sv6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
#define LPORT	7

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static size_t
mk(uint8_t *b, size_t alen, int proto, const uint8_t *src, uint16_t sport,
    const uint8_t *dst, uint16_t dport, uint8_t flags, size_t payload)
{
	size_t ih = alen == 4 ? 20 : 40, th = proto == IPPROTO_TCP ? 20 : 8;
	size_t n = ih + th + payload, i;
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
		put16(b + ih + 4, 0x1234);	/* some sequence number */
	} else
		put16(b + ih + 4, (uint16_t)(th + payload));
	for (i = 0; i < payload; i++)
		b[ih + th + i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	if (alen == 4)
		put16(b + 10, core_packet_ip4_csum(b, &pk));
	put16(b + pk.csum_off, core_packet_l4_csum(b, &pk));
	return n;
}

static struct nat *
nat(size_t cap)
{
	struct nat *n = core_nat_new(own4, own6, LPORT, cap);

	assert_non_null(n);
	return n;
}

/* Parses b and checks its checksums; returns the parse. */
static struct packet
valid(const uint8_t *b, size_t len)
{
	struct packet pk;

	assert_int_equal(core_packet_parse(b, len, &pk), (ssize_t)len);
	assert_true(core_packet_csum_ok(b, &pk));
	return pk;
}

static void
test_tcp4_both_ways(void **state)
{
	struct nat *n = nat(16);
	const struct nat_tuple *t;
	struct nat_entry *e;
	struct packet pk;
	uint8_t b[256];
	uint16_t synth;
	size_t len;

	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_int_equal(core_nat_in(n, b, len, 0), (ssize_t)len);
	pk = valid(b, len);
	assert_memory_equal(b + pk.src_off, cl4, 4);
	assert_memory_equal(b + pk.dst_off, own4, 4);
	assert_int_equal(pk.dport, LPORT);
	synth = pk.sport;
	assert_int_not_equal(synth, 40000);

	e = core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, synth);
	assert_non_null(e);
	assert_int_equal(core_nat_port(e), synth);
	t = core_nat_tuple(e);
	assert_memory_equal(t->dst, sv4, 4);
	assert_int_equal(t->dport, 80);
	assert_int_equal(t->sport, 40000);
	/* Another client address with that port is someone else. */
	assert_null(core_nat_find(n, AF_INET, IPPROTO_TCP, sv4, synth));
	assert_null(core_nat_find(n, AF_INET, IPPROTO_UDP, cl4, synth));

	/* lwIP's answer goes back with the original addresses. */
	len = mk(b, 4, IPPROTO_TCP, own4, LPORT, cl4, synth,
	    PACKET_TCP_SYN | PACKET_TCP_ACK, 100);
	assert_int_equal(core_nat_out(n, b, len, 1, &out_pk), (ssize_t)len);
	pk = valid(b, len);
	assert_memory_equal(b + pk.src_off, sv4, 4);
	assert_int_equal(pk.sport, 80);
	assert_memory_equal(b + pk.dst_off, cl4, 4);
	assert_int_equal(pk.dport, 40000);

	/* The rest of the connection uses the same entry. */
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_ACK, 5);
	assert_int_equal(core_nat_in(n, b, len, 2), (ssize_t)len);
	pk = valid(b, len);
	assert_int_equal(pk.sport, synth);
	core_nat_free(n);
}

static void
test_udp6_both_ways(void **state)
{
	struct nat *n = nat(16);
	struct packet pk;
	uint8_t b[512];
	uint16_t synth;
	size_t len;

	len = mk(b, 16, IPPROTO_UDP, cl6, 5353, sv6, 53, 0, 301);
	assert_int_equal(core_nat_in(n, b, len, 0), (ssize_t)len);
	pk = valid(b, len);
	assert_memory_equal(b + pk.dst_off, own6, 16);
	assert_int_equal(pk.dport, LPORT);
	synth = pk.sport;
	assert_non_null(core_nat_find(n, AF_INET6, IPPROTO_UDP, cl6, synth));

	len = mk(b, 16, IPPROTO_UDP, own6, LPORT, cl6, synth, 0, 77);
	assert_int_equal(core_nat_out(n, b, len, 0, &out_pk), (ssize_t)len);
	pk = valid(b, len);
	assert_memory_equal(b + pk.src_off, sv6, 16);
	assert_int_equal(pk.sport, 53);
	assert_int_equal(pk.dport, 5353);

	/* Only the head at hand: same rewrite, payload untouched. */
	len = mk(b, 16, IPPROTO_UDP, own6, LPORT, cl6, synth, 0, 77);
	assert_int_equal(core_nat_out_head(n, b, 60, len, 0, &out_pk),
	    (ssize_t)len);
	valid(b, len);
	core_nat_free(n);
}

static void
test_udp4_no_checksum(void **state)
{
	struct nat *n = nat(16);
	struct packet pk;
	uint8_t b[256];
	size_t len;

	len = mk(b, 4, IPPROTO_UDP, cl4, 1000, sv4, 53, 0, 20);
	put16(b + 26, 0);	/* "no checksum" must stay so */
	assert_int_equal(core_nat_in(n, b, len, 0), (ssize_t)len);
	pk = valid(b, len);
	assert_int_equal(b[26] << 8 | b[27], 0);
	assert_int_equal(pk.dport, LPORT);
	core_nat_free(n);
}

static void
test_collision(void **state)
{
	struct nat *n = nat(16);
	const struct nat_tuple *t;
	struct packet pk;
	uint8_t b[256];
	uint16_t p1, p2;
	size_t len;

	/* Linux reuses a source port toward different destinations. */
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_true(core_nat_in(n, b, len, 0) > 0);
	pk = valid(b, len);
	p1 = pk.sport;
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4b, 80, PACKET_TCP_SYN, 0);
	assert_true(core_nat_in(n, b, len, 0) > 0);
	pk = valid(b, len);
	p2 = pk.sport;
	assert_int_not_equal(p1, p2);
	t = core_nat_tuple(core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p1));
	assert_memory_equal(t->dst, sv4, 4);
	t = core_nat_tuple(core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p2));
	assert_memory_equal(t->dst, sv4b, 4);
	/* A SYN retransmission keeps its port. */
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_true(core_nat_in(n, b, len, 0) > 0);
	pk = valid(b, len);
	assert_int_equal(pk.sport, p1);
	core_nat_free(n);
}

static void
test_drops(void **state)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	static const uint8_t mc[4] = { 239, 255, 255, 250 };
	static const uint8_t bc[4] = { 255, 255, 255, 255 };
	struct nat *n = nat(16);
	struct nat_stats st;
	uint8_t b[256];
	size_t len;

	len = mk(b, 4, IPPROTO_TCP, lo, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_int_equal(core_nat_in(n, b, len, 0), -1);
	len = mk(b, 4, IPPROTO_TCP, own4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_int_equal(core_nat_in(n, b, len, 0), -1);
	len = mk(b, 4, IPPROTO_UDP, cl4, 1900, mc, 1900, 0, 10);
	assert_int_equal(core_nat_in(n, b, len, 0), -1);
	len = mk(b, 4, IPPROTO_UDP, cl4, 68, bc, 67, 0, 10);
	assert_int_equal(core_nat_in(n, b, len, 0), -1);
	/* A segment of no known connection. */
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_ACK, 3);
	assert_int_equal(core_nat_in(n, b, len, 0), -1);
	/* lwIP's output to a port no entry has. */
	len = mk(b, 4, IPPROTO_TCP, own4, LPORT, cl4, 5555, PACKET_TCP_RST, 0);
	assert_int_equal(core_nat_out(n, b, len, 0, &out_pk), -1);
	/* Garbage. */
	memset(b, 0x45, sizeof b);
	assert_int_equal(core_nat_in(n, b, sizeof b, 0), -1);
	core_nat_stats(n, &st);
	assert_int_equal(st.dropped, 7);
	assert_int_equal(st.entries, 0);
	core_nat_free(n);
}

static void
test_expiry(void **state)
{
	struct nat *n = nat(16);
	struct nat_entry *e;
	struct packet pk;
	uint8_t b[256];
	uint16_t p1, p2;
	size_t len;
	int owner;

	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_true(core_nat_in(n, b, len, 100) > 0);
	pk = valid(b, len);
	p1 = pk.sport;
	/* Unheld: gone LIMIT_NAT_IDLE_SEC after its last packet. */
	core_nat_expire(n, 100 + LIMIT_NAT_IDLE_SEC - 1);
	e = core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p1);
	assert_non_null(e);
	/* Held: never expires. */
	core_nat_hold(n, e, &owner);
	assert_ptr_equal(core_nat_owner(e), &owner);
	core_nat_expire(n, 1e6);
	assert_non_null(core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p1));
	/* Released: packets still pass until it expires. */
	core_nat_release(n, e, 1e6);
	assert_null(core_nat_owner(e));
	len = mk(b, 4, IPPROTO_TCP, own4, LPORT, cl4, p1, PACKET_TCP_FIN, 0);
	assert_true(core_nat_out(n, b, len, 1e6 + 1, &out_pk) > 0);
	/* A new SYN on the same 5-tuple gets a new synthetic port. */
	len = mk(b, 4, IPPROTO_TCP, cl4, 40000, sv4, 80, PACKET_TCP_SYN, 0);
	assert_true(core_nat_in(n, b, len, 1e6 + 2) > 0);
	pk = valid(b, len);
	p2 = pk.sport;
	assert_int_not_equal(p1, p2);
	assert_null(core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p1));
	core_nat_expire(n, 1e6 + 2 + LIMIT_NAT_IDLE_SEC);
	assert_null(core_nat_find(n, AF_INET, IPPROTO_TCP, cl4, p2));
	core_nat_free(n);
}

static void
test_cap(void **state)
{
	struct nat *n = nat(2);
	struct nat_stats st;
	uint8_t b[256];
	size_t len;

	len = mk(b, 4, IPPROTO_UDP, cl4, 1001, sv4, 53, 0, 1);
	assert_true(core_nat_in(n, b, len, 0) > 0);
	len = mk(b, 4, IPPROTO_UDP, cl4, 1002, sv4, 53, 0, 1);
	assert_true(core_nat_in(n, b, len, 0) > 0);
	len = mk(b, 4, IPPROTO_UDP, cl4, 1003, sv4, 53, 0, 1);
	assert_int_equal(core_nat_in(n, b, len, 1), -1);
	core_nat_stats(n, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.entries, 2);
	/* Once the old ones expire there is room again. */
	len = mk(b, 4, IPPROTO_UDP, cl4, 1003, sv4, 53, 0, 1);
	assert_true(core_nat_in(n, b, len, LIMIT_NAT_IDLE_SEC + 1) > 0);
	core_nat_stats(n, &st);
	assert_int_equal(st.entries, 1);
	core_nat_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_both_ways),
		cmocka_unit_test(test_udp6_both_ways),
		cmocka_unit_test(test_udp4_no_checksum),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
