// SPDX-License-Identifier: GPL-2.0
/*
 * redirect.bpf.c -- steer the sockets the capture spec selects into
 * trawl's tun device, and remember who created them.
 *
 * cgroup/sock_create binds a captured TCP/UDP socket to the tun
 * (bound_dev_if), so every packet it sends reaches trawl. sockops and
 * cgroup/sendmsg4/6 map a captured socket's 4-tuple to its creator so
 * trawl can name the process of a flow after the process has gone.
 * A name in the spec matches the creating thread's comm, its leader's
 * comm or the basename of the process's executable, so a program that
 * renames itself (prctl(PR_SET_NAME), process.title) stays captured.
 * A redirector started for a user (rd_owner_only) captures only that
 * user's processes. tc ingress on the tun (rd_tun_ingress) lets the
 * packets trawl writes reach the socket bound to the tun they belong to
 * and nothing else on the host.
 *
 * Kept small and verifier-friendly for 6.1+: every map lookup is
 * NULL-checked, the rule loop runs in bpf_loop (5.17+).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "redirect.h"

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_ICMPV6	58
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

/* Set by trawl-redirector before load. */
const volatile __u64 rd_netns_cookie = 0;
const volatile __u32 rd_tun_ifindex = 0;
const volatile __u32 rd_trawl_pid = 0;
const volatile __u32 rd_self_pid = 0;
/* 1: capture only processes whose every uid is rd_owner_uid. */
const volatile __u32 rd_owner_only = 0;
const volatile __u32 rd_owner_uid = 0;
/* Where the IP header starts in rd_tun_ingress's packets: 0 on a tun. */
const volatile __u32 rd_guard_l3off = 0;

/* What rd_tun_ingress did, by RD_GUARD_* reason (bpftool map dump). */
__u64 rd_guard_count[RD_GUARD_REASONS];

/* Two slots: user space fills the inactive one, then flips rd_active. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RD_CONFIG_SLOTS);
	__type(key, __u32);
	__type(value, struct rd_config);
} rd_configs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rd_active SEC(".maps");

/* Socket cookie -> creator, for every captured socket. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RD_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct rd_proc);
} rd_socks SEC(".maps");

/* Local port + destination -> creator, for captured sockets. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RD_TUPLES_MAX);
	__type(key, struct rd_tuple);
	__type(value, struct rd_proc);
} rd_tuples SEC(".maps");

union comm {
	char	c[RD_COMM_LEN];
	__u64	q[2];
};

/*
 * Zeroes what follows the NUL so two comms compare as two words. No
 * branches: each would double the states the verifier walks, per call.
 */
static __always_inline void
comm_pad(union comm *m)
{
	__u64	c, keep = 1;
	int	i;

#pragma unroll
	for (i = 0; i < RD_COMM_LEN; i++) {
		c = (__u8)m->c[i];
		/* c + 255 has bit 8 set unless c is 0; keep stays 0 after. */
		c += 255;
		asm volatile("" : "+r"(c));
		keep &= c >> 8;
		m->c[i] = (char)((c - 255) * keep);
	}
	m->c[RD_COMM_LEN - 1] = 0;
}

static __always_inline int
comm_eq(const struct rd_rule *r, const union comm *m)
{
	const __u64 *q = (const __u64 *)r->comm;

	return q[0] == m->q[0] && q[1] == m->q[1];
}

/* Reads the thread-group leader's comm with CO-RE (split for clang 14). */
static __always_inline void
leader_comm(union comm *m)
{
	struct task_struct	*task, *leader;

	task = (struct task_struct *)bpf_get_current_task();
	leader = BPF_CORE_READ(task, group_leader);
	if (leader == NULL ||
	    bpf_core_read(m->c, sizeof m->c, &leader->comm) != 0)
		__builtin_memset(m->c, 0, sizeof m->c);
	comm_pad(m);
}

/*
 * Reads the basename of the executable the process runs (what
 * /proc/PID/exe names), first 15 bytes, from its mm with CO-RE: comm can
 * be renamed, the file a process was started from cannot. Empty for a
 * task without an mm (a kernel thread) or on a failed read. bpf_d_path is
 * not for cgroup programs; probe reads are, so the dentry's own name.
 */
static __always_inline void
exe_name(union comm *m)
{
	struct task_struct	*task;
	struct file		*exe;
	const unsigned char	*name;

	__builtin_memset(m->c, 0, sizeof m->c);
	task = (struct task_struct *)bpf_get_current_task();
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe == NULL)
		return;
	name = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	if (name == NULL ||
	    bpf_probe_read_kernel_str(m->c, sizeof m->c, name) < 0)
		__builtin_memset(m->c, 0, sizeof m->c);
	/* A name longer than 15 bytes is cut like comm. */
	comm_pad(m);
}

struct fold {
	__u32		slot;
	__u32		tgid;
	int		capture;
	union comm	comm;
	union comm	lcomm;
	union comm	exe;
};

/*
 * One step of the fold. bpf_loop has the verifier check this body once;
 * an unrolled or bounded loop over 64 rules explodes its path count.
 */
static long
fold_step(__u32 i, void *arg)
{
	struct fold		*f = arg;
	struct rd_config	*cfg;
	const struct rd_rule	*r;
	int			 match;

	cfg = bpf_map_lookup_elem(&rd_configs, &f->slot);
	if (cfg == NULL || i >= RD_MAX_RULES || i >= cfg->nrules)
		return 1;
	/* clang may check a copy of i: mask the one used as the index. */
	asm volatile("" : "+r"(i));
	r = &cfg->rules[i & (RD_MAX_RULES - 1)];
	if (r->flags & RD_RULE_PID)
		match = r->pid == f->tgid;
	else
		match = comm_eq(r, &f->comm) || comm_eq(r, &f->lcomm) ||
		    comm_eq(r, &f->exe);
	if (r->flags & RD_RULE_EXCLUDE)
		f->capture = f->capture && !match;
	else
		f->capture = f->capture || match;
	return 0;
}

/* The fold of ebpf/redirect.h; core_spec_match is its C twin. */
static __always_inline int
spec_match(const struct rd_config *cfg, struct fold *f)
{
	__u32	n = cfg->nrules;

	if (n == 0)
		return 1;
	if (n > RD_MAX_RULES)
		n = RD_MAX_RULES;
	f->capture = (cfg->rules[0].flags & RD_RULE_EXCLUDE) != 0;
	bpf_loop(n, fold_step, f, 0);
	return f->capture;
}

/*
 * A user's redirector captures only processes that hold no identity but
 * the user's: real, effective, saved and filesystem uid. A set-uid program
 * or a root process that took the user's uid for a moment is not theirs.
 */
static __always_inline int
owner_ok(void)
{
	struct task_struct	*task;
	__u32			 euid, suid, fsuid;

	if (!rd_owner_only)
		return 1;
	if ((__u32)bpf_get_current_uid_gid() != rd_owner_uid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	/* A failed read leaves 0, which is never rd_owner_uid here. */
	euid = BPF_CORE_READ(task, cred, euid.val);
	suid = BPF_CORE_READ(task, cred, suid.val);
	fsuid = BPF_CORE_READ(task, cred, fsuid.val);
	return euid == rd_owner_uid && suid == rd_owner_uid &&
	    fsuid == rd_owner_uid;
}

SEC("cgroup/sock_create")
int
rd_sock_create(struct bpf_sock *ctx)
{
	struct rd_config	*cfg;
	struct rd_proc		 proc;
	struct fold		 f;
	__u32			 zero = 0, *active, slot;
	__u64			 id, cookie;

	/* Leave other network namespaces alone: ifindexes are per netns. */
	if (bpf_get_netns_cookie(ctx) != rd_netns_cookie)
		return 1;
	if (ctx->family != AF_INET && ctx->family != AF_INET6)
		return 1;
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	id = bpf_get_current_pid_tgid();
	if ((__u32)(id >> 32) == rd_trawl_pid ||
	    (__u32)(id >> 32) == rd_self_pid)
		return 1;
	if (!owner_ok())
		return 1;

	active = bpf_map_lookup_elem(&rd_active, &zero);
	if (active == NULL)
		return 1;
	slot = *active;
	if (slot >= RD_CONFIG_SLOTS)
		return 1;
	cfg = bpf_map_lookup_elem(&rd_configs, &slot);
	if (cfg == NULL)
		return 1;

	__builtin_memset(&f, 0, sizeof f);
	f.slot = slot;
	f.tgid = (__u32)(id >> 32);
	bpf_get_current_comm(f.comm.c, sizeof f.comm.c);
	comm_pad(&f.comm);
	leader_comm(&f.lcomm);
	exe_name(&f.exe);
	if (!spec_match(cfg, &f))
		return 1;

	ctx->bound_dev_if = rd_tun_ifindex;

	cookie = bpf_get_socket_cookie(ctx);
	__builtin_memset(&proc, 0, sizeof proc);
	proc.pid = (__u32)(id >> 32);
	proc.tid = (__u32)id;
	__builtin_memcpy(proc.comm, f.comm.c, sizeof proc.comm);
	__builtin_memcpy(proc.leader_comm, f.lcomm.c, sizeof proc.leader_comm);
	proc.cookie = cookie;
	bpf_map_update_elem(&rd_socks, &cookie, &proc, BPF_ANY);
	return 1;
}

/* Copies the creator of a captured socket to the 4-tuple map. */
static __always_inline void
remember_tuple(__u64 cookie, struct rd_tuple *t)
{
	struct rd_proc	*p;

	p = bpf_map_lookup_elem(&rd_socks, &cookie);
	if (p == NULL)
		return;
	bpf_map_update_elem(&rd_tuples, t, p, BPF_ANY);
}

/* TCP: the local port is chosen by the time connect() sends the SYN. */
SEC("sockops")
int
rd_sockops(struct bpf_sock_ops *skops)
{
	struct rd_tuple	t;

	if (skops->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	__builtin_memset(&t, 0, sizeof t);
	t.family = (__u8)skops->family;
	t.proto = IPPROTO_TCP;
	t.sport = (__u16)skops->local_port;
	/* Network order in the upper half of the word (little endian). */
	t.dport = bpf_ntohs((__u16)(skops->remote_port >> 16));
	if (t.family == AF_INET) {
		__builtin_memcpy(t.daddr, &skops->remote_ip4, 4);
	} else if (t.family == AF_INET6) {
		__u32 a[4];

		a[0] = skops->remote_ip6[0];
		a[1] = skops->remote_ip6[1];
		a[2] = skops->remote_ip6[2];
		a[3] = skops->remote_ip6[3];
		__builtin_memcpy(t.daddr, a, 16);
	} else
		return 1;
	remember_tuple(bpf_get_socket_cookie(skops), &t);
	return 1;
}

/*
 * UDP sendto(): the socket is bound (autobind) before this hook runs.
 * Connected UDP sockets are looked up by trawl-redirector with sock_diag.
 */
static __always_inline void
udp_sendmsg(struct bpf_sock_addr *ctx, __u8 family)
{
	struct bpf_sock	*sk = ctx->sk;
	struct rd_tuple	 t;

	if (sk == NULL || ctx->protocol != IPPROTO_UDP)
		return;
	__builtin_memset(&t, 0, sizeof t);
	t.family = family;
	t.proto = IPPROTO_UDP;
	t.sport = (__u16)sk->src_port;
	t.dport = bpf_ntohs((__u16)ctx->user_port);
	if (family == AF_INET) {
		__u32 a = ctx->user_ip4;

		__builtin_memcpy(t.daddr, &a, 4);
	} else {
		__u32 a[4];

		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		__builtin_memcpy(t.daddr, a, 16);
	}
	remember_tuple(bpf_get_socket_cookie(ctx), &t);
}

SEC("cgroup/sendmsg4")
int
rd_sendmsg4(struct bpf_sock_addr *ctx)
{
	udp_sendmsg(ctx, AF_INET);
	return 1;
}

SEC("cgroup/sendmsg6")
int
rd_sendmsg6(struct bpf_sock_addr *ctx)
{
	udp_sendmsg(ctx, AF_INET6);
	return 1;
}

/* Counts the verdict; reason is a constant at every call. */
static __always_inline int
verdict(int reason)
{
	__sync_fetch_and_add(&rd_guard_count[reason], 1);
	return reason == RD_GUARD_PASS ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Whether a packet may go to sk, the socket its 4-tuple names (NULL:
 * none); releases sk. The stack finds an ICMP error's socket itself, the
 * same way. */
static __always_inline int
admit(struct __sk_buff *skb, struct bpf_sock *sk, int icmp)
{
	int reason;

	if (sk == NULL)
		return RD_GUARD_NO_SOCKET;
	if (sk->bound_dev_if != rd_tun_ifindex)
		reason = RD_GUARD_UNBOUND;
	else if (!icmp && bpf_sk_assign(skb, sk, 0) != 0)
		reason = RD_GUARD_ASSIGN;
	else
		reason = RD_GUARD_PASS;
	bpf_sk_release(sk);
	return reason;
}

/*
 * The lookups, as the stack would do them on the tun (the tuple's saddr
 * is the remote end). TCP includes time-wait sockets: a program that
 * closed first and is gone has one in FIN-WAIT-2 (Linux turns an
 * orphan's into a time-wait socket), and trawl's FIN must reach it, or
 * both ends linger for a minute. A function each: the verifier tells a
 * socket from a time-wait one by pointer type, per instruction.
 */
static __noinline int
admit_tcp(struct __sk_buff *skb, struct bpf_sock_tuple *t, __u32 len, int icmp)
{
	return admit(skb, bpf_skc_lookup_tcp(skb, t, len, BPF_F_CURRENT_NETNS,
	    0), icmp);
}

static __noinline int
admit_udp(struct __sk_buff *skb, struct bpf_sock_tuple *t, __u32 len, int icmp)
{
	return admit(skb, bpf_sk_lookup_udp(skb, t, len, BPF_F_CURRENT_NETNS,
	    0), icmp);
}

/*
 * Reads the IP header at *off (IPv4 when v4, else IPv6) into the tuple,
 * remote end first: the packet's source, or with swap (the packet an ICMP
 * error quotes, sent by the socket) its destination. Sets *off past it and
 * returns the protocol, or -1 for a header the guard refuses: unreadable,
 * a fragment after the first, IPv6 extension headers, a multicast or
 * broadcast destination.
 */
static __always_inline int
ip_header(struct __sk_buff *skb, __u32 *off, int v4, int swap,
    struct bpf_sock_tuple *t)
{
	__u8	h[40];

	if (v4) {
		if (bpf_skb_load_bytes(skb, *off, h, 20) != 0 ||
		    h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
			return -1;
		/* Fragments carry no ports (trawl never sends any). */
		if ((h[6] & 0x3f) != 0 || h[7] != 0)
			return -1;
		if (!swap && ((h[16] & 0xf0) == 0xe0 || (h[16] == 0xff &&
		    h[17] == 0xff && h[18] == 0xff && h[19] == 0xff)))
			return -1;
		__builtin_memcpy(&t->ipv4.saddr, &h[swap ? 16 : 12], 4);
		__builtin_memcpy(&t->ipv4.daddr, &h[swap ? 12 : 16], 4);
		*off += (__u32)(h[0] & 0xf) * 4;
		return h[9];
	}
	if (bpf_skb_load_bytes(skb, *off, h, 40) != 0 || h[0] >> 4 != 6)
		return -1;
	if (!swap && h[24] == 0xff)
		return -1;
	__builtin_memcpy(t->ipv6.saddr, &h[swap ? 24 : 8], 16);
	__builtin_memcpy(t->ipv6.daddr, &h[swap ? 8 : 24], 16);
	*off += 40;
	return h[6];
}

/* ICMP errors a captured socket gets (an unreachable UDP port, ...). */
static __always_inline int
icmp_error(int v4, __u8 type)
{
	if (v4)		/* unreachable, time exceeded, parameter problem */
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/*
 * tc ingress of the tun: whoever holds the tun fd writes packets here. A
 * packet passes only when it is TCP or UDP for a socket bound to the tun
 * (a captured one), and bpf_sk_assign hands it to that very socket, so
 * neither a broadcast nor forwarding nor a listener of the host's can
 * take it, whatever addresses it claims; an ICMP error passes when the
 * packet it quotes came from such a socket. Everything else is dropped.
 */
SEC("tc")
int
rd_tun_ingress(struct __sk_buff *skb)
{
	struct bpf_sock_tuple	 t;
	__be16			 ports[2];
	__u32			 len;
	__u32			 off = rd_guard_l3off;
	__u8			 type;
	int			 v4, proto, icmp = 0;

	__builtin_memset(&t, 0, sizeof t);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		v4 = 1;
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		v4 = 0;
	else
		return verdict(RD_GUARD_NOT_IP);
	proto = ip_header(skb, &off, v4, 0, &t);
	if (proto == -1)
		return verdict(RD_GUARD_NOT_IP);
	if (proto == (v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
		if (bpf_skb_load_bytes(skb, off, &type, 1) != 0 ||
		    !icmp_error(v4, type))
			return verdict(RD_GUARD_PROTO);
		off += 8;
		icmp = 1;
		proto = ip_header(skb, &off, v4, 1, &t);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return verdict(RD_GUARD_PROTO);
	if (bpf_skb_load_bytes(skb, off, ports, sizeof ports) != 0)
		return verdict(RD_GUARD_PROTO);
	if (v4) {
		t.ipv4.sport = ports[icmp];
		t.ipv4.dport = ports[!icmp];
		len = sizeof t.ipv4;
	} else {
		t.ipv6.sport = ports[icmp];
		t.ipv6.dport = ports[!icmp];
		len = sizeof t.ipv6;
	}
	if (proto == IPPROTO_TCP)
		return verdict(admit_tcp(skb, &t, len, icmp));
	return verdict(admit_udp(skb, &t, len, icmp));
}

char LICENSE[] SEC("license") = "GPL";
