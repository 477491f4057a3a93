/*
 * main.c -- trawl-redirector: the root half of trawl's local mode.
 *
 * Creates the tun, sets its sysctls, the IPv6 rule and route, loads the
 * BPF program and the tun's ingress guard, hands the tun fd to trawl over
 * the socketpair, then serves spec changes and process look-ups until the
 * socketpair closes or a signal arrives. Every exit path runs teardown(),
 * which undoes all of it and ends the captured connections; a watchdog
 * child does the same when this process is killed (redirect/journal.h).
 */
#include <sys/poll.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <mntent.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redirect/diag.h"
#include "redirect/journal.h"
#include "redirect/msg.h"
#include "redirect/netlink.h"
#include "redirect/netns.h"
#include "redirect/prog.h"
#include "redirect/proto.h"
#include "redirect/sysctl.h"
#include "redirect/tun.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

struct redirector {
	int		 ctl;		/* socketpair to trawl */
	int		 sigfd;
	int		 nl;		/* rtnetlink */
	int		 tun;
	int		 ifindex;
	char		 ifname[IF_NAMESIZE];
	int		 have6;		/* the host has IPv6 */
	uint32_t	 table;
	int		 rule;		/* the IPv6 rule is ours to delete */
	int		 cgroup;
	const char	*cgroup_path;
	const char	*netns_path;	/* --netns: work in that namespace */
	uint32_t	 trawl_pid;
	uint32_t	 trawl_uid;	/* the socketpair's */
	uint32_t	 trawl_gid;
	uint64_t	 netns;
	uint8_t		 addr4[4];
	uint8_t		 addr6[16];
	struct rd_owner	 owner;
	struct rd_prog	*prog;
	struct rd_journal *journal;
	int		 watchdog;	/* pipe to the watchdog, or -1 */
};

static void
warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("trawl-redirector: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: trawl-redirector [--fd N] --trawl-pid PID "
	    "[--cgroup PATH] [--netns PATH]\n");
	exit(2);
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * The socket must be a SOCK_SEQPACKET socketpair made by trawl itself;
 * *uid is trawl's (effective) uid.
 */
static int
check_ctl(int fd, uint32_t trawl_pid, uint32_t *uid, uint32_t *gid,
    char **cause)
{
	struct ucred	cred;
	struct stat	st;
	socklen_t	len;
	int		v;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return asprintf(cause, "fd %d is not a socket", fd), -1;
	len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1 ||
	    v != AF_UNIX)
		return asprintf(cause, "fd %d is not AF_UNIX", fd), -1;
	len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_SEQPACKET)
		return asprintf(cause, "fd %d is not SOCK_SEQPACKET", fd), -1;
	len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return asprintf(cause, "SO_PEERCRED: %s", strerror(errno)), -1;
	if ((uint32_t)cred.pid != trawl_pid)
		return asprintf(cause, "socket belongs to pid %d, not %u",
		    (int)cred.pid, trawl_pid), -1;
	*uid = (uint32_t)cred.uid;
	*gid = (uint32_t)cred.gid;
	return 0;
}

/*
 * Whose sockets this session may capture. trawl running as a user (the
 * socketpair's uid), or as root started through sudo by a user
 * (SUDO_UID): only that user's. Root's own trawl: everyone's; and root's
 * trawl through sudo given a namespace (--netns): everyone's in it, for a
 * container's processes are seldom the user's.
 */
static int
find_owner(uint32_t trawl_uid, int netns, struct rd_owner *o, char **cause)
{
	const char	*sudo = getenv("SUDO_UID");
	unsigned long	 v;

	memset(o, 0, sizeof *o);
	if (trawl_uid != 0) {
		o->only = 1;
		o->uid = trawl_uid;
		return 0;
	}
	if (netns || sudo == NULL || *sudo == '\0')
		return 0;
	if (parse_uint(sudo, UINT32_MAX - 1, &v) != 0)
		return asprintf(cause, "SUDO_UID=%s is not a uid", sudo), -1;
	if (v != 0) {
		o->only = 1;
		o->uid = (uint32_t)v;
	}
	return 0;
}

static int
netns_cookie(uint64_t *cookie, char **cause)
{
	socklen_t	len = sizeof *cookie;
	int		s, rc;

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s == -1)
		return asprintf(cause, "socket: %s", strerror(errno)), -1;
	rc = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len);
	close(s);
	if (rc == -1)
		return asprintf(cause, "SO_NETNS_COOKIE (Linux 5.14+): %s",
		    strerror(errno)), -1;
	return 0;
}

/* Opens --cgroup PATH or the cgroup v2 mount; refuses anything else. */
static int
open_cgroup(const char *path, char **cause)
{
	struct mntent	*m;
	struct statfs	 sfs;
	FILE		*f;
	char		 found[PATH_MAX] = "";
	int		 fd;

	if (path == NULL) {
		if ((f = setmntent("/proc/self/mounts", "r")) == NULL)
			return asprintf(cause, "/proc/self/mounts: %s",
			    strerror(errno)), -1;
		while ((m = getmntent(f)) != NULL) {
			if (strcmp(m->mnt_type, "cgroup2") == 0) {
				snprintf(found, sizeof found, "%s",
				    m->mnt_dir);
				break;
			}
		}
		endmntent(f);
		if (found[0] == '\0')
			return asprintf(cause, "no cgroup v2 mount in "
			    "/proc/self/mounts (mount one, or use "
			    "--cgroup)"), -1;
		path = found;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return asprintf(cause, "cgroup %s: %s", path,
		    strerror(errno)), -1;
	/* A hybrid layout's tmpfs /sys/fs/cgroup fails later with EBADF. */
	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return asprintf(cause, "%s is not a cgroup v2 directory",
		    path), -1;
	}
	return fd;
}

/*
 * The tun's own values, and the one shared value: the effective rp_filter
 * is max(all, dev), and a strict (1) one drops replies from addresses
 * routed elsewhere (the servers) and from local ones (127.0.0.1), so a
 * strict all is loosened to 2, which lets them pass and still checks
 * every other interface's sources; 0 and 2 are left alone. The tun needs
 * no filtering of its own: its ingress guard admits only packets for its
 * captured sockets.
 */
static int
set_sysctls(struct redirector *r, char **cause)
{
	char	path[128];

	if (rd_journal_lower(r->journal, "net/ipv4/conf/all/rp_filter", "1",
	    "2", cause) != 0)
		return -1;
#define DEV(fmt, val) do {						\
	snprintf(path, sizeof path, fmt, r->ifname);			\
	if (rd_sysctl_set(path, val, cause) != 0)			\
		return -1;						\
} while (0)
	DEV("net/ipv4/conf/%s/rp_filter", "0");
	DEV("net/ipv4/conf/%s/accept_local", "1");
	DEV("net/ipv4/conf/%s/route_localnet", "1");
	if (r->have6) {
		DEV("net/ipv6/conf/%s/router_solicitations", "0");
		DEV("net/ipv6/conf/%s/accept_ra", "0");
	}
#undef DEV
	return 0;
}

/*
 * The watchdog: a child that outlives a killed redirector (and trawl) and
 * then does its teardown, so captured programs see their connections end
 * at once. It holds nothing but the pipe and the session file (which keeps
 * the session alive in the journal's eyes until it is done). A 'd' on the
 * pipe says the redirector undid everything itself.
 */
static void __attribute__((noreturn))
watchdog(struct redirector *r, int rfd)
{
	sigset_t	set;
	ssize_t		n;
	char		c = 0, *cause = NULL;
	int		nl;

	rd_journal_forget_lock(r->journal);
	close(r->ctl);
	close(r->sigfd);
	close(r->nl);
	/* Out of trawl's session and process group: no hang-up, no ^C. */
	setsid();
	prctl(PR_SET_NAME, "trawl-watchdog", 0, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	do
		n = read(rfd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1 && c == 'd')
		_exit(0);
	/* The redirector died without its teardown: do it. */
	if ((nl = rd_netlink_open(&cause)) == -1) {
		warnx("watchdog: %s", cause != NULL ? cause : "netlink");
		free(cause);
	}
	rd_journal_close(r->journal, nl);
	_exit(0);
}

static int
start_watchdog(struct redirector *r, char **cause)
{
	pid_t	pid;
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return asprintf(cause, "pipe: %s", strerror(errno)), -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return asprintf(cause, "fork: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		close(p[1]);
		watchdog(r, p[0]);
	}
	close(p[0]);
	r->watchdog = p[1];
	return 0;
}

/* Writes what teardown must undo into the session's journal file. */
static int
record(struct redirector *r, char **cause)
{
	struct rd_session	s;

	memset(&s, 0, sizeof s);
	s.ifindex = r->ifindex;
	memcpy(s.ifname, r->ifname, sizeof s.ifname);
	s.ifname[sizeof s.ifname - 1] = '\0';
	s.table = r->table;
	s.rule6 = r->rule;
	return rd_journal_record(r->journal, &s, cause);
}

/* Everything up to the hello. Returns 0 or -1 with *cause. */
static int
setup(struct redirector *r, char **cause)
{
	/* First: everything below happens in that namespace. */
	if (r->netns_path != NULL && rd_netns_enter(r->netns_path,
	    (uid_t)r->trawl_uid, (gid_t)r->trawl_gid, cause) != 0)
		return -1;
	if (netns_cookie(&r->netns, cause) != 0)
		return -1;
	r->have6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	if ((r->nl = rd_netlink_open(cause)) == -1)
		return -1;
	/* Undoes dead sessions; held until the shared values are set. */
	if ((r->journal = rd_journal_open(r->netns, r->nl, cause)) == NULL)
		return -1;
	/* Forked before anything it must not hold: tun, BPF links. */
	if (start_watchdog(r, cause) != 0)
		return -1;
	if (r->have6 && rd_netlink_rule_cleanup(r->nl, cause) == -1)
		return -1;
	if ((r->tun = rd_tun_open(r->ifname, &r->ifindex, cause)) == -1)
		return -1;
	if (record(r, cause) != 0)
		return -1;
	if (set_sysctls(r, cause) != 0)
		return -1;
	inet_pton(AF_INET, RD_TUN_ADDR4, r->addr4);
	inet_pton(AF_INET6, RD_TUN_ADDR6, r->addr6);
	if (rd_netlink_addr_add(r->nl, r->ifindex, AF_INET, r->addr4,
	    RD_TUN_PREFIX4, cause) != 0)
		return -1;
	if (rd_tun_up(r->ifname, RD_TUN_MTU, cause) != 0)
		return -1;
	if (r->have6) {
		if (rd_netlink_addr_add(r->nl, r->ifindex, AF_INET6, r->addr6,
		    RD_TUN_PREFIX6, cause) != 0)
			return -1;
		r->table = RD_TABLE_BASE + (uint32_t)r->ifindex;
		if (rd_netlink_route_add(r->nl, r->ifindex, r->table,
		    cause) != 0)
			return -1;
		/* Journalled first: a crash in between deletes nothing. */
		r->rule = 1;
		if (record(r, cause) != 0)
			return -1;
		if (rd_netlink_rule(r->nl, 1, r->ifname, r->table, cause) != 0)
			return -1;
	}
	rd_journal_unlock(r->journal);
	r->prog = rd_prog_load(r->netns, r->ifindex, r->trawl_pid, &r->owner,
	    cause);
	if (r->prog == NULL)
		return -1;
	/* Before trawl holds the tun: nothing unguarded ever enters. */
	if (rd_prog_guard(r->prog, r->ifindex, cause) != 0)
		return -1;
	if ((r->cgroup = open_cgroup(r->cgroup_path, cause)) == -1)
		return -1;
	return 0;
}

static void
teardown(struct redirector *r)
{
	rd_prog_free(r->prog);		/* detaches first: no new captures */
	r->prog = NULL;
	rd_sysctl_restore();
	/* Ends the captured connections, deletes the rule and the tun (even
	 * while trawl holds its fd), restores shared values if last. */
	rd_journal_close(r->journal, r->nl);
	r->journal = NULL;
	if (r->watchdog != -1) {
		if (write(r->watchdog, "d", 1) != 1)
			warnx("telling the watchdog: %s", strerror(errno));
		close(r->watchdog);
	}
	if (r->tun != -1)
		close(r->tun);
	if (r->cgroup != -1)
		close(r->cgroup);
	if (r->nl != -1)
		close(r->nl);
}

static int
send_msg(struct redirector *r, const void *msg, size_t len, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;

	memset(&mh, 0, sizeof mh);
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	if (sendmsg(r->ctl, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

static int
send_hello(struct redirector *r, const char *error)
{
	struct rd_msg_hello	h;

	memset(&h, 0, sizeof h);
	rd_msg_init(&h.hdr, RD_MSG_HELLO, 0);
	if (error != NULL) {
		h.status = -1;
		snprintf(h.text, sizeof h.text, "%s", error);
		return send_msg(r, &h, sizeof h, -1);
	}
	h.ifindex = (uint32_t)r->ifindex;
	memcpy(h.ifname, r->ifname, sizeof h.ifname);
	h.ifname[sizeof h.ifname - 1] = '\0';
	memcpy(h.addr4, r->addr4, 4);
	inet_pton(AF_INET, RD_TUN_PEER4, h.peer4);
	h.prefix4 = RD_TUN_PREFIX4;
	if (r->have6) {
		memcpy(h.addr6, r->addr6, 16);
		inet_pton(AF_INET6, RD_TUN_PEER6, h.peer6);
		h.prefix6 = RD_TUN_PREFIX6;
	}
	h.mtu = RD_TUN_MTU;
	snprintf(h.text, sizeof h.text, "ready");
	return send_msg(r, &h, sizeof h, r->tun);
}

static int
reply_status(struct redirector *r, uint32_t seq, int status, const char *text)
{
	struct rd_msg_status	s;

	memset(&s, 0, sizeof s);
	rd_msg_init(&s.hdr, RD_MSG_STATUS, seq);
	s.status = status;
	snprintf(s.text, sizeof s.text, "%s", text != NULL ? text : "");
	return send_msg(r, &s, sizeof s, -1);
}

static int
handle_spec(struct redirector *r, const struct rd_msg_spec *m)
{
	struct rd_config	 c;
	char			*cause = NULL;
	int			 rc;

	/* Copied, and the unused rules cleared: the map gets no leftovers. */
	memcpy(&c, &m->config, sizeof c);
	if (rd_msg_check_config(&c, &cause) == 0) {
		memset(&c.rules[c.nrules], 0,
		    sizeof c.rules[0] * (RD_MAX_RULES - c.nrules));
		if (rd_prog_set_config(r->prog, &c, &cause) == 0 &&
		    !rd_prog_attached(r->prog))
			rd_prog_attach(r->prog, r->cgroup, &cause);
	}
	rc = reply_status(r, m->hdr.seq, cause == NULL ? 0 : -1, cause);
	free(cause);
	return rc;
}

static int
handle_lookup(struct redirector *r, const struct rd_msg_lookup *m)
{
	struct rd_msg_proc	 p;
	char			*cause = NULL;
	uint64_t		 cookie;

	memset(&p, 0, sizeof p);
	rd_msg_init(&p.hdr, RD_MSG_PROC, m->hdr.seq);
	if (rd_msg_check_tuple(&m->tuple, &cause) != 0) {
		warnx("%s", cause);
		free(cause);
		return -1;
	}
	if (rd_prog_lookup_tuple(r->prog, &m->tuple, &p.proc))
		p.found = 1;
	else if (rd_diag_cookie(&m->tuple, m->tuple.family == AF_INET ?
	    r->addr4 : r->addr6, r->ifindex, &cookie) == 1 &&
	    rd_prog_lookup_cookie(r->prog, cookie, &p.proc))
		p.found = 1;
	/* The map value is the kernel's copy: terminate the strings. */
	p.proc.comm[RD_COMM_LEN - 1] = '\0';
	p.proc.leader_comm[RD_COMM_LEN - 1] = '\0';
	return send_msg(r, &p, sizeof p, -1);
}

/*
 * A socket in the namespace for trawl's upstream connections: TCP or UDP
 * only, and owned (its inode, for uid routing rules and owner matches)
 * by trawl's user. Only with --netns: on the host trawl makes its own.
 */
static int
handle_socket(struct redirector *r, const struct rd_msg_socket *m)
{
	struct rd_msg_status	 s;
	const char		*why = NULL;
	int			 fd = -1, rc;

	if (r->netns_path == NULL)
		why = "sockets are made only in another namespace (--netns)";
	else if ((m->family != AF_INET && m->family != AF_INET6) ||
	    (m->type != SOCK_STREAM && m->type != SOCK_DGRAM))
		why = "only TCP and UDP sockets over IPv4 and IPv6";
	else {
		setfsgid((gid_t)r->trawl_gid);
		setfsuid((uid_t)r->trawl_uid);
		fd = socket(m->family, m->type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1)
			why = strerror(errno);
		setfsuid(0);
		setfsgid(0);
	}
	memset(&s, 0, sizeof s);
	rd_msg_init(&s.hdr, RD_MSG_STATUS, m->hdr.seq);
	if (fd == -1) {
		s.status = -1;
		snprintf(s.text, sizeof s.text, "socket: %s", why);
	}
	rc = send_msg(r, &s, sizeof s, fd);
	if (fd != -1)
		close(fd);
	return rc;
}

/* One datagram from trawl. Returns 0, or -1 to end the session. */
static int
handle(struct redirector *r)
{
	union rd_msg	 m;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr	align;
	} u;
	char		*cause = NULL;
	ssize_t		 n;
	int		 type, fd, unexpected = 0;

	memset(&mh, 0, sizeof mh);
	iov.iov_base = &m;
	iov.iov_len = sizeof m;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	n = recvmsg(r->ctl, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;		/* trawl went away */
	/* trawl never sends fds: close any, and end the session. */
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		unexpected = 1;
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			size_t i, k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof fd;

			for (i = 0; i < k; i++) {
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd,
				    sizeof fd);
				close(fd);
			}
		}
	}
	if (unexpected || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		warnx("unexpected control data or truncated message");
		return -1;
	}
	if ((type = rd_msg_check(&m, (size_t)n, &cause)) == -1) {
		warnx("%s", cause);
		free(cause);
		return -1;
	}
	switch (type) {
	case RD_MSG_SPEC:
		return handle_spec(r, &m.spec);
	case RD_MSG_LOOKUP:
		return handle_lookup(r, &m.lookup);
	case RD_MSG_PING:
		return reply_status(r, m.hdr.seq, 0, "pong");
	case RD_MSG_SOCKET:
		return handle_socket(r, &m.socket);
	}
	warnx("message type %d is not for the redirector", type);
	return -1;
}

static void
serve(struct redirector *r)
{
	struct pollfd			pfd[2];
	struct signalfd_siginfo		si;

	pfd[0].fd = r->ctl;
	pfd[0].events = POLLIN;
	pfd[1].fd = r->sigfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			warnx("poll: %s", strerror(errno));
			return;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(r->sigfd, &si, sizeof si) == sizeof si)
				return;
		}
		if (pfd[0].revents & POLLIN) {
			if (handle(r) != 0)
				return;
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return;
	}
}

int
main(int argc, char **argv)
{
	struct redirector	 r;
	sigset_t		 set;
	unsigned long		 v;
	uint32_t		 uid = 0, gid = 0;
	char			*cause = NULL;
	int			 i, fd = 3, rc = 1;

	memset(&r, 0, sizeof r);
	r.ctl = r.sigfd = r.nl = r.tun = r.cgroup = r.watchdog = -1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
			if (parse_uint(argv[++i], INT_MAX, &v) != 0)
				usage();
			fd = (int)v;
		} else if (strcmp(argv[i], "--trawl-pid") == 0 &&
		    i + 1 < argc) {
			if (parse_uint(argv[++i], INT_MAX, &v) != 0 || v == 0)
				usage();
			r.trawl_pid = (uint32_t)v;
		} else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc)
			r.cgroup_path = argv[++i];
		else if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc)
			r.netns_path = argv[++i];
		else
			usage();
	}
	if (r.trawl_pid == 0)
		usage();

	if (check_ctl(fd, r.trawl_pid, &uid, &gid, &cause) != 0 ||
	    find_owner(uid, r.netns_path != NULL, &r.owner, &cause) != 0) {
		warnx("refusing to run: %s", cause != NULL ? cause : "?");
		free(cause);
		return 1;
	}
	r.ctl = fd;
	r.trawl_uid = uid;
	r.trawl_gid = gid;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return 1;
	/* A closed trawl must not kill us before teardown. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (r.sigfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		warnx("signalfd: %s", strerror(errno));
		return 1;
	}

	if (setup(&r, &cause) != 0) {
		/* trawl prints the reason the hello carries; said here too,
		 * the user read it twice. Here only when trawl cannot hear. */
		if (send_hello(&r, cause != NULL ? cause : "out of memory") != 0)
			warnx("%s", cause != NULL ? cause : "out of memory");
		goto out;
	}
	if (send_hello(&r, NULL) != 0) {
		warnx("sending the tun to trawl: %s", strerror(errno));
		goto out;
	}
	/* trawl holds the tun now; ours would only keep it alive. */
	close(r.tun);
	r.tun = -1;
	serve(&r);
	rc = 0;
out:
	free(cause);
	teardown(&r);
	close(r.ctl);
	close(r.sigfd);
	return rc;
}
