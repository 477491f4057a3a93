/*
 * bpf-load.c -- prove that ebpf/redirect.bpf.c loads, attaches and runs on
 * the kernel this runs on. Built static by tests/kernel/bpf-6.1.sh so it can
 * run alone inside an initramfs under an older kernel (6.1), and runs on the
 * host as well: bpf-load [-v] CGROUP-DIR (a child cgroup of the cgroup2
 * mount, never the root one).
 *
 * It opens the skeleton, sets the rodata trawl-redirector sets (redirect/
 * prog.c; a user's session, the user being this loader's uid), loads it
 * with the verifier log shown on failure, attaches the four cgroup programs
 * to CGROUP-DIR, moves itself in, and drives each program once over
 * loopback: a TCP socket (sock_create binds it to lo and records its
 * creator; sockops records the 4-tuple of connect()) and a UDP sendto()
 * (sendmsg4), then a name spec that only the executable's basename
 * matches once the loader has renamed itself. The tun's ingress guard runs through BPF_PROG_TEST_RUN (its
 * tc attachment needs modules the initramfs lacks) on packets for the bound
 * socket, for a listener made before attaching (unbound) and for none.
 * Prints "BPF-LOAD-OK <release>" and exits 0, or "BPF-LOAD-FAIL: <reason>"
 * and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "redirect.h"
#include "redirect.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

/* What the program binds captured sockets to: lo exists everywhere. */
#define LOOPBACK_IFINDEX	1
/* A pid no rule may match (trawl's own pid in trawl-redirector). */
#define DUMMY_TRAWL_PID		0x7ffffffe

static int	verbose;
static char	release[128] = "?";

/*
 * The verifier log comes at LIBBPF_WARN, prefixed "libbpf: " by libbpf;
 * -v adds libbpf's debug lines. stdout: the guest's console.
 */
static int
print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vprintf(fmt, ap);
}

static int
failed(const char *fmt, ...)
{
	va_list	ap;

	fputs("BPF-LOAD-FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (kernel %s)\n", release);
	fflush(stdout);
	return 1;
}

/* Runs sock_create the way trawl-redirector would see it join a cgroup. */
static int
join(const char *cg)
{
	char	path[4096], pid[32];
	int	fd, n, ok;

	snprintf(path, sizeof path, "%s/cgroup.procs", cg);
	if ((fd = open(path, O_WRONLY)) == -1)
		return -1;
	n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	ok = write(fd, pid, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

static void
loopback(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* The rd_tuples key trawl-redirector looks a flow up with. */
static void
tuple(struct rd_tuple *t, int proto, const struct sockaddr_in *local,
    const struct sockaddr_in *peer)
{
	memset(t, 0, sizeof *t);
	t->family = AF_INET;
	t->proto = (uint8_t)proto;
	t->sport = ntohs(local->sin_port);
	t->dport = ntohs(peer->sin_port);
	memcpy(t->daddr, &peer->sin_addr, 4);
}

static int
check_proc(const struct rd_proc *p, uint64_t cookie, const char *what)
{
	if (p->pid != (uint32_t)getpid())
		return failed("%s: creator pid %u, want %d", what, p->pid,
		    (int)getpid());
	if (strncmp(p->comm, "bpf-load", sizeof p->comm) != 0)
		return failed("%s: creator comm '%.16s'", what, p->comm);
	if (cookie != 0 && p->cookie != cookie)
		return failed("%s: cookie %llu, want %llu", what,
		    (unsigned long long)p->cookie, (unsigned long long)cookie);
	return 0;
}

static void
verified(const struct bpf_program *prog)
{
	struct bpf_prog_info	info;
	uint32_t		len = sizeof info;

	memset(&info, 0, sizeof info);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
		printf("bpf-load: %s: %u insns, %u verified\n",
		    bpf_program__name(prog), info.xlated_prog_len / 8,
		    info.verified_insns);
}

/*
 * Runs the guard on one TCP segment from src to dst (test runs see an
 * Ethernet header: rd_guard_l3off is ETH_HLEN here). Returns the
 * RD_GUARD_* reason it counted, or -1.
 */
static int
guard(struct redirect *s, const struct sockaddr_in *src,
    const struct sockaddr_in *dst)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint8_t		pkt[ETH_HLEN + 20 + 20];
	uint64_t	before[RD_GUARD_REASONS];
	int		i, reason = -1;

	memset(pkt, 0, sizeof pkt);
	pkt[12] = 0x08;				/* ETH_P_IP */
	pkt[ETH_HLEN] = 0x45;
	pkt[ETH_HLEN + 3] = sizeof pkt - ETH_HLEN;
	pkt[ETH_HLEN + 8] = 64;
	pkt[ETH_HLEN + 9] = IPPROTO_TCP;
	memcpy(pkt + ETH_HLEN + 12, &src->sin_addr, 4);
	memcpy(pkt + ETH_HLEN + 16, &dst->sin_addr, 4);
	memcpy(pkt + ETH_HLEN + 20, &src->sin_port, 2);
	memcpy(pkt + ETH_HLEN + 22, &dst->sin_port, 2);
	pkt[ETH_HLEN + 32] = 5 << 4;
	pkt[ETH_HLEN + 33] = 0x10;		/* ACK */
	memcpy(before, s->bss->rd_guard_count, sizeof before);
	opts.data_in = pkt;
	opts.data_size_in = sizeof pkt;
	if (bpf_prog_test_run_opts(bpf_program__fd(s->progs.rd_tun_ingress),
	    &opts) != 0)
		return failed("BPF_PROG_TEST_RUN of the guard: %s",
		    strerror(errno)), -1;
	for (i = 0; i < RD_GUARD_REASONS; i++)
		if (s->bss->rd_guard_count[i] != before[i])
			reason = i;
	if ((reason == RD_GUARD_PASS) != (opts.retval == 0))
		return failed("guard verdict %u for reason %d", opts.retval,
		    reason), -1;
	return reason;
}

/*
 * The guard: the bound socket's segment passes (or reaches bpf_sk_assign,
 * which a test run, not at tc ingress, refuses), the unbound listener's
 * and a socket-less one's are dropped for those reasons.
 */
static int
exercise_guard(struct redirect *s, const struct sockaddr_in *local,
    const struct sockaddr_in *peer, const struct sockaddr_in *unbound)
{
	struct sockaddr_in	nobody;
	int			r;

	r = guard(s, peer, local);
	if (r != RD_GUARD_PASS && r != RD_GUARD_ASSIGN)
		return r == -1 ? 1 : failed("guard: the bound socket's "
		    "segment counted as %d", r);
	r = guard(s, local, unbound);
	if (r != RD_GUARD_UNBOUND)
		return r == -1 ? 1 : failed("guard: a segment for an unbound "
		    "listener counted as %d", r);
	loopback(&nobody, 9);
	r = guard(s, local, &nobody);
	if (r != RD_GUARD_NO_SOCKET)
		return r == -1 ? 1 : failed("guard: a segment for no socket "
		    "counted as %d", r);
	printf("bpf-load: guard passes the bound socket's segment (%s), "
	    "drops the others\n", r == RD_GUARD_PASS ? "assigned" :
	    "bpf_sk_assign refused outside tc");
	return 0;
}

/* Drives the attached programs once each and checks what they recorded. */
static int
exercise(struct redirect *s, const struct sockaddr_in *unbound)
{
	struct sockaddr_in	lsin, tcp_local, tcp_peer, udp_local, udp_peer;
	struct rd_tuple		t;
	struct rd_proc		p;
	socklen_t		len;
	uint64_t		cookie = 0;
	int			lfd = -1, cfd = -1, ufd = -1, ifindex = 0;
	int			rc = 1;

	/* The listener is created in the cgroup too: bound to lo as well. */
	loopback(&lsin, 0);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&lsin, sizeof lsin) == -1 ||
	    listen(lfd, 1) == -1) {
		failed("listener on 127.0.0.1: %s", strerror(errno));
		goto out;
	}
	len = sizeof tcp_peer;
	getsockname(lfd, (struct sockaddr *)&tcp_peer, &len);

	if ((cfd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		failed("socket(AF_INET, SOCK_STREAM): %s", strerror(errno));
		goto out;
	}
	len = sizeof ifindex;
	if (getsockopt(cfd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
	    &len) == -1 || ifindex != LOOPBACK_IFINDEX) {
		failed("sock_create did not bind the socket (ifindex %d)",
		    ifindex);
		goto out;
	}
	len = sizeof cookie;
	getsockopt(cfd, SOL_SOCKET, SO_COOKIE, &cookie, &len);
	if (bpf_map__lookup_elem(s->maps.rd_socks, &cookie, sizeof cookie,
	    &p, sizeof p, 0) != 0) {
		failed("sock_create did not record socket %llu",
		    (unsigned long long)cookie);
		goto out;
	}
	if (check_proc(&p, cookie, "rd_socks") != 0)
		goto out;

	if (connect(cfd, (struct sockaddr *)&tcp_peer, sizeof tcp_peer) ==
	    -1) {
		failed("connect to 127.0.0.1: %s", strerror(errno));
		goto out;
	}
	len = sizeof tcp_local;
	getsockname(cfd, (struct sockaddr *)&tcp_local, &len);
	tuple(&t, IPPROTO_TCP, &tcp_local, &tcp_peer);
	if (bpf_map__lookup_elem(s->maps.rd_tuples, &t, sizeof t, &p,
	    sizeof p, 0) != 0) {
		failed("sockops did not record the TCP 4-tuple");
		goto out;
	}
	if (check_proc(&p, cookie, "rd_tuples (tcp)") != 0)
		goto out;
	if (exercise_guard(s, &tcp_local, &tcp_peer, unbound) != 0)
		goto out;

	/* Port 9 (discard): nobody needs to listen for sendmsg4 to run. */
	loopback(&udp_peer, 9);
	if ((ufd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    sendto(ufd, "x", 1, 0, (struct sockaddr *)&udp_peer,
	    sizeof udp_peer) == -1) {
		failed("UDP sendto 127.0.0.1: %s", strerror(errno));
		goto out;
	}
	len = sizeof udp_local;
	getsockname(ufd, (struct sockaddr *)&udp_local, &len);
	tuple(&t, IPPROTO_UDP, &udp_local, &udp_peer);
	if (bpf_map__lookup_elem(s->maps.rd_tuples, &t, sizeof t, &p,
	    sizeof p, 0) != 0) {
		failed("sendmsg4 did not record the UDP 4-tuple");
		goto out;
	}
	if (check_proc(&p, 0, "rd_tuples (udp)") != 0)
		goto out;
	rc = 0;
out:
	if (ufd != -1)
		close(ufd);
	if (cfd != -1)
		close(cfd);
	if (lfd != -1)
		close(lfd);
	return rc;
}

/*
 * A spec that walks every branch of the fold: a comm include that does
 * not match, a pid include that does, an exclude that does not match.
 */
static int
configure(struct redirect *s)
{
	struct rd_config	c;
	uint32_t		zero = 0, slot = 1;

	memset(&c, 0, sizeof c);
	c.nrules = 3;
	strcpy(c.rules[0].comm, "no-such-comm");
	c.rules[1].flags = RD_RULE_PID;
	c.rules[1].pid = (uint32_t)getpid();
	c.rules[2].flags = RD_RULE_EXCLUDE;
	strcpy(c.rules[2].comm, "not-bpf-load");
	if (bpf_map__update_elem(s->maps.rd_configs, &slot, sizeof slot, &c,
	    sizeof c, BPF_ANY) != 0 ||
	    bpf_map__update_elem(s->maps.rd_active, &zero, sizeof zero, &slot,
	    sizeof slot, BPF_ANY) != 0)
		return failed("writing the configuration: %s",
		    strerror(errno));
	return 0;
}

/* The ifindex sock_create bound a new TCP socket to (0: none), or -1. */
static int
bound_ifindex(void)
{
	socklen_t	len = sizeof(int);
	int		fd, ifindex = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
	    &len) == -1)
		ifindex = -1;
	close(fd);
	return ifindex;
}

/* One name rule, in slot 0 (configure filled slot 1), made active. */
static int
name_spec(struct redirect *s, const char *name)
{
	struct rd_config	c;
	uint32_t		zero = 0;

	memset(&c, 0, sizeof c);
	c.nrules = 1;
	strncpy(c.rules[0].comm, name, RD_COMM_LEN - 1);
	if (bpf_map__update_elem(s->maps.rd_configs, &zero, sizeof zero, &c,
	    sizeof c, BPF_ANY) != 0 ||
	    bpf_map__update_elem(s->maps.rd_active, &zero, sizeof zero, &zero,
	    sizeof zero, BPF_ANY) != 0)
		return failed("writing the configuration: %s",
		    strerror(errno));
	return 0;
}

/*
 * A name matches the basename of the executable (read from the task's mm)
 * when the thread has renamed itself: this loader's file is bpf-load,
 * whatever its path.
 */
static int
exercise_exe(struct redirect *s)
{
	char	exe[4096], *base;
	ssize_t	n;
	int	ifindex;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return failed("readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	base = strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1 : exe;
	if (prctl(PR_SET_NAME, "renamed-load", 0, 0, 0) == -1)
		return failed("PR_SET_NAME: %s", strerror(errno));
	if (name_spec(s, base) != 0)
		return 1;
	if ((ifindex = bound_ifindex()) != LOOPBACK_IFINDEX)
		return failed("spec '%s' (the executable) did not capture the "
		    "renamed loader (ifindex %d)", base, ifindex);
	if (name_spec(s, "no-such-exe") != 0)
		return 1;
	if ((ifindex = bound_ifindex()) != 0)
		return failed("spec 'no-such-exe' captured the loader "
		    "(ifindex %d)", ifindex);
	printf("bpf-load: a name matches the executable '%s' of a thread "
	    "renamed renamed-load\n", base);
	return 0;
}

int
main(int argc, char **argv)
{
	struct redirect		*s = NULL;
	struct bpf_program	*prog;
	struct bpf_link		*link, *links[8];
	struct sockaddr_in	 unbound;
	struct utsname		 u;
	const char		*cg;
	uint64_t		 netns = 0;
	socklen_t		 len = sizeof netns;
	int			 cgfd = -1, fd, err, rc = 1, nlinks = 0;
	int			 ufd = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		argc--, argv++;
	}
	if (uname(&u) == 0)
		snprintf(release, sizeof release, "%s", u.release);
	if (argc != 2) {
		fprintf(stderr, "usage: bpf-load [-v] cgroup-dir\n");
		return 1;
	}
	cg = argv[1];
	libbpf_set_print(print);

	/* The program ignores sockets of other network namespaces. */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &netns, &len) == -1)
		return failed("SO_NETNS_COOKIE: %s", strerror(errno));
	close(fd);

	if ((s = redirect__open()) == NULL)
		return failed("opening the skeleton: %s", strerror(errno));
	s->rodata->rd_netns_cookie = netns;
	s->rodata->rd_tun_ifindex = LOOPBACK_IFINDEX;
	s->rodata->rd_trawl_pid = DUMMY_TRAWL_PID;
	/* trawl-redirector skips itself; this loader wants to be captured. */
	s->rodata->rd_self_pid = DUMMY_TRAWL_PID;
	/* A user's session whose user is this loader (owner_ok runs). */
	s->rodata->rd_owner_only = 1;
	s->rodata->rd_owner_uid = (uint32_t)getuid();
	s->rodata->rd_guard_l3off = ETH_HLEN;
	if ((err = redirect__load(s)) != 0) {
		failed("loading the BPF program: %s", strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, s->obj)
		verified(prog);
	if (configure(s) != 0)
		goto cleanup;

	if ((cgfd = open(cg, O_RDONLY | O_DIRECTORY)) == -1) {
		failed("%s: %s", cg, strerror(errno));
		goto cleanup;
	}
	/* Made before attaching: a listener the program did not bind. */
	loopback(&unbound, 0);
	len = sizeof unbound;
	if ((ufd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ufd, (struct sockaddr *)&unbound, sizeof unbound) == -1 ||
	    listen(ufd, 1) == -1 ||
	    getsockname(ufd, (struct sockaddr *)&unbound, &len) == -1) {
		failed("unbound listener: %s", strerror(errno));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, s->obj) {
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SCHED_CLS)
			continue;	/* the guard: test runs only */
		link = bpf_program__attach_cgroup(prog, cgfd);
		if (link == NULL) {
			failed("attaching %s to %s: %s",
			    bpf_program__name(prog), cg, strerror(errno));
			goto cleanup;
		}
		if (nlinks == sizeof links / sizeof links[0]) {
			bpf_link__destroy(link);
			failed("more programs than this loader expects");
			goto cleanup;
		}
		links[nlinks++] = link;
	}
	if (join(cg) != 0) {
		failed("joining %s: %s", cg, strerror(errno));
		goto cleanup;
	}
	if (exercise(s, &unbound) != 0 || exercise_exe(s) != 0)
		goto cleanup;
	printf("BPF-LOAD-OK %s\n", release);
	rc = 0;
cleanup:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	if (cgfd != -1)
		close(cgfd);
	if (ufd != -1)
		close(ufd);
	redirect__destroy(s);
	return rc;
}
