/*
 * redirect.h -- the one header shared by the BPF program (redirect.bpf.c),
 * trawl-redirector and trawl: map layouts and the rule encoding.
 *
 * Kernel types only (__u32, ...): the BPF side gets them from vmlinux.h,
 * user space from <linux/types.h>. Every struct is padded explicitly so
 * both compilers lay it out the same way.
 */
#ifndef EBPF_REDIRECT_H
#define EBPF_REDIRECT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Rules one spec may hold; a longer spec is rejected, never truncated. */
#define RD_MAX_RULES		64
/* Bytes of comm (TASK_COMM_LEN): 15 characters and a NUL. */
#define RD_COMM_LEN		16
/* Configuration slots: one active, one being filled (atomic updates). */
#define RD_CONFIG_SLOTS		2
/* Entries of the socket cookie and 4-tuple attribution maps (LRU). */
#define RD_SOCKS_MAX		16384
#define RD_TUPLES_MAX		16384

/*
 * What the tun's ingress guard (rd_tun_ingress) did with a packet trawl
 * wrote: indexes of its rd_guard_count counters.
 */
#define RD_GUARD_PASS		0	/* for a socket bound to the tun */
#define RD_GUARD_NOT_IP		1	/* not IPv4/IPv6, or unreadable */
#define RD_GUARD_PROTO		2	/* not TCP/UDP, a fragment, options */
#define RD_GUARD_NO_SOCKET	3	/* no socket has that 4-tuple */
#define RD_GUARD_UNBOUND	4	/* a socket not bound to the tun */
#define RD_GUARD_ASSIGN		5	/* bpf_sk_assign refused */
#define RD_GUARD_REASONS	6

/* rd_rule.flags */
#define RD_RULE_EXCLUDE		0x1	/* "!item": AND the non-match out */
#define RD_RULE_PID		0x2	/* pid rule (tgid); else a name rule */
#define RD_RULE_FLAGS		(RD_RULE_EXCLUDE | RD_RULE_PID)

/*
 * One spec item. A name rule holds the name NUL-padded to RD_COMM_LEN
 * bytes (at most 15 characters) so it compares as two 64-bit words; it
 * matches the creating thread's comm, its leader's comm or the first 15
 * bytes of the basename of the process's executable (/proc/PID/exe).
 */
struct rd_rule {
	__u32	flags;
	__u32	pid;
	char	comm[RD_COMM_LEN];
};

/*
 * The spec as the program folds it, left to right: start with "capture"
 * when rules[0] excludes, else with "capture nothing"; an include ORs its
 * match in, an exclude ANDs its non-match out. nrules == 0 captures all.
 */
struct rd_config {
	__u32		nrules;
	__u32		pad;
	struct rd_rule	rules[RD_MAX_RULES];
};

/* Who created a captured socket (rd_socks and rd_tuples values). */
struct rd_proc {
	__u32	pid;			/* tgid */
	__u32	tid;
	char	comm[RD_COMM_LEN];	/* the creating thread's */
	char	leader_comm[RD_COMM_LEN];
	__u64	cookie;			/* socket cookie */
};

/*
 * Key of rd_tuples: a captured socket's local port and its destination.
 * The source address is left out: a captured socket's packets leave
 * through the tun with the tun's address. Ports in host byte order,
 * addresses in network byte order; IPv4 in daddr[0..3], rest zero.
 */
struct rd_tuple {
	__u8	family;			/* AF_INET, AF_INET6 */
	__u8	proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	__u16	sport;
	__u16	dport;
	__u16	pad;
	__u8	daddr[16];
};

#endif
