/*
 * screen.h -- the full-screen front end: one curses screen driven by the
 * core loop. screen.c is the only file that initialises or ends curses.
 *
 * Layout: row 0 a title (column names, tabs), rows 1..LINES-3 the body of
 * the top screen, row LINES-2 the status bar, row LINES-1 the message or
 * prompt line. Key handlers return TUI_* flags and never draw; the loop's
 * end-of-pass hook draws at most once a pass and 30 times a second.
 */
#ifndef TUI_SCREEN_H
#define TUI_SCREEN_H

#include <stddef.h>
#include <curses.h>

struct flow;
struct view;

/* Keys: a character is its Unicode value, a curses key TUI_FN(KEY_x). */
#define TUI_FN(k)	(0x200000 + (k))
#define TUI_CTRL(c)	((c) & 0x1f)
#define TUI_ESC		0x1b

/* What a key handler asks for. */
#define TUI_DIRTY	0x1	/* redraw */
#define TUI_FULL	0x2	/* clear the terminal and redraw all */

enum tui_screen_id {
	TUI_LIST,
	TUI_FLOW,
	TUI_HELP,
	TUI_RULES,
	TUI_HITS	/* search hits across flows (hits.h) */
};

/* Drawing roles; the attributes follow NO_COLOR and the terminal. */
enum tui_role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_FOCUS,
	ROLE_2XX,
	ROLE_3XX,
	ROLE_4XX,
	ROLE_5XX,
	ROLE_ERROR,
	ROLE_PAUSED,
	ROLE_MARK,
	ROLE_DIM,
	ROLE_STATUS,
	ROLE_MATCH,
	ROLE_KEY,
	ROLE_BAR,
	ROLE_NROLES
};

/* One line of a help screen. */
struct tui_keyhelp {
	const char	*keys;
	const char	*what;
};

/*
 * Takes the terminal, runs core_loop until trawl_quit, gives the terminal
 * back. The caller has created core_loop, started the proxy and installed
 * its SIGINT/SIGTERM handlers (which set trawl_quit). Returns 0, or 1 when
 * the terminal cannot be used.
 */
int	 tui_screen_run(void);

/* For the benchmark and tests: curses already set up by the caller
 * (newterm). attach creates the view and the screens; detach undoes it. */
int	 tui_screen_attach(void);
void	 tui_screen_detach(void);
/* Handles one key as if typed. Returns TUI_* flags. */
int	 tui_screen_key(int key);
/* Draws every part into curses' virtual screen and updates the terminal. */
void	 tui_screen_draw(void);

void	 tui_screen_push(enum tui_screen_id);
void	 tui_screen_pop(void);
/* The screen under the top one (for help), or the top one. */
enum tui_screen_id tui_screen_below(void);
/* The message line, until the next key. printf-style. */
void	 tui_screen_message(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 tui_screen_error(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* The view the list shows. */
struct view *tui_screen_view(void);
/* Asks for a redraw at the end of this pass (from callbacks). */
void	 tui_screen_dirty(void);
/* Give up / take back the terminal around a child (the editor). */
void	 tui_screen_suspend(void);
void	 tui_screen_resume(void);
/* 1 when the terminal can show UTF-8. */
int	 tui_screen_utf8(void);

attr_t	 tui_screen_attr(enum tui_role);
/* UTF-8 text at (y, x), cut to width columns; bytes that are not
 * printable show as '?' or '.'. Returns the columns used. */
int	 tui_screen_put(int y, int x, int width, const char *, size_t,
	    enum tui_role);
/* The same with a printf format. */
int	 tui_screen_putf(int y, int x, int width, enum tui_role,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
/* Columns the UTF-8 text takes on screen. */
int	 tui_screen_width(const char *, size_t);
/* Fills the rest of row y from column x with the role's attribute. */
void	 tui_screen_fill(int y, int x, enum tui_role);

#endif
