/*
 * clientreplay.c -- saved requests sent again in order, a few at a time:
 * the queue, the requests in flight, their outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/store.h"
#include "core/loop/cause.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/clientreplay.h"
#include "core/proxy/replay.h"

static struct flow	**queue;	/* owned; sent ones stay for their ids */
static size_t		  nqueue, qcap, next;
static uint64_t		 *inflight;	/* ids of the new flows out now */
static int		  ninflight, concurrency = 1;
static size_t		  answered, failed;
static int		  started, finished;
static struct loop_timer *kick_timer;
static void		(*report_cb)(const char *, void *);
static void		(*done_cb)(void *);
static void		 *cb_arg;

static void
load_one(struct flow *f, void *arg)
{
	/* Only HTTP requests can be sent again; others are left out. */
	if (f->type != FLOW_HTTP || f->request == NULL ||
	    f->request->method == NULL) {
		core_flow_free(f);
		return;
	}
	if (nqueue == qcap) {
		qcap = qcap != 0 ? 2 * qcap : 16;
		if ((queue = realloc(queue, qcap * sizeof *queue)) == NULL)
			abort();
	}
	queue[nqueue++] = f;
}

int
core_clientreplay_load(const char *path, char **cause)
{
	char *why = NULL;
	int rc;

	rc = core_har_load(path, load_one, NULL, &why);
	if (rc != 0)
		core_cause(cause, "--client-replay %s: %s", path, why != NULL ?
		    why : "cannot load");
	free(why);
	return rc;
}

void
core_clientreplay_set_concurrency(int n)
{
	concurrency = n > 0 ? n : 1;
}

int
core_clientreplay_active(void)
{
	return nqueue > 0;
}

void
core_clientreplay_counts(size_t *total, size_t *ok, size_t *bad)
{
	*total = nqueue;
	*ok = answered;
	*bad = failed;
}

static void
outcome(const struct flow *f)
{
	if (f->response != NULL && f->error == NULL)
		answered++;
	else
		failed++;
}

static int
take_inflight(uint64_t id)
{
	int i;

	for (i = 0; i < ninflight; i++)
		if (inflight[i] == id) {
			inflight[i] = inflight[--ninflight];
			return 1;
		}
	return 0;
}

static void
kick_later(void)
{
	if (kick_timer != NULL)
		core_loop_timer_set(kick_timer, 0);
}

/* A replay ended: the next goes from the loop (this runs inside the
 * exchange that finished). */
static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	if ((ev != STORE_FINISHED && ev != STORE_REMOVED) ||
	    !take_inflight(f->id))
		return;
	outcome(f);
	kick_later();
}

static void
say(const char *fmt, size_t i, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof msg, fmt, i + 1, why);
	if (report_cb != NULL)
		report_cb(msg, cb_arg);
}

/* Sends what the limit allows; tells done when all ended. */
static void
kick(void *arg)
{
	struct flow *f, *nf;
	char *cause = NULL;

	while (ninflight < concurrency && next < nqueue) {
		f = queue[next];
		/* The new flow says which saved one it replays: the file's
		 * id, else its place in the file. */
		if (f->id == 0)
			f->id = next + 1;
		nf = core_replay(f, &cause);
		if (nf == NULL) {
			say("client replay: request %zu: %s", next, cause);
			free(cause);
			cause = NULL;
			failed++;
		} else if (nf->state == FLOW_DONE)
			outcome(nf);	/* ended before it could be waited for */
		else
			inflight[ninflight++] = nf->id;
		next++;
	}
	if (next == nqueue && ninflight == 0 && !finished) {
		finished = 1;
		if (done_cb != NULL)
			done_cb(cb_arg);
	}
}

void
core_clientreplay_start(void (*report)(const char *, void *),
    void (*done)(void *), void *arg)
{
	if (started || nqueue == 0)
		return;
	started = 1;
	report_cb = report;
	done_cb = done;
	cb_arg = arg;
	if ((inflight = calloc((size_t)concurrency, sizeof *inflight)) == NULL)
		abort();
	core_store_subscribe(on_store, NULL);
	kick_timer = core_loop_timer_new(core_loop, kick, NULL);
	kick_later();
}

void
core_clientreplay_clear(void)
{
	size_t i;

	if (started)
		core_store_unsubscribe(on_store, NULL);
	core_loop_timer_free(kick_timer);
	kick_timer = NULL;
	for (i = 0; i < nqueue; i++)
		core_flow_free(queue[i]);
	free(queue);
	free(inflight);
	queue = NULL;
	inflight = NULL;
	nqueue = qcap = next = answered = failed = 0;
	ninflight = 0;
	concurrency = 1;
	started = finished = 0;
	report_cb = NULL;
	done_cb = NULL;
}
