/*
 * work.c -- long work a slice at a time: a HAR load through the sliced
 * reader (core_har_reader_*), a HAR save through the saver
 * (core_har_saver_*) over the ids of the flows the view showed, and a
 * view filter through core_view_set_filter_later. The filter has its own
 * slot: a filter applied while a file loads is natural.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/cause.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/work.h"

#define SLICE_SEC	0.006	/* of work per loop pass */
#define LOAD_BYTES	(32 * 1024)	/* of the file per reader step */
#define SAVE_FLOWS	4	/* flows between two looks at the clock */
#define FILTER_FLOWS	2048	/* flows a view filter step matches */

enum work_kind {
	WORK_NONE,
	WORK_LOAD,
	WORK_SAVE
};

static struct {
	enum work_kind		 kind;
	struct loop_timer	*timer;
	char			*path;
	const char		*name;		/* path's last part */
	struct har_reader	*reader;
	struct har_saver	*saver;
	uint64_t		*ids;		/* flows to save, by id */
	size_t			 nids, pos;
	size_t			 gone;		/* left the store meanwhile */
	size_t			 loaded;
} W;

/* A view filter being applied. */
static struct {
	int			 running;
	int			 restoring;	/* Esc: the old filter again */
	char			*old;		/* the filter before, or NULL */
	struct loop_timer	*timer;
} F;

/* 1234567 -> "1,234,567". */
static const char *
grouped(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), i;
	size_t o = 0;

	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
reset(void)
{
	if (W.timer != NULL)
		core_loop_timer_stop(W.timer);
	core_har_reader_free(W.reader);
	core_har_saver_abort(W.saver);
	free(W.ids);
	free(W.path);
	W.reader = NULL;
	W.saver = NULL;
	W.ids = NULL;
	W.path = NULL;
	W.kind = WORK_NONE;
	tui_screen_dirty();
}

static void
load_one(struct flow *f, void *arg)
{
	if (f == NULL)
		return;
	core_store_add(f);
	W.loaded++;
}

/* The load's end: the reader's verdict on the message line. */
static void
load_end(void)
{
	char *cause = NULL, a[32];
	int r = core_har_reader_result(W.reader, &cause);

	if (r == -1)
		tui_screen_error("cannot load: %s", cause ? cause : W.path);
	else if (r == 1)
		tui_screen_error("loaded %s flows from %s; %s",
		    grouped(W.loaded, a, sizeof a), W.path,
		    cause ? cause : "some entries were unusable");
	else
		tui_screen_message("loaded %s flows from %s",
		    grouped(W.loaded, a, sizeof a), W.path);
	free(cause);
	reset();
}

/* Returns 1 while there is more to save. */
static int
save_some(void)
{
	char *cause = NULL;
	struct flow *f;
	size_t k;

	for (k = 0; k < SAVE_FLOWS && W.pos < W.nids; k++) {
		/* The store may have evicted it since the save began. */
		if ((f = core_store_find(W.ids[W.pos++])) == NULL) {
			W.gone++;
			continue;
		}
		if (core_har_saver_add(W.saver, f, &cause) == -1) {
			tui_screen_error("cannot save: %s", cause ? cause :
			    W.path);
			free(cause);
			reset();
			return 0;
		}
	}
	return W.pos < W.nids;
}

static void
save_end(void)
{
	char *cause = NULL, a[32], b[32];
	size_t n = core_har_saver_count(W.saver);
	int r = core_har_saver_commit(W.saver, &cause);

	W.saver = NULL;
	if (r == -1)
		tui_screen_error("cannot save: %s", cause ? cause : W.path);
	else if (W.gone > 0)
		tui_screen_message("saved %s flows to %s (%s left the store "
		    "while saving)", grouped(n, a, sizeof a), W.path,
		    grouped(W.gone, b, sizeof b));
	else
		tui_screen_message("saved %zu flows to %s", n, W.path);
	free(cause);
	reset();
}

/* One slice: a few milliseconds of work, then back to the loop. */
static void
on_slice(void *arg)
{
	double end = core_loop_now() + SLICE_SEC;
	int more = 1;

	while (more && core_loop_now() < end) {
		if (W.kind == WORK_LOAD)
			more = core_har_reader_step(W.reader, LOAD_BYTES);
		else if (W.kind == WORK_SAVE)
			more = save_some();
		else
			return;
	}
	if (W.kind == WORK_LOAD && !more)
		load_end();
	else if (W.kind == WORK_SAVE && !more)
		save_end();
	else if (W.timer != NULL)
		core_loop_timer_set(W.timer, 0);
	tui_screen_dirty();
}

/* Common start; with no loop the work is done here and now. */
static void
begin(enum work_kind kind, const char *path)
{
	const char *slash;

	W.kind = kind;
	if ((W.path = strdup(path)) == NULL)
		abort();
	slash = strrchr(W.path, '/');
	W.name = slash != NULL && slash[1] != '\0' ? slash + 1 : W.path;
	if (W.timer == NULL && core_loop != NULL)
		W.timer = core_loop_timer_new(core_loop, on_slice, NULL);
	if (W.timer != NULL)
		core_loop_timer_set(W.timer, 0);
	else
		while (W.kind != WORK_NONE)
			on_slice(NULL);
	tui_screen_dirty();
}

static int
busy(char **cause)
{
	if (W.kind == WORK_NONE)
		return 0;
	core_cause(cause, "still %s %s (Esc stops it)",
	    W.kind == WORK_LOAD ? "loading" : "saving", W.name);
	return 1;
}

int
tui_work_load(const char *path, char **cause)
{
	if (busy(cause))
		return -1;
	/* Unchecked: entries are handed out as they are read. */
	W.reader = core_har_reader_open(path, 0, load_one, NULL, cause);
	if (W.reader == NULL)
		return -1;
	W.loaded = 0;
	begin(WORK_LOAD, path);
	return 0;
}

int
tui_work_save(const char *path, char **cause)
{
	struct flow **v;
	size_t i, n;

	if (busy(cause))
		return -1;
	/* The flows the filter shows, not the part matched so far. */
	tui_work_filter_finish();
	if ((v = core_view_list(tui_screen_view(), &n)) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	if ((W.ids = malloc((n ? n : 1) * sizeof *W.ids)) == NULL) {
		free(v);
		core_cause(cause, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		W.ids[i] = v[i]->id;
	free(v);
	if ((W.saver = core_har_saver_open(path, cause)) == NULL) {
		free(W.ids);
		W.ids = NULL;
		return -1;
	}
	W.nids = n;
	W.pos = W.gone = 0;
	begin(WORK_SAVE, path);
	return 0;
}

static void
filter_end(void)
{
	F.running = 0;
	free(F.old);
	F.old = NULL;
	if (F.timer != NULL)
		core_loop_timer_stop(F.timer);
	tui_screen_dirty();
}

static void
on_filter_slice(void *arg)
{
	struct view *v = tui_screen_view();
	double end = core_loop_now() + SLICE_SEC;
	int more = 1;

	if (v == NULL) {
		filter_end();
		return;
	}
	while (more && core_loop_now() < end)
		more = core_view_filter_step(v, FILTER_FLOWS);
	if (!more) {
		if (F.restoring)
			tui_screen_message("filter stopped; back to %s",
			    core_view_filter_text(v) != NULL ?
			    core_view_filter_text(v) : "no filter");
		filter_end();
	} else if (F.timer != NULL)
		core_loop_timer_set(F.timer, 0);
	tui_screen_dirty();
}

int
tui_work_filter(const char *expr, int flags, struct filter_error *err)
{
	struct view *v = tui_screen_view();
	const char *cur = core_view_filter_text(v);
	char *old = NULL;

	/* A filter stopped half-way goes back to the one before it. */
	if (F.running)
		old = F.old, F.old = NULL;
	else if (cur != NULL && (old = strdup(cur)) == NULL)
		abort();
	if (core_view_set_filter_later(v, expr, flags, err) == -1) {
		if (F.running)
			F.old = old;
		else
			free(old);
		return -1;
	}
	free(F.old);
	F.old = old;
	F.running = 1;
	F.restoring = 0;
	if (F.timer == NULL && core_loop != NULL)
		F.timer = core_loop_timer_new(core_loop, on_filter_slice, NULL);
	if (F.timer != NULL)
		core_loop_timer_set(F.timer, 0);
	else
		while (F.running)
			on_filter_slice(NULL);
	tui_screen_dirty();
	return 0;
}

/* The filter prompt's count of matching flows, a slice at a time. */
static struct {
	struct filter		*f;		/* owned */
	size_t			 pos, n;
	struct loop_timer	*timer;
} C;

static void
count_end(void)
{
	core_filter_free(C.f);
	C.f = NULL;
	if (C.timer != NULL)
		core_loop_timer_stop(C.timer);
}

static void
on_count_slice(void *arg)
{
	double end = core_loop_now() + SLICE_SEC;
	size_t total = core_store_count();
	char hint[128], a[32], b[32];

	/* The prompt closed or its text changed to nothing to count. */
	if (C.f == NULL || !tui_prompt_active()) {
		count_end();
		return;
	}
	while (C.pos < total && core_loop_now() < end) {
		C.n += core_view_count_matching_in(tui_screen_view(), C.f,
		    C.pos, C.pos + FILTER_FLOWS);
		C.pos += FILTER_FLOWS;
	}
	if (C.pos >= total) {
		snprintf(hint, sizeof hint, "%s of %s match",
		    grouped(C.n, a, sizeof a), grouped(total, b, sizeof b));
		count_end();
	} else {
		snprintf(hint, sizeof hint, "%s of %s match so far (%d%%)",
		    grouped(C.n, a, sizeof a), grouped(C.pos, b, sizeof b),
		    (int)((uint64_t)C.pos * 100 / total));
		if (C.timer != NULL)
			core_loop_timer_set(C.timer, 0);
	}
	tui_prompt_hint(hint, 0);
}

void
tui_work_count(struct filter *f)
{
	count_end();
	C.f = f;
	C.pos = C.n = 0;
	if (C.timer == NULL && core_loop != NULL)
		C.timer = core_loop_timer_new(core_loop, on_count_slice, NULL);
	if (C.timer == NULL) {
		while (C.f != NULL && tui_prompt_active())
			on_count_slice(NULL);
		count_end();
		return;
	}
	on_count_slice(NULL);	/* a small store is counted at once */
}

void
tui_work_filter_finish(void)
{
	struct view *v = tui_screen_view();

	if (!F.running || v == NULL)
		return;
	while (core_view_filter_step(v, SIZE_MAX))
		;
	if (F.restoring)
		tui_screen_message("filter stopped; back to %s",
		    core_view_filter_text(v) != NULL ?
		    core_view_filter_text(v) : "no filter");
	filter_end();
}

/* Esc on a filter: the one before, a slice at a time too. */
static void
filter_stop(void)
{
	struct view *v = tui_screen_view();

	if (F.restoring) {
		tui_screen_message("going back to the filter before; a moment");
		return;
	}
	F.restoring = 1;
	core_view_set_filter_later(v, F.old, opts.filter_flags, NULL);
}

int
tui_work_running(void)
{
	return W.kind != WORK_NONE || F.running;
}

void
tui_work_stop(void)
{
	char a[32], b[32];

	if (F.running) {
		filter_stop();
		return;
	}
	if (W.kind == WORK_LOAD)
		tui_screen_message("load stopped: %s flows loaded from %s",
		    grouped(W.loaded, a, sizeof a), W.path);
	else if (W.kind == WORK_SAVE)
		tui_screen_message("save stopped at %s of %s flows; %s not "
		    "written", grouped(W.pos, a, sizeof a),
		    grouped(W.nids, b, sizeof b), W.path);
	reset();
}

int
tui_work_status(char *buf, size_t len)
{
	char a[32], b[32];
	uint64_t done, total;
	size_t flows, fd, ft;
	int n, filled = 0;

	if (F.running && core_view_filter_progress(tui_screen_view(), &fd,
	    &ft)) {
		filled = 1;
		n = snprintf(buf, len, "%s: %d%%, %s/%s flows%s",
		    F.restoring ? "restoring the filter" : "filtering",
		    ft > 0 ? (int)((uint64_t)fd * 100 / ft) : 0,
		    grouped(fd, a, sizeof a), grouped(ft, b, sizeof b),
		    F.restoring ? "" : " (Esc stops)");
		if (W.kind == WORK_NONE || n < 0 || (size_t)n + 4 >= len)
			return 1;
		memcpy(buf + n, " | ", 4);
		buf += n + 3;
		len -= (size_t)n + 3;
	}
	switch (W.kind) {
	case WORK_LOAD:
		core_har_reader_progress(W.reader, &done, &total, &flows);
		snprintf(buf, len, "loading %s: %d%%, %s flows (Esc stops)",
		    W.name, total > 0 ? (int)(done * 100 / total) : 0,
		    grouped(flows, a, sizeof a));
		return 1;
	case WORK_SAVE:
		snprintf(buf, len, "saving %s: %d%%, %s/%s flows (Esc stops)",
		    W.name, W.nids > 0 ? (int)(W.pos * 100 / W.nids) : 0,
		    grouped(W.pos, a, sizeof a), grouped(W.nids, b, sizeof b));
		return 1;
	case WORK_NONE:
		break;
	}
	return filled;
}

void
tui_work_done(void)
{
	reset();
	core_loop_timer_free(W.timer);
	memset(&W, 0, sizeof W);
	free(F.old);
	core_loop_timer_free(F.timer);
	memset(&F, 0, sizeof F);
	count_end();
	core_loop_timer_free(C.timer);
	memset(&C, 0, sizeof C);
}
