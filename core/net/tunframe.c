/*
 * tunframe.c -- the virtio-net header on trawl's tun.
 */
#include <sys/ioctl.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "core/net/packet.h"
#include "core/net/tunframe.h"

size_t
core_tunframe_len(int fd)
{
	struct ifreq ifr;
	int n;

	memset(&ifr, 0, sizeof ifr);
	if (fd == -1 || ioctl(fd, TUNGETIFF, &ifr) == -1 ||
	    !(ifr.ifr_flags & IFF_VNET_HDR))
		return 0;
	if (ioctl(fd, TUNGETVNETHDRSZ, &n) == -1 || n < 0 ||
	    (size_t)n > TUNFRAME_MAX ||
	    (size_t)n < sizeof(struct virtio_net_hdr))
		return 0;
	return (size_t)n;
}

int
core_tunframe_out(void *hdr, size_t hlen, uint8_t *pkt,
    const struct packet *pk)
{
	struct virtio_net_hdr vh;

	memset(hdr, 0, hlen);
	if (hlen < sizeof vh || pk == NULL || pk->proto != IPPROTO_TCP)
		return 0;
	memset(&vh, 0, sizeof vh);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh.csum_start = (uint16_t)pk->l4_off;
	vh.csum_offset = (uint16_t)(pk->csum_off - pk->l4_off);
	memcpy(hdr, &vh, sizeof vh);
	core_packet_l4_csum_partial(pkt, pk);
	return 1;
}
