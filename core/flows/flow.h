/*
 * flow.h -- a flow is what the user sees: one HTTP exchange, one raw TCP or
 * UDP stream, or one DNS query, with everything trawl knows about it.
 *
 * A flow owns every pointer inside it. Strings are NUL-terminated and
 * heap-allocated (or NULL when unknown); once finished, some are shared
 * with other flows (core_flow_compact). Bodies keep a capped prefix
 * (LIMIT_FLOW_BODY) plus the total size seen on the wire.
 */
#ifndef CORE_FLOW_H
#define CORE_FLOW_H

#include <stddef.h>
#include <stdint.h>

enum flow_type {
	FLOW_HTTP,
	FLOW_TCP,
	FLOW_UDP,
	FLOW_DNS
};

enum flow_state {
	FLOW_ACTIVE,		/* bytes still moving */
	FLOW_PAUSED_REQUEST,	/* intercepted before the request went upstream */
	FLOW_PAUSED_RESPONSE,	/* intercepted before the response reached the client */
	FLOW_PAUSED_MESSAGE,	/* a WebSocket message is held (FLOW_MSG_HELD) */
	FLOW_DONE		/* finished, with or without an error */
};

enum flow_replay {
	REPLAY_NONE,
	REPLAY_REQUEST,		/* a client replay: trawl re-sent the request */
	REPLAY_RESPONSE		/* a server replay: the response was played back */
};

struct flow_header {
	char	*name;
	char	*value;
};

/* Names and values live in one arena per header list (one allocation,
 * not two per field, its fill and size kept in it); the pointers stay
 * valid until the list changes. A finished flow's lists are packed: no
 * arena, each name and value a shared string (core_flow_compact). Change
 * them through these functions. */
struct flow_headers {
	struct flow_header	*v;
	char			*arena;
	uint32_t		 n;	/* 32 bits: LIMIT_HTTP_HEADERS fit */
	uint32_t		 cap;
};

/* len and cap_alloc never pass LIMIT_FLOW_BODY: 32 bits, 24 bytes in
 * all (four bodies in every HTTP flow). */
struct flow_body {
	char		*data;		/* first len bytes as they crossed the wire */
	uint64_t	 total;		/* bytes seen in all */
	uint32_t	 len;
	uint32_t	 cap_alloc : 31;	/* bytes allocated for data */
	uint32_t	 truncated : 1;		/* total > len */
};

struct flow_request {
	char			*method;
	char			*scheme;	/* "http", "https" */
	char			*host;		/* from the URL, else Host */
	int			 port;
	char			*path;		/* origin-form: path and query */
	char			*version;	/* "HTTP/1.1", "HTTP/2.0" */
	struct flow_headers	 headers;
	struct flow_body	 body;
	struct flow_headers	 trailers;	/* after the body (chunked, HTTP/2) */
	double			 t_start;	/* first byte / last byte, epoch s */
	double			 t_end;
};

struct flow_response {
	int			 status;
	char			*reason;
	char			*version;
	struct flow_headers	 headers;
	struct flow_body	 body;
	struct flow_headers	 trailers;	/* gRPC's grpc-status lives here */
	double			 t_start;
	double			 t_end;
};

/* The two flags first: no padding between them and the pointers. A flow
 * holds its records out of line (most flows have none), read with
 * core_flow_client_tls / core_flow_server_tls and written through the
 * _w forms: once finished, the flows of one connection share one. */
struct flow_tls {
	int	 present;
	int	 passthrough;	/* relayed untouched */
	char	*version;	/* "TLSv1.3" */
	char	*cipher;
	char	*sni;
	char	*alpn;
	/* Server certificate (server side only). */
	char	*cert_subject;
	char	*cert_issuer;
	char	*cert_sans;	/* comma-separated */
	double	 cert_not_before;
	double	 cert_not_after;
	char	*cert_sha256;	/* hex */
	char	*passthrough_reason; /* why: "--ignore-hosts", ... */
};

/* Absolute times (epoch seconds) of each phase; 0 when it did not happen. */
struct flow_timings {
	double	start;		/* client connection accepted / flow created */
	double	dns_start;
	double	dns_end;
	double	connect_end;	/* TCP connect to the server done */
	double	tls_end;	/* server TLS handshake done */
	double	request_sent;	/* last request byte written upstream */
	double	response_start;	/* first response byte */
	double	end;		/* flow finished */
};

struct flow_dns {
	char	*name;		/* question name */
	int	 qtype;
	int	 rcode;		/* -1 until answered */
	char	*answers;	/* one answer per line, text form */
};

/*
 * One message of a WebSocket connection: who sent it, when, its opcode
 * and a capped copy of its payload (inflated when it was compressed).
 * The list is kept so that a raw stream's chunks fit it too (opcode 0).
 */
#define FLOW_MSG_TRUNCATED	0x01	/* size > len: the rest is counted */
#define FLOW_MSG_COMPRESSED	0x02	/* permessage-deflate on the wire */
#define FLOW_MSG_EDITED		0x04	/* the user changed it before it went */
#define FLOW_MSG_DROPPED	0x08	/* intercepted and never sent */
#define FLOW_MSG_INJECTED	0x10	/* written by the user, not a peer */
#define FLOW_MSG_HELD		0x20	/* paused by an intercept rule now */
#define FLOW_MSG_BAD		0x40	/* did not inflate: data is partial */

struct flow_msg {
	double		 t;		/* epoch s, when it was complete */
	uint64_t	 seq;		/* 0 for the flow's first message */
	uint64_t	 size;		/* payload bytes in all */
	char		*data;		/* the first len of them */
	size_t		 len;
	uint8_t		 from_client;
	uint8_t		 opcode;	/* 1 text, 2 binary; 0 a raw chunk */
	uint16_t	 flags;		/* FLOW_MSG_* */
};

/* The newest messages (LIMIT_WS_MESSAGES, LIMIT_WS_FLOW_BYTES) in a
 * ring, oldest first; total counts every message ever added. */
struct flow_msgs {
	struct flow_msg	*v;
	uint64_t	 total;
	uint32_t	 n;		/* 32 bits: the caps above fit */
	uint32_t	 cap;
	uint32_t	 head;		/* slot of the oldest */
	uint32_t	 bytes;		/* payload bytes kept */
};

/* A WebSocket connection's end and what it negotiated. */
struct flow_ws {
	int	 close_code;	/* from the first close frame; -1 none */
	uint8_t	 on;		/* the connection is (was) parsed as WebSocket */
	uint8_t	 closed_by;	/* 0 nobody yet, 1 client, 2 server */
	char	*close_reason;
	char	*extensions;	/* Sec-WebSocket-Extensions in effect */
	char	*error;		/* why the parser stopped, else NULL */
};

#define FLOW_RULE_IDS	6

struct flow {
	uint64_t		 id;		/* unique in the store, from 1 */
	enum flow_type		 type;
	enum flow_state		 state;

	char			*client;	/* "ip:port" or "[ip6]:port" */
	char			*server;	/* address trawl reached, same form */
	int			 pid;		/* 0 when unknown */
	enum flow_replay	 replay;	/* here, not below: no padding */
	char			*comm;

	struct flow_request	*request;	/* HTTP only */
	struct flow_response	*response;	/* NULL until a response head */
	struct flow_request	*orig_request;	/* before an edit, for revert */
	struct flow_response	*orig_response;

	/* NULL when none; private: use core_flow_client_tls() & co. */
	struct flow_tls		*tls_client;
	struct flow_tls		*tls_server;
	struct flow_timings	 t;

	/* TCP, UDP: client→server and server→client bytes (prefix kept). */
	struct flow_body	 up;
	struct flow_body	 down;
	struct flow_dns		*dns;
	/* WebSocket (HTTP flows after a 101). */
	struct flow_msgs	 msgs;
	struct flow_ws		 ws;

	char			*error;		/* NULL when none */
	char			*marker;	/* NULL unmarked, else e.g. ":default:" */
	char			*comment;
	uint64_t		 replay_of;	/* id of the original flow, or 0 */
	int32_t			 stream_id;	/* HTTP/2 stream, 0 for HTTP/1 */
	int			 client_gone;	/* client left before the end */
	int			 modified;	/* edited by the user or a rule */
	/* Rules (core/proxy/rules.h) that changed the flow, by id, in the
	 * order they did; more than FLOW_RULE_IDS are counted, not kept. */
	int			 rule_ids[FLOW_RULE_IDS];
	int			 nrule_ids;
	/* The --mode it came through, as the user wrote it ("regular@8081",
	 * "reverse:https://example.com"); NULL when unknown (a replay). */
	char			*mode;

	size_t			 mem;		/* bytes accounted by the store */
	void			*front;		/* the front end's per-flow data */
};

/* Caller frees with core_flow_free. */
struct flow	*core_flow_new(enum flow_type);
void		 core_flow_free(struct flow *);
/* Deep copy; the copy has id 0 and no front data. Caller frees. */
struct flow	*core_flow_dup(const struct flow *);

struct flow_request	*core_flow_request_new(void);
void			 core_flow_request_free(struct flow_request *);
struct flow_request	*core_flow_request_dup(const struct flow_request *);
struct flow_response	*core_flow_response_new(void);
void			 core_flow_response_free(struct flow_response *);
struct flow_response	*core_flow_response_dup(const struct flow_response *);

/* A NUL-terminated copy of len bytes. Caller frees. */
char	*core_flow_strndup(const char *, size_t);
/* Sets *dst to a copy of src (NULL allowed), freeing the old value (the
 * flow's own or a shared one). */
void	 core_flow_set(char **dst, const char *src);
/* Same for a counted string. */
void	 core_flow_setn(char **dst, const char *src, size_t len);
/* Sets *dst to src, a malloc'ed string it now owns, freeing the old. */
void	 core_flow_take(char **dst, char *src);
/* Sets the error unless one is already recorded. printf-style. */
void	 core_flow_error(struct flow *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

void	 core_flow_header_add(struct flow_headers *, const char *name,
	    size_t name_len, const char *value, size_t value_len);
/* Removes every field of that name (case-insensitive). */
void	 core_flow_header_remove(struct flow_headers *, const char *name);
/* Framing for a body trawl holds whole (an edit, an intercepted message):
 * no Transfer-Encoding, and Content-Length: len when want_length. */
void	 core_flow_headers_frame(struct flow_headers *, uint64_t len,
	    int want_length);
/* The same for a body the user wrote: and a Content-Encoding the body
 * no longer decodes as is dropped. */
void	 core_flow_headers_reframe(struct flow_headers *,
	    const struct flow_body *, int want_length);
/* First value of the named header (case-insensitive), or NULL. */
const char *core_flow_header_get(const struct flow_headers *, const char *);
void	 core_flow_headers_clear(struct flow_headers *);
void	 core_flow_headers_copy(struct flow_headers *dst,
	    const struct flow_headers *src);

/* Appends to the kept prefix up to LIMIT_FLOW_BODY; counts all of len. */
void	 core_flow_body_append(struct flow_body *, const void *, size_t);
/* Replaces the body with a copy of data (edits, HAR load). */
void	 core_flow_body_set(struct flow_body *, const void *, size_t);
void	 core_flow_body_clear(struct flow_body *);

/*
 * Adds a message (a copy of len bytes of size, flags FLOW_MSG_*) with
 * t = now; past the caps the oldest go. Returns it, owned by the flow and
 * valid until the next add.
 */
struct flow_msg	*core_flow_msg_add(struct flow *, int from_client, int opcode,
		    const void *data, size_t len, uint64_t size, int flags);
/* The i'th kept message, oldest first, or NULL. */
struct flow_msg	*core_flow_msg_at(const struct flow *, size_t i);
/* The message with that seq if still kept, else NULL. */
struct flow_msg	*core_flow_msg_find(const struct flow *, uint64_t seq);
/* Replaces a message's payload with a copy of data (an edit). */
void		 core_flow_msg_set(struct flow *, struct flow_msg *,
		    const void *data, size_t len);
/* Drops every message's payload, keeping the count (the store budget). */
void		 core_flow_msgs_clear(struct flow_msgs *);

/*
 * A flow's TLS details on one side: never NULL (an all-zero record when
 * there are none) and read-only, as a finished flow's record may be
 * shared with the other flows of its connection. Valid until the flow
 * changes or goes.
 */
const struct flow_tls	*core_flow_client_tls(const struct flow *);
const struct flow_tls	*core_flow_server_tls(const struct flow *);
/* The same to write: made on first use, a shared record copied first. */
struct flow_tls		*core_flow_client_tls_w(struct flow *);
struct flow_tls		*core_flow_server_tls_w(struct flow *);

/* "http://host:port/path" without a default port. Caller frees. */
char	*core_flow_url(const struct flow *);
/*
 * A finished flow: gives back the slack of grown buffers, packs each
 * header list in one block, and shares the strings many flows repeat
 * (method, scheme, host, versions, addresses, mode, TLS details) in one
 * refcounted copy per value. Fields keep their types: free them with
 * core_flow_set / core_flow_take, never free(), once compacted.
 */
void	 core_flow_compact(struct flow *);
/* Heap held by the shared strings and TLS records, for the store's
 * budget. */
size_t	 core_flow_shared_bytes(void);
/* Bytes of heap the flow holds, for the store's budget. */
size_t	 core_flow_size(const struct flow *);
const char *core_flow_type_name(enum flow_type);
/* Wall clock, epoch seconds with microseconds. */
double	 core_now(void);

#endif
