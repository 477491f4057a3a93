/*
 * tui-bench.c -- the front end with 100,000 flows, against issue 6's
 * targets: a cursor move plus full redraw < 2 ms, a new view filter
 * < 100 ms; and the memory each flow costs. Draws into a curses screen
 * on /dev/null (120x40), so the figures are trawl's own work plus
 * ncurses' diffing, not a terminal's. Prints a Markdown table.
 *
 * Build and run (objects from `make`; the TUI's need ncursesw):
 *	cc -O2 -I. -D_GNU_SOURCE -o build/tui-bench bench/tui-bench.c \
 *	    $(find build/obj/core build/obj/tui -name '[a-z]*.o' \
 *	    ! -name main.o) \
 *	    build/lwip/liblwip.a $(pkg-config --libs jansson libpcre2-8 \
 *	    ncursesw zlib libbrotlidec libbrotlienc libzstd) \
 *	    -L/usr/lib/x86_64-linux-gnu/android \
 *	    -Wl,-rpath,/usr/lib/x86_64-linux-gnu/android -lssl -lcrypto \
 *	    -lpthread -lm
 *	build/tui-bench [FLOWS]
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "tui/screen.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long
rss_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

static struct flow *
synth(size_t i)
{
	static const char *methods[] = { "GET", "GET", "GET", "POST", "PUT",
	    "DELETE" };
	static const int codes[] = { 200, 200, 200, 204, 301, 304, 404, 500 };
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *rq = core_flow_request_new();
	struct flow_response *rs = core_flow_response_new();
	char host[64], path[128], body[160];
	int n;

	snprintf(host, sizeof host, "host%zu.example.com", i % 97);
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
	n = snprintf(body, sizeof body, "{\"id\":%zu,\"name\":\"item %zu\","
	    "\"tags\":[\"a\",\"b\"],\"ok\":%s}", i, i, i % 2 ? "true" :
	    "false");
	core_flow_body_append(&rs->body, body, (size_t)n);
	core_flow_set(&f->client, "127.0.0.1:40000");
	core_flow_set(&f->server, "192.0.2.1:443");
	f->t.start = 1.7e9 + (double)i * 0.01;
	f->t.request_sent = f->t.start + 0.001;
	f->t.response_start = f->t.start + 0.002 + (double)(i % 50) / 1000;
	f->t.end = f->t.response_start + 0.001;
	f->state = FLOW_DONE;
	return f;
}

struct stat {
	double	mean, max;
};

/* Runs key + draw n times. */
static struct stat
time_keys(const int *keys, size_t nkeys, int n, int full)
{
	struct stat s = { 0, 0 };
	double t0, d;
	int i;

	for (i = 0; i < n; i++) {
		t0 = now_ms();
		tui_screen_key(keys[(size_t)i % nkeys]);
		if (full)
			clearok(curscr, TRUE);
		tui_screen_draw();
		d = now_ms() - t0;
		s.mean += d;
		if (d > s.max)
			s.max = d;
	}
	s.mean /= n;
	return s;
}

static double
time_filter(struct view *v, const char *expr, size_t *shown)
{
	struct filter_error err;
	double t0 = now_ms(), d;

	if (core_view_set_filter(v, expr, 0, &err) == -1) {
		fprintf(stderr, "bad filter %s: %s\n", expr, err.message);
		exit(1);
	}
	d = now_ms() - t0;
	*shown = core_view_count(v);
	return d;
}

int
main(int argc, char **argv)
{
	static const char *filters[] = {
		"~d host1[0-9]\\.example & ~c 200",
		"~m POST | ~m PUT",
		"~u /items/9",
		"!~c 200",
		"~bs \"item 4242\"",
		"",
	};
	static const int down[] = { 'j' }, up_down[] = { 'j', 'k' };
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000, i, shown;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	long rss0, rss1;
	double t0, t_add;
	struct stat s;
	SCREEN *sp;

	setlocale(LC_ALL, "C.UTF-8");
	if (out == NULL || in == NULL)
		return 1;
	sp = newterm("xterm-256color", out, in);
	if (sp == NULL) {
		fprintf(stderr, "newterm failed\n");
		return 1;
	}
	set_term(sp);
	resizeterm(40, 120);
	if (tui_screen_attach() == -1)
		return 1;

	rss0 = rss_kib();
	t0 = now_ms();
	for (i = 0; i < n; i++)
		core_store_add(synth(i));
	t_add = now_ms() - t0;
	rss1 = rss_kib();

	printf("# trawl TUI bench: %zu flows, 120x40 screen on /dev/null\n\n",
	    n);
	printf("| what | figure | target |\n| --- | ---: | ---: |\n");
	printf("| add %zu flows to the store and the view | %.1f ms "
	    "(%.2f us/flow) | |\n", n, t_add, t_add * 1000 / (double)n);
	printf("| memory per flow (store accounting) | %zu bytes | |\n",
	    core_store_bytes() / n);
	printf("| memory per flow (RSS growth) | %ld bytes | |\n",
	    (rss1 - rss0) * 1024 / (long)n);

	tui_screen_key('g');
	tui_screen_draw();
	s = time_keys(down, 1, 2000, 0);
	printf("| cursor move (j) + redraw, mean / max | %.3f / %.3f ms | "
	    "< 2 ms |\n", s.mean, s.max);
	s = time_keys(up_down, 2, 2000, 1);
	printf("| cursor move + redraw, terminal repainted whole, mean / max "
	    "| %.3f / %.3f ms | < 2 ms |\n", s.mean, s.max);
	{
		static const int page[] = { TUI_FN(KEY_NPAGE) };

		s = time_keys(page, 1, 500, 0);
		printf("| page down + redraw, mean / max | %.3f / %.3f ms | |\n",
		    s.mean, s.max);
	}
	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		double d = time_filter(tui_screen_view(), filters[i], &shown);

		printf("| view filter `%s` (%zu shown) | %.1f ms | < 100 ms |\n",
		    filters[i][0] ? filters[i] : "(none)", shown, d);
	}
	t0 = now_ms();
	core_view_set_order(tui_screen_view(), VIEW_ORDER_SIZE);
	printf("| sort by size | %.1f ms | |\n", now_ms() - t0);
	t0 = now_ms();
	core_view_set_order(tui_screen_view(), VIEW_ORDER_HOST);
	printf("| sort by host | %.1f ms | |\n", now_ms() - t0);
	t0 = now_ms();
	core_view_set_order(tui_screen_view(), VIEW_ORDER_TIME);
	printf("| back to time order | %.1f ms | |\n", now_ms() - t0);
	s = time_keys(down, 1, 1000, 0);
	printf("| cursor move + redraw after sorting, mean / max | %.3f / "
	    "%.3f ms | < 2 ms |\n", s.mean, s.max);

	tui_screen_detach();
	endwin();
	delscreen(sp);
	core_store_free();
	fclose(out);
	fclose(in);
	return 0;
}
