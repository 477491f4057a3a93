/*
 * view.c -- the filtered, sorted index of flows a list screen shows.
 *
 * Each flow carries an entry (flow->front) with its arrival number and the
 * sort key it was inserted under. The index array stays sorted by
 * (key, arrival), a strict order, so a flow is found again by binary
 * search with the key it went in with, even after the flow has changed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/flows/view.h"

/* Bytes of a host or method that take part in sorting; longer strings
 * that share this prefix keep arrival order. */
#define KEY_STR	24
/* How many flows ahead of the one matched a scan fetches what the filter
 * reads (core_filter_prefetch); the store fetches the flows before. */
#define FILTER_AHEAD	4

struct entry {
	uint64_t	 seq;		/* arrival in the view */
	double		 num;		/* numeric sort key */
	char		 str[KEY_STR];	/* text sort key, lower case */
	unsigned	 in : 1;	/* in the index array */
	unsigned	 hidden : 1;	/* deleted from the view */
};

struct view {
	struct flow	**v;		/* shown flows, ascending order */
	size_t		  n, cap;	/* cap counts from base */
	struct flow	**base;		/* the allocation; v = base + skipped */
	struct filter	 *filter;	/* NULL: every flow */
	enum view_order	  order;
	int		  reverse;
	int		  marked_only;
	uint64_t	  next_seq;
	uint64_t	  gen;
	/* A filter applied later (core_view_set_filter_later): the flows
	 * that arrived before pend_end with seq >= pend_seq are not
	 * decided yet (not shown unless an event decided them). */
	int		  pending;
	uint64_t	  pend_seq;
	uint64_t	  pend_end;
	struct flow	**batch;	/* a slice's matches, other orders */
	size_t		  batch_cap;
};

static int	exists;

/* What the store's budget counts for each flow in the view: its entry
 * (malloc rounds 48 bytes up to a 64-byte chunk) and its slot in the
 * index, which grows by doubling (up to two pointers a flow). */
#define ENTRY_COST	(((sizeof(struct entry) + 8 + 15) & ~(size_t)15) + \
			    2 * sizeof(struct flow *))

static struct entry *
entry_of(const struct flow *f)
{
	return f->front;
}

static void
make_key(const struct view *w, const struct flow *f, struct entry *e)
{
	const char *s = NULL;
	size_t i;

	e->num = 0;
	e->str[0] = '\0';
	switch (w->order) {
	case VIEW_ORDER_TIME:
		break;
	case VIEW_ORDER_SIZE:
		if (f->request != NULL)
			e->num += (double)f->request->body.total;
		if (f->response != NULL)
			e->num += (double)f->response->body.total;
		e->num += (double)f->up.total + (double)f->down.total;
		break;
	case VIEW_ORDER_DURATION:
		/* Unfinished flows have no duration yet: they go last. */
		e->num = f->t.end > 0 ? f->t.end - f->t.start : 1e300;
		break;
	case VIEW_ORDER_STATUS:
		e->num = f->response != NULL ? f->response->status : 0;
		break;
	case VIEW_ORDER_HOST:
		s = f->request != NULL ? f->request->host : f->server;
		break;
	case VIEW_ORDER_METHOD:
		s = f->request != NULL ? f->request->method :
		    core_flow_type_name(f->type);
		break;
	}
	if (s != NULL) {
		for (i = 0; i < KEY_STR - 1 && s[i] != '\0'; i++)
			e->str[i] = (char)tolower((unsigned char)s[i]);
		e->str[i] = '\0';
	}
}

static int
cmp_entry(const struct entry *a, const struct entry *b)
{
	int c;

	if (a->num < b->num)
		return -1;
	if (a->num > b->num)
		return 1;
	c = strcmp(a->str, b->str);
	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
cmp_flows(const void *a, const void *b)
{
	return cmp_entry(entry_of(*(struct flow *const *)a),
	    entry_of(*(struct flow *const *)b));
}

/* First slot whose entry is not below e. */
static size_t
lower_bound(const struct view *w, const struct entry *e)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_entry(entry_of(w->v[mid]), e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
shows(const struct view *w, const struct flow *f)
{
	const struct entry *e = entry_of(f);

	if (e->hidden || (w->marked_only && f->marker == NULL))
		return 0;
	return core_filter_match(w->filter, f);
}

/*
 * Room for need entries after v. The oldest flows leave from the front
 * (the store evicts them first), which only moves v forward; the gap is
 * closed here, once, when the tail runs out of room.
 */
static void
grow(struct view *w, size_t need)
{
	size_t skipped = (size_t)(w->v - w->base);

	if (skipped + need <= w->cap)
		return;
	if (skipped > 0) {
		memmove(w->base, w->v, w->n * sizeof *w->v);
		w->v = w->base;
		if (need <= w->cap)
			return;
	}
	w->cap = w->cap ? w->cap : 1024;
	while (w->cap < need)
		w->cap *= 2;
	w->base = realloc(w->base, w->cap * sizeof *w->base);
	if (w->base == NULL)
		abort();
	w->v = w->base;
}

static void
insert(struct view *w, struct flow *f)
{
	struct entry *e = entry_of(f);
	size_t i;

	make_key(w, f, e);
	grow(w, w->n + 1);
	/* Arrivals in time order append: skip the search. */
	if (w->n == 0 || cmp_entry(entry_of(w->v[w->n - 1]), e) < 0)
		i = w->n;
	else
		i = lower_bound(w, e);
	memmove(&w->v[i + 1], &w->v[i], (w->n - i) * sizeof *w->v);
	w->v[i] = f;
	w->n++;
	e->in = 1;
}

static void
take_out(struct view *w, struct flow *f)
{
	struct entry *e = entry_of(f);
	size_t i = lower_bound(w, e);

	if (i >= w->n || w->v[i] != f)
		abort();	/* the key it went in with must find it */
	if (i == 0)
		w->v++;		/* the oldest: no move at all */
	else
		memmove(&w->v[i], &w->v[i + 1], (w->n - i - 1) * sizeof *w->v);
	w->n--;
	e->in = 0;
}

/* Re-decides one flow after it changed. */
static void
refresh(struct view *w, struct flow *f)
{
	struct entry *e = entry_of(f), key;
	int show = shows(w, f);

	if (e->in && show) {
		key = *e;
		make_key(w, f, &key);
		if (key.num == e->num && strcmp(key.str, e->str) == 0) {
			w->gen++;	/* same place, new contents */
			return;
		}
	}
	if (e->in)
		take_out(w, f);
	if (show)
		insert(w, f);
	if (e->in || show)
		w->gen++;
}

static void
adopt(struct view *w, struct flow *f)
{
	struct entry *e;

	if (f->front != NULL)
		return;
	e = calloc(1, sizeof *e);
	if (e == NULL)
		abort();
	e->seq = w->next_seq++;
	f->front = e;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	struct view *w = arg;
	struct entry *e;

	switch (ev) {
	case STORE_ADDED:
		adopt(w, f);
		if (shows(w, f)) {
			insert(w, f);
			w->gen++;
		}
		break;
	case STORE_UPDATED:
	case STORE_FINISHED:
	case STORE_MESSAGE:
		if (f->front != NULL)
			refresh(w, f);
		break;
	case STORE_REMOVED:
		if ((e = entry_of(f)) == NULL)
			break;
		if (e->in) {
			take_out(w, f);
			w->gen++;
		}
		free(e);
		f->front = NULL;
		break;
	}
}

/* Rebuilds the index from the store: store order is arrival order. */
static void
rebuild(struct view *w)
{
	size_t i, n = core_store_count();
	struct flow *f;

	w->pending = 0;
	for (i = 0; i < w->n; i++)
		entry_of(w->v[i])->in = 0;
	w->n = 0;
	w->v = w->base;
	grow(w, n);
	for (i = 0; i < n; i++) {
		core_store_prefetch(i);
		if (i + FILTER_AHEAD < n)
			core_filter_prefetch(w->filter,
			    core_store_at(i + FILTER_AHEAD));
		f = core_store_at(i);
		if (!shows(w, f))
			continue;
		make_key(w, f, entry_of(f));
		entry_of(f)->in = 1;
		w->v[w->n++] = f;
	}
	if (w->order != VIEW_ORDER_TIME)
		qsort(w->v, w->n, sizeof *w->v, cmp_flows);
	w->gen++;
}

struct view *
core_view_new(void)
{
	struct view *w;
	size_t i;

	if (exists)
		return NULL;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	exists = 1;
	for (i = 0; i < core_store_count(); i++)
		adopt(w, core_store_at(i));
	rebuild(w);
	core_store_subscribe(on_store, w);
	core_store_set_front_bytes(ENTRY_COST);
	return w;
}

void
core_view_free(struct view *w)
{
	size_t i;
	struct flow *f;

	if (w == NULL)
		return;
	core_store_unsubscribe(on_store, w);
	core_store_set_front_bytes(0);
	for (i = 0; i < core_store_count(); i++) {
		f = core_store_at(i);
		free(f->front);
		f->front = NULL;
	}
	core_filter_free(w->filter);
	free(w->base);
	free(w->batch);
	free(w);
	exists = 0;
}

int
core_view_set_filter(struct view *w, const char *expr, int flags,
    struct filter_error *err)
{
	struct filter *f = NULL;

	if (expr != NULL && expr[strspn(expr, " \t")] != '\0') {
		f = core_filter_compile_err(expr, flags, err);
		if (f == NULL)
			return -1;
	}
	core_filter_free(w->filter);
	w->filter = f;
	rebuild(w);
	return 0;
}

int
core_view_set_filter_later(struct view *w, const char *expr, int flags,
    struct filter_error *err)
{
	struct filter *f = NULL;
	size_t i;

	if (expr != NULL && expr[strspn(expr, " \t")] != '\0') {
		f = core_filter_compile_err(expr, flags, err);
		if (f == NULL)
			return -1;
	}
	core_filter_free(w->filter);
	w->filter = f;
	for (i = 0; i < w->n; i++)
		entry_of(w->v[i])->in = 0;
	w->n = 0;
	w->v = w->base;
	w->pending = core_store_count() > 0;
	w->pend_seq = 0;
	w->pend_end = w->next_seq;
	w->gen++;
	return 0;
}

/* Store index of the first flow whose seq is not below seq. */
static size_t
store_lower_bound(uint64_t seq)
{
	size_t lo = 0, hi = core_store_count();

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (entry_of(core_store_at(mid))->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Puts the sorted batch b[0..k) into the sorted index: a merge from the
 * back, which moves only the shown flows that sort after the batch's
 * first.
 */
static void
merge_batch(struct view *w, struct flow **b, size_t k)
{
	size_t i = w->n, j = k, o;

	grow(w, w->n + k);
	o = w->n + k;
	while (j > 0) {
		if (i > 0 && cmp_flows(&w->v[i - 1], &b[j - 1]) > 0)
			w->v[--o] = w->v[--i];
		else
			w->v[--o] = b[--j];
	}
	w->n += k;
}

int
core_view_filter_step(struct view *w, size_t max)
{
	size_t i, end, count = core_store_count(), k = 0;
	struct flow *f;
	struct entry *e;

	if (!w->pending)
		return 0;
	i = store_lower_bound(w->pend_seq);
	for (end = i; end < count && end - i < max; end++)
		if (entry_of(core_store_at(end))->seq >= w->pend_end)
			break;
	if (w->order != VIEW_ORDER_TIME && w->batch_cap < end - i) {
		w->batch_cap = end - i;
		w->batch = realloc(w->batch, w->batch_cap * sizeof *w->batch);
		if (w->batch == NULL)
			abort();
	}
	for (; i < end; i++) {
		core_store_prefetch(i);
		if (i + FILTER_AHEAD < end)
			core_filter_prefetch(w->filter,
			    core_store_at(i + FILTER_AHEAD));
		f = core_store_at(i);
		e = entry_of(f);
		/* An event may have decided it already. */
		if (e->in || !shows(w, f))
			continue;
		if (w->order == VIEW_ORDER_TIME)
			insert(w, f);	/* arrival order: an append */
		else {
			make_key(w, f, e);
			e->in = 1;
			w->batch[k++] = f;
		}
	}
	if (k > 0) {
		qsort(w->batch, k, sizeof *w->batch, cmp_flows);
		merge_batch(w, w->batch, k);
	}
	if (end < count && entry_of(core_store_at(end))->seq < w->pend_end)
		w->pend_seq = entry_of(core_store_at(end))->seq;
	else
		w->pending = 0;
	w->gen++;
	return w->pending;
}

int
core_view_filter_progress(const struct view *w, size_t *done,
    size_t *total)
{
	if (!w->pending)
		return 0;
	*done = store_lower_bound(w->pend_seq);
	*total = store_lower_bound(w->pend_end);
	return 1;
}

const char *
core_view_filter_text(const struct view *w)
{
	return w->filter != NULL ? core_filter_text(w->filter) : NULL;
}

size_t
core_view_count_matching(const struct view *w, struct filter *flt)
{
	return core_view_count_matching_in(w, flt, 0, SIZE_MAX);
}

size_t
core_view_count_matching_in(const struct view *w, struct filter *flt,
    size_t from, size_t to)
{
	size_t i, n = 0, count = core_store_count();
	struct flow *f;

	if (to < count)
		count = to;
	for (i = from; i < count; i++) {
		core_store_prefetch(i);
		if (i + FILTER_AHEAD < count)
			core_filter_prefetch(flt,
			    core_store_at(i + FILTER_AHEAD));
		f = core_store_at(i);
		if (f->front != NULL && entry_of(f)->hidden)
			continue;
		if (w->marked_only && f->marker == NULL)
			continue;
		n += core_filter_match(flt, f);
	}
	return n;
}

void
core_view_set_order(struct view *w, enum view_order o)
{
	size_t i;

	if (o == w->order)
		return;
	w->order = o;
	for (i = 0; i < w->n; i++)
		make_key(w, w->v[i], entry_of(w->v[i]));
	qsort(w->v, w->n, sizeof *w->v, cmp_flows);
	w->gen++;
}

enum view_order
core_view_order(const struct view *w)
{
	return w->order;
}

const char *
core_view_order_name(enum view_order o)
{
	static const char *names[] = {
		"time", "size", "duration", "status", "host", "method"
	};

	return (size_t)o < sizeof names / sizeof names[0] ? names[o] : "?";
}

void
core_view_set_reverse(struct view *w, int on)
{
	w->reverse = on != 0;
	w->gen++;
}

int
core_view_reverse(const struct view *w)
{
	return w->reverse;
}

void
core_view_set_marked_only(struct view *w, int on)
{
	if (w->marked_only == (on != 0))
		return;
	w->marked_only = on != 0;
	rebuild(w);
}

int
core_view_marked_only(const struct view *w)
{
	return w->marked_only;
}

void
core_view_delete(struct view *w, struct flow *f)
{
	struct entry *e = entry_of(f);

	if (e == NULL)
		return;
	if (f->state == FLOW_DONE) {
		core_store_remove(f);	/* STORE_REMOVED takes it out */
		return;
	}
	if (e->in) {
		take_out(w, f);
		w->gen++;
	}
	e->hidden = 1;
}

size_t
core_view_count(const struct view *w)
{
	return w->n;
}

struct flow *
core_view_at(const struct view *w, size_t i)
{
	if (i >= w->n)
		return NULL;
	return w->v[w->reverse ? w->n - 1 - i : i];
}

size_t
core_view_index(const struct view *w, const struct flow *f)
{
	const struct entry *e = entry_of(f);
	size_t i;

	if (e == NULL || !e->in)
		return SIZE_MAX;
	i = lower_bound(w, e);
	if (i >= w->n || w->v[i] != f)
		return SIZE_MAX;
	return w->reverse ? w->n - 1 - i : i;
}

struct flow **
core_view_list(const struct view *w, size_t *n)
{
	struct flow **out = malloc((w->n ? w->n : 1) * sizeof *out);
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < w->n; i++)
		out[i] = core_view_at(w, i);
	*n = w->n;
	return out;
}

uint64_t
core_view_generation(const struct view *w)
{
	return w->gen;
}
