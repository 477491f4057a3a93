/*
 * buf.c -- a growable byte queue.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop/buf.h"

static void
reserve(struct buf *b, size_t more)
{
	if (b->off > 0 && b->off + b->len + more > b->cap) {
		/* Slide the unread bytes down before growing. */
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (b->len + more > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + more)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
}

void
core_buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	reserve(b, n);
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
}

void
core_buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->off + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
core_buf_field(struct buf *b, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);

	reserve(b, n + v + 4);
	memcpy(b->data + b->off + b->len, name, n);
	memcpy(b->data + b->off + b->len + n, ": ", 2);
	memcpy(b->data + b->off + b->len + n + 2, value, v);
	memcpy(b->data + b->off + b->len + n + 2 + v, "\r\n", 2);
	b->len += n + v + 4;
}

void
core_buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		/* Drained: the memory goes back. A keep-alive connection
		 * waiting for its next request holds no buffer (issue 16);
		 * a busy one takes a block from malloc's per-thread cache. */
		core_buf_free(b);
		return;
	}
	b->off += n;
	b->len -= n;
}

void
core_buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

char *
core_buf_take(struct buf *b, size_t *len)
{
	char *s;

	if (len != NULL)
		*len = b->len;
	core_buf_append(b, "", 1);
	if (b->off != 0)
		memmove(b->data, b->data + b->off, b->len);
	s = b->data;
	memset(b, 0, sizeof *b);
	return s;
}
