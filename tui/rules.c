/*
 * rules.c -- the rule list: intercept rules (toggle, delete, add, switch
 * interception on and off), then the modify, map and block rules of
 * core/proxy/rules.h with how many flows each changed (toggle, delete).
 */
#include <string.h>

#include "core/proxy/intercept.h"
#include "core/proxy/rules.h"
#include "tui/screen.h"
#include "tui/tui.h"

static size_t	cur;

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "move" },
	{ "space Enter", "enable / disable the rule" },
	{ "d", "delete the rule" },
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
		    "no rules: i adds one");
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
	if (nr == 0)
		return;
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
