/*
 * rules.c -- the rule list: intercept rules (toggle, delete, add, switch
 * interception on and off), then the modify, map and block rules of
 * core/proxy/rules.h with how many flows each changed (add, edit,
 * toggle, delete). Rules typed here go through the command line's
 * parser and apply to the flows that start afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proxy/clientreplay.h"
#include "core/proxy/intercept.h"
#include "core/proxy/rules.h"
#include "core/proxy/serverreplay.h"
#include "tui/screen.h"
#include "tui/tui.h"

static size_t	cur;

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "move" },
	{ "space Enter", "enable / disable the rule" },
	{ "d", "delete the rule" },
	{ "a", "add a rule: choose the kind, then type it as on the command line" },
	{ "e", "edit the rule" },
	{ "i", "add an intercept rule" },
	{ "I", "interception on/off" },
	{ "q Esc", "back" },
	{ "?", "this help" },
};

const struct tui_keyhelp *
tui_rules_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

/* Server and client replay come from the command line: a section of
 * their own, counts only (nothing there to select). */
static void
draw_replays(int y, int top, int rows)
{
	size_t total, answered, failed;

	if (!core_serverreplay_active() && !core_clientreplay_active())
		return;
	if (y + 1 >= top + rows)
		return;
	y++;
	tui_screen_fill(y, 0, ROLE_TITLE);
	tui_screen_putf(y++, 0, COLS, ROLE_TITLE, "%s",
	    " Replay (from the command line)");
	if (core_serverreplay_active() && y < top + rows)
		tui_screen_putf(y++, 1, COLS - 1, ROLE_NORMAL,
		    "server replay: %zu saved responses left to answer",
		    core_serverreplay_left());
	if (core_clientreplay_active() && y < top + rows) {
		core_clientreplay_counts(&total, &answered, &failed);
		tui_screen_putf(y, 1, COLS - 1, ROLE_NORMAL, "client replay: "
		    "%zu requests, %zu answered, %zu failed", total, answered,
		    failed);
	}
}

void
tui_rules_draw(int top, int rows)
{
	size_t ni = core_intercept_count(), nr = core_rules_count(), i;
	int y;

	tui_screen_fill(top, 0, ROLE_TITLE);
	tui_screen_putf(top, 0, COLS, ROLE_TITLE, " Intercept rules: "
	    "interception is %s", core_intercept_enabled() ? "on" : "OFF");
	if (ni + nr == 0) {
		tui_screen_putf(top + 2, 3, COLS - 3, ROLE_DIM, "%s",
		    "no rules: a or i adds one");
		draw_replays(top + 3, top, rows);
		return;
	}
	if (cur >= ni + nr)
		cur = ni + nr - 1;
	for (i = 0, y = top + 1; i < ni && y < top + rows; i++, y++) {
		const struct intercept_rule *r = core_intercept_rule(i);
		enum tui_role role = i == cur ? ROLE_FOCUS : ROLE_NORMAL;

		if (i == cur)
			tui_screen_fill(y, 0, ROLE_FOCUS);
		tui_screen_putf(y, 1, COLS - 1, role, "[%c] %s",
		    r->enabled ? 'x' : ' ', r->text);
	}
	if (nr == 0) {
		draw_replays(y, top, rows);
		return;
	}
	if (ni == 0 && y < top + rows)
		tui_screen_putf(y++, 3, COLS - 3, ROLE_DIM, "%s", "none");
	if (y + 1 < top + rows) {
		y++;
		tui_screen_fill(y, 0, ROLE_TITLE);
		tui_screen_putf(y++, 0, COLS, ROLE_TITLE, "%s", " Modify, "
		    "map and block rules (flows changed)");
	}
	for (i = 0; i < nr && y < top + rows; i++, y++) {
		const struct rules_rule *r = core_rules_rule(i);
		enum tui_role role = ni + i == cur ? ROLE_FOCUS : ROLE_NORMAL;

		if (ni + i == cur)
			tui_screen_fill(y, 0, ROLE_FOCUS);
		tui_screen_putf(y, 1, COLS - 1, role, "[%c] %-14s #%-3d %6llu  "
		    "%s", r->enabled ? 'x' : ' ', core_rules_kind_name(r->kind),
		    r->id, (unsigned long long)r->flows, r->text);
	}
	draw_replays(y, top, rows);
}

/* The kinds a adds, by key, in enum rules_kind's order; 'i' is an
 * intercept rule. Replay rules come from the command line only. */
static const char add_keys[] = "hbrlkcp";
static int	edit_id;	/* the rule e edits; 0: a adds */
static int	edit_kind;	/* an enum rules_kind, or -1: intercept */

/* Shows the first line of a parser's cause ("column N: why") under
 * the input, N highlighted. */
static void
cause_hint(const char *cause)
{
	char hint[256];
	int col = 0;

	snprintf(hint, sizeof hint, "error: %.*s", (int)strcspn(cause, "\n"),
	    cause);
	if (sscanf(cause, "column %d:", &col) != 1)
		col = 0;
	tui_prompt_hint(hint, col);
}

static int
rule_submit(const char *text, void *arg)
{
	char *cause = NULL;
	int rc, id = 0;

	if (edit_kind < 0) {
		if (text[strspn(text, " \t")] == '\0')
			return 0;
		rc = core_intercept_add(text, &cause);
		if (rc != -1 && edit_id != 0)
			core_intercept_remove(edit_id);
	} else if (edit_id != 0)
		rc = core_rules_replace(edit_id, text, &cause);
	else
		rc = id = core_rules_add(edit_kind, text, &cause);
	if (rc == -1) {
		cause_hint(cause != NULL ? cause : "bad rule");
		free(cause);
		return -1;
	}
	if (edit_id != 0)
		tui_screen_message("rule changed");
	else if (edit_kind >= 0)
		tui_screen_message("added %s #%d", core_rules_kind_name(
		    edit_kind), id);
	return 0;
}

/* Opens the prompt for a rule of kind (-1: intercept), prefilled. */
static void
rule_prompt(int kind, int id, const char *text)
{
	char label[64];

	edit_kind = kind;
	edit_id = id;
	snprintf(label, sizeof label, "%s: ", kind < 0 ? "intercept" :
	    core_rules_kind_name(kind));
	tui_prompt_open(label, text, kind < 0 ? HIST_INTERCEPT : HIST_RULE,
	    NULL, rule_submit, NULL);
}

static void
kind_chosen(int key, void *arg)
{
	const char *p = strchr(add_keys, key);
	int kind = key == 'i' || p == NULL ? -1 : (int)(p - add_keys);
	char *cause = NULL;
	int id;

	if (kind >= 0 && !core_rules_kind_has_spec(kind)) {
		if ((id = core_rules_add(kind, NULL, &cause)) == -1)
			tui_screen_error("%s", cause);
		else
			tui_screen_message("added %s #%d",
			    core_rules_kind_name(kind), id);
		free(cause);
		return;
	}
	rule_prompt(kind, 0, "");
}

int
tui_rules_key(int key)
{
	size_t ni = core_intercept_count(), n = ni + core_rules_count();
	const struct intercept_rule *r = cur < ni ? core_intercept_rule(cur) :
	    NULL;
	const struct rules_rule *mr = cur >= ni && cur < n ?
	    core_rules_rule(cur - ni) : NULL;
	int flags;

	switch (key) {
	case 'q':
	case TUI_ESC:
		tui_screen_pop();
		break;
	case 'j':
	case TUI_FN(KEY_DOWN):
		if (cur + 1 < n)
			cur++;
		break;
	case 'k':
	case TUI_FN(KEY_UP):
		if (cur > 0)
			cur--;
		break;
	case ' ':
	case '\r':
	case '\n':
	case TUI_FN(KEY_ENTER):
		if (r != NULL)
			core_intercept_set_rule(r->id, !r->enabled);
		else if (mr != NULL)
			core_rules_set_enabled(mr->id, !mr->enabled);
		break;
	case 'd':
		if (r != NULL)
			core_intercept_remove(r->id);
		else if (mr != NULL)
			core_rules_remove(mr->id);
		break;
	case 'a':
		tui_prompt_choice("add: h)eaders b)ody r)emote l)ocal "
		    "k)block c)anticache p)anticomp i)ntercept", "hbrlkcpi",
		    kind_chosen, NULL);
		break;
	case 'e':
		if (r != NULL)
			rule_prompt(-1, r->id, r->text);
		else if (mr != NULL && core_rules_kind_has_spec(mr->kind))
			rule_prompt(mr->kind, mr->id, mr->text);
		else if (mr != NULL)
			tui_screen_error("%s has nothing to edit",
			    core_rules_kind_name(mr->kind));
		break;
	case 'i':
	case 'I':
	case '?':
		tui_list_flow_key(NULL, key, &flags);
		break;
	default:
		return 0;
	}
	return TUI_DIRTY;
}
