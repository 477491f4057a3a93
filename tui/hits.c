/*
 * hits.c -- the search across flows and its hit list: a snapshot of the
 * view searched a slice at a time from a loop timer, the hits as they
 * come, Enter into the flow view on the hit, n and N from hit to hit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/work.h"

#define HITS_MAX	100000	/* hits listed; past it they are counted */
#define HIT_TEXT	200	/* bytes of a hit's line kept around the match */
#define SLICE_SEC	0.008	/* of searching per loop pass */

struct hflow {
	uint64_t	 id;
	char		*label;		/* "GET host/path" */
};

struct hit {
	size_t			 flow;	/* in H.flows */
	enum search_where	 where;
	size_t			 line;
	char			*text;	/* part of the line, around the match */
	unsigned short		 len, moff, mlen;
	unsigned char		 cut;	/* text starts inside the line */
};

/* Flows that left the store while the search runs: the snapshot must
 * never touch them. Open addressing on the pointer. */
struct pset {
	uintptr_t	*v;
	size_t		 n, cap;
};

static struct {
	struct search		*search;
	struct loop_timer	*timer;
	struct flow		**snap;		/* the view when it started */
	size_t			 nsnap, pos;
	struct pset		 removed;
	int			 running;
	int			 stopped;	/* Esc before the end */
	struct search_tally	 tally;
	struct hflow		*flows;
	size_t			 nflows, capflows;
	struct hit		*hits;
	size_t			 nhits, caphits;
	size_t			 cur;		/* H.flows index of the flow
						 * being searched, or SIZE_MAX */
	const struct flow	*curf;
	size_t			 focus, scroll;
	int			 rows;
	double			 t0, secs;
} H;

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "move the focus" },
	{ "g G Home End", "first, last hit" },
	{ "PgUp PgDn space", "a page up, down" },
	{ "Enter", "open the flow view on the hit" },
	{ "n N", "first hit of the next, previous flow" },
	{ "/", "search again" },
	{ "Esc", "stop the search; when stopped, back to the list" },
	{ "q", "back to the flow list" },
	{ "?", "this help" },
};

const struct tui_keyhelp *
tui_hits_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

static size_t
phash(uintptr_t p, size_t cap)
{
	return (size_t)(((uint64_t)p >> 4) * 0x9e3779b97f4a7c15ULL) &
	    (cap - 1);
}

static void
pset_add(struct pset *s, uintptr_t p)
{
	size_t i, j, old = s->cap;
	uintptr_t *v = s->v;

	if ((s->n + 1) * 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((s->v = calloc(s->cap, sizeof *s->v)) == NULL)
			abort();
		s->n = 0;
		for (j = 0; j < old; j++)
			if (v[j] != 0)
				pset_add(s, v[j]);
		free(v);
	}
	for (i = phash(p, s->cap); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == p)
			return;
	s->v[i] = p;
	s->n++;
}

static int
pset_has(const struct pset *s, uintptr_t p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	for (i = phash(p, s->cap); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == p)
			return 1;
	return 0;
}

static void
pset_clear(struct pset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* 1234567 -> "1,234,567". */
static const char *
grouped(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), i;
	size_t o = 0;

	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	if (ev == STORE_REMOVED && H.running)
		pset_add(&H.removed, (uintptr_t)f);
}

static char *
flow_label(const struct flow *f)
{
	const struct flow_request *r = f->request;
	char *s;

	if (r != NULL) {
		if (asprintf(&s, "%s %s%s", r->method ? r->method : "?",
		    r->host ? r->host : "", r->path ? r->path : "") == -1)
			abort();
	} else if (asprintf(&s, "%s %s", core_flow_type_name(f->type),
	    f->type == FLOW_DNS && f->dns != NULL && f->dns->name != NULL ?
	    f->dns->name : f->server ? f->server : "?") == -1)
		abort();
	return s;
}

/* Keeps up to HIT_TEXT bytes of the line: its indentation and a CR
 * dropped, the match and some text before it. */
static void
keep_text(struct hit *h, const struct search_hit *s)
{
	const char *t = s->text;
	size_t len = s->len, moff = s->match, mlen = s->match_len;
	size_t start = 0, end;

	if (len > 0 && t[len - 1] == '\r' && moff < len - 1)
		len--;
	if (moff + mlen > len)
		mlen = len - moff;
	while (start < moff && (t[start] == ' ' || t[start] == '\t'))
		start++;
	h->cut = 0;
	if (len - start > HIT_TEXT && moff > start + HIT_TEXT / 4) {
		start = moff - HIT_TEXT / 4;
		while (start < moff && ((unsigned char)t[start] & 0xc0) == 0x80)
			start++;
		h->cut = 1;
	}
	end = len - start > HIT_TEXT ? start + HIT_TEXT : len;
	while (end > moff && end < len && ((unsigned char)t[end] & 0xc0) ==
	    0x80)
		end--;
	if ((h->text = malloc(end - start + 1)) == NULL)
		abort();
	memcpy(h->text, t + start, end - start);
	h->text[end - start] = '\0';
	h->len = (unsigned short)(end - start);
	h->moff = (unsigned short)(moff - start);
	h->mlen = (unsigned short)(moff + mlen > end ? end - moff : mlen);
}

static int
on_hit(const struct search_hit *s, void *arg)
{
	struct hit *h;

	if (H.nhits >= HITS_MAX)
		return 0;	/* counted by the tally, not listed */
	if (H.cur == SIZE_MAX) {
		if (H.nflows == H.capflows) {
			H.capflows = H.capflows ? H.capflows * 2 : 64;
			H.flows = realloc(H.flows, H.capflows * sizeof *H.flows);
			if (H.flows == NULL)
				abort();
		}
		H.cur = H.nflows++;
		H.flows[H.cur].id = H.curf->id;
		H.flows[H.cur].label = flow_label(H.curf);
	}
	if (H.nhits == H.caphits) {
		H.caphits = H.caphits ? H.caphits * 2 : 256;
		if ((H.hits = realloc(H.hits, H.caphits * sizeof *H.hits)) ==
		    NULL)
			abort();
	}
	h = &H.hits[H.nhits++];
	h->flow = H.cur;
	h->where = s->where;
	h->line = s->line;
	keep_text(h, s);
	return 0;
}

static void
clear_hits(void)
{
	size_t i;

	for (i = 0; i < H.nhits; i++)
		free(H.hits[i].text);
	for (i = 0; i < H.nflows; i++)
		free(H.flows[i].label);
	H.nhits = H.nflows = 0;
	H.focus = H.scroll = 0;
	memset(&H.tally, 0, sizeof H.tally);
}

static void
halt(int stopped)
{
	H.running = 0;
	H.stopped = stopped;
	H.secs = core_loop_now() - H.t0;
	if (H.timer != NULL)
		core_loop_timer_stop(H.timer);
	free(H.snap);
	H.snap = NULL;
	pset_clear(&H.removed);
}

static void
finish(int stopped)
{
	char a[32], b[32], c[32];

	if (!H.running)
		return;
	halt(stopped);
	if (stopped)
		tui_screen_message("search stopped after %s of %s flows",
		    grouped(H.tally.flows, a, sizeof a),
		    grouped(H.nsnap, b, sizeof b));
	else if (H.tally.evicted > 0)
		tui_screen_message("%s bodies evicted, not searched",
		    grouped(H.tally.evicted, c, sizeof c));
	tui_screen_dirty();
}

static void
search_one(struct flow *f)
{
	H.cur = SIZE_MAX;
	H.curf = f;
	core_search_flow(H.search, f, on_hit, NULL, &H.tally);
	H.curf = NULL;
}

/* One slice: a few milliseconds of flows, then back to the loop. */
static void
on_slice(void *arg)
{
	double end = core_loop_now() + SLICE_SEC;
	unsigned k = 0;

	while (H.running && H.pos < H.nsnap) {
		struct flow *f = H.snap[H.pos++];

		if (!pset_has(&H.removed, (uintptr_t)f))
			search_one(f);
		if ((++k & 7) == 0 && core_loop_now() >= end)
			break;
	}
	if (H.pos >= H.nsnap)
		finish(0);
	else if (H.timer != NULL)
		core_loop_timer_set(H.timer, 0);
	tui_screen_dirty();
}

int
tui_hits_running(void)
{
	return H.running;
}

int
tui_hits_start(const char *text)
{
	struct search *s;
	char *cause = NULL;

	if ((s = core_search_compile(text, &cause)) == NULL) {
		tui_screen_error("search: %s", cause ? cause : text);
		free(cause);
		return -1;
	}
	if (H.running)
		halt(1);
	clear_hits();
	core_search_free(H.search);
	H.search = s;
	tui_work_filter_finish();	/* the whole view, not a part */
	H.snap = core_view_list(tui_screen_view(), &H.nsnap);
	H.pos = 0;
	H.running = 1;
	H.stopped = 0;
	H.t0 = core_loop_now();
	if (H.snap == NULL)
		H.nsnap = 0;
	if (H.timer != NULL)
		core_loop_timer_set(H.timer, 0);
	else
		while (H.running)
			on_slice(NULL);	/* no loop (tests): all at once */
	return 0;
}

/* The prompt's hint: what kind of query the text is. */
static void
prompt_change(const char *text, void *arg)
{
	struct search *s;
	char *cause = NULL, hint[300];

	if (text[0] == '\0') {
		tui_prompt_hint("text, or re:REGEX; smart case", 0);
		return;
	}
	if ((s = core_search_compile(text, &cause)) == NULL) {
		snprintf(hint, sizeof hint, "error: %s", cause ? cause : "?");
		free(cause);
		tui_prompt_hint(hint, 0);
		return;
	}
	snprintf(hint, sizeof hint, "%s, %s", strncmp(text, "re:", 3) == 0 ?
	    "regex" : "text", core_search_caseless(s) ? "ignoring case" :
	    "case-sensitive");
	core_search_free(s);
	tui_prompt_hint(hint, 0);
}

static int
prompt_submit(const char *text, void *arg)
{
	if (text[0] == '\0')
		return 0;
	if (tui_hits_start(text) == -1)
		return -1;	/* keep the prompt to fix it */
	if (arg == NULL)
		tui_screen_push(TUI_HITS);
	return 0;
}

static void
open_prompt(void *from_hits)
{
	tui_prompt_open("search all flows: ", "", HIST_SEARCH,
	    prompt_change, prompt_submit, from_hits);
	prompt_change("", NULL);
}

void
tui_hits_prompt(void)
{
	open_prompt(NULL);
}

int
tui_hits_status(char *buf, size_t len)
{
	char a[32], b[32], c[32];

	if (!H.running)
		return 0;
	snprintf(buf, len, "searching %s/%s flows, %s hits",
	    grouped(H.pos, a, sizeof a), grouped(H.nsnap, b, sizeof b),
	    grouped(H.tally.hits, c, sizeof c));
	return 1;
}

void
tui_hits_init(void)
{
	memset(&H, 0, sizeof H);
	core_store_subscribe(on_store, NULL);
	if (core_loop != NULL)
		H.timer = core_loop_timer_new(core_loop, on_slice, NULL);
}

void
tui_hits_done(void)
{
	if (H.running)
		halt(1);
	core_store_unsubscribe(on_store, NULL);
	clear_hits();
	free(H.hits);
	free(H.flows);
	core_search_free(H.search);
	core_loop_timer_free(H.timer);
	memset(&H, 0, sizeof H);
}

/* Opens hit i in the flow view (already on the screen or not). */
static int
open_hit(size_t i)
{
	const struct hit *h = &H.hits[i];
	struct flow *f = core_store_find(H.flows[h->flow].id);

	if (f == NULL) {
		tui_screen_error("flow %llu is gone",
		    (unsigned long long)H.flows[h->flow].id);
		return 0;
	}
	tui_flowview_open_hit(f, h->where, h->line, h->text + h->moff,
	    h->mlen);
	return 1;
}

int
tui_hits_step(int dir)
{
	if (H.nhits == 0)
		return TUI_DIRTY;
	if (dir > 0 && H.focus + 1 >= H.nhits) {
		tui_screen_message(H.running ? "no more hits yet" :
		    "that was the last hit");
		return TUI_DIRTY;
	}
	if (dir < 0 && H.focus == 0) {
		tui_screen_message("that was the first hit");
		return TUI_DIRTY;
	}
	H.focus = dir > 0 ? H.focus + 1 : H.focus - 1;
	open_hit(H.focus);
	return TUI_DIRTY;
}

static void
draw_title(int y)
{
	char a[32], b[32], c[32], line[1024];
	int n;

	tui_screen_fill(y, 0, ROLE_TITLE);
	n = snprintf(line, sizeof line, " %s%s hit%s in %s flow%s%s  /%s",
	    H.running ? "searching: " : "", grouped(H.tally.hits, a, sizeof a),
	    H.tally.hits == 1 ? "" : "s", grouped(H.tally.flows_hit, b,
	    sizeof b), H.tally.flows_hit == 1 ? "" : "s", H.running ?
	    " so far" : "", H.search ? core_search_text(H.search) : "");
	if (H.stopped && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - n, "  (stopped at %s of "
		    "%s flows)", grouped(H.tally.flows, a, sizeof a),
		    grouped(H.nsnap, c, sizeof c));
	if (H.tally.evicted > 0 && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - n, "  (%s bod%s evicted, "
		    "not searched)", grouped(H.tally.evicted, a, sizeof a),
		    H.tally.evicted == 1 ? "y" : "ies");
	if (H.tally.hits > H.nhits && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - n, "  (first %s listed)",
		    grouped(H.nhits, a, sizeof a));
	tui_screen_put(y, 0, COLS, line, strlen(line), ROLE_TITLE);
}

static void
draw_hit(int y, size_t i, int focused)
{
	const struct hit *h = &H.hits[i];
	enum tui_role base = focused ? ROLE_FOCUS : ROLE_NORMAL;
	const char *ell = tui_screen_utf8() ? "\u2026" : "<";
	char where[48];
	size_t start = 0;
	int x = 0, lw, avail, back;

	if (focused)
		tui_screen_fill(y, 0, ROLE_FOCUS);
	tui_screen_put(y, x, 1, focused ? ">" : " ", 1, base);
	x += 2 + tui_screen_putf(y, 1, 7, base, "%7llu",
	    (unsigned long long)H.flows[h->flow].id);
	lw = COLS / 4 < 12 ? 12 : COLS / 4 > 40 ? 40 : COLS / 4;
	tui_screen_put(y, x, lw, H.flows[h->flow].label,
	    strlen(H.flows[h->flow].label), base);
	x += lw + 1;
	core_search_where_text(h->where, h->line, where, sizeof where);
	tui_screen_put(y, x, 20, where, strlen(where), focused ? base :
	    ROLE_DIM);
	x += 21;
	if ((avail = COLS - x) < 4)
		return;
	/* Slide the line left until its match shows, a third in. */
	if (tui_screen_width(h->text, h->moff + h->mlen) > avail) {
		start = h->moff;
		back = 0;
		while (start > 0 && back < avail / 3) {
			do
				start--;
			while (start > 0 && ((unsigned char)h->text[start] &
			    0xc0) == 0x80);
			back = tui_screen_width(h->text + start,
			    h->moff - start);
		}
	}
	if (start > 0 || h->cut) {
		x += tui_screen_put(y, x, 1, ell, strlen(ell), base);
		avail--;
	}
	tui_screen_put(y, x, avail, h->text + start, h->len - start, base);
	x += tui_screen_width(h->text + start, h->moff - start);
	if (x < COLS && h->mlen > 0)
		tui_screen_put(y, x, COLS - x, h->text + h->moff, h->mlen,
		    ROLE_MATCH);
}

void
tui_hits_draw(int top, int rows)
{
	size_t i;
	int y;

	draw_title(top);
	H.rows = rows - 1;
	if (H.rows < 1)
		return;
	if (H.nhits == 0) {
		const char *why = H.running ? "searching..." : "no hits";

		tui_screen_put(top + 2, 3, COLS - 3, why, strlen(why),
		    ROLE_DIM);
		return;
	}
	if (H.focus >= H.nhits)
		H.focus = H.nhits - 1;
	if (H.focus < H.scroll)
		H.scroll = H.focus;
	if (H.focus >= H.scroll + (size_t)H.rows)
		H.scroll = H.focus - (size_t)H.rows + 1;
	for (i = H.scroll, y = top + 1; i < H.nhits && y < top + rows;
	    i++, y++)
		draw_hit(y, i, i == H.focus);
}

/* First hit of the next (dir 1) or previous flow. */
static void
flow_step(int dir)
{
	size_t i = H.focus, fl;

	if (H.nhits == 0)
		return;
	fl = H.hits[i].flow;
	if (dir > 0) {
		while (i < H.nhits && H.hits[i].flow == fl)
			i++;
		if (i == H.nhits) {
			tui_screen_message("no flow after this one");
			return;
		}
	} else {
		while (i > 0 && H.hits[i - 1].flow == fl)
			i--;
		if (i == 0) {
			tui_screen_message("no flow before this one");
			return;
		}
		fl = H.hits[--i].flow;
		while (i > 0 && H.hits[i - 1].flow == fl)
			i--;
	}
	H.focus = i;
}

int
tui_hits_key(int key)
{
	size_t page = H.rows > 1 ? (size_t)H.rows - 1 : 1;

	switch (key) {
	case 'j':
	case TUI_FN(KEY_DOWN):
		if (H.focus + 1 < H.nhits)
			H.focus++;
		break;
	case 'k':
	case TUI_FN(KEY_UP):
		if (H.focus > 0)
			H.focus--;
		break;
	case 'g':
	case TUI_FN(KEY_HOME):
		H.focus = 0;
		break;
	case 'G':
	case TUI_FN(KEY_END):
		H.focus = H.nhits > 0 ? H.nhits - 1 : 0;
		break;
	case ' ':
	case TUI_FN(KEY_NPAGE):
	case TUI_CTRL('f'):
		H.focus = H.focus + page < H.nhits ? H.focus + page :
		    H.nhits > 0 ? H.nhits - 1 : 0;
		break;
	case TUI_FN(KEY_PPAGE):
	case TUI_CTRL('b'):
		H.focus = H.focus > page ? H.focus - page : 0;
		break;
	case 'n':
		flow_step(1);
		break;
	case 'N':
		flow_step(-1);
		break;
	case '\r':
	case '\n':
	case TUI_FN(KEY_ENTER):
		if (H.nhits > 0 && open_hit(H.focus))
			tui_screen_push(TUI_FLOW);
		break;
	case '/':
		open_prompt(&H);
		break;
	case TUI_ESC:
		if (H.running)
			finish(1);
		else
			tui_screen_pop();
		break;
	case 'q':
		finish(1);
		tui_screen_pop();
		break;
	case '?':
		tui_help_open();
		break;
	case 'Q':
		trawl_quit = 1;
		break;
	default:
		return 0;
	}
	return TUI_DIRTY;
}
