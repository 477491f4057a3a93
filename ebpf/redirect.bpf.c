// SPDX-License-Identifier: GPL-2.0
/*
 * redirect.bpf.c -- steer the sockets the capture spec selects into
 * trawl's tun device, and remember who created them.
 *
 * cgroup/sock_create binds a captured TCP/UDP socket to the tun
 * (bound_dev_if), so every packet it sends reaches trawl. sockops and
 * cgroup/sendmsg4/6 map a captured socket's 4-tuple to its creator so
 * trawl can name the process of a flow after the process has gone.
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

/* Set by trawl-redirector before load. */
const volatile __u64 rd_netns_cookie = 0;
const volatile __u32 rd_tun_ifindex = 0;
const volatile __u32 rd_trawl_pid = 0;
const volatile __u32 rd_self_pid = 0;

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

/* Zeroes what follows the NUL so two comms compare as two words. */
static __always_inline void
comm_pad(union comm *m)
{
	int	i, end = 0;

#pragma unroll
	for (i = 0; i < RD_COMM_LEN; i++) {
		if (end)
			m->c[i] = 0;
		else if (m->c[i] == 0)
			end = 1;
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

struct fold {
	__u32		slot;
	__u32		tgid;
	int		capture;
	union comm	comm;
	union comm	lcomm;
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
		match = comm_eq(r, &f->comm) || comm_eq(r, &f->lcomm);
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

char LICENSE[] SEC("license") = "GPL";
