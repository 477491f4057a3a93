/*
 * pool.c -- idle upstream connections kept for reuse.
 */
#include <stdlib.h>
#include <string.h>

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/pool.h"

static struct upstream	*idle_list;
static int		 nidle;

static void
unlink_idle(struct upstream *u)
{
	struct upstream **p;

	for (p = &idle_list; *p != NULL; p = &(*p)->next) {
		if (*p == u) {
			*p = u->next;
			u->next = NULL;
			nidle--;
			return;
		}
	}
}

void
core_pool_release(struct upstream *u, int abort_conn)
{
	if (u == NULL)
		return;
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

/* An idle connection that hears anything is no longer reusable. */
static void
drop(struct upstream *u)
{
	unlink_idle(u);
	core_pool_release(u, 0);
}

static void
idle_data(void *arg, const char *p, size_t n)
{
	drop(arg);
}

static void
idle_eof(void *arg)
{
	drop(arg);
}

static void
idle_error(void *arg, const char *msg)
{
	drop(arg);
}

static void
idle_timeout(void *arg)
{
	drop(arg);
}

struct upstream *
core_pool_take(const char *scheme, const char *host, int port,
    const char *name)
{
	struct upstream *u;

	for (u = idle_list; u != NULL; u = u->next) {
		if (u->port == port && strcmp(u->host, host) == 0 &&
		    strcmp(u->scheme, scheme) == 0 &&
		    (u->name == NULL ? name == NULL :
		    name != NULL && strcmp(u->name, name) == 0)) {
			unlink_idle(u);
			core_loop_timer_stop(u->idle);
			return u;
		}
	}
	return NULL;
}

void
core_pool_put(struct upstream *u)
{
	struct stream_cbs cbs = {
		idle_data, NULL, idle_eof, idle_error, u
	};

	if (nidle >= LIMIT_UPSTREAM_POOL) {
		/* Full: the oldest idle connection makes room. */
		struct upstream *last = idle_list;

		while (last != NULL && last->next != NULL)
			last = last->next;
		if (last != NULL)
			drop(last);
	}
	core_stream_set_cbs(u->s, &cbs);
	core_stream_pause(u->s, 0);
	if (u->idle == NULL)
		u->idle = core_loop_timer_new(core_loop, idle_timeout, u);
	core_loop_timer_set(u->idle, LIMIT_IDLE_UPSTREAM_SEC);
	u->next = idle_list;
	idle_list = u;
	nidle++;
}

void
core_pool_clear(void)
{
	while (idle_list != NULL)
		drop(idle_list);
}

int
core_pool_idle(void)
{
	return nidle;
}
