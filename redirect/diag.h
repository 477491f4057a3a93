/*
 * diag.h -- sock_diag: find a socket's cookie from its addresses, for
 * sockets whose 4-tuple the BPF program cannot see (connected UDP); and
 * end every captured socket when capture stops.
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

/*
 * Destroys (SOCK_DESTROY, CONFIG_INET_DIAG_DESTROY) every TCP connection
 * and UDP socket of this network namespace bound to ifindex: their
 * programs see ECONNABORTED at once instead of waiting on a dead tun.
 * Listeners are left alone. Returns how many, or -1 when none could be
 * destroyed though some were found (a kernel without the option).
 */
int	rd_diag_destroy(int ifindex);

#endif
