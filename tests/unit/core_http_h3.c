/*
 * core_http_h3.c -- the HTTP/3 codec: a client codec and a server codec
 * wired to each other in memory, each on_output queued and fed to the
 * other side's core_h3_feed for the same QUIC stream id after the flush
 * returns (h3.h: no flush inside a callback). Client bidirectional
 * streams are 0, 4, 8, ...; the client's control and QPACK streams are
 * 2, 6, 10 and the server's 3, 7, 11, as QUIC numbers them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/http/h3.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"

#define MAXID	1024
#define PIECE	(64 * 1024)
#define ANY	(-1)

/* One on_output call, waiting to be fed to the other side. */
struct out {
	struct out	*next;
	int64_t		 id;
	size_t		 n;
	int		 fin;
	uint8_t		 d[];
};

/* One codec and what it saw. */
struct side {
	struct h3	*h;
	int		 server;
	struct out	*q, **qtail;
	/* on_output refuses (-1) calls for block_id (ANY: all) once
	 * allow calls were taken. */
	int		 blocking;
	int64_t		 block_id;
	int		 merge;
	int		 allow;
	size_t		 refused;
	size_t		 outputs;
	struct buf	 log;
	struct buf	 body[MAXID];
	int		 heads[MAXID];
	int		 status[MAXID];
	int		 ended[MAXID];
	int		 trailers[MAXID];
	int		 resets[MAXID];
	uint64_t	 reset_code[MAXID];
	int		 sresets[MAXID];
	uint64_t	 sreset_code[MAXID];
	int		 fins[MAXID];	/* fins this side wrote */
	/* Flow-control bookkeeping of bytes fed to this side. */
	size_t		 fed, consumed, data;
	int		 feed_rc;
	uint64_t	 feed_code;
	char		*feed_cause;
	/* A body source that refills on on_writable, as a proxy would. */
	size_t		 src_left[MAXID];
	size_t		 src_off[MAXID];
	int		 src_trailers[MAXID];
	int		 over[MAXID];	/* pending reached the limit */
	int		 writable[MAXID];
	size_t		 max_pending;
};

static unsigned char
pattern(int64_t id, size_t off)
{
	return ((unsigned char)(off * 31 + (size_t)id * 7 + off / 251));
}

static int64_t
idx(int64_t id)
{
	assert_true(id >= 0 && id < MAXID);
	return (id);
}

static void
on_head(void *arg, int64_t id, const struct h2_head *hd)
{
	struct side	*s = arg;
	size_t		 i;

	s->heads[idx(id)]++;
	s->status[id] = hd->status;
	core_buf_printf(&s->log, "head %d %s %s %s %s %d end=%d\n", (int)id,
	    hd->method ? hd->method : "-", hd->scheme ? hd->scheme : "-",
	    hd->authority ? hd->authority : "-", hd->path ? hd->path : "-",
	    hd->status, hd->end_stream);
	assert_true(hd->nfields == 0 || hd->fields != NULL);
	for (i = 0; i < hd->nfields; i++)
		core_buf_printf(&s->log, "f %d %.*s=%.*s\n", (int)id,
		    (int)hd->fields[i].name_len, hd->fields[i].name,
		    (int)hd->fields[i].value_len, hd->fields[i].value);
}

static void
on_data(void *arg, int64_t id, const char *p, size_t n)
{
	struct side	*s = arg;

	core_buf_append(&s->body[idx(id)], p, n);
	s->data += n;
}

static void
on_trailers(void *arg, int64_t id, const struct h2_field *f, size_t n)
{
	struct side	*s = arg;
	size_t		 i;

	s->trailers[idx(id)]++;
	for (i = 0; i < n; i++)
		core_buf_printf(&s->log, "t %d %.*s=%.*s\n", (int)id,
		    (int)f[i].name_len, f[i].name, (int)f[i].value_len,
		    f[i].value);
}

static void
on_end(void *arg, int64_t id)
{
	struct side	*s = arg;

	s->ended[idx(id)]++;
	core_buf_printf(&s->log, "end %d\n", (int)id);
}

static void
on_reset(void *arg, int64_t id, uint64_t code)
{
	struct side	*s = arg;

	s->resets[idx(id)]++;
	s->reset_code[id] = code;
	core_buf_printf(&s->log, "reset %d 0x%llx\n", (int)id,
	    (unsigned long long)code);
}

static void
on_stream_reset(void *arg, int64_t id, uint64_t code)
{
	struct side	*s = arg;

	s->sresets[idx(id)]++;
	s->sreset_code[id] = code;
}

/* Queues body bytes until the queue is full; on_writable calls again. */
static void
fill(struct side *s, int64_t id)
{
	static unsigned char	 piece[PIECE];
	size_t			 n, i, p;
	int			 last;

	while (s->src_left[id] > 0 &&
	    core_h3_pending(s->h, id) < LIMIT_H3_SEND_QUEUE) {
		n = s->src_left[id] < PIECE ? s->src_left[id] : PIECE;
		for (i = 0; i < n; i++)
			piece[i] = pattern(id, s->src_off[id] + i);
		last = n == s->src_left[id] && !s->src_trailers[id];
		assert_int_equal(core_h3_data(s->h, id, (char *)piece, n,
		    last), 0);
		s->src_left[id] -= n;
		s->src_off[id] += n;
		p = core_h3_pending(s->h, id);
		if (p > s->max_pending)
			s->max_pending = p;
		if (p >= LIMIT_H3_SEND_QUEUE)
			s->over[id] = 1;
	}
}

static void
on_writable(void *arg, int64_t id)
{
	struct side	*s = arg;

	/* Only after the queue was over the limit, and only below it. */
	assert_true(s->over[idx(id)]);
	assert_true(core_h3_pending(s->h, id) < LIMIT_H3_SEND_QUEUE);
	s->over[id] = 0;
	s->writable[id]++;
	fill(s, id);
}

static int
on_output(void *arg, int64_t id, const uint8_t *p, size_t n, int fin)
{
	struct side	*s = arg;
	struct out	*o;

	assert_true(n == 0 || p != NULL);
	assert_true(n > 0 || fin);
	if (s->blocking && (s->block_id == ANY || s->block_id == id)) {
		if (s->allow == 0) {
			s->refused++;
			return (-1);
		}
		s->allow--;
	}
	s->outputs++;
	o = malloc(sizeof *o + n);
	assert_non_null(o);
	o->next = NULL;
	o->id = id;
	o->n = n;
	o->fin = fin;
	if (n > 0)
		memcpy(o->d, p, n);
	*s->qtail = o;
	s->qtail = &o->next;
	if (fin)
		s->fins[idx(id)]++;
	return (0);
}

static void
on_consume(void *arg, int64_t id, size_t n)
{
	struct side	*s = arg;

	s->consumed += n;
}

static struct side *
side_new(int server)
{
	struct side	*s;
	struct h3_cbs	 cb = {
		on_head, on_data, on_trailers, on_end, on_reset, on_writable,
		on_output, on_consume, on_stream_reset, NULL
	};
	char		*cause = NULL;

	s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->server = server;
	s->qtail = &s->q;
	cb.arg = s;
	if (server)
		s->h = core_h3_new(1, &cb, 3, 7, 11, &cause);
	else
		s->h = core_h3_new(0, &cb, 2, 6, 10, &cause);
	assert_non_null(s->h);
	assert_null(cause);
	return (s);
}

static void
side_free(struct side *s)
{
	struct out	*o;
	size_t		 i;

	core_h3_free(s->h);
	while ((o = s->q) != NULL) {
		s->q = o->next;
		free(o);
	}
	core_buf_free(&s->log);
	for (i = 0; i < MAXID; i++)
		core_buf_free(&s->body[i]);
	free(s->feed_cause);
	free(s);
}

/* NUL-terminated view of the log, for strstr. */
static const char *
logtext(struct side *s)
{
	core_buf_append(&s->log, "", 1);
	s->log.len--;
	return (core_buf_head(&s->log));
}

/* NUL-terminated view of a body. */
static const char *
bodytext(struct side *s, int64_t id)
{
	core_buf_append(&s->body[idx(id)], "", 1);
	s->body[id].len--;
	return (core_buf_head(&s->body[id]));
}

/* Feeds to the codec, each time in a buffer of its exact size (ASan). */
static void
feed(struct side *to, int64_t id, const void *p, size_t n, int fin)
{
	char		*cause = NULL;
	uint8_t		*copy;
	uint64_t	 code = 0;
	int		 rc;

	if (to->feed_rc != 0)
		return;
	copy = malloc(n > 0 ? n : 1);
	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, p, n);
	to->fed += n;
	rc = core_h3_feed(to->h, id, copy, n, fin, &code, &cause);
	free(copy);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(cause);
		to->feed_rc = rc;
		to->feed_code = code;
		to->feed_cause = cause;
	} else
		assert_null(cause);
}

/* Feeds what from wrote to to: bidi streams (uni == 0), uni streams
 * (uni == 1) or all (-1), in order; the rest stays queued. With
 * to->merge, writes in a row on one stream arrive as one feed. */
static size_t
deliver_some(struct side *from, struct side *to, int uni)
{
	struct out	*o, *keep = NULL, **ktail = &keep, *list;
	struct buf	 b;
	size_t		 n = 0;
	int		 fin;

	list = from->q;
	from->q = NULL;
	from->qtail = &from->q;
	memset(&b, 0, sizeof b);
	while ((o = list) != NULL) {
		list = o->next;
		o->next = NULL;
		if (uni != -1 && (o->id & 2) != (uni ? 2 : 0)) {
			*ktail = o;
			ktail = &o->next;
			continue;
		}
		if (to->merge) {
			core_buf_append(&b, o->d, o->n);
			fin = o->fin;
			while (!fin && list != NULL && list->id == o->id) {
				struct out *m = list;

				list = m->next;
				core_buf_append(&b, m->d, m->n);
				fin = m->fin;
				free(m);
			}
			feed(to, o->id, core_buf_head(&b), b.len, fin);
			core_buf_consume(&b, b.len);
		} else
			feed(to, o->id, o->d, o->n, o->fin);
		free(o);
		n++;
	}
	core_buf_free(&b);
	/* Feeding to makes from write nothing: no flush in between. */
	assert_null(from->q);
	from->q = keep;
	for (from->qtail = &from->q; *from->qtail != NULL;)
		from->qtail = &(*from->qtail)->next;
	return (n);
}

static void
deliver(struct side *from, struct side *to)
{
	deliver_some(from, to, -1);
}

/* Flushes and moves bytes both ways until both sides are quiet. */
static void
pump(struct side *a, struct side *b)
{
	int	i;

	for (i = 0; i < 100000; i++) {
		core_h3_flush(a->h);
		core_h3_flush(b->h);
		if (a->q == NULL && b->q == NULL)
			return;
		deliver(a, b);
		deliver(b, a);
	}
	fail_msg("pump did not settle");
}

/* A client and a server that exchanged SETTINGS. */
static void
pair(struct side **c, struct side **s)
{
	*c = side_new(0);
	*s = side_new(1);
	pump(*c, *s);
	assert_int_equal((*c)->feed_rc, 0);
	assert_int_equal((*s)->feed_rc, 0);
}

static int
request(struct side *c, int64_t id, const char *method, const char *path,
    const struct h2_field *f, size_t nf, int end)
{
	struct h2_head	 hd;
	char		*cause = NULL;
	int		 rc;

	memset(&hd, 0, sizeof hd);
	hd.method = method;
	hd.scheme = "https";
	hd.authority = "example.com";
	hd.path = path;
	hd.fields = f;
	hd.nfields = nf;
	hd.end_stream = end;
	rc = core_h3_request(c->h, id, &hd, &cause);
	if (rc != 0)
		free(cause);
	else
		assert_null(cause);
	return (rc);
}

static int
respond(struct side *s, int64_t id, int status, const struct h2_field *f,
    size_t nf, int end)
{
	struct h2_head	hd;

	memset(&hd, 0, sizeof hd);
	hd.status = status;
	hd.fields = f;
	hd.nfields = nf;
	hd.end_stream = end;
	return (core_h3_respond(s->h, id, &hd));
}

static void
check_body(struct side *s, int64_t id, size_t len)
{
	const unsigned char	*p;
	size_t			 i;

	assert_int_equal(s->body[idx(id)].len, len);
	p = (const unsigned char *)core_buf_head(&s->body[id]);
	for (i = 0; i < len; i++)
		if (p[i] != pattern(id, i))
			fail_msg("stream %d: byte %zu differs", (int)id, i);
}

/* Every byte fed came back as framing (on_consume) or body (on_data). */
static void
check_consumed(struct side *s)
{
	assert_int_equal(s->consumed + s->data, s->fed);
}

/* QUIC freed the stream on both sides: the codec forgets it. */
static void
close_both(struct side *c, struct side *s, int64_t id)
{
	core_h3_stream_closed(c->h, id, H3_NO_ERROR);
	core_h3_stream_closed(s->h, id, H3_NO_ERROR);
	assert_int_equal(core_h3_pending(c->h, id), 0);
	assert_int_equal(core_h3_pending(s->h, id), 0);
	/* The server's state for it went: no response can go there. */
	assert_int_equal(respond(s, id, 200, NULL, 0, 1), -1);
	assert_int_equal(core_h3_data(c->h, id, "x", 1, 1), -1);
}

#define F(n, v)	{ n, sizeof n - 1, v, sizeof v - 1 }

/* --- the tests --- */

static void
test_get(void **state)
{
	struct h2_field	 req[] = {
		F("User-Agent", "unit"),
		F("X-Mixed-Case", "Value Kept"),
		F(":bogus", "dropped"),
		F("accept", "*/*"),
	};
	struct h2_field	 resp[] = { F("Content-Type", "text/plain") };
	struct side	*c, *s;
	const char	*l;

	pair(&c, &s);
	assert_int_equal(request(c, 0, "GET", "/index.html?q=1", req, 4, 1),
	    0);
	pump(c, s);
	assert_int_equal(s->heads[0], 1);
	assert_int_equal(s->ended[0], 1);
	assert_int_equal(s->resets[0], 0);
	assert_int_equal(c->fins[0], 1);
	l = logtext(s);
	assert_non_null(strstr(l,
	    "head 0 GET https example.com /index.html?q=1 0 end=1\n"
	    "f 0 user-agent=unit\n"
	    "f 0 x-mixed-case=Value Kept\n"
	    "f 0 accept=*/*\n"
	    "end 0\n"));
	assert_null(strstr(l, "bogus"));

	assert_int_equal(respond(s, 0, 200, resp, 1, 0), 0);
	assert_int_equal(core_h3_data(s->h, 0, "hello, ", 7, 0), 0);
	assert_int_equal(core_h3_data(s->h, 0, "http", 4, 0), 0);
	pump(c, s);
	assert_int_equal(c->heads[0], 1);
	assert_int_equal(c->ended[0], 0);
	assert_int_equal(core_h3_data(s->h, 0, "/3", 2, 0), 0);
	assert_int_equal(core_h3_data(s->h, 0, NULL, 0, 1), 0);
	/* The message ended: no more body. */
	assert_int_equal(core_h3_data(s->h, 0, "x", 1, 0), -1);
	pump(c, s);
	assert_int_equal(c->status[0], 200);
	assert_string_equal(bodytext(c, 0), "hello, http/3");
	assert_int_equal(c->ended[0], 1);
	assert_int_equal(c->resets[0], 0);
	assert_int_equal(s->fins[0], 1);
	l = logtext(c);
	assert_non_null(strstr(l, "head 0 - - - - 200 end=0\n"
	    "f 0 content-type=text/plain\n"
	    "end 0\n"));
	assert_int_equal(core_h3_pending(s->h, 0), 0);
	check_consumed(c);
	check_consumed(s);

	close_both(c, s, 0);
	/* The connection goes on: a second request on stream 4. */
	assert_int_equal(request(c, 4, "HEAD", "/", NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(s->heads[4], 1);
	assert_int_equal(respond(s, 4, 204, NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(c->status[4], 204);
	assert_int_equal(c->ended[4], 1);
	assert_int_equal(c->feed_rc, 0);
	assert_int_equal(s->feed_rc, 0);
	check_consumed(c);
	check_consumed(s);
	side_free(c);
	side_free(s);
}

static void
test_post_trailers(void **state)
{
	struct h2_field	 req[] = { F("Content-Type", "application/grpc") };
	struct h2_field	 rtr[] = { F("X-Checksum", "abc"), F("x-two", "2") };
	struct h2_field	 str[] = { F("grpc-status", "0"),
		F("Grpc-Message", "fine") };
	struct side	*c, *s;
	const char	*l;

	pair(&c, &s);
	assert_int_equal(request(c, 0, "POST", "/svc/Call", req, 1, 0), 0);
	assert_int_equal(core_h3_data(c->h, 0, "part1", 5, 0), 0);
	pump(c, s);
	assert_int_equal(s->heads[0], 1);
	assert_int_equal(core_h3_data(c->h, 0, "part2", 5, 0), 0);
	assert_int_equal(core_h3_trailers(c->h, 0, rtr, 2), 0);
	/* Trailers ended the message. */
	assert_int_equal(core_h3_data(c->h, 0, "x", 1, 0), -1);
	assert_int_equal(core_h3_trailers(c->h, 0, rtr, 2), -1);
	/* Stream 4: trailers right after the head, no body. */
	assert_int_equal(request(c, 4, "POST", "/empty", NULL, 0, 0), 0);
	assert_int_equal(core_h3_trailers(c->h, 4, rtr, 1), 0);
	pump(c, s);
	assert_string_equal(bodytext(s, 0), "part1part2");
	assert_int_equal(s->trailers[0], 1);
	assert_int_equal(s->ended[0], 1);
	assert_int_equal(s->trailers[4], 1);
	assert_int_equal(s->ended[4], 1);
	assert_int_equal(s->body[4].len, 0);
	assert_int_equal(c->fins[0], 1);
	assert_int_equal(c->fins[4], 1);
	l = logtext(s);
	assert_non_null(strstr(l,
	    "head 0 POST https example.com /svc/Call 0 end=0\n"
	    "f 0 content-type=application/grpc\n"));
	assert_non_null(strstr(l, "t 0 x-checksum=abc\nt 0 x-two=2\nend 0\n"));
	assert_non_null(strstr(l, "head 4 POST https example.com /empty 0 "
	    "end=0\n"));
	assert_non_null(strstr(l, "t 4 x-checksum=abc\nend 4\n"));

	assert_int_equal(respond(s, 0, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h3_data(s->h, 0, "ok", 2, 0), 0);
	assert_int_equal(core_h3_trailers(s->h, 0, str, 2), 0);
	assert_int_equal(respond(s, 4, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h3_trailers(s->h, 4, str, 1), 0);
	pump(c, s);
	assert_string_equal(bodytext(c, 0), "ok");
	assert_int_equal(c->trailers[0], 1);
	assert_int_equal(c->ended[0], 1);
	assert_int_equal(c->trailers[4], 1);
	assert_int_equal(c->ended[4], 1);
	assert_int_equal(s->fins[0], 1);
	assert_int_equal(s->fins[4], 1);
	l = logtext(c);
	assert_non_null(strstr(l, "head 0 - - - - 200 end=0\n"));
	assert_non_null(strstr(l, "t 0 grpc-status=0\nt 0 grpc-message=fine\n"
	    "end 0\n"));
	assert_non_null(strstr(l, "t 4 grpc-status=0\nend 4\n"));
	assert_int_equal(c->resets[0] + c->resets[4] + s->resets[0] +
	    s->resets[4], 0);
	check_consumed(c);
	check_consumed(s);
	close_both(c, s, 0);
	close_both(c, s, 4);
	side_free(c);
	side_free(s);
}

static void
test_interim(void **state)
{
	struct h2_field	 early[] = { F("Link", "</style.css>; rel=preload") };
	struct side	*c, *s;
	const char	*l;

	pair(&c, &s);
	assert_int_equal(request(c, 0, "GET", "/", NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(respond(s, 0, 103, early, 1, 0), 0);
	pump(c, s);
	assert_int_equal(c->heads[0], 1);
	assert_int_equal(c->status[0], 103);
	assert_int_equal(respond(s, 0, 200, NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(c->heads[0], 2);
	assert_int_equal(c->status[0], 200);
	assert_int_equal(c->ended[0], 1);
	l = logtext(c);
	assert_non_null(strstr(l, "head 0 - - - - 103 end=0\n"
	    "f 0 link=</style.css>; rel=preload\n"
	    "head 0 - - - - 200 end=1\n"
	    "end 0\n"));
	/* Two interim heads in one flush, then the final one with a body. */
	assert_int_equal(request(c, 4, "GET", "/two", NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(respond(s, 4, 100, NULL, 0, 0), 0);
	assert_int_equal(respond(s, 4, 103, early, 1, 0), 0);
	assert_int_equal(respond(s, 4, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h3_data(s->h, 4, "body", 4, 1), 0);
	pump(c, s);
	assert_int_equal(c->heads[4], 3);
	assert_string_equal(bodytext(c, 4), "body");
	assert_int_equal(c->ended[4], 1);
	assert_non_null(strstr(logtext(c), "head 4 - - - - 100 end=0\n"
	    "head 4 - - - - 103 end=0\n"
	    "f 4 link=</style.css>; rel=preload\n"
	    "head 4 - - - - 200 end=0\n"
	    "end 4\n"));
	check_consumed(c);
	check_consumed(s);
	side_free(c);
	side_free(s);
}

#define NSTREAMS	50

static void
test_many_streams(void **state)
{
	struct side	*c, *s;
	unsigned char	 piece[512];
	size_t		 len[NSTREAMS], off[NSTREAMS], i, k, n, left;
	int64_t		 id;
	char		 path[32];

	pair(&c, &s);
	for (i = 0; i < NSTREAMS; i++) {
		id = (int64_t)i * 4;
		len[i] = 300 + i * 97;
		off[i] = 0;
		snprintf(path, sizeof path, "/s/%zu", i);
		assert_int_equal(request(c, id, "POST", path, NULL, 0, 0), 0);
	}
	/* Interleaved request bodies, pumped now and then. */
	do {
		left = 0;
		for (i = 0; i < NSTREAMS; i++) {
			id = (int64_t)i * 4;
			n = len[i] - off[i] < 100 + i ? len[i] - off[i] :
			    100 + i;
			for (k = 0; k < n; k++)
				piece[k] = pattern(id, off[i] + k);
			if (n > 0 || off[i] < len[i])
				assert_int_equal(core_h3_data(c->h, id,
				    (char *)piece, n, off[i] + n == len[i]),
				    0);
			off[i] += n;
			left += len[i] - off[i];
		}
		if (left % 3 == 0)
			pump(c, s);
	} while (left > 0);
	pump(c, s);
	for (i = 0; i < NSTREAMS; i++) {
		id = (int64_t)i * 4;
		assert_int_equal(s->heads[id], 1);
		assert_int_equal(s->ended[id], 1);
		check_body(s, id, len[i]);
		assert_int_equal(respond(s, id, 200, NULL, 0, 0), 0);
		off[i] = 0;
		len[i] = 1000 + (NSTREAMS - i) * 61;
	}
	/* Interleaved responses, the other way round. */
	do {
		left = 0;
		for (i = NSTREAMS; i-- > 0;) {
			id = (int64_t)i * 4;
			n = len[i] - off[i] < 211 ? len[i] - off[i] : 211;
			if (n == 0)
				continue;
			for (k = 0; k < n; k++)
				piece[k] = pattern(id, off[i] + k);
			assert_int_equal(core_h3_data(s->h, id, (char *)piece,
			    n, off[i] + n == len[i]), 0);
			off[i] += n;
			left += len[i] - off[i];
		}
		if (left % 2 == 0)
			pump(c, s);
	} while (left > 0);
	pump(c, s);
	for (i = 0; i < NSTREAMS; i++) {
		id = (int64_t)i * 4;
		assert_int_equal(c->heads[id], 1);
		assert_int_equal(c->status[id], 200);
		assert_int_equal(c->ended[id], 1);
		assert_int_equal(c->resets[id], 0);
		check_body(c, id, len[i]);
	}
	check_consumed(c);
	check_consumed(s);
	for (i = 0; i < NSTREAMS; i++)
		close_both(c, s, (int64_t)i * 4);
	assert_int_equal(c->feed_rc, 0);
	assert_int_equal(s->feed_rc, 0);
	side_free(c);
	side_free(s);
}

static void
test_backpressure(void **state)
{
	struct side	*c, *s;
	size_t		 big = 1024 * 1024, refused, got, rounds = 0;

	pair(&c, &s);
	assert_int_equal(request(c, 0, "GET", "/big", NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(s->heads[0], 1);
	assert_int_equal(respond(s, 0, 200, NULL, 0, 0), 0);
	s->src_left[0] = big;
	fill(s, 0);
	assert_true(s->over[0]);
	assert_int_equal(core_h3_pending(s->h, 0), s->src_off[0]);

	/* Stream 0 takes one write, then is blocked. */
	s->blocking = 1;
	s->block_id = 0;
	s->allow = 1;
	pump(c, s);
	assert_true(s->refused > 0);
	assert_int_equal(c->heads[0], 1);
	/* Nothing lost: what waits is what the client did not get. */
	assert_int_equal(core_h3_pending(s->h, 0),
	    s->src_off[0] - c->body[0].len);
	assert_true(core_h3_pending(s->h, 0) > 0);
	/* A blocked stream is not offered again until unblocked. */
	refused = s->refused;
	core_h3_flush(s->h);
	core_h3_flush(s->h);
	assert_int_equal(s->refused, refused);
	assert_null(s->q);

	/* Unblocked a few writes at a time: partial writevs. */
	while (c->body[0].len < big && rounds++ < 10000) {
		got = c->body[0].len;
		s->allow = 1 + (int)(rounds % 3);
		core_h3_unblock(s->h, 0);
		pump(c, s);
		assert_true(c->body[0].len >= got);
		assert_int_equal(core_h3_pending(s->h, 0),
		    s->src_off[0] - c->body[0].len);
		if (rounds == 40)
			break;
	}
	/* Then free flow. */
	s->blocking = 0;
	core_h3_unblock(s->h, ANY);
	pump(c, s);
	assert_int_equal(s->src_left[0], 0);
	assert_int_equal(core_h3_pending(s->h, 0), 0);
	assert_true(s->writable[0] >= 1);
	assert_true(s->max_pending < LIMIT_H3_SEND_QUEUE + PIECE);
	check_body(c, 0, big);
	assert_int_equal(c->ended[0], 1);
	assert_int_equal(s->fins[0], 1);
	check_consumed(c);
	check_consumed(s);

	/* A client blocked on every stream, control and QPACK ones too. */
	c->blocking = 1;
	c->block_id = ANY;
	c->allow = 0;
	assert_int_equal(request(c, 4, "POST", "/up", NULL, 0, 0), 0);
	c->src_left[4] = 3 * PIECE + 17;
	c->src_trailers[4] = 0;
	fill(c, 4);
	pump(c, s);
	assert_true(c->refused > 0);
	assert_int_equal(s->heads[4], 0);
	assert_int_equal(core_h3_pending(c->h, 4), 3 * PIECE + 17);
	c->blocking = 0;
	core_h3_unblock(c->h, ANY);
	pump(c, s);
	assert_int_equal(s->heads[4], 1);
	assert_int_equal(s->ended[4], 1);
	check_body(s, 4, 3 * PIECE + 17);
	assert_int_equal(core_h3_pending(c->h, 4), 0);
	check_consumed(c);
	check_consumed(s);
	assert_int_equal(c->feed_rc, 0);
	assert_int_equal(s->feed_rc, 0);
	side_free(c);
	side_free(s);
}

/* The request stream reaches the server before the QPACK encoder
 * stream it depends on: the head waits, and the bytes nghttp3 held are
 * consumed later (deferred_consume). */
static void
test_qpack_blocked(void **state)
{
	struct h2_field	 req[] = {
		F("user-agent", "a-rather-long-user-agent-for-the-table/1.0"),
		F("accept-language", "en-GB,en;q=0.9"),
	};
	struct side	*c, *s;
	int		 i;

	pair(&c, &s);
	for (i = 0; i < 3; i++) {
		int64_t id = i * 4;

		assert_int_equal(request(c, id, "POST", "/q", req, 2, 0), 0);
		assert_int_equal(core_h3_data(c->h, id, "abc", 3, 1), 0);
		core_h3_flush(c->h);
		deliver_some(c, s, 0);
		if (i == 0) {
			/* Blocked on the dynamic table. */
			assert_int_equal(s->heads[id], 0);
			assert_true(s->consumed + s->data < s->fed);
		}
		deliver_some(c, s, 1);
		assert_int_equal(s->heads[id], 1);
		assert_int_equal(s->ended[id], 1);
		assert_string_equal(bodytext(s, id), "abc");
		pump(c, s);
		check_consumed(s);
	}
	assert_non_null(strstr(logtext(s), "f 0 user-agent="
	    "a-rather-long-user-agent-for-the-table/1.0\n"));
	/* A blocked stream closed by QUIC before its table entries came. */
	assert_int_equal(request(c, 12, "GET", "/gone", req, 2, 1), 0);
	core_h3_flush(c->h);
	deliver_some(c, s, 0);
	core_h3_stream_reset(s->h, 12);
	core_h3_stream_closed(s->h, 12, H3_REQUEST_CANCELLED);
	deliver_some(c, s, 1);
	pump(c, s);
	assert_int_equal(s->feed_rc, 0);
	assert_int_equal(c->feed_rc, 0);
	side_free(c);
	side_free(s);
}

static const uint8_t	stype_ctrl[] = { 0x00 };

static void
test_bad_control(void **state)
{
	struct side	*c, *s;
	/* A DATA frame on the client's control stream. */
	static const uint8_t data_frame[] = { 0x00, 0x01, 'x' };
	/* A second SETTINGS. */
	static const uint8_t settings[] = { 0x04, 0x00 };

	pair(&c, &s);
	feed(s, 2, data_frame, sizeof data_frame, 0);
	assert_int_equal(s->feed_rc, -1);
	assert_int_equal(s->feed_code, 0x105);	/* H3_FRAME_UNEXPECTED */
	assert_non_null(strstr(s->feed_cause, "HTTP/3"));
	side_free(c);
	side_free(s);

	pair(&c, &s);
	feed(c, 3, settings, sizeof settings, 0);
	assert_int_equal(c->feed_rc, -1);
	assert_int_equal(c->feed_code, 0x105);
	side_free(c);
	side_free(s);

	/* A second control stream. */
	pair(&c, &s);
	feed(s, 14, stype_ctrl, sizeof stype_ctrl, 0);
	assert_int_equal(s->feed_rc, -1);
	assert_int_equal(s->feed_code, 0x103);	/* STREAM_CREATION_ERROR */
	side_free(c);
	side_free(s);

	/* The control stream closed. */
	pair(&c, &s);
	feed(s, 2, NULL, 0, 1);
	assert_int_equal(s->feed_rc, -1);
	assert_int_equal(s->feed_code, 0x104);	/* CLOSED_CRITICAL_STREAM */
	side_free(c);
	side_free(s);

	/* The server opening a bidirectional stream toward the client. */
	pair(&c, &s);
	feed(c, 1, data_frame, sizeof data_frame, 0);
	assert_int_equal(c->feed_rc, -1);
	assert_int_equal(c->feed_code, 0x103);
	side_free(c);
	side_free(s);
}

static void
test_bad_request(void **state)
{
	struct side	*c, *s;
	/* HEADERS whose QPACK block is garbage. */
	static const uint8_t garbage[] = { 0x01, 0x03, 0xff, 0xff, 0xff };
	/* HEADERS with a valid block: "foo: bar", no pseudo-header. */
	static const uint8_t nopseudo[] = { 0x01, 0x0a, 0x00, 0x00,
		0x23, 'f', 'o', 'o', 0x03, 'b', 'a', 'r' };
	/* SETTINGS on a request stream. */
	static const uint8_t settings[] = { 0x04, 0x00 };

	pair(&c, &s);
	feed(s, 0, garbage, sizeof garbage, 0);
	assert_int_equal(s->feed_rc, -1);
	assert_int_equal(s->feed_code, 0x200);	/* QPACK_DECOMPRESSION_FAILED */
	assert_int_equal(s->heads[0], 0);
	side_free(c);
	side_free(s);

	pair(&c, &s);
	feed(s, 0, settings, sizeof settings, 0);
	assert_int_equal(s->feed_rc, -1);
	assert_int_equal(s->feed_code, 0x105);
	side_free(c);
	side_free(s);

	/* A malformed message is a stream error: the connection lives. */
	pair(&c, &s);
	feed(s, 0, nopseudo, sizeof nopseudo, 1);
	assert_int_equal(s->feed_rc, 0);
	assert_int_equal(s->heads[0], 0);
	assert_true(s->sresets[0] >= 1);
	assert_int_equal(s->sreset_code[0], 0x10e);	/* H3_MESSAGE_ERROR */
	assert_int_equal(s->resets[0], 1);
	assert_int_equal(s->reset_code[0], 0x10e);
	/* The rest of the stream is ignored, and consumed. */
	feed(s, 0, settings, sizeof settings, 1);
	assert_int_equal(s->feed_rc, 0);
	check_consumed(s);
	core_h3_stream_closed(s->h, 0, 0x10e);
	/* The real client's next request gets through. */
	assert_int_equal(request(c, 4, "GET", "/after", NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(s->heads[4], 1);
	assert_int_equal(respond(s, 4, 200, NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(c->ended[4], 1);
	side_free(c);
	side_free(s);

	/* Cut in the middle of the HEADERS frame, then fin. */
	pair(&c, &s);
	feed(s, 0, nopseudo, 6, 1);
	assert_true(s->feed_rc == -1 || s->resets[0] == 1 ||
	    s->sresets[0] >= 1);
	assert_int_equal(s->heads[0], 0);
	side_free(c);
	side_free(s);

	/* A response the client never asked for: a stream error on its
	 * own request stream, or a connection error, never a head. */
	pair(&c, &s);
	assert_int_equal(request(c, 0, "GET", "/", NULL, 0, 1), 0);
	pump(c, s);
	feed(c, 0, nopseudo, sizeof nopseudo, 1);
	assert_int_equal(c->heads[0], 0);
	assert_true(c->feed_rc == -1 || c->resets[0] == 1);
	side_free(c);
	side_free(s);
}

/* Streams that QUIC reset or freed leave nothing behind (ASan says so
 * at exit), on either side, at any point of their life. */
static void
test_reset_closed(void **state)
{
	struct side	*c, *s;
	int64_t		 id;
	int		 i;

	pair(&c, &s);
	for (i = 0; i < 40; i++) {
		id = (int64_t)i * 4;
		assert_int_equal(request(c, id, "POST", "/r", NULL, 0, 0), 0);
		c->src_left[id] = (size_t)(i % 5) * 70000 + 10;
		c->src_trailers[id] = 1;
		fill(c, id);
		if (i % 4 != 0)
			pump(c, s);
		switch (i % 4) {
		case 0:		/* the client gives up before any write */
			core_h3_stream_reset(c->h, id);
			assert_int_equal(core_h3_data(c->h, id, "x", 1, 1),
			    -1);
			core_h3_stream_closed(c->h, id, H3_REQUEST_CANCELLED);
			break;
		case 1:		/* the server resets it mid-body */
			assert_int_equal(s->heads[id], 1);
			core_h3_stream_reset(s->h, id);
			assert_int_equal(respond(s, id, 200, NULL, 0, 0), 0);
			assert_int_equal(core_h3_data(s->h, id, "x", 1, 1),
			    -1);
			core_h3_stream_reset(c->h, id);
			close_both(c, s, id);
			break;
		case 2:		/* half answered, then freed by QUIC */
			assert_int_equal(respond(s, id, 200, NULL, 0, 0), 0);
			assert_int_equal(core_h3_data(s->h, id, "half", 4, 0),
			    0);
			pump(c, s);
			assert_int_equal(c->heads[id], 1);
			close_both(c, s, id);
			break;
		default:	/* blocked output, queue full, then freed */
			c->blocking = 1;
			c->block_id = id;
			c->allow = 0;
			c->src_left[id] += LIMIT_H3_SEND_QUEUE;
			fill(c, id);
			pump(c, s);
			assert_true(core_h3_pending(c->h, id) > 0);
			core_h3_stream_reset(c->h, id);
			close_both(c, s, id);
			c->blocking = 0;
			core_h3_unblock(c->h, ANY);
			break;
		}
		pump(c, s);
		assert_int_equal(c->feed_rc, 0);
		assert_int_equal(s->feed_rc, 0);
	}
	/* Closing an unknown or already closed stream is harmless. */
	core_h3_stream_closed(c->h, 0, 0);
	core_h3_stream_closed(s->h, 996, 0);
	core_h3_stream_reset(s->h, 1000);
	core_h3_unblock(s->h, 1000);
	assert_int_equal(core_h3_pending(s->h, 1000), 0);
	/* Streams left open when the codec goes are freed with it. */
	assert_int_equal(request(c, 400, "POST", "/left", NULL, 0, 0), 0);
	assert_int_equal(core_h3_data(c->h, 400, "open", 4, 0), 0);
	pump(c, s);
	assert_int_equal(s->heads[400], 1);
	assert_int_equal(respond(s, 400, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h3_data(s->h, 400, "queued", 6, 0), 0);
	side_free(c);
	side_free(s);
}

/* What a proxy does: both streams closed from inside a callback. */
static struct side	*closer;

static void
close_on_head(void *arg, int64_t id, const struct h2_head *hd)
{
	struct side	*s = arg;

	on_head(arg, id, hd);
	core_h3_stream_reset(s->h, id);
	core_h3_stream_closed(s->h, id, H3_REQUEST_REJECTED);
	closer = s;
}

static void
test_close_in_callback(void **state)
{
	struct side	*c, *s;
	struct h3_cbs	 cb = {
		close_on_head, on_data, on_trailers, on_end, on_reset,
		on_writable, on_output, on_consume, on_stream_reset, NULL
	};
	char		*cause = NULL;
	int64_t		 id;

	c = side_new(0);
	s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->server = 1;
	s->qtail = &s->q;
	cb.arg = s;
	s->h = core_h3_new(1, &cb, 3, 7, 11, &cause);
	assert_non_null(s->h);
	pump(c, s);
	/* The head, the body and the fin in one feed: nghttp3 goes on
	 * reading the stream after on_head closed it. */
	s->merge = 1;
	for (id = 0; id < 40; id += 4) {
		assert_int_equal(request(c, id, "POST", "/x", NULL, 0, 0), 0);
		assert_int_equal(core_h3_data(c->h, id, "body", 4, 1), 0);
		closer = NULL;
		pump(c, s);
		assert_ptr_equal(closer, s);
		assert_int_equal(s->heads[id], 1);
		assert_int_equal(s->feed_rc, 0);
	}
	side_free(c);
	side_free(s);
}

static void
close_on_writable(void *arg, int64_t id)
{
	struct side	*s = arg;

	s->writable[idx(id)]++;
	core_h3_stream_reset(s->h, id);
	core_h3_stream_closed(s->h, id, H3_REQUEST_CANCELLED);
	closer = s;
}

/* on_writable comes from inside core_h3_flush (nghttp3 acknowledging
 * what QUIC took); the proxy may end the stream there. */
static void
test_close_in_writable(void **state)
{
	struct side	*c, *s;
	struct h3_cbs	 cb = {
		on_head, on_data, on_trailers, on_end, on_reset,
		close_on_writable, on_output, on_consume, on_stream_reset,
		NULL
	};
	char		*cause = NULL;
	int64_t		 id;

	c = side_new(0);
	s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->server = 1;
	s->qtail = &s->q;
	cb.arg = s;
	s->h = core_h3_new(1, &cb, 3, 7, 11, &cause);
	assert_non_null(s->h);
	pump(c, s);
	for (id = 0; id < 20; id += 4) {
		assert_int_equal(request(c, id, "GET", "/w", NULL, 0, 1), 0);
		pump(c, s);
		assert_int_equal(respond(s, id, 200, NULL, 0, 0), 0);
		s->src_left[id] = LIMIT_H3_SEND_QUEUE + 2 * PIECE;
		fill(s, id);
		closer = NULL;
		pump(c, s);
		assert_ptr_equal(closer, s);
		assert_int_equal(s->writable[id], 1);
		assert_int_equal(core_h3_pending(s->h, id), 0);
		assert_int_equal(s->feed_rc, 0);
		assert_int_equal(c->feed_rc, 0);
	}
	side_free(c);
	side_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post_trailers),
		cmocka_unit_test(test_interim),
		cmocka_unit_test(test_many_streams),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_qpack_blocked),
		cmocka_unit_test(test_bad_control),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_reset_closed),
		cmocka_unit_test(test_close_in_callback),
		cmocka_unit_test(test_close_in_writable),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
