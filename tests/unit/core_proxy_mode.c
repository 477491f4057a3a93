/* Unit tests: core/proxy/mode.c -- --mode specs as mitmproxy writes them,
 * the options that go with them, and upstream.c's Basic login. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/proxy/mode.h"
#include "core/proxy/upstream.h"

static int
teardown(void **state)
{
	core_mode_clear();
	return 0;
}

/* Adds spec; returns the cause of a refusal (static), or NULL. */
static const char *
add(const char *spec)
{
	static char why[512];
	char *cause = NULL;

	if (core_mode_add(spec, &cause) == 0)
		return NULL;
	snprintf(why, sizeof why, "%s", cause != NULL ? cause : "?");
	free(cause);
	return why;
}

static const struct proxy_mode *
last(void)
{
	const struct proxy_mode *m = core_mode_first();

	while (m != NULL && m->next != NULL)
		m = m->next;
	return m;
}

static void
test_good(void **state)
{
	const struct proxy_mode *m;

	assert_null(add("regular"));
	m = last();
	assert_int_equal(m->kind, MODE_KIND_REGULAR);
	assert_null(m->listen_host);
	assert_int_equal(m->listen_port, -1);

	assert_null(add("regular@8081"));
	assert_int_equal(last()->listen_port, 8081);
	assert_null(add("socks5@127.0.0.2:1080"));
	m = last();
	assert_int_equal(m->kind, MODE_KIND_SOCKS5);
	assert_string_equal(m->listen_host, "127.0.0.2");
	assert_int_equal(m->listen_port, 1080);
	assert_null(add("regular@[::1]:0"));
	assert_string_equal(last()->listen_host, "::1");
	assert_int_equal(last()->listen_port, 0);

	assert_null(add("reverse:https://example.org@8443"));
	m = last();
	assert_int_equal(m->kind, MODE_KIND_REVERSE);
	assert_string_equal(m->scheme, "https");
	assert_string_equal(m->host, "example.org");
	assert_int_equal(m->port, 443);
	assert_string_equal(m->authority, "example.org");
	assert_int_equal(m->listen_port, 8443);
	assert_string_equal(m->spec, "reverse:https://example.org@8443");

	assert_null(add("reverse:HTTP://[::1]:3000/"));
	m = last();
	assert_string_equal(m->scheme, "http");
	assert_string_equal(m->host, "::1");
	assert_int_equal(m->port, 3000);
	assert_string_equal(m->authority, "[::1]:3000");
	assert_int_equal(m->listen_port, -1);

	assert_null(add("upstream:http://proxy.test:3128@0.0.0.0:9000"));
	m = last();
	assert_int_equal(m->kind, MODE_KIND_UPSTREAM);
	assert_string_equal(m->host, "proxy.test");
	assert_int_equal(m->port, 3128);
	assert_string_equal(m->listen_host, "0.0.0.0");

	assert_null(core_mode_local());
	assert_null(add("local:curl,wget"));
	assert_non_null(core_mode_local());
	assert_string_equal(core_mode_local()->local_spec, "curl,wget");
	assert_int_equal(core_mode_listens(), 1);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "", "unknown mode" },
		{ "transparent", "unknown mode 'transparent'" },
		{ "regularx", "unknown mode" },
		{ "regular:x", "takes no" },
		{ "regular@", "bad listen address" },
		{ "regular@70000", "bad listen address" },
		{ "regular@host:", "bad listen address" },
		{ "regular@::1:80", "bad listen address" },
		{ "socks5@x", "bad listen address" },
		{ "reverse", "needs a URL" },
		{ "reverse:", "needs a URL" },
		{ "reverse:example.org", "bad URL" },
		{ "reverse:tcp://example.org:22", "tcp:// is not supported" },
		{ "reverse:http://h/path", "bad URL" },
		{ "reverse:http://u@h", "bad listen address" },
		{ "upstream:https://p:3128", "upstream:https:// is not" },
		{ "local@8080", "no @" },
	};
	size_t i;
	const char *why;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = add(cases[i].spec);
		if (why == NULL)
			fail_msg("'%s' was taken", cases[i].spec);
		if (strstr(why, cases[i].why) == NULL ||
		    strstr(why, "--mode") == NULL)
			fail_msg("'%s': %s", cases[i].spec, why);
	}
	assert_null(core_mode_first());
	assert_null(add("local"));
	assert_non_null(add("local:curl"));	/* one local mode */
}

static void
test_options(void **state)
{
	char *cause = NULL;

	assert_int_equal(core_mode_set_proxyauth("nocolon", &cause), -1);
	assert_non_null(strstr(cause, "USER:PASS"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_mode_set_proxyauth("al:ice:pw", &cause), 0);
	assert_string_equal(core_mode_proxyauth_user(), "al");
	assert_string_equal(core_mode_proxyauth_pass(), "ice:pw");
	/* No mode asks for it: refused, not ignored. */
	assert_int_equal(core_mode_check(&cause), -1);
	free(cause);
	cause = NULL;
	/* A reverse proxy's clients never log in. */
	assert_null(add("reverse:http://127.0.0.1:8000"));
	assert_int_equal(core_mode_check(&cause), -1);
	assert_non_null(strstr(cause, "--proxyauth needs a mode"));
	free(cause);
	cause = NULL;
	assert_null(add("socks5@1080"));
	assert_int_equal(core_mode_check(&cause), 0);
	core_mode_clear();	/* forgets the login too */
	assert_true(core_mode_login_ok(NULL));
	assert_int_equal(core_mode_set_proxyauth("al:ice:pw", &cause), 0);
	assert_null(add("regular"));
	assert_int_equal(core_mode_check(&cause), 0);
	/* The login a regular-mode client sends: al:ice:pw */
	assert_true(core_mode_login_ok("Basic YWw6aWNlOnB3"));
	assert_true(core_mode_login_ok("basic   YWw6aWNlOnB3"));
	assert_false(core_mode_login_ok("Basic YWw6aWNlOnB4"));
	assert_false(core_mode_login_ok("Bearer YWw6aWNlOnB3"));
	assert_false(core_mode_login_ok(NULL));
	core_mode_clear();

	assert_int_equal(core_mode_set_upstream_auth("bob:pw", &cause), 0);
	assert_string_equal(core_mode_upstream_auth(), "Basic Ym9iOnB3");
	assert_int_equal(core_mode_check(&cause), -1);
	free(cause);
	cause = NULL;
	assert_null(add("upstream:http://127.0.0.1:3128"));
	assert_int_equal(core_mode_check(&cause), 0);
}

static void
test_basic(void **state)
{
	static const char *const cases[][2] = {
		{ "a:b", "Basic YTpi" },
		{ "ab:c", "Basic YWI6Yw==" },
		{ "ab:cd", "Basic YWI6Y2Q=" },
		{ "Aladdin:open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = core_upstream_basic(cases[i][0]);

		assert_string_equal(b, cases[i][1]);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_good, teardown),
		cmocka_unit_test_teardown(test_bad, teardown),
		cmocka_unit_test_teardown(test_options, teardown),
		cmocka_unit_test_teardown(test_basic, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
