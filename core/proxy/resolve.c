/*
 * resolve.c -- a pool of resolver threads feeding the loop via an eventfd.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop/loop.h"
#include "core/proxy/resolve.h"

#define RESOLVE_THREADS 4

struct resolve {
	char		*host;
	char		 port[8];
	resolve_cb	 cb;
	void		*arg;
	int		 cancelled;	/* loop thread only */
	struct addrinfo	*res;
	char		 error[128];
	struct resolve	*next;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct resolve	*todo, **todo_tail;
	struct resolve	*done, **done_tail;
	int		 efd;
	int		 started;
	struct loop	*loop;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL,
	NULL, NULL, -1, 0, NULL };

static void
lookup(struct resolve *r)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(r->host, r->port, &hints, &r->res);
	if (rc != 0) {
		r->res = NULL;
		snprintf(r->error, sizeof r->error, "cannot resolve %s: %s",
		    r->host, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
	}
}

static void *
worker(void *unused)
{
	uint64_t one = 1;

	for (;;) {
		struct resolve *r;

		pthread_mutex_lock(&pool.mu);
		while (pool.todo == NULL)
			pthread_cond_wait(&pool.cv, &pool.mu);
		r = pool.todo;
		pool.todo = r->next;
		if (pool.todo == NULL)
			pool.todo_tail = &pool.todo;
		pthread_mutex_unlock(&pool.mu);

		lookup(r);

		pthread_mutex_lock(&pool.mu);
		r->next = NULL;
		*pool.done_tail = r;
		pool.done_tail = &r->next;
		pthread_mutex_unlock(&pool.mu);
		/* Fails only when the counter saturates: the loop is awake. */
		if (write(pool.efd, &one, sizeof one) == -1) {
		}
	}
	return NULL;
}

static void
finish(struct resolve *r)
{
	if (!r->cancelled)
		r->cb(r->arg, r->res, r->res == NULL ? r->error : NULL);
	if (r->res != NULL)
		freeaddrinfo(r->res);
	free(r->host);
	free(r);
}

static void
on_wake(int fd, int events, void *unused)
{
	struct resolve *list, *r;
	uint64_t n;

	/* EAGAIN is a spurious wake-up; the list below says what is done. */
	if (read(fd, &n, sizeof n) == -1) {
	}
	pthread_mutex_lock(&pool.mu);
	list = pool.done;
	pool.done = NULL;
	pool.done_tail = &pool.done;
	pthread_mutex_unlock(&pool.mu);
	while ((r = list) != NULL) {
		list = r->next;
		finish(r);
	}
}

static void
finish_deferred(void *arg)
{
	finish(arg);
}

static int
start_pool(struct loop *loop)
{
	pthread_attr_t attr;
	pthread_t t;
	int i;

	pool.todo_tail = &pool.todo;
	pool.done_tail = &pool.done;
	pool.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool.efd == -1)
		return -1;
	pool.loop = loop;
	core_loop_add(loop, pool.efd, LOOP_READ, on_wake, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < RESOLVE_THREADS; i++)
		if (pthread_create(&t, &attr, worker, NULL) != 0)
			break;
	pthread_attr_destroy(&attr);
	pool.started = 1;
	return i > 0 ? 0 : -1;
}

struct resolve *
core_resolve_start(struct loop *loop, const char *host, int port,
    resolve_cb cb, void *arg)
{
	struct resolve *r = calloc(1, sizeof *r);
	struct addrinfo hints;

	if (r == NULL)
		abort();
	r->host = strdup(host);
	if (r->host == NULL)
		abort();
	snprintf(r->port, sizeof r->port, "%d", port);
	r->cb = cb;
	r->arg = arg;

	/* Address literals need no thread. */
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, r->port, &hints, &r->res) == 0) {
		core_loop_defer(loop, finish_deferred, r);
		return r;
	}
	r->res = NULL;
	if (!pool.started && start_pool(loop) == -1) {
		snprintf(r->error, sizeof r->error, "resolver: %s",
		    strerror(errno));
		core_loop_defer(loop, finish_deferred, r);
		return r;
	}
	pthread_mutex_lock(&pool.mu);
	*pool.todo_tail = r;
	pool.todo_tail = &r->next;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	return r;
}

void
core_resolve_cancel(struct resolve *r)
{
	/* Only the loop thread reads the flag, in finish(). */
	if (r != NULL)
		r->cancelled = 1;
}
