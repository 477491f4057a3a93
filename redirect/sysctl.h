/*
 * sysctl.h -- set /proc/sys values and put back every one changed.
 *
 * The redirector changes a handful of the tun's own values (rp_filter,
 * accept_local, route_localnet, router_solicitations, accept_ra);
 * rd_sysctl_restore writes the old ones back, newest first. Values shared
 * with other sessions go through redirect/journal.h and rd_sysctl_put,
 * which remembers nothing. Paths are relative to /proc/sys.
 */
#ifndef REDIRECT_SYSCTL_H
#define REDIRECT_SYSCTL_H

#include <stddef.h>

/* Sysctls changed at most (the restore list is fixed-size). */
#define RD_SYSCTL_MAX	16

/*
 * Writes value to path if it differs and remembers the old value. Returns
 * 0 or -1 with *cause (caller frees).
 */
int	rd_sysctl_set(const char *path, const char *value, char **cause);
/* Reads path into buf (trailing newline removed). Returns 0 or -1. */
int	rd_sysctl_get(const char *path, char *buf, size_t len);
/* Writes value to path, remembering nothing. 0 or -1 with *cause. */
int	rd_sysctl_put(const char *path, const char *value, char **cause);
/* Restores every value rd_sysctl_set changed; skips vanished ones. */
void	rd_sysctl_restore(void);

#endif
