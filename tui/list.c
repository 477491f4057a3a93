/*
 * list.c -- the flow list: one row per shown flow, the focus, following
 * new flows, and the actions on a flow that every screen shares (resume,
 * kill, edit, replay, mark, save, load, export...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/flows/export.h"
#include "core/flows/pcapflow.h"
#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"
#include "core/proxy/local.h"
#include "core/proxy/replay.h"
#include "tui/format.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/work.h"

static struct {
	struct flow	*focus;		/* NULL when it went away */
	size_t		 idx;		/* its last display index */
	size_t		 scroll;	/* first row shown */
	int		 follow;	/* focus jumps to new flows */
	size_t		 last_count;
	int		 rows;		/* body rows at the last draw */
	uint64_t	 export_id;
	int		 export_kind;
	char		 save_path[1024];
} L = { .follow = 1 };

static const struct tui_keyhelp keys[] = {
	{ "j k Down Up", "move the focus" },
	{ "g G Home End", "first, last flow" },
	{ "PgUp PgDn space", "a page up, down" },
	{ "Enter", "open the flow" },
	{ "f", "view filter (Enter on empty clears)" },
	{ "/", "search every shown flow: text, or re:REGEX; smart case" },
	{ "F", "follow new flows on/off" },
	{ "o", "sort order: time size duration status host method" },
	{ "v", "reverse the order" },
	{ "m", "mark / unmark the flow" },
	{ "M", "show marked flows only" },
	{ "d", "delete the flow from the view" },
	{ "z", "clear all finished flows (asks)" },
	{ "i", "add an intercept rule" },
	{ "I", "interception on/off" },
	{ "R", "intercept rule list" },
	{ "a", "resume the flow" },
	{ "A", "resume all paused flows" },
	{ "X", "kill the flow" },
	{ "e", "edit the request (paused or unanswered) or response in $EDITOR" },
	{ "V", "revert edits and rules' changes" },
	{ "E", "make rules from the edit (headers, response body)" },
	{ "r", "replay the request" },
	{ "D", "duplicate the flow" },
	{ ";", "comment on the flow" },
	{ "x", "export: curl command, raw request, raw response" },
	{ "P", "save the flow as packets (pcapng, HTTP/1.1 text)" },
	{ "w", "save shown flows to a HAR file" },
	{ "L", "load a HAR file" },
	{ "Esc", "stop a running load, save or filter" },
	{ "c", "change the capture spec (local mode)" },
	{ "?", "this help" },
	{ "q", "quit (asks)" },
	{ "Q", "quit now" },
};

const struct tui_keyhelp *
tui_list_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	if (ev == STORE_REMOVED && f == L.focus)
		L.focus = NULL;
}

void
tui_list_init(void)
{
	L.focus = NULL;
	L.idx = L.scroll = L.last_count = 0;
	core_store_subscribe(on_store, NULL);
}

void
tui_list_done(void)
{
	core_store_unsubscribe(on_store, NULL);
	L.focus = NULL;
}

/* Finds the focus again after the view changed under it. */
static void
sync_focus(void)
{
	struct view *v = tui_screen_view();
	size_t n = core_view_count(v), i;

	if (L.follow && n != L.last_count && n > 0) {
		L.idx = n - 1;
		L.focus = core_view_at(v, L.idx);
	}
	L.last_count = n;
	if (L.focus != NULL && (i = core_view_index(v, L.focus)) != SIZE_MAX)
		L.idx = i;
	else {
		if (L.idx >= n)
			L.idx = n > 0 ? n - 1 : 0;
		L.focus = core_view_at(v, L.idx);
	}
}

struct flow *
tui_list_focus(void)
{
	sync_focus();
	return L.focus;
}

static void
focus_at(size_t i)
{
	struct view *v = tui_screen_view();
	size_t n = core_view_count(v);

	if (n == 0)
		return;
	if (i >= n)
		i = n - 1;
	L.idx = i;
	L.focus = core_view_at(v, i);
	/* Moving off the last flow stops following; G starts it again. */
	L.follow = i == n - 1 && L.follow;
}

static enum tui_role
status_role(const struct flow *f)
{
	int s;

	if (f->error != NULL)
		return ROLE_ERROR;
	if (f->response == NULL)
		return ROLE_NORMAL;
	s = f->response->status;
	if (s >= 500)
		return ROLE_5XX;
	if (s >= 400)
		return ROLE_4XX;
	if (s >= 300)
		return ROLE_3XX;
	return ROLE_2XX;
}

/* Column widths for the terminal's width. */
struct cols {
	int	time, proc, type, method, host, path, status, ctype, size, dur;
};

static void
layout(struct cols *c)
{
	int w = COLS - 3, fixed;

	memset(c, 0, sizeof *c);
	c->time = 8;
	c->method = 7;
	c->status = 4;
	c->size = 7;
	c->dur = 7;
	if (w >= 100) {
		c->type = 5;
		c->ctype = 16;
	}
	if (w >= 116)
		c->proc = 14;
	fixed = c->time + c->proc + c->type + c->method + c->status +
	    c->ctype + c->size + c->dur;
	/* Each column but the last has one space after it. */
	fixed += (c->proc ? 1 : 0) + (c->type ? 1 : 0) + (c->ctype ? 1 : 0) +
	    8;
	c->host = (w - fixed) * 2 / 5;
	if (c->host > 32)
		c->host = 32;
	if (c->host < 6)
		c->host = 6;
	c->path = w - fixed - c->host - 1;
	if (c->path < 1)
		c->path = 1;
}

/* Puts text in a cell of width w at x, then moves past it. */
static int
cell(int y, int x, int w, const char *s, enum tui_role role, int right)
{
	int used;

	if (w <= 0)
		return x;
	if (s == NULL)
		s = "";
	if (right) {
		int tw = tui_screen_width(s, strlen(s));

		if (tw < w) {
			if (role == ROLE_FOCUS)
				tui_screen_put(y, x, w - tw, "", 0, role);
			x += w - tw;
			w = tw;
		}
	}
	used = tui_screen_put(y, x, w, s, strlen(s), role);
	return x + (right ? used : w) + 1;
}

static void
draw_row(int y, const struct flow *f, int focused, const struct cols *c)
{
	const struct flow_request *rq = f->request;
	const struct flow_tls *ct = core_flow_client_tls(f);
	enum tui_role base = focused ? ROLE_FOCUS : ROLE_NORMAL, r;
	char when[16], proc[48] = "", status[8], size[16], dur[16];
	const char *type, *host, *path, *ctype = NULL;
	time_t t = (time_t)f->t.start;
	struct tm tm;
	int x = 0, paused, quic;
	uint64_t bytes;

	paused = f->state == FLOW_PAUSED_REQUEST ||
	    f->state == FLOW_PAUSED_RESPONSE || f->state == FLOW_PAUSED_MESSAGE;
	if (focused)
		tui_screen_fill(y, 0, ROLE_FOCUS);
	else if (paused)
		base = ROLE_PAUSED;
	tui_screen_put(y, x++, 1, focused ? ">" : " ", 1, base);
	tui_screen_put(y, x++, 1, f->marker != NULL ? "*" : " ", 1,
	    focused ? base : ROLE_MARK);
	/* R: a replay, client or server (~replay). */
	tui_screen_put(y, x++, 1, paused ? "!" : f->state == FLOW_ACTIVE ?
	    "~" : f->replay != REPLAY_NONE ? "R" : " ", 1, base);

	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	x = cell(y, x, c->time, when, base, 0);
	if (c->proc) {
		if (f->comm != NULL || f->pid != 0)
			snprintf(proc, sizeof proc, "%s:%d",
			    f->comm ? f->comm : "?", f->pid);
		x = cell(y, x, c->proc, proc, base, 0);
	}
	type = rq != NULL && rq->scheme != NULL ? rq->scheme :
	    ct->present ? "tls" : core_flow_type_name(f->type);
	/* HTTP/2 as browsers' devtools name it: h2 over TLS, h2c without. */
	if (rq != NULL && rq->version != NULL &&
	    strncmp(rq->version, "HTTP/2", 6) == 0)
		type = rq->scheme != NULL && strcmp(rq->scheme, "https") == 0 ?
		    "h2" : "h2c";
	/* QUIC relayed or blocked (issue 17): its SNI where a path goes. */
	quic = f->type == FLOW_UDP && ct->version != NULL &&
	    strcmp(ct->version, "QUIC") == 0;
	if (quic)
		type = "quic";
	if (c->type)
		x = cell(y, x, c->type, type, base, 0);
	if (rq != NULL) {
		host = rq->host;
		path = rq->path;
		x = cell(y, x, c->method, rq->method, base, 0);
	} else {
		host = f->server;
		path = f->dns != NULL ? f->dns->name : quic &&
		    ct->sni != NULL ? ct->sni : "";
		x = cell(y, x, c->method, core_flow_type_name(f->type), base, 0);
	}
	x = cell(y, x, c->host, host, base, 0);
	x = cell(y, x, c->path, path, base, 0);

	if (f->response != NULL)
		snprintf(status, sizeof status, "%d", f->response->status);
	else if (f->error != NULL)
		snprintf(status, sizeof status, "ERR");
	else if (paused)
		snprintf(status, sizeof status, "||");
	else if (f->state == FLOW_ACTIVE)
		snprintf(status, sizeof status, "...");
	else
		snprintf(status, sizeof status, "-");
	r = focused ? base : paused && f->response == NULL ? ROLE_PAUSED :
	    status_role(f);
	x = cell(y, x, c->status, status, r, 0);
	if (c->ctype) {
		if (f->response != NULL)
			ctype = core_flow_header_get(&f->response->headers,
			    "Content-Type");
		x = cell(y, x, c->ctype, ctype, base, 0);
	}
	if (f->type == FLOW_HTTP)
		bytes = f->response != NULL ? f->response->body.total : 0;
	else
		bytes = f->up.total + f->down.total;
	tui_format_size(bytes, size, sizeof size);
	/* A WebSocket's size is its messages (a raw flow's chunks are
	 * messages too, but its size stays its bytes). */
	if (f->type == FLOW_HTTP && (f->ws.on || f->msgs.n > 0))
		snprintf(size, sizeof size, "%llu msg",
		    (unsigned long long)f->msgs.total);
	x = cell(y, x, c->size, size, base, 1);
	if (f->t.end > 0)
		tui_format_duration(f->t.end - f->t.start, dur, sizeof dur);
	else
		snprintf(dur, sizeof dur, "-");
	cell(y, x, c->dur, dur, base, 1);
}

void
tui_list_draw(int top, int rows)
{
	struct view *v = tui_screen_view();
	struct cols c;
	size_t n, i;
	int x = 3, y;

	sync_focus();
	n = core_view_count(v);
	layout(&c);
	rows -= 1;	/* the title row */
	L.rows = rows;
	tui_screen_fill(top, 0, ROLE_TITLE);
	x = cell(top, x, c.time, "TIME", ROLE_TITLE, 0);
	if (c.proc)
		x = cell(top, x, c.proc, "PROCESS", ROLE_TITLE, 0);
	if (c.type)
		x = cell(top, x, c.type, "TYPE", ROLE_TITLE, 0);
	x = cell(top, x, c.method, "METHOD", ROLE_TITLE, 0);
	x = cell(top, x, c.host, "HOST", ROLE_TITLE, 0);
	x = cell(top, x, c.path, "PATH", ROLE_TITLE, 0);
	x = cell(top, x, c.status, "CODE", ROLE_TITLE, 0);
	if (c.ctype)
		/* The response's Content-Type; TYPE is the protocol's. */
		x = cell(top, x, c.ctype, "KIND", ROLE_TITLE, 0);
	x = cell(top, x, c.size, "SIZE", ROLE_TITLE, 1);
	cell(top, x, c.dur, "DUR", ROLE_TITLE, 1);

	if (rows <= 0)
		return;
	if (L.idx < L.scroll)
		L.scroll = L.idx;
	if (L.idx >= L.scroll + (size_t)rows)
		L.scroll = L.idx - (size_t)rows + 1;
	if (L.scroll + (size_t)rows > n)
		L.scroll = n > (size_t)rows ? n - (size_t)rows : 0;
	if (n == 0) {
		const char *why = core_view_filter_text(v) != NULL ||
		    core_view_marked_only(v) ? "no flow matches the view" :
		    "no flows yet";

		tui_screen_put(top + 2, 3, COLS - 3, why, strlen(why), ROLE_DIM);
		return;
	}
	for (i = L.scroll, y = top + 1; i < n && y <= top + rows; i++, y++)
		draw_row(y, core_view_at(v, i), i == L.idx, &c);
}

/* --- prompts started from the list ------------------------------------- */

static void
filter_hint(const char *text)
{
	struct filter_error err;
	struct filter *f;
	char hint[300];

	tui_work_count(NULL);	/* the count of the text before stops */
	if (text[strspn(text, " \t")] == '\0') {
		tui_prompt_hint("Enter clears the filter", 0);
		return;
	}
	f = core_filter_compile_err(text, opts.filter_flags, &err);
	if (f == NULL) {
		snprintf(hint, sizeof hint, "error: col %d: %s", err.column,
		    err.message);
		tui_prompt_hint(hint, err.column > 0 ? err.column : 0);
		return;
	}
	/* In slices: a large store must not hold up the typing. */
	tui_work_count(f);
}

static void
filter_change(const char *text, void *arg)
{
	filter_hint(text);
}

static int
filter_submit(const char *text, void *arg)
{
	struct filter_error err;

	if (tui_work_filter(text, opts.filter_flags, &err) == -1) {
		char hint[300];

		snprintf(hint, sizeof hint, "error: col %d: %s", err.column,
		    err.message);
		tui_prompt_hint(hint, err.column);
		return -1;
	}
	L.last_count = core_view_count(tui_screen_view());
	return 0;
}

static int
intercept_submit(const char *text, void *arg)
{
	struct filter_error err;
	struct filter *f;
	char *cause = NULL, hint[300];

	if (text[strspn(text, " \t")] == '\0')
		return 0;
	f = core_filter_compile_err(text, opts.filter_flags, &err);
	if (f == NULL) {
		snprintf(hint, sizeof hint, "error: col %d: %s", err.column,
		    err.message);
		tui_prompt_hint(hint, err.column);
		return -1;
	}
	core_filter_free(f);
	if (core_intercept_add(text, &cause) == -1) {
		tui_prompt_hint(cause != NULL ? cause : "error", 0);
		free(cause);
		return -1;
	}
	tui_screen_message("intercepting %s%s", text,
	    core_intercept_enabled() ? "" : " (interception is off: I)");
	return 0;
}

static int
comment_submit(const char *text, void *arg)
{
	struct flow *f = core_store_find(*(uint64_t *)arg);

	if (f == NULL) {
		tui_screen_error("the flow is gone");
		return 0;
	}
	core_flow_set(&f->comment, text[0] != '\0' ? text : NULL);
	core_store_update(f);
	return 0;
}

static int
save_submit(const char *text, void *arg)
{
	char *cause = NULL;

	if (text[0] == '\0')
		return 0;
	snprintf(L.save_path, sizeof L.save_path, "%s", text);
	/* A slice at a time (work.h): the message comes at the end. */
	if (tui_work_save(text, &cause) == -1)
		tui_screen_error("cannot save: %s", cause ? cause : text);
	free(cause);
	return 0;
}

/* Sockets created from now on follow the new spec; older ones keep theirs. */
static int
spec_submit(const char *text, void *arg)
{
	char *cause = NULL;

	if (core_local_set_spec(text, &cause) == -1) {
		tui_screen_error("capture spec: %s", cause ? cause : text);
		free(cause);
		return -1;	/* keep the prompt open to fix it */
	}
	tui_screen_message("capturing %s", text[0] ? text : "every program");
	return 0;
}

static int
load_submit(const char *text, void *arg)
{
	char *cause = NULL;

	if (text[0] == '\0')
		return 0;
	if (tui_work_load(text, &cause) == -1)
		tui_screen_error("cannot load: %s", cause ? cause : text);
	free(cause);
	return 0;
}

static int
export_submit(const char *text, void *arg)
{
	struct flow *f = core_store_find(L.export_id);
	char *s = NULL, *cause = NULL, *line;
	size_t len = 0;

	if (text[0] == '\0')
		return 0;
	if (f == NULL) {
		tui_screen_error("the flow is gone");
		return 0;
	}
	if (L.export_kind == 'c') {
		/* A command line ends with a newline. */
		if ((s = core_export_curl(f)) != NULL &&
		    (line = realloc(s, (len = strlen(s)) + 2)) != NULL) {
			s = line;
			s[len++] = '\n';
			s[len] = '\0';
		}
	} else if (L.export_kind == 'r')
		s = core_export_request(f, &len);
	else
		s = core_export_response(f, &len);
	if (s == NULL) {
		tui_screen_error("the flow has no %s", L.export_kind == 's' ?
		    "response" : "request");
		return 0;
	}
	/* 0600: the export holds the flow's cookies and credentials. */
	if (core_export_write(text, s, len, &cause) == -1)
		tui_screen_error("cannot export: %s", cause ? cause : text);
	else
		tui_screen_message("exported flow %llu to %s",
		    (unsigned long long)f->id, text);
	free(cause);
	free(s);
	return 0;
}

static void
export_chosen(int key, void *arg)
{
	char path[64];

	L.export_kind = key;
	snprintf(path, sizeof path, "flow-%llu.%s",
	    (unsigned long long)L.export_id,
	    key == 'c' ? "sh" : key == 'r' ? "request" : "response");
	tui_prompt_open("export to: ", path, HIST_PATH, NULL, export_submit,
	    NULL);
}

/* P: the flow as synthesized packets in a pcapng file (0600). */
static int
pcap_submit(const char *text, void *arg)
{
	struct flow *f = core_store_find(L.export_id);
	char *cause = NULL;

	if (text[0] == '\0')
		return 0;
	if (f == NULL)
		tui_screen_error("the flow is gone");
	else if (core_pcapflow_save(f, text, &cause) == -1)
		tui_screen_error("cannot save packets: %s", cause ? cause :
		    text);
	else
		tui_screen_message("saved flow %llu's packets to %s",
		    (unsigned long long)f->id, text);
	free(cause);
	return 0;
}

static void
pcap_open(struct flow *f)
{
	char path[64];

	L.export_id = f->id;
	snprintf(path, sizeof path, "flow-%llu.pcapng",
	    (unsigned long long)f->id);
	tui_prompt_open("save packets to: ", path, HIST_PATH, NULL,
	    pcap_submit, NULL);
}

static void
order_chosen(int key, void *arg)
{
	const char *k = "tsdchm", *p = strchr(k, key);

	if (p != NULL)
		core_view_set_order(tui_screen_view(),
		    (enum view_order)(p - k));
	tui_screen_message("sorted by %s%s",
	    core_view_order_name(core_view_order(tui_screen_view())),
	    core_view_reverse(tui_screen_view()) ? ", reversed" : "");
}

static void
quit_chosen(int key, void *arg)
{
	if (key == 'y')
		trawl_quit = 1;
}

static void
clear_chosen(int key, void *arg)
{
	if (key == 'y') {
		core_store_clear();
		tui_screen_message("cleared finished flows");
	}
}

static uint64_t	comment_id;

int
tui_list_flow_key(struct flow *f, int key, int *flags)
{
	struct view *v = tui_screen_view();
	char *cause = NULL;
	struct flow *nf;
	int r = 0, n;

	*flags = TUI_DIRTY;
	/* Keys that need no flow. */
	switch (key) {
	case 'Q':
		trawl_quit = 1;
		return 1;
	case 'A':
		n = core_intercept_resume_all();
		tui_screen_message("resumed %d flow%s", n, n == 1 ? "" : "s");
		return 1;
	case 'i':
		tui_prompt_open("intercept: ", "", HIST_INTERCEPT,
		    filter_change, intercept_submit, NULL);
		return 1;
	case 'I':
		core_intercept_set_enabled(!core_intercept_enabled());
		tui_screen_message("interception %s",
		    core_intercept_enabled() ? "on" : "off");
		return 1;
	case 'R':
		tui_screen_push(TUI_RULES);
		return 1;
	case 'w':
		tui_prompt_open("save shown flows to: ", L.save_path[0] ?
		    L.save_path : "trawl.har", HIST_PATH, NULL, save_submit,
		    NULL);
		return 1;
	case 'L':
		tui_prompt_open("load HAR file: ", L.save_path[0] ?
		    L.save_path : "", HIST_PATH, NULL, load_submit, NULL);
		return 1;
	case 'c':
		if (opts.mode != MODE_LOCAL || core_local_spec() == NULL)
			tui_screen_error("the capture spec needs local mode "
			    "(--mode local)");
		else
			tui_prompt_open("capture spec: ", core_local_spec(),
			    HIST_SPEC, NULL, spec_submit, NULL);
		return 1;
	case '?':
		tui_help_open();
		return 1;
	}
	switch (key) {
	case 'a': case 'X': case 'e': case 'V': case 'r': case 'D':
	case 'm': case 'd': case ';': case 'x': case 'E': case 'P':
		break;
	default:
		return 0;
	}
	if (f == NULL) {
		tui_screen_error("no flow");
		return 1;
	}
	switch (key) {
	case 'a':
		r = core_intercept_resume(f, &cause);
		break;
	case 'X':
		r = core_intercept_kill(f, &cause);
		break;
	case 'e':
		tui_editor_edit(f, f->state == FLOW_PAUSED_MESSAGE ?
		    TUI_EDIT_MESSAGE : !(f->state == FLOW_PAUSED_REQUEST ||
		    f->response == NULL));
		*flags |= TUI_FULL;
		break;
	case 'V':
		if ((r = core_intercept_revert(f, &cause)) == 0)
			tui_screen_message("reverted");
		break;
	case 'E':
		tui_mkrule_offer(f);
		break;
	case 'r':
		nf = core_replay(f, &cause);
		if (nf == NULL)
			r = -1;
		else
			tui_screen_message("replaying as flow %llu",
			    (unsigned long long)nf->id);
		break;
	case 'D':
		nf = core_duplicate(f);
		if (nf != NULL)
			tui_screen_message("duplicated as flow %llu",
			    (unsigned long long)nf->id);
		break;
	case 'm':
		core_flow_set(&f->marker, f->marker != NULL ? NULL :
		    ":default:");
		core_store_update(f);
		break;
	case 'd':
		core_view_delete(v, f);
		break;
	case ';':
		comment_id = f->id;
		tui_prompt_open("comment: ", f->comment ? f->comment : "",
		    HIST_COMMENT, NULL, comment_submit, &comment_id);
		break;
	case 'P':
		pcap_open(f);
		break;
	case 'x':
		L.export_id = f->id;
		tui_prompt_choice("export: c)url command  r)aw request  "
		    "s)erver response", "crs", export_chosen, NULL);
		break;
	}
	if (r == -1)
		tui_screen_error("%s", cause != NULL ? cause : "cannot do that");
	free(cause);
	return 1;
}

int
tui_list_key(int key)
{
	struct view *v = tui_screen_view();
	size_t n = core_view_count(v);
	size_t page = L.rows > 1 ? (size_t)L.rows - 1 : 1;
	int flags = TUI_DIRTY;

	sync_focus();
	switch (key) {
	case 'j':
	case TUI_FN(KEY_DOWN):
		focus_at(L.idx + 1);
		break;
	case 'k':
	case TUI_FN(KEY_UP):
		focus_at(L.idx > 0 ? L.idx - 1 : 0);
		break;
	case 'g':
	case TUI_FN(KEY_HOME):
		focus_at(0);
		break;
	case 'G':
	case TUI_FN(KEY_END):
		focus_at(n);
		L.follow = 1;
		break;
	case ' ':
	case TUI_FN(KEY_NPAGE):
	case TUI_CTRL('f'):
		focus_at(L.idx + page);
		break;
	case TUI_FN(KEY_PPAGE):
	case TUI_CTRL('b'):
		focus_at(L.idx > page ? L.idx - page : 0);
		break;
	case '\r':
	case '\n':
	case TUI_FN(KEY_ENTER):
		if (L.focus != NULL) {
			tui_flowview_open(L.focus);
			tui_screen_push(TUI_FLOW);
		}
		break;
	case 'f':
		tui_prompt_open("filter: ", core_view_filter_text(v) ?
		    core_view_filter_text(v) : "", HIST_FILTER, filter_change,
		    filter_submit, NULL);
		break;
	case '/':
		tui_hits_prompt();
		break;
	case 'F':
		L.follow = !L.follow;
		if (L.follow)
			focus_at(n);
		tui_screen_message("follow new flows %s", L.follow ? "on" :
		    "off");
		break;
	case 'o':
		tui_prompt_choice("sort by: t)ime s)ize d)uration c)ode "
		    "h)ost m)ethod", "tsdchm", order_chosen, NULL);
		break;
	case 'v':
		core_view_set_reverse(v, !core_view_reverse(v));
		tui_screen_message("order %s", core_view_reverse(v) ?
		    "reversed" : "normal");
		break;
	case 'M':
		core_view_set_marked_only(v, !core_view_marked_only(v));
		tui_screen_message("%s", core_view_marked_only(v) ?
		    "marked flows only" : "all flows");
		break;
	case 'z':
		tui_prompt_choice("clear all finished flows? y/n", "yn",
		    clear_chosen, NULL);
		break;
	case 'q':
		tui_prompt_choice("quit? y/n", "yn", quit_chosen, NULL);
		break;
	case 'Q':
		trawl_quit = 1;
		break;
	case TUI_ESC:
		break;
	default:
		if (!tui_list_flow_key(L.focus, key, &flags))
			flags = 0;
		break;
	}
	return flags;
}
