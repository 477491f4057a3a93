/*
 * store.h -- every flow trawl holds, in arrival order, under a memory
 * budget, and the events a front end subscribes to.
 *
 * The store owns its flows. Past LIMIT_STORE_BYTES it first drops the
 * bodies of the oldest finished flows, then the flows themselves (never an
 * active or paused one). Subscribers hear about every change.
 */
#ifndef CORE_STORE_H
#define CORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct flow;

enum store_event {
	STORE_ADDED,		/* a new flow */
	STORE_UPDATED,		/* request, response, state or notes changed */
	STORE_FINISHED,		/* the flow reached FLOW_DONE */
	STORE_REMOVED,		/* about to be freed: drop every pointer to it */
	STORE_MESSAGE		/* a WebSocket message was added: the newest */
};

typedef void (*store_cb)(enum store_event, struct flow *, void *arg);

/* Adds a subscriber; callbacks run in the order they were added. */
void		 core_store_subscribe(store_cb, void *arg);
void		 core_store_unsubscribe(store_cb, void *arg);

/* Takes ownership of the flow, gives it an id unless it has one. */
void		 core_store_add(struct flow *);
/* Tells subscribers the flow changed; re-accounts its memory. */
void		 core_store_update(struct flow *);
/* Tells subscribers the flow has a new message (its newest). */
void		 core_store_message(struct flow *);
/* Marks the flow done (sets t.end) and tells subscribers. */
void		 core_store_finish(struct flow *);
/* Removes and frees one flow. Must not be active or paused. */
void		 core_store_remove(struct flow *);
/* Removes every finished flow. */
void		 core_store_clear(void);
/* Frees everything, at exit. */
void		 core_store_free(void);

size_t		 core_store_count(void);
/* The i'th flow in arrival order, or NULL. */
struct flow	*core_store_at(size_t);
/* A hint before reading flow i in a scan of many: fetches the memory of
 * the flows after it into the cache. */
void		 core_store_prefetch(size_t);
struct flow	*core_store_find(uint64_t id);
/* Bytes currently accounted: the flows, the strings and TLS records they
 * share, the store's index and the front end's per-flow bytes. */
size_t		 core_store_bytes(void);
/* A front end that keeps memory for every stored flow (the view's entry)
 * says how much, so the budget counts it; 0 when it goes. */
void		 core_store_set_front_bytes(size_t per_flow);
/* Changes the budget (tests, --store-limit). */
void		 core_store_set_budget(size_t bytes);

#endif
