/*
 * editor.c -- hands the raw request or response to $EDITOR (vi when
 * unset). The screen is given up while the editor runs, but the core loop
 * keeps proxying: the child is watched through a pidfd in the loop, and
 * stdin is not read until it exits. Then the file is read back and goes
 * to core_intercept_edit_*; an unparsable text leaves the flow unchanged
 * and the error is shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"
#include "tui/screen.h"
#include "tui/tui.h"

extern char **environ;

static struct {
	pid_t		 pid;		/* 0: no editor */
	int		 pidfd;
	uint64_t	 flow_id;	/* looked up again: it may be gone */
	int		 response;	/* or TUI_EDIT_MESSAGE */
	int		 msg_nl;	/* the message ended with a newline */
	char		 path[64];
} ed = { .pidfd = -1 };

int
tui_editor_running(void)
{
	return ed.pid != 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads the edited file, capped like a message head plus a body. */
static char *
read_back(size_t *len)
{
	size_t cap = LIMIT_HTTP_HEAD + LIMIT_FLOW_BODY, n = 0;
	char *buf = NULL;
	struct stat st;
	int fd = open(ed.path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > cap) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	while (n < (size_t)st.st_size &&
	    (k = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)k;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
finish(int status)
{
	struct flow *f = core_store_find(ed.flow_id);
	char *text, *cause = NULL;
	size_t len = 0;
	int r;

	tui_screen_resume();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tui_screen_error("the editor failed (status %d): flow unchanged",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (f == NULL) {
		tui_screen_error("the flow went away while editing");
		goto out;
	}
	if ((text = read_back(&len)) == NULL) {
		tui_screen_error("cannot read %s: %s", ed.path, strerror(errno));
		goto out;
	}
	if (ed.response == TUI_EDIT_MESSAGE) {
		if (!ed.msg_nl && len > 0 && text[len - 1] == '\n')
			len--;
		r = core_intercept_edit_message(f, text, len, &cause);
	} else if (ed.response)
		r = core_intercept_edit_response(f, text, len, &cause);
	else
		r = core_intercept_edit_request(f, text, len, &cause);
	if (r == -1)
		tui_screen_error("edit not applied: %s",
		    cause != NULL ? cause : "cannot parse");
	else
		tui_screen_message("%s edited", ed.response ==
		    TUI_EDIT_MESSAGE ? "message" : ed.response ? "response" :
		    "request");
	free(cause);
	free(text);
out:
	unlink(ed.path);
	ed.pid = 0;
	tui_screen_dirty();
}

static void
on_child(int fd, int events, void *arg)
{
	int status = 0;
	pid_t r;

	r = waitpid(ed.pid, &status, WNOHANG);
	if (r == 0)
		return;		/* not yet (stopped, or spurious) */
	core_loop_del(core_loop, ed.pidfd);
	close(ed.pidfd);
	ed.pidfd = -1;
	if (r == -1)
		status = 1 << 8;
	finish(status);
}

static int
spawn(pid_t *pid)
{
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	const char *e = getenv("VISUAL");
	char *argv[6];
	int rc;

	if (e == NULL || e[0] == '\0')
		e = getenv("EDITOR");
	if (e == NULL || e[0] == '\0')
		e = "vi";
	/* $EDITOR may carry arguments ("code -w"): let sh split it. */
	if (asprintf(&argv[2], "%s \"$1\"", e) == -1)
		return -1;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[3] = "sh";
	argv[4] = ed.path;
	argv[5] = NULL;
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	/* trawl ignores SIGPIPE and catches others: not the editor. */
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGWINCH);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	free(argv[2]);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

int
tui_editor_edit(struct flow *f, int response)
{
	char *text;
	size_t len = 0;
	int fd;

	if (ed.pid != 0 || core_loop == NULL) {
		tui_screen_error("an editor is already running");
		return -1;
	}
	text = response == TUI_EDIT_MESSAGE ?
	    core_intercept_render_message(f, &len) : response ?
	    core_intercept_render_response(f, &len) :
	    core_intercept_render_request(f, &len);
	if (text == NULL) {
		tui_screen_error("the flow has no %s to edit",
		    response == TUI_EDIT_MESSAGE ? "held message" : response ?
		    "response" : "request");
		return -1;
	}
	/* Editors end a file with a newline; a message that had none gets
	 * none back. */
	ed.msg_nl = len > 0 && text[len - 1] == '\n';
	snprintf(ed.path, sizeof ed.path, "/tmp/trawl-edit-XXXXXX.http");
	fd = mkstemps(ed.path, 5);
	if (fd == -1 || write_all(fd, text, len) == -1) {
		tui_screen_error("cannot write a temporary file: %s",
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(ed.path);
		}
		free(text);
		return -1;
	}
	close(fd);
	free(text);
	ed.flow_id = f->id;
	ed.response = response;
	tui_screen_suspend();
	if (spawn(&ed.pid) == -1) {
		ed.pid = 0;
		tui_screen_resume();
		tui_screen_error("cannot start the editor: %s", strerror(errno));
		unlink(ed.path);
		return -1;
	}
	ed.pidfd = (int)syscall(SYS_pidfd_open, ed.pid, 0);
	if (ed.pidfd == -1 || core_loop_add(core_loop, ed.pidfd, LOOP_READ,
	    on_child, NULL) == -1) {
		/* No pidfd (old kernel): wait here, the loop stalls. */
		int status = 0;

		if (ed.pidfd != -1)
			close(ed.pidfd);
		ed.pidfd = -1;
		while (waitpid(ed.pid, &status, 0) == -1 && errno == EINTR)
			;
		finish(status);
	}
	return 0;
}

void
tui_editor_done(void)
{
	int status;

	if (ed.pid == 0)
		return;
	/* trawl is quitting under the editor: end it, keep nothing. */
	kill(ed.pid, SIGTERM);
	while (waitpid(ed.pid, &status, 0) == -1 && errno == EINTR)
		;
	if (ed.pidfd != -1) {
		core_loop_del(core_loop, ed.pidfd);
		close(ed.pidfd);
		ed.pidfd = -1;
	}
	unlink(ed.path);
	ed.pid = 0;
}
