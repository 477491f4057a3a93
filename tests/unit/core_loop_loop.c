/* Unit tests: core/loop/loop.c and core/loop/buf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/loop/buf.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"

static int order[8], norder;

static void
mark(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void
test_timers_fire_in_order(void **state)
{
	struct loop *l = core_loop_new();
	struct loop_timer *a = core_loop_timer_new(l, mark, (void *)1);
	struct loop_timer *b = core_loop_timer_new(l, mark, (void *)2);
	struct loop_timer *c = core_loop_timer_new(l, mark, (void *)3);
	int i;

	norder = 0;
	core_loop_timer_set(a, 0.03);
	core_loop_timer_set(b, 0.01);
	core_loop_timer_set(c, 0.02);
	core_loop_timer_stop(c);
	assert_false(core_loop_timer_pending(c));
	for (i = 0; i < 50 && norder < 2; i++)
		core_loop_once(l, 100);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	core_loop_timer_free(a);
	core_loop_timer_free(b);
	core_loop_timer_free(c);
	core_loop_free(l);
}

static int reads;
static struct loop *the_loop;

static void
on_read(int fd, int events, void *arg)
{
	char b[16];

	assert_true(events & LOOP_READ);
	assert_true(read(fd, b, sizeof b) > 0);
	reads++;
	core_loop_del(the_loop, fd);	/* deleting inside the callback is safe */
}

static void
test_io_and_defer(void **state)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	the_loop = core_loop_new();
	reads = 0;
	norder = 0;
	assert_int_equal(core_loop_add(the_loop, p[0], LOOP_READ, on_read, NULL), 0);
	assert_int_equal(core_loop_add(the_loop, p[0], LOOP_READ, on_read, NULL), -1);
	assert_int_equal(write(p[1], "x", 1), 1);
	core_loop_defer(the_loop, mark, (void *)7);
	core_loop_on_pass(the_loop, mark, (void *)9);
	core_loop_once(the_loop, 1000);
	assert_int_equal(reads, 1);
	assert_int_equal(order[0], 7);
	assert_int_equal(order[1], 9);
	assert_int_equal(write(p[1], "y", 1), 1);
	core_loop_once(the_loop, 10);
	assert_int_equal(reads, 1);	/* no longer watched */
	close(p[0]);
	close(p[1]);
	core_loop_free(the_loop);
}

static void
test_buf(void **state)
{
	struct buf b = { 0 };

	core_buf_append(&b, "hello ", 6);
	core_buf_printf(&b, "%s %d", "world", 42);
	assert_int_equal(b.len, 14);
	assert_memory_equal(core_buf_head(&b), "hello world 42", 14);
	core_buf_consume(&b, 6);
	assert_memory_equal(core_buf_head(&b), "world 42", 8);
	for (int i = 0; i < 1000; i++)
		core_buf_append(&b, "0123456789", 10);
	assert_int_equal(b.len, 10008);
	assert_memory_equal(core_buf_head(&b), "world 42", 8);
	core_buf_consume(&b, b.len);
	assert_int_equal(b.len, 0);
	/* A drained buffer holds no memory: an idle keep-alive connection
	 * costs no read or write buffer (issue 16). */
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	core_buf_append(&b, "again", 5);
	assert_memory_equal(core_buf_head(&b), "again", 5);
	core_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_io_and_defer),
		cmocka_unit_test(test_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
