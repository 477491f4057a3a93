/*
 * sockstream.c -- struct stream over a non-blocking kernel socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"

struct sockstream {
	struct stream	 s;
	struct loop	*loop;
	int		 fd;
	struct buf	 out;
	int		 paused;
	int		 eof;		/* peer sent FIN */
	int		 shut;		/* shutdown requested */
	int		 shut_done;
	int		 closing;	/* owner let go: flush, then free */
	int		 dead;		/* error: no more callbacks */
	int		 busy;		/* inside our own event handler */
	int		 freed_later;
	char		 errmsg[128];
	int		 err_pending;
	int		 drain_pending;	/* owner waits for on_drain */
};

static void	update(struct sockstream *);

static void
destroy(struct sockstream *ss)
{
	if (ss->busy) {
		ss->freed_later = 1;
		return;
	}
	if (ss->fd != -1) {
		core_loop_del(ss->loop, ss->fd);
		close(ss->fd);
		ss->fd = -1;
	}
	core_buf_free(&ss->out);
	free(ss);
}

static void
fail(struct sockstream *ss, const char *what, int err)
{
	if (ss->dead)
		return;
	ss->dead = 1;
	if (err == ECONNRESET || err == EPIPE)
		snprintf(ss->errmsg, sizeof ss->errmsg, "connection reset by peer");
	else
		snprintf(ss->errmsg, sizeof ss->errmsg, "%s: %s", what,
		    strerror(err));
	core_buf_free(&ss->out);
	if (ss->closing) {
		destroy(ss);
		return;
	}
	ss->err_pending = 1;
	update(ss);
}

/* Sends what is queued; returns -1 after a fatal error. */
static int
flush(struct sockstream *ss)
{
	while (ss->out.len > 0) {
		ssize_t n = send(ss->fd, core_buf_head(&ss->out), ss->out.len,
		    MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			fail(ss, "send", errno);
			return -1;
		}
		core_buf_consume(&ss->out, (size_t)n);
	}
	if (ss->shut && !ss->shut_done) {
		shutdown(ss->fd, SHUT_WR);
		ss->shut_done = 1;
	}
	return 0;
}

static void
on_io(int fd, int events, void *arg)
{
	struct sockstream *ss = arg;
	char buf[LIMIT_READ_CHUNK];
	int rounds;

	ss->busy++;
	if (ss->err_pending) {
		ss->err_pending = 0;
		if (!ss->closing && ss->s.cbs.on_error != NULL)
			ss->s.cbs.on_error(ss->s.cbs.arg, ss->errmsg);
		goto out;
	}
	if ((events & LOOP_WRITE) && !ss->dead) {
		if (flush(ss) == -1)
			goto out;
		if (ss->out.len == 0 && ss->closing) {
			ss->busy--;
			destroy(ss);
			return;
		}
		if (ss->out.len == 0 && ss->drain_pending && !ss->closing) {
			ss->drain_pending = 0;
			if (ss->s.cbs.on_drain != NULL)
				ss->s.cbs.on_drain(ss->s.cbs.arg);
		}
	}
	/* Gone while nobody reads (paused, or past its FIN): a reset is the
	 * owner's to hear now, not when it next reads. */
	if ((events & LOOP_HUP) && (ss->paused || ss->eof) && !ss->dead &&
	    !ss->closing) {
		int err = 0;
		socklen_t len = sizeof err;

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		    err != 0)
			fail(ss, "recv", err);
	}
	/* A few reads per event keep one busy peer from starving others. */
	for (rounds = 0; rounds < 4 && (events & LOOP_READ) && !ss->paused &&
	    !ss->eof && !ss->dead && !ss->closing && !ss->freed_later; rounds++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);

		if (n > 0) {
			if (ss->s.cbs.on_data != NULL)
				ss->s.cbs.on_data(ss->s.cbs.arg, buf, (size_t)n);
			if ((size_t)n < sizeof buf)
				break;
			continue;
		}
		if (n == 0) {
			ss->eof = 1;
			if (ss->s.cbs.on_eof != NULL)
				ss->s.cbs.on_eof(ss->s.cbs.arg);
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		fail(ss, "recv", errno);
		break;
	}
	if (ss->err_pending && !ss->freed_later) {
		ss->err_pending = 0;
		if (!ss->closing && ss->s.cbs.on_error != NULL)
			ss->s.cbs.on_error(ss->s.cbs.arg, ss->errmsg);
	}
out:
	ss->busy--;
	if (ss->freed_later) {
		destroy(ss);
		return;
	}
	update(ss);
}

/* Chooses which events to wait for from the state. */
static void
update(struct sockstream *ss)
{
	int ev = 0;

	if (ss->fd == -1 || ss->busy)
		return;
	if (ss->err_pending)
		ev = LOOP_WRITE;	/* fires at once: delivers the error */
	else if (!ss->dead) {
		if (!ss->paused && !ss->eof && !ss->closing)
			ev |= LOOP_READ;
		if (ss->out.len > 0 || (ss->shut && !ss->shut_done))
			ev |= LOOP_WRITE;
	}
	core_loop_mod(ss->loop, ss->fd, ev);
}

static void
ss_write(struct stream *s, const void *p, size_t n)
{
	struct sockstream *ss = s->impl;

	if (ss->dead || ss->shut || n == 0)
		return;
	if (ss->out.len == 0) {
		ssize_t w = send(ss->fd, p, n, MSG_NOSIGNAL);

		if (w == -1 && errno != EAGAIN && errno != EINTR) {
			fail(ss, "send", errno);
			return;
		}
		if (w > 0) {
			p = (const char *)p + w;
			n -= (size_t)w;
		}
	}
	if (n > 0) {
		core_buf_append(&ss->out, p, n);
		ss->drain_pending = 1;
	}
	update(ss);
}

static size_t
ss_pending(struct stream *s)
{
	return ((struct sockstream *)s->impl)->out.len;
}

static void
ss_pause(struct stream *s, int paused)
{
	struct sockstream *ss = s->impl;

	ss->paused = paused;
	update(ss);
}

static void
ss_shutdown(struct stream *s)
{
	struct sockstream *ss = s->impl;

	if (ss->dead || ss->shut)
		return;
	ss->shut = 1;
	if (ss->out.len == 0) {
		shutdown(ss->fd, SHUT_WR);
		ss->shut_done = 1;
	}
	update(ss);
}

static void
ss_close(struct stream *s)
{
	struct sockstream *ss = s->impl;

	ss->closing = 1;
	if (ss->dead || ss->out.len == 0) {
		destroy(ss);
		return;
	}
	update(ss);
}

static void
ss_abort(struct stream *s)
{
	struct sockstream *ss = s->impl;
	struct linger lg = { 1, 0 };

	/* Linger 0 turns close() into a reset. */
	if (ss->fd != -1)
		setsockopt(ss->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	ss->closing = 1;
	destroy(ss);
}

static const struct stream_ops sock_ops = {
	.write = ss_write,
	.pending = ss_pending,
	.pause = ss_pause,
	.shutdown = ss_shutdown,
	.close = ss_close,
	.abort = ss_abort,
};

struct stream *
core_sockstream_new(struct loop *loop, int fd)
{
	struct sockstream *ss = calloc(1, sizeof *ss);

	if (ss == NULL)
		abort();
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ss->loop = loop;
	ss->fd = fd;
	ss->paused = 1;
	ss->s.ops = &sock_ops;
	ss->s.impl = ss;
	if (core_loop_add(loop, fd, 0, on_io, ss) == -1) {
		close(fd);
		free(ss);
		return NULL;
	}
	return &ss->s;
}

int
core_sockstream_fd(struct stream *s)
{
	return ((struct sockstream *)s->impl)->fd;
}
