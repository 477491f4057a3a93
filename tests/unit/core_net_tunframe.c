/*
 * core_tunframe.c -- unit tests for core/net/tunframe.c: the virtio-net header
 * trawl writes in front of packets, and the partial checksum it leaves
 * for the kernel, which must complete to the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <cmocka.h>

#include "core/net/packet.h"
#include "core/net/tunframe.h"

/* IPv4 10.213.0.2:80 -> 10.213.0.1:40000, TCP ACK|PSH, no checksums. */
static const uint8_t tcp4_head[40] = {
	0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, IPPROTO_TCP, 0, 0,
	10, 213, 0, 2, 10, 213, 0, 1,
	0, 80, 0x9c, 0x40, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff,
	0, 0, 0, 0
};

/* The same as IPv6 between fd74:7261:776c::2 and ::1. */
static const uint8_t tcp6_head[60] = {
	0x60, 0, 0, 0, 0, 0, IPPROTO_TCP, 64,
	0xfd, 0x74, 0x72, 0x61, 0x77, 0x6c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0xfd, 0x74, 0x72, 0x61, 0x77, 0x6c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 80, 0x9c, 0x40, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff,
	0, 0, 0, 0
};

/* head + payload bytes of an odd pattern; the length fields set. */
static size_t
packet(uint8_t *b, const uint8_t *head, size_t hlen, size_t payload)
{
	size_t i, n = hlen + payload;

	memcpy(b, head, hlen);
	for (i = 0; i < payload; i++)
		b[hlen + i] = (uint8_t)(i * 7 + 3);
	if (b[0] >> 4 == 4) {
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
	} else {
		b[4] = (uint8_t)((n - 40) >> 8);
		b[5] = (uint8_t)(n - 40);
	}
	return n;
}

/*
 * Completes the partial checksum as the kernel would (one's-complement
 * sum from csum_start to the end, the field holding the pseudo-header
 * sum) and compares with the checksum computed from scratch.
 */
static void
check_completes(uint8_t *b, size_t n, const struct virtio_net_hdr *vh)
{
	struct packet pk;
	uint16_t done;

	assert_int_equal(core_packet_parse(b, n, &pk), (ssize_t)n);
	assert_int_equal(vh->csum_start, pk.l4_off);
	assert_int_equal(vh->csum_offset, pk.csum_off - pk.l4_off);
	done = core_packet_fold(core_packet_sum(0, b + vh->csum_start,
	    n - vh->csum_start));
	assert_int_equal(done, core_packet_l4_csum(b, &pk));
	/* With it in place, the packet is valid. */
	b[pk.csum_off] = (uint8_t)(done >> 8);
	b[pk.csum_off + 1] = (uint8_t)done;
	if (pk.family == AF_INET) {
		uint16_t ic = core_packet_ip4_csum(b, &pk);

		b[10] = (uint8_t)(ic >> 8);
		b[11] = (uint8_t)ic;
	}
	assert_true(core_packet_csum_ok(b, &pk));
}

static void
test_tcp_partial(void **state)
{
	uint8_t b[2000], hdr[TUNFRAME_MAX];
	struct virtio_net_hdr vh;
	struct packet pk;
	size_t n, payload;

	for (payload = 0; payload < 1500; payload += 499) {
		/* Only the headers are at hand, as with lwIP's pbufs. */
		n = packet(b, tcp4_head, sizeof tcp4_head, payload);
		memset(hdr, 0xee, sizeof hdr);
		assert_true(core_packet_parse_head(b, sizeof tcp4_head, n,
		    &pk) >= 0);
		assert_int_equal(core_tunframe_out(hdr, sizeof vh, b, &pk), 1);
		memcpy(&vh, hdr, sizeof vh);
		assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		check_completes(b, n, &vh);

		n = packet(b, tcp6_head, sizeof tcp6_head, payload);
		assert_true(core_packet_parse(b, n, &pk) >= 0);
		assert_int_equal(core_tunframe_out(hdr, sizeof vh, b, &pk), 1);
		memcpy(&vh, hdr, sizeof vh);
		check_completes(b, n, &vh);
	}
}

static void
test_not_tcp(void **state)
{
	uint8_t b[200], before[200], hdr[TUNFRAME_MAX];
	struct packet pk;
	size_t n;

	/* UDP keeps lwIP's checksum: a zeroed header, the packet as is. */
	n = packet(b, tcp4_head, sizeof tcp4_head, 16);
	b[9] = IPPROTO_UDP;
	b[24] = 0;
	b[25] = (uint8_t)(n - 20);	/* UDP length */
	assert_true(core_packet_parse(b, n, &pk) >= 0);
	memcpy(before, b, n);
	memset(hdr, 0xee, sizeof hdr);
	assert_int_equal(core_tunframe_out(hdr, 10, b, &pk), 0);
	assert_memory_equal(b, before, n);
	for (n = 0; n < 10; n++)
		assert_int_equal(hdr[n], 0);

	/* Nothing parsed (ICMP), or no room for a header: left alone. */
	n = packet(b, tcp4_head, sizeof tcp4_head, 100);
	assert_true(core_packet_parse(b, n, &pk) >= 0);
	memcpy(before, b, n);
	memset(hdr, 0xee, sizeof hdr);
	assert_int_equal(core_tunframe_out(hdr, 10, b, NULL), 0);
	assert_int_equal(hdr[0], 0);
	assert_int_equal(core_tunframe_out(hdr, 0, b, &pk), 0);
	assert_memory_equal(b, before, n);
}

static void
test_frame_len(void **state)
{
	struct ifreq ifr;
	int p[2], fd;

	/* Not a tun: no frame (the fuzzer's socketpair, a pipe). */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(core_tunframe_len(p[0]), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(core_tunframe_len(-1), 0);

	/* A tun made as trawl-redirector makes it (needs root, as the
	 * suite does), in a network namespace of this test's own. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	fd = open("/dev/net/tun", O_RDWR);
	assert_true(fd != -1);
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(core_tunframe_len(fd), sizeof(struct virtio_net_hdr));
	close(fd);

	fd = open("/dev/net/tun", O_RDWR);
	assert_true(fd != -1);
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(core_tunframe_len(fd), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_partial),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_frame_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
