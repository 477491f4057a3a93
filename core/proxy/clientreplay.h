/*
 * clientreplay.h -- --client-replay: the requests of saved flows (HAR
 * files) sent again, in file order, at most N at a time, each a new flow
 * marked as a client replay (core/proxy/replay.h sends each one: to the
 * address the saved flow reached when it recorded one, else to its
 * URL's host, over HTTP/2 or HTTP/1.1 as the server chooses).
 */
#ifndef CORE_PROXY_CLIENTREPLAY_H
#define CORE_PROXY_CLIENTREPLAY_H

#include <stddef.h>

/*
 * Loads a HAR file's HTTP flows to send. Returns 0, 1 when some entries
 * were unusable (*cause says which; the rest loaded), -1 with *cause
 * naming the file when it is not a HAR file at all (nothing loaded).
 */
int	 core_clientreplay_load(const char *path, char **cause);
/* At most n requests out at once (default 1). */
void	 core_clientreplay_set_concurrency(int n);
/* 1 when anything was loaded. */
int	 core_clientreplay_active(void);
/*
 * Starts sending, from the loop (the proxy and TLS are set up). report
 * (may be NULL) hears of each request that could not be sent at all;
 * done (may be NULL) is called once every request ended.
 */
void	 core_clientreplay_start(void (*report)(const char *msg, void *),
	    void (*done)(void *), void *arg);
/* Requests in all, answered (a response and no error), failed. */
void	 core_clientreplay_counts(size_t *total, size_t *answered,
	    size_t *failed);
/* Drops everything (at exit, in tests). */
void	 core_clientreplay_clear(void);

#endif
