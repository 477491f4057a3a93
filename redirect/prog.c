/*
 * prog.c -- load and drive the generated skeleton (build/redirect.skel.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "redirect/prog.h"
#include "redirect.skel.h"

struct rd_prog {
	struct redirect	*skel;
	uint32_t	 active;	/* slot the program reads */
	int		 attached;
};

/* libbpf's warnings go to stderr; its debug chatter does not. */
static int
print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("trawl-redirector: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void
fail(char **cause, const char *what, int err)
{
	if (asprintf(cause, "%s: %s", what, strerror(err < 0 ? -err :
	    err)) == -1)
		*cause = NULL;
}

struct rd_prog *
rd_prog_load(uint64_t netns_cookie, int tun_ifindex, uint32_t trawl_pid,
    const struct rd_owner *owner, char **cause)
{
	struct rd_prog		*p;
	struct rd_config	 nothing;
	uint32_t		 zero = 0;
	int			 err;

	libbpf_set_print(print);
	if ((p = calloc(1, sizeof *p)) == NULL) {
		fail(cause, "calloc", errno);
		return NULL;
	}
	p->skel = redirect__open();
	if (p->skel == NULL) {
		fail(cause, "opening the BPF program", errno);
		goto fail;
	}
	p->skel->rodata->rd_netns_cookie = netns_cookie;
	p->skel->rodata->rd_tun_ifindex = (uint32_t)tun_ifindex;
	p->skel->rodata->rd_trawl_pid = trawl_pid;
	p->skel->rodata->rd_self_pid = (uint32_t)getpid();
	p->skel->rodata->rd_owner_only = owner->only ? 1 : 0;
	p->skel->rodata->rd_owner_uid = owner->uid;
	p->skel->rodata->rd_guard_l3off = 0;
	if ((err = redirect__load(p->skel)) != 0) {
		fail(cause, "loading the BPF program", err);
		goto fail;
	}
	/*
	 * Until trawl sends a spec both slots capture nothing: a config
	 * with one rule that matches no process (pid rules never see 0).
	 */
	memset(&nothing, 0, sizeof nothing);
	nothing.nrules = 1;
	nothing.rules[0].flags = RD_RULE_PID;
	for (zero = 0; zero < RD_CONFIG_SLOTS; zero++) {
		if ((err = bpf_map__update_elem(p->skel->maps.rd_configs,
		    &zero, sizeof zero, &nothing, sizeof nothing,
		    BPF_ANY)) != 0) {
			fail(cause, "writing the BPF configuration", err);
			goto fail;
		}
	}
	return p;
fail:
	rd_prog_free(p);
	return NULL;
}

void
rd_prog_free(struct rd_prog *p)
{
	if (p == NULL)
		return;
	redirect__destroy(p->skel);	/* destroys the links: detaches */
	free(p);
}

int
rd_prog_set_config(struct rd_prog *p, const struct rd_config *config,
    char **cause)
{
	uint32_t	zero = 0, next = p->active ^ 1;
	int		err;

	/* The program never reads the inactive slot: fill it, then flip. */
	err = bpf_map__update_elem(p->skel->maps.rd_configs, &next,
	    sizeof next, config, sizeof *config, BPF_ANY);
	if (err == 0)
		err = bpf_map__update_elem(p->skel->maps.rd_active, &zero,
		    sizeof zero, &next, sizeof next, BPF_ANY);
	if (err != 0) {
		fail(cause, "updating the BPF configuration", err);
		return -1;
	}
	p->active = next;
	return 0;
}

int
rd_prog_attach(struct rd_prog *p, int cgroup_fd, char **cause)
{
	struct redirect	*s = p->skel;

	s->links.rd_sock_create = bpf_program__attach_cgroup(
	    s->progs.rd_sock_create, cgroup_fd);
	if (s->links.rd_sock_create == NULL)
		goto fail;
	s->links.rd_sockops = bpf_program__attach_cgroup(s->progs.rd_sockops,
	    cgroup_fd);
	if (s->links.rd_sockops == NULL)
		goto fail;
	s->links.rd_sendmsg4 = bpf_program__attach_cgroup(
	    s->progs.rd_sendmsg4, cgroup_fd);
	if (s->links.rd_sendmsg4 == NULL)
		goto fail;
	s->links.rd_sendmsg6 = bpf_program__attach_cgroup(
	    s->progs.rd_sendmsg6, cgroup_fd);
	if (s->links.rd_sendmsg6 == NULL)
		goto fail;
	p->attached = 1;
	return 0;
fail:
	fail(cause, "attaching the BPF program to the cgroup", errno);
	return -1;
}

int
rd_prog_guard(struct rd_prog *p, int ifindex, char **cause)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts,
	    .prog_fd = bpf_program__fd(p->skel->progs.rd_tun_ingress));
	int	err;

	/* The clsact qdisc and the filter go with the device. */
	err = bpf_tc_hook_create(&hook);
	if (err != 0 && err != -EEXIST) {
		fail(cause, "adding the tun's clsact qdisc", err);
		return -1;
	}
	if ((err = bpf_tc_attach(&hook, &opts)) != 0) {
		fail(cause, "attaching the tun's ingress guard", err);
		return -1;
	}
	return 0;
}

int
rd_prog_attached(const struct rd_prog *p)
{
	return p->attached;
}

int
rd_prog_lookup_tuple(struct rd_prog *p, const struct rd_tuple *t,
    struct rd_proc *out)
{
	return bpf_map__lookup_elem(p->skel->maps.rd_tuples, t, sizeof *t,
	    out, sizeof *out, 0) == 0;
}

int
rd_prog_lookup_cookie(struct rd_prog *p, uint64_t cookie,
    struct rd_proc *out)
{
	return bpf_map__lookup_elem(p->skel->maps.rd_socks, &cookie,
	    sizeof cookie, out, sizeof *out, 0) == 0;
}
