/*
 * netlink.h -- the few rtnetlink requests trawl-redirector makes: tun
 * addresses, the IPv6 policy rule and route, and removing them.
 *
 * Every function returns 0 or -1 with *cause (caller frees). The fd comes
 * from rd_netlink_open and is closed with close(2).
 */
#ifndef REDIRECT_NETLINK_H
#define REDIRECT_NETLINK_H

#include <stdint.h>

int	rd_netlink_open(char **cause);
/* Adds addr/prefix to the link; IPv6 without duplicate detection. */
int	rd_netlink_addr_add(int fd, int ifindex, int family, const void *addr,
	    int prefix, char **cause);
/* Adds or deletes "ip -6 rule add pref RD_RULE_PRIORITY oif NAME lookup T". */
int	rd_netlink_rule(int fd, int add, const char *ifname, uint32_t table,
	    char **cause);
/* Adds "ip -6 route add default dev IFINDEX table T". */
int	rd_netlink_route_add(int fd, int ifindex, uint32_t table, char **cause);
/*
 * Deletes the IPv6 rules at RD_RULE_PRIORITY whose interface is gone (left
 * by a redirector that was killed). Returns how many, or -1.
 */
int	rd_netlink_rule_cleanup(int fd, char **cause);
/* Deletes the link (the tun goes even if trawl still holds its fd). */
int	rd_netlink_link_del(int fd, int ifindex, char **cause);

#endif
