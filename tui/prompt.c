/*
 * prompt.c -- the line editor on the bottom row: cursor keys, Ctrl-U,
 * Ctrl-K, Ctrl-W, history per kind of prompt, Esc to cancel; and the
 * one-key choices ("quit? y/n").
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/screen.h"
#include "tui/tui.h"

#define PROMPT_MAX	1024	/* characters of input */
#define HISTORY_MAX	50

struct history {
	char	*v[HISTORY_MAX];	/* oldest first */
	int	 n;
};

static struct {
	int			 active;
	int			 choice;	/* one key, no line */
	char			 label[512];
	char			 keys[32];
	wchar_t			 buf[PROMPT_MAX + 1];
	int			 len, cur;
	enum tui_history	 slot;
	int			 hpos;		/* n: the line being typed */
	wchar_t			 saved[PROMPT_MAX + 1];
	int			 saved_len;
	int			 changed;
	char			 hint[256];
	int			 err_col;
	tui_prompt_change_cb	 change;
	tui_prompt_submit_cb	 submit;
	tui_prompt_choice_cb	 chosen;
	void			*arg;
} p;

static struct history	hist[HIST_N];

void
tui_prompt_remember(enum tui_history slot, const char *s)
{
	struct history *h = &hist[slot];

	if (s == NULL || s[0] == '\0')
		return;
	if (h->n > 0 && strcmp(h->v[h->n - 1], s) == 0)
		return;
	if (h->n == HISTORY_MAX) {
		free(h->v[0]);
		memmove(&h->v[0], &h->v[1], (HISTORY_MAX - 1) * sizeof h->v[0]);
		h->n--;
	}
	h->v[h->n++] = strdup(s);
}

static void
set_text(const char *s)
{
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = s != NULL ? mbsrtowcs(p.buf, &s, PROMPT_MAX, &st) : 0;
	if (n == (size_t)-1)
		n = 0;
	p.len = p.cur = (int)n;
	p.buf[p.len] = L'\0';
	p.changed = 1;
}

/* The input as UTF-8 (or the locale's bytes). Caller frees. */
static char *
text(void)
{
	const wchar_t *src = p.buf;
	size_t cap = (size_t)p.len * MB_CUR_MAX + 1, n;
	mbstate_t st;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	memset(&st, 0, sizeof st);
	p.buf[p.len] = L'\0';
	n = wcsrtombs(s, &src, cap, &st);
	if (n == (size_t)-1)
		n = 0;
	s[n] = '\0';
	return s;
}

static void
reset(const char *label)
{
	memset(&p, 0, sizeof p);
	snprintf(p.label, sizeof p.label, "%s", label);
	p.active = 1;
	tui_screen_dirty();
}

void
tui_prompt_open(const char *label, const char *initial, enum tui_history slot,
    tui_prompt_change_cb change, tui_prompt_submit_cb submit, void *arg)
{
	reset(label);
	p.slot = slot;
	p.hpos = hist[slot].n;
	p.change = change;
	p.submit = submit;
	p.arg = arg;
	set_text(initial);
}

void
tui_prompt_choice(const char *label, const char *keys, tui_prompt_choice_cb cb,
    void *arg)
{
	reset(label);
	p.choice = 1;
	snprintf(p.keys, sizeof p.keys, "%s", keys);
	p.chosen = cb;
	p.arg = arg;
}

int
tui_prompt_active(void)
{
	return p.active;
}

void
tui_prompt_close(void)
{
	p.active = 0;
	tui_screen_dirty();
}

void
tui_prompt_done(void)
{
	int i, j;

	p.active = 0;
	for (i = 0; i < HIST_N; i++) {
		for (j = 0; j < hist[i].n; j++)
			free(hist[i].v[j]);
		hist[i].n = 0;
	}
}

void
tui_prompt_hint(const char *hint, int err_col)
{
	snprintf(p.hint, sizeof p.hint, "%s", hint != NULL ? hint : "");
	p.err_col = err_col;
	tui_screen_dirty();
}

void
tui_prompt_update(void)
{
	char *s;

	if (!p.active || p.choice || !p.changed || p.change == NULL)
		return;
	p.changed = 0;
	s = text();
	p.change(s, p.arg);
	free(s);
}

static void
history_move(int dir)
{
	struct history *h = &hist[p.slot];
	int to = p.hpos + dir;

	if (to < 0 || to > h->n)
		return;
	if (p.hpos == h->n) {
		/* Leaving the line being typed: keep it to come back to. */
		memcpy(p.saved, p.buf, sizeof p.buf);
		p.saved_len = p.len;
	}
	p.hpos = to;
	if (to == h->n) {
		memcpy(p.buf, p.saved, sizeof p.buf);
		p.len = p.cur = p.saved_len;
		p.changed = 1;
	} else
		set_text(h->v[to]);
}

static void
delete_range(int from, int to)
{
	if (from >= to)
		return;
	wmemmove(p.buf + from, p.buf + to, (size_t)(p.len - to));
	p.len -= to - from;
	p.cur = from;
	p.buf[p.len] = L'\0';
	p.changed = 1;
}

static int
choice_key(int key)
{
	tui_prompt_choice_cb cb = p.chosen;
	void *arg = p.arg;

	p.active = 0;
	if (key >= 0x20 && key < 0x7f && strchr(p.keys, key) != NULL)
		cb(key, arg);
	return TUI_DIRTY;
}

static int
submit(void)
{
	tui_prompt_submit_cb cb = p.submit;
	char *s = text();
	int keep;

	tui_prompt_remember(p.slot, s);
	p.hpos = hist[p.slot].n;
	/* The callback may open another prompt: close this one first and
	 * reopen only when asked to stay. */
	p.active = 0;
	keep = cb != NULL && cb(s, p.arg) == -1;
	if (keep)
		p.active = 1;
	free(s);
	return TUI_DIRTY;
}

int
tui_prompt_key(int key)
{
	if (!p.active)
		return 0;
	if (p.choice)
		return choice_key(key);
	switch (key) {
	case TUI_ESC:
	case TUI_CTRL('g'):
		tui_prompt_close();
		break;
	case '\r':
	case '\n':
	case TUI_FN(KEY_ENTER):
		return submit();
	case TUI_FN(KEY_LEFT):
	case TUI_CTRL('b'):
		if (p.cur > 0)
			p.cur--;
		break;
	case TUI_FN(KEY_RIGHT):
	case TUI_CTRL('f'):
		if (p.cur < p.len)
			p.cur++;
		break;
	case TUI_FN(KEY_HOME):
	case TUI_CTRL('a'):
		p.cur = 0;
		break;
	case TUI_FN(KEY_END):
	case TUI_CTRL('e'):
		p.cur = p.len;
		break;
	case TUI_FN(KEY_BACKSPACE):
	case 0x7f:
	case TUI_CTRL('h'):
		if (p.cur > 0)
			delete_range(p.cur - 1, p.cur);
		break;
	case TUI_FN(KEY_DC):
	case TUI_CTRL('d'):
		if (p.cur < p.len)
			delete_range(p.cur, p.cur + 1);
		break;
	case TUI_CTRL('u'):
		delete_range(0, p.cur);
		break;
	case TUI_CTRL('k'):
		delete_range(p.cur, p.len);
		break;
	case TUI_CTRL('w'): {
		int i = p.cur;

		while (i > 0 && p.buf[i - 1] == L' ')
			i--;
		while (i > 0 && p.buf[i - 1] != L' ')
			i--;
		delete_range(i, p.cur);
		break;
	}
	case TUI_FN(KEY_UP):
		history_move(-1);
		break;
	case TUI_FN(KEY_DOWN):
		history_move(1);
		break;
	default:
		if (key < 0x20 || key == 0x7f || key >= TUI_FN(0) ||
		    p.len >= PROMPT_MAX)
			break;
		wmemmove(p.buf + p.cur + 1, p.buf + p.cur,
		    (size_t)(p.len - p.cur));
		p.buf[p.cur++] = (wchar_t)key;
		p.len++;
		p.buf[p.len] = L'\0';
		p.changed = 1;
		break;
	}
	return TUI_DIRTY;
}

static int
wc_width(wchar_t c)
{
	int w = wcwidth(c);

	return w < 0 ? 1 : w;
}

void
tui_prompt_draw(int y)
{
	int x, avail, start, i, col, cx, hintw = 0;
	attr_t a;

	x = tui_screen_put(y, 0, COLS, p.label, strlen(p.label), ROLE_KEY);
	if (p.choice) {
		move(y, x < COLS ? x : COLS - 1);
		return;
	}
	if (p.hint[0] != '\0')
		hintw = tui_screen_width(p.hint, strlen(p.hint)) + 2;
	if (hintw > COLS / 2)
		hintw = COLS / 2;
	avail = COLS - x - hintw - 1;
	if (avail < 4)
		avail = 4;
	/* Scroll the input so the cursor stays visible. */
	start = 0;
	for (col = 0, i = p.cur; i > 0 && col + wc_width(p.buf[i - 1]) < avail;
	    i--)
		col += wc_width(p.buf[i - 1]);
	start = i;
	move(y, x);
	cx = x;
	for (i = start, col = 0; i < p.len; i++) {
		int w = wc_width(p.buf[i]);
		wchar_t c = p.buf[i];

		if (col + w > avail)
			break;
		a = (p.err_col > 0 && i == p.err_col - 1) ?
		    tui_screen_attr(ROLE_ERROR) | A_REVERSE : A_NORMAL;
		attrset(a);
		if (c < 0x20 || c == 0x7f)
			c = L'?';
		addnwstr(&c, 1);
		if (i < p.cur)
			cx += w;
		col += w;
	}
	/* An error past the end (missing argument): mark the end. */
	if (p.err_col > p.len && col < avail) {
		attrset(tui_screen_attr(ROLE_ERROR) | A_REVERSE);
		addch(' ');
	}
	attrset(A_NORMAL);
	if (p.hint[0] != '\0')
		tui_screen_put(y, COLS - hintw + 2, hintw - 2, p.hint,
		    strlen(p.hint), p.err_col > 0 || strncmp(p.hint, "error", 5)
		    == 0 ? ROLE_ERROR : ROLE_DIM);
	move(y, cx < COLS ? cx : COLS - 1);
}
