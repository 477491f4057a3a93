/*
 * core_export.c -- curl command lines (run through a real sh) and raw
 * HTTP text of a flow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/flows/export.h"
#include "core/flows/flow.h"

static struct flow *
mk(const char *method, const char *path, const char *body, size_t blen)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *r = core_flow_request_new();

	f->request = r;
	core_flow_set(&r->method, method);
	core_flow_set(&r->scheme, "http");
	core_flow_set(&r->host, "example.org");
	core_flow_set(&r->path, path);
	core_flow_set(&r->version, "HTTP/1.1");
	r->port = 8080;
	core_flow_header_add(&r->headers, "Host", 4, "example.org:8080", 16);
	core_flow_header_add(&r->headers, "X-Quote", 7, "it's", 4);
	if (blen > 0) {
		char n[32];

		snprintf(n, sizeof n, "%zu", blen);
		core_flow_header_add(&r->headers, "Content-Length", 14, n,
		    strlen(n));
		core_flow_body_set(&r->body, body, blen);
	}
	return f;
}

/* Runs a shell command; returns what it printed (caller frees). */
static char *
run(const char *cmd, size_t *len)
{
	FILE *p = popen(cmd, "r");
	char *out = calloc(1, 65536);
	size_t n;

	assert_non_null(p);
	n = fread(out, 1, 65535, p);
	assert_int_equal(pclose(p), 0);
	*len = n;
	return out;
}

static void
test_quote_roundtrip(void **state)
{
	static const char nasty[] = "a b'c\"d$e`f\\g\n!h*?[i] ~j;k|l&m'";
	char *q = core_export_shell_quote(nasty, strlen(nasty)), *cmd, *out;
	size_t len;

	assert_true(asprintf(&cmd, "printf '%%s' %s", q) > 0);
	out = run(cmd, &len);
	assert_int_equal(len, strlen(nasty));
	assert_memory_equal(out, nasty, len);
	free(out);
	free(cmd);
	free(q);
	q = core_export_shell_quote("it's", 4);
	assert_string_equal(q, "'it'\\''s'");
	free(q);
}

static void
test_curl(void **state)
{
	struct flow *f = mk("POST", "/p?q=1&r=2", "{\"a\":'x'}", 9);
	char *c = core_export_curl(f), *cmd, *out;
	size_t len;

	assert_string_equal(c, "curl -X 'POST' -H 'Host: example.org:8080' "
	    "-H 'X-Quote: it'\\''s' --data-binary '{\"a\":'\\''x'\\''}' "
	    "'http://example.org:8080/p?q=1&r=2'");
	/* A shell sees exactly the arguments meant: swap curl for printf. */
	assert_true(asprintf(&cmd, "printf '[%%s]' %s", c + 5) > 0);
	out = run(cmd, &len);
	assert_string_equal(out, "[-X][POST][-H][Host: example.org:8080][-H]"
	    "[X-Quote: it's][--data-binary][{\"a\":'x'}]"
	    "[http://example.org:8080/p?q=1&r=2]");
	free(out);
	free(cmd);
	free(c);
	core_flow_free(f);

	f = mk("GET", "/", NULL, 0);
	c = core_export_curl(f);
	assert_string_equal(c, "curl -H 'Host: example.org:8080' "
	    "-H 'X-Quote: it'\\''s' 'http://example.org:8080/'");
	free(c);
	core_flow_free(f);

	f = core_flow_new(FLOW_TCP);
	assert_null(core_export_curl(f));
	core_flow_free(f);
}

static void
test_curl_nul_body(void **state)
{
	static const char body[] = { 'a', '\0', '\'', '\\', '\n', (char)0xff };
	struct flow *f = mk("PUT", "/b", body, sizeof body);
	char *c = core_export_curl(f), *cmd, *out, *bar;
	size_t len;

	assert_non_null(strstr(c, "--data-binary @-"));
	assert_int_equal(strncmp(c, "printf '%b' '", 13), 0);
	/* The printf half makes exactly the body. */
	bar = strstr(c, " | curl");
	assert_non_null(bar);
	assert_true(asprintf(&cmd, "%.*s", (int)(bar - c), c) > 0);
	out = run(cmd, &len);
	assert_int_equal(len, sizeof body);
	assert_memory_equal(out, body, sizeof body);
	free(out);
	free(cmd);
	free(c);
	core_flow_free(f);
}

static void
test_raw(void **state)
{
	struct flow *f = mk("POST", "/x", "hello", 5);
	char *s;
	size_t len;

	s = core_export_request(f, &len);
	assert_string_equal(s, "POST /x HTTP/1.1\r\nHost: example.org:8080\r\n"
	    "X-Quote: it's\r\nContent-Length: 5\r\n\r\nhello");
	assert_int_equal(len, strlen(s));
	free(s);
	assert_null(core_export_response(f, &len));
	f->response = core_flow_response_new();
	f->response->status = 204;
	core_flow_set(&f->response->reason, "No Content");
	core_flow_set(&f->response->version, "HTTP/1.1");
	s = core_export_response(f, &len);
	assert_string_equal(s, "HTTP/1.1 204 No Content\r\n\r\n");
	free(s);
	core_flow_free(f);
}

/* Exports hold credentials: always 0600, an existing file narrowed. */
static void
test_write_private(void **state)
{
	char dir[] = "/tmp/trawl-export-XXXXXX", path[64], buf[64];
	struct stat st;
	char *cause = NULL;
	mode_t old = umask(0);
	FILE *fp;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/flow-1.sh", dir);
	assert_int_equal(core_export_write(path, "curl -H 'Authorization: x'\n",
	    27, &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* An existing 0644 file, longer than the new text. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(core_export_write(path, "short\n", 6, &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 6);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof buf, fp));
	fclose(fp);
	assert_string_equal(buf, "short\n");
	/* Errors name the file. */
	snprintf(path, sizeof path, "%s/no/such", dir);
	assert_int_equal(core_export_write(path, "x", 1, &cause), -1);
	assert_non_null(strstr(cause, path));
	free(cause);
	/* A FIFO is written to, not chmod'ed. */
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd != -1);
	assert_int_equal(core_export_write(path, "abc", 3, &cause), 0);
	assert_int_equal(read(fd, buf, sizeof buf), 3);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	unlink(path);
	snprintf(path, sizeof path, "%s/flow-1.sh", dir);
	unlink(path);
	rmdir(dir);
	umask(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_roundtrip),
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_curl_nul_body),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_write_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
