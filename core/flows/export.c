/*
 * export.c -- a flow as a curl command line or raw HTTP text.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/flows/export.h"
#include "core/flows/flow.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"

static void
quote_into(struct buf *b, const char *s, size_t len)
{
	size_t i, start = 0;

	core_buf_append(b, "'", 1);
	/* Inside single quotes every byte but ' stands for itself. */
	for (i = 0; i < len; i++) {
		if (s[i] != '\'')
			continue;
		core_buf_append(b, s + start, i - start);
		core_buf_append(b, "'\\''", 4);
		start = i + 1;
	}
	core_buf_append(b, s + start, len - start);
	core_buf_append(b, "'", 1);
}

char *
core_export_shell_quote(const char *s, size_t len)
{
	struct buf b = { 0 };

	quote_into(&b, s, len);
	return core_buf_take(&b, NULL);
}

static void
quote_str(struct buf *b, const char *s)
{
	quote_into(b, s, strlen(s));
}

/* printf's %b understands \0ooo: every byte of a NUL-holding body. */
static void
printf_body(struct buf *b, const char *s, size_t len)
{
	size_t i;

	core_buf_append(b, "printf '%b' '", 13);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			core_buf_append(b, &s[i], 1);
		else
			core_buf_printf(b, "\\0%03o", c);
	}
	core_buf_append(b, "' | ", 4);
}

char *
core_export_curl(const struct flow *f)
{
	const struct flow_request *r = f->request;
	struct buf b = { 0 };
	char *url;
	size_t i;
	int piped;

	if (r == NULL)
		return NULL;
	piped = r->body.len > 0 && memchr(r->body.data, '\0', r->body.len);
	if (piped)
		printf_body(&b, r->body.data, r->body.len);
	core_buf_printf(&b, "curl");
	if (r->method != NULL && strcmp(r->method, "HEAD") == 0)
		core_buf_printf(&b, " --head");
	else if (r->method != NULL && (strcmp(r->method, "GET") != 0 ||
	    r->body.len > 0)) {
		core_buf_printf(&b, " -X ");
		quote_str(&b, r->method);
	}
	for (i = 0; i < r->headers.n; i++) {
		const struct flow_header *h = &r->headers.v[i];
		struct buf hb = { 0 };
		char *line;
		size_t n;

		if (strcasecmp(h->name, "Content-Length") == 0 ||
		    strcasecmp(h->name, "Transfer-Encoding") == 0)
			continue;
		core_buf_printf(&hb, "%s: %s", h->name, h->value);
		line = core_buf_take(&hb, &n);
		core_buf_printf(&b, " -H ");
		quote_into(&b, line, n);
		free(line);
	}
	if (r->body.len > 0) {
		core_buf_printf(&b, " --data-binary ");
		if (piped)
			core_buf_printf(&b, "@-");
		else
			quote_into(&b, r->body.data, r->body.len);
	}
	url = core_flow_url(f);
	core_buf_printf(&b, " ");
	quote_str(&b, url);
	free(url);
	return core_buf_take(&b, NULL);
}

static void
headers_into(struct buf *b, const struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		core_buf_printf(b, "%s: %s\r\n", h->v[i].name, h->v[i].value);
	core_buf_append(b, "\r\n", 2);
}

char *
core_export_request(const struct flow *f, size_t *len)
{
	const struct flow_request *r = f->request;
	struct buf b = { 0 };

	if (r == NULL)
		return NULL;
	core_buf_printf(&b, "%s %s %s\r\n", r->method ? r->method : "GET",
	    r->path ? r->path : "/", r->version ? r->version : "HTTP/1.1");
	headers_into(&b, &r->headers);
	if (r->body.len > 0)
		core_buf_append(&b, r->body.data, r->body.len);
	return core_buf_take(&b, len);
}

char *
core_export_response(const struct flow *f, size_t *len)
{
	const struct flow_response *r = f->response;
	struct buf b = { 0 };

	if (r == NULL)
		return NULL;
	core_buf_printf(&b, "%s %03d %s\r\n",
	    r->version ? r->version : "HTTP/1.1", r->status,
	    r->reason ? r->reason : "");
	headers_into(&b, &r->headers);
	if (r->body.len > 0)
		core_buf_append(&b, r->body.data, r->body.len);
	return core_buf_take(&b, len);
}

int
core_export_write(const char *path, const void *data, size_t len,
    char **cause)
{
	const char *p = data;
	struct stat st;
	ssize_t w;
	int fd, rv = -1;

	/* No O_TRUNC: the old contents go only once the file is private. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* Only regular files: a FIFO or a device is not the user's. */
	if (S_ISREG(st.st_mode)) {
		if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) == -1) {
			core_cause(cause, "%s: cannot make it private (mode "
			    "0600): %s", path, strerror(errno));
			goto out;
		}
		if (ftruncate(fd, 0) == -1) {
			core_cause(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			core_cause(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	rv = 0;
out:
	if (close(fd) == -1 && rv == 0) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	return rv;
}
