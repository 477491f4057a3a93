/*
 * tui.h -- what the screens of the front end offer each other: the list,
 * the flow view, help, the rule list, the status bar, prompts and the
 * editor hand-off. Draw functions draw into curses' stdscr only; key
 * functions return TUI_* flags (screen.h) and never draw.
 */
#ifndef TUI_TUI_H
#define TUI_TUI_H

#include <stddef.h>

#include "tui/screen.h"

struct flow;

/* list.c: the flow list, and the actions on a flow every screen shares. */
void	 tui_list_init(void);
void	 tui_list_done(void);
void	 tui_list_draw(int top, int rows);
int	 tui_list_key(int key);
/* The focused flow, or NULL. */
struct flow *tui_list_focus(void);
/* Flow actions (a A X e V r D m d ; x w L i I ...); *flags gets TUI_*.
 * Returns 1 when the key was one of them. f may be NULL. */
int	 tui_list_flow_key(struct flow *f, int key, int *flags);
const struct tui_keyhelp *tui_list_keys(size_t *n);

/* flowview.c: one flow, tabs Request / Response / Detail. */
void	 tui_flowview_init(void);
void	 tui_flowview_done(void);
void	 tui_flowview_open(struct flow *);
void	 tui_flowview_draw(int top, int rows);
int	 tui_flowview_key(int key);
struct flow *tui_flowview_flow(void);
/* Opens f on the tab of a search hit (an enum search_where) scrolled to
 * its line, the match highlighted; n and N then step through the hit
 * list (hits.h) instead of this flow's text. */
void	 tui_flowview_open_hit(struct flow *, int where, size_t line,
	    const char *match, size_t mlen);
const struct tui_keyhelp *tui_flowview_keys(size_t *n);

/* help.c: the keys of the screen below. */
void	 tui_help_open(void);
void	 tui_help_draw(int top, int rows);
int	 tui_help_key(int key);
const struct tui_keyhelp *tui_help_keys(size_t *n);

/* rules.c: every rule; add, edit, toggle and delete. */
void	 tui_rules_draw(int top, int rows);
int	 tui_rules_key(int key);
const struct tui_keyhelp *tui_rules_keys(size_t *n);

/* statusbar.c: counts, mode, filter, rules, rates and a sparkline. */
void	 tui_statusbar_init(void);
void	 tui_statusbar_done(void);
void	 tui_statusbar_draw(int y);

/* prompt.c: a one-line editor with history, or a one-key choice. */
enum tui_history {
	HIST_FILTER,
	HIST_INTERCEPT,
	HIST_PATH,
	HIST_COMMENT,
	HIST_SEARCH,
	HIST_SPEC,
	HIST_RULE,
	HIST_N
};
/* Called as the text changes (at most once a pass). */
typedef void (*tui_prompt_change_cb)(const char *text, void *arg);
/* Called on Enter; returns 0 to close the prompt, -1 to keep it open. */
typedef int (*tui_prompt_submit_cb)(const char *text, void *arg);
typedef void (*tui_prompt_choice_cb)(int key, void *arg);

void	 tui_prompt_open(const char *label, const char *initial,
	    enum tui_history, tui_prompt_change_cb, tui_prompt_submit_cb,
	    void *arg);
/* One key out of keys (e.g. "yn"); anything else cancels. */
void	 tui_prompt_choice(const char *label, const char *keys,
	    tui_prompt_choice_cb, void *arg);
int	 tui_prompt_active(void);
int	 tui_prompt_key(int key);
/* Runs a pending change callback; call before drawing. */
void	 tui_prompt_update(void);
/* Text shown after the input: a match count, or an error whose column
 * (1-based, 0 for none) is highlighted in the input. */
void	 tui_prompt_hint(const char *hint, int error_column);
void	 tui_prompt_draw(int y);
void	 tui_prompt_close(void);
void	 tui_prompt_done(void);
/* Adds to the history of a slot (also done on Enter). */
void	 tui_prompt_remember(enum tui_history, const char *);

/* mkrule.c: "make a rule from this edit" (E): the differences between
 * a flow's original and its edited messages as rules, added on y. */
void	 tui_mkrule_offer(struct flow *);

/* editor.c: $EDITOR on the raw request or response. */
/* Starts the editor on the flow; the screen is suspended until it exits.
 * Returns 0, or -1 with an error shown. */
/* response: 0 the request, 1 the response, TUI_EDIT_MESSAGE the held
 * WebSocket message. */
#define TUI_EDIT_MESSAGE	2
int	 tui_editor_edit(struct flow *, int response);
/* 1 while an editor runs: no drawing, no stdin. */
int	 tui_editor_running(void);
/* At exit: stops a running editor, removes its file. */
void	 tui_editor_done(void);

#endif
