/*
 * core_url.c -- table-driven tests of request-target and Host parsing.
 *
 * Inputs are copied into exact-size buffers so ASan sees any read past
 * the counted length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/http/url.h"

enum form {
	ABSOLUTE,
	AUTHORITY,
	HOST
};

struct url_case {
	enum form	 form;
	const char	*in;
	int		 ok;
	const char	*scheme;
	const char	*host;
	int		 ipv6;
	int		 port;
	const char	*path;
};

#define BAD(f, s)	{ f, s, 0, NULL, NULL, 0, 0, NULL }

static const struct url_case cases[] = {
	{ ABSOLUTE, "http://example.com", 1, "http", "example.com", 0, 80,
	  "/" },
	{ ABSOLUTE, "http://example.com/", 1, "http", "example.com", 0, 80,
	  "/" },
	{ ABSOLUTE, "https://example.com", 1, "https", "example.com", 0, 443,
	  "/" },
	{ ABSOLUTE, "HTTPS://Example.COM:8443/a/b?c=d&e", 1, "HTTPS",
	  "Example.COM", 0, 8443, "/a/b?c=d&e" },
	{ ABSOLUTE, "http://127.0.0.1:8080/x", 1, "http", "127.0.0.1", 0,
	  8080, "/x" },
	{ ABSOLUTE, "http://[::1]:8080/x", 1, "http", "::1", 1, 8080, "/x" },
	{ ABSOLUTE, "http://[2001:db8::1]", 1, "http", "2001:db8::1", 1, 80,
	  "/" },
	{ ABSOLUTE, "https://[::ffff:192.0.2.1]/", 1, "https",
	  "::ffff:192.0.2.1", 1, 443, "/" },
	{ ABSOLUTE, "http://a_b-c.d:1/", 1, "http", "a_b-c.d", 0, 1, "/" },
	{ ABSOLUTE, "http://h:65535/p", 1, "http", "h", 0, 65535, "/p" },
	{ ABSOLUTE, "http://h:00080/p", 1, "http", "h", 0, 80, "/p" },
	{ ABSOLUTE, "http://h//p/%20?q=/", 1, "http", "h", 0, 80,
	  "//p/%20?q=/" },
	{ ABSOLUTE, "http://h/\xc3\xa9", 1, "http", "h", 0, 80,
	  "/\xc3\xa9" },
	BAD(ABSOLUTE, ""),
	BAD(ABSOLUTE, "http://"),
	BAD(ABSOLUTE, "http:///p"),
	BAD(ABSOLUTE, "http:/h/"),
	BAD(ABSOLUTE, "http:h"),
	BAD(ABSOLUTE, "ftp://h/"),
	BAD(ABSOLUTE, "ws://h/"),
	BAD(ABSOLUTE, "httpx://h/"),
	BAD(ABSOLUTE, "/just/a/path"),
	BAD(ABSOLUTE, "http://user@h/"),
	BAD(ABSOLUTE, "http://user:pw@h/"),
	BAD(ABSOLUTE, "http://h@evil/"),
	BAD(ABSOLUTE, "http://h:/"),
	BAD(ABSOLUTE, "http://h:0/"),
	BAD(ABSOLUTE, "http://h:65536/"),
	BAD(ABSOLUTE, "http://h:123456/"),
	BAD(ABSOLUTE, "http://h:99999999999999999999/"),
	BAD(ABSOLUTE, "http://h:8a/"),
	BAD(ABSOLUTE, "http://h:-1/"),
	BAD(ABSOLUTE, "http://h:80:81/"),
	BAD(ABSOLUTE, "http://h?q"),
	BAD(ABSOLUTE, "http://h#f"),
	BAD(ABSOLUTE, "http://h/p#f"),
	BAD(ABSOLUTE, "http://h/p q"),
	BAD(ABSOLUTE, "http://h/p\r\n"),
	BAD(ABSOLUTE, "http://h/\x7f"),
	BAD(ABSOLUTE, "http://h h/"),
	BAD(ABSOLUTE, "http://h%41/"),
	BAD(ABSOLUTE, "http://h\\evil/"),
	BAD(ABSOLUTE, "http://[::1/"),
	BAD(ABSOLUTE, "http://[::1]x/"),
	BAD(ABSOLUTE, "http://[]/"),
	BAD(ABSOLUTE, "http://[g::1]/"),
	BAD(ABSOLUTE, "http://[127.0.0.1]/"),
	BAD(ABSOLUTE, "http://[fe80::1%25eth0]/"),
	BAD(ABSOLUTE, "http://::1/"),

	{ AUTHORITY, "example.com:443", 1, "", "example.com", 0, 443, "" },
	{ AUTHORITY, "example.com:8443", 1, "", "example.com", 0, 8443, "" },
	{ AUTHORITY, "example.com", 1, "", "example.com", 0, 443, "" },
	{ AUTHORITY, "[::1]:443", 1, "", "::1", 1, 443, "" },
	{ AUTHORITY, "[2001:db8::5]", 1, "", "2001:db8::5", 1, 443, "" },
	{ AUTHORITY, "192.0.2.1:22", 1, "", "192.0.2.1", 0, 22, "" },
	BAD(AUTHORITY, ""),
	BAD(AUTHORITY, ":443"),
	BAD(AUTHORITY, "h:"),
	BAD(AUTHORITY, "u@h:443"),
	BAD(AUTHORITY, "h:443/"),
	BAD(AUTHORITY, "http://h:443"),
	BAD(AUTHORITY, "h:0"),
	BAD(AUTHORITY, "h:70000"),
	BAD(AUTHORITY, "::1:443"),
	BAD(AUTHORITY, "[::1]443"),
	BAD(AUTHORITY, "h :443"),

	{ HOST, "example.com", 1, "", "example.com", 0, 80, "" },
	{ HOST, "Example.com:8080", 1, "", "Example.com", 0, 8080, "" },
	{ HOST, "[::1]", 1, "", "::1", 1, 80, "" },
	{ HOST, "[::1]:81", 1, "", "::1", 1, 81, "" },
	BAD(HOST, ""),
	BAD(HOST, "a b"),
	BAD(HOST, "a,b"),
	BAD(HOST, "a/b"),
	BAD(HOST, "a@b"),
	BAD(HOST, "a:b"),
};

static int
eq(const char *p, size_t n, const char *want)
{
	return (p != NULL && strlen(want) == n && memcmp(p, want, n) == 0);
}

static int
parse(enum form form, const char *s, size_t n, struct url *u)
{
	switch (form) {
	case ABSOLUTE:
		return (core_url_parse_absolute(s, n, u));
	case AUTHORITY:
		return (core_url_parse_authority(s, n, u, 443));
	case HOST:
		return (core_url_parse_host_header(s, n, u, 80));
	}
	return (-2);
}

static void
test_table(void **state)
{
	const struct url_case	*c;
	struct url		 u;
	char			*b;
	size_t			 i, n;
	int			 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = &cases[i];
		n = strlen(c->in);
		b = malloc(n == 0 ? 1 : n);
		assert_non_null(b);
		memcpy(b, c->in, n);
		memset(&u, 0xa5, sizeof u);
		rc = parse(c->form, b, n, &u);
		if (!c->ok) {
			if (rc != -1)
				fail_msg("case %zu (%s): accepted", i, c->in);
			/* Untouched on failure. */
			assert_int_equal(u.port, (int)0xa5a5a5a5);
			free(b);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu (%s): refused", i, c->in);
		assert_true(eq(u.scheme, u.scheme_len, c->scheme));
		assert_true(eq(u.host, u.host_len, c->host));
		assert_int_equal(u.host_ipv6, c->ipv6);
		assert_int_equal(u.port, c->port);
		assert_true(eq(u.path, u.path_len, c->path));
		/* Host and path point into the caller's buffer. */
		assert_true(u.host >= b && u.host + u.host_len <= b + n);
		/* The path runs to the end, unless it is the implied "/". */
		if (c->form == ABSOLUTE && !(u.path_len == 1 &&
		    (u.path < b || u.path >= b + n)))
			assert_true(u.path >= b &&
			    u.path + u.path_len == b + n);
		free(b);
	}
}

/* Only the counted bytes are read: a longer buffer changes nothing. */
static void
test_counted(void **state)
{
	struct url	u;

	assert_int_equal(core_url_parse_absolute("http://h:80xyz", 11, &u), 0);
	assert_int_equal(u.port, 80);
	assert_true(eq(u.path, u.path_len, "/"));
	assert_int_equal(core_url_parse_authority("h:4433", 5, &u, 1), 0);
	assert_int_equal(u.port, 443);
	assert_int_equal(core_url_parse_host_header("ab", 1, &u, 80), 0);
	assert_true(eq(u.host, u.host_len, "a"));
	assert_int_equal(core_url_parse_absolute("https://", 7, &u), -1);
}

/* 255 bytes of host are fine, 256 are not. */
static void
test_host_length(void **state)
{
	struct url	u;
	char		buf[300];

	memset(buf, 'a', sizeof buf);
	assert_int_equal(core_url_parse_host_header(buf, 255, &u, 80), 0);
	assert_int_equal(u.host_len, 255);
	assert_int_equal(core_url_parse_host_header(buf, 256, &u, 80), -1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_counted),
		cmocka_unit_test(test_host_length),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
