/*
 * search-bench.c -- issue 20's figures: a plain-text search over N flows
 * (default 100,000) with 1 KiB bodies, beside grep -c over the same
 * bodies written to one file; and the same search as the screen runs it,
 * in slices from the event loop, with the longest gap between redraws.
 * Prints Markdown table rows.
 *
 * Built by `make build/bench/search-bench` (GNUmakefile's bench rule);
 * bench/search.sh runs it for `make bench`.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "tui/hits.h"
#include "tui/screen.h"

#define BODY	1024
#define NEEDLE	"trawlneedle"
#define EVERY	1000	/* one body in this many holds the needle */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 1 KiB of words, lines of about 70 characters; the needle in some. */
static void
body_text(size_t i, char *out)
{
	static const char *words[] = { "alpha", "bravo", "charlie", "delta",
	    "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
	    "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
	    "sierra", "tango", "uniform", "victor", "whiskey", "xray",
	    "yankee", "zulu", "{\"id\":", "42,", "\"ok\":true}", "GET",
	    "/api/v1/items", "Content-Length:" };
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + 1;
	size_t o = 0, col = 0, w;

	while (o < BODY - 16) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w = strlen(words[x % 32]);
		if (o + w + 1 >= BODY - 16)
			break;
		memcpy(out + o, words[x % 32], w);
		o += w;
		col += w + 1;
		out[o++] = col > 70 ? '\n' : ' ';
		if (col > 70)
			col = 0;
	}
	while (o < BODY - 1)
		out[o++] = '.';
	out[o++] = '\n';
	if (i % EVERY == EVERY / 2)
		memcpy(out + BODY / 2, NEEDLE, strlen(NEEDLE));
}

static struct flow *
synth(size_t i)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *rq = core_flow_request_new();
	struct flow_response *rs = core_flow_response_new();
	char host[64], path[128], body[BODY];

	snprintf(host, sizeof host, "host%zu.example.com", i % 97);
	snprintf(path, sizeof path, "/api/v%zu/items/%zu?page=%zu", i % 3, i,
	    i % 11);
	f->request = rq;
	f->response = rs;
	core_flow_set(&rq->method, "GET");
	core_flow_set(&rq->scheme, "https");
	core_flow_set(&rq->host, host);
	core_flow_set(&rq->path, path);
	core_flow_set(&rq->version, "HTTP/1.1");
	rq->port = 443;
	core_flow_header_add(&rq->headers, "Host", 4, host, strlen(host));
	core_flow_header_add(&rq->headers, "User-Agent", 10, "curl/8.0", 8);
	core_flow_header_add(&rq->headers, "Accept", 6, "*/*", 3);
	rs->status = 200;
	core_flow_set(&rs->reason, "OK");
	core_flow_set(&rs->version, "HTTP/1.1");
	core_flow_header_add(&rs->headers, "Content-Type", 12,
	    "text/plain", 10);
	core_flow_header_add(&rs->headers, "Content-Length", 14, "1024", 4);
	body_text(i, body);
	core_flow_body_append(&rs->body, body, BODY);
	f->t.start = f->t.end = 1.7e9 + (double)i * 0.01;
	f->state = FLOW_DONE;
	return f;
}

/* Searches every shown flow directly; returns ms, *hits. */
static double
direct(const char *text, uint64_t *hits)
{
	struct view *v = tui_screen_view();
	struct search_tally t;
	struct search *s = core_search_compile(text, NULL);
	size_t i, n = core_view_count(v);
	double t0 = now_ms();

	memset(&t, 0, sizeof t);
	for (i = 0; i < n; i++)
		core_search_flow(s, core_view_at(v, i), NULL, NULL, &t);
	core_search_free(s);
	*hits = t.hits;
	return now_ms() - t0;
}

/* grep over the file; returns ms and its count. */
static double
grep_file(const char *opts, const char *path, long *count)
{
	char cmd[512];
	double t0 = now_ms();
	FILE *p;

	snprintf(cmd, sizeof cmd, "grep %s %s %s", opts, NEEDLE, path);
	if ((p = popen(cmd, "r")) == NULL || fscanf(p, "%ld", count) != 1)
		*count = -1;
	if (p != NULL)
		pclose(p);
	return now_ms() - t0;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000, i;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r"),
	    *fp;
	char path[] = "/tmp/trawl-search-bench.XXXXXX", body[BODY];
	double t0, last, gap = 0, d, g1, g2, sliced;
	uint64_t hits;
	long count, icount;
	unsigned draws = 0;
	SCREEN *sp;
	int fd;

	setlocale(LC_ALL, "C.UTF-8");
	if (out == NULL || in == NULL || (core_loop = core_loop_new()) == NULL)
		return 1;
	if ((sp = newterm("xterm-256color", out, in)) == NULL)
		return 1;
	set_term(sp);
	resizeterm(40, 120);
	/* Every body kept: the figure is of searching, not of eviction. */
	core_store_set_budget((size_t)n * 4096 + (64 << 20));
	if (tui_screen_attach() == -1)
		return 1;
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		core_store_add(synth(i));
		body_text(i, body);
		fwrite(body, 1, BODY, fp);
	}
	fclose(fp);

	g1 = grep_file("-c", path, &count);
	g2 = grep_file("-ci", path, &icount);
	printf("| what, %zu flows with 1 KiB text bodies | time | hits |\n"
	    "| --- | ---: | ---: |\n", n);
	printf("| `grep -c %s` over the bodies in one file (%zu MiB) | %.1f ms "
	    "| %ld |\n", NEEDLE, n * BODY >> 20, g1, count);
	printf("| `grep -ci %s`, the same | %.1f ms | %ld |\n", NEEDLE, g2,
	    icount);
	d = direct(NEEDLE, &hits);
	printf("| core_search_flow, `%s` (smart case: ignoring case) | %.1f ms "
	    "| %llu |\n", NEEDLE, d, (unsigned long long)hits);
	d = direct("trawlNeedle", &hits);
	printf("| core_search_flow, `trawlNeedle` (case-sensitive) | %.1f ms "
	    "| %llu |\n", d, (unsigned long long)hits);
	d = direct("re:trawl(needle|haystack)", &hits);
	printf("| core_search_flow, `re:trawl(needle|haystack)` | %.1f ms | "
	    "%llu |\n", d, (unsigned long long)hits);

	/* The screen's way: slices from the loop, redrawn at most 30
	 * times a second as screen.c's end-of-pass hook does. */
	tui_screen_push(TUI_HITS);
	t0 = last = now_ms();
	tui_hits_start(NEEDLE);
	while (tui_hits_running()) {
		core_loop_once(core_loop, 0);
		if (now_ms() - last >= 1000.0 / 30) {
			tui_screen_draw();
			d = now_ms() - last;
			if (d > gap)
				gap = d;
			last = now_ms();
			draws++;
		}
	}
	tui_screen_draw();
	sliced = now_ms() - t0;
	if (now_ms() - last > gap)
		gap = now_ms() - last;
	printf("| the hit list's search of `%s`, in loop slices | %.1f ms "
	    "(%u redraws, longest gap %.1f ms) | |\n", NEEDLE, sliced, draws,
	    gap);

	unlink(path);
	tui_screen_detach();
	endwin();
	delscreen(sp);
	core_store_free();
	core_loop_free(core_loop);
	fclose(out);
	fclose(in);
	return 0;
}
