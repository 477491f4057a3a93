/*
 * export.h -- one flow as text to take elsewhere: a curl command line, the
 * raw request, the raw response (pure functions of the flow), and the
 * private file they are written to.
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
/*
 * Writes data[0..len) into path, created or truncated, mode 0600: an
 * export holds cookies and Authorization headers. An existing regular
 * file is narrowed to 0600 before anything is written into it (O_CREAT's
 * mode applies to new files only). 0, or -1 with *cause (caller frees).
 */
int	 core_export_write(const char *path, const void *data, size_t len,
	    char **cause);

#endif
