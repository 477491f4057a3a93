/*
 * stream.h -- a byte stream, whatever carries it: a kernel socket, an lwIP
 * pcb, or a TLS session on top of another stream. The proxy's layers talk
 * to each other only through this interface (DESIGN.md: a connection is a
 * pipeline of layers).
 *
 * Contract:
 * - Writes never fail short: the stream queues what it cannot send yet and
 *   reports it through core_stream_pending(). The writer stops feeding it
 *   past LIMIT_CONN_BUFFER and waits for on_drain (pending fell to 0).
 * - on_data hands over bytes the reader must take in full (copy if kept).
 * - on_eof: the peer finished sending (half-close). Writing still works.
 * - on_error: the stream is dead (reset, timeout, TLS failure); msg says
 *   why. The owner must still call core_stream_close().
 * - Callbacks never run inside a call the owner made into the stream
 *   (write/shutdown/pause), so the owner may free itself in any callback
 *   after closing the stream.
 * - close flushes what is pending, then closes, in the background; abort
 *   drops it and resets. Either way the handle is gone on return.
 */
#ifndef CORE_STREAM_H
#define CORE_STREAM_H

#include <stddef.h>

struct stream;

struct stream_ops {
	void	(*write)(struct stream *, const void *, size_t);
	size_t	(*pending)(struct stream *);
	void	(*pause)(struct stream *, int paused);
	void	(*shutdown)(struct stream *);	/* FIN once drained */
	void	(*close)(struct stream *);
	void	(*abort)(struct stream *);
};

struct stream_cbs {
	void	(*on_data)(void *arg, const char *, size_t);
	void	(*on_drain)(void *arg);
	void	(*on_eof)(void *arg);
	void	(*on_error)(void *arg, const char *msg);
	void	*arg;
};

struct stream {
	const struct stream_ops	*ops;
	struct stream_cbs	 cbs;
	void			*impl;
};

static inline void core_stream_write(struct stream *s, const void *b, size_t n)
{ s->ops->write(s, b, n); }
static inline size_t core_stream_pending(struct stream *s)
{ return s->ops->pending(s); }
static inline void core_stream_pause(struct stream *s, int paused)
{ s->ops->pause(s, paused); }
static inline void core_stream_shutdown(struct stream *s)
{ s->ops->shutdown(s); }
static inline void core_stream_close(struct stream *s)
{ s->ops->close(s); }
static inline void core_stream_abort(struct stream *s)
{ s->ops->abort(s); }
static inline void core_stream_set_cbs(struct stream *s,
    const struct stream_cbs *cbs)
{ s->cbs = *cbs; }

#endif
