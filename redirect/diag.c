/*
 * diag.c -- exact socket lookups and SOCK_DESTROY over NETLINK_SOCK_DIAG.
 */
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* Sockets one dump pass collects before destroying them. */
#define DESTROY_BATCH	1024
/* Passes: sockets destroyed during a dump may hide others from it. */
#define DESTROY_PASSES	8
/* TCP states worth ending: all but LISTEN (2^10) and TIME_WAIT (2^6). */
#define TCP_CONN_STATES	(~0u & ~(1u << 10) & ~(1u << 6))

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

/* Sends one SOCK_DESTROY for id and reads the ack. 1 destroyed, else 0. */
static int
destroy_one(int fd, int family, int proto, const struct inet_diag_sockid *id)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	req;
	} msg;
	char			 buf[1024] __attribute__((aligned(8)));
	struct nlmsghdr		*nh;
	struct nlmsgerr		*err;
	ssize_t			 n;

	memset(&msg, 0, sizeof msg);
	msg.nh.nlmsg_len = sizeof msg;
	msg.nh.nlmsg_type = SOCK_DESTROY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	msg.nh.nlmsg_seq = 2;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = (uint8_t)proto;
	msg.req.idiag_states = ~0u;
	msg.req.id = *id;
	if (send(fd, &msg, sizeof msg, 0) != (ssize_t)sizeof msg)
		return 0;
	n = recv(fd, buf, sizeof buf, 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof *err))
		return 0;
	nh = (struct nlmsghdr *)buf;
	if (nh->nlmsg_type != NLMSG_ERROR)
		return 0;
	err = NLMSG_DATA(nh);
	return err->error == 0;
}

/*
 * One dump of family/proto: collects the sockets bound to ifindex, then
 * destroys them over a second socket. Returns how many, or -1.
 */
static int
destroy_pass(int family, int proto, int ifindex, int *failed)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	req;
	} msg;
	static struct inet_diag_sockid	 ids[DESTROY_BATCH];
	char				 buf[16384] __attribute__((aligned(8)));
	struct nlmsghdr			*nh;
	struct inet_diag_msg		*dm;
	size_t				 nids = 0, i;
	ssize_t				 n;
	unsigned int			 len;
	int				 fd, dfd = -1, done = 0, rc = -1;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		return -1;
	memset(&msg, 0, sizeof msg);
	msg.nh.nlmsg_len = sizeof msg;
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nh.nlmsg_seq = 1;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = (uint8_t)proto;
	msg.req.idiag_states = proto == IPPROTO_TCP ? TCP_CONN_STATES : ~0u;
	if (send(fd, &msg, sizeof msg, 0) != (ssize_t)sizeof msg)
		goto out;
	while (!done) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		len = (unsigned int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		    nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof *dm))
				continue;
			dm = NLMSG_DATA(nh);
			if (dm->id.idiag_if == (uint32_t)ifindex &&
			    nids < DESTROY_BATCH)
				ids[nids++] = dm->id;
		}
	}
	dfd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (dfd == -1)
		goto out;
	rc = 0;
	for (i = 0; i < nids; i++) {
		if (destroy_one(dfd, family, proto, &ids[i]))
			rc++;
		else
			(*failed)++;
	}
out:
	if (dfd != -1)
		close(dfd);
	close(fd);
	return rc;
}

int
rd_diag_destroy(int ifindex)
{
	static const int	 what[][2] = {
		{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
	};
	size_t			 i;
	int			 pass, n, round, total = 0, failed = 0;

	if (ifindex <= 0)
		return 0;
	for (pass = 0; pass < DESTROY_PASSES; pass++) {
		round = 0;
		failed = 0;
		for (i = 0; i < sizeof what / sizeof what[0]; i++) {
			n = destroy_pass(what[i][0], what[i][1], ifindex,
			    &failed);
			if (n > 0)
				round += n;
		}
		total += round;
		if (round == 0)
			break;
	}
	return failed > 0 && total == 0 ? -1 : total;
}
