/*
 * netns.h -- enter the network namespace trawl names (--netns PATH).
 *
 * The redirector runs as root on a user's behalf: the path is opened with
 * the user's credentials (a user names only namespaces they could open
 * themselves), must be a network namespace of nsfs, and is entered by its
 * fd. Everything the redirector does afterwards (tun, addresses, rule,
 * route, sysctls, tc guard, journal, watchdog) happens in that namespace.
 */
#ifndef REDIRECT_NETNS_H
#define REDIRECT_NETNS_H

#include <sys/types.h>

/*
 * Opens path as uid/gid, checks it and moves this (single-threaded)
 * process into it. 0, or -1 with *cause (caller frees).
 */
int	rd_netns_enter(const char *path, uid_t uid, gid_t gid, char **cause);

#endif
