/*
 * buf.h -- a growable byte queue: append at the tail, consume at the head.
 *
 * The buffer owns its memory. Callers enforce caps (core/loop/limits.h) before
 * appending; buf itself only aborts on out-of-memory.
 */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 off;	/* start of unread bytes */
	size_t	 len;	/* unread bytes */
	size_t	 cap;
};

void	 core_buf_append(struct buf *, const void *, size_t);
void	 core_buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends "name: value\r\n" (a header field; cheaper than printf). */
void	 core_buf_field(struct buf *, const char *name, const char *value);
void	 core_buf_consume(struct buf *, size_t);
void	 core_buf_free(struct buf *);
/* Hands the bytes over as a NUL-terminated string (caller frees) and
 * leaves the buffer empty; *len (may be NULL) gets their count. */
char	*core_buf_take(struct buf *, size_t *len);
static inline const char *core_buf_head(const struct buf *b)
{ return b->data + b->off; }

#endif
