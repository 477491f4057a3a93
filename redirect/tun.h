/*
 * tun.h -- the tun device trawl reads captured packets from.
 *
 * IFF_TUN | IFF_NO_PI, named by the kernel from RD_TUN_NAME. The device
 * lives as long as an fd to it is open (the redirector's and trawl's), or
 * until deleted through rtnetlink.
 */
#ifndef REDIRECT_TUN_H
#define REDIRECT_TUN_H

#include <net/if.h>

/*
 * Creates the tun. Fills ifname (IF_NAMESIZE bytes) and *ifindex. Returns
 * the fd (caller closes) or -1 with *cause (caller frees).
 */
int	rd_tun_open(char *ifname, int *ifindex, char **cause);
/* Sets the MTU, turns multicast off and brings the link up. 0 or -1. */
int	rd_tun_up(const char *ifname, int mtu, char **cause);

#endif
