/*
 * netlink.c -- rtnetlink requests, each acknowledged before returning.
 */
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redirect/msg.h"
#include "redirect/netlink.h"
#include "redirect/proto.h"

#define NL_BUF	8192

struct nlreq {
	struct nlmsghdr	*nh;
	char		 buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static uint32_t	nl_seq;

static void *
req_init(struct nlreq *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(r->buf, 0, sizeof r->buf);
	r->nh = (struct nlmsghdr *)r->buf;
	r->nh->nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->nh->nlmsg_type = type;
	r->nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nh->nlmsg_seq = ++nl_seq;
	return NLMSG_DATA(r->nh);
}

/* Appends one attribute; the buffer is sized for every request made here. */
static void
req_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr	*rta;
	size_t		 off = NLMSG_ALIGN(r->nh->nlmsg_len);

	if (off + RTA_SPACE(len) > sizeof r->buf)
		abort();
	rta = (struct rtattr *)(r->buf + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

/* Sends the request and waits for its ack. Returns 0 or -errno. */
static int
req_send(int fd, struct nlreq *r)
{
	char			 buf[NL_BUF] __attribute__((aligned(8)));
	struct nlmsghdr		*nh;
	struct nlmsgerr		*err;
	ssize_t			 n;
	unsigned int		 len;

	if (send(fd, r->buf, r->nh->nlmsg_len, 0) == -1)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (unsigned int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		    nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != r->nh->nlmsg_seq)
				continue;
			if (nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *err))
				return -EPROTO;
			err = NLMSG_DATA(nh);
			return err->error;
		}
	}
}

int
rd_netlink_open(char **cause)
{
	struct sockaddr_nl	sa;
	int			fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1) {
		rd_fail(cause, "netlink socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		rd_fail(cause, "netlink bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
rd_netlink_addr_add(int fd, int ifindex, int family, const void *addr,
    int prefix, char **cause)
{
	struct nlreq		 r;
	struct ifaddrmsg	*ifa;
	size_t			 alen = family == AF_INET ? 4 : 16;
	int			 rc;

	ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
	    sizeof *ifa);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	/* No duplicate detection: the address must work at once. */
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	req_attr(&r, IFA_LOCAL, addr, alen);
	req_attr(&r, IFA_ADDRESS, addr, alen);
	if ((rc = req_send(fd, &r)) != 0) {
		rd_fail(cause, "adding the tun's IPv%d address: %s",
		    family == AF_INET ? 4 : 6, strerror(-rc));
		return -1;
	}
	return 0;
}

int
rd_netlink_rule(int fd, int add, const char *ifname, uint32_t table,
    char **cause)
{
	struct nlreq		 r;
	struct fib_rule_hdr	*fr;
	uint32_t		 prio = RD_RULE_PRIORITY;
	int			 rc;

	fr = req_init(&r, add ? RTM_NEWRULE : RTM_DELRULE,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof *fr);
	fr->family = AF_INET6;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_UNSPEC;	/* the table goes in FRA_TABLE */
	req_attr(&r, FRA_PRIORITY, &prio, sizeof prio);
	req_attr(&r, FRA_OIFNAME, ifname, strlen(ifname) + 1);
	req_attr(&r, FRA_TABLE, &table, sizeof table);
	if ((rc = req_send(fd, &r)) != 0) {
		rd_fail(cause, "%s the IPv6 rule for %s: %s",
		    add ? "adding" : "deleting", ifname, strerror(-rc));
		return -1;
	}
	return 0;
}

int
rd_netlink_route_add(int fd, int ifindex, uint32_t table, char **cause)
{
	struct nlreq	 r;
	struct rtmsg	*rt;
	uint32_t	 oif = (uint32_t)ifindex;
	int		 rc;

	rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
	rt->rtm_family = AF_INET6;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	req_attr(&r, RTA_TABLE, &table, sizeof table);
	req_attr(&r, RTA_OIF, &oif, sizeof oif);
	if ((rc = req_send(fd, &r)) != 0) {
		rd_fail(cause, "adding the IPv6 route of table %u: %s", table,
		    strerror(-rc));
		return -1;
	}
	return 0;
}

int
rd_netlink_link_del(int fd, int ifindex, char **cause)
{
	struct nlreq		 r;
	struct ifinfomsg	*ifi;
	int			 rc;

	ifi = req_init(&r, RTM_DELLINK, 0, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if ((rc = req_send(fd, &r)) != 0) {
		rd_fail(cause, "deleting the tun: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* A stale rule: ours by priority and table range, its interface gone. */
struct stale {
	char		ifname[IF_NAMESIZE];
	uint32_t	table;
};

int
rd_netlink_rule_cleanup(int fd, char **cause)
{
	char			 buf[NL_BUF] __attribute__((aligned(8)));
	struct stale		 stale[32];
	struct nlreq		 r;
	struct fib_rule_hdr	*fr;
	struct nlmsghdr		*nh;
	struct rtattr		*rta;
	ssize_t			 n;
	size_t			 nstale = 0, i;
	unsigned int		 len;
	int			 alen, done = 0, deleted = 0;
	uint32_t		 prio, table;
	char			 ifname[IF_NAMESIZE];

	fr = req_init(&r, RTM_GETRULE, NLM_F_DUMP, sizeof *fr);
	r.nh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	fr->family = AF_INET6;
	if (send(fd, r.buf, r.nh->nlmsg_len, 0) == -1) {
		rd_fail(cause, "listing IPv6 rules: %s", strerror(errno));
		return -1;
	}
	while (!done) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			rd_fail(cause, "listing IPv6 rules: %s", strerror(errno));
			return -1;
		}
		len = (unsigned int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		    nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWRULE ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof *fr))
				continue;
			fr = NLMSG_DATA(nh);
			prio = 0;
			table = fr->table;
			ifname[0] = '\0';
			alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof *fr));
			for (rta = (struct rtattr *)((char *)fr +
			    NLMSG_ALIGN(sizeof *fr)); RTA_OK(rta, alen);
			    rta = RTA_NEXT(rta, alen)) {
				if (rta->rta_type == FRA_PRIORITY &&
				    RTA_PAYLOAD(rta) >= 4)
					memcpy(&prio, RTA_DATA(rta), 4);
				else if (rta->rta_type == FRA_TABLE &&
				    RTA_PAYLOAD(rta) >= 4)
					memcpy(&table, RTA_DATA(rta), 4);
				else if (rta->rta_type == FRA_OIFNAME &&
				    RTA_PAYLOAD(rta) > 0 &&
				    RTA_PAYLOAD(rta) <= IF_NAMESIZE) {
					memcpy(ifname, RTA_DATA(rta),
					    RTA_PAYLOAD(rta));
					ifname[IF_NAMESIZE - 1] = '\0';
				}
			}
			if (prio != RD_RULE_PRIORITY || ifname[0] == '\0' ||
			    (table & 0xffff0000u) != RD_TABLE_BASE)
				continue;
			if (if_nametoindex(ifname) != 0 ||
			    nstale == sizeof stale / sizeof stale[0])
				continue;
			memcpy(stale[nstale].ifname, ifname, IF_NAMESIZE);
			stale[nstale].table = table;
			nstale++;
		}
	}
	/* Deleted after the dump: the socket cannot do both at once. */
	for (i = 0; i < nstale; i++) {
		if (rd_netlink_rule(fd, 0, stale[i].ifname, stale[i].table,
		    cause) != 0)
			return -1;
		deleted++;
	}
	return deleted;
}
