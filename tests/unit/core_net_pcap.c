/*
 * core_net_pcap.c -- unit tests for core/net/pcap.c: the pcapng blocks a
 * reader walks (section, interface, packets with direction, secrets),
 * where a secret lands (before the newest packet a program sent), the
 * buffer's cap, and the file's mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/loop/limits.h"
#include "core/net/pcap.h"

static char path[64];

static int
setup(void **state)
{
	int	fd;

	snprintf(path, sizeof path, "/tmp/core_net_pcap.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	/* Wider than it should be: open must narrow it. */
	fchmod(fd, 0644);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	return 0;
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/* The file, whole. Caller frees. */
static uint8_t *
slurp(size_t *len)
{
	struct stat	 st;
	uint8_t		*b;
	FILE		*f;

	assert_int_equal(stat(path, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(b, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return b;
}

/*
 * Walks the blocks: each has its length at both ends, a multiple of 4.
 * Fills types[] (up to max) and returns how many there are.
 */
static int
walk(const uint8_t *b, size_t len, uint32_t *types, size_t *offs, int max)
{
	size_t	off = 0;
	int	n = 0;

	while (off < len) {
		uint32_t bl;

		assert_true(off + 12 <= len);
		bl = get32(b + off + 4);
		assert_true(bl >= 12 && bl % 4 == 0 && off + bl <= len);
		assert_int_equal(get32(b + off + bl - 4), bl);
		if (n < max) {
			types[n] = get32(b + off);
			offs[n] = off;
		}
		n++;
		off += bl;
	}
	return n;
}

static void
test_blocks(void **state)
{
	static const uint8_t pkt[] = { 0x45, 0, 0, 21, 1, 2, 3, 4, 5, 6, 7, 8,
	    9, 10, 11, 12, 13, 14, 15, 16, 0xaa };
	static const char line[] = "CLIENT_RANDOM 0011 2233";
	struct iovec	 iov[2];
	struct stat	 st;
	uint32_t	 types[8];
	size_t		 offs[8], len;
	uint8_t		*b;
	char		*cause = NULL;
	int		 n;

	assert_int_equal(core_pcap_open(path, &cause), 0);
	assert_true(core_pcap_active());
	core_pcap_packet(PCAP_SENT, pkt, sizeof pkt);
	iov[0].iov_base = (void *)pkt;
	iov[0].iov_len = 4;
	iov[1].iov_base = (void *)(pkt + 4);
	iov[1].iov_len = sizeof pkt - 4;
	core_pcap_packetv(PCAP_RECEIVED, iov, 2);
	core_pcap_secret(line, strlen(line));
	assert_int_equal(core_pcap_packets(), 2);
	assert_int_equal(core_pcap_close(&cause), 0);
	assert_false(core_pcap_active());

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	b = slurp(&len);
	n = walk(b, len, types, offs, 8);
	assert_int_equal(n, 5);
	assert_int_equal(types[0], 0x0a0d0d0a);
	assert_int_equal(get32(b + 8), 0x1a2b3c4d);
	assert_int_equal(types[1], 1);
	assert_int_equal(b[offs[1] + 8], 101);		/* LINKTYPE_RAW */
	/* The secret went before the packet the program sent. */
	assert_int_equal(types[2], 0x0a);
	assert_int_equal(get32(b + offs[2] + 8), 0x544c534b);
	assert_int_equal(get32(b + offs[2] + 12), strlen(line) + 1);
	assert_memory_equal(b + offs[2] + 16, line, strlen(line));
	assert_int_equal(b[offs[2] + 16 + strlen(line)], '\n');
	assert_int_equal(types[3], 6);
	assert_int_equal(types[4], 6);
	/* Both packets whole, in order, with their direction. */
	assert_int_equal(get32(b + offs[3] + 20), sizeof pkt);
	assert_memory_equal(b + offs[3] + 28, pkt, sizeof pkt);
	assert_int_equal(get32(b + offs[3] + 28 + 24 + 4), PCAP_SENT);
	assert_memory_equal(b + offs[4] + 28, pkt, sizeof pkt);
	assert_int_equal(get32(b + offs[4] + 28 + 24 + 4), PCAP_RECEIVED);
	free(b);
}

/* Past the buffer's cap everything reaches the file, in order. */
static void
test_cap(void **state)
{
	static uint8_t	 pkt[60000];
	uint32_t	 types[256];
	size_t		 offs[256], len, i;
	uint8_t		*b;
	char		*cause = NULL;
	int		 n, k, total = 3 * LIMIT_PCAP_BUFFER / (int)sizeof pkt;

	assert_int_equal(core_pcap_open(path, &cause), 0);
	for (k = 0; k < total; k++) {
		memset(pkt, k, sizeof pkt);
		core_pcap_packet(k % 2 ? PCAP_RECEIVED : PCAP_SENT, pkt,
		    sizeof pkt);
		if (k == total - 2)
			core_pcap_secret("SECRET x y", 10);
	}
	assert_int_equal(core_pcap_close(&cause), 0);
	b = slurp(&len);
	n = walk(b, len, types, offs, 256);
	assert_int_equal(n, 2 + total + 1);
	/* The secret precedes packet total - 2, the newest sent then. */
	for (i = 2, k = 0; i < (size_t)n; i++) {
		if (types[i] == 0x0a) {
			assert_int_equal(k, total - 2);
			continue;
		}
		assert_int_equal(types[i], 6);
		assert_int_equal(b[offs[i] + 28], (uint8_t)k);
		assert_int_equal(b[offs[i] + 28 + sizeof pkt - 1], (uint8_t)k);
		k++;
	}
	assert_int_equal(k, total);
	free(b);
}

static void
test_closed(void **state)
{
	char	*cause = NULL;

	/* Nothing open: calls are no-ops. */
	core_pcap_packet(PCAP_SENT, "x", 1);
	core_pcap_secret("x", 1);
	assert_int_equal(core_pcap_close(&cause), 0);
	assert_int_equal(core_pcap_open("/nonexistent/dir/x.pcapng", &cause),
	    -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent/dir/x.pcapng"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test(test_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
