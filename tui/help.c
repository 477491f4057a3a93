/*
 * help.c -- the keys of the screen below, and on the list the filter
 * language's operators; scrolls like a page.
 */
#include <string.h>

#include "core/flows/filter.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"

static size_t	top_line;
static int	page_rows;

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "top_line" },
	{ "PgUp PgDn space", "a page" },
	{ "g G", "top, bottom" },
	{ "q Esc ?", "close the help" },
};

const struct tui_keyhelp *
tui_help_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

void
tui_help_open(void)
{
	top_line = 0;
	tui_screen_push(TUI_HELP);
}

static const char *
title_of(enum tui_screen_id id)
{
	switch (id) {
	case TUI_LIST:
		return "flow list";
	case TUI_FLOW:
		return "flow view";
	case TUI_RULES:
		return "intercept rules";
	case TUI_HITS:
		return "search hits";
	case TUI_HELP:
		break;
	}
	return "help";
}

static const struct tui_keyhelp *
keys_of(enum tui_screen_id id, size_t *n)
{
	switch (id) {
	case TUI_LIST:
		return tui_list_keys(n);
	case TUI_FLOW:
		return tui_flowview_keys(n);
	case TUI_RULES:
		return tui_rules_keys(n);
	case TUI_HITS:
		return tui_hits_keys(n);
	case TUI_HELP:
		break;
	}
	return tui_help_keys(n);
}

/* Lines: title, keys, then (list only) the filter operators. */
static size_t
line_count(enum tui_screen_id id)
{
	size_t n, ops = 0;

	keys_of(id, &n);
	if (id == TUI_LIST)
		core_filter_operators(&ops);
	return n + (ops > 0 ? ops + 2 : 0);
}

static void
draw_line(int y, enum tui_screen_id id, size_t i)
{
	const struct tui_keyhelp *k;
	const struct filter_operator *op;
	size_t n, nops;
	char buf[128];

	k = keys_of(id, &n);
	if (i < n) {
		tui_screen_put(y, 2, 18, k[i].keys, strlen(k[i].keys),
		    ROLE_KEY);
		tui_screen_put(y, 21, COLS - 21, k[i].what, strlen(k[i].what),
		    ROLE_NORMAL);
		return;
	}
	i -= n;
	if (i == 0)
		return;
	if (i == 1) {
		tui_screen_putf(y, 0, COLS, ROLE_TITLE, "%s",
		    " Filter expressions (see trawl-filters(7)): "
		    "!, &, |, ( ) combine them");
		return;
	}
	op = core_filter_operators(&nops);
	i -= 2;
	if (i >= nops)
		return;
	snprintf(buf, sizeof buf, "%s%s%s", op[i].name, op[i].arg ? " " : "",
	    op[i].arg ? op[i].arg : "");
	tui_screen_put(y, 2, 18, buf, strlen(buf), ROLE_KEY);
	tui_screen_put(y, 21, COLS - 21, op[i].help, strlen(op[i].help),
	    ROLE_NORMAL);
}

void
tui_help_draw(int top, int rows)
{
	enum tui_screen_id id = tui_screen_below();
	size_t n = line_count(id), i;
	int y;

	tui_screen_fill(top, 0, ROLE_TITLE);
	tui_screen_putf(top, 0, COLS, ROLE_TITLE, " Help: keys of the %s "
	    "(q to close)", title_of(id));
	page_rows = rows - 1;
	if (page_rows < 1)
		page_rows = 1;
	if (top_line + (size_t)page_rows > n)
		top_line = n > (size_t)page_rows ? n - (size_t)page_rows : 0;
	for (i = top_line, y = top + 1; i < n && y < top + rows; i++, y++)
		draw_line(y, id, i);
}

int
tui_help_key(int key)
{
	size_t page = (size_t)(page_rows > 1 ? page_rows - 1 : 1);

	switch (key) {
	case 'q':
	case '?':
	case TUI_ESC:
		tui_screen_pop();
		break;
	case 'j':
	case TUI_FN(KEY_DOWN):
		top_line++;
		break;
	case 'k':
	case TUI_FN(KEY_UP):
		if (top_line > 0)
			top_line--;
		break;
	case ' ':
	case TUI_FN(KEY_NPAGE):
		top_line += page;
		break;
	case TUI_FN(KEY_PPAGE):
		top_line = top_line > page ? top_line - page : 0;
		break;
	case 'g':
		top_line = 0;
		break;
	case 'G':
		top_line = (size_t)-1 / 2;	/* clamped when drawn */
		break;
	default:
		return 0;
	}
	return TUI_DIRTY;
}
