/*
 * ws.h -- WebSocket (RFC 6455) frames: a parser that turns one
 * direction's bytes into messages and control frames, permessage-deflate
 * (RFC 7692) decoding for display, and a frame writer. Bytes in, events
 * out, no flow and no connection.
 *
 * The parser never changes or holds back the bytes it is given; a relay
 * forwards them as they are and reads the events beside them. It keeps
 * at most LIMIT_WS_MESSAGE bytes of each message's payload (unmasked and,
 * when compressed, inflated) and counts the rest. Control frames are
 * delivered whole (they are at most 125 bytes); a control frame between
 * two fragments of a message is delivered before that message.
 *
 * A protocol error (a reserved opcode, RSV bits no extension allows, a
 * fragmented or long control frame, a continuation with no message, a
 * mask bit the direction forbids, a length with the top bit set) returns
 * -1 with *cause; the parser is then dead. A payload that does not
 * inflate is no protocol error: the event says so and the rest of that
 * direction is shown as it came.
 */
#ifndef CORE_WS_H
#define CORE_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

#define WS_CONT		0x0
#define WS_TEXT		0x1
#define WS_BINARY	0x2
#define WS_CLOSE	0x8
#define WS_PING		0x9
#define WS_PONG		0xa

/* What the handshake negotiated (the 101's Sec-WebSocket-Extensions). */
struct ws_ext {
	int	deflate;		/* permessage-deflate in use */
	int	client_no_takeover;	/* the client resets its context */
	int	server_no_takeover;
	int	client_bits;		/* max_window_bits, 8..15 (15 default) */
	int	server_bits;
	int	other;			/* another extension: RSV2/RSV3 allowed */
};

/* Reads a Sec-WebSocket-Extensions value (NULL: none). Never fails: an
 * extension it does not know sets other. */
void	core_ws_ext_parse(const char *value, struct ws_ext *);

enum ws_event_type {
	WS_EV_NONE,		/* all input taken, nothing complete yet */
	WS_EV_MESSAGE,		/* a text or binary message ended */
	WS_EV_CONTROL		/* a close, ping or pong frame */
};

struct ws_event {
	enum ws_event_type	 type;
	int			 opcode;	/* WS_TEXT ... WS_PONG */
	const char		*data;		/* kept payload; valid until the
						 * next call */
	size_t			 len;
	uint64_t		 size;		/* whole payload (inflated) */
	uint64_t		 wire;		/* payload bytes on the wire */
	int			 frames;	/* data frames of the message */
	int			 truncated;	/* size > len */
	int			 compressed;	/* RSV1: permessage-deflate */
	int			 inflate_error;	/* data is what inflated before */
	int			 close_code;	/* WS_CLOSE: -1 when none */
	const char		*reason;	/* WS_CLOSE: the reason text */
	size_t			 reason_len;
};

struct ws_parser {
	int		 from_client;	/* frames must be masked */
	struct ws_ext	 ext;
	int		 dead;
	/* The frame being read. */
	unsigned char	 hdr[14];
	size_t		 hlen;		/* header bytes read */
	size_t		 hneed;		/* header bytes this frame has */
	uint64_t	 left;		/* payload bytes still to come */
	uint64_t	 flen;		/* payload bytes of the frame */
	unsigned char	 mask[4];
	int		 masked, fin, opcode, rsv1;
	/* The message being assembled (data frames). */
	int		 in_msg;
	int		 msg_opcode;
	int		 msg_compressed;
	int		 frames;
	uint64_t	 msg_size, msg_wire;
	char		*msg;		/* grows up to LIMIT_WS_MESSAGE */
	size_t		 msg_len;
	size_t		 msg_cap;
	/* The control frame being read. */
	char		 ctl[125];
	size_t		 ctl_len;
	/* Inflate state, kept across messages unless the sender resets. */
	void		*z;
	int		 z_broken;
	int		 msg_zerr;
};

/* from_client: the parser reads the client's frames (masked). ext may be
 * NULL. Free with core_ws_parser_free. */
void	core_ws_parser_init(struct ws_parser *, int from_client,
	    const struct ws_ext *);
void	core_ws_parser_free(struct ws_parser *);

/*
 * Reads up to n bytes. Returns the bytes consumed: through the end of the
 * frame that completed an event (*ev says which), or all n with
 * ev->type WS_EV_NONE. -1 on a protocol error, with *cause (caller frees).
 */
ssize_t	core_ws_parse(struct ws_parser *, const char *, size_t,
	    struct ws_event *ev, char **cause);

/* Whether the parser stands between messages: no frame or fragmented
 * message half read, so a new message may be put on the wire here. */
int	core_ws_parser_idle(const struct ws_parser *);

/* Appends one unfragmented frame (FIN, RSV clear) to out; mask is the
 * key for a client's frame, NULL for a server's. */
void	core_ws_frame(struct buf *out, int opcode, const void *, size_t,
	    const unsigned char *mask);

const char *core_ws_opcode_name(int opcode);

#endif
