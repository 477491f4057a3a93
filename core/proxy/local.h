/*
 * local.h -- local mode (`--mode local[:SPEC]`): trawl-redirector steers
 * the sockets of the programs the spec names into a tun; the netstack
 * terminates them; TCP goes to the proxy as transparent clients, UDP to
 * core/proxy/udprelay.c. Each flow carries the pid and name of the program that
 * made the socket (asked of the redirector).
 *
 * Life: core_local_prepare before the screen is taken (it may run sudo,
 * which may ask for a password on the terminal), core_local_start once
 * the loop exists, core_local_stop at exit (safe at any point, also when
 * nothing started). Stopping closes the redirector's socketpair, which
 * makes it remove the BPF link, the tun, the IPv6 rule and restore the
 * sysctls; a killed trawl gets the same through the socketpair closing.
 */
#ifndef CORE_LOCAL_H
#define CORE_LOCAL_H

struct loop;

/*
 * Checks spec (NULL or "" captures everything) and starts the redirector
 * limited to cgroup (a cgroup v2 directory; NULL: the whole cgroup v2
 * mount). Returns 0, or -1 with *cause (caller frees) saying what is
 * wrong or what is needed (root, sudo, the redirector binary).
 */
int		 core_local_prepare(const char *spec, const char *cgroup,
		    char **cause);
/* Starts the netstack on the redirector's tun. 0, or -1 with *cause. */
int		 core_local_start(struct loop *, char **cause);
void		 core_local_stop(void);

/*
 * Replaces the capture spec at run time; sockets created afterwards
 * follow it (sockets that exist keep their routing). Returns 0, or -1
 * with *cause (caller frees): a bad spec (the old one stays), local mode
 * not running, or the redirector gone.
 */
int		 core_local_set_spec(const char *spec, char **cause);
/* The spec in force ("" captures everything), or NULL when not running. */
const char	*core_local_spec(void);
/* 1 once trawl-redirector died under us (capture stopped). */
int		 core_local_gone(void);
/* The netstack's counters; -1 when local mode is not running. */
struct netstack_stats;
int		 core_local_netstack_stats(struct netstack_stats *);
/* One line for a status bar or stderr: what is captured where, or why
 * capture stopped. NULL when local mode is not running. */
const char	*core_local_status(void);

#endif
