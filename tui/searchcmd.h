/*
 * searchcmd.h -- --search without a screen: one line per hit, like grep.
 *
 * Every flow that finishes (loaded from -r or captured) and matches the
 * dump filter is searched as it finishes, before the store's budget can
 * drop its bodies. A line is "ID WHERE: TEXT": the flow's id, where the
 * hit is ("resp body line 120", core/flows/search.h) and the line, with
 * control bytes shown as '?'.
 */
#ifndef TUI_SEARCHCMD_H
#define TUI_SEARCHCMD_H

#include <stdint.h>
#include <stdio.h>

struct filter;
struct search;

/* Prints hits to out (nothing when quiet). Does not take ownership. */
void		 tui_searchcmd_start(FILE *out, struct search *,
		    struct filter *, int quiet);
/* Hits so far. */
uint64_t	 tui_searchcmd_hits(void);
/* Stops listening; says on err how many bodies could not be searched. */
void		 tui_searchcmd_done(FILE *err);

#endif
