/*
 * hits.h -- the search across flows: `/` in the flow list asks for text
 * (core/flows/search.h: plain, re:REGEX, smart case) and the hit-list
 * screen shows one line per hit as they are found.
 *
 * The search runs over the flows the view showed when it started, in
 * slices of a few milliseconds from a loop timer, so the screen redraws
 * and traffic flows meanwhile; Esc stops it. Flows that leave the store
 * while it runs are skipped; hits keep flow ids, never pointers.
 * Key handlers return TUI_* flags and never draw.
 */
#ifndef TUI_HITS_H
#define TUI_HITS_H

#include <stddef.h>

struct tui_keyhelp;

void	 tui_hits_init(void);
void	 tui_hits_done(void);
/* Asks for the text, then searches and shows the hit list. */
void	 tui_hits_prompt(void);
/* Starts a search over the view for text (the prompt's Enter, tests).
 * Returns 0, or -1 with the error shown. */
int	 tui_hits_start(const char *text);
void	 tui_hits_draw(int top, int rows);
int	 tui_hits_key(int key);
const struct tui_keyhelp *tui_hits_keys(size_t *n);
/* From the flow view's n and N: opens the next (dir 1) or previous hit
 * in the flow view. Returns TUI_* flags. */
int	 tui_hits_step(int dir);
/* The status bar's progress ("searching 230,000/1,000,000 flows, 84
 * hits"): 1 with buf filled while a search runs, else 0. */
int	 tui_hits_status(char *buf, size_t len);
/* 1 while a search runs. */
int	 tui_hits_running(void);

#endif
