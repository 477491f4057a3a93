/*
 * pcapflow.h -- one flow as the TCP (or UDP) packets that would have
 * carried it: Wireshark's "export as pcap" for a flow trawl recorded,
 * not what crossed the wire (trawl never sees the client's packets).
 *
 * An HTTP flow becomes a TCP conversation between its client and its
 * server address (IPv4 or IPv6 as they are): handshake, the request as
 * HTTP/1.1 text (an HTTP/2 exchange too, in its HTTP/1.1 form) client to
 * server, the response back, in segments of PCAPFLOW_MSS bytes with
 * their sequence numbers, acknowledgements and checksums, and a FIN each
 * way. A raw TCP flow carries its recorded bytes, a UDP flow one
 * datagram each way. Times are the flow's own.
 */
#ifndef CORE_PCAPFLOW_H
#define CORE_PCAPFLOW_H

#include <stddef.h>
#include <stdint.h>

struct flow;

#define PCAPFLOW_MSS	1400

/* One packet (a raw IP datagram) at t (epoch seconds). */
typedef void	(*pcapflow_emit)(void *arg, double t, int from_client,
		    const uint8_t *pkt, size_t len);

/* The packets of one flow, in order. 0, or -1 with *cause (nothing to
 * write: a DNS flow, a flow without a request). */
int	core_pcapflow_packets(const struct flow *, pcapflow_emit, void *arg,
	    char **cause);
/* The packets of one flow as a pcapng file at path, 0600. 0, or -1. */
int	core_pcapflow_save(const struct flow *, const char *path,
	    char **cause);

#endif
