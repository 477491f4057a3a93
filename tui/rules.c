/*
 * rules.c -- the intercept rule list: toggle, delete, add rules and
 * switch interception on and off.
 */
#include <string.h>

#include "core/proxy/intercept.h"
#include "tui/screen.h"
#include "tui/tui.h"

static size_t	cur;

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "move" },
	{ "space Enter", "enable / disable the rule" },
	{ "d", "delete the rule" },
	{ "i", "add a rule" },
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
	size_t n = core_intercept_count(), i;
	int y;

	tui_screen_fill(top, 0, ROLE_TITLE);
	tui_screen_putf(top, 0, COLS, ROLE_TITLE, " Intercept rules: "
	    "interception is %s", core_intercept_enabled() ? "on" : "OFF");
	if (n == 0) {
		tui_screen_putf(top + 2, 3, COLS - 3, ROLE_DIM, "%s",
		    "no rules: i adds one");
		return;
	}
	if (cur >= n)
		cur = n - 1;
	for (i = 0, y = top + 1; i < n && y < top + rows; i++, y++) {
		const struct intercept_rule *r = core_intercept_rule(i);
		enum tui_role role = i == cur ? ROLE_FOCUS : ROLE_NORMAL;

		if (i == cur)
			tui_screen_fill(y, 0, ROLE_FOCUS);
		tui_screen_putf(y, 1, COLS - 1, role, "[%c] %s",
		    r->enabled ? 'x' : ' ', r->text);
	}
}

int
tui_rules_key(int key)
{
	size_t n = core_intercept_count();
	const struct intercept_rule *r = cur < n ? core_intercept_rule(cur) :
	    NULL;
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
		break;
	case 'd':
		if (r != NULL)
			core_intercept_remove(r->id);
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
