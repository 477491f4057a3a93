/*
 * http1.h -- an HTTP/1.x message parser that never allocates.
 *
 * The parse functions take a buffer and return the number of bytes of the
 * complete message head (start line, headers and the empty line), -2 when
 * the head is not complete yet, or -1 when it is malformed. Returned
 * pointers point into the caller's buffer. Heads longer than
 * LIMIT_HTTP_HEAD, or with more headers than the caller's array holds, are
 * errors. obs-fold (a header line starting with SP/HTAB) is an error, as
 * are bare CR, NUL and control characters in the head.
 *
 * Bodies are framed by core_http1_*_framing and, when chunked, walked with
 * core_http1_chunked_scan, which never modifies the bytes so a proxy can
 * forward them as they are.
 */
#ifndef CORE_HTTP1_H
#define CORE_HTTP1_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct http1_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* leading and trailing OWS removed */
	size_t		 value_len;
};

struct http1_request {
	const char		*method;
	size_t			 method_len;
	const char		*target;	/* request-target as sent */
	size_t			 target_len;
	int			 minor;		/* HTTP/1.<minor> */
	struct http1_header	*headers;	/* caller's array */
	size_t			 nheaders;	/* in: array size; out: used */
};

struct http1_response {
	int			 minor;
	int			 status;	/* 100..999 */
	const char		*reason;
	size_t			 reason_len;
	struct http1_header	*headers;
	size_t			 nheaders;
};

int	core_http1_parse_request(const char *, size_t, struct http1_request *);
int	core_http1_parse_response(const char *, size_t, struct http1_response *);

enum http1_body {
	HTTP1_BODY_NONE,	/* no body follows */
	HTTP1_BODY_LENGTH,	/* exactly length bytes */
	HTTP1_BODY_CHUNKED,	/* chunked transfer coding */
	HTTP1_BODY_CLOSE	/* until the connection closes (responses) */
};

struct http1_framing {
	enum http1_body	 kind;
	uint64_t	 length;
};

/*
 * How the request body is framed. Returns 0, or -1 with *cause set to a
 * static message for the shapes that enable smuggling: both
 * Content-Length and Transfer-Encoding, differing or invalid
 * Content-Length values, a Transfer-Encoding whose last coding is not
 * chunked, an unknown coding.
 */
int	core_http1_request_framing(const struct http1_request *,
	    struct http1_framing *, const char **cause);
/*
 * How the response body is framed, given the request method (HEAD gets no
 * body) and status (1xx, 204, 304 have none; a 2xx to CONNECT neither).
 */
int	core_http1_response_framing(const struct http1_response *,
	    const char *method, size_t method_len, struct http1_framing *,
	    const char **cause);

/* State of a chunked body walk; zero it before the first call. With
 * keep_trailers set, the trailer lines are kept (tbuf, up to
 * LIMIT_HTTP_TRAILERS, freed by core_http1_chunked_free). */
struct http1_chunked {
	int		 state;
	uint64_t	 left;		/* bytes left in the current chunk */
	size_t		 line;		/* length of the line being read */
	size_t		 trailers;	/* trailer bytes seen */
	int		 keep_trailers;
	char		*tbuf;		/* "name: value\r\n" lines */
	size_t		 tlen;
};

/*
 * Walks chunked framing in buf. Calls on_data for each run of body data
 * (may be NULL). Returns the bytes of buf that belong to the body: len
 * unless the body ended inside buf. Sets *done once the last chunk and the
 * trailers are through. Returns -1 on malformed framing or when a limit
 * (LIMIT_HTTP_CHUNK_LINE, LIMIT_HTTP_TRAILERS) is passed.
 */
ssize_t	core_http1_chunked_scan(struct http1_chunked *, const char *buf,
	    size_t len, void (*on_data)(void *, const char *, size_t),
	    void *arg, int *done);
/* The kept trailer fields, once done: up to *n into out, pointing into
 * the walk's buffer (valid until core_http1_chunked_free); *n set. */
void	core_http1_chunked_trailers(const struct http1_chunked *,
	    struct http1_header *out, size_t *n);
void	core_http1_chunked_free(struct http1_chunked *);

/* Case-insensitive compare of a counted token with a C string. */
int	core_http1_token_eq(const char *, size_t, const char *);
/* Whether a comma-separated header value contains the token. */
int	core_http1_list_has(const char *, size_t, const char *token);

#endif
