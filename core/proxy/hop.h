/*
 * hop.h -- which header fields stop at trawl (hop-by-hop), for the
 * codecs that write messages on.
 */
#ifndef CORE_PROXY_HOP_H
#define CORE_PROXY_HOP_H

/*
 * 1 when a field named name is not forwarded: the hop-by-hop fields of
 * RFC 9110 7.6.1 and those the message's Connection field (connection,
 * may be NULL) names. Content-Length, Transfer-Encoding and Host are
 * never hop-by-hop here: the codecs frame messages themselves, and a
 * Connection token naming them is ignored (request smuggling, response
 * desync).
 */
int	core_hop_by_hop(const char *name, const char *connection);

#endif
