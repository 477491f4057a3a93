/*
 * tunframe.h -- the virtio-net header in front of each packet on trawl's
 * tun, and what trawl tells the kernel with it.
 *
 * trawl-redirector makes the tun with IFF_VNET_HDR and checksum offload:
 * TCP segments the kernel sends into the tun arrive without their
 * checksum computed, and segments trawl writes carry only the partial
 * (pseudo-header) sum, which the kernel never completes for sockets on
 * this host. Each TCP byte then costs no checksum pass on either side
 * (measured: bench/RESULTS.md). A tun without the header (the netstack's
 * own tests, the fuzzer's socketpair) carries plain packets and lwIP
 * computes and checks every checksum. Kernel-header code only.
 */
#ifndef CORE_TUNFRAME_H
#define CORE_TUNFRAME_H

#include <stddef.h>
#include <stdint.h>

struct packet;

/* Room for the largest header (virtio-net with num_buffers). */
#define TUNFRAME_MAX	12

/* Bytes of header in front of each packet read from or written to fd:
 * 0 when fd is not a tun or was made without IFF_VNET_HDR. */
size_t		core_tunframe_len(int fd);

/*
 * Fills hdr[0..hlen) for the outgoing packet pkt, its headers parsed in pk
 * (only they need be at hand): for TCP it asks for a partial checksum and
 * puts the pseudo-header sum into pkt's checksum field; anything else, or
 * pk NULL, goes as is (its checksum computed by lwIP). Returns 1 when it
 * left the checksum to the kernel, 0 otherwise.
 */
int		core_tunframe_out(void *hdr, size_t hlen, uint8_t *pkt,
		    const struct packet *pk);

#endif
