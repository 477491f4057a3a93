/*
 * store.c -- the flows in arrival order, their memory budget, and the
 * subscribers that hear about them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"

struct subscriber {
	store_cb	 cb;
	void		*arg;
};

static struct {
	struct flow		**v;		/* arrival order, no holes */
	size_t			  n, cap;
	size_t			  bytes;
	size_t			  budget;
	uint64_t		  next_id;
	struct subscriber	 *subs;
	size_t			  nsubs;
	size_t			  stripped;	/* flows before this index have
						 * no bodies left to drop */
	size_t			  per_flow;	/* a front end's bytes a flow */
} store = { .budget = LIMIT_STORE_BYTES, .next_id = 1 };

void
core_store_subscribe(store_cb cb, void *arg)
{
	store.subs = realloc(store.subs, (store.nsubs + 1) * sizeof *store.subs);
	if (store.subs == NULL)
		abort();
	store.subs[store.nsubs].cb = cb;
	store.subs[store.nsubs].arg = arg;
	store.nsubs++;
}

void
core_store_unsubscribe(store_cb cb, void *arg)
{
	size_t i;

	for (i = 0; i < store.nsubs; i++) {
		if (store.subs[i].cb == cb && store.subs[i].arg == arg) {
			memmove(&store.subs[i], &store.subs[i + 1],
			    (store.nsubs - i - 1) * sizeof *store.subs);
			store.nsubs--;
			return;
		}
	}
}

static void
notify(enum store_event ev, struct flow *f)
{
	size_t i;

	for (i = 0; i < store.nsubs; i++)
		store.subs[i].cb(ev, f, store.subs[i].arg);
}

static void
account(struct flow *f)
{
	size_t now = core_flow_size(f);

	store.bytes = store.bytes - f->mem + now;
	f->mem = now;
}

/*
 * What n flows hold: their own bytes, the strings and TLS records they
 * share, this index (with malloc's header) and what a front end keeps
 * for each of them (the view's entry and slots). The budget bounds the
 * heap the flows cost, so RSS stays near it (bench/million.sh).
 */
static size_t
held_n(size_t n)
{
	return store.bytes + core_flow_shared_bytes() + n * store.per_flow +
	    (store.v != NULL ? store.cap * sizeof *store.v + 16 : 0);
}

static size_t
held(void)
{
	return held_n(store.n);
}

/* Binary search: ids grow with arrival, loaded flows keep theirs but are
 * appended, so fall back to a scan when the order does not hold. */
static size_t
index_of(uint64_t id)
{
	size_t lo = 0, hi = store.n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (store.v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < store.n && store.v[lo]->id == id)
		return lo;
	for (i = 0; i < store.n; i++)
		if (store.v[i]->id == id)
			return i;
	return SIZE_MAX;
}

static void
remove_at(size_t i)
{
	struct flow *f = store.v[i];

	notify(STORE_REMOVED, f);
	store.bytes -= f->mem;
	memmove(&store.v[i], &store.v[i + 1], (store.n - i - 1) * sizeof *store.v);
	store.n--;
	if (i < store.stripped)
		store.stripped--;
	core_flow_free(f);
	if (store.n == 0) {
		/* An empty store holds nothing. */
		free(store.v);
		store.v = NULL;
		store.cap = 0;
	}
}

/* The bytes go, the size stays: the list still shows it, and a search
 * can say which bodies it could not read. */
static void
drop_body(struct flow_body *b)
{
	uint64_t total = b->total;

	core_flow_body_clear(b);
	b->total = total;
	b->truncated = total > 0;
}

static void
drop_bodies(struct flow *f)
{
	if ((f->request == NULL || f->request->body.data == NULL) &&
	    (f->response == NULL || f->response->body.data == NULL) &&
	    f->up.data == NULL && f->down.data == NULL)
		return;		/* nothing to drop: no need to recount */
	if (f->request != NULL)
		drop_body(&f->request->body);
	if (f->response != NULL)
		drop_body(&f->response->body);
	drop_body(&f->up);
	drop_body(&f->down);
	core_flow_msgs_clear(&f->msgs);
	account(f);
}

/* Past the budget: bodies of the oldest finished flows go first, then
 * whole flows. Active and paused flows are never touched. */
static void
enforce_budget(void)
{
	size_t i, j, target, flows, stripped;
	int contiguous = 1;

	if (held() <= store.budget && store.n <= LIMIT_STORE_FLOWS)
		return;
	/* Resume where the last pass stopped: once over the budget every
	 * new flow would otherwise rescan all the stripped ones. */
	for (i = store.stripped; i < store.n && held() > store.budget;
	    i++) {
		if (store.v[i]->state != FLOW_DONE) {
			contiguous = 0;
			continue;
		}
		drop_bodies(store.v[i]);
		if (contiguous)
			store.stripped = i + 1;
	}
	if (held() <= store.budget && store.n <= LIMIT_STORE_FLOWS)
		return;
	/* Still over: the oldest finished flows go, down to 90% so that
	 * not every new flow pays for a pass, in one compaction. */
	target = store.budget - store.budget / 10;
	flows = LIMIT_STORE_FLOWS - LIMIT_STORE_FLOWS / 10;
	for (i = j = stripped = 0; i < store.n; i++) {
		struct flow *f = store.v[i];

		if ((held_n(store.n - (i - j)) > target ||
		    store.n - (i - j) > flows) &&
		    f->state == FLOW_DONE) {
			notify(STORE_REMOVED, f);
			store.bytes -= f->mem;
			core_flow_free(f);
			continue;
		}
		/* The order stays: what was stripped before stays before,
		 * so the next pass need not walk the survivors again. */
		if (i < store.stripped)
			stripped = j + 1;
		store.v[j++] = f;
	}
	store.n = j;
	store.stripped = stripped;
}

void
core_store_add(struct flow *f)
{
	if (store.n == store.cap) {
		store.cap = store.cap ? store.cap * 2 : 1024;
		store.v = realloc(store.v, store.cap * sizeof *store.v);
		if (store.v == NULL)
			abort();
	}
	if (f->id == 0)
		f->id = store.next_id;
	if (f->id >= store.next_id)
		store.next_id = f->id + 1;
	f->mem = 0;
	store.v[store.n++] = f;
	account(f);
	notify(STORE_ADDED, f);
	if (f->state == FLOW_DONE)
		notify(STORE_FINISHED, f);
	enforce_budget();
}

void
core_store_update(struct flow *f)
{
	account(f);
	notify(STORE_UPDATED, f);
}

void
core_store_message(struct flow *f)
{
	account(f);
	notify(STORE_MESSAGE, f);
}

void
core_store_finish(struct flow *f)
{
	if (f->state == FLOW_DONE)
		return;
	f->state = FLOW_DONE;
	f->t.end = core_now();
	core_flow_compact(f);
	account(f);
	notify(STORE_FINISHED, f);
	enforce_budget();
}

void
core_store_remove(struct flow *f)
{
	size_t i = index_of(f->id);

	if (i != SIZE_MAX && f->state == FLOW_DONE)
		remove_at(i);
}

void
core_store_clear(void)
{
	size_t i;

	for (i = store.n; i > 0; i--)
		if (store.v[i - 1]->state == FLOW_DONE)
			remove_at(i - 1);
}

void
core_store_free(void)
{
	while (store.n > 0) {
		store.v[store.n - 1]->state = FLOW_DONE;
		remove_at(store.n - 1);
	}
	free(store.v);
	free(store.subs);
	memset(&store, 0, sizeof store);	/* stripped goes back to 0 too */
	store.budget = LIMIT_STORE_BYTES;
	store.next_id = 1;
}

size_t
core_store_count(void)
{
	return store.n;
}

struct flow *
core_store_at(size_t i)
{
	return i < store.n ? store.v[i] : NULL;
}

/*
 * A scan over 100,000 flows waits on memory, not on the filter: each flow
 * costs three dependent cache misses (the flow, its request, the request's
 * strings). Fetching them a few flows ahead, a level per distance, lets
 * those misses overlap (bench/filter-bench.c, three terms: 55 -> 22 ms).
 */
#define AHEAD	4

void
core_store_prefetch(size_t i)
{
	const struct flow *f;
	const struct flow_request *rq;

	if (i + 3 * AHEAD < store.n)
		__builtin_prefetch(store.v[i + 3 * AHEAD]);
	if (i + 2 * AHEAD < store.n) {
		f = store.v[i + 2 * AHEAD];
		__builtin_prefetch(f->request);
		__builtin_prefetch(f->response);
		__builtin_prefetch(f->front);
	}
	if (i + AHEAD < store.n &&
	    (rq = store.v[i + AHEAD]->request) != NULL) {
		__builtin_prefetch(rq->method);
		__builtin_prefetch(rq->host);
		__builtin_prefetch(rq->path);
	}
}

struct flow *
core_store_find(uint64_t id)
{
	size_t i = index_of(id);

	return i == SIZE_MAX ? NULL : store.v[i];
}

size_t
core_store_bytes(void)
{
	return held();
}

void
core_store_set_front_bytes(size_t per_flow)
{
	store.per_flow = per_flow;
	enforce_budget();
}

void
core_store_set_budget(size_t bytes)
{
	store.budget = bytes;
	enforce_budget();
}
