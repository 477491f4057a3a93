/*
 * million-bench.c -- a million flows in the store (issue 16): the RSS
 * they cost, what the store's byte budget does with them (how many it
 * keeps, whose bodies it drops, which flows it evicts, and that it stays
 * under budget), and the screen's redraw and filter times at that size.
 * Flows go into the store through the core API (core_store_add), as
 * tui-bench does, not through sockets. Curses draws on /dev/null at
 * 120x40. Prints a Markdown table.
 *
 *	make build/bench/million-bench
 *	build/bench/million-bench [-s] [-b BODY_BYTES] [-B BUDGET_MIB] [FLOWS]
 *
 * -B raises the store's budget (core_store_set_budget) so that every
 * flow stays: the redraw and filter times over a full million.
 * With -s the store alone, no screen and no view: its RSS without the
 * view's per-flow entries.
 */
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/limits.h"
#include "tui/screen.h"

static size_t	 evicted;
static uint64_t	 evicted_last;	/* the newest id evicted */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A field of /proc/self/status, in KiB. */
static long
status_kib(const char *field)
{
	FILE *fp = fopen("/proc/self/status", "r");
	size_t n = strlen(field);
	char line[256];
	long v = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, field, n) == 0) {
			v = strtol(line + n, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	(void)arg;
	if (ev != STORE_REMOVED)
		return;
	evicted++;
	if (f->id > evicted_last)
		evicted_last = f->id;
}

static struct flow *
synth(size_t i, const char *body, size_t bodylen)
{
	static const char *methods[] = { "GET", "GET", "GET", "POST", "PUT",
	    "DELETE" };
	static const int codes[] = { 200, 200, 200, 204, 301, 304, 404, 500 };
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *rq = core_flow_request_new();
	struct flow_response *rs = core_flow_response_new();
	char host[64], path[128];

	/* A tenth of the hosts outside example.com: ~d example is not
	 * every flow. */
	snprintf(host, sizeof host, i % 10 ? "host%zu.example.com" :
	    "host%zu.test.org", i % 97);
	snprintf(path, sizeof path, "/api/v%zu/items/%zu?page=%zu", i % 3,
	    i, i % 11);
	f->request = rq;
	f->response = rs;
	core_flow_set(&rq->method, methods[i % 6]);
	core_flow_set(&rq->scheme, i % 4 ? "https" : "http");
	core_flow_set(&rq->host, host);
	core_flow_set(&rq->path, path);
	core_flow_set(&rq->version, "HTTP/1.1");
	rq->port = i % 4 ? 443 : 80;
	core_flow_header_add(&rq->headers, "Host", 4, host, strlen(host));
	core_flow_header_add(&rq->headers, "User-Agent", 10, "curl/8.0", 8);
	core_flow_header_add(&rq->headers, "Accept", 6, "*/*", 3);
	rs->status = codes[i % 8];
	core_flow_set(&rs->reason, "OK");
	core_flow_set(&rs->version, "HTTP/1.1");
	core_flow_header_add(&rs->headers, "Content-Type", 12,
	    "application/json", 16);
	if (bodylen > 0)
		core_flow_body_append(&rs->body, body, bodylen);
	core_flow_set(&f->client, "127.0.0.1:40000");
	core_flow_set(&f->server, "192.0.2.1:443");
	f->t.start = 1.7e9 + (double)i * 0.01;
	f->t.request_sent = f->t.start + 0.001;
	f->t.response_start = f->t.start + 0.002 + (double)(i % 50) / 1000;
	f->t.end = f->t.response_start + 0.001;
	f->state = FLOW_DONE;
	return f;
}

/* The process's CPU time: a long redraw with little CPU waited for a
 * core (a shared machine), one with much did the work. */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct stat {
	double	mean, max, cpumax;
};

static struct stat
time_keys(const int *keys, size_t nkeys, int n, int full)
{
	struct stat s = { 0, 0, 0 };
	double t0, c0, d;
	int i;

	for (i = 0; i < n; i++) {
		t0 = now_ms();
		c0 = cpu_ms();
		tui_screen_key(keys[(size_t)i % nkeys]);
		if (full)
			clearok(curscr, TRUE);
		tui_screen_draw();
		d = now_ms() - t0;
		s.mean += d;
		if (d > s.max)
			s.max = d;
		if (cpu_ms() - c0 > s.cpumax)
			s.cpumax = cpu_ms() - c0;
	}
	s.mean /= n;
	return s;
}

static void
redraws(const char *when)
{
	static const int down[] = { 'j' }, up_down[] = { 'j', 'k' },
	    page[] = { TUI_FN(KEY_NPAGE) }, end[] = { 'G' };
	struct stat s;

	tui_screen_key('g');
	tui_screen_draw();
	s = time_keys(down, 1, 2000, 0);
	printf("| %s: cursor move (j) + redraw, mean / max (max CPU) | %.3f "
	    "/ %.3f (%.3f) ms | < 2 ms |\n", when, s.mean, s.max, s.cpumax);
	s = time_keys(up_down, 2, 2000, 1);
	printf("| %s: cursor move + whole repaint, mean / max (max CPU) | "
	    "%.3f / %.3f (%.3f) ms | < 2 ms |\n", when, s.mean, s.max,
	    s.cpumax);
	s = time_keys(page, 1, 500, 0);
	printf("| %s: page down + redraw, mean / max (max CPU) | %.3f / "
	    "%.3f (%.3f) ms | < 2 ms |\n", when, s.mean, s.max, s.cpumax);
	s = time_keys(end, 1, 50, 0);
	printf("| %s: G (last flow) + redraw, mean / max (max CPU) | %.3f / "
	    "%.3f (%.3f) ms | < 2 ms |\n", when, s.mean, s.max, s.cpumax);
}

int
main(int argc, char **argv)
{
	static const char *filters[] = {
		"~d example & ~c 200 & !~m POST",
		"~u /items/9 | ~m PUT | ~c 404",
		"",
	};
	size_t n = 1000000, bodylen = 0, i, shown, kept, bodies = 0;
	size_t budget = LIMIT_STORE_BYTES;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	struct filter_error err;
	char *body;
	long rss0, rss1;
	struct mallinfo2 mi0, mi;
	double t0, t_add, d;
	SCREEN *sp = NULL;
	int c, store_only = 0;

	while ((c = getopt(argc, argv, "b:B:s")) != -1)
		if (c == 'b')
			bodylen = strtoul(optarg, NULL, 10);
		else if (c == 'B')
			budget = strtoul(optarg, NULL, 10) << 20;
		else if (c == 's')
			store_only = 1;
		else
			return 2;
	if (optind < argc)
		n = strtoul(argv[optind], NULL, 10);
	if ((body = malloc(bodylen + 1)) == NULL)
		return 1;
	for (i = 0; i < bodylen; i++)
		body[i] = "{\"id\":1,\"name\":\"item\",\"ok\":true}\n"[i % 34];

	setlocale(LC_ALL, "C.UTF-8");
	if (out == NULL || in == NULL)
		return 1;
	if (store_only)
		goto fill;
	sp = newterm("xterm-256color", out, in);
	if (sp == NULL) {
		fprintf(stderr, "newterm failed\n");
		return 1;
	}
	set_term(sp);
	resizeterm(40, 120);
	if (tui_screen_attach() == -1)
		return 1;
fill:
	core_store_subscribe(on_store, NULL);
	core_store_set_budget(budget);

	rss0 = status_kib("VmRSS:");
	mi0 = mallinfo2();
	t0 = now_ms();
	for (i = 0; i < n; i++)
		core_store_add(synth(i, body, bodylen));
	t_add = now_ms() - t0;
	rss1 = status_kib("VmRSS:");
	kept = core_store_count();
	for (i = 0; i < kept; i++) {
		struct flow *f = core_store_at(i);

		if (f->response != NULL && f->response->body.len > 0)
			bodies++;
	}

	printf("# trawl %s: %zu flows, %zu-byte bodies, store "
	    "budget %zu MiB / %d flows\n\n", store_only ? "store alone" :
	    "store, view and screen", n, bodylen, budget >> 20,
	    LIMIT_STORE_FLOWS);
	printf("| what | figure | target |\n| --- | ---: | ---: |\n");
	printf("| add %zu flows to the store%s | %.0f ms (%.2f us/flow) | |\n",
	    n, store_only ? "" : " and the view", t_add,
	    t_add * 1000 / (double)n);
	printf("| flows kept / evicted | %zu / %zu (newest evicted: id %llu) "
	    "| |\n", kept, evicted, (unsigned long long)evicted_last);
	printf("| kept flows with their body | %zu | |\n", bodies);
	printf("| store bytes (its accounting) | %.1f MiB (%zu B/flow) | "
	    "<= %zu MiB |\n", core_store_bytes() / 1048576.0,
	    kept ? core_store_bytes() / kept : 0, budget >> 20);
	printf("| RSS before / after the fill / growth / peak | %.0f / %.0f / "
	    "%.0f / %.0f MiB | < %zu MiB + base |\n", rss0 / 1024.0,
	    rss1 / 1024.0, (rss1 - rss0) / 1024.0,
	    status_kib("VmHWM:") / 1024.0, budget >> 20);

	/* The check on the store's count: what malloc has handed out since
	 * the start (whole chunks; curses and the screen too) against what
	 * the store says it holds. */
	mi = mallinfo2();
	printf("| malloc: in use since the start / store bytes / free in its "
	    "arenas | %.1f / %.1f / %.1f MiB | in use = store |\n",
	    ((double)mi.uordblks - (double)mi0.uordblks) / 1048576.0,
	    core_store_bytes() / 1048576.0, mi.fordblks / 1048576.0);
	/* The free chunks are what the last eviction (down to 90%) left;
	 * new flows reuse them. Given back, RSS is what the flows hold. */
	malloc_trim(0);
	printf("| RSS after malloc_trim(0) | %.0f MiB | |\n",
	    status_kib("VmRSS:") / 1024.0);
	if (store_only) {
		core_store_free();
		return 0;
	}
	redraws("time order");
	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		t0 = now_ms();
		if (core_view_set_filter(tui_screen_view(), filters[i], 0,
		    &err) == -1) {
			fprintf(stderr, "bad filter %s: %s\n", filters[i],
			    err.message);
			return 1;
		}
		d = now_ms() - t0;
		shown = core_view_count(tui_screen_view());
		printf("| view filter `%s` (%zu shown) | %.0f ms | %s |\n",
		    filters[i][0] ? filters[i] : "(none)", shown, d,
		    i == 0 ? "< 500 ms" : "");
		if (i == 0)
			redraws("filtered");
	}
	t0 = now_ms();
	core_view_set_order(tui_screen_view(), VIEW_ORDER_SIZE);
	printf("| sort by size | %.0f ms | |\n", now_ms() - t0);
	redraws("sorted by size");
	core_view_set_order(tui_screen_view(), VIEW_ORDER_TIME);

	tui_screen_detach();
	endwin();
	delscreen(sp);
	core_store_free();
	free(body);
	fclose(out);
	fclose(in);
	return 0;
}
