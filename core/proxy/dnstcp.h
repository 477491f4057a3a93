/*
 * dnstcp.h -- DNS over TCP (RFC 7766) seen in a raw tunnel to port 53:
 * each 2-byte length-prefixed query and its answer become a DNS flow, as
 * the UDP relay makes them; the tunnel's TCP flow stays as it is.
 *
 * Contract:
 * - Bytes are fed as the tunnel relays them, in any split; a message is
 *   parsed once whole. A message that does not parse as DNS stops the
 *   parsing for the connection (the bytes still flow, untouched).
 * - Buffers are capped by the framing (2 + 65535 bytes per direction);
 *   queries waiting for an answer by LIMIT_DNS_PENDING (the oldest then
 *   ends as "no answer").
 */
#ifndef CORE_DNSTCP_H
#define CORE_DNSTCP_H

#include <stddef.h>

struct dnstcp;
struct flow;

/* For the tunnel of flow tcp (its client, server, process are copied),
 * or NULL when its server port is not 53. Caller frees. */
struct dnstcp	*core_dnstcp_new(const struct flow *tcp);
void		 core_dnstcp_feed(struct dnstcp *, int from_client,
		    const char *, size_t);
/* Queries still unanswered finish with error (NULL: "no answer"). */
void		 core_dnstcp_free(struct dnstcp *, const char *error);

#endif
