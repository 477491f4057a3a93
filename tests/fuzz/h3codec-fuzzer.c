/*
 * h3codec-fuzzer.c -- libFuzzer target for core/http/h3.c alone (no
 * QUIC): a client codec and a server codec wired to each other in
 * memory, as tests/unit/core_http_h3.c does, and the input is a script
 * of records injected into either one as QUIC stream bytes:
 *   op (1 byte), length (1 byte), bytes
 *   op bit 0	the target: server (0) or client (1)
 *   op bits 1-2	the stream: the peer's control, QPACK encoder, QPACK
 *		decoder stream, or a request stream
 *   op bit 3	fin
 *   op bits 4-7	the request stream: id (bits 4-7) * 4
 * Between records the two codecs flush and talk. The client opens a
 * GET and a POST with a body and trailers; the server answers every
 * head with a 103, a 200, a body and trailers, resets some streams and
 * closes others from inside callbacks. Beyond not crashing or leaking,
 * the target checks h3.h's promises: field pointers readable, every
 * output with bytes or a fin, queues bounded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/h3.h"
#include "core/loop/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)
#define MAXOUT		(1024 * 1024)	/* bytes queued between codecs */

struct out {
	struct out	*next;
	int64_t		 id;
	size_t		 n;
	int		 fin;
	uint8_t		 d[];
};

struct fz {
	struct h3	*h;
	struct fz	*peer;
	int		 server;
	int		 dead;
	struct out	*q, **qtail;
	size_t		 queued;
	uint64_t	 hash;
	unsigned	 events;
};

static void
mix(struct fz *z, const void *p, size_t n)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		z->hash = (z->hash ^ c[i]) * 1099511628211ULL;
}

static void
fields(struct fz *z, const struct h2_field *f, size_t n)
{
	size_t	i;

	CHECK(n == 0 || f != NULL);
	for (i = 0; i < n; i++) {
		CHECK(f[i].name_len > 0);
		mix(z, f[i].name, f[i].name_len);
		mix(z, f[i].value, f[i].value_len);
	}
}

static void
on_head(void *arg, int64_t id, const struct h2_head *hd)
{
	static const struct h2_field	 f[] = {
		{ "content-type", 12, "text/plain", 10 },
	};
	static const struct h2_field	 tr[] = {
		{ "grpc-status", 11, "0", 1 },
	};
	struct fz			*z = arg;
	struct h2_head			 r;
	const char			*s[4] = { hd->method, hd->scheme,
		hd->authority, hd->path };
	int				 i;

	z->events++;
	for (i = 0; i < 4; i++)
		if (s[i] != NULL)
			mix(z, s[i], strlen(s[i]) + 1);
	fields(z, hd->fields, hd->nfields);
	if (!z->server)
		return;
	CHECK(hd->status == 0);
	switch (id / 4 % 5) {
	case 3:
		core_h3_stream_reset(z->h, id);
		return;
	case 4:
		core_h3_stream_reset(z->h, id);
		core_h3_stream_closed(z->h, id, H3_REQUEST_REJECTED);
		return;
	}
	memset(&r, 0, sizeof r);
	r.status = 103;
	(void)core_h3_respond(z->h, id, &r);
	r.status = 200;
	r.fields = f;
	r.nfields = 1;
	if (core_h3_respond(z->h, id, &r) == 0) {
		(void)core_h3_data(z->h, id, "hello ", 6, 0);
		(void)core_h3_data(z->h, id, "world", 5, 0);
		(void)core_h3_trailers(z->h, id, tr, 1);
	}
}

static void
on_data(void *arg, int64_t id, const char *p, size_t n)
{
	struct fz	*z = arg;

	z->events++;
	mix(z, p, n);
}

static void
on_trailers(void *arg, int64_t id, const struct h2_field *f, size_t n)
{
	struct fz	*z = arg;

	z->events++;
	fields(z, f, n);
}

static void
on_end(void *arg, int64_t id)
{
	struct fz	*z = arg;

	z->events++;
	if (!z->server && id == 4)
		core_h3_stream_closed(z->h, id, H3_NO_ERROR);
}

static void
on_reset(void *arg, int64_t id, uint64_t code)
{
	struct fz	*z = arg;

	z->events++;
	core_h3_stream_reset(z->h, id);
}

static void
on_writable(void *arg, int64_t id)
{
	struct fz	*z = arg;

	CHECK(core_h3_pending(z->h, id) < LIMIT_H3_SEND_QUEUE);
}

static int
on_output(void *arg, int64_t id, const uint8_t *p, size_t n, int fin)
{
	struct fz	*z = arg;
	struct out	*o;

	CHECK(n > 0 || fin);
	CHECK(n == 0 || p != NULL);
	/* A peer that stops reading: the codec holds the rest. */
	if (z->queued + n > MAXOUT)
		return -1;
	if ((o = malloc(sizeof *o + n)) == NULL)
		abort();
	o->next = NULL;
	o->id = id;
	o->n = n;
	o->fin = fin;
	if (n > 0)
		memcpy(o->d, p, n);
	*z->qtail = o;
	z->qtail = &o->next;
	z->queued += n;
	return 0;
}

static void
on_consume(void *arg, int64_t id, size_t n)
{
}

static void
on_stream_reset(void *arg, int64_t id, uint64_t code)
{
	struct fz	*z = arg;

	z->events++;
}

static void
feed(struct fz *z, int64_t id, const uint8_t *p, size_t n, int fin)
{
	uint64_t	 code;
	char		*cause = NULL;

	if (z->dead)
		return;
	if (core_h3_feed(z->h, id, p, n, fin, &code, &cause) == -1) {
		CHECK(cause != NULL);
		z->dead = 1;
	}
	free(cause);
}

/* Everything from wrote goes to its peer. */
static int
deliver(struct fz *from)
{
	struct out	*o, *list = from->q;
	int		 n = 0;

	from->q = NULL;
	from->qtail = &from->q;
	from->queued = 0;
	while ((o = list) != NULL) {
		list = o->next;
		feed(from->peer, o->id, o->d, o->n, o->fin);
		free(o);
		n++;
	}
	return n;
}

static void
pump(struct fz *a, struct fz *b)
{
	int	i;

	for (i = 0; i < 32; i++) {
		core_h3_unblock(a->h, -1);
		core_h3_unblock(b->h, -1);
		core_h3_flush(a->h);
		core_h3_flush(b->h);
		if (deliver(a) + deliver(b) == 0)
			break;
	}
}

static void
side(struct fz *z, int server)
{
	struct h3_cbs	 cb = {
		on_head, on_data, on_trailers, on_end, on_reset, on_writable,
		on_output, on_consume, on_stream_reset, NULL
	};
	char		*cause = NULL;

	memset(z, 0, sizeof *z);
	z->server = server;
	z->qtail = &z->q;
	z->hash = 14695981039346656037ULL;
	cb.arg = z;
	z->h = server ? core_h3_new(1, &cb, 3, 7, 11, &cause) :
	    core_h3_new(0, &cb, 2, 6, 10, &cause);
	CHECK(z->h != NULL);
}

static void
side_free(struct fz *z)
{
	struct out	*o;

	core_h3_free(z->h);
	while ((o = z->q) != NULL) {
		z->q = o->next;
		free(o);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct h2_field	 rf[] = {
		{ "User-Agent", 10, "fuzz", 4 },
		{ "accept", 6, "*/*", 3 },
	};
	static const struct h2_field	 tr[] = { { "x-sum", 5, "1", 1 } };
	/* The peer's uni streams, as the target numbers them. */
	static const int64_t		 uni[2][3] = {
		{ 2, 6, 10 },		/* into the server: the client's */
		{ 3, 7, 11 },		/* into the client: the server's */
	};
	struct fz			 c, s;
	struct h2_head			 hd;
	size_t				 off = 0, n;
	uint8_t				 op;
	int64_t				 id;
	char				*cause = NULL;

	side(&c, 0);
	side(&s, 1);
	c.peer = &s;
	s.peer = &c;
	memset(&hd, 0, sizeof hd);
	hd.method = "GET";
	hd.scheme = "https";
	hd.authority = "fuzz.example";
	hd.path = "/";
	hd.fields = rf;
	hd.nfields = 2;
	hd.end_stream = 1;
	/* The first byte, odd: requests before SETTINGS arrive. */
	if (size == 0 || !(data[0] & 1))
		pump(&c, &s);
	if (core_h3_request(c.h, 0, &hd, &cause) == -1)
		free(cause);
	cause = NULL;
	hd.method = "POST";
	hd.end_stream = 0;
	if (core_h3_request(c.h, 4, &hd, &cause) == 0) {
		(void)core_h3_data(c.h, 4, "body", 4, 0);
		(void)core_h3_trailers(c.h, 4, tr, 1);
	} else
		free(cause);
	pump(&c, &s);
	while (off + 2 <= size) {
		op = data[off];
		n = data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		switch (op >> 1 & 3) {
		case 3:
			id = (int64_t)(op >> 4) * 4;
			break;
		default:
			id = uni[op & 1][op >> 1 & 3];
			break;
		}
		feed(op & 1 ? &c : &s, id, data + off, n, op >> 3 & 1);
		off += n;
		pump(&c, &s);
	}
	for (id = 0; id < 64; id += 4) {
		core_h3_stream_closed(c.h, id, H3_NO_ERROR);
		core_h3_stream_closed(s.h, id, H3_NO_ERROR);
	}
	pump(&c, &s);
	side_free(&c);
	side_free(&s);
	return 0;
}
