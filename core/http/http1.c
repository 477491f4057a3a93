/*
 * http1.c -- HTTP/1.x message heads, body framing and chunked walks.
 *
 * Every function here reads the caller's bytes in place and never
 * allocates. The parsers read strictly left to right and stop at the first
 * byte they cannot accept, so any prefix of a valid head gives -2, and
 * malformed input is refused as early as it is seen.
 *
 * trawl forwards bytes as they came, so anything it reads one way and a
 * peer could read another is refused rather than repaired: obs-fold,
 * whitespace before a colon, bare CR, Content-Length beside
 * Transfer-Encoding, disagreeing lengths, chunked framing with lenient
 * line ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/http1.h"
#include "core/loop/limits.h"

/* ASCII only, so the locale cannot change what a token means. */
static int
lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A' + 'a');
	return (c);
}

/* tchar of RFC 9110 5.6.2. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return (1);
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return (1);
	}
	return (0);
}

/* field-vchar, SP or HTAB: what a field value (or reason) may hold. */
static int
is_field(unsigned char c)
{
	return (c == '\t' || (c >= 0x20 && c != 0x7f));
}

static int
is_ows(unsigned char c)
{
	return (c == ' ' || c == '\t');
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Consumes one line end at *pp. A bare LF is accepted in heads (RFC 9112
 * 2.2 allows it); a CR must be followed by LF.
 */
static int
line_end(const char **pp, const char *end)
{
	const char	*p = *pp;

	if (p == end)
		return (-2);
	if (*p == '\n') {
		*pp = p + 1;
		return (0);
	}
	if (*p != '\r')
		return (-1);
	if (p + 1 == end)
		return (-2);
	if (p[1] != '\n')
		return (-1);
	*pp = p + 2;
	return (0);
}

/* "HTTP/1." and one minor digit no greater than max_minor. */
static int
version(const char **pp, const char *end, int max_minor, int *minor)
{
	static const char	 lit[] = "HTTP/1.";
	const char		*p = *pp;
	size_t			 i;

	for (i = 0; i < sizeof lit - 1; i++, p++) {
		if (p == end)
			return (-2);
		if (*p != lit[i])
			return (-1);
	}
	if (p == end)
		return (-2);
	if (*p < '0' || *p > '0' + max_minor)
		return (-1);
	*minor = *p - '0';
	*pp = p + 1;
	return (0);
}

/*
 * Header lines up to and including the empty line. Fills h[] (at most cap
 * entries) and sets *n only when the whole block is there.
 */
static int
header_block(const char **pp, const char *end, struct http1_header *h,
    size_t cap, size_t *n)
{
	const char	*p = *pp, *name, *value, *vend;
	size_t		 count = 0, name_len;
	int		 rc;

	for (;;) {
		if (p == end)
			return (-2);
		if (*p == '\r' || *p == '\n') {
			if ((rc = line_end(&p, end)) != 0)
				return (rc);
			break;
		}
		/*
		 * A line that starts with SP/HTAB (obs-fold) or whose name is
		 * followed by anything but ':' (such as "Name :") stops here.
		 */
		name = p;
		while (p != end && is_tchar(*p))
			p++;
		if (p == end)
			return (-2);
		if (*p != ':' || p == name)
			return (-1);
		name_len = p - name;
		p++;
		while (p != end && is_ows(*p))
			p++;
		value = p;
		while (p != end && is_field(*p))
			p++;
		if (p == end)
			return (-2);
		if (*p != '\r' && *p != '\n')
			return (-1);
		vend = p;
		while (vend > value && is_ows(vend[-1]))
			vend--;
		if ((rc = line_end(&p, end)) != 0)
			return (rc);
		if (count == cap)
			return (-1);
		h[count].name = name;
		h[count].name_len = name_len;
		h[count].value = value;
		h[count].value_len = vend - value;
		count++;
	}
	*pp = p;
	*n = count;
	return (0);
}

static size_t
header_cap(size_t n)
{
	return (n < LIMIT_HTTP_HEADERS ? n : LIMIT_HTTP_HEADERS);
}

static int
request(const char *buf, size_t len, struct http1_request *req)
{
	const char	*p = buf, *end = buf + len, *method, *target;
	size_t		 method_len, target_len, n;
	int		 minor, rc;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (p != end && (*p == '\r' || *p == '\n')) {
		if ((rc = line_end(&p, end)) != 0)
			return (rc);
	}

	method = p;
	while (p != end && is_tchar(*p))
		p++;
	if (p == end)
		return (-2);
	if (*p != ' ' || p == method)
		return (-1);
	method_len = p - method;
	p++;

	/* Anything visible, including obs-text; no SP, controls or DEL. */
	target = p;
	while (p != end && (unsigned char)*p > 0x20 && *p != 0x7f)
		p++;
	if (p == end)
		return (-2);
	if (*p != ' ' || p == target)
		return (-1);
	target_len = p - target;
	p++;

	if ((rc = version(&p, end, 1, &minor)) != 0)
		return (rc);
	if ((rc = line_end(&p, end)) != 0)
		return (rc);
	if ((rc = header_block(&p, end, req->headers,
	    header_cap(req->nheaders), &n)) != 0)
		return (rc);

	req->method = method;
	req->method_len = method_len;
	req->target = target;
	req->target_len = target_len;
	req->minor = minor;
	req->nheaders = n;
	return (p - buf);
}

/*
 * Fills *req only when the head is complete; on -2 and -1 only the
 * contents of req->headers may have changed, so the same request can be
 * passed again once more bytes arrive.
 */
int
core_http1_parse_request(const char *buf, size_t len, struct http1_request *req)
{
	int	rc;

	rc = request(buf, len < LIMIT_HTTP_HEAD ? len : LIMIT_HTTP_HEAD, req);
	if (rc == -2 && len >= LIMIT_HTTP_HEAD)
		rc = -1;
	return (rc);
}

static int
response(const char *buf, size_t len, struct http1_response *resp)
{
	const char	*p = buf, *end = buf + len, *reason;
	size_t		 reason_len, n;
	int		 minor, status = 0, i, rc;

	/* Any HTTP/1 minor: a newer one is read as the highest we know. */
	if ((rc = version(&p, end, 9, &minor)) != 0)
		return (rc);
	if (p == end)
		return (-2);
	if (*p++ != ' ')
		return (-1);
	for (i = 0; i < 3; i++, p++) {
		if (p == end)
			return (-2);
		if (*p < '0' || *p > '9' || (i == 0 && *p == '0'))
			return (-1);
		status = status * 10 + (*p - '0');
	}
	if (p == end)
		return (-2);
	/* The SP before an empty reason is often left out. */
	if (*p == ' ') {
		p++;
		reason = p;
		while (p != end && is_field(*p))
			p++;
		if (p == end)
			return (-2);
		reason_len = p - reason;
	} else {
		reason = p;
		reason_len = 0;
	}
	if ((rc = line_end(&p, end)) != 0)
		return (rc);
	if ((rc = header_block(&p, end, resp->headers,
	    header_cap(resp->nheaders), &n)) != 0)
		return (rc);

	resp->minor = minor;
	resp->status = status;
	resp->reason = reason;
	resp->reason_len = reason_len;
	resp->nheaders = n;
	return (p - buf);
}

/* Like core_http1_parse_request: *resp is filled only on success. */
int
core_http1_parse_response(const char *buf, size_t len,
    struct http1_response *resp)
{
	int	rc;

	rc = response(buf, len < LIMIT_HTTP_HEAD ? len : LIMIT_HTTP_HEAD, resp);
	if (rc == -2 && len >= LIMIT_HTTP_HEAD)
		rc = -1;
	return (rc);
}

/* What the framing headers of one message say, gathered over all lines. */
struct framing_fields {
	int		 has_length;
	uint64_t	 length;
	size_t		 codings;	/* transfer codings listed */
	size_t		 chunked;	/* of which "chunked" */
	int		 last_chunked;	/* last coding is chunked */
	int		 unknown;	/* a coding trawl does not know */
};

/*
 * One Content-Length value: 1*DIGIT, or a list of equal ones (RFC 9110
 * 8.6 lets a recipient accept "5, 5"). Empty elements are refused.
 */
static int
content_length(const char *v, size_t len, uint64_t *out)
{
	size_t		 i = 0, start;
	uint64_t	 value, first = 0;
	int		 have = 0, d;

	for (;;) {
		while (i < len && is_ows(v[i]))
			i++;
		start = i;
		value = 0;
		while (i < len && v[i] >= '0' && v[i] <= '9') {
			d = v[i] - '0';
			if (value > (UINT64_MAX - d) / 10)
				return (-1);
			value = value * 10 + d;
			i++;
		}
		if (i == start)
			return (-1);
		while (i < len && is_ows(v[i]))
			i++;
		if (have && value != first)
			return (-1);
		first = value;
		have = 1;
		if (i == len)
			break;
		if (v[i] != ',')
			return (-1);
		i++;
	}
	*out = first;
	return (0);
}

/*
 * A Transfer-Encoding value: a list of bare coding names. Parameters and
 * empty elements are refused: no coding trawl knows takes parameters, and
 * peers disagree on what "chunked, " means.
 */
static int
transfer_codings(const char *v, size_t len, struct framing_fields *ff)
{
	const char	*tok;
	size_t		 i = 0, start, n;

	for (;;) {
		while (i < len && is_ows(v[i]))
			i++;
		start = i;
		while (i < len && is_tchar(v[i]))
			i++;
		if (i == start)
			return (-1);
		tok = v + start;
		n = i - start;
		while (i < len && is_ows(v[i]))
			i++;
		if (i < len && v[i] != ',')
			return (-1);

		ff->codings++;
		ff->last_chunked = 0;
		if (core_http1_token_eq(tok, n, "chunked")) {
			ff->chunked++;
			ff->last_chunked = 1;
		} else if (!core_http1_token_eq(tok, n, "gzip") &&
		    !core_http1_token_eq(tok, n, "x-gzip") &&
		    !core_http1_token_eq(tok, n, "deflate") &&
		    !core_http1_token_eq(tok, n, "compress") &&
		    !core_http1_token_eq(tok, n, "x-compress"))
			ff->unknown = 1;

		if (i == len)
			break;
		i++;
	}
	return (0);
}

static int
framing_fields(const struct http1_header *h, size_t n,
    struct framing_fields *ff, const char **cause)
{
	uint64_t	 length;
	size_t		 i;

	memset(ff, 0, sizeof *ff);
	for (i = 0; i < n; i++) {
		if (core_http1_token_eq(h[i].name, h[i].name_len,
		    "content-length")) {
			if (content_length(h[i].value, h[i].value_len,
			    &length) != 0) {
				*cause = "invalid Content-Length";
				return (-1);
			}
			if (ff->has_length && length != ff->length) {
				*cause = "conflicting Content-Length values";
				return (-1);
			}
			ff->has_length = 1;
			ff->length = length;
		} else if (core_http1_token_eq(h[i].name, h[i].name_len,
		    "transfer-encoding")) {
			if (transfer_codings(h[i].value, h[i].value_len,
			    ff) != 0) {
				*cause = "invalid Transfer-Encoding";
				return (-1);
			}
		}
	}
	if (ff->codings != 0 && ff->has_length) {
		*cause = "both Content-Length and Transfer-Encoding";
		return (-1);
	}
	if (ff->chunked > 1) {
		*cause = "chunked applied more than once";
		return (-1);
	}
	return (0);
}

/* Sets *f only on success. */
int
core_http1_request_framing(const struct http1_request *req,
    struct http1_framing *f, const char **cause)
{
	struct framing_fields	ff;

	if (framing_fields(req->headers, req->nheaders, &ff, cause) != 0)
		return (-1);
	if (ff.codings != 0) {
		/* RFC 9112 6.1: Transfer-Encoding in 1.0 is faulty framing. */
		if (req->minor == 0) {
			*cause = "Transfer-Encoding in an HTTP/1.0 request";
			return (-1);
		}
		if (ff.unknown) {
			*cause = "unknown transfer coding";
			return (-1);
		}
		if (!ff.last_chunked) {
			*cause = "transfer coding does not end in chunked";
			return (-1);
		}
		f->kind = HTTP1_BODY_CHUNKED;
		f->length = 0;
	} else if (ff.has_length && ff.length != 0) {
		f->kind = HTTP1_BODY_LENGTH;
		f->length = ff.length;
	} else {
		f->kind = HTTP1_BODY_NONE;
		f->length = 0;
	}
	return (0);
}

/*
 * Methods are case-sensitive (RFC 9110 9.1). method may be NULL when the
 * request is not known; then only the status decides. Sets *f only on
 * success.
 */
int
core_http1_response_framing(const struct http1_response *resp,
    const char *method, size_t method_len, struct http1_framing *f,
    const char **cause)
{
	struct framing_fields	ff;
	int			is_head, is_connect;

	is_head = method != NULL && method_len == 4 &&
	    memcmp(method, "HEAD", 4) == 0;
	is_connect = method != NULL && method_len == 7 &&
	    memcmp(method, "CONNECT", 7) == 0;

	/* These never have a body, whatever the headers claim. */
	if (is_head || resp->status < 200 || resp->status == 204 ||
	    resp->status == 304 ||
	    (is_connect && resp->status >= 200 && resp->status < 300)) {
		f->kind = HTTP1_BODY_NONE;
		f->length = 0;
		return (0);
	}

	if (framing_fields(resp->headers, resp->nheaders, &ff, cause) != 0)
		return (-1);
	if (ff.codings != 0) {
		/* RFC 9112 6.3: not ending in chunked means until close. */
		f->kind = ff.last_chunked ? HTTP1_BODY_CHUNKED :
		    HTTP1_BODY_CLOSE;
		f->length = 0;
	} else if (ff.has_length) {
		f->kind = ff.length != 0 ? HTTP1_BODY_LENGTH : HTTP1_BODY_NONE;
		f->length = ff.length;
	} else {
		f->kind = HTTP1_BODY_CLOSE;
		f->length = 0;
	}
	return (0);
}

/*
 * States of a chunked walk; CH_SIZE is 0 so a zeroed struct starts at the
 * first chunk-size line.
 */
enum {
	CH_SIZE,		/* hex digits of a chunk size */
	CH_EXT_WS,		/* BWS after the size: ';' must follow */
	CH_EXT,			/* chunk extensions, up to CR */
	CH_SIZE_LF,		/* CR of the size line seen */
	CH_DATA,		/* left bytes of chunk data */
	CH_DATA_CR,		/* the CRLF after chunk data */
	CH_DATA_LF,
	CH_TRAILER,		/* a trailer line or the final CRLF starts */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF,		/* CR of the final empty line seen */
	CH_DONE,		/* body complete */
	CH_ERROR		/* malformed; stays so */
};

/*
 * Line ends inside chunked framing must be CRLF: a bare LF here is where
 * peers have disagreed about where a chunk ends. Works over any split of
 * the input, one state change per byte outside chunk data.
 */
ssize_t
core_http1_chunked_scan(struct http1_chunked *c, const char *buf, size_t len,
    void (*on_data)(void *, const char *, size_t), void *arg, int *done)
{
	size_t		i = 0, n;
	unsigned char	ch;
	int		d, prev;

	if (done != NULL)
		*done = 0;
	if (c->state == CH_ERROR)
		return (-1);
	if (c->state == CH_DONE) {
		if (done != NULL)
			*done = 1;
		return (0);
	}

	while (i < len) {
		if (c->state == CH_DATA) {
			n = len - i;
			if (n > c->left)
				n = c->left;
			if (on_data != NULL)
				on_data(arg, buf + i, n);
			i += n;
			c->left -= n;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			continue;
		}

		ch = buf[i++];
		prev = c->state;
		switch (c->state) {
		case CH_SIZE:
			if ((d = hex_value(ch)) >= 0) {
				if (c->left > (UINT64_MAX >> 4))
					goto bad;
				c->left = (c->left << 4) | (uint64_t)d;
			} else if (c->line == 0)
				goto bad;
			else if (ch == ';')
				c->state = CH_EXT;
			else if (is_ows(ch))
				c->state = CH_EXT_WS;
			else if (ch == '\r')
				c->state = CH_SIZE_LF;
			else
				goto bad;
			break;
		case CH_EXT_WS:
			if (ch == ';')
				c->state = CH_EXT;
			else if (!is_ows(ch))
				goto bad;
			break;
		case CH_EXT:
			/* CR cannot be quoted, so it always ends the line. */
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!is_field(ch))
				goto bad;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			c->line = 0;
			if (c->left == 0) {
				c->state = CH_TRAILER;
				c->trailers = 0;
			} else
				c->state = CH_DATA;
			break;
		case CH_DATA_CR:
			if (ch != '\r')
				goto bad;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_SIZE;
			c->left = 0;
			c->line = 0;
			break;
		case CH_TRAILER:
			if (ch == '\r')
				c->state = CH_END_LF;
			else if (is_tchar(ch))
				c->state = CH_TRAILER_NAME;
			else
				goto bad;
			break;
		case CH_TRAILER_NAME:
			if (ch == ':')
				c->state = CH_TRAILER_VALUE;
			else if (!is_tchar(ch))
				goto bad;
			break;
		case CH_TRAILER_VALUE:
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (!is_field(ch))
				goto bad;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_TRAILER;
			break;
		case CH_END_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_DONE;
			if (done != NULL)
				*done = 1;
			return (i);
		default:
			goto bad;
		}

		/*
		 * The size line is counted without its CRLF, trailer lines
		 * with theirs, the final empty line not at all.
		 */
		if ((prev == CH_SIZE || prev == CH_EXT_WS || prev == CH_EXT) &&
		    ch != '\r' && ++c->line > LIMIT_HTTP_CHUNK_LINE)
			goto bad;
		if ((prev == CH_TRAILER && ch != '\r') ||
		    prev == CH_TRAILER_NAME || prev == CH_TRAILER_VALUE ||
		    prev == CH_TRAILER_LF) {
			if (++c->trailers > LIMIT_HTTP_TRAILERS)
				goto bad;
			if (c->keep_trailers) {
				if (c->tbuf == NULL &&
				    (c->tbuf = malloc(LIMIT_HTTP_TRAILERS)) == NULL)
					abort();
				c->tbuf[c->tlen++] = (char)ch;
			}
		}
	}
	return (i);

bad:
	c->state = CH_ERROR;
	return (-1);
}

int
core_http1_token_eq(const char *s, size_t n, const char *t)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (t[i] == '\0' || lower(s[i]) != lower(t[i]))
			return (0);
	}
	return (t[n] == '\0');
}

/*
 * Elements are split at commas and trimmed of OWS; parameters after ';'
 * are ignored, so "chunked;x=1" has "chunked". Quoted commas are not
 * understood: no list this is used for has them.
 */
int
core_http1_list_has(const char *v, size_t len, const char *token)
{
	size_t	i = 0, start, stop, j;

	while (i <= len) {
		start = i;
		while (i < len && v[i] != ',')
			i++;
		stop = i;
		for (j = start; j < stop; j++) {
			if (v[j] == ';') {
				stop = j;
				break;
			}
		}
		while (start < stop && is_ows(v[start]))
			start++;
		while (stop > start && is_ows(v[stop - 1]))
			stop--;
		if (core_http1_token_eq(v + start, stop - start, token))
			return (1);
		i++;
	}
	return (0);
}

void
core_http1_chunked_trailers(const struct http1_chunked *c,
    struct http1_header *out, size_t *n)
{
	size_t max = *n, i = 0, k = 0, colon, end, v;

	*n = 0;
	/* The walk checked each line: token, ':', field bytes, CRLF. */
	while (i < c->tlen && k < max) {
		for (colon = i; colon < c->tlen && c->tbuf[colon] != ':'; colon++)
			;
		for (end = colon; end < c->tlen && c->tbuf[end] != '\r'; end++)
			;
		if (colon >= c->tlen || end >= c->tlen)
			break;
		for (v = colon + 1; v < end && is_ows((unsigned char)c->tbuf[v]);
		    v++)
			;
		out[k].name = c->tbuf + i;
		out[k].name_len = colon - i;
		out[k].value = c->tbuf + v;
		out[k].value_len = end - v;
		while (out[k].value_len > 0 && is_ows((unsigned char)
		    out[k].value[out[k].value_len - 1]))
			out[k].value_len--;
		k++;
		i = end + 2;
	}
	*n = k;
}

void
core_http1_chunked_free(struct http1_chunked *c)
{
	free(c->tbuf);
	c->tbuf = NULL;
	c->tlen = 0;
}
