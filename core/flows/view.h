/*
 * view.h -- the flows a list screen shows: the store filtered, sorted and
 * trimmed by the user, kept up to date incrementally from store events.
 *
 * The view holds an index array of matching flows in sort order, so the
 * list draws any window of it in O(rows). A new flow costs one filter
 * match plus a binary-search insert; a new filter re-matches every flow
 * once (100,000 flows well under 100 ms with simple expressions).
 *
 * The view keeps its per-flow data in flow->front: there is at most one
 * view at a time. It does not own the flows (the store does); pointers it
 * hands out are valid until the store's STORE_REMOVED event for that flow.
 * No curses here.
 */
#ifndef CORE_VIEW_H
#define CORE_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct filter;
struct filter_error;
struct flow;
struct view;

enum view_order {
	VIEW_ORDER_TIME,	/* arrival */
	VIEW_ORDER_SIZE,	/* request + response body bytes */
	VIEW_ORDER_DURATION,	/* end - start; unfinished flows last */
	VIEW_ORDER_STATUS,	/* response status; none first */
	VIEW_ORDER_HOST,
	VIEW_ORDER_METHOD
};

/* Subscribes to the store and takes in the flows already there. Only one
 * view may exist at a time (NULL otherwise). Caller frees. */
struct view	*core_view_new(void);
void		 core_view_free(struct view *);

/*
 * Compiles expr (NULL or "" clears the filter) and re-filters. On a bad
 * expression returns -1, fills *err (may be NULL) and keeps the old
 * filter. flags: FILTER_CASE_SENSITIVE.
 */
int		 core_view_set_filter(struct view *, const char *expr,
		    int flags, struct filter_error *err);
/*
 * The same, but the flows already in the store are matched later, a slice
 * at a time by core_view_filter_step, so that a large store never holds
 * up the caller. Until the last step the view shows the matches found so
 * far, in order, and every flow that arrives or changes meanwhile as the
 * new filter decides. core_view_set_filter, core_view_set_marked_only or
 * another call end a pending one.
 */
int		 core_view_set_filter_later(struct view *, const char *expr,
		    int flags, struct filter_error *err);
/* Matches up to max more flows of a pending filter. Returns 1 while some
 * remain, 0 when the view is complete. */
int		 core_view_filter_step(struct view *, size_t max);
/* While a filter pends: 1 with the store flows matched so far and how
 * many it will match in all; else 0. */
int		 core_view_filter_progress(const struct view *, size_t *done,
		    size_t *total);
/* The current expression, or NULL. Owned by the view. */
const char	*core_view_filter_text(const struct view *);
/* How many flows (not deleted from the view, marked when marked-only is
 * on) a compiled filter would show; f NULL counts them all. */
size_t		 core_view_count_matching(const struct view *, struct filter *f);
/* The same over the store's flows from index from up to to (a count in
 * slices; SIZE_MAX for the end). */
size_t		 core_view_count_matching_in(const struct view *,
		    struct filter *f, size_t from, size_t to);

void		 core_view_set_order(struct view *, enum view_order);
enum view_order	 core_view_order(const struct view *);
const char	*core_view_order_name(enum view_order);
void		 core_view_set_reverse(struct view *, int);
int		 core_view_reverse(const struct view *);
void		 core_view_set_marked_only(struct view *, int);
int		 core_view_marked_only(const struct view *);

/* Takes the flow out of the view. A finished flow also leaves the store
 * (and is freed); an active or paused one is only hidden. */
void		 core_view_delete(struct view *, struct flow *);

/* Shown flows. */
size_t		 core_view_count(const struct view *);
/* The i'th shown flow in display order, or NULL. */
struct flow	*core_view_at(const struct view *, size_t i);
/* Display index of a shown flow, or SIZE_MAX. O(log n). */
size_t		 core_view_index(const struct view *, const struct flow *);
/*
 * The shown flows in display order, for saving. Caller frees the array
 * (not the flows), which is valid until the next store event.
 */
struct flow	**core_view_list(const struct view *, size_t *n);

/* Grows by one on every change of what the view shows. */
uint64_t	 core_view_generation(const struct view *);

#endif
