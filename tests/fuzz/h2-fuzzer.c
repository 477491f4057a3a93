/*
 * h2-fuzzer.c -- libFuzzer target for core/http/h2.c.
 *
 * The first byte chooses the codec's side and how the rest arrives:
 *   bit 0	server (1) or client (0)
 *   bit 1	server: prepend the client preface; client: nothing
 *   bit 2	server: start as an h2c upgrade (stream 1 already open)
 *   bits 3-7	feed in pieces of 1 << (bits % 12) bytes
 * A client codec first opens two requests (one with a body and
 * trailers). The callbacks drive the codec as a proxy would: a server
 * answers each request with a body and trailers, some streams are reset
 * from inside callbacks, data is consumed in the callback or after the
 * feed. Beyond not crashing, the target checks what h2.h promises:
 * bounded streams, queues and flush output, a dead codec staying dead,
 * and every field pointer readable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/h2.h"
#include "core/loop/limits.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

struct fz {
	struct h2	*h;
	int		 server;
	size_t		 out;		/* bytes of the current flush */
	uint64_t	 hash;
	size_t		 owed;		/* consumed after the feed */
	int32_t		 owed_id;
	unsigned	 events;
};

static void
mix(struct fz *z, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		z->hash = (z->hash ^ (unsigned char)p[i]) * 1099511628211ULL;
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
on_head(void *arg, int32_t id, const struct h2_head *hd)
{
	static const struct h2_field	 tr[] = {
		{ "grpc-status", 11, "0", 1 }
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
	if (z->server) {
		CHECK(hd->status == 0 && hd->method != NULL);
		if (id % 7 == 3) {
			core_h2_reset(z->h, id, H2_CANCEL);
			return;
		}
		memset(&r, 0, sizeof r);
		r.status = id % 5 == 1 ? 103 : 200;
		r.fields = hd->fields;	/* echo them: exercises the filter */
		r.nfields = hd->nfields;
		if (core_h2_respond(z->h, id, &r) == 0 && r.status == 103) {
			r.status = 200;
			(void)core_h2_respond(z->h, id, &r);
		}
		r.status = 200;
		CHECK(core_h2_respond(z->h, id, &r) == -1);
		(void)core_h2_data(z->h, id, "body", 4, 0);
		if (id % 2)
			(void)core_h2_trailers(z->h, id, tr, 1);
		else
			(void)core_h2_data(z->h, id, NULL, 0, 1);
	} else
		CHECK(hd->status >= 100 && hd->status <= 999);
}

static void
on_data(void *arg, int32_t id, const char *p, size_t n)
{
	struct fz	*z = arg;

	z->events++;
	mix(z, p, n);
	/* Some bytes wait for the end of the feed, as a slow reader's. */
	if (z->owed == 0 && (n & 1)) {
		z->owed = n;
		z->owed_id = id;
	} else
		core_h2_consume(z->h, id, n);
}

static void
on_trailers(void *arg, int32_t id, const struct h2_field *f, size_t n)
{
	struct fz	*z = arg;

	z->events++;
	fields(z, f, n);
}

static void
on_end(void *arg, int32_t id)
{
	struct fz	*z = arg;

	z->events++;
	if (!z->server && id % 4 == 3)
		core_h2_reset(z->h, id, H2_NO_ERROR);
}

static void
on_reset(void *arg, int32_t id, uint32_t code)
{
	struct fz	*z = arg;

	z->events++;
	CHECK(core_h2_data(z->h, id, "x", 1, 0) == -1);
}

static void
on_stream_error(void *arg, int32_t id, const char *why)
{
	struct fz	*z = arg;

	CHECK(why != NULL);
	mix(z, why, strlen(why));
}

static void
on_writable(void *arg, int32_t id)
{
	struct fz	*z = arg;

	CHECK(core_h2_pending(z->h, id) < LIMIT_H2_SEND_QUEUE);
}

static void
on_goaway(void *arg, uint32_t code, int32_t last)
{
	struct fz	*z = arg;

	z->events++;
	if (!z->server) {
		char	*cause = NULL;
		struct h2_head	hd = { .method = "GET", .scheme = "https",
			.authority = "a", .path = "/", .end_stream = 1 };

		/* The server is going away: no new requests. */
		CHECK(core_h2_request(z->h, &hd, &cause) == -1);
		free(cause);
	}
}

static void
on_output(void *arg, const char *p, size_t n)
{
	struct fz	*z = arg;

	CHECK(n > 0);
	mix(z, p, n);
	z->out += n;
}

static void
flush(struct fz *z)
{
	int	i, more = 1;

	for (i = 0; i < 10000 && more; i++) {
		z->out = 0;
		more = core_h2_flush(z->h);
		/* One flush overshoots its budget by one frame at most. */
		CHECK(z->out <= LIMIT_H2_OUTPUT + 70 * 1024);
	}
	CHECK(!more);
}

static void
client_requests(struct fz *z)
{
	static const struct h2_field	 f[] = {
		{ "content-type", 12, "application/grpc", 16 },
		{ "Connection", 10, "x-a", 3 },
		{ "x-a", 3, "dropped", 7 },
		{ "te", 2, "trailers", 8 },
	};
	struct h2_head			 hd;
	char				*cause = NULL;
	int32_t				 id;

	memset(&hd, 0, sizeof hd);
	hd.method = "POST";
	hd.scheme = "https";
	hd.authority = "fuzz.test";
	hd.path = "/pkg.S/M";
	hd.fields = f;
	hd.nfields = 4;
	id = core_h2_request(z->h, &hd, &cause);
	CHECK(id == 1 && cause == NULL);
	CHECK(core_h2_data(z->h, id, "\0\0\0\0\1\x08", 6, 0) == 0);
	CHECK(core_h2_trailers(z->h, id, f, 1) == 0);
	hd.method = "GET";
	hd.path = "/";
	hd.nfields = 0;
	hd.end_stream = 1;
	id = core_h2_request(z->h, &hd, &cause);
	CHECK(id == 3 && cause == NULL);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct h2_cbs		 cb = {
		on_head, on_data, on_trailers, on_end, on_reset,
		on_stream_error, on_writable, on_goaway, on_output, NULL
	};
	struct fz		 z;
	char			*cause = NULL, *piece;
	size_t			 off = 0, step, n;
	int			 mode, rc, dead = 0;

	if (size < 1)
		return (0);
	mode = data[0];
	data++;
	size--;
	memset(&z, 0, sizeof z);
	z.server = mode & 1;
	step = (size_t)1 << ((mode >> 3) % 12);
	cb.arg = &z;
	z.h = core_h2_new(z.server, &cb, &cause);
	CHECK(z.h != NULL && cause == NULL);
	if (z.server && (mode & 4))
		/* MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=65535. */
		CHECK(core_h2_upgrade(z.h, "AAMAAABkAAQAAP__", 16, 0) == 0);
	if (!z.server)
		client_requests(&z);
	flush(&z);
	if (z.server && (mode & 2)) {
		rc = core_h2_feed(z.h, preface, sizeof preface - 1, &cause);
		CHECK(rc == 0 && cause == NULL);
	}
	while (off < size) {
		n = size - off < step ? size - off : step;
		/* Exactly the piece, so ASan sees a read past it. */
		piece = malloc(n);
		CHECK(piece != NULL);
		memcpy(piece, data + off, n);
		rc = core_h2_feed(z.h, piece, n, &cause);
		free(piece);
		off += n;
		if (rc != 0) {
			CHECK(rc == -1 && cause != NULL && cause[0] != '\0');
			free(cause);
			cause = NULL;
			dead = 1;
		} else {
			CHECK(cause == NULL && !dead);
		}
		if (z.owed > 0) {
			core_h2_consume(z.h, z.owed_id, z.owed);
			z.owed = 0;
		}
		CHECK(core_h2_active_streams(z.h) <= LIMIT_H2_STREAMS + 2);
		CHECK(core_h2_pending(z.h, 1) <=
		    LIMIT_H2_SEND_QUEUE + LIMIT_H2_STREAM_WINDOW);
		flush(&z);
	}
	if (dead) {
		/* A dead or cut-off codec stays so. */
		rc = core_h2_feed(z.h, "", 0, &cause);
		CHECK(rc == -1 && cause != NULL);
		free(cause);
		flush(&z);
		CHECK(core_h2_finished(z.h, NULL) == 1);
	}
	(void)core_h2_finished(z.h, NULL);
	core_h2_goaway(z.h, H2_NO_ERROR);
	flush(&z);
	core_h2_free(z.h);
	return (0);
}
