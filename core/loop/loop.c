/*
 * loop.c -- the epoll event loop: fds, a timer heap, end-of-pass hooks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/loop/loop.h"
#include "core/loop/trawl.h"

/* One watched fd. Freed at the end of the pass it was deleted in, so an
 * event already returned by epoll_wait never points at freed memory. */
struct watch {
	int		 fd;
	int		 events;
	int		 dead;
	loop_io_cb	 cb;
	void		*arg;
	struct watch	*next_dead;
};

struct loop_timer {
	struct loop	*loop;
	double		 when;
	size_t		 slot;		/* index in the heap, or SIZE_MAX */
	loop_cb		 cb;
	void		*arg;
};

struct hook {
	loop_cb		 cb;
	void		*arg;
};

struct loop {
	int		  epfd;
	struct watch	**by_fd;	/* indexed by fd */
	size_t		  nfd;
	struct watch	 *dead;
	struct loop_timer **heap;
	size_t		  nheap, capheap;
	struct hook	 *hooks;
	size_t		  nhooks;
	struct hook	 *deferred;
	size_t		  ndeferred, capdeferred;
	int		  cap_ms;	/* from core_loop_wait_at_most, or -1 */
};

double
core_loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct loop *
core_loop_new(void)
{
	struct loop *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		free(l);
		return NULL;
	}
	l->cap_ms = -1;
	return l;
}

static void
reap(struct loop *l)
{
	struct watch *w;

	while ((w = l->dead) != NULL) {
		l->dead = w->next_dead;
		free(w);
	}
}

void
core_loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nfd; i++)
		free(l->by_fd[i]);
	reap(l);
	for (i = 0; i < l->nheap; i++)
		l->heap[i]->slot = SIZE_MAX;
	free(l->by_fd);
	free(l->heap);
	free(l->hooks);
	free(l->deferred);
	close(l->epfd);
	free(l);
}

/*
 * epoll reports a hang-up or an error whatever the mask; level-triggered,
 * a descriptor that waits for nothing (a paused or finished stream whose
 * peer is gone) would wake every pass and spin an idle trawl. With no
 * events it is edge-triggered instead: told once, then quiet.
 */
static uint32_t
to_epoll(int events)
{
	uint32_t e = 0;

	if (events & LOOP_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		e |= EPOLLOUT;
	if (e == 0)
		e = EPOLLRDHUP | EPOLLET;
	return e;
}

int
core_loop_add(struct loop *l, int fd, int events, loop_io_cb cb, void *arg)
{
	struct epoll_event ev;
	struct watch *w;

	if (fd < 0)
		return -1;
	if ((size_t)fd >= l->nfd) {
		size_t n = l->nfd ? l->nfd : 64;
		struct watch **p;

		while (n <= (size_t)fd)
			n *= 2;
		p = realloc(l->by_fd, n * sizeof *p);
		if (p == NULL)
			return -1;
		memset(p + l->nfd, 0, (n - l->nfd) * sizeof *p);
		l->by_fd = p;
		l->nfd = n;
	}
	if (l->by_fd[fd] != NULL)
		return -1;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	memset(&ev, 0, sizeof ev);
	ev.events = to_epoll(events);
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		free(w);
		return -1;
	}
	l->by_fd[fd] = w;
	return 0;
}

int
core_loop_mod(struct loop *l, int fd, int events)
{
	struct epoll_event ev;
	struct watch *w;

	if (fd < 0 || (size_t)fd >= l->nfd || (w = l->by_fd[fd]) == NULL)
		return -1;
	if (w->events == events)
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.events = to_epoll(events);
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == -1)
		return -1;
	w->events = events;
	return 0;
}

void
core_loop_del(struct loop *l, int fd)
{
	struct watch *w;

	if (fd < 0 || (size_t)fd >= l->nfd || (w = l->by_fd[fd]) == NULL)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->by_fd[fd] = NULL;
	w->dead = 1;
	w->next_dead = l->dead;
	l->dead = w;
}

/* Timer heap: a binary min-heap on `when`, each timer knows its slot. */
static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->slot = a;
	l->heap[b]->slot = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t s = i, a = 2 * i + 1, b = 2 * i + 2;

		if (a < l->nheap && l->heap[a]->when < l->heap[s]->when)
			s = a;
		if (b < l->nheap && l->heap[b]->when < l->heap[s]->when)
			s = b;
		if (s == i)
			return;
		heap_swap(l, i, s);
		i = s;
	}
}

struct loop_timer *
core_loop_timer_new(struct loop *l, loop_cb cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof *t);

	if (t == NULL)
		abort();
	t->loop = l;
	t->slot = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void
core_loop_timer_stop(struct loop_timer *t)
{
	struct loop *l = t->loop;
	size_t i = t->slot;

	if (i == SIZE_MAX)
		return;
	t->slot = SIZE_MAX;
	l->nheap--;
	if (i != l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->slot = i;
		heap_up(l, i);
		heap_down(l, i);
	}
}

void
core_loop_timer_set(struct loop_timer *t, double seconds)
{
	struct loop *l = t->loop;

	core_loop_timer_stop(t);
	if (l->nheap == l->capheap) {
		l->capheap = l->capheap ? l->capheap * 2 : 64;
		l->heap = realloc(l->heap, l->capheap * sizeof *l->heap);
		if (l->heap == NULL)
			abort();
	}
	t->when = core_loop_now() + seconds;
	t->slot = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->slot);
}

int
core_loop_timer_pending(const struct loop_timer *t)
{
	return t->slot != SIZE_MAX;
}

void
core_loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	core_loop_timer_stop(t);
	free(t);
}

void
core_loop_on_pass(struct loop *l, loop_cb cb, void *arg)
{
	l->hooks = realloc(l->hooks, (l->nhooks + 1) * sizeof *l->hooks);
	if (l->hooks == NULL)
		abort();
	l->hooks[l->nhooks].cb = cb;
	l->hooks[l->nhooks].arg = arg;
	l->nhooks++;
}

void
core_loop_wait_at_most(struct loop *l, int ms)
{
	if (ms < 0)
		ms = 0;
	if (l->cap_ms == -1 || ms < l->cap_ms)
		l->cap_ms = ms;
}

void
core_loop_defer(struct loop *l, loop_cb cb, void *arg)
{
	if (l->ndeferred == l->capdeferred) {
		l->capdeferred = l->capdeferred ? l->capdeferred * 2 : 16;
		l->deferred = realloc(l->deferred,
		    l->capdeferred * sizeof *l->deferred);
		if (l->deferred == NULL)
			abort();
	}
	l->deferred[l->ndeferred].cb = cb;
	l->deferred[l->ndeferred].arg = arg;
	l->ndeferred++;
}

static void
run_deferred(struct loop *l)
{
	size_t i;

	/* Callbacks may defer more; those run in the same drain. */
	for (i = 0; i < l->ndeferred; i++) {
		struct hook h = l->deferred[i];

		h.cb(h.arg);
	}
	l->ndeferred = 0;
}

static void
run_timers(struct loop *l)
{
	double now = core_loop_now();

	while (l->nheap > 0 && l->heap[0]->when <= now) {
		struct loop_timer *t = l->heap[0];

		core_loop_timer_stop(t);
		t->cb(t->arg);
		run_deferred(l);
	}
}

static int
next_timeout(struct loop *l, int timeout_ms)
{
	int ms = timeout_ms;

	if (l->ndeferred > 0)
		return 0;
	if (l->nheap > 0) {
		double d = (l->heap[0]->when - core_loop_now()) * 1000.0;
		int t = d <= 0 ? 0 : (int)d + 1;

		if (ms < 0 || t < ms)
			ms = t;
	}
	if (l->cap_ms >= 0 && (ms < 0 || l->cap_ms < ms))
		ms = l->cap_ms;
	return ms;
}

int
core_loop_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[256];
	int i, n, ms;

	ms = next_timeout(l, timeout_ms);
	l->cap_ms = -1;
	n = epoll_wait(l->epfd, evs, 256, ms);
	if (n == -1 && errno != EINTR)
		return -1;
	for (i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		int e = 0;

		if (w->dead)
			continue;
		if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
			e |= LOOP_READ;
		if (evs[i].events & EPOLLOUT)
			e |= LOOP_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			e |= LOOP_HUP | LOOP_READ;
		w->cb(w->fd, e, w->arg);
		run_deferred(l);
	}
	run_timers(l);
	run_deferred(l);
	for (i = 0; i < (int)l->nhooks; i++)
		l->hooks[i].cb(l->hooks[i].arg);
	run_deferred(l);
	reap(l);
	return 0;
}

int
core_loop_run(struct loop *l)
{
	while (!trawl_quit)
		if (core_loop_once(l, -1) == -1)
			return -1;
	return 0;
}
