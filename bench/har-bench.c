/*
 * har-bench.c -- loads a HAR file into the flow store as `trawl -r` does
 * and prints, as one Markdown table row: the file's size, the flows
 * loaded and kept, the bytes the store accounts for them, the peak RSS of
 * the process (VmHWM) and the time taken. Peak RSS minus the store's
 * bytes is what loading costs beyond the flows it keeps (with the store's
 * own malloc overhead, which its accounting leaves out). With -n each
 * flow is freed as it comes: the peak is then the loader's alone.
 *
 *	make build/bench/har-bench && build/bench/har-bench [-n] FILE
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/store.h"

static size_t loaded;
static int drop;

static void
keep(struct flow *f, void *arg)
{
	if (drop)
		core_flow_free(f);
	else
		core_store_add(f);
	loaded++;
}

/* The process's peak resident set, in KiB. */
static long
hwm_kib(void)
{
	char line[256];
	long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return v;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct stat st;
	char *cause = NULL;
	long base;
	int r;

	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		drop = 1;
		argv++;
		argc--;
	}
	if (argc != 2 || stat(argv[1], &st) == -1) {
		fprintf(stderr, "usage: har-bench [-n] FILE\n");
		return 2;
	}
	base = hwm_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = core_har_load(argv[1], keep, NULL, &cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r == -1) {
		fprintf(stderr, "har-bench: %s\n", cause);
		return 1;
	}
	printf("| %.0f MB | %zu | %zu | %.0f MiB | %.0f MiB | %.0f MiB | "
	    "%.1f s |\n", st.st_size / 1e6, loaded, core_store_count(),
	    core_store_bytes() / 1048576.0, hwm_kib() / 1024.0,
	    (hwm_kib() - base) / 1024.0 - core_store_bytes() / 1048576.0,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(cause);
	core_store_free();
	return 0;
}
