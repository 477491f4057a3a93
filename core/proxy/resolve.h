/*
 * resolve.h -- host name lookups that never block the event loop.
 *
 * getaddrinfo() blocks, and getaddrinfo_a() reports through signals or
 * threads of its own; a small pool of resolver threads that wake the loop
 * through an eventfd keeps every callback on the loop thread and is easy
 * to reason about.
 */
#ifndef CORE_RESOLVE_H
#define CORE_RESOLVE_H

struct addrinfo;
struct loop;
struct resolve;

/* res is freed after the callback returns; error is NULL on success. */
typedef void (*resolve_cb)(void *arg, const struct addrinfo *res,
    const char *error);

/* Starts a lookup; the callback runs later on the loop thread. */
struct resolve	*core_resolve_start(struct loop *, const char *host, int port,
		    resolve_cb, void *arg);
/* The callback will not run. The handle is gone on return. */
void		 core_resolve_cancel(struct resolve *);

#endif
