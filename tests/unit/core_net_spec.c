/*
 * core_spec.c -- the capture spec parser and its fold, table-driven.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/net/spec.h"

struct parse_case {
	const char	*text;
	int		 ok;
	uint32_t	 nrules;
	const char	*cause;		/* substring expected in the error */
};

static const struct parse_case parse_cases[] = {
	{ NULL, 1, 0, NULL },
	{ "", 1, 0, NULL },
	{ "curl", 1, 1, NULL },
	{ " curl , wget ", 1, 2, NULL },
	{ "!curl", 1, 1, NULL },
	{ "! curl", 1, 1, NULL },
	{ "1234", 1, 1, NULL },
	{ "curl,!1234", 1, 2, NULL },
	{ "4194304", 1, 1, NULL },
	{ "4194305", 0, 0, "too large" },
	{ "99999999999999999999999", 0, 0, "too large" },
	{ "0", 0, 0, "pid 0 at column 1" },
	{ ",", 0, 0, "empty item at column 1" },
	{ ",curl", 0, 0, "empty item at column 1" },
	{ "curl,,wget", 0, 0, "empty item at column 6" },
	{ "curl, ,wget", 0, 0, "empty item at column 7" },
	{ "curl,", 0, 0, "trailing comma at column 5" },
	{ "curl,wget, ", 0, 0, "trailing comma at column 10" },
	{ "!", 0, 0, "'!' without a name or pid at column 1" },
	{ "curl, ! ", 0, 0, "'!' without a name or pid at column 7" },
	{ "!!curl", 0, 0, "'!' twice at column 2" },
	{ " ", 0, 0, "empty item at column 2" },
	{ "cu\trl", 0, 0, "control character at column 3" },
	{ "a\nb", 0, 0, "control character at column 2" },
};

static void
test_parse_table(void **state)
{
	const struct parse_case	*c;
	struct spec		 spec;
	char			*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		c = &parse_cases[i];
		cause = NULL;
		rc = core_spec_parse(c->text, &spec, &cause);
		if (c->ok) {
			if (rc != 0)
				fail_msg("\"%s\": unexpected error %s",
				    c->text, cause);
			assert_null(cause);
			assert_int_equal(spec.nrules, c->nrules);
		} else {
			if (rc != -1 || cause == NULL)
				fail_msg("\"%s\": accepted", c->text);
			if (strstr(cause, c->cause) == NULL)
				fail_msg("\"%s\": cause \"%s\", want \"%s\"",
				    c->text, cause, c->cause);
			assert_int_equal(spec.nrules, 0);
		}
		free(cause);
	}
}

static void
test_parse_encoding(void **state)
{
	struct spec	 spec;
	char		*cause = NULL;

	assert_int_equal(core_spec_parse(" curl ,! 1234,!wget , "
	    "averyveryverylongname", &spec, &cause), 0);
	assert_int_equal(spec.nrules, 4);
	assert_int_equal(spec.rules[0].flags, 0);
	assert_string_equal(spec.rules[0].comm, "curl");
	assert_int_equal(spec.rules[1].flags, RD_RULE_EXCLUDE | RD_RULE_PID);
	assert_int_equal(spec.rules[1].pid, 1234);
	assert_int_equal(spec.rules[2].flags, RD_RULE_EXCLUDE);
	assert_string_equal(spec.rules[2].comm, "wget");
	/* Names are cut at 15 bytes as the kernel cuts comm. */
	assert_string_equal(spec.rules[3].comm, "averyveryverylo");
	/* NUL padding: the BPF program compares 16 bytes as two words. */
	assert_memory_equal(spec.rules[0].comm + 4,
	    "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
}

static void
test_parse_limit(void **state)
{
	struct spec	 spec;
	char		 text[SPEC_TEXT_MAX + 2];
	char		*cause = NULL;
	size_t		 off = 0;
	int		 i;

	for (i = 0; i < RD_MAX_RULES; i++)
		off += (size_t)snprintf(text + off, sizeof text - off, "%s%d",
		    i ? "," : "", i + 1);
	assert_int_equal(core_spec_parse(text, &spec, &cause), 0);
	assert_int_equal(spec.nrules, RD_MAX_RULES);

	/* One more is rejected, not truncated. */
	snprintf(text + off, sizeof text - off, ",x");
	assert_int_equal(core_spec_parse(text, &spec, &cause), -1);
	assert_non_null(strstr(cause, "more than 64 items"));
	assert_int_equal(spec.nrules, 0);
	free(cause);

	memset(text, 'a', SPEC_TEXT_MAX + 1);
	text[SPEC_TEXT_MAX + 1] = '\0';
	assert_int_equal(core_spec_parse(text, &spec, &cause), -1);
	assert_non_null(strstr(cause, "longer than"));
	free(cause);
}

struct match_case {
	const char	*text;
	uint32_t	 pid;
	const char	*comm;
	const char	*leader;
	int		 capture;
	const char	*exe;		/* executable's basename; NULL: none */
};

static const struct match_case match_cases[] = {
	/* local alone: everything. */
	{ "", 1, "curl", "curl", 1, NULL },
	{ "curl", 10, "curl", "curl", 1, NULL },
	{ "curl", 10, "wget", "wget", 0, NULL },
	{ "!curl", 10, "curl", "curl", 0, NULL },
	{ "!curl", 10, "wget", "wget", 1, NULL },
	/* Order: the first item decides the starting value. */
	{ "!curl,curl", 10, "curl", "curl", 1, NULL },
	{ "!curl,curl", 10, "wget", "wget", 1, NULL },
	{ "curl,!curl", 10, "curl", "curl", 0, NULL },
	{ "curl,!curl", 10, "wget", "wget", 0, NULL },
	{ "curl,!1234", 1234, "curl", "curl", 0, NULL },
	{ "curl,!1234", 1235, "curl", "curl", 1, NULL },
	{ "curl,!1234", 1235, "wget", "wget", 0, NULL },
	{ "!1234", 1234, "x", "x", 0, NULL },
	{ "!1234", 99, "x", "x", 1, NULL },
	{ "1234", 1234, "x", "y", 1, NULL },
	{ "1234", 123, "x", "y", 0, NULL },
	{ "curl,wget", 5, "wget", "wget", 1, NULL },
	{ "!curl,!wget", 5, "wget", "wget", 0, NULL },
	{ "!curl,!wget", 5, "dig", "dig", 1, NULL },
	/* A renamed thread is caught through its leader's comm, and the
	 * other way round. */
	{ "dig", 7, "isc-net-0000", "dig", 1, NULL },
	{ "isc-net-0000", 7, "isc-net-0000", "dig", 1, NULL },
	{ "!dig", 7, "isc-net-0000", "dig", 0, NULL },
	{ "dig", 7, "isc-net-0000", NULL, 0, NULL },
	{ "dig", 7, NULL, NULL, 0, NULL },
	/* 15 bytes of comm. */
	{ "averyveryverylongname", 3, "averyveryverylo", "x", 1, NULL },
	{ "averyveryverylo", 3, "averyveryverylongname", "x", 1, NULL },
	{ "curl", 3, "curl2", "curl2", 0, NULL },
	{ "curl2", 3, "curl", "curl", 0, NULL },
	{ "!1,1,!1", 1, "a", "a", 0, NULL },
	{ "!1,1,!1,1", 1, "a", "a", 1, NULL },
	/* A process that renamed itself is caught by its executable's
	 * basename (npm's process.title: node's main thread renamed). */
	{ "node", 9, "npm view expres", "npm view expres", 1, "node" },
	{ "npm", 9, "npm view expres", "npm view expres", 0, "node" },
	{ "npm view expres", 9, "npm view expres", "npm view expres", 1,
	    "node" },
	{ "!node", 9, "npm view expres", "npm view expres", 0, "node" },
	{ "!npm", 9, "npm view expres", "npm view expres", 1, "node" },
	{ "node", 9, "x", "y", 0, "nodejs" },
	{ "node", 9, "x", "y", 0, NULL },
	{ "python3.11", 4, "renamed", "renamed", 1, "python3.11" },
	/* 15 bytes of the basename too. */
	{ "chromium-browser", 4, "x", "y", 1, "chromium-browser" },
	{ "chromium-browse", 4, "x", "y", 1, "chromium-browser" },
	{ "chromium-browser", 4, "x", "y", 1, "chromium-browse" },
	{ "chromium", 4, "x", "y", 0, "chromium-browser" },
	/* A pid rule never looks at names. */
	{ "4", 5, "4", "4", 0, "4" },
};

static void
test_match_table(void **state)
{
	const struct match_case	*c;
	struct spec		 spec;
	char			*cause = NULL;
	size_t			 i;
	int			 got;

	for (i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
		c = &match_cases[i];
		if (core_spec_parse(c->text, &spec, &cause) != 0)
			fail_msg("\"%s\": %s", c->text, cause);
		got = core_spec_match(&spec, c->pid, c->comm, c->leader,
		    c->exe);
		if (got != c->capture)
			fail_msg("\"%s\" pid %u comm %s leader %s exe %s: got "
			    "%d", c->text, c->pid, c->comm, c->leader,
			    c->exe != NULL ? c->exe : "-", got);
	}
}

static void
test_encode(void **state)
{
	struct spec	 spec;
	struct rd_config config;
	char		*cause = NULL;

	memset(&config, 0xff, sizeof config);
	assert_int_equal(core_spec_parse("curl,!7", &spec, &cause), 0);
	core_spec_encode(&spec, &config);
	assert_int_equal(config.nrules, 2);
	assert_int_equal(config.pad, 0);
	assert_string_equal(config.rules[0].comm, "curl");
	assert_int_equal(config.rules[1].pid, 7);
	/* Unused slots are zeroed, not left over. */
	assert_int_equal(config.rules[2].flags, 0);
	assert_int_equal(config.rules[RD_MAX_RULES - 1].pid, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_encoding),
		cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
