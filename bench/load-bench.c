/*
 * load-bench.c -- make bench: the screen loading a large HAR (issue 20).
 * "Before" is what `trawl -r FILE` did until the screen's first frame:
 * core_har_load, the checked, all-at-once load, into the store, then a
 * view and the first draw. "After" is the screen's way now: curses on
 * /dev/null, tui_work_load's slices from the loop, redrawn at most 30
 * times a second as screen.c's end-of-pass hook does, with the time to
 * the first frame that lists a flow, the total and the longest gap
 * between two redraws. Then a save of every flow the same way, and a
 * view filter over them. Prints Markdown rows.
 *
 *	make build/bench/load-bench && build/bench/load-bench FILE
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "tui/screen.h"
#include "tui/work.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
keep(struct flow *f, void *arg)
{
	core_store_add(f);
}

/* Runs the loop until the work ends, drawing as the screen does. */
/* Gaps between redraws past 50 ms in the last run, and the most CPU
 * time one loop pass took (a long gap with short passes is the process
 * waiting for a core, not trawl's work). */
static unsigned	late;
static double	pass_cpu;

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
run(double t0, double *first, double *gap, unsigned *draws)
{
	double last = now_ms(), d;

	*gap = 0;
	*draws = 0;
	late = 0;
	pass_cpu = 0;
	while (tui_work_running()) {
		double c = cpu_ms();

		core_loop_once(core_loop, 0);
		if (cpu_ms() - c > pass_cpu)
			pass_cpu = cpu_ms() - c;
		if (now_ms() - last >= 1000.0 / 30) {
			tui_screen_draw();
			if (first != NULL && *first == 0 &&
			    core_view_count(tui_screen_view()) > 0)
				*first = now_ms() - t0;
			d = now_ms() - last;
			if (d > *gap)
				*gap = d;
			late += d > 50;
			last = now_ms();
			(*draws)++;
		}
	}
	tui_screen_draw();
	if (now_ms() - last > *gap)
		*gap = now_ms() - last;
	return now_ms() - t0;
}

int
main(int argc, char **argv)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	char *cause = NULL, saved[] = "/tmp/trawl-load-bench.XXXXXX";
	double t0, before, total, first = 0, gap;
	struct filter_error err;
	unsigned draws;
	size_t n;
	SCREEN *sp;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: load-bench FILE\n");
		return 2;
	}
	setlocale(LC_ALL, "C.UTF-8");
	if (out == NULL || in == NULL || (core_loop = core_loop_new()) == NULL)
		return 1;
	if ((sp = newterm("xterm-256color", out, in)) == NULL)
		return 1;
	set_term(sp);
	resizeterm(40, 120);
	core_store_set_budget(SIZE_MAX);

	/* Before: the whole load, then the screen. */
	t0 = now_ms();
	if (core_har_load(argv[1], keep, NULL, &cause) == -1) {
		fprintf(stderr, "load-bench: %s\n", cause);
		return 1;
	}
	if (tui_screen_attach() == -1)
		return 1;
	tui_screen_draw();
	before = now_ms() - t0;
	n = core_store_count();
	tui_screen_detach();
	core_store_free();

	printf("| %zu flows | first frame listing flows | all loaded | "
	    "longest gap between redraws |\n| --- | ---: | ---: | ---: |\n",
	    n);
	printf("| before: core_har_load, then the screen | %.0f ms | %.0f ms "
	    "| %.0f ms (nothing drawn) |\n", before, before, before);

	/* After: the screen first, the load in slices. */
	if (tui_screen_attach() == -1)
		return 1;
	t0 = now_ms();
	tui_screen_draw();
	if (tui_work_load(argv[1], &cause) == -1) {
		fprintf(stderr, "load-bench: %s\n", cause);
		return 1;
	}
	total = run(t0, &first, &gap, &draws);
	printf("| after: tui_work_load in loop slices | %.0f ms | %.0f ms | "
	    "%.1f ms (%u redraws, %u over 50 ms; longest pass %.1f ms CPU) |\n",
	    first, total, gap, draws, late, pass_cpu);

	/* A save of every flow, and a filter over them, the same way. */
	if ((fd = mkstemp(saved)) == -1)
		return 1;
	close(fd);
	t0 = now_ms();
	if (tui_work_save(saved, &cause) == -1) {
		fprintf(stderr, "load-bench: %s\n", cause);
		return 1;
	}
	total = run(t0, NULL, &gap, &draws);
	printf("| w: saving them, in loop slices | | %.0f ms | %.1f ms "
	    "(%u redraws, %u over 50 ms; longest pass %.1f ms CPU) |\n", total,
	    gap, draws, late, pass_cpu);
	unlink(saved);
	t0 = now_ms();
	if (tui_work_filter("~u \"item/[0-9]*7$\"", 0, &err) == -1)
		return 1;
	total = run(t0, NULL, &gap, &draws);
	printf("| f: a URL regex filter, in loop slices (%zu shown) | | "
	    "%.0f ms | %.1f ms (%u redraws, %u over 50 ms; longest pass %.1f "
	    "ms CPU) |\n", core_view_count(tui_screen_view()), total, gap,
	    draws, late, pass_cpu);

	tui_screen_detach();
	endwin();
	delscreen(sp);
	core_store_free();
	core_loop_free(core_loop);
	fclose(out);
	fclose(in);
	free(cause);
	return 0;
}
