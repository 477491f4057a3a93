/*
 * regular.h -- regular mode: trawl as an explicit HTTP proxy that clients
 * are configured to use (curl -x, http_proxy=).
 */
#ifndef CORE_REGULAR_H
#define CORE_REGULAR_H

/* Listens on host:port. Returns 0, or -1 with *cause (caller frees). */
int	core_regular_start(const char *host, int port, char **cause);
void	core_regular_stop(void);
/* The address actually bound, "host:port". */
const char *core_regular_address(void);

#endif
