/*
 * prog.h -- the BPF program (ebpf/redirect.bpf.c) seen from the
 * redirector: load with its settings, fill a configuration slot, attach
 * to a cgroup with bpf_links, read the attribution maps.
 *
 * The links die with the process, so a killed redirector detaches too.
 */
#ifndef REDIRECT_PROG_H
#define REDIRECT_PROG_H

#include <stdint.h>

#include "ebpf/redirect.h"

struct rd_prog;

/* Whose sockets may be captured: everyone's, or only uid's. */
struct rd_owner {
	int		only;
	uint32_t	uid;
};

/*
 * Opens and loads the program: sockets of netns_cookie created by anyone
 * but trawl_pid and this process (and, with owner->only, by processes
 * wholly owner->uid's) get bound to tun_ifindex when the spec says so.
 * Caller frees with rd_prog_free. NULL with *cause on failure.
 */
struct rd_prog	*rd_prog_load(uint64_t netns_cookie, int tun_ifindex,
		    uint32_t trawl_pid, const struct rd_owner *owner,
		    char **cause);
void		 rd_prog_free(struct rd_prog *);
/* Writes config into the inactive slot, then flips the active index. */
int		 rd_prog_set_config(struct rd_prog *,
		    const struct rd_config *, char **cause);
/* Attaches every program to the cgroup (a directory fd). 0 or -1. */
int		 rd_prog_attach(struct rd_prog *, int cgroup_fd, char **cause);
int		 rd_prog_attached(const struct rd_prog *);
/*
 * Attaches the ingress guard to the tun (tc clsact, not a link: it lives
 * as long as the device, even past this process). 0 or -1.
 */
int		 rd_prog_guard(struct rd_prog *, int ifindex, char **cause);
/* Fills *out and returns 1 when the map knows the key, else 0. */
int		 rd_prog_lookup_tuple(struct rd_prog *,
		    const struct rd_tuple *, struct rd_proc *out);
int		 rd_prog_lookup_cookie(struct rd_prog *, uint64_t cookie,
		    struct rd_proc *out);

#endif
