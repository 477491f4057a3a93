/*
 * h3-fuzzer.c -- the QUIC input path of interception (core/quic/quic.c,
 * core/tls/quic_tls.c, ngtcp2 and its BoringSSL helper): a client and a
 * server endpoint of trawl's shake hands in memory, and the input is a
 * script of records (1 byte op, 2 bytes length, bytes): a datagram
 * injected to either side (raw, or as a real datagram with bytes
 * flipped), or stream bytes written on a stream either side opened. No
 * crash, no leak, no read past a buffer.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/quic/quic.h"
#include "core/tls/mitm.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define QMAX	64

struct q {
	size_t	 n;
	size_t	 len[QMAX];
	uint8_t	 d[QMAX][LIMIT_QUIC_DATAGRAM];
};

static struct loop		*loop;
static struct sockaddr_in	 csa, ssa;
static struct quic		*cl, *sv;
static struct q			 to_sv, to_cl;
static int			 ended;
static int			 ready;

static void
push(struct q *q, const uint8_t *d, size_t n)
{
	if (q->n == QMAX || n > LIMIT_QUIC_DATAGRAM)
		return;
	memcpy(q->d[q->n], d, n);
	q->len[q->n++] = n;
}

static int
send_cl(void *arg, const uint8_t *d, size_t n)
{
	push(&to_sv, d, n);
	return 0;
}

static int
send_sv(void *arg, const uint8_t *d, size_t n)
{
	push(&to_cl, d, n);
	return 0;
}

static void
data_cb(void *arg, int64_t id, const uint8_t *d, size_t n, int fin)
{
}

static int	handshakes;

static void
hs_cb(void *arg, const char *alpn)
{
	handshakes++;
}

static void
close_cb(void *arg, const char *why, const char *verify)
{
	ended = 1;
}

static const struct quic_cbs cl_cbs = { .send = send_cl,
    .on_handshake = hs_cb, .on_stream_data = data_cb, .on_close = close_cb };
static const struct quic_cbs sv_cbs = { .send = send_sv,
    .on_handshake = hs_cb, .on_stream_data = data_cb, .on_close = close_cb };

/* Delivers what is queued, both ways, until quiet. */
static void
deliver(void)
{
	struct q	 a, b;
	size_t		 i;
	char		*cause = NULL;
	int		 round;

	for (round = 0; round < 16 && !ended; round++) {
		core_loop_once(loop, 0);
		a = to_sv;
		b = to_cl;
		to_sv.n = to_cl.n = 0;
		if (a.n == 0 && b.n == 0)
			break;
		for (i = 0; i < a.n && !ended; i++) {
			if (sv == NULL) {
				sv = core_quic_server_new(loop, a.d[i], a.len[i],
				    (struct sockaddr *)&csa,
				    (struct sockaddr *)&ssa, "fuzz.example",
				    NULL, &sv_cbs, &cause);
				free(cause);
				cause = NULL;
				if (sv == NULL)
					return;
			}
			core_quic_input(sv, a.d[i], a.len[i]);
		}
		for (i = 0; i < b.n && !ended; i++)
			core_quic_input(cl, b.d[i], b.len[i]);
	}
}

static void
init(void)
{
	struct mitm_options	o;
	char			dir[] = "/tmp/trawl-h3-fuzz-XXXXXX", *cause;

	if ((loop = core_loop_new()) == NULL || mkdtemp(dir) == NULL)
		abort();
	memset(&o, 0, sizeof o);
	o.confdir = dir;
	o.insecure = 1;	/* the server's leaf is trawl's own */
	if (core_mitm_init(&o, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		abort();
	}
	csa.sin_family = ssa.sin_family = AF_INET;
	csa.sin_addr.s_addr = htonl(0xc0000202);
	csa.sin_port = htons(50000);
	ssa.sin_addr.s_addr = htonl(0xc0000201);
	ssa.sin_port = htons(443);
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*cause = NULL;
	size_t		 off = 0, n;
	uint8_t		 op, buf[LIMIT_QUIC_DATAGRAM];
	int64_t		 ids[2] = { -1, -1 };
	struct quic	*side;

	if (!ready)
		init();
	ended = 0;
	to_sv.n = to_cl.n = 0;
	sv = NULL;
	if ((cl = core_quic_client_new(loop, (struct sockaddr *)&csa,
	    (struct sockaddr *)&ssa, "fuzz.example", &cl_cbs, &cause)) == NULL)
		abort();
	deliver();
	while (off + 3 <= size && !ended) {
		op = data[off];
		n = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (n > size - off)
			n = size - off;
		side = op & 1 ? sv : cl;
		switch (op >> 1 & 3) {
		case 0:		/* a datagram of the input's */
			if (side != NULL && n <= sizeof buf)
				core_quic_input(side, data + off, n);
			break;
		case 1:		/* the next real datagram, bytes flipped */
			if (side != NULL && (op & 1 ? to_sv.n : to_cl.n) > 0) {
				struct q *q = op & 1 ? &to_sv : &to_cl;
				size_t	  i, l = q->len[0];

				memcpy(buf, q->d[0], l);
				for (i = 0; i < n && i < l; i++)
					buf[(data[off + i] * 7 + i) % l] ^=
					    data[off + i];
				memmove(q->d[0], q->d[1], (q->n - 1) *
				    sizeof q->d[0]);
				memmove(q->len, q->len + 1, (q->n - 1) *
				    sizeof q->len[0]);
				q->n--;
				core_quic_input(side, buf, l);
			}
			break;
		case 2:		/* stream bytes, on a stream of that side's */
			if (side == NULL)
				break;
			if (ids[op & 1] == -1)
				ids[op & 1] = core_quic_open(side, op >> 3 & 1);
			if (ids[op & 1] != -1)
				(void)core_quic_write(side, ids[op & 1],
				    data + off, n, op >> 4 & 1);
			break;
		default:	/* let them talk */
			break;
		}
		off += n;
		deliver();
	}
	core_quic_free(cl);
	core_quic_free(sv);
	cl = sv = NULL;
	core_loop_once(loop, 0);	/* pending on_close calls free zombies */
	/* H3_FUZZ_SHOW=1: whether the handshake got through (both ends). */
	if (getenv("H3_FUZZ_SHOW") != NULL)
		fprintf(stderr, "h3-fuzzer: %d handshake(s) done\n", handshakes);
	handshakes = 0;
	return 0;
}
