/*
 * export.h -- one flow as text to take elsewhere: a curl command line, the
 * raw request, the raw response. Pure functions of the flow.
 */
#ifndef CORE_EXPORT_H
#define CORE_EXPORT_H

#include <stddef.h>

struct flow;

/*
 * A POSIX sh command that repeats the request with curl. Every argument
 * is single-quoted; a body holding NUL bytes is piped in from printf.
 * Content-Length and Transfer-Encoding are left to curl. Caller frees;
 * NULL when the flow has no request.
 */
char	*core_export_curl(const struct flow *);
/* The request as HTTP/1.1 text: start line, headers, empty line, body
 * (as kept: a truncated body stays truncated). Caller frees; NULL when
 * there is none. *len gets the length (the text is NUL-terminated too). */
char	*core_export_request(const struct flow *, size_t *len);
char	*core_export_response(const struct flow *, size_t *len);
/* s[0..len) as one sh word in single quotes. Caller frees. */
char	*core_export_shell_quote(const char *s, size_t len);

#endif
