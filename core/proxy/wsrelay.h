/*
 * wsrelay.h -- the relay of an upgraded WebSocket connection: bytes both
 * ways as they came, parsed beside into messages kept on the flow;
 * intercept rules that match the flow hold its messages one at a time
 * (resume, edit, drop); the user may inject messages either way.
 *
 * The wire bytes pass unchanged unless the user changed something: an
 * edited or injected message is framed anew (masked toward the server,
 * uncompressed with RSV1 clear even when permessage-deflate is in use).
 * A dropped or edited compressed message breaks the receiver's deflate
 * context when the sender takes it over, so from then on every message
 * of that direction is sent uncompressed, each at most LIMIT_WS_MESSAGE
 * bytes; a larger one ends the connection with close code 1009.
 * Bytes that do not parse as WebSocket are relayed as they are, and the
 * flow says why.
 */
#ifndef CORE_WSRELAY_H
#define CORE_WSRELAY_H

#include <stddef.h>

struct flow;
struct stream;

/* Whether a flow answered with 101 switches to WebSocket. */
int	core_wsrelay_wants(const struct flow *);

/*
 * Takes ownership of both streams, like core_tunnel_start; the flow must
 * be in the store and the relay finishes it. client_pre: client bytes
 * read after the request; server_pre: server bytes after the 101 head,
 * not sent to the client yet. client_eof: the client's FIN came already.
 */
void	core_wsrelay_start(struct stream *client, struct stream *server,
	    struct flow *, const char *client_pre, size_t client_prelen,
	    const char *server_pre, size_t server_prelen, int client_eof);

/*
 * Sends a message the user wrote (opcode WS_TEXT or WS_BINARY) toward
 * the server (to_server) or the client, at the next message boundary of
 * that direction. Returns 0, or -1 with *cause (caller frees).
 */
int	core_wsrelay_inject(struct flow *, int to_server, int opcode,
	    const char *, size_t, char **cause);

/* WebSocket relays open now. */
int	core_wsrelay_count(void);

#endif
