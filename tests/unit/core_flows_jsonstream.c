/*
 * core_flows_jsonstream.c -- the pull JSON reader: tokens and levels,
 * strings kept up to a cap and counted past it, escapes, numbers, the
 * errors jansson gives, nesting, skipping, reads across buffer edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/flows/jsonstream.h"

/* A reader over text in a temporary file (unlinked at once). */
static struct jsonstream *
reader(const char *text, size_t len, size_t keep, int *fd)
{
	char path[] = "/tmp/trawl-js-XXXXXX";
	struct jsonstream *js;

	*fd = mkstemp(path);
	assert_true(*fd != -1);
	unlink(path);
	assert_int_equal(write(*fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(*fd, 0, SEEK_SET), 0);
	js = core_jsonstream_new(*fd, keep);
	assert_non_null(js);
	return js;
}

static void
done(struct jsonstream *js, int fd)
{
	core_jsonstream_free(js);
	close(fd);
}

static void
test_tokens(void **state)
{
	static const char text[] = " {\"a\": [1, -2.5e1, true, false, null, "
	    "\"s\", {}], \"b\": {\"c\": []}} \n";
	static const struct {
		enum json_tok	 t;
		int		 level;
	} want[] = {
		{ JT_OBJECT, 0 }, { JT_KEY, 1 }, { JT_ARRAY, 1 },
		{ JT_INTEGER, 2 }, { JT_REAL, 2 }, { JT_TRUE, 2 },
		{ JT_FALSE, 2 }, { JT_NULL, 2 }, { JT_STRING, 2 },
		{ JT_OBJECT, 2 }, { JT_OBJECT_END, 2 }, { JT_ARRAY_END, 1 },
		{ JT_KEY, 1 }, { JT_OBJECT, 1 }, { JT_KEY, 2 }, { JT_ARRAY, 2 },
		{ JT_ARRAY_END, 2 }, { JT_OBJECT_END, 1 },
		{ JT_OBJECT_END, 0 }, { JT_END, 0 }
	};
	struct json_tokval v;
	struct jsonstream *js;
	size_t i;
	int fd;

	js = reader(text, sizeof text - 1, 64, &fd);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		enum json_tok t = core_jsonstream_next(js, &v);

		if (t != want[i].t || (t != JT_END && v.level != want[i].level))
			fail_msg("token %zu: %d at level %d, want %d at %d (%s)",
			    i, t, v.level, want[i].t, want[i].level,
			    core_jsonstream_error(js));
		if (i == 3)
			assert_int_equal(v.i, 1);
		if (i == 4)
			assert_true(v.d == -25.0);
		if (i == 1)
			assert_string_equal(v.s, "a");
	}
	assert_int_equal(core_jsonstream_next(js, &v), JT_END);
	assert_int_equal(core_jsonstream_offset(js), sizeof text - 1);
	done(js, fd);
}

static void
test_strings(void **state)
{
	static const char text[] = "[\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"
	    "\\ud83d\\ude00\\u0000z\", \"\xc3\xa9\xf0\x9f\x98\x80\", \"\"]";
	struct json_tokval v;
	struct jsonstream *js;
	int fd;

	js = reader(text, sizeof text - 1, 64, &fd);
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY);
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_int_equal(v.len, 17);
	assert_int_equal(v.total, 17);
	assert_memory_equal(v.s, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80"
	    "\0z", 17);
	assert_int_equal(v.b64, 3);	/* a / z */
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_string_equal(v.s, "\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_int_equal(v.len, 0);
	assert_string_equal(v.s, "");
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY_END);
	assert_int_equal(core_jsonstream_next(js, &v), JT_END);
	done(js, fd);
}

/* Past keep a string is counted, and never cut inside a character. */
static void
test_keep(void **state)
{
	char *text;
	size_t n = 1000000, i;
	struct json_tokval v;
	struct jsonstream *js;
	int fd;

	text = malloc(n + 100);
	assert_non_null(text);
	/* 63 ASCII bytes, then 2-byte characters: keep 64 stops at 63. */
	i = 0;
	text[i++] = '[';
	text[i++] = '"';
	memset(text + i, 'Q', 63);
	i += 63;
	for (; i < n; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	memcpy(text + i, "\", \"ok\"]", 8);
	js = reader(text, i + 8, 64, &fd);
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY);
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_int_equal(v.len, 63);
	assert_int_equal(strlen(v.s), 63);
	assert_int_equal(v.total, i - 2);
	assert_int_equal(v.b64, 63);
	/* The next string is whole again. */
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_string_equal(v.s, "ok");
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY_END);
	done(js, fd);
	free(text);
}

static void
expect_error(const char *text, size_t len, const char *needle)
{
	struct json_tokval v;
	struct jsonstream *js;
	enum json_tok t;
	int fd, guard = 0;

	js = reader(text, len, 64, &fd);
	while ((t = core_jsonstream_next(js, &v)) != JT_ERROR) {
		if (t == JT_END || ++guard > 1000000)
			fail_msg("\"%.*s\" was accepted", (int)len, text);
	}
	if (strstr(core_jsonstream_error(js), needle) == NULL)
		fail_msg("\"%.*s\": \"%s\" lacks \"%s\"", (int)len, text,
		    core_jsonstream_error(js), needle);
	assert_non_null(strstr(core_jsonstream_error(js), "line "));
	/* And it stays in error. */
	assert_int_equal(core_jsonstream_next(js, &v), JT_ERROR);
	done(js, fd);
}

#define ERR(lit, needle) expect_error(lit, sizeof lit - 1, needle)

static void
test_errors(void **state)
{
	char deep[2 * JSONSTREAM_DEPTH + 2];
	char num[JSONSTREAM_NUMBER + 10];

	ERR("", "end of file");
	ERR("   ", "end of file");
	ERR("x", "invalid token");
	ERR("tru", "invalid token");
	ERR("[1,]", "invalid token");
	ERR("[1 2]", "',' or ']' expected");
	ERR("{\"a\" 1}", "':' expected");
	ERR("{\"a\": 1,}", "string or '}' expected");
	ERR("{1: 2}", "string or '}' expected");
	ERR("{\"a\": 1] ", "',' or '}' expected");
	ERR("[\"abc", "end of file");
	ERR("[\"a\x01\"]", "control character");
	ERR("[\"\xff\"]", "invalid UTF-8");
	ERR("[\"\xc0\x80\"]", "invalid UTF-8");
	ERR("[\"\xed\xa0\x80\"]", "invalid UTF-8");
	ERR("[\"\\ud800\"]", "invalid Unicode");
	ERR("[\"\\udc00\"]", "invalid Unicode");
	ERR("[\"\\ud800\\u0041\"]", "invalid Unicode");
	ERR("[\"\\x\"]", "invalid escape");
	ERR("[\"\\u12g4\"]", "invalid escape");
	ERR("{\"a\\u0000b\": 1}", "NUL byte in object key");
	ERR("[01]", "',' or ']' expected");
	ERR("[1.]", "invalid number");
	ERR("[-]", "invalid number");
	ERR("[1e+]", "invalid number");
	ERR("[99999999999999999999]", "too big integer");
	ERR("[-99999999999999999999]", "too big negative integer");
	ERR("[1e999]", "real number overflow");
	ERR("{} {}", "end of file expected");
	ERR("[1]]", "end of file expected");
	memset(deep, '[', JSONSTREAM_DEPTH + 1);
	expect_error(deep, JSONSTREAM_DEPTH + 1, "nested deeper");
	memset(num, '1', sizeof num);
	num[0] = '[';
	expect_error(num, sizeof num, "number longer");
}

/* What jansson accepts besides the obvious. */
static void
test_accepted(void **state)
{
	static const char *ok[] = {
		"5", "\"s\"", "null", "-0", "0.5e-3", "1E5", "[]", "{}",
		"[[[]]]", "\t\r\n[ ]\n", "[1e-999]", "[\"\\u0000\"]",
		"{\"a\": 1, \"a\": 2}", NULL
	};
	struct json_tokval v;
	struct jsonstream *js;
	enum json_tok t;
	size_t i;
	int fd;

	for (i = 0; ok[i] != NULL; i++) {
		js = reader(ok[i], strlen(ok[i]), 64, &fd);
		while ((t = core_jsonstream_next(js, &v)) != JT_END)
			if (t == JT_ERROR)
				fail_msg("\"%s\": %s", ok[i],
				    core_jsonstream_error(js));
		done(js, fd);
	}
}

static void
test_skip(void **state)
{
	static const char text[] = "[{\"a\": [1, {\"b\": \"xxxxxxxxxx\"}]}, "
	    "7, [], \"after\"]";
	struct json_tokval v;
	struct jsonstream *js;
	enum json_tok t;
	int fd;

	js = reader(text, sizeof text - 1, 64, &fd);
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY);
	t = core_jsonstream_next(js, &v);
	assert_int_equal(t, JT_OBJECT);
	assert_int_equal(core_jsonstream_skip(js, t), 0);
	t = core_jsonstream_next(js, &v);
	assert_int_equal(t, JT_INTEGER);
	assert_int_equal(core_jsonstream_skip(js, t), 0);
	t = core_jsonstream_next(js, &v);
	assert_int_equal(t, JT_ARRAY);
	assert_int_equal(core_jsonstream_skip(js, t), 0);
	assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
	assert_string_equal(v.s, "after");
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY_END);
	assert_int_equal(core_jsonstream_next(js, &v), JT_END);
	done(js, fd);

	/* A skip that meets an error says so. */
	js = reader("[[1, 2", 6, 64, &fd);
	assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY);
	t = core_jsonstream_next(js, &v);
	assert_int_equal(core_jsonstream_skip(js, t), -1);
	done(js, fd);
}

/* Tokens that straddle the edge of the 64 KiB read buffer. */
static void
test_edges(void **state)
{
	static const char tail[] = "\"\xf0\x9f\x98\x80\\u00e9\", 12345678, "
	    "true]";
	struct json_tokval v;
	struct jsonstream *js;
	char *text;
	size_t pad, n;
	int fd, k;

	for (k = 0; k < 12; k++) {
		pad = 65536 - 1 - (size_t)k;
		n = pad + 64;
		text = malloc(n);
		assert_non_null(text);
		text[0] = '[';
		memset(text + 1, ' ', pad - 1);
		memcpy(text + pad, tail, sizeof tail - 1);
		js = reader(text, pad + sizeof tail - 1, 64, &fd);
		assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY);
		assert_int_equal(core_jsonstream_next(js, &v), JT_STRING);
		assert_string_equal(v.s, "\xf0\x9f\x98\x80\xc3\xa9");
		assert_int_equal(core_jsonstream_next(js, &v), JT_INTEGER);
		assert_int_equal(v.i, 12345678);
		assert_int_equal(core_jsonstream_next(js, &v), JT_TRUE);
		assert_int_equal(core_jsonstream_next(js, &v), JT_ARRAY_END);
		assert_int_equal(core_jsonstream_next(js, &v), JT_END);
		done(js, fd);
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
