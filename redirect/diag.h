/*
 * diag.h -- find a socket's cookie from its addresses with sock_diag, for
 * sockets whose 4-tuple the BPF program cannot see (connected UDP).
 */
#ifndef REDIRECT_DIAG_H
#define REDIRECT_DIAG_H

#include <stdint.h>

#include "ebpf/redirect.h"

/*
 * Looks up the socket bound to ifindex sending from saddr:sport (saddr 4
 * or 16 bytes by t->family) to t's destination. Returns 1 with *cookie,
 * 0 when no such socket exists, -1 on error.
 */
int	rd_diag_cookie(const struct rd_tuple *t, const uint8_t *saddr,
	    int ifindex, uint64_t *cookie);

#endif
