/*
 * diag.c -- exact socket lookups over NETLINK_SOCK_DIAG.
 */
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "redirect/diag.h"

/*
 * One exact request. TCP and UDP disagree on which of idiag_src/dst is
 * the local end in exact lookups, so the caller tries both orders.
 */
static int
lookup(const struct rd_tuple *t, const uint8_t *src, uint16_t sport,
    const uint8_t *dst, uint16_t dport, int ifindex, uint64_t *cookie)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	req;
	} msg;
	char			 buf[4096] __attribute__((aligned(8)));
	struct nlmsghdr		*nh;
	struct inet_diag_msg	*dm;
	size_t			 alen = t->family == AF_INET ? 4 : 16;
	ssize_t			 n;
	unsigned int		 len;
	int			 fd, rc = -1;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		return -1;
	memset(&msg, 0, sizeof msg);
	msg.nh.nlmsg_len = sizeof msg;
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST;
	msg.nh.nlmsg_seq = 1;
	msg.req.sdiag_family = t->family;
	msg.req.sdiag_protocol = t->proto;
	msg.req.idiag_states = ~0u;
	msg.req.id.idiag_sport = htons(sport);
	msg.req.id.idiag_dport = htons(dport);
	memcpy(msg.req.id.idiag_src, src, alen);
	memcpy(msg.req.id.idiag_dst, dst, alen);
	msg.req.id.idiag_if = (uint32_t)ifindex;
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (send(fd, &msg, sizeof msg, 0) != (ssize_t)sizeof msg)
		goto out;
	n = recv(fd, buf, sizeof buf, 0);
	if (n <= 0)
		goto out;
	len = (unsigned int)n;
	rc = 0;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
	    nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    nh->nlmsg_len < NLMSG_LENGTH(sizeof *dm))
			continue;
		dm = NLMSG_DATA(nh);
		*cookie = (uint64_t)dm->id.idiag_cookie[0] |
		    (uint64_t)dm->id.idiag_cookie[1] << 32;
		rc = 1;
		break;
	}
out:
	close(fd);
	return rc;
}

int
rd_diag_cookie(const struct rd_tuple *t, const uint8_t *saddr, int ifindex,
    uint64_t *cookie)
{
	int	rc;

	if (t->family != AF_INET && t->family != AF_INET6)
		return -1;
	rc = lookup(t, saddr, t->sport, t->daddr, t->dport, ifindex, cookie);
	if (rc != 0)
		return rc;
	return lookup(t, t->daddr, t->dport, saddr, t->sport, ifindex, cookie);
}
