/*
 * dumpcmd.c -- the stdin line protocol of --dump: list, resume, kill,
 * replay and intercept rules, one command per line.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/ws.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/net/netstack.h"
#include "core/proxy/intercept.h"
#include "core/proxy/local.h"
#include "core/proxy/proxy.h"
#include "core/proxy/replay.h"
#include "core/proxy/wsrelay.h"
#include "tui/dumpcmd.h"

#define LINE_MAX_LEN 4096

static FILE	*cmd_out;
static char	 line[LINE_MAX_LEN];
static size_t	 line_len;
static int	 line_overflow;

static const char *
stage(const struct flow *f)
{
	return f->state == FLOW_PAUSED_REQUEST ? "request" :
	    f->state == FLOW_PAUSED_MESSAGE ? "message" : "response";
}

/* "paused ID request|response METHOD URL": announced, and listed. */
/* Descriptors open in this process (not counting the listing's own). */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* What trawl holds open now: one line for scripts and leak tests. */
static void
print_stats(FILE *out)
{
	struct proxy_stats ps;
	struct netstack_stats ns;

	core_proxy_stats(&ps);
	fprintf(out, "stats clients=%d sniffing=%d tunnels=%d "
	    "idle-upstreams=%d fds=%d flows=%zu", ps.clients, ps.sniffing,
	    ps.tunnels, ps.idle_upstreams, open_fds(), core_store_count());
	if (core_local_netstack_stats(&ns) == 0)
		fprintf(out, " tcp=%zu udp=%zu nat=%zu pcbs=%zu",
		    ns.tcp_conns, ns.udp_conns, ns.nat_entries, ns.tcp_pcbs);
	fprintf(out, "\n");
}

static void
print_paused(FILE *out, const struct flow *f)
{
	char *url = core_flow_url(f);

	fprintf(out, "paused %llu %s %s %s\n", (unsigned long long)f->id,
	    stage(f), f->request && f->request->method ? f->request->method :
	    "?", url);
	free(url);
}

static void
announce(enum store_event ev, struct flow *f, void *unused)
{
	/* Dump owns f->front: the state last announced, so one line per pause. */
	if (ev != STORE_UPDATED && ev != STORE_ADDED)
		return;
	if (f->state != FLOW_PAUSED_REQUEST && f->state != FLOW_PAUSED_RESPONSE &&
	    f->state != FLOW_PAUSED_MESSAGE) {
		f->front = NULL;
		return;
	}
	if (f->front == (void *)(intptr_t)f->state)
		return;
	f->front = (void *)(intptr_t)f->state;
	print_paused(cmd_out, f);
	fflush(cmd_out);
}

static struct flow *
flow_arg(const char *arg, FILE *out)
{
	char *end;
	unsigned long long id;
	struct flow *f;

	errno = 0;
	id = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0') {
		fprintf(out, "error: '%s' is not a flow id\n", arg);
		return NULL;
	}
	f = core_store_find(id);
	if (f == NULL)
		fprintf(out, "error: no flow %llu\n", id);
	return f;
}

static void
help(FILE *out)
{
	fprintf(out,
	    "commands: list | resume ID|all | kill ID | replay ID |"
	    " edit ID request|response|message FILE | revert ID |"
	    " drop ID | inject ID to-server|to-client TEXT | duplicate ID |"
	    " mark ID [MARKER|-] | comment ID [TEXT] |"
	    " intercept EXPR | rules | unintercept RULE | spec SPEC |"
	    " help\n");
}

/* edit ID request|response FILE: replace that part from raw HTTP text. */
static void
edit(const char *arg, FILE *out)
{
	char id[32], part[16], path[1024], *text = NULL, *cause = NULL;
	struct flow *f;
	size_t len = 0, cap = 0, n;
	FILE *fp;
	int rc;

	if (sscanf(arg, "%31s %15s %1023[^\n]", id, part, path) != 3 ||
	    (strcmp(part, "request") != 0 && strcmp(part, "response") != 0 &&
	    strcmp(part, "message") != 0)) {
		fprintf(out, "error: usage: edit ID request|response|message "
		    "FILE\n");
		return;
	}
	if ((f = flow_arg(id, out)) == NULL)
		return;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(out, "error: %s: %s\n", path, strerror(errno));
		return;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > 8 * 1024 * 1024) {
				fprintf(out, "error: %s is too large\n", path);
				goto out;
			}
			text = realloc(text, cap);
			if (text == NULL)
				abort();
		}
		n = fread(text + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	if (strcmp(part, "request") == 0)
		rc = core_intercept_edit_request(f, text, len, &cause);
	else if (strcmp(part, "message") == 0)
		rc = core_intercept_edit_message(f, text, len, &cause);
	else
		rc = core_intercept_edit_response(f, text, len, &cause);
	if (rc == 0)
		fprintf(out, "ok\n");
	else
		fprintf(out, "error: %s\n", cause);
out:
	fclose(fp);
	free(text);
	free(cause);
}

/* inject ID to-server|to-client TEXT: a text message the user wrote. */
static void
inject(const char *arg, FILE *out)
{
	char id[32], way[16], *cause = NULL;
	struct flow *f;
	int at = 0;

	if (sscanf(arg, "%31s %15s %n", id, way, &at) != 2 || at == 0 ||
	    (strcmp(way, "to-server") != 0 && strcmp(way, "to-client") != 0)) {
		fprintf(out, "error: usage: inject ID to-server|to-client "
		    "TEXT\n");
		return;
	}
	if ((f = flow_arg(id, out)) == NULL)
		return;
	if (core_wsrelay_inject(f, strcmp(way, "to-server") == 0, WS_TEXT,
	    arg + at, strlen(arg + at), &cause) == 0)
		fprintf(out, "ok\n");
	else
		fprintf(out, "error: %s\n", cause);
	free(cause);
}

void
tui_dumpcmd_run(const char *text, FILE *out)
{
	char cmd[32] = "", *cause = NULL;
	const char *arg;
	struct flow *f;
	size_t i, n;
	int id;

	while (*text == ' ' || *text == '\t')
		text++;
	n = strcspn(text, " \t");
	if (n == 0)
		return;
	if (n >= sizeof cmd) {
		fprintf(out, "error: unknown command\n");
		return;
	}
	memcpy(cmd, text, n);
	arg = text + n;
	while (*arg == ' ' || *arg == '\t')
		arg++;

	if (strcmp(cmd, "stats") == 0) {
		print_stats(out);
	} else if (strcmp(cmd, "list") == 0) {
		for (i = 0; i < core_store_count(); i++) {
			f = core_store_at(i);
			if (f->state == FLOW_PAUSED_REQUEST ||
			    f->state == FLOW_PAUSED_RESPONSE ||
			    f->state == FLOW_PAUSED_MESSAGE)
				print_paused(out, f);
		}
		fprintf(out, "ok\n");
	} else if (strcmp(cmd, "resume") == 0) {
		if (strcmp(arg, "all") == 0)
			fprintf(out, "ok resumed %d\n",
			    core_intercept_resume_all());
		else if ((f = flow_arg(arg, out)) != NULL) {
			if (core_intercept_resume(f, &cause) == 0)
				fprintf(out, "ok\n");
			else
				fprintf(out, "error: %s\n", cause);
		}
	} else if (strcmp(cmd, "kill") == 0) {
		if ((f = flow_arg(arg, out)) != NULL) {
			if (core_intercept_kill(f, &cause) == 0)
				fprintf(out, "ok\n");
			else
				fprintf(out, "error: %s\n", cause);
		}
	} else if (strcmp(cmd, "replay") == 0) {
		if ((f = flow_arg(arg, out)) != NULL) {
			struct flow *nf = core_replay(f, &cause);

			if (nf != NULL)
				fprintf(out, "ok replay %llu\n",
				    (unsigned long long)nf->id);
			else
				fprintf(out, "error: %s\n", cause);
		}
	} else if (strcmp(cmd, "duplicate") == 0) {
		if ((f = flow_arg(arg, out)) != NULL)
			fprintf(out, "ok duplicate %llu\n",
			    (unsigned long long)core_duplicate(f)->id);
	} else if (strcmp(cmd, "mark") == 0 || strcmp(cmd, "comment") == 0) {
		char id[32] = "";
		const char *text;

		n = strcspn(arg, " \t");
		if (n >= sizeof id)
			n = sizeof id - 1;
		memcpy(id, arg, n);
		text = arg + n;
		while (*text == ' ' || *text == '\t')
			text++;
		if ((f = flow_arg(id, out)) != NULL) {
			if (cmd[0] == 'm')	/* mark ID [MARKER]; "-" unmarks */
				core_flow_set(&f->marker, strcmp(text, "-") == 0 ?
				    NULL : text[0] != '\0' ? text : ":default:");
			else
				core_flow_set(&f->comment, text[0] != '\0' ?
				    text : NULL);
			core_store_update(f);
			fprintf(out, "ok\n");
		}
	} else if (strcmp(cmd, "edit") == 0) {
		edit(arg, out);
	} else if (strcmp(cmd, "drop") == 0) {
		if ((f = flow_arg(arg, out)) == NULL)
			;
		else if (f->state != FLOW_PAUSED_MESSAGE)
			fprintf(out, "error: the flow holds no WebSocket "
			    "message\n");
		else if (core_intercept_kill(f, &cause) == 0)
			fprintf(out, "ok\n");
		else
			fprintf(out, "error: %s\n", cause);
	} else if (strcmp(cmd, "inject") == 0) {
		inject(arg, out);
	} else if (strcmp(cmd, "revert") == 0) {
		if ((f = flow_arg(arg, out)) != NULL) {
			if (core_intercept_revert(f, &cause) == 0)
				fprintf(out, "ok\n");
			else
				fprintf(out, "error: %s\n", cause);
		}
	} else if (strcmp(cmd, "intercept") == 0) {
		if ((id = core_intercept_add(arg, &cause)) == -1)
			fprintf(out, "error: %s\n", cause);
		else
			fprintf(out, "ok rule %d\n", id);
	} else if (strcmp(cmd, "unintercept") == 0) {
		if (core_intercept_remove(atoi(arg)) == -1)
			fprintf(out, "error: no rule '%s'\n", arg);
		else
			fprintf(out, "ok\n");
	} else if (strcmp(cmd, "rules") == 0) {
		for (i = 0; i < core_intercept_count(); i++) {
			const struct intercept_rule *r = core_intercept_rule(i);

			fprintf(out, "rule %d %s %s\n", r->id,
			    r->enabled ? "on" : "off", r->text);
		}
		fprintf(out, "ok\n");
	} else if (strcmp(cmd, "spec") == 0) {
		/* Local mode's capture spec; sockets made from now follow it. */
		if (core_local_set_spec(arg, &cause) == 0)
			fprintf(out, "ok\n");
		else
			fprintf(out, "error: %s\n", cause != NULL ? cause :
			    "the spec was not changed");
	} else if (strcmp(cmd, "help") == 0)
		help(out);
	else {
		fprintf(out, "error: unknown command '%s'\n", cmd);
		help(out);
	}
	free(cause);
	fflush(out);
}

static void
on_input(int fd, int events, void *unused)
{
	char buf[4096];
	ssize_t n, i;

	n = read(fd, buf, sizeof buf);
	if (n <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		core_loop_del(core_loop, fd);	/* end of input: stop listening */
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			line[line_len] = '\0';
			if (line_overflow)
				fprintf(cmd_out, "error: line too long\n");
			else
				tui_dumpcmd_run(line, cmd_out);
			line_len = 0;
			line_overflow = 0;
		} else if (line_len + 1 < sizeof line)
			line[line_len++] = buf[i] == '\r' ? ' ' : buf[i];
		else
			line_overflow = 1;
	}
}

void
tui_dumpcmd_start(int fd, FILE *out)
{
	cmd_out = out;
	core_store_subscribe(announce, NULL);
	/* A regular file or /dev/null cannot be polled: no commands then. */
	core_loop_add(core_loop, fd, LOOP_READ, on_input, NULL);
}
