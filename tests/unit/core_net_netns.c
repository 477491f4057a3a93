/*
 * core_net_netns.c -- --netns/--container checks: pids, namespace files,
 * a process's cgroup v2 directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/net/netns.h"

static void
test_is_pid(void **state)
{
	(void)state;
	assert_true(core_netns_is_pid("1"));
	assert_true(core_netns_is_pid("4194304"));
	assert_false(core_netns_is_pid(""));
	assert_false(core_netns_is_pid("0"));
	assert_false(core_netns_is_pid("012"));
	assert_false(core_netns_is_pid("12a"));
	assert_false(core_netns_is_pid("-1"));
	assert_false(core_netns_is_pid("/proc/1/ns/net"));
	assert_false(core_netns_is_pid("99999999999"));
}

/* Resolves arg; expects success, or an error containing want. */
static void
resolve(const char *arg, const char *path, const char *want)
{
	char	*out = NULL, *cause = NULL;
	int	 rc;

	rc = core_netns_resolve(arg, &out, &cause);
	if (want == NULL) {
		assert_int_equal(rc, 0);
		assert_string_equal(out, path);
		free(out);
		return;
	}
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("'%s' lacks '%s'", cause, want);
	assert_null(out);
	free(cause);
}

static void
test_resolve(void **state)
{
	char	pid[32], path[64];

	(void)state;
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)getpid());
	resolve(pid, path, NULL);
	resolve("/proc/self/ns/net", "/proc/self/ns/net", NULL);
	resolve("/proc/self/ns/mnt", NULL, "is not a network namespace");
	resolve("/proc/self/status", NULL, "is not a namespace");
	resolve("/", NULL, "is not a namespace");
	resolve("", NULL, "empty path");
	resolve("/nonexistent/ns", NULL, "No such file");
	resolve("999999999", NULL, "no process 999999999");
}

static void
test_cgroup(void **state)
{
	char	pid[32], *out = NULL, *cause = NULL;
	FILE	*f;
	char	 line[4096];
	int	 v2 = 0;

	(void)state;
	assert_int_equal(core_netns_cgroup("999999999", &out, &cause), -1);
	assert_non_null(strstr(cause, "no process"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_netns_cgroup("x1", &out, &cause), -1);
	free(cause);
	cause = NULL;
	/* Our own: wherever it is, under a cgroup2 mount. */
	if ((f = fopen("/proc/self/cgroup", "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (strncmp(line, "0::/", 4) == 0)
				v2 = 1;
		fclose(f);
	}
	if (!v2)
		skip();
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	assert_int_equal(core_netns_cgroup(pid, &out, &cause), 0);
	assert_true(out[0] == '/');
	assert_int_equal(access(out, F_OK), 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_pid),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
