/*
 * redirector.c -- start trawl-redirector and talk to it over a
 * SOCK_SEQPACKET socketpair (redirect/proto.h).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/loop/trawl.h"
#include "core/net/redirector.h"
#include "redirect/proto.h"

#ifndef CAP_NET_ADMIN
#define CAP_NET_ADMIN	12
#endif
#define CAP_PERFMON_	38
#define CAP_BPF_	39

struct redirector {
	int			ctl;
	pid_t			pid;
	uint32_t		seq;
	int			gone;
	struct redirector_tun	tun;
};

/* The redirector that makes upstream sockets (--netns-upstream). */
static struct redirector	*upstream;

static int
executable(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* Finds file in $PATH. Fills out (PATH_MAX bytes); 0 or -1. */
static int
search_path(const char *file, char *out)
{
	const char	*p, *end, *path = getenv("PATH");
	size_t		 len;

	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (*end == ':')
			end++;
		if (len == 0 || len + strlen(file) + 2 > PATH_MAX)
			continue;
		snprintf(out, PATH_MAX, "%.*s/%s", (int)len, p, file);
		if (executable(out))
			return 0;
	}
	return -1;
}

/* trawl-redirector beside trawl's own executable, else from $PATH. */
static int
find_redirector(const char *path, char *out, char **cause)
{
	char	 self[PATH_MAX], *slash;
	ssize_t	 n;

	if (path != NULL) {
		if (realpath(path, out) == NULL || !executable(out)) {
			core_cause(cause, "%s: not an executable", path);
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(out, PATH_MAX, "%s/trawl-redirector",
			    self) < PATH_MAX && executable(out))
				return 0;
		}
	}
	if (search_path("trawl-redirector", out) == 0)
		return 0;
	core_cause(cause, "trawl-redirector not found beside trawl or in $PATH");
	return -1;
}

/* Capabilities the redirector needs, if exec would keep them. */
static int
capable_enough(void)
{
	if (geteuid() == 0)
		return 1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN,
	    0, 0) == 1 &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_BPF_, 0, 0) == 1 &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_PERFMON_, 0,
	    0) == 1;
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Receives one datagram of the expected type and seq within timeout_ms
 * into buf (size len); an fd that comes along goes to *fd (when fd is not
 * NULL, else it is closed). Returns 0 or -1 (gone or broken).
 */
static int
recv_msg(struct redirector *r, int type, uint32_t seq, void *buf, size_t len,
    int *fd, int timeout_ms)
{
	union rd_msg		 m;
	struct rd_msg_hdr	 h;
	struct pollfd		 pfd;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	double			 deadline = now_ms() + timeout_ms;
	ssize_t			 n;
	int			 got, wait;

	for (;;) {
		wait = (int)(deadline - now_ms());
		if (wait < 0)
			return -1;
		pfd.fd = r->ctl;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		memset(&mh, 0, sizeof mh);
		iov.iov_base = &m;
		iov.iov_len = sizeof m;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		n = recvmsg(r->ctl, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		got = -1;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&got, CMSG_DATA(cm), sizeof got);
		}
		if ((size_t)n < sizeof h || (mh.msg_flags & MSG_TRUNC))
			goto bad;
		memcpy(&h, &m, sizeof h);
		if (h.magic != RD_PROTO_MAGIC || h.version != RD_PROTO_VERSION)
			goto bad;
		/* A late answer to a request that timed out: skip it. */
		if (h.seq != seq) {
			if (got != -1)
				close(got);
			continue;
		}
		if (h.type != type || (size_t)n != len)
			goto bad;
		memcpy(buf, &m, len);
		if (fd != NULL)
			*fd = got;
		else if (got != -1)
			close(got);
		return 0;
bad:
		if (got != -1)
			close(got);
		return -1;
	}
}

static int
send_msg(struct redirector *r, void *msg, size_t len, int type)
{
	struct rd_msg_hdr	*h = msg;

	memset(h, 0, sizeof *h);
	h->magic = RD_PROTO_MAGIC;
	h->version = RD_PROTO_VERSION;
	h->type = (uint16_t)type;
	h->seq = ++r->seq;
	if (send(r->ctl, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

/* In the child: the socket goes to fd 0 (sudo) or 3, then exec. */
static void __attribute__((noreturn))
child(int sock, const char *exe, int use_sudo, const char *pid,
    const char *cgroup)
{
	const char	*argv[16];
	sigset_t	 set;
	int		 i = 0, target = use_sudo ? 0 : 3;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (sock == target) {
		if (fcntl(sock, F_SETFD, 0) == -1)
			_exit(127);
	} else if (dup2(sock, target) == -1)
		_exit(127);
	if (use_sudo) {
		/* sudo closes fds past 2; the socket rides on stdin. */
		argv[i++] = "sudo";
		argv[i++] = "-p";
		argv[i++] = "[trawl] password for %p to start "
		    "trawl-redirector: ";
		argv[i++] = "--";
	}
	argv[i++] = exe;
	argv[i++] = "--fd";
	argv[i++] = use_sudo ? "0" : "3";
	argv[i++] = "--trawl-pid";
	argv[i++] = pid;
	if (cgroup != NULL) {
		argv[i++] = "--cgroup";
		argv[i++] = cgroup;
	}
	if (opts.netns != NULL) {
		argv[i++] = "--netns";
		argv[i++] = opts.netns;
	}
	argv[i] = NULL;
	if (use_sudo)
		execvp("sudo", (char *const *)argv);
	else
		execv(exe, (char *const *)argv);
	_exit(127);
}

static int
check_hello(const struct rd_msg_hello *h, int fd, struct redirector_tun *t,
    char **cause)
{
	char	text[RD_MSG_TEXT];

	memcpy(text, h->text, sizeof text);
	text[sizeof text - 1] = '\0';
	if (h->status != 0) {
		core_cause(cause, "trawl-redirector: %s", text);
		return -1;
	}
	if (fd == -1 || memchr(h->ifname, '\0', sizeof h->ifname) == NULL ||
	    h->ifindex == 0 || h->ifindex > INT_MAX) {
		core_cause(cause, "trawl-redirector: malformed hello");
		return -1;
	}
	t->fd = fd;
	t->ifindex = (int)h->ifindex;
	memcpy(t->ifname, h->ifname, sizeof t->ifname);
	memcpy(t->addr4, h->addr4, 4);
	memcpy(t->peer4, h->peer4, 4);
	memcpy(t->addr6, h->addr6, 16);
	memcpy(t->peer6, h->peer6, 16);
	t->prefix4 = h->prefix4;
	t->prefix6 = h->prefix6;
	t->mtu = (int)h->mtu;
	return 0;
}

struct redirector *
core_redirector_start(const char *path, const char *cgroup,
    const struct spec *spec, char **cause)
{
	struct redirector	*r;
	struct rd_msg_hello	 hello;
	char			 exe[PATH_MAX], pid[16], sudo[PATH_MAX];
	int			 sv[2] = { -1, -1 }, use_sudo, fd = -1, status;

	if (find_redirector(path, exe, cause) != 0)
		return NULL;
	use_sudo = !capable_enough();
	if (use_sudo && search_path("sudo", sudo) != 0) {
		core_cause(cause, "local mode needs root (CAP_BPF and "
		    "CAP_NET_ADMIN): run trawl as root or install sudo");
		return NULL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		core_cause(cause, "out of memory");
		return NULL;
	}
	r->ctl = -1;
	r->tun.fd = -1;
	r->pid = -1;
	/* Our end closes on exec; the child's end is dup'ed past that. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		core_cause(cause, "socketpair: %s", strerror(errno));
		goto fail;
	}
	r->ctl = sv[0];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	r->pid = fork();
	if (r->pid == -1) {
		core_cause(cause, "fork: %s", strerror(errno));
		goto fail;
	}
	if (r->pid == 0) {
		close(sv[0]);
		child(sv[1], exe, use_sudo, pid, cgroup);
	}
	close(sv[1]);
	sv[1] = -1;

	if (recv_msg(r, RD_MSG_HELLO, 0, &hello, sizeof hello, &fd,
	    use_sudo ? RD_START_TIMEOUT_MS : RD_REPLY_TIMEOUT_MS * 5) != 0) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = -1;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				core_cause(cause, "could not run %s", use_sudo ?
				    "sudo" : exe);
			else
				core_cause(cause, "trawl-redirector failed (see its "
				    "messages above)");
		} else
			core_cause(cause, "trawl-redirector did not answer");
		goto fail;
	}
	if (check_hello(&hello, fd, &r->tun, cause) != 0) {
		if (fd != -1)
			close(fd);
		goto fail;
	}
	if (core_redirector_set_spec(r, spec, cause) != 0)
		goto fail;
	if (opts.netns != NULL && opts.netns_upstream)
		upstream = r;
	return r;

fail:
	core_redirector_free(r);
	return NULL;
}

void
core_redirector_free(struct redirector *r)
{
	int	i, status;

	if (r == NULL)
		return;
	if (upstream == r)
		upstream = NULL;
	if (r->ctl != -1)
		close(r->ctl);
	if (r->tun.fd != -1)
		close(r->tun.fd);
	/* Give it a second to undo its changes, then stop waiting. */
	for (i = 0; r->pid > 0 && i < 100; i++) {
		if (waitpid(r->pid, &status, WNOHANG) != 0)
			break;
		usleep(10000);
	}
	free(r);
}

const struct redirector_tun *
core_redirector_tun(const struct redirector *r)
{
	return &r->tun;
}

int
core_redirector_fd(const struct redirector *r)
{
	return r->ctl;
}

int
core_redirector_pid(const struct redirector *r)
{
	return (int)r->pid;
}

int
core_redirector_set_spec(struct redirector *r, const struct spec *spec,
    char **cause)
{
	struct rd_msg_spec	m;
	struct rd_msg_status	s;

	if (r->gone) {
		core_cause(cause, "trawl-redirector is gone");
		return -1;
	}
	memset(&m, 0, sizeof m);
	core_spec_encode(spec, &m.config);
	if (send_msg(r, &m, sizeof m, RD_MSG_SPEC) != 0 ||
	    recv_msg(r, RD_MSG_STATUS, r->seq, &s, sizeof s, NULL,
	    RD_REPLY_TIMEOUT_MS) != 0) {
		r->gone = 1;
		core_cause(cause, "trawl-redirector is gone");
		return -1;
	}
	if (s.status != 0) {
		s.text[sizeof s.text - 1] = '\0';
		core_cause(cause, "trawl-redirector: %s", s.text);
		return -1;
	}
	return 0;
}

int
core_redirector_lookup(struct redirector *r, int family, int proto,
    uint16_t sport, const void *daddr, uint16_t dport, struct rd_proc *out)
{
	struct rd_msg_lookup	m;
	struct rd_msg_proc	p;

	if (r->gone)
		return -1;
	if ((family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return 0;
	memset(&m, 0, sizeof m);
	m.tuple.family = (uint8_t)family;
	m.tuple.proto = (uint8_t)proto;
	m.tuple.sport = sport;
	m.tuple.dport = dport;
	memcpy(m.tuple.daddr, daddr, family == AF_INET ? 4 : 16);
	if (send_msg(r, &m, sizeof m, RD_MSG_LOOKUP) != 0 ||
	    recv_msg(r, RD_MSG_PROC, r->seq, &p, sizeof p, NULL,
	    RD_REPLY_TIMEOUT_MS) != 0) {
		r->gone = 1;
		return -1;
	}
	if (p.found != 1)
		return 0;
	*out = p.proc;
	out->comm[RD_COMM_LEN - 1] = '\0';
	out->leader_comm[RD_COMM_LEN - 1] = '\0';
	return 1;
}

int
core_redirector_ping(struct redirector *r)
{
	struct rd_msg_hdr	h;
	struct rd_msg_status	s;

	if (r->gone)
		return -1;
	if (send_msg(r, &h, sizeof h, RD_MSG_PING) != 0 ||
	    recv_msg(r, RD_MSG_STATUS, r->seq, &s, sizeof s, NULL,
	    RD_REPLY_TIMEOUT_MS) != 0) {
		r->gone = 1;
		return -1;
	}
	return s.status == 0 ? 0 : -1;
}

const char *
core_redirector_where(void)
{
	static char	where[PATH_MAX + 64];

	if (opts.netns == NULL)
		return "";
	snprintf(where, sizeof where, ", in netns %s, upstream from the %s",
	    opts.netns, opts.netns_upstream ? "netns" : "host");
	return where;
}

int
core_redirector_socket(int family, int type)
{
	struct redirector	*r = upstream;
	struct rd_msg_socket	 m;
	struct rd_msg_status	 s;
	int			 fd = -1;

	if (opts.netns == NULL || !opts.netns_upstream)
		return socket(family, type, 0);
	if (r == NULL || r->gone) {
		errno = ENETDOWN;
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.family = family;
	m.type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (send_msg(r, &m, sizeof m, RD_MSG_SOCKET) != 0 ||
	    recv_msg(r, RD_MSG_STATUS, r->seq, &s, sizeof s, &fd,
	    RD_REPLY_TIMEOUT_MS) != 0) {
		r->gone = 1;
		errno = ENETDOWN;
		return -1;
	}
	if (s.status != 0 || fd == -1) {
		if (fd != -1)
			close(fd);
		errno = EACCES;
		return -1;
	}
	/* It comes non-blocking (the flag is the open file's). */
	if (!(type & SOCK_NONBLOCK))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
