/*
 * netns.h -- the network namespace local mode captures in (--netns,
 * --container), checked on trawl's side so that a bad one is an error
 * before anything starts; trawl-redirector checks it again as root.
 *
 * Contract:
 * - core_netns_resolve turns "PID" into /proc/PID/ns/net, then opens the
 *   path as trawl's user and checks it is a network namespace.
 * - core_netns_cgroup finds the cgroup v2 directory of a process (its
 *   /proc/PID/cgroup "0::" line under the cgroup2 mount).
 * Both return 0, or -1 with *cause (caller frees); *out is malloc'ed
 * (caller frees).
 */
#ifndef CORE_NETNS_H
#define CORE_NETNS_H

int	core_netns_resolve(const char *arg, char **out, char **cause);
int	core_netns_cgroup(const char *pid, char **out, char **cause);
/* Is arg a pid (digits only)? */
int	core_netns_is_pid(const char *arg);

#endif
