/*
 * core_http_h2.c -- the HTTP/2 codec: a client codec and a server codec
 * wired to each other in memory, raw nghttp2 sessions as independent
 * peers, and hand-made frames for the floods and protocol errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <nghttp2/nghttp2.h>

#include "core/http/h2.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"

#define MAXID	1024
#define PIECE	(64 * 1024)

/* One codec and what it saw. */
struct side {
	struct h2	*h;
	const char	*name;
	struct buf	 out;		/* written, not yet delivered */
	struct buf	 log;		/* events as lines */
	struct buf	 body[MAXID];
	size_t		 held[MAXID];	/* received, not consumed */
	int32_t		 hold_id;	/* 0: consume at once; -1: hold all */
	int		 heads[MAXID];
	int		 status[MAXID];
	int		 ended[MAXID];
	int		 trailers[MAXID];
	int		 resets[MAXID];
	uint32_t	 reset_code[MAXID];
	int		 errors[MAXID];
	int		 nheads;
	int		 goaways;
	uint32_t	 goaway_code;
	int32_t		 goaway_last;
	int		 feed_rc;
	char		*feed_cause;
	/* A body source that refills on on_writable, as a proxy would. */
	size_t		 src_left[MAXID];
	size_t		 src_off[MAXID];
	size_t		 max_pending;
};

static unsigned char
pattern(int32_t id, size_t off)
{
	return ((unsigned char)(off * 31 + (size_t)id * 7));
}

static int32_t
idx(int32_t id)
{
	assert_true(id > 0 && id < MAXID);
	return (id);
}

static void
on_head(void *arg, int32_t id, const struct h2_head *hd)
{
	struct side	*s = arg;
	size_t		 i;

	s->heads[idx(id)]++;
	s->status[id] = hd->status;
	s->nheads++;
	core_buf_printf(&s->log, "head %d %s %s %s %s %d end=%d\n", id,
	    hd->method ? hd->method : "-", hd->scheme ? hd->scheme : "-",
	    hd->authority ? hd->authority : "-", hd->path ? hd->path : "-",
	    hd->status, hd->end_stream);
	for (i = 0; i < hd->nfields; i++)
		core_buf_printf(&s->log, "f %d %.*s=%.*s\n", id,
		    (int)hd->fields[i].name_len, hd->fields[i].name,
		    (int)hd->fields[i].value_len, hd->fields[i].value);
}

static void
on_data(void *arg, int32_t id, const char *p, size_t n)
{
	struct side	*s = arg;

	core_buf_append(&s->body[idx(id)], p, n);
	if (s->hold_id == -1 || s->hold_id == id)
		s->held[id] += n;
	else
		core_h2_consume(s->h, id, n);
}

static void
on_trailers(void *arg, int32_t id, const struct h2_field *f, size_t n)
{
	struct side	*s = arg;
	size_t		 i;

	s->trailers[idx(id)]++;
	for (i = 0; i < n; i++)
		core_buf_printf(&s->log, "t %d %.*s=%.*s\n", id,
		    (int)f[i].name_len, f[i].name, (int)f[i].value_len,
		    f[i].value);
}

static void
on_end(void *arg, int32_t id)
{
	struct side	*s = arg;

	s->ended[idx(id)]++;
	core_buf_printf(&s->log, "end %d\n", id);
}

static void
on_reset(void *arg, int32_t id, uint32_t code)
{
	struct side	*s = arg;

	s->resets[idx(id)]++;
	s->reset_code[id] = code;
	core_buf_printf(&s->log, "reset %d %u\n", id, code);
}

static void
on_stream_error(void *arg, int32_t id, const char *why)
{
	struct side	*s = arg;

	s->errors[idx(id)]++;
	core_buf_printf(&s->log, "error %d %s\n", id, why);
}

/* Queues body bytes until the queue is full; on_writable calls again. */
static void
fill(struct side *s, int32_t id)
{
	unsigned char	 piece[PIECE];
	size_t		 n, i, p;

	while (s->src_left[id] > 0 &&
	    core_h2_pending(s->h, id) < LIMIT_H2_SEND_QUEUE) {
		n = s->src_left[id] < PIECE ? s->src_left[id] : PIECE;
		for (i = 0; i < n; i++)
			piece[i] = pattern(id, s->src_off[id] + i);
		assert_int_equal(core_h2_data(s->h, id, (char *)piece, n,
		    n == s->src_left[id]), 0);
		s->src_left[id] -= n;
		s->src_off[id] += n;
		p = core_h2_pending(s->h, id);
		if (p > s->max_pending)
			s->max_pending = p;
	}
}

static void
on_writable(void *arg, int32_t id)
{
	struct side	*s = arg;

	core_buf_printf(&s->log, "writable %d\n", id);
	fill(s, idx(id));
}

static void
on_goaway(void *arg, uint32_t code, int32_t last)
{
	struct side	*s = arg;

	s->goaways++;
	s->goaway_code = code;
	s->goaway_last = last;
	core_buf_printf(&s->log, "goaway %u %d\n", code, last);
}

static void
on_output(void *arg, const char *p, size_t n)
{
	struct side	*s = arg;

	core_buf_append(&s->out, p, n);
}

static struct side *
side_new(int server)
{
	struct side	*s;
	struct h2_cbs	 cb = {
		on_head, on_data, on_trailers, on_end, on_reset,
		on_stream_error, on_writable, on_goaway, on_output, NULL
	};
	char		*cause = NULL;

	s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->name = server ? "server" : "client";
	cb.arg = s;
	s->h = core_h2_new(server, &cb, &cause);
	assert_non_null(s->h);
	assert_null(cause);
	return (s);
}

static void
side_free(struct side *s)
{
	size_t	i;

	core_h2_free(s->h);
	core_buf_free(&s->out);
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
bodytext(struct side *s, int32_t id)
{
	core_buf_append(&s->body[idx(id)], "", 1);
	s->body[id].len--;
	return (core_buf_head(&s->body[id]));
}

/* Flushes from until it has nothing more; returns the bytes it wrote. */
static size_t
drain(struct side *from)
{
	size_t	before = from->out.len;
	int	i;

	for (i = 0; i < 100000 && core_h2_flush(from->h) == 1; i++)
		;
	assert_int_not_equal(i, 100000);
	return (from->out.len - before);
}

/* Feeds to the codec, each time in a buffer of its exact size (ASan). */
static void
feed_bytes(struct side *to, const void *p, size_t n)
{
	char	*cause = NULL, *copy;
	int	 rc;

	if (n == 0 || to->feed_rc != 0)
		return;
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, p, n);
	rc = core_h2_feed(to->h, copy, n, &cause);
	free(copy);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(cause);
		to->feed_rc = rc;
		to->feed_cause = cause;
	} else
		assert_null(cause);
}

static void
deliver(struct side *from, struct side *to)
{
	feed_bytes(to, core_buf_head(&from->out), from->out.len);
	core_buf_consume(&from->out, from->out.len);
}

/* Moves bytes both ways until both sides are quiet. */
static void
pump(struct side *a, struct side *b)
{
	int	i;

	for (i = 0; i < 100000; i++) {
		if (drain(a) + drain(b) == 0 && a->out.len == 0 &&
		    b->out.len == 0)
			return;
		deliver(a, b);
		deliver(b, a);
	}
	fail_msg("pump did not settle");
}

static void
pair(struct side **c, struct side **s)
{
	*c = side_new(0);
	*s = side_new(1);
	pump(*c, *s);
}

static int32_t
request(struct side *c, const char *method, const char *path,
    const struct h2_field *f, size_t nf, int end)
{
	struct h2_head	 hd;
	char		*cause = NULL;
	int32_t		 id;

	memset(&hd, 0, sizeof hd);
	hd.method = method;
	hd.scheme = "https";
	hd.authority = "example.com";
	hd.path = path;
	hd.fields = f;
	hd.nfields = nf;
	hd.end_stream = end;
	id = core_h2_request(c->h, &hd, &cause);
	if (id < 0)
		free(cause);
	else
		assert_null(cause);
	return (id);
}

static int
respond(struct side *s, int32_t id, int status, const struct h2_field *f,
    size_t nf, int end)
{
	struct h2_head	hd;

	memset(&hd, 0, sizeof hd);
	hd.status = status;
	hd.fields = f;
	hd.nfields = nf;
	hd.end_stream = end;
	return (core_h2_respond(s->h, id, &hd));
}

static void
check_body(struct side *s, int32_t id, size_t len)
{
	const unsigned char	*p;
	size_t			 i;

	assert_int_equal(s->body[id].len, len);
	p = (const unsigned char *)core_buf_head(&s->body[id]);
	for (i = 0; i < len; i++)
		if (p[i] != pattern(id, i))
			fail_msg("stream %d: byte %zu differs", id, i);
}

#define F(n, v)	{ n, sizeof n - 1, v, sizeof v - 1 }

/* --- the tests --- */

static void
test_preface(void **state)
{
	const char	*p = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nxyz";

	assert_int_equal(core_h2_is_preface(p, 24), 1);
	assert_int_equal(core_h2_is_preface(p, 27), 1);
	assert_int_equal(core_h2_is_preface(p, 10), -2);
	assert_int_equal(core_h2_is_preface(p, 0), -2);
	assert_int_equal(core_h2_is_preface("PRI * HTTP/1.1", 14), 0);
	assert_int_equal(core_h2_is_preface("GET / HTTP/1.1\r\n", 16), 0);
}

static void
test_request_response(void **state)
{
	struct h2_field	 req[] = {
		F("User-Agent", "unit"),
		F("Connection", "keep-alive, X-Drop"),
		F("X-Drop", "1"),
		F("Transfer-Encoding", "chunked"),
		F("Keep-Alive", "300"),
		F("Upgrade", "h2c"),
		F("Proxy-Connection", "close"),
		F("TE", "trailers"),
		F("Cookie", "a=1"),
		F("cookie", "b=2"),
	};
	struct h2_field	 resp[] = { F("Content-Type", "text/plain") };
	struct side	*c, *s;
	const char	*l;
	int32_t		 id;
	size_t		 big = 100 * 1024;

	pair(&c, &s);
	id = request(c, "POST", "/up?q=1", req, 10, 0);
	assert_int_equal(id, 1);
	assert_int_equal(core_h2_data(c->h, id, "hello", 5, 1), 0);
	pump(c, s);

	assert_int_equal(s->heads[1], 1);
	assert_int_equal(s->ended[1], 1);
	assert_string_equal(bodytext(s, 1), "hello");
	l = logtext(s);
	assert_non_null(strstr(l,
	    "head 1 POST https example.com /up?q=1 0 end=0\n"
	    "f 1 user-agent=unit\n"
	    "f 1 te=trailers\n"
	    "f 1 cookie=a=1\n"
	    "f 1 cookie=b=2\n"));
	assert_null(strstr(l, "x-drop"));
	assert_null(strstr(l, "connection"));
	assert_null(strstr(l, "transfer-encoding"));

	assert_int_equal(respond(s, 1, 200, resp, 1, 0), 0);
	/* A second final head on the same stream is refused. */
	assert_int_equal(respond(s, 1, 200, NULL, 0, 0), -1);
	s->src_left[1] = big;
	fill(s, 1);
	pump(c, s);
	assert_int_equal(c->heads[1], 1);
	assert_int_equal(c->status[1], 200);
	assert_non_null(strstr(logtext(c), "f 1 content-type=text/plain\n"));
	check_body(c, 1, big);
	assert_int_equal(c->ended[1], 1);
	assert_int_equal(c->resets[1] + s->resets[1], 0);
	assert_int_equal(core_h2_active_streams(c->h), 0);
	assert_int_equal(core_h2_active_streams(s->h), 0);
	/* The stream is gone: data on it is refused. */
	assert_int_equal(core_h2_data(s->h, 1, "x", 1, 0), -1);
	assert_int_equal(core_h2_finished(c->h, NULL), 0);
	side_free(c);
	side_free(s);
}

static void
test_interim_and_bad_heads(void **state)
{
	struct h2_field	 link[] = { F("link", "</a.css>; rel=preload") };
	struct h2_field	 crlf[] = { F("x-evil", "a\r\nb: c") };
	struct side	*c, *s;
	int32_t		 id;

	pair(&c, &s);
	assert_int_equal(request(c, "GET", "/", crlf, 1, 1), -1);
	id = request(c, "GET", "/", NULL, 0, 1);
	pump(c, s);
	assert_int_equal(s->heads[id], 1);
	assert_int_equal(s->ended[id], 1);
	assert_int_equal(respond(s, id, 101, NULL, 0, 0), -1);
	assert_int_equal(respond(s, id, 103, link, 1, 0), 0);
	pump(c, s);
	assert_int_equal(c->heads[id], 1);
	assert_int_equal(c->status[id], 103);
	assert_int_equal(respond(s, id, 204, NULL, 0, 1), 0);
	pump(c, s);
	assert_int_equal(c->heads[id], 2);
	assert_int_equal(c->status[id], 204);
	assert_int_equal(c->ended[id], 1);
	assert_non_null(strstr(logtext(c), "head 1 - - - - 103 end=0\n"
	    "f 1 link=</a.css>; rel=preload\n"
	    "head 1 - - - - 204 end=1\n"));
	side_free(c);
	side_free(s);
}

static void
test_many_streams(void **state)
{
	struct side	*c, *s;
	int32_t		 ids[LIMIT_H2_STREAMS];
	char		 path[32];
	int		 i;

	pair(&c, &s);
	for (i = 0; i < LIMIT_H2_STREAMS; i++) {
		snprintf(path, sizeof path, "/%d", i);
		ids[i] = request(c, "GET", path, NULL, 0, 1);
		assert_true(ids[i] > 0);
	}
	/* The client codec refuses to queue more than the limit. */
	assert_int_equal(request(c, "GET", "/x", NULL, 0, 1), -1);
	pump(c, s);
	assert_int_equal(s->nheads, LIMIT_H2_STREAMS);
	assert_int_equal(core_h2_active_streams(s->h), LIMIT_H2_STREAMS);
	/* Answered in reverse, each with its own body. */
	for (i = LIMIT_H2_STREAMS - 1; i >= 0; i--) {
		assert_int_equal(respond(s, ids[i], 200, NULL, 0, 0), 0);
		s->src_left[ids[i]] = 1000 + (size_t)i * 997;
		fill(s, ids[i]);
	}
	pump(c, s);
	for (i = 0; i < LIMIT_H2_STREAMS; i++) {
		assert_int_equal(c->status[ids[i]], 200);
		check_body(c, ids[i], 1000 + (size_t)i * 997);
		assert_int_equal(c->ended[ids[i]], 1);
	}
	assert_int_equal(core_h2_active_streams(c->h), 0);
	assert_int_equal(core_h2_active_streams(s->h), 0);
	side_free(c);
	side_free(s);
}

static void
test_trailers_both_ways(void **state)
{
	struct h2_field	 req[] = {
		F("content-type", "application/grpc"), F("te", "trailers")
	};
	struct h2_field	 ctr[] = { F("X-Client-Sum", "42") };
	struct h2_field	 str[] = {
		F("grpc-status", "0"), F("grpc-message", "OK"),
		F("connection", "close")
	};
	struct h2_field	 resp[] = { F("content-type", "application/grpc") };
	struct side	*c, *s;
	const char	*l;
	int32_t		 id;

	pair(&c, &s);
	id = request(c, "POST", "/pkg.Svc/Call", req, 2, 0);
	assert_int_equal(core_h2_data(c->h, id, "\0\0\0\0\2\x08\x01", 7, 0),
	    0);
	assert_int_equal(core_h2_trailers(c->h, id, ctr, 1), 0);
	/* The stream has ended: no more data or trailers. */
	assert_int_equal(core_h2_data(c->h, id, "x", 1, 0), -1);
	assert_int_equal(core_h2_trailers(c->h, id, ctr, 1), -1);
	pump(c, s);
	assert_int_equal(s->body[id].len, 7);
	assert_int_equal(s->trailers[id], 1);
	assert_int_equal(s->ended[id], 1);
	assert_non_null(strstr(logtext(s), "t 1 x-client-sum=42\nend 1\n"));

	assert_int_equal(respond(s, id, 200, resp, 1, 0), 0);
	assert_int_equal(core_h2_data(s->h, id, "\0\0\0\0\0", 5, 0), 0);
	assert_int_equal(core_h2_trailers(s->h, id, str, 3), 0);
	pump(c, s);
	l = logtext(c);
	assert_non_null(strstr(l, "t 1 grpc-status=0\nt 1 grpc-message=OK\n"
	    "end 1\n"));
	assert_null(strstr(l, "connection"));
	assert_int_equal(c->trailers[id], 1);
	assert_int_equal(c->body[id].len, 5);
	assert_int_equal(c->resets[id] + s->resets[id], 0);
	side_free(c);
	side_free(s);
}

static void
test_reset_both_ways(void **state)
{
	struct side	*c, *s;
	int32_t		 a, b;

	pair(&c, &s);
	a = request(c, "POST", "/a", NULL, 0, 0);
	b = request(c, "GET", "/b", NULL, 0, 1);
	assert_int_equal(core_h2_data(c->h, a, "part", 4, 0), 0);
	pump(c, s);
	assert_int_equal(s->heads[a], 1);
	assert_int_equal(s->heads[b], 1);

	/* Client resets a: the server hears it, the client does not. */
	core_h2_reset(c->h, a, H2_CANCEL);
	assert_int_equal(core_h2_data(c->h, a, "more", 4, 0), -1);
	pump(c, s);
	assert_int_equal(s->resets[a], 1);
	assert_int_equal(s->reset_code[a], H2_CANCEL);
	assert_int_equal(c->resets[a], 0);
	assert_int_equal(core_h2_respond(s->h, a, &(struct h2_head){
	    .status = 200 }), -1);

	/* Server resets b after starting a response. */
	assert_int_equal(respond(s, b, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h2_data(s->h, b, "xx", 2, 0), 0);
	pump(c, s);
	core_h2_reset(s->h, b, H2_INTERNAL_ERROR);
	pump(c, s);
	assert_int_equal(c->resets[b], 1);
	assert_int_equal(c->reset_code[b], H2_INTERNAL_ERROR);
	assert_int_equal(c->ended[b], 0);
	assert_int_equal(s->resets[b], 0);
	assert_int_equal(core_h2_active_streams(c->h), 0);
	assert_int_equal(core_h2_active_streams(s->h), 0);
	side_free(c);
	side_free(s);
}

static void
test_goaway(void **state)
{
	struct side	*c, *s;
	const char	*why = "x";
	int32_t		 a, late;

	pair(&c, &s);
	a = request(c, "GET", "/a", NULL, 0, 1);
	pump(c, s);
	/* GOAWAY crosses a request the server never processed. */
	core_h2_goaway(s->h, H2_NO_ERROR);
	drain(s);
	late = request(c, "GET", "/late", NULL, 0, 1);
	drain(c);
	deliver(c, s);
	deliver(s, c);
	pump(c, s);
	assert_int_equal(c->goaways, 1);
	assert_int_equal(c->goaway_code, H2_NO_ERROR);
	assert_int_equal(c->goaway_last, a);
	assert_int_equal(s->heads[late], 0);
	assert_int_equal(c->resets[late], 1);
	assert_int_equal(c->reset_code[late], H2_REFUSED_STREAM);
	assert_int_equal(request(c, "GET", "/no", NULL, 0, 1), -1);

	/* The open stream still completes, then both sides are done. */
	assert_int_equal(core_h2_finished(s->h, NULL), 0);
	assert_int_equal(respond(s, a, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h2_data(s->h, a, "bye", 3, 1), 0);
	pump(c, s);
	assert_string_equal(bodytext(c, a), "bye");
	assert_int_equal(c->ended[a], 1);
	assert_int_equal(core_h2_finished(c->h, &why), 1);
	assert_null(why);
	why = "x";
	assert_int_equal(core_h2_finished(s->h, &why), 1);
	assert_null(why);
	side_free(c);
	side_free(s);

	/* An error GOAWAY from the client ends the server too. */
	pair(&c, &s);
	core_h2_goaway(c->h, H2_PROTOCOL_ERROR);
	pump(c, s);
	assert_int_equal(s->goaways, 1);
	assert_int_equal(s->goaway_code, H2_PROTOCOL_ERROR);
	assert_int_equal(core_h2_finished(c->h, NULL), 1);
	side_free(c);
	side_free(s);
}

static void
test_flow_control(void **state)
{
	struct side	*c, *s;
	int32_t		 a, b;
	size_t		 abig = 3 * (size_t)LIMIT_H2_STREAM_WINDOW;
	size_t		 bbig = 2 * (size_t)LIMIT_H2_STREAM_WINDOW;

	pair(&c, &s);
	a = request(c, "GET", "/slow", NULL, 0, 1);
	b = request(c, "GET", "/fast", NULL, 0, 1);
	c->hold_id = a;		/* nobody reads a */
	pump(c, s);
	assert_int_equal(respond(s, a, 200, NULL, 0, 0), 0);
	assert_int_equal(respond(s, b, 200, NULL, 0, 0), 0);
	s->src_left[a] = abig;
	s->src_left[b] = bbig;
	fill(s, a);
	fill(s, b);
	pump(c, s);

	/* b went through in full while a sits on its window. */
	check_body(c, b, bbig);
	assert_int_equal(c->ended[b], 1);
	assert_int_equal(c->held[a], c->body[a].len);
	assert_true(c->held[a] > 0);
	assert_true(c->held[a] <= LIMIT_H2_STREAM_WINDOW);
	assert_int_equal(c->ended[a], 0);
	/* The sender's memory for a stays bounded by its queue cap. */
	assert_true(core_h2_pending(s->h, a) > 0);
	assert_true(s->max_pending < LIMIT_H2_SEND_QUEUE + PIECE);
	assert_true(s->src_left[a] > 0);

	/* Reading a opens its window: it completes. */
	c->hold_id = 0;
	core_h2_consume(c->h, a, c->held[a]);
	c->held[a] = 0;
	pump(c, s);
	check_body(c, a, abig);
	assert_int_equal(c->ended[a], 1);
	assert_true(s->max_pending < LIMIT_H2_SEND_QUEUE + PIECE);
	assert_non_null(strstr(logtext(s), "writable 1\n"));
	side_free(c);
	side_free(s);
}

static void
test_rapid_reset(void **state)
{
	struct side	*c, *s;
	const char	*why = NULL;
	int32_t		 id;
	int		 i;

	pair(&c, &s);
	for (i = 0; i < 3 * LIMIT_H2_RAPID_RESET && s->feed_rc == 0; i++) {
		id = request(c, "GET", "/", NULL, 0, 1);
		assert_true(id > 0);
		drain(c);
		deliver(c, s);
		core_h2_reset(c->h, id, H2_CANCEL);
		drain(c);
		deliver(c, s);
		drain(s);
		deliver(s, c);
	}
	assert_int_equal(s->feed_rc, -1);
	assert_non_null(strstr(s->feed_cause, "rapid reset flood"));
	assert_true(s->nheads <= LIMIT_H2_RAPID_RESET + 1);
	pump(c, s);
	assert_int_equal(c->goaways, 1);
	assert_int_equal(c->goaway_code, H2_ENHANCE_YOUR_CALM);
	assert_int_equal(core_h2_finished(s->h, &why), 1);
	assert_non_null(why);
	assert_non_null(strstr(why, "rapid reset"));
	side_free(c);
	side_free(s);
}

/* A client that cancels as often as it completes is not cut off. */
static void
test_reset_with_completions(void **state)
{
	struct side	*c, *s;
	int32_t		 a, b;
	int		 i;

	pair(&c, &s);
	for (i = 0; i < 3 * LIMIT_H2_RAPID_RESET; i++) {
		a = request(c, "GET", "/done", NULL, 0, 1);
		b = request(c, "GET", "/cancel", NULL, 0, 1);
		pump(c, s);
		assert_int_equal(respond(s, a, 204, NULL, 0, 1), 0);
		core_h2_reset(c->h, b, H2_CANCEL);
		pump(c, s);
		assert_int_equal(c->ended[a % MAXID], 1);
		c->ended[a % MAXID] = 0;
		if (b + 2 >= MAXID)
			break;
	}
	assert_int_equal(s->feed_rc, 0);
	assert_int_equal(c->goaways, 0);
	side_free(c);
	side_free(s);
}

/* --- raw frames --- */

static void
frame(struct buf *b, int type, int flags, int32_t id, const void *p,
    size_t n)
{
	unsigned char	hd[9];

	hd[0] = (n >> 16) & 0xff;
	hd[1] = (n >> 8) & 0xff;
	hd[2] = n & 0xff;
	hd[3] = type;
	hd[4] = flags;
	hd[5] = (id >> 24) & 0x7f;
	hd[6] = (id >> 16) & 0xff;
	hd[7] = (id >> 8) & 0xff;
	hd[8] = id & 0xff;
	core_buf_append(b, hd, 9);
	core_buf_append(b, p, n);
}

/* :method GET, :scheme https, :path /, :authority example.com, static
 * table references and a literal without indexing: no HPACK state. */
static const char	get_block[] = "\x82\x87\x84\x01\x0b" "example.com";
#define GET_BLOCK_LEN	(sizeof get_block - 1)

static void
preface(struct buf *b)
{
	core_buf_append(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	frame(b, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
}

/* Finds frame type in the bytes; returns its payload or NULL. */
static const unsigned char *
find_frame(const struct buf *b, int type, int32_t id, size_t *len)
{
	const unsigned char	*p = (const unsigned char *)core_buf_head(b);
	size_t			 off = 0, n;
	int32_t			 fid;

	if (b->len >= 24 && memcmp(p, "PRI * HTTP/2.0", 14) == 0)
		off = 24;
	while (off + 9 <= b->len) {
		n = (size_t)p[off] << 16 | p[off + 1] << 8 | p[off + 2];
		fid = (int32_t)((p[off + 5] & 0x7f) << 24 | p[off + 6] << 16 |
		    p[off + 7] << 8 | p[off + 8]);
		if (p[off + 3] == type && fid == id) {
			*len = n;
			return (p + off + 9);
		}
		off += 9 + n;
	}
	return (NULL);
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
}

static uint32_t
goaway_code(struct side *s)
{
	const unsigned char	*p;
	size_t			 n;

	p = find_frame(&s->out, NGHTTP2_GOAWAY, 0, &n);
	assert_non_null(p);
	assert_true(n >= 8);
	return (be32(p + 4));
}

static void
feed_raw(struct side *s, struct buf *b)
{
	feed_bytes(s, core_buf_head(b), b->len);
	core_buf_consume(b, b->len);
}

static void
test_bad_preface(void **state)
{
	struct side	*s = side_new(1);
	struct buf	 b = { 0 };
	const char	*why = NULL;

	core_buf_append(&b, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27);
	feed_raw(s, &b);
	assert_int_equal(s->feed_rc, -1);
	assert_non_null(strstr(s->feed_cause, "preface"));
	core_buf_consume(&s->out, s->out.len);
	drain(s);
	assert_int_equal(goaway_code(s), H2_PROTOCOL_ERROR);
	assert_int_equal(core_h2_finished(s->h, &why), 1);
	assert_non_null(strstr(why, "preface"));
	core_buf_free(&b);
	side_free(s);
}

static void
test_protocol_error(void **state)
{
	struct side	*s = side_new(1);
	struct buf	 b = { 0 };
	const char	*why = NULL;

	preface(&b);
	frame(&b, NGHTTP2_DATA, 0, 0, "x", 1);	/* DATA on stream 0 */
	feed_raw(s, &b);
	assert_int_equal(s->feed_rc, 0);
	assert_int_equal(core_h2_finished(s->h, NULL), 0);
	drain(s);
	assert_int_equal(goaway_code(s), H2_PROTOCOL_ERROR);
	assert_int_equal(core_h2_finished(s->h, &why), 1);
	assert_non_null(why);
	assert_non_null(strstr(why, "PROTOCOL_ERROR"));
	core_buf_free(&b);
	side_free(s);
}

static void
test_continuation_flood(void **state)
{
	struct side	*s = side_new(1);
	struct buf	 b = { 0 };
	const char	*why = NULL;
	int		 i;

	preface(&b);
	/* HEADERS without END_HEADERS, then CONTINUATIONs that never end. */
	frame(&b, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, get_block,
	    GET_BLOCK_LEN);
	for (i = 0; i < 3 * LIMIT_H2_CONTINUATIONS; i++)
		frame(&b, NGHTTP2_CONTINUATION, 0, 1, "\x40\x01x\x01y", 5);
	feed_raw(s, &b);
	assert_int_equal(s->feed_rc, -1);
	assert_non_null(strstr(s->feed_cause, "CONTINUATION flood"));
	assert_int_equal(s->nheads, 0);
	core_buf_consume(&s->out, s->out.len);
	drain(s);
	assert_int_equal(goaway_code(s), H2_ENHANCE_YOUR_CALM);
	assert_int_equal(core_h2_finished(s->h, &why), 1);
	assert_non_null(strstr(why, "CONTINUATION"));
	/* Dead: everything else fails quietly. */
	assert_int_equal(core_h2_data(s->h, 1, "x", 1, 0), -1);
	core_h2_reset(s->h, 1, 0);
	core_buf_free(&b);
	side_free(s);
}

static void
test_empty_frame_flood(void **state)
{
	struct side	*s = side_new(1);
	struct buf	 b = { 0 };
	int		 i;

	preface(&b);
	frame(&b, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, get_block,
	    GET_BLOCK_LEN);
	for (i = 0; i < 2 * LIMIT_H2_EMPTY_FRAMES; i++)
		frame(&b, NGHTTP2_DATA, 0, 1, NULL, 0);
	feed_raw(s, &b);
	assert_int_equal(s->nheads, 1);
	assert_int_equal(s->feed_rc, -1);
	assert_non_null(strstr(s->feed_cause, "empty frame flood"));
	drain(s);
	assert_int_equal(goaway_code(s), H2_ENHANCE_YOUR_CALM);
	core_buf_free(&b);
	side_free(s);
}

/* --- raw nghttp2 as the independent peer --- */

struct raw {
	nghttp2_session	*s;
	struct buf	 log;
	struct buf	 body;
	const char	*send;		/* request body to serve */
	size_t		 send_len;
	int		 closed;
	uint32_t	 close_code;
	uint32_t	 goaway_code;
	int		 goaways;
};

static ssize_t
raw_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct raw	*r = arg;
	size_t		 n = r->send_len < len ? r->send_len : len;

	memcpy(buf, r->send, n);
	r->send += n;
	r->send_len -= n;
	if (r->send_len == 0)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return ((ssize_t)n);
}

static int
raw_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *n,
    size_t nl, const uint8_t *v, size_t vl, uint8_t flags, void *arg)
{
	struct raw	*r = arg;

	core_buf_printf(&r->log, "%d %.*s: %.*s\n", f->hd.stream_id, (int)nl,
	    n, (int)vl, v);
	return (0);
}

static int
raw_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *d,
    size_t n, void *arg)
{
	struct raw	*r = arg;

	core_buf_append(&r->body, d, n);
	return (0);
}

static int
raw_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct raw	*r = arg;

	r->closed++;
	r->close_code = code;
	return (0);
}

static int
raw_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct raw	*r = arg;

	if (f->hd.type == NGHTTP2_GOAWAY) {
		r->goaways++;
		r->goaway_code = f->goaway.error_code;
	}
	return (0);
}

/* big: the peer may send header blocks far past nghttp2's 64 KiB. */
static struct raw *
raw_new(int server, int big)
{
	nghttp2_session_callbacks	*cb;
	nghttp2_option			*opt;
	struct raw			*r;

	r = calloc(1, sizeof *r);
	assert_non_null(r);
	assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
	nghttp2_session_callbacks_set_on_header_callback(cb, raw_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
	    raw_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, raw_close);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, raw_frame);
	assert_int_equal(nghttp2_option_new(&opt), 0);
	if (big)
		nghttp2_option_set_max_send_header_block_length(opt,
		    1024 * 1024);
	if (server)
		assert_int_equal(nghttp2_session_server_new2(&r->s, cb, r,
		    opt), 0);
	else
		assert_int_equal(nghttp2_session_client_new2(&r->s, cb, r,
		    opt), 0);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return (r);
}

static void
raw_free(struct raw *r)
{
	nghttp2_session_del(r->s);
	core_buf_free(&r->log);
	core_buf_free(&r->body);
	free(r);
}

static const char *
rawlog(struct raw *r)
{
	core_buf_append(&r->log, "", 1);
	r->log.len--;
	return (core_buf_head(&r->log));
}

/* Moves bytes between a codec and a raw session until both are quiet. */
static void
pump_raw(struct side *x, struct raw *r)
{
	const uint8_t	*p;
	ssize_t		 n;
	int		 i, moved;

	for (i = 0; i < 10000; i++) {
		moved = 0;
		drain(x);
		if (x->out.len > 0) {
			assert_int_equal(nghttp2_session_mem_recv(r->s,
			    (const uint8_t *)core_buf_head(&x->out),
			    x->out.len), (ssize_t)x->out.len);
			core_buf_consume(&x->out, x->out.len);
			moved = 1;
		}
		while ((n = nghttp2_session_mem_send(r->s, &p)) > 0) {
			feed_bytes(x, p, (size_t)n);
			moved = 1;
		}
		assert_true(n == 0);
		if (!moved)
			return;
	}
	fail_msg("pump_raw did not settle");
}

/*
 * An HPACK bomb: 100 copies of a 1000-byte field cost one literal and 99
 * one-byte indices on the wire but 100 KiB as a header list. nghttp2
 * (raised past its own 64 KiB send cap) is the peer in both directions.
 */
static void
test_header_list_cap(void **state)
{
	nghttp2_nv	 req[104], resp[101];
	static char	 v[1000];
	struct raw	*r;
	struct side	*c, *s;
	int32_t		 id, ok;
	size_t		 i;

	memset(v, 'a', sizeof v);
	assert_true(100 * (5 + sizeof v + 32) > LIMIT_H2_HEADER_LIST);
	req[0] = (nghttp2_nv){ (uint8_t *)":method", (uint8_t *)"GET", 7, 3,
	    0 };
	req[1] = (nghttp2_nv){ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4,
	    0 };
	req[2] = (nghttp2_nv){ (uint8_t *)":authority", (uint8_t *)"a.test",
	    10, 6, 0 };
	req[3] = (nghttp2_nv){ (uint8_t *)":path", (uint8_t *)"/", 5, 1, 0 };
	resp[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)"200", 7, 3,
	    0 };
	for (i = 0; i < 100; i++)
		req[4 + i] = resp[1 + i] = (nghttp2_nv){ (uint8_t *)"x-big",
		    (uint8_t *)v, 5, sizeof v, 0 };

	/* A request over the cap: refused, the connection goes on. */
	r = raw_new(0, 1);
	s = side_new(1);
	assert_int_equal(nghttp2_submit_settings(r->s, 0, NULL, 0), 0);
	id = nghttp2_submit_request(r->s, NULL, req, 104, NULL, NULL);
	assert_int_equal(id, 1);
	pump_raw(s, r);
	assert_int_equal(s->nheads, 0);
	assert_int_equal(s->errors[id], 1);
	assert_non_null(strstr(logtext(s), "header list over 65536 bytes"));
	assert_int_equal(r->closed, 1);
	assert_int_equal(r->close_code, H2_ENHANCE_YOUR_CALM);
	ok = nghttp2_submit_request(r->s, NULL, req, 4, NULL, NULL);
	pump_raw(s, r);
	assert_int_equal(s->heads[ok], 1);
	assert_int_equal(s->feed_rc, 0);
	assert_int_equal(core_h2_finished(s->h, NULL), 0);
	raw_free(r);
	side_free(s);

	/* A response over the cap: the client codec refuses it. */
	r = raw_new(1, 1);
	c = side_new(0);
	assert_int_equal(nghttp2_submit_settings(r->s, 0, NULL, 0), 0);
	id = request(c, "GET", "/", NULL, 0, 1);
	pump_raw(c, r);
	assert_int_equal(nghttp2_submit_response(r->s, id, resp, 101, NULL),
	    0);
	pump_raw(c, r);
	assert_int_equal(c->heads[id], 0);
	assert_int_equal(c->errors[id], 1);
	assert_int_equal(c->resets[id], 1);
	assert_int_equal(c->reset_code[id], H2_ENHANCE_YOUR_CALM);
	assert_int_equal(c->feed_rc, 0);
	raw_free(r);
	side_free(c);

	/* The codec's own sends past nghttp2's cap fail on the stream. */
	{
		struct h2_field	big[100];

		for (i = 0; i < 100; i++)
			big[i] = (struct h2_field){ "x-big", 5, v, sizeof v };
		pair(&c, &s);
		id = request(c, "GET", "/", big, 100, 1);
		pump(c, s);
		assert_int_equal(s->nheads, 0);
		assert_int_equal(c->errors[id], 1);
		assert_int_equal(c->resets[id], 1);
		assert_int_equal(c->reset_code[id], H2_INTERNAL_ERROR);
		side_free(c);
		side_free(s);
	}
}

/* nghttp2's own client, unaltered, against the server codec. */
static void
test_raw_client(void **state)
{
	nghttp2_nv	 nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"h2.test", 10, 7, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/svc/M", 5, 6, 0 },
		{ (uint8_t *)"content-type", (uint8_t *)"application/grpc",
		    12, 16, 0 },
		{ (uint8_t *)"te", (uint8_t *)"trailers", 2, 8, 0 },
	};
	struct h2_field	 resp[] = { F("content-type", "application/grpc") };
	struct h2_field	 tr[] = { F("grpc-status", "0") };
	nghttp2_data_provider prd;
	struct raw	*r = raw_new(0, 0);
	struct side	*s = side_new(1);
	int32_t		 id;

	r->send = "ping-body";
	r->send_len = 9;
	prd.source.ptr = NULL;
	prd.read_callback = raw_read;
	assert_int_equal(nghttp2_submit_settings(r->s, 0, NULL, 0), 0);
	id = nghttp2_submit_request(r->s, NULL, nv, 6, &prd, NULL);
	assert_int_equal(id, 1);
	pump_raw(s, r);
	assert_non_null(strstr(logtext(s),
	    "head 1 POST http h2.test /svc/M 0 end=0\n"
	    "f 1 content-type=application/grpc\nf 1 te=trailers\n"));
	assert_string_equal(bodytext(s, 1), "ping-body");
	assert_int_equal(s->ended[1], 1);
	/* The codec's SETTINGS reached nghttp2 as sent. */
	assert_int_equal(nghttp2_session_get_remote_settings(r->s,
	    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), LIMIT_H2_STREAMS);
	assert_int_equal(nghttp2_session_get_remote_settings(r->s,
	    NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE), LIMIT_H2_STREAM_WINDOW);
	assert_int_equal(nghttp2_session_get_remote_settings(r->s,
	    NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE), LIMIT_H2_HEADER_LIST);
	/* The connection window, less the body the client sent. */
	assert_int_equal(nghttp2_session_get_remote_window_size(r->s),
	    LIMIT_H2_CONN_WINDOW - 9);

	assert_int_equal(respond(s, 1, 200, resp, 1, 0), 0);
	assert_int_equal(core_h2_data(s->h, 1, "pong", 4, 0), 0);
	assert_int_equal(core_h2_trailers(s->h, 1, tr, 1), 0);
	pump_raw(s, r);
	assert_string_equal(rawlog(r), "1 :status: 200\n"
	    "1 content-type: application/grpc\n1 grpc-status: 0\n");
	assert_int_equal(r->body.len, 4);
	assert_memory_equal(core_buf_head(&r->body), "pong", 4);
	assert_int_equal(r->closed, 1);
	assert_int_equal(r->close_code, 0);
	assert_int_equal(s->resets[1], 0);
	raw_free(r);
	side_free(s);
}

static void
b64url_encode(const uint8_t *p, size_t n, char *out)
{
	static const char	*a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t		 acc = 0;
	size_t			 i, o = 0;
	int			 bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = a[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = a[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
}

/* h2c by Upgrade: nghttp2's client upgrades, the server codec answers. */
static void
test_upgrade(void **state)
{
	nghttp2_settings_entry	 iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20 },
	};
	struct raw		*r = raw_new(0, 0);
	struct side		*s = side_new(1);
	struct side		*bad = side_new(1);
	uint8_t			 payload[64];
	char			 b64[128];
	ssize_t			 n;

	n = nghttp2_pack_settings_payload(payload, sizeof payload, iv, 2);
	assert_int_equal(n, 12);
	b64url_encode(payload, (size_t)n, b64);
	assert_int_equal(core_h2_upgrade(bad->h, "!!!", 3, 0), -1);
	assert_int_equal(core_h2_upgrade(bad->h, b64, strlen(b64) - 1, 0),
	    -1);

	assert_int_equal(core_h2_upgrade(s->h, b64, strlen(b64), 0), 0);
	assert_int_equal(core_h2_upgrade(s->h, b64, strlen(b64), 0), -1);
	assert_int_equal(core_h2_active_streams(s->h), 1);
	assert_int_equal(nghttp2_session_upgrade2(r->s, payload, (size_t)n,
	    0, NULL), 0);
	assert_int_equal(respond(s, 1, 200, NULL, 0, 0), 0);
	assert_int_equal(core_h2_data(s->h, 1, "upgraded", 8, 1), 0);
	pump_raw(s, r);
	assert_int_equal(s->nheads, 0);	/* the request came as HTTP/1 */
	assert_string_equal(rawlog(r), "1 :status: 200\n");
	assert_int_equal(r->body.len, 8);
	assert_int_equal(r->closed, 1);
	assert_int_equal(r->close_code, 0);
	assert_int_equal(core_h2_active_streams(s->h), 0);
	/* The client's settings from HTTP2-Settings were applied. */
	assert_int_equal(s->feed_rc, 0);
	raw_free(r);
	side_free(s);
	side_free(bad);
}

/* Push, against nghttp2's own server: disabled, and refused if sent. */
static void
test_push_refused(void **state)
{
	struct raw	*r = raw_new(1, 0);
	struct side	*c = side_new(0);
	struct buf	 b = { 0 };
	const char	*why = NULL;
	unsigned char	 pp[4 + GET_BLOCK_LEN];
	const unsigned char *rst;
	size_t		 n;
	int32_t		 id;

	assert_int_equal(nghttp2_submit_settings(r->s, 0, NULL, 0), 0);
	id = request(c, "GET", "/", NULL, 0, 1);
	pump_raw(c, r);
	assert_int_equal(nghttp2_session_get_remote_settings(r->s,
	    NGHTTP2_SETTINGS_ENABLE_PUSH), 0);

	/* A PUSH_PROMISE all the same, after the SETTINGS were acked. */
	memcpy(pp, "\0\0\0\2", 4);
	memcpy(pp + 4, get_block, GET_BLOCK_LEN);
	frame(&b, NGHTTP2_PUSH_PROMISE, NGHTTP2_FLAG_END_HEADERS, id, pp,
	    sizeof pp);
	feed_raw(c, &b);
	pump_raw(c, r);
	assert_int_equal(c->heads[2], 0);
	assert_int_equal(r->goaways, 1);
	assert_int_equal(r->goaway_code, NGHTTP2_PROTOCOL_ERROR);
	assert_int_equal(core_h2_finished(c->h, &why), 1);
	assert_non_null(why);
	assert_non_null(strstr(why, "push"));
	raw_free(r);
	side_free(c);

	/* Before the ack: the promised stream is cancelled, nothing else. */
	c = side_new(0);
	id = request(c, "GET", "/", NULL, 0, 1);
	drain(c);
	core_buf_consume(&c->out, c->out.len);
	frame(&b, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
	frame(&b, NGHTTP2_PUSH_PROMISE, NGHTTP2_FLAG_END_HEADERS, id, pp,
	    sizeof pp);
	feed_raw(c, &b);
	drain(c);
	rst = find_frame(&c->out, NGHTTP2_RST_STREAM, 2, &n);
	assert_non_null(rst);
	assert_int_equal(n, 4);
	assert_int_equal(be32(rst), H2_CANCEL);
	assert_int_equal(c->heads[2], 0);
	assert_int_equal(c->feed_rc, 0);
	assert_int_equal(core_h2_finished(c->h, NULL), 0);
	core_buf_free(&b);
	side_free(c);
}

/* nghttp2 checks :status for three digits only; the codec wants >= 100. */
static void
test_bad_status(void **state)
{
	nghttp2_nv	 resp[] = {
		{ (uint8_t *)":status", (uint8_t *)"051", 7, 3, 0 },
	};
	struct raw	*r = raw_new(1, 0);
	struct side	*c = side_new(0);
	int32_t		 id;

	assert_int_equal(nghttp2_submit_settings(r->s, 0, NULL, 0), 0);
	id = request(c, "GET", "/", NULL, 0, 1);
	pump_raw(c, r);
	assert_int_equal(nghttp2_submit_response(r->s, id, resp, 1, NULL), 0);
	pump_raw(c, r);
	assert_int_equal(c->heads[id], 0);
	assert_non_null(strstr(logtext(c), "error 1 malformed :status\n"));
	assert_int_equal(c->resets[id], 1);
	assert_int_equal(c->reset_code[id], H2_PROTOCOL_ERROR);
	raw_free(r);
	side_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preface),
		cmocka_unit_test(test_request_response),
		cmocka_unit_test(test_interim_and_bad_heads),
		cmocka_unit_test(test_many_streams),
		cmocka_unit_test(test_trailers_both_ways),
		cmocka_unit_test(test_reset_both_ways),
		cmocka_unit_test(test_goaway),
		cmocka_unit_test(test_flow_control),
		cmocka_unit_test(test_header_list_cap),
		cmocka_unit_test(test_rapid_reset),
		cmocka_unit_test(test_reset_with_completions),
		cmocka_unit_test(test_bad_preface),
		cmocka_unit_test(test_protocol_error),
		cmocka_unit_test(test_continuation_flood),
		cmocka_unit_test(test_empty_frame_flood),
		cmocka_unit_test(test_raw_client),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_push_refused),
		cmocka_unit_test(test_bad_status),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
