/*
 * pcap.c -- a pcapng writer for the tun's packets and TLS secrets.
 */
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/notice.h"
#include "core/net/pcap.h"

/* pcapng block types and values (draft-ietf-opsawg-pcapng). */
#define SHB_TYPE		0x0a0d0d0aU
#define SHB_MAGIC		0x1a2b3c4dU
#define IDB_TYPE		0x00000001U
#define EPB_TYPE		0x00000006U
#define DSB_TYPE		0x0000000aU
#define DSB_TLS_KEYLOG		0x544c534bU	/* "TLSK" */
#define LINKTYPE_RAW		101
#define OPT_END			0
#define OPT_EPB_FLAGS		2
#define OPT_IF_NAME		2
#define OPT_IF_TSRESOL		9

static struct {
	int		 fd;		/* -1: no file */
	char		*path;
	uint8_t		*buf;		/* LIMIT_PCAP_BUFFER bytes */
	size_t		 len;
	size_t		 last_sent;	/* offset of the newest SENT block, */
	int		 have_sent;	/* while it is in buf */
	unsigned long	 packets;
	int		 failed;	/* errno of the failed write, or 0 */
} pc = { .fd = -1 };

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/*
 * Writes the buffer out up to keep bytes from its end (the newest SENT
 * packet and what followed it, which a secret may have to go before).
 * 0, or -1 (capture stopped).
 */
static int
flush_but(size_t keep)
{
	size_t	done = 0, end = pc.len - keep;
	ssize_t	n;

	while (done < end) {
		n = write(pc.fd, pc.buf + done, end - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			pc.failed = n == -1 ? errno : ENOSPC;
			core_notice("--pcap %s: %s: capture to it stopped",
			    pc.path, strerror(pc.failed));
			pc.len = 0;
			return -1;
		}
		done += (size_t)n;
	}
	memmove(pc.buf, pc.buf + end, keep);
	pc.len = keep;
	if (keep == 0)
		pc.have_sent = 0;
	else
		pc.last_sent -= end;
	return 0;
}

static int
flush(void)
{
	return flush_but(0);
}

/*
 * Room for a block of n bytes at the end of the buffer, or NULL (the
 * capture has stopped, or the block is larger than the buffer).
 */
static uint8_t *
room(size_t n)
{
	size_t	keep;

	if (pc.fd == -1 || pc.failed || n > LIMIT_PCAP_BUFFER)
		return NULL;
	if (pc.len + n > LIMIT_PCAP_BUFFER) {
		keep = pc.have_sent ? pc.len - pc.last_sent : 0;
		if (flush_but(keep + n <= LIMIT_PCAP_BUFFER ? keep : 0) == -1)
			return NULL;
	}
	pc.len += n;
	return pc.buf + pc.len - n;
}

int
core_pcap_open(const char *path, char **cause)
{
	static const char ifname[] = "trawl tun";
	struct stat	 st;
	uint8_t		*p;
	size_t		 n;

	if (pc.fd != -1) {
		core_cause(cause, "--pcap: a file is open already");
		return -1;
	}
	if ((pc.buf = malloc(LIMIT_PCAP_BUFFER)) == NULL ||
	    (pc.path = strdup(path)) == NULL) {
		core_cause(cause, "out of memory");
		goto fail;
	}
	pc.fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0600);
	if (pc.fd == -1) {
		core_cause(cause, "--pcap %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Private before a packet goes in; a FIFO (Wireshark live) stays. */
	if (fstat(pc.fd, &st) == -1 || (S_ISREG(st.st_mode) &&
	    (((st.st_mode & 07777) != 0600 && fchmod(pc.fd, 0600) == -1) ||
	    ftruncate(pc.fd, 0) == -1))) {
		core_cause(cause, "--pcap %s: cannot make it private and empty: "
		    "%s", path, strerror(errno));
		goto fail;
	}
	pc.len = 0;
	pc.packets = 0;
	pc.failed = 0;

	/* Section header: no options, length unknown (-1). */
	p = room(28);
	put32(p, SHB_TYPE);
	put32(p + 4, 28);
	put32(p + 8, SHB_MAGIC);
	put16(p + 12, 1);
	put16(p + 14, 0);
	memset(p + 16, 0xff, 8);
	put32(p + 24, 28);

	/* The interface: raw IP, no snap length, a name, microseconds. */
	n = 20 + 4 + pad4(sizeof ifname - 1) + 4 + 4 + 4;
	p = room(n);
	memset(p, 0, n);
	put32(p, IDB_TYPE);
	put32(p + 4, (uint32_t)n);
	put16(p + 8, LINKTYPE_RAW);
	put32(p + 12, 0);
	put16(p + 16, OPT_IF_NAME);
	put16(p + 18, sizeof ifname - 1);
	memcpy(p + 20, ifname, sizeof ifname - 1);
	p += 20 + pad4(sizeof ifname - 1);
	put16(p, OPT_IF_TSRESOL);
	put16(p + 2, 1);
	p[4] = 6;
	put16(p + 8, OPT_END);
	put16(p + 10, 0);
	put32(p + 12, (uint32_t)n);
	return 0;

fail:
	if (pc.fd != -1)
		close(pc.fd);
	pc.fd = -1;
	free(pc.buf);
	free(pc.path);
	pc.buf = NULL;
	pc.path = NULL;
	return -1;
}

int
core_pcap_active(void)
{
	return pc.fd != -1 && !pc.failed;
}

/* One Enhanced Packet Block at us (epoch microseconds). */
static void
packet_at(int dir, uint64_t us, const struct iovec *iov, int iovcnt)
{
	uint8_t		*p;
	size_t		 len = 0, n, off;
	int		 i;

	if (!core_pcap_active())
		return;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	/* Header, data, the flags option and its end, the trailing length. */
	n = 28 + pad4(len) + 8 + 4 + 4;
	if ((p = room(n)) == NULL)
		return;
	put32(p, EPB_TYPE);
	put32(p + 4, (uint32_t)n);
	put32(p + 8, 0);
	put32(p + 12, (uint32_t)(us >> 32));
	put32(p + 16, (uint32_t)us);
	put32(p + 20, (uint32_t)len);
	put32(p + 24, (uint32_t)len);
	for (i = 0, off = 28; i < iovcnt; i++) {
		memcpy(p + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	memset(p + off, 0, pad4(len) - len);
	off = 28 + pad4(len);
	put16(p + off, OPT_EPB_FLAGS);
	put16(p + off + 2, 4);
	put32(p + off + 4, (uint32_t)dir & 3);
	put16(p + off + 8, OPT_END);
	put16(p + off + 10, 0);
	put32(p + n - 4, (uint32_t)n);
	pc.packets++;
	if (dir == PCAP_SENT) {
		pc.last_sent = (size_t)(p - pc.buf);
		pc.have_sent = 1;
	}
}

void
core_pcap_packetv(int dir, const struct iovec *iov, int iovcnt)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	packet_at(dir, (uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000, iov, iovcnt);
}

void
core_pcap_packet_at(int dir, double t, const void *pkt, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)pkt;
	iov.iov_len = len;
	packet_at(dir, (uint64_t)(t * 1e6), &iov, 1);
}

void
core_pcap_packet(int dir, const void *pkt, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)pkt;
	iov.iov_len = len;
	core_pcap_packetv(dir, &iov, 1);
}

void
core_pcap_secret(const char *line, size_t len)
{
	uint8_t	*p;
	size_t	 n;

	if (!core_pcap_active())
		return;
	/* The line and its newline, as in a key log file. */
	n = 20 + pad4(len + 1);
	if ((p = room(n)) == NULL)
		return;
	/*
	 * BoringSSL logs a TLS 1.2 master secret as it reads the client's
	 * key exchange, which usually shares a packet with the client's
	 * first encrypted record: the block goes before the newest packet a
	 * program sent (never later than here, so never worse).
	 */
	if (pc.have_sent) {
		memmove(pc.buf + pc.last_sent + n, pc.buf + pc.last_sent,
		    (size_t)(p - pc.buf) - pc.last_sent);
		p = pc.buf + pc.last_sent;
		pc.last_sent += n;
	}
	put32(p, DSB_TYPE);
	put32(p + 4, (uint32_t)n);
	put32(p + 8, DSB_TLS_KEYLOG);
	put32(p + 12, (uint32_t)(len + 1));
	memcpy(p + 16, line, len);
	p[16 + len] = '\n';
	memset(p + 17 + len, 0, pad4(len + 1) - len - 1);
	put32(p + n - 4, (uint32_t)n);
}

unsigned long
core_pcap_packets(void)
{
	return pc.packets;
}

int
core_pcap_close(char **cause)
{
	int	rc = 0;

	if (pc.fd == -1)
		return 0;
	if (!pc.failed)
		flush();
	if (close(pc.fd) == -1 && !pc.failed)
		pc.failed = errno;
	if (pc.failed) {
		core_cause(cause, "--pcap %s: %s", pc.path,
		    strerror(pc.failed));
		rc = -1;
	}
	/* The buffer held secrets. */
	explicit_bzero(pc.buf, LIMIT_PCAP_BUFFER);
	free(pc.buf);
	free(pc.path);
	memset(&pc, 0, sizeof pc);
	pc.fd = -1;
	return rc;
}
