/*
 * tunnel.h -- a raw relay between two streams, recorded as a TCP flow:
 * bytes both ways (a capped prefix kept), half-close both ways, one
 * teardown when both sides are done or either fails.
 */
#ifndef CORE_TUNNEL_H
#define CORE_TUNNEL_H

#include <stddef.h>

struct flow;
struct stream;

/*
 * Takes ownership of both streams. The flow must already be in the store;
 * the tunnel finishes it. pre holds client bytes read before the tunnel
 * began (sent to the server first). client_eof: the client already sent
 * its FIN (its stream will not say so again), so the server gets one.
 */
void	core_tunnel_start(struct stream *client, struct stream *server,
	    struct flow *, const char *pre, size_t prelen, int client_eof);

/* Records n bytes one side sent: the up/down prefix and a chunk in the
 * flow's messages (opcode 0), for bytes relayed before a tunnel starts. */
void	core_tunnel_record(struct flow *, int from_client, const char *,
	    size_t);

/* Tunnels open now. */
int	core_tunnel_count(void);

#endif
