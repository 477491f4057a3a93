/*
 * h3.h -- an HTTP/3 codec on libnghttp3: one connection, one side
 * (issue 17). The HTTP/3 twin of h2.h: bytes in per QUIC stream
 * (core_h3_feed), events out (struct h3_cbs), bytes out per stream
 * through on_output when the caller calls core_h3_flush. The codec
 * knows no QUIC connection, loop or flow; control and QPACK streams,
 * SETTINGS and GOAWAY framing are nghttp3's.
 *
 * Heads and fields are h2.h's structs: HTTP/3 carries the same
 * pseudo-headers and the same field rules (lower-case names, no
 * hop-by-hop field), so a proxy moves them between the two unchanged.
 *
 * Streams. The caller opens QUIC streams and passes their ids: the
 * three unidirectional streams of its own (control, QPACK encoder and
 * decoder) to core_h3_new, and for a client each request's
 * bidirectional stream to core_h3_request. Per stream, in order:
 * on_head (a client may see 1xx heads first), on_data..., on_trailers
 * (at most once), on_end. on_reset: the stream ended abnormally (the
 * peer reset it, or nghttp3 found it malformed); nothing more comes.
 * The caller tells the codec what QUIC did to a stream:
 * core_h3_stream_reset (RESET_STREAM or STOP_SENDING came) and
 * core_h3_stream_closed (QUIC freed it), so nghttp3 frees it too.
 *
 * Flow control. Bytes nghttp3 used for framing come back through
 * on_consume at once; body bytes on_data gave are the caller's to give
 * back (to QUIC) when it has passed them on, so a slow reader stalls
 * its own stream. Sending: core_h3_data copies into the stream's queue
 * (core_h3_pending says how much waits); the queue is bounded by the
 * caller, who stops reading the other side while it is over
 * LIMIT_H3_SEND_QUEUE, and on_writable says when it fell below.
 *
 * Output. core_h3_flush hands nghttp3's frames to on_output, one call
 * per stream write; on_output returns 0 when the bytes were taken (the
 * QUIC layer copies them and resends them itself), or -1 when the
 * stream is blocked: the codec holds the rest until core_h3_unblock.
 * Never call core_h3_new, _free, _feed or _flush from inside a callback
 * (the caller flushes when its outer call returns); every other function
 * may be called there (a stream closed there is freed once nghttp3 has
 * returned).
 */
#ifndef CORE_H3_H
#define CORE_H3_H

#include <stddef.h>
#include <stdint.h>

#include "core/http/h2.h"

struct h3;

struct h3_cbs {
	void	(*on_head)(void *arg, int64_t id, const struct h2_head *);
	void	(*on_data)(void *arg, int64_t id, const char *, size_t);
	void	(*on_trailers)(void *arg, int64_t id, const struct h2_field *,
		    size_t n);
	void	(*on_end)(void *arg, int64_t id);
	void	(*on_reset)(void *arg, int64_t id, uint64_t code);
	/* id's send queue fell below LIMIT_H3_SEND_QUEUE. */
	void	(*on_writable)(void *arg, int64_t id);
	/* Bytes for QUIC stream id; fin: its end. 0 taken, -1 blocked. */
	int	(*on_output)(void *arg, int64_t id, const uint8_t *, size_t,
		    int fin);
	/* n framing bytes of stream id were used: QUIC credit for them. */
	void	(*on_consume)(void *arg, int64_t id, size_t n);
	/* nghttp3 wants stream id reset toward the peer with code. */
	void	(*on_stream_reset)(void *arg, int64_t id, uint64_t code);
	void	*arg;
};

/* HTTP/3 error codes (RFC 9114 section 8.1). */
#define H3_NO_ERROR		0x100
#define H3_GENERAL_PROTOCOL_ERROR 0x101
#define H3_INTERNAL_ERROR	0x102
#define H3_REQUEST_REJECTED	0x10b
#define H3_REQUEST_CANCELLED	0x10c

struct h3	*core_h3_new(int server, const struct h3_cbs *, int64_t ctrl,
		    int64_t qenc, int64_t qdec, char **cause);
void		 core_h3_free(struct h3 *);

/* Bytes of stream id from the peer (fin: the stream ends). 0, or -1
 * when the connection must end: *code is the HTTP/3 error to close
 * it with, *cause says why. */
int		 core_h3_feed(struct h3 *, int64_t id, const uint8_t *, size_t,
		    int fin, uint64_t *code, char **cause);

/* Client: the request head on bidirectional stream id; without
 * end_stream the body follows. 0, or -1 with *cause. */
int		 core_h3_request(struct h3 *, int64_t id, const struct h2_head *,
		    char **cause);
/* Server: a response head for stream id (1xx: more heads follow). */
int		 core_h3_respond(struct h3 *, int64_t id, const struct h2_head *);
/* Body bytes for id; fin: the message ends (n may be 0). */
int		 core_h3_data(struct h3 *, int64_t id, const char *, size_t,
		    int fin);
/* Trailers end the message. */
int		 core_h3_trailers(struct h3 *, int64_t id,
		    const struct h2_field *, size_t n);
size_t		 core_h3_pending(struct h3 *, int64_t id);

void		 core_h3_stream_reset(struct h3 *, int64_t id);
void		 core_h3_stream_closed(struct h3 *, int64_t id, uint64_t code);
void		 core_h3_unblock(struct h3 *, int64_t id);
void		 core_h3_flush(struct h3 *);

#endif
