/*
 * h2fields.h -- a message's header fields as HTTP/2 carries them on.
 */
#ifndef CORE_PROXY_H2FIELDS_H
#define CORE_PROXY_H2FIELDS_H

#include <stddef.h>

struct flow_headers;
struct h2_field;

/*
 * Fills *out (caller frees) with the fields of h that go on to an HTTP/2
 * peer: no hop-by-hop field (TE only as "trailers", which gRPC needs), no
 * Host (HTTP/2 says it in :authority), no framing (Transfer-Encoding).
 * The strings point into h. Returns how many.
 */
size_t	core_h2fields_from(const struct flow_headers *h, struct h2_field **out);

#endif
