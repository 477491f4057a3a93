/*
 * searchcmd.c -- --search: the hits of each finished flow, one line each.
 */
#include <stdio.h>
#include <string.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/flows/store.h"
#include "tui/searchcmd.h"

static struct {
	FILE			*out;
	struct search		*search;
	struct filter		*filter;
	int			 quiet;
	int			 started;
	uint64_t		 id;	/* of the flow being searched */
	struct search_tally	 tally;
} sc;

static int
print_hit(const struct search_hit *h, void *arg)
{
	char where[64];
	size_t i, len = h->len;

	if (sc.quiet)
		return 1;	/* a hit is all the exit code needs */
	core_search_where_text(h->where, h->line, where, sizeof where);
	fprintf(sc.out, "%llu %s: ", (unsigned long long)sc.id, where);
	/* A CR LF body shows its lines without the CR. */
	if (len > 0 && h->text[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h->text[i];

		/* One hit, one line, whatever the network put in it. */
		fputc(c < 0x20 || c == 0x7f ? '?' : c, sc.out);
	}
	fputc('\n', sc.out);
	return 0;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	if (ev != STORE_FINISHED || !core_filter_match(sc.filter, f))
		return;
	sc.id = f->id;
	if (core_search_flow(sc.search, f, print_hit, NULL, &sc.tally) > 0 &&
	    !sc.quiet)
		fflush(sc.out);
}

void
tui_searchcmd_start(FILE *out, struct search *s, struct filter *filter,
    int quiet)
{
	memset(&sc.tally, 0, sizeof sc.tally);
	sc.out = out;
	sc.search = s;
	sc.filter = filter;
	sc.quiet = quiet;
	sc.started = 1;
	core_store_subscribe(on_store, NULL);
}

uint64_t
tui_searchcmd_hits(void)
{
	return sc.tally.hits;
}

void
tui_searchcmd_done(FILE *err)
{
	if (!sc.started)
		return;
	core_store_unsubscribe(on_store, NULL);
	sc.started = 0;
	if (sc.tally.evicted > 0 && !sc.quiet)
		fprintf(err, "trawl: %llu bod%s not kept, not searched\n",
		    (unsigned long long)sc.tally.evicted,
		    sc.tally.evicted == 1 ? "y" : "ies");
}
