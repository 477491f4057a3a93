/*
 * loop.h -- the one epoll event loop, with timers and end-of-pass hooks.
 *
 * Callbacks change state and mark things dirty; hooks run once at the end
 * of every pass (lwIP timers, flushing, redraw). Single-threaded: other
 * threads wake the loop only through core_loop_wake's eventfd.
 */
#ifndef CORE_LOOP_H
#define CORE_LOOP_H

#include <stdint.h>

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2
#define LOOP_HUP	0x4	/* error or hang-up, reported with READ */

struct loop;
struct loop_timer;

typedef void (*loop_io_cb)(int fd, int events, void *arg);
typedef void (*loop_cb)(void *arg);

/* Caller frees with core_loop_free. */
struct loop	*core_loop_new(void);
void		 core_loop_free(struct loop *);

/* Watches fd; events is LOOP_READ|LOOP_WRITE. Returns 0 or -1. */
int		 core_loop_add(struct loop *, int fd, int events, loop_io_cb,
		    void *arg);
int		 core_loop_mod(struct loop *, int fd, int events);
/* Stops watching fd; safe inside any callback, even for this fd. */
void		 core_loop_del(struct loop *, int fd);

/* A timer that fires once after core_loop_timer_set. Caller frees. */
struct loop_timer *core_loop_timer_new(struct loop *, loop_cb, void *arg);
void		 core_loop_timer_set(struct loop_timer *, double seconds);
void		 core_loop_timer_stop(struct loop_timer *);
int		 core_loop_timer_pending(const struct loop_timer *);
/* Safe inside the timer's own callback. */
void		 core_loop_timer_free(struct loop_timer *);

/* Runs cb at the end of every pass, in the order added. */
void		 core_loop_on_pass(struct loop *, loop_cb, void *arg);
/* Caps the next wait (e.g. lwIP's sys_timeouts_sleeptime). ms >= 0. */
void		 core_loop_wait_at_most(struct loop *, int ms);
/* Runs cb on the loop thread once, at the end of the current pass. */
void		 core_loop_defer(struct loop *, loop_cb, void *arg);

/* One pass: waits at most timeout_ms (-1: until something happens). */
int		 core_loop_once(struct loop *, int timeout_ms);
/* Passes until trawl_quit is set. Returns 0. */
int		 core_loop_run(struct loop *);
/* Monotonic seconds. */
double		 core_loop_now(void);

#endif
