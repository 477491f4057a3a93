/*
 * h2.h -- an HTTP/2 codec on libnghttp2: one connection, one side.
 *
 * Bytes in (core_h2_feed), events out (struct h2_cbs), bytes out through
 * on_output when the caller calls core_h2_flush. The codec knows no
 * socket, loop or flow; SETTINGS, PING, WINDOW_UPDATE and GOAWAY are
 * answered inside it, HPACK and frame validation are nghttp2's.
 *
 * Streams. A server codec announces a stream with on_head (the request);
 * a client codec's streams are the ones core_h2_request opened. Per
 * stream, in order: on_head (a client may see interim 1xx heads before
 * the final one), on_data..., on_trailers (at most once), on_end (the
 * peer ended its side). on_reset says the stream closed abnormally: the
 * peer reset it (code is the peer's; NO_ERROR after a complete response
 * is a server ending a request body early, RFC 9113 section 8.1), the
 * codec reset it for a protocol error or a limit (on_stream_error told
 * why first), or a GOAWAY left it unprocessed (REFUSED_STREAM: safe to
 * retry). A stream that both sides ended closes silently. After on_reset,
 * or after the caller's own core_h2_reset, nothing more comes for the id
 * and calls on it fail or do nothing. A server stream the caller never
 * heard of (refused before on_head) gives no on_reset.
 *
 * Fields. Received names are lower-case (nghttp2 resets a stream whose
 * names are not), in wire order; cookie crumbs arrive as separate fields.
 * Received hop-by-hop fields (connection, keep-alive, proxy-connection,
 * transfer-encoding, upgrade, te other than "trailers") make nghttp2 reset
 * the stream as malformed (RFC 9113 section 8.2.2). When sending, the
 * codec lower-cases names and drops those hop-by-hop fields and any name
 * starting with ':' (pseudo-headers come only from struct h2_head), so
 * the caller may pass an HTTP/1 head's fields as they are; it should move
 * Host into authority itself (a host field is sent as given).
 *
 * Flow control. The receive windows (LIMIT_H2_STREAM_WINDOW, _CONN_WINDOW)
 * open only as the caller calls core_h2_consume for bytes on_data gave
 * it, so a slow reader stalls its own stream, and memory held for a peer
 * is bounded by the windows. Every byte on_data gave must be consumed once,
 * even after the stream ended or was reset (the connection window counts
 * it). Sending: core_h2_data copies into the stream's queue, sent as the
 * peer's windows allow; on_writable fires when a queue that reached
 * LIMIT_H2_SEND_QUEUE drains below it. A queue never grows past
 * LIMIT_H2_SEND_QUEUE + LIMIT_H2_STREAM_WINDOW: core_h2_data refuses more.
 *
 * Output. Nothing reaches on_output until core_h2_flush, which writes at
 * most about LIMIT_H2_OUTPUT bytes a call and returns 1 when more waits
 * (call it again once the wire drained). A flush gathers its frames and
 * hands them over in one on_output call (one send, not one per frame;
 * the buffer is kept while streams are open). Call it after core_h2_new,
 * after each feed, and after submitting anything. on_output must take all
 * it is given and must not call into this codec.
 *
 * Reentrancy. From inside a callback the caller may call every function
 * but core_h2_new/_free/_feed; core_h2_flush there does nothing (the
 * caller flushes when its outer call returns).
 *
 * Ending. core_h2_feed returns -1 when the codec decides the connection
 * must end: a flood (rapid reset, CONTINUATION, control frames, empty
 * frames) or an error that leaves the session unusable; a GOAWAY is
 * queued, *cause names what happened. Protocol errors that nghttp2
 * answers itself with a GOAWAY surface after the next flush. Either way,
 * core_h2_finished returns 1 once nothing more will be read or written,
 * and the caller closes the connection.
 *
 * Defences: SETTINGS_MAX_CONCURRENT_STREAMS = LIMIT_H2_STREAMS; header
 * lists over LIMIT_H2_HEADER_LIST reset their stream (ENHANCE_YOUR_CALM);
 * CONTINUATION frames are capped at LIMIT_H2_CONTINUATIONS (nghttp2's
 * CVE-2024-28182 fix, in Debian 12's 1.52.0-1+deb12u2 and later); a
 * client that resets streams (or makes the server reset them) more than
 * LIMIT_H2_RAPID_RESET times beyond those that completed is cut off with
 * GOAWAY ENHANCE_YOUR_CALM (CVE-2023-44487; nghttp2's own time-based
 * limit stays as a second line); LIMIT_H2_EMPTY_FRAMES empty DATA frames
 * in a row likewise (CVE-2019-9518); nghttp2 caps queued PING and
 * SETTINGS acknowledgements (CVE-2019-9512, -9515). A client codec sends
 * ENABLE_PUSH=0 and nghttp2 refuses any PUSH_PROMISE; a server never
 * pushes. Both send NO_RFC7540_PRIORITIES=1: PRIORITY frames are ignored.
 *
 * Driving two codecs back to back (a proxy). C faces the program, so it
 * is a server codec: core_h2_new(1, ...). U faces the server, a client
 * codec: core_h2_new(0, ...). Per connection pair:
 *   1. When the sniffer saw core_h2_is_preface (or ALPN said h2), feed C
 *      every byte read, preface included; core_h2_flush(C).
 *   2. C's on_head(id): build the upstream request; id' =
 *      core_h2_request(U, head) (or an HTTP/1 request); map id <-> id'.
 *      end_stream set: no body follows, on_end comes next.
 *   3. C's on_data(id, p, n): core_h2_data(U, id', p, n, 0). If
 *      core_h2_pending(U, id') is now under LIMIT_H2_SEND_QUEUE,
 *      core_h2_consume(C, id, n) at once; else add n to what id owes and
 *      consume that from U's on_writable(id'). The program can then put
 *      at most one stream window more in flight than U's queue holds.
 *   4. C's on_trailers: core_h2_trailers(U, id', ...); C's on_end without
 *      trailers: core_h2_data(U, id', NULL, 0, 1).
 *   5. U's on_head(id') (1xx, then the final head): core_h2_respond(C,
 *      id, head); U's on_data/on_trailers/on_end mirror 3 and 4 toward C,
 *      consuming on U as C's queue drains (C's on_writable).
 *   6. A reset on either side: core_h2_reset on the other; a
 *      REFUSED_STREAM from U before any head may be retried. U's
 *      on_goaway: stop opening streams on U.
 *   7. After any feed or callback burst: core_h2_flush(C) and
 *      core_h2_flush(U) (flush is a no-op inside callbacks, so do it after
 *      the outer feed returns); a flush that returns 1 has more to
 *      write: call it again once that socket drained (the rest waits in
 *      the codec, bounded as above). Close a side once core_h2_finished
 *      says so; after a feed that returned -1, that is after one flush.
 *   Bytes that on_data gave for a stream that is then reset on the other
 *   side are consumed at once: nobody will read them.
 * For h2c by Upgrade: parse the HTTP/1 request, write the 101 yourself,
 * then C = core_h2_new(1, ...), core_h2_upgrade(C, HTTP2-Settings value),
 * flush (C's SETTINGS follow the 101), and treat the HTTP/1 request as
 * stream 1's head: respond with core_h2_respond(C, 1, ...); the client's
 * preface then arrives on the same connection and is fed as usual.
 */
#ifndef CORE_H2_H
#define CORE_H2_H

#include <stddef.h>
#include <stdint.h>

struct h2;

struct h2_field {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

/* Received: valid during the callback only. Sent: read during the call. */
struct h2_head {
	/* Request pseudo-headers, NUL-terminated; NULL if absent. */
	const char		*method;
	const char		*scheme;
	const char		*authority;
	const char		*path;
	int			 status;	/* response; 0 in a request */
	const struct h2_field	*fields;	/* regular fields, wire order */
	size_t			 nfields;
	int			 end_stream;	/* no body follows */
};

/* Every callback but on_output may be NULL. */
struct h2_cbs {
	/* Server: a request. Client: a response head (1xx first, final last). */
	void	(*on_head)(void *arg, int32_t id, const struct h2_head *);
	/* Body bytes; the caller calls core_h2_consume(id, n) for them later. */
	void	(*on_data)(void *arg, int32_t id, const char *, size_t);
	void	(*on_trailers)(void *arg, int32_t id, const struct h2_field *,
		    size_t n);
	/* The peer ended its side of the stream. */
	void	(*on_end)(void *arg, int32_t id);
	/* The stream closed abnormally (see above). */
	void	(*on_reset)(void *arg, int32_t id, uint32_t code);
	/* Why the codec refused or reset a stream, for a log line or the flow
	 * (e.g. "header list over 65536 bytes"); on_reset follows when the
	 * caller knows the stream. */
	void	(*on_stream_error)(void *arg, int32_t id, const char *why);
	/* id's send queue fell below LIMIT_H2_SEND_QUEUE. */
	void	(*on_writable)(void *arg, int32_t id);
	/* The peer sent GOAWAY: streams above last_id are refused (on_reset
	 * REFUSED_STREAM), no new ones may be opened. */
	void	(*on_goaway)(void *arg, uint32_t code, int32_t last_id);
	/* Bytes for the wire, from core_h2_flush only. */
	void	(*on_output)(void *arg, const char *, size_t);
	void	*arg;
};

/* HTTP/2 error codes the caller passes or receives (RFC 9113 section 7). */
#define H2_NO_ERROR		0x0
#define H2_PROTOCOL_ERROR	0x1
#define H2_INTERNAL_ERROR	0x2
#define H2_REFUSED_STREAM	0x7
#define H2_CANCEL		0x8
#define H2_ENHANCE_YOUR_CALM	0xb

/*
 * A codec for one connection: server (the peer is a client) or client.
 * The callbacks are copied. The initial SETTINGS are queued (and for a
 * client the connection preface): flush to send them. Caller frees with
 * core_h2_free.
 */
struct h2	*core_h2_new(int server, const struct h2_cbs *, char **cause);
void		 core_h2_free(struct h2 *);

/*
 * Processes bytes from the peer, calling back as events complete. Returns
 * 0, or -1 when the connection must end (see Ending; flush once more to
 * send the GOAWAY), with *cause set, e.g. "rapid reset flood: ...".
 */
int		 core_h2_feed(struct h2 *, const char *, size_t, char **cause);

/*
 * Client: opens a stream with head (method, scheme, authority, path; only
 * method and authority for CONNECT). Returns the stream id, or -1 with
 * *cause (the server sent GOAWAY, LIMIT_H2_STREAMS are open, a field
 * HTTP/2 cannot carry such as CR or LF in a value, no memory). Without
 * end_stream, the body follows with core_h2_data / core_h2_trailers.
 * Past the server's MAX_CONCURRENT_STREAMS, nghttp2 holds the request
 * until a stream closes. A request nghttp2 cannot send (a header block
 * over its 64 KiB) comes back as on_stream_error + on_reset.
 */
int32_t		 core_h2_request(struct h2 *, const struct h2_head *,
		    char **cause);
/*
 * Server: sends a response head on a stream on_head announced. A 1xx
 * status is interim (101 is refused: HTTP/2 has no Upgrade); the final
 * head follows with another call. Returns 0 or -1 (unknown or reset
 * stream, final head already sent, bad status, a field HTTP/2 cannot
 * carry).
 */
int		 core_h2_respond(struct h2 *, int32_t id, const struct h2_head *);
/*
 * Queues body bytes (copied) on a stream whose head was sent; end ends
 * the stream after them (n may be 0). Returns 0, or -1 when the stream is
 * unknown, closed or ended, or its queue would pass its hard cap.
 */
int		 core_h2_data(struct h2 *, int32_t id, const char *, size_t,
		    int end);
/* Queues trailer fields after the body and ends the stream. 0 or -1. */
int		 core_h2_trailers(struct h2 *, int32_t id,
		    const struct h2_field *, size_t n);
/* Resets a stream (RST_STREAM with code); no on_reset comes back for it. */
void		 core_h2_reset(struct h2 *, int32_t id, uint32_t code);
/* The caller is done with n bytes on_data gave for id: windows reopen. */
void		 core_h2_consume(struct h2 *, int32_t id, size_t n);
/* Bytes queued on id and not yet written out (0 for an unknown id). */
size_t		 core_h2_pending(struct h2 *, int32_t id);
/*
 * Sends GOAWAY. NO_ERROR: graceful, streams already open finish, no new
 * ones are accepted. Any other code ends the connection after the flush.
 */
void		 core_h2_goaway(struct h2 *, uint32_t code);
/*
 * Writes what is queued through on_output, at most about LIMIT_H2_OUTPUT
 * bytes. Returns 1 when more is waiting, else 0. Does nothing inside a
 * callback.
 */
int		 core_h2_flush(struct h2 *);
/*
 * Server side of `Upgrade: h2c`: settings is the HTTP2-Settings value
 * (base64url), head_request whether the request was HEAD. Opens stream 1,
 * half-closed by the client, for the upgraded request: answer it with
 * core_h2_respond(1, ...). Returns 0 or -1 (malformed settings, not a
 * fresh server codec).
 */
int		 core_h2_upgrade(struct h2 *, const char *settings, size_t len,
		    int head_request);
/* Streams open (client: including requests waiting for a stream slot). */
int		 core_h2_active_streams(const struct h2 *);
/*
 * 1 when nothing more will be read or written: close the connection.
 * *why (may be NULL) gets the reason when it ended in error, else NULL;
 * it lives as long as the codec.
 */
int		 core_h2_finished(const struct h2 *, const char **why);

/*
 * Whether buf starts with the client connection preface
 * "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": 1 yes, 0 no, -2 too short to tell.
 */
int		 core_h2_is_preface(const char *, size_t);

#endif
