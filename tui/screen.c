/*
 * screen.c -- the curses screen: setting up and restoring the terminal,
 * keys from stdin through the core loop, the screen stack and the one
 * redraw per pass. The only file that calls initscr and endwin.
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/work.h"

/* At most this many redraws a second, however busy the traffic. */
#define FRAME_SEC	(1.0 / 30)
#define STACK_MAX	8

static struct {
	int			 attached;	/* screens exist */
	int			 running;	/* inside tui_screen_run */
	int			 suspended;	/* the terminal is the editor's */
	int			 utf8;
	int			 colors;
	attr_t			 attrs[ROLE_NROLES];
	enum tui_screen_id	 stack[STACK_MAX];
	int			 depth;
	struct view		*view;
	char			 msg[512];
	int			 msg_error;
	int			 dirty, full;
	double			 last_draw;
	struct loop_timer	*frame;
	int			 winch[2];	/* self-pipe from SIGWINCH */
	int			 resized;
} scr = { .winch = { -1, -1 } };

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

/* Gives the terminal back before the default action kills trawl: endwin
 * is not async-signal-safe, but a crashed process has nothing to lose. */
static void
on_crash(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_winch(int sig)
{
	int saved = errno;

	if (scr.winch[1] != -1 && write(scr.winch[1], "w", 1) == -1) {
		/* Full pipe: a resize is pending anyway. */
	}
	errno = saved;
}

int
tui_screen_utf8(void)
{
	return scr.utf8;
}

struct view *
tui_screen_view(void)
{
	return scr.view;
}

void
tui_screen_dirty(void)
{
	scr.dirty = 1;
}

static void
init_attrs(void)
{
	static const struct {
		enum tui_role	role;
		short		fg;
		attr_t		color_extra;	/* with colours */
		attr_t		mono;		/* without */
	} t[] = {
		{ ROLE_NORMAL, -1, A_NORMAL, A_NORMAL },
		{ ROLE_TITLE, -1, A_REVERSE, A_REVERSE },
		{ ROLE_FOCUS, -1, A_REVERSE | A_BOLD, A_REVERSE | A_BOLD },
		{ ROLE_2XX, COLOR_GREEN, A_NORMAL, A_NORMAL },
		{ ROLE_3XX, COLOR_CYAN, A_NORMAL, A_NORMAL },
		{ ROLE_4XX, COLOR_YELLOW, A_NORMAL, A_NORMAL },
		{ ROLE_5XX, COLOR_RED, A_NORMAL, A_BOLD },
		{ ROLE_ERROR, COLOR_RED, A_BOLD, A_BOLD },
		{ ROLE_PAUSED, COLOR_MAGENTA, A_BOLD, A_BOLD | A_UNDERLINE },
		{ ROLE_MARK, COLOR_YELLOW, A_BOLD, A_BOLD },
		{ ROLE_DIM, -1, A_DIM, A_DIM },
		{ ROLE_STATUS, -1, A_REVERSE, A_REVERSE },
		{ ROLE_MATCH, COLOR_YELLOW, A_REVERSE, A_REVERSE | A_UNDERLINE },
		{ ROLE_KEY, -1, A_BOLD, A_BOLD },
		{ ROLE_BAR, COLOR_CYAN, A_NORMAL, A_NORMAL },
	};
	const char *nc = getenv("NO_COLOR");
	size_t i;

	scr.colors = (nc == NULL || nc[0] == '\0') && has_colors();
	if (scr.colors) {
		start_color();
		use_default_colors();
	}
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (!scr.colors) {
			scr.attrs[t[i].role] = t[i].mono;
			continue;
		}
		scr.attrs[t[i].role] = t[i].color_extra;
		if (t[i].fg != -1 && init_pair((short)(i + 1), t[i].fg, -1) == OK)
			scr.attrs[t[i].role] |= COLOR_PAIR((int)i + 1);
	}
}

attr_t
tui_screen_attr(enum tui_role r)
{
	return (unsigned)r < ROLE_NROLES ? scr.attrs[r] : A_NORMAL;
}

/* Decodes one character for the screen: never a control, never invalid. */
static size_t
next_char(const char *s, size_t len, wchar_t *wc, int *w)
{
	unsigned char c = (unsigned char)s[0];
	mbstate_t st;
	size_t k;

	if (c < 0x80) {
		*wc = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '.' : c;
		*w = 1;
		return 1;
	}
	memset(&st, 0, sizeof st);
	k = mbrtowc(wc, s, len, &st);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*wc = '?';
		*w = 1;
		return 1;
	}
	*w = wcwidth(*wc);
	if (*w < 0) {
		*wc = '?';
		*w = 1;
	}
	return k;
}

int
tui_screen_width(const char *s, size_t len)
{
	size_t i = 0;
	int col = 0, w;
	wchar_t wc;

	while (i < len) {
		i += next_char(s + i, len - i, &wc, &w);
		col += w;
	}
	return col;
}

int
tui_screen_put(int y, int x, int width, const char *s, size_t len,
    enum tui_role role)
{
	wchar_t buf[256];
	size_t i = 0;
	int n = 0, col = 0, w;
	wchar_t wc;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	attrset(tui_screen_attr(role));
	move(y, x);
	while (i < len && col < width) {
		size_t k = next_char(s + i, len - i, &wc, &w);

		if (w == 0 && n == 0 && col == 0) {
			wc = '?';	/* a combining mark with nothing to mark */
			w = 1;
		}
		if (col + w > width)
			break;
		i += k;
		buf[n++] = wc;
		col += w;
		if (n == (int)(sizeof buf / sizeof buf[0])) {
			addnwstr(buf, n);
			n = 0;
		}
	}
	if (n > 0)
		addnwstr(buf, n);
	attrset(A_NORMAL);
	return col;
}

int
tui_screen_putf(int y, int x, int width, enum tui_role role, const char *fmt,
    ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	return tui_screen_put(y, x, width, buf, (size_t)n, role);
}

void
tui_screen_fill(int y, int x, enum tui_role role)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	attrset(tui_screen_attr(role));
	mvhline(y, x, ' ', COLS - x);
	attrset(A_NORMAL);
}

static void
vmessage(int error, const char *fmt, va_list ap)
{
	char *nl;

	vsnprintf(scr.msg, sizeof scr.msg, fmt, ap);
	/* Causes can span lines (filter carets): the first says it. */
	if ((nl = strchr(scr.msg, '\n')) != NULL)
		*nl = '\0';
	scr.msg_error = error;
	scr.dirty = 1;
}

void
tui_screen_message(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(0, fmt, ap);
	va_end(ap);
}

void
tui_screen_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(1, fmt, ap);
	va_end(ap);
}

void
tui_screen_push(enum tui_screen_id id)
{
	if (scr.depth < STACK_MAX)
		scr.stack[scr.depth++] = id;
	scr.dirty = 1;
}

void
tui_screen_pop(void)
{
	if (scr.depth > 1)
		scr.depth--;
	scr.dirty = 1;
}

static enum tui_screen_id
top(void)
{
	return scr.stack[scr.depth - 1];
}

enum tui_screen_id
tui_screen_below(void)
{
	return scr.depth > 1 ? scr.stack[scr.depth - 2] : top();
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	scr.dirty = 1;
}

int
tui_screen_attach(void)
{
	if (scr.attached)
		return 0;
	scr.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	init_attrs();
	scr.view = core_view_new();
	if (scr.view == NULL)
		return -1;
	/* main.c has checked the expression already. */
	if (opts.view_filter != NULL)
		core_view_set_filter(scr.view, opts.view_filter,
		    opts.filter_flags, NULL);
	scr.depth = 0;
	tui_screen_push(TUI_LIST);
	tui_list_init();
	tui_flowview_init();
	tui_hits_init();
	tui_statusbar_init();
	core_store_subscribe(on_store, NULL);
	scr.attached = 1;
	scr.dirty = scr.full = 1;
	return 0;
}

void
tui_screen_detach(void)
{
	if (!scr.attached)
		return;
	core_store_unsubscribe(on_store, NULL);
	tui_prompt_done();
	tui_work_done();
	tui_statusbar_done();
	tui_hits_done();
	tui_flowview_done();
	tui_list_done();
	core_view_free(scr.view);
	scr.view = NULL;
	scr.attached = 0;
}

int
tui_screen_key(int key)
{
	int flags = TUI_DIRTY;

	if (key == TUI_FN(KEY_RESIZE))
		return TUI_FULL;
	if (tui_prompt_active())
		return tui_prompt_key(key);
	scr.msg[0] = '\0';
	/* Esc stops long work first (a search on its own screen aside). */
	if (key == TUI_ESC && tui_work_running() &&
	    !(top() == TUI_HITS && tui_hits_running())) {
		tui_work_stop();
		return flags;
	}
	switch (top()) {
	case TUI_LIST:
		flags |= tui_list_key(key);
		break;
	case TUI_FLOW:
		flags |= tui_flowview_key(key);
		break;
	case TUI_HELP:
		flags |= tui_help_key(key);
		break;
	case TUI_RULES:
		flags |= tui_rules_key(key);
		break;
	case TUI_HITS:
		flags |= tui_hits_key(key);
		break;
	}
	return flags;
}

static void
draw_message(int y)
{
	if (tui_prompt_active()) {
		tui_prompt_draw(y);
		return;
	}
	if (scr.msg[0] != '\0')
		tui_screen_put(y, 0, COLS, scr.msg, strlen(scr.msg),
		    scr.msg_error ? ROLE_ERROR : ROLE_NORMAL);
}

void
tui_screen_draw(void)
{
	int rows = LINES - 2;

	if (scr.full) {
		clearok(curscr, TRUE);
		scr.full = 0;
	}
	erase();
	if (LINES < 4 || COLS < 20) {
		mvaddstr(0, 0, "terminal too small");
	} else {
		switch (top()) {
		case TUI_LIST:
			tui_list_draw(0, rows);
			break;
		case TUI_FLOW:
			tui_flowview_draw(0, rows);
			break;
		case TUI_HELP:
			tui_help_draw(0, rows);
			break;
		case TUI_RULES:
			tui_rules_draw(0, rows);
			break;
		case TUI_HITS:
			tui_hits_draw(0, rows);
			break;
		}
		tui_statusbar_draw(LINES - 2);
		draw_message(LINES - 1);
	}
	curs_set(tui_prompt_active() ? 1 : 0);
	if (!tui_prompt_active())
		move(LINES - 1, 0);
	wnoutrefresh(stdscr);
	doupdate();
	scr.dirty = 0;
	scr.last_draw = core_loop_now();
}

static void
apply_flags(int flags)
{
	if (flags & (TUI_DIRTY | TUI_FULL))
		scr.dirty = 1;
	if (flags & TUI_FULL)
		scr.full = 1;
}

static void
on_stdin(int fd, int events, void *arg)
{
	wint_t wc;
	int r, n = 0;

	/* Drain what is there; a paste is many keys in one read. */
	while (!scr.suspended && n++ < 4096) {
		r = wget_wch(stdscr, &wc);
		if (r == ERR)
			break;
		apply_flags(tui_screen_key(r == KEY_CODE_YES ? TUI_FN((int)wc) :
		    (int)wc));
	}
	/* A terminal that went away leaves nothing to show. */
	if ((events & LOOP_HUP) && n == 1)
		trawl_quit = 1;
}

static void
apply_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	scr.resized = 0;
	scr.dirty = scr.full = 1;
}

static void
on_winch_pipe(int fd, int events, void *arg)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	if (scr.suspended)
		scr.resized = 1;	/* applied when the screen comes back */
	else
		apply_resize();
}

static void
on_frame(void *arg)
{
	/* Only wakes the loop: the pass hook draws. */
}

static void
on_pass(void *arg)
{
	double now, wait;

	if (!scr.attached || !scr.running || scr.suspended)
		return;
	tui_prompt_update();
	if (!scr.dirty)
		return;
	now = core_loop_now();
	wait = scr.last_draw + FRAME_SEC - now;
	if (wait > 0) {
		if (!core_loop_timer_pending(scr.frame))
			core_loop_timer_set(scr.frame, wait);
		return;
	}
	tui_screen_draw();
}

void
tui_screen_suspend(void)
{
	if (scr.suspended)
		return;
	scr.suspended = 1;
	if (scr.running)
		core_loop_del(core_loop, STDIN_FILENO);
	def_prog_mode();
	endwin();
}

void
tui_screen_resume(void)
{
	if (!scr.suspended)
		return;
	scr.suspended = 0;
	reset_prog_mode();
	if (scr.running)
		core_loop_add(core_loop, STDIN_FILENO, LOOP_READ, on_stdin,
		    NULL);
	apply_resize();
}

static void
set_handlers(int install)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = install ? on_crash : SIG_DFL;
	sa.sa_flags = install ? (int)(SA_RESETHAND | SA_NODEFER) : 0;
	for (i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		sigaction(crash_signals[i], &sa, NULL);
	sa.sa_handler = install ? on_winch : SIG_DFL;
	sa.sa_flags = install ? SA_RESTART : 0;
	sigaction(SIGWINCH, &sa, NULL);
}

int
tui_screen_run(void)
{
	int rc = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "trawl: the screen needs a terminal "
		    "(use --dump without one)\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	if (initscr() == NULL) {
		fprintf(stderr, "trawl: cannot use the terminal\n");
		return 1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	mousemask(0, NULL);
	curs_set(0);
	if (pipe2(scr.winch, O_CLOEXEC | O_NONBLOCK) == -1)
		scr.winch[0] = scr.winch[1] = -1;
	set_handlers(1);
	if (tui_screen_attach() == -1) {
		rc = 1;
		goto out;
	}
	scr.running = 1;
	scr.frame = core_loop_timer_new(core_loop, on_frame, NULL);
	core_loop_add(core_loop, STDIN_FILENO, LOOP_READ, on_stdin, NULL);
	if (scr.winch[0] != -1)
		core_loop_add(core_loop, scr.winch[0], LOOP_READ,
		    on_winch_pipe, NULL);
	core_loop_on_pass(core_loop, on_pass, NULL);
	tui_screen_draw();
	if (core_loop_run(core_loop) == -1)
		rc = 1;
	tui_editor_done();
	core_loop_del(core_loop, STDIN_FILENO);
	if (scr.winch[0] != -1)
		core_loop_del(core_loop, scr.winch[0]);
	core_loop_timer_free(scr.frame);
	scr.frame = NULL;
	scr.running = 0;
	tui_screen_detach();
out:
	if (!scr.suspended)
		endwin();
	scr.suspended = 0;
	set_handlers(0);
	if (scr.winch[0] != -1) {
		close(scr.winch[0]);
		close(scr.winch[1]);
		scr.winch[0] = scr.winch[1] = -1;
	}
	return rc;
}
