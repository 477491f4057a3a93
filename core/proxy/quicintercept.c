/*
 * quicintercept.c -- QUIC interception is not built yet: every captured
 * QUIC connection is relayed untouched by the caller.
 */
#include <errno.h>

#include "core/proxy/quicintercept.h"

int
core_quic_intercept_start(struct loop *l, struct netstack_udp *u,
    const struct sockaddr *client, const struct sockaddr *server, int pid,
    const char *comm, const char *sni, const void *first, size_t firstlen)
{
	errno = ENOSYS;
	return -1;
}

void
core_quic_intercept_shutdown(void)
{
}
