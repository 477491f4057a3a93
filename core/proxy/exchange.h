/*
 * exchange.h -- one HTTP request and its response, whatever the wire
 * format on either side (DESIGN.md, Core). The exchange alone owns the
 * flow, intercept (pause, edit, resume, kill), the choice of upstream,
 * body capture and the errors either side sees. Beneath it, codecs turn
 * wire bytes into events and back: HTTP/1 or HTTP/2 toward the client
 * (a "down" side), HTTP/1 or HTTP/2 toward the server (an "up" side), in
 * any pairing.
 *
 * Contract:
 * - A down codec makes the exchange when a request head arrives
 *   (core_exchange_new), then feeds it the request's events; an up codec
 *   feeds it the response's. Bodies are payload, framing removed; each
 *   codec frames what it writes itself.
 * - The exchange calls the sides' ops; an op never calls back into the
 *   exchange before it returns (codecs queue and report later), so the
 *   exchange may free itself in any event handler. Every event handler
 *   may free the exchange: the caller must not touch it afterwards
 *   unless told otherwise.
 * - Back-pressure: an event handler returns after forwarding; the side
 *   that receives reports, through core_exchange_*_drained, when its
 *   queue emptied, and the exchange resumes the other side.
 */
#ifndef CORE_PROXY_EXCHANGE_H
#define CORE_PROXY_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct exchange;
struct flow;
struct flow_headers;
struct flow_request;
struct flow_response;
struct stream;

/* How a message's body is delimited, as a codec parsed it or must
 * write it. A codec that cannot write a kind writes another one that
 * carries the same payload (HTTP/2 has only DATA frames). */
enum xbody {
	XBODY_NONE,		/* no body */
	XBODY_LENGTH,		/* exactly len bytes */
	XBODY_CHUNKED,		/* payload of unknown length, then the end */
	XBODY_CLOSE		/* until the connection closes (HTTP/1 only) */
};

/* Where the request goes: set by the down codec from the request (and
 * for a transparent client, where the program was going). */
struct xtarget {
	char	*scheme;	/* "http" / "https" */
	char	*host;		/* where trawl connects */
	int	 port;
	char	*tls_name;	/* https: the name sent and verified */
	int	 absolute;	/* the Host field follows the URL */
	int	 upgrade;	/* the client asked to switch protocols */
	int	 minor;		/* an HTTP/1 client's 1.<minor>, else 1 */
};

#define XFAIL_KILLED	(-1)

/* The codec toward the client. side is the codec's own handle. */
struct down_ops {
	void	(*interim)(void *side, const struct flow_response *);
	void	(*head)(void *side, const struct flow_response *,
		    enum xbody, uint64_t len);
	void	(*data)(void *side, const char *, size_t);
	void	(*end)(void *side, const struct flow_headers *trailers);
	/* trawl answers with status (a response of its own) when nothing
	 * of a response went out yet; otherwise, or with status 0, the
	 * client's request is reset (HTTP/2 RST_STREAM, HTTP/1 a reset
	 * connection). XFAIL_KILLED: the user killed it, and each codec
	 * does what a kill is in its protocol (HTTP/1 answers 502, HTTP/2
	 * resets the stream). */
	void	(*fail)(void *side, int status, const char *reason,
		    const char *msg);
	size_t	(*pending)(void *side);
	/* Stop or resume reading the request body. */
	void	(*pause)(void *side, int paused);
	/* The exchange is over and gone; ok: it ended as HTTP allows the
	 * connection to go on (the codec may read the next request). */
	void	(*done)(void *side, int ok);
	/* 101 from an HTTP/1 server to an HTTP/1 client: the codec takes
	 * the upstream's stream and relays raw, as a tunnel on the same
	 * flow. NULL when the codec cannot (HTTP/2). Takes ownership of
	 * the stream and of the flow. */
	void	(*switch_protocols)(void *side, struct flow *,
		    struct stream *up, const char *pre, size_t prelen);
};

/* The codec toward the server. */
struct up_ops {
	void	(*head)(void *side, const struct flow_request *,
		    const struct xtarget *, enum xbody, uint64_t len);
	void	(*data)(void *side, const char *, size_t);
	void	(*end)(void *side, const struct flow_headers *trailers);
	size_t	(*pending)(void *side);
	/* Stop or resume reading the response. */
	void	(*pause)(void *side, int paused);
	/* The exchange lets go: reusable (the response ended as HTTP
	 * allows) or not (the codec ends the stream or connection). */
	void	(*release)(void *side, int reusable);
	/* For switch_protocols: the raw stream and what was read past the
	 * 101 head; the side is gone afterwards. NULL when impossible. */
	struct stream *(*detach)(void *side, const char **pre, size_t *prelen);
};

/*
 * A request head arrived. Takes ownership of req and of the target's
 * strings. f is a new FLOW_HTTP flow (client, process, TLS set) the
 * exchange now owns. framing says how the request body comes.
 */
struct exchange	*core_exchange_new(struct conn *, const struct down_ops *,
		    void *down, struct flow *f, struct flow_request *req,
		    struct xtarget *, enum xbody, uint64_t len);
void		 core_exchange_request_data(struct exchange *, const char *,
		    size_t);
void		 core_exchange_request_end(struct exchange *,
		    const struct flow_headers *trailers);
/* The client went (reset, closed, the codec failed): why for the flow. */
void		 core_exchange_client_gone(struct exchange *, const char *why);
void		 core_exchange_down_drained(struct exchange *);

/* From the up codec. Takes ownership of resp. */
void		 core_exchange_response_head(struct exchange *,
		    struct flow_response *, enum xbody, uint64_t len);
void		 core_exchange_response_data(struct exchange *, const char *,
		    size_t);
void		 core_exchange_response_end(struct exchange *,
		    const struct flow_headers *trailers);
/* The server went. retry: nothing of a response came on a reused
 * connection (a keep-alive race), so the request may go again. */
void		 core_exchange_server_gone(struct exchange *, const char *why,
		    int retry);
void		 core_exchange_up_drained(struct exchange *);
/* Nothing moved for LIMIT_IDLE_CLIENT_SEC: the client gets 504 (or a
 * reset once a response started), the flow the reason. */
void		 core_exchange_timeout(struct exchange *);
/* The up side's TLS handshake is done (for the flow's record). */
void		 core_exchange_up_tls(struct exchange *, struct stream *);

/* For the conn: an upstream for the exchange is ready, or is not. */
void		 core_exchange_up_ready(struct exchange *,
		    const struct up_ops *, void *up, const char *addr);
void		 core_exchange_up_failed(struct exchange *, const char *why,
		    double dns_end, const char *addr);
/* The connection ends (trawl quits, the client is gone): drops x, which
 * is recorded as ended by why. */
void		 core_exchange_abort(struct exchange *, const char *why);

struct flow	*core_exchange_flow(const struct exchange *);
const struct xtarget *core_exchange_target(const struct exchange *);
/* 1 while the request body is still coming from the client. */
int		 core_exchange_request_open(const struct exchange *);
/* Exchanges alive now. */
int		 core_exchange_count(void);

void		 core_xtarget_clear(struct xtarget *);

#endif
