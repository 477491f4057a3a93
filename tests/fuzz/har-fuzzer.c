/*
 * har-fuzzer.c -- libFuzzer target for HAR loading (core/flows/har.c and
 * its streaming reader, core/flows/jsonstream.c): any bytes as a HAR file.
 * Beyond not crashing, it checks the contract: the load returns -1, 0 or
 * 1, hands over no flow when it returns -1, and every flow it hands over
 * can be written back (core_har_save) into a file that loads again into
 * as many flows: trawl reads every file it writes. The same bytes then go
 * through the screen's unchecked reader in small slices.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

struct got {
	struct flow	**v;
	size_t		  n;
};

static void
collect(struct flow *f, void *arg)
{
	struct got *g = arg;

	g->v = realloc(g->v, (g->n + 1) * sizeof *g->v);
	CHECK(g->v != NULL);
	g->v[g->n++] = f;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		core_flow_free(g->v[i]);
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

static char dir[] = "/tmp/trawl-har-fuzz-XXXXXX";

static void
dir_remove(void)
{
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int made;
	struct got g = { NULL, 0 }, back = { NULL, 0 };
	char path[64], out[64], *cause = NULL;
	FILE *fp;
	int r, checked;

	if (!made) {
		CHECK(mkdtemp(dir) != NULL);
		atexit(dir_remove);
		made = 1;
	}
	snprintf(path, sizeof path, "%s/in.har", dir);
	snprintf(out, sizeof out, "%s/out.har", dir);
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	CHECK(fwrite(data, 1, size, fp) == size);
	CHECK(fclose(fp) == 0);

	r = checked = core_har_load(path, collect, &g, &cause);
	CHECK(r == -1 || r == 0 || r == 1);
	CHECK(r != -1 || g.n == 0);
	CHECK(r == 0 || cause != NULL);
	free(cause);
	cause = NULL;
	if (g.n > 0) {
		CHECK(core_har_save(out, g.v, g.n, &cause) == 0);
		CHECK(core_har_load(out, collect, &back, &cause) != -1);
		CHECK(back.n == g.n);
		free(cause);
	}
	got_free(&back);

	/* The screen's way: unchecked, in slices of a size the input picks.
	 * A file that loads checked loads as many flows unchecked; any
	 * other keeps what it read before the error. */
	{
		struct har_reader *rd;
		uint64_t done, total;
		size_t step = size > 0 ? 1 + data[0] % 97 : 1;

		rd = core_har_reader_open(path, 0, collect, &back, &cause);
		CHECK(rd != NULL);
		while (core_har_reader_step(rd, step))
			;
		core_har_reader_progress(rd, &done, &total, NULL);
		CHECK(done == total);
		r = core_har_reader_result(rd, &cause);
		CHECK(r == -1 || r == 0 || r == 1);
		CHECK(r != -1 || back.n == 0);
		CHECK(r == 0 || cause != NULL);
		CHECK(checked == -1 || back.n == g.n);
		core_har_reader_free(rd);
		free(cause);
		cause = NULL;
	}
	got_free(&g);
	got_free(&back);
	unlink(path);
	unlink(out);
	return 0;
}
