/*
 * redirector.h -- trawl's side of trawl-redirector (redirect/proto.h):
 * start it, receive the tun, send spec changes, ask who owns a socket.
 *
 * Contract:
 * - core_redirector_start runs the redirector directly when trawl is root,
 *   else through sudo (which may ask for a password on the terminal: call
 *   it before the screen is taken). It returns once the BPF program is
 *   attached with the first spec, or fails with a message saying what is
 *   needed.
 * - Requests are synchronous round trips of a few microseconds; a
 *   redirector that does not answer within RD_REPLY_TIMEOUT_MS counts as
 *   gone. Once gone, every call fails and the owner should end local mode.
 * - core_redirector_free closes the socketpair, which makes the redirector
 *   detach the program, delete the tun, the IPv6 rule and route, restore
 *   the sysctls and exit; it waits for that up to a second.
 */
#ifndef CORE_REDIRECTOR_H
#define CORE_REDIRECTOR_H

#include <stdint.h>

#include "core/net/spec.h"
#include "ebpf/redirect.h"

/* How long a reply may take before the redirector counts as gone. */
#define RD_REPLY_TIMEOUT_MS	2000
/* How long starting may take (sudo's password prompt included). */
#define RD_START_TIMEOUT_MS	120000

struct redirector;

/* The tun the redirector made; fd belongs to the struct redirector. */
struct redirector_tun {
	int		fd;
	int		ifindex;
	char		ifname[16];
	uint8_t		addr4[4];	/* the kernel's side (RD_TUN_ADDR4) */
	uint8_t		peer4[4];	/* the user-space stack's side */
	uint8_t		addr6[16];
	uint8_t		peer6[16];
	int		prefix4;
	int		prefix6;	/* 0: the host has no IPv6 */
	int		mtu;
};

/*
 * Starts the redirector at path (NULL: trawl-redirector next to trawl's
 * executable, else from $PATH), limited to the cgroup v2 directory cgroup
 * (NULL: the whole cgroup v2 mount), capturing by spec. Caller frees with
 * core_redirector_free. NULL with *cause (caller frees) on failure.
 */
struct redirector *core_redirector_start(const char *path, const char *cgroup,
		    const struct spec *spec, char **cause);
void		 core_redirector_free(struct redirector *);

const struct redirector_tun *core_redirector_tun(const struct redirector *);
/* The control socket, for the loop to notice a dead redirector (HUP). */
int		 core_redirector_fd(const struct redirector *);
/* The redirector's pid (or sudo's). */
int		 core_redirector_pid(const struct redirector *);

/* Replaces the spec; sockets created afterwards follow it. 0 or -1. */
int		 core_redirector_set_spec(struct redirector *,
		    const struct spec *, char **cause);
/*
 * Who created the captured socket with local port sport sending to
 * daddr:dport (family AF_INET/AF_INET6, 4 or 16 bytes; proto
 * IPPROTO_TCP/UDP; ports in host order)? Returns 1 with *out, 0 when
 * unknown, -1 when the redirector is gone.
 */
int		 core_redirector_lookup(struct redirector *, int family,
		    int proto, uint16_t sport, const void *daddr,
		    uint16_t dport, struct rd_proc *out);
/*
 * socket(family, type, 0) for an upstream connection (type may carry
 * SOCK_NONBLOCK and SOCK_CLOEXEC; the result is close-on-exec either
 * way). With --netns-upstream the redirector makes it inside the
 * namespace; -1 with errno, ENETDOWN once the redirector is gone.
 */
int		 core_redirector_socket(int family, int type);
/*
 * With --netns: ", in netns PATH, upstream from the host" (or "from the
 * netns"), for the status line; else "".
 */
const char	*core_redirector_where(void);
/* Returns 0 when the redirector answers, -1 when it is gone. */
int		 core_redirector_ping(struct redirector *);

#endif
