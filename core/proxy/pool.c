/*
 * pool.c -- a client connection's idle upstream connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/pool.h"

/* Every idle connection of every pool, oldest first, for the total cap. */
static struct upstream	*oldest, *newest;
static int		 nidle;

static char *
xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		abort();
	return d;
}

struct upstream *
core_pool_upstream_new(struct stream *s, const char *scheme, const char *host,
    int port, const char *name, const char *addr)
{
	struct upstream *u = calloc(1, sizeof *u);

	if (u == NULL)
		abort();
	u->s = s;
	u->scheme = xstrdup(scheme);
	u->host = xstrdup(host);
	u->port = port;
	u->name = xstrdup(name);
	u->addr = xstrdup(addr != NULL ? addr : "");
	return u;
}

static void
unlink_idle(struct upstream *u)
{
	struct upstream **p;
	struct pool *pl = u->pool;

	if (pl == NULL)
		return;
	for (p = &pl->idle; *p != NULL; p = &(*p)->next) {
		if (*p == u) {
			*p = u->next;
			break;
		}
	}
	pl->n--;
	if (u->older != NULL)
		u->older->newer = u->newer;
	else
		oldest = u->newer;
	if (u->newer != NULL)
		u->newer->older = u->older;
	else
		newest = u->older;
	u->next = u->older = u->newer = NULL;
	u->pool = NULL;
	nidle--;
	if (u->idle != NULL)
		core_loop_timer_stop(u->idle);
}

void
core_pool_release(struct upstream *u, int abort_conn)
{
	if (u == NULL)
		return;
	unlink_idle(u);
	if (u->s != NULL) {
		if (abort_conn)
			core_stream_abort(u->s);
		else
			core_stream_close(u->s);
	}
	core_loop_timer_free(u->idle);
	free(u->host);
	free(u->scheme);
	free(u->name);
	free(u->addr);
	free(u);
}

/* The server closed an idle connection, or spoke out of turn: it is of
 * no more use, and its client may need to follow. */
static void
server_left(struct upstream *u, const char *why)
{
	struct pool *pl = u->pool;
	int used = u->requests > 0;
	char msg[256];

	snprintf(msg, sizeof msg, "server %s: %s", u->host, why);
	core_pool_release(u, 0);
	if (pl != NULL && pl->gone != NULL)
		pl->gone(pl->arg, used, msg);
}

static void
idle_data(void *arg, const char *p, size_t n)
{
	server_left(arg, "spoke out of turn");
}

static void
idle_eof(void *arg)
{
	server_left(arg, "closed the connection");
}

static void
idle_error(void *arg, const char *msg)
{
	server_left(arg, msg);
}

static void
idle_timeout(void *arg)
{
	core_pool_release(arg, 0);
}

struct upstream *
core_pool_take(struct pool *pl, const char *scheme, const char *host, int port,
    const char *name)
{
	struct upstream *u;

	for (u = pl->idle; u != NULL; u = u->next) {
		if (u->port == port && strcmp(u->host, host) == 0 &&
		    strcmp(u->scheme, scheme) == 0 && (name == NULL ||
		    (u->name != NULL && strcmp(u->name, name) == 0))) {
			unlink_idle(u);
			return u;
		}
	}
	return NULL;
}

void
core_pool_put(struct pool *pl, struct upstream *u)
{
	struct stream_cbs cbs = {
		idle_data, NULL, idle_eof, idle_error, u
	};

	/* Full: the pool's, then everyone's, oldest idle one makes room. */
	if (pl->n >= LIMIT_UPSTREAMS_PER_CLIENT) {
		struct upstream *last = pl->idle;

		while (last->next != NULL)
			last = last->next;
		core_pool_release(last, 0);
	}
	if (nidle >= LIMIT_IDLE_UPSTREAMS && oldest != NULL)
		core_pool_release(oldest, 0);
	core_stream_set_cbs(u->s, &cbs);
	core_stream_pause(u->s, 0);
	if (pl->reap) {
		if (u->idle == NULL)
			u->idle = core_loop_timer_new(core_loop, idle_timeout,
			    u);
		core_loop_timer_set(u->idle, LIMIT_IDLE_UPSTREAM_SEC);
	}
	u->pool = pl;
	u->next = pl->idle;
	pl->idle = u;
	pl->n++;
	u->older = newest;
	if (newest != NULL)
		newest->newer = u;
	else
		oldest = u;
	newest = u;
	nidle++;
}

void
core_pool_clear(struct pool *pl)
{
	while (pl->idle != NULL)
		core_pool_release(pl->idle, 0);
}

int
core_pool_idle(void)
{
	return nidle;
}
