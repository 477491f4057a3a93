/*
 * jsonstream.c -- a pull tokenizer of JSON text read from a descriptor.
 *
 * A state machine over one read buffer: the grammar state and a stack of
 * open containers decide what may come next, so the text is validated as
 * it is read and nothing but the current string is held.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flows/jsonstream.h"

#define READ_SIZE	(64 * 1024)
/* A string buffer past this is given back before the next string. */
#define STR_SHRINK	(1024 * 1024)
#define STR_MIN		256

enum state {
	S_VALUE,	/* a value (or, when first, the ']' of an empty array) */
	S_KEY,		/* a member name (or, when first, '}') */
	S_COLON,	/* the ':' after a member name */
	S_AFTER,	/* ',' or the end of the container */
	S_DONE,		/* the top-level value is complete: only end of file */
	S_ERROR		/* an error was reported */
};

struct jsonstream {
	int		 fd;
	unsigned char	*buf;
	size_t		 pos;
	size_t		 end;
	int		 eof;
	uint64_t	 offset;	/* bytes consumed */
	unsigned long	 line;
	unsigned long	 col;
	enum state	 state;
	int		 first;		/* just after '{' or '[' */
	int		 depth;
	char		 stack[JSONSTREAM_DEPTH];	/* 'o' or 'a' */
	char		*str;
	size_t		 str_cap;
	size_t		 keep;
	char		 num[JSONSTREAM_NUMBER + 1];
	char		*error;
};

/* The string being read. */
struct str {
	size_t		 len;
	uint64_t	 total;
	uint64_t	 b64;
	int		 cut;		/* stopped keeping */
};

static const unsigned char b64_alpha[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
	['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
	['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
	['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1,
	['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

struct jsonstream *
core_jsonstream_new(int fd, size_t keep)
{
	struct jsonstream *js;

	if ((js = calloc(1, sizeof *js)) == NULL)
		return NULL;
	if ((js->buf = malloc(READ_SIZE)) == NULL) {
		free(js);
		return NULL;
	}
	js->fd = fd;
	js->keep = keep < 64 ? 64 : keep;
	js->line = 1;
	js->state = S_VALUE;
	return js;
}

void
core_jsonstream_free(struct jsonstream *js)
{
	if (js == NULL)
		return;
	free(js->buf);
	free(js->str);
	free(js->error);
	free(js);
}

const char *
core_jsonstream_error(const struct jsonstream *js)
{
	return js->error != NULL ? js->error : "no error";
}

uint64_t
core_jsonstream_offset(const struct jsonstream *js)
{
	return js->offset;
}

/* Records the first error, where it happened. Returns JT_ERROR. */
static enum json_tok
fail(struct jsonstream *js, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	js->state = S_ERROR;
	if (js->error != NULL)
		return JT_ERROR;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (asprintf(&js->error, "line %lu, column %lu: %s", js->line, js->col,
	    msg != NULL ? msg : "out of memory") == -1)
		js->error = NULL;
	free(msg);
	return JT_ERROR;
}

/* 1 with bytes in the buffer, 0 at end of file, -1 on a read error. */
static int
fill(struct jsonstream *js)
{
	ssize_t r;

	if (js->eof)
		return 0;
	for (;;) {
		r = read(js->fd, js->buf, READ_SIZE);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fail(js, "read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			js->eof = 1;
			return 0;
		}
		js->pos = 0;
		js->end = (size_t)r;
		return 1;
	}
}

/* The next byte, not consumed; -1 at end of file or on a read error. */
static inline int
peekc(struct jsonstream *js)
{
	if (js->pos == js->end && fill(js) <= 0)
		return -1;
	return js->buf[js->pos];
}

static inline int
getc_(struct jsonstream *js)
{
	int c = peekc(js);

	if (c == -1)
		return -1;
	js->pos++;
	js->offset++;
	if (c == '\n') {
		js->line++;
		js->col = 0;
	} else
		js->col++;
	return c;
}

/* Consumes n bytes of an ASCII run with no newline in it. */
static inline void
advance(struct jsonstream *js, size_t n)
{
	js->pos += n;
	js->offset += n;
	js->col += n;
}

/* A read error was already reported, or the text ended too soon. */
static enum json_tok
eof_or_error(struct jsonstream *js, const char *what)
{
	if (js->state == S_ERROR)
		return JT_ERROR;
	return fail(js, "unexpected end of file %s", what);
}

static int
skip_ws(struct jsonstream *js)
{
	unsigned char c;

	for (;;) {
		if (js->pos == js->end && fill(js) <= 0)
			return -1;
		c = js->buf[js->pos];
		if (c == '\n') {
			getc_(js);
			continue;
		}
		if (c != ' ' && c != '\t' && c != '\r')
			return c;
		advance(js, 1);
	}
}

/* Keeps p[0..n) unless the string is past keep. n is one character. */
static int
keep_bytes(struct jsonstream *js, struct str *st, const void *p, size_t n)
{
	size_t cap;
	char *s;

	st->total += n;
	if (st->cut)
		return 0;
	if (st->len + n > js->keep) {
		st->cut = 1;
		return 0;
	}
	if (st->len + n + 1 > js->str_cap) {
		cap = js->str_cap < STR_MIN ? STR_MIN : js->str_cap;
		while (cap < st->len + n + 1)
			cap *= 2;
		if (cap > js->keep + 1)
			cap = js->keep + 1;
		if ((s = realloc(js->str, cap)) == NULL) {
			fail(js, "out of memory");
			return -1;
		}
		js->str = s;
		js->str_cap = cap;
	}
	memcpy(js->str + st->len, p, n);
	st->len += n;
	return 0;
}

/* A run of ASCII characters: keeps what fits, never part of one. */
static int
keep_run(struct jsonstream *js, struct str *st, const unsigned char *p,
    size_t n)
{
	size_t room;

	if (!st->cut && st->len + n > js->keep) {
		room = js->keep - st->len;
		if (keep_bytes(js, st, p, room) == -1)
			return -1;
		st->total += n - room;
		st->cut = 1;
		return 0;
	}
	if (st->cut) {
		st->total += n;
		return 0;
	}
	return keep_bytes(js, st, p, n);
}

static int
hex4(struct jsonstream *js, unsigned *out)
{
	unsigned v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = getc_(js);
		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (unsigned)(c - 'A' + 10);
		else {
			if (c == -1)
				eof_or_error(js, "in a \\u escape");
			else
				fail(js, "invalid escape");
			return -1;
		}
	}
	*out = v;
	return 0;
}

/* After a backslash. */
static int
escape(struct jsonstream *js, struct str *st, int key)
{
	unsigned char u[4];
	unsigned cp, lo;
	size_t n;
	int c;

	c = getc_(js);
	switch (c) {
	case '"': case '\\': case '/':
		u[0] = (unsigned char)c;
		break;
	case 'b': u[0] = '\b'; break;
	case 'f': u[0] = '\f'; break;
	case 'n': u[0] = '\n'; break;
	case 'r': u[0] = '\r'; break;
	case 't': u[0] = '\t'; break;
	case 'u':
		if (hex4(js, &cp) == -1)
			return -1;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			fail(js, "invalid Unicode '\\u%04X'", cp);
			return -1;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (getc_(js) != '\\' || getc_(js) != 'u') {
				fail(js, "invalid Unicode '\\u%04X'", cp);
				return -1;
			}
			if (hex4(js, &lo) == -1)
				return -1;
			if (lo < 0xdc00 || lo > 0xdfff) {
				fail(js, "invalid Unicode '\\u%04X\\u%04X'", cp,
				    lo);
				return -1;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0 && key) {
			fail(js, "NUL byte in object key not supported");
			return -1;
		}
		if (cp < 0x80) {
			u[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = 0xc0 | cp >> 6;
			u[1] = 0x80 | (cp & 0x3f);
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = 0xe0 | cp >> 12;
			u[1] = 0x80 | (cp >> 6 & 0x3f);
			u[2] = 0x80 | (cp & 0x3f);
			n = 3;
		} else {
			u[0] = 0xf0 | cp >> 18;
			u[1] = 0x80 | (cp >> 12 & 0x3f);
			u[2] = 0x80 | (cp >> 6 & 0x3f);
			u[3] = 0x80 | (cp & 0x3f);
			n = 4;
		}
		if (n == 1)
			st->b64 += b64_alpha[u[0]];
		return keep_bytes(js, st, u, n);
	case -1:
		eof_or_error(js, "in a string");
		return -1;
	default:
		fail(js, "invalid escape");
		return -1;
	}
	st->b64 += b64_alpha[u[0]];
	return keep_bytes(js, st, u, 1);
}

/* A UTF-8 sequence whose lead byte c was consumed (RFC 3629). */
static int
utf8(struct jsonstream *js, struct str *st, int c)
{
	unsigned char u[4], lo = 0x80, hi = 0xbf;
	size_t n, i;
	int d;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		goto bad;
	u[0] = (unsigned char)c;
	for (i = 1; i < n; i++) {
		if ((d = getc_(js)) == -1) {
			eof_or_error(js, "in a string");
			return -1;
		}
		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xbf))
			goto bad;
		u[i] = (unsigned char)d;
	}
	return keep_bytes(js, st, u, n);
bad:
	fail(js, "invalid UTF-8 in a string");
	return -1;
}

/* After the opening quote. */
static int
lex_string(struct jsonstream *js, struct json_tokval *v, int key)
{
	struct str st;
	const unsigned char *p, *q, *e;
	uint64_t b64 = 0;
	int c;

	memset(&st, 0, sizeof st);
	if (js->str_cap > STR_SHRINK) {
		free(js->str);
		js->str = NULL;
		js->str_cap = 0;
	}
	for (;;) {
		if (js->pos == js->end && fill(js) <= 0) {
			eof_or_error(js, "in a string");
			return -1;
		}
		p = q = js->buf + js->pos;
		e = js->buf + js->end;
		while (q < e && *q >= 0x20 && *q < 0x80 && *q != '"' &&
		    *q != '\\')
			b64 += b64_alpha[*q++];
		if (q > p) {
			if (keep_run(js, &st, p, (size_t)(q - p)) == -1)
				return -1;
			advance(js, (size_t)(q - p));
		}
		if (q == e)
			continue;
		c = getc_(js);
		if (c == '"')
			break;
		if (c == '\\') {
			if (escape(js, &st, key) == -1)
				return -1;
		} else if (c < 0x20) {
			fail(js, "control character 0x%x in a string", c);
			return -1;
		} else if (utf8(js, &st, c) == -1)
			return -1;
	}
	/* Even an empty or uncut string has a buffer to point at. */
	if (js->str == NULL) {
		if ((js->str = malloc(STR_MIN)) == NULL) {
			fail(js, "out of memory");
			return -1;
		}
		js->str_cap = STR_MIN;
	}
	js->str[st.len] = '\0';
	v->s = js->str;
	v->len = st.len;
	v->total = st.total;
	v->b64 = st.b64 + b64;
	return 0;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static enum json_tok
lex_number(struct jsonstream *js, struct json_tokval *v)
{
	size_t n = 0;
	int real = 0;
	char *end;

#define TAKE() do {							\
	if (n == JSONSTREAM_NUMBER)					\
		return fail(js, "number longer than %d characters",	\
		    JSONSTREAM_NUMBER);					\
	js->num[n++] = (char)getc_(js);					\
} while (0)

	if (peekc(js) == '-')
		TAKE();
	if (peekc(js) == '0')
		TAKE();
	else if (isdig(peekc(js)))
		while (isdig(peekc(js)))
			TAKE();
	else
		goto bad;
	if (peekc(js) == '.') {
		real = 1;
		TAKE();
		if (!isdig(peekc(js)))
			goto bad;
		while (isdig(peekc(js)))
			TAKE();
	}
	if (peekc(js) == 'e' || peekc(js) == 'E') {
		real = 1;
		TAKE();
		if (peekc(js) == '+' || peekc(js) == '-')
			TAKE();
		if (!isdig(peekc(js)))
			goto bad;
		while (isdig(peekc(js)))
			TAKE();
	}
#undef TAKE
	if (js->state == S_ERROR)
		return JT_ERROR;
	js->num[n] = '\0';
	errno = 0;
	if (!real) {
		v->i = strtoll(js->num, &end, 10);
		if (errno == ERANGE)
			return fail(js, js->num[0] == '-' ?
			    "too big negative integer" : "too big integer");
		return JT_INTEGER;
	}
	v->d = strtod(js->num, &end);
	if (errno == ERANGE && (v->d == HUGE_VAL || v->d == -HUGE_VAL))
		return fail(js, "real number overflow");
	return JT_REAL;
bad:
	if (js->state == S_ERROR)
		return JT_ERROR;
	return fail(js, "invalid number");
}

static enum json_tok
literal(struct jsonstream *js, const char *word, enum json_tok t)
{
	for (; *word != '\0'; word++)
		if (getc_(js) != *word)
			return js->state == S_ERROR ? JT_ERROR :
			    fail(js, "invalid token");
	return t;
}

static void
after_value(struct jsonstream *js)
{
	js->state = js->depth == 0 ? S_DONE : S_AFTER;
}

static enum json_tok
close_container(struct jsonstream *js, struct json_tokval *v)
{
	getc_(js);
	js->depth--;
	v->level = js->depth;
	after_value(js);
	return js->stack[js->depth] == 'o' ? JT_OBJECT_END : JT_ARRAY_END;
}

static enum json_tok
open_container(struct jsonstream *js, char kind)
{
	if (js->depth == JSONSTREAM_DEPTH)
		return fail(js, "nested deeper than %d", JSONSTREAM_DEPTH);
	getc_(js);
	js->stack[js->depth++] = kind;
	js->state = kind == 'o' ? S_KEY : S_VALUE;
	js->first = 1;
	return kind == 'o' ? JT_OBJECT : JT_ARRAY;
}

static enum json_tok
value(struct jsonstream *js, int c, struct json_tokval *v)
{
	enum json_tok t;

	v->level = js->depth;
	switch (c) {
	case '{':
		return open_container(js, 'o');
	case '[':
		return open_container(js, 'a');
	case '"':
		getc_(js);
		if (lex_string(js, v, 0) == -1)
			return JT_ERROR;
		t = JT_STRING;
		break;
	case 't':
		t = literal(js, "true", JT_TRUE);
		break;
	case 'f':
		t = literal(js, "false", JT_FALSE);
		break;
	case 'n':
		t = literal(js, "null", JT_NULL);
		break;
	case -1:
		return eof_or_error(js, "where a value was expected");
	default:
		if (c == '-' || isdig(c)) {
			t = lex_number(js, v);
			break;
		}
		return fail(js, "invalid token");
	}
	if (t != JT_ERROR)
		after_value(js);
	return t;
}

enum json_tok
core_jsonstream_next(struct jsonstream *js, struct json_tokval *v)
{
	int c, top;

	memset(v, 0, sizeof *v);
	for (;;) {
		if (js->state == S_ERROR)
			return JT_ERROR;
		c = skip_ws(js);
		if (js->state == S_ERROR)
			return JT_ERROR;
		top = js->depth > 0 ? js->stack[js->depth - 1] : 0;
		switch (js->state) {
		case S_DONE:
			if (c == -1)
				return JT_END;
			return fail(js, "end of file expected");
		case S_COLON:
			if (c != ':')
				return c == -1 ? eof_or_error(js, "after a key") :
				    fail(js, "':' expected");
			getc_(js);
			js->state = S_VALUE;
			js->first = 0;
			continue;
		case S_AFTER:
			if (c == ',') {
				getc_(js);
				js->state = top == 'o' ? S_KEY : S_VALUE;
				js->first = 0;
				continue;
			}
			if ((c == '}' && top == 'o') || (c == ']' && top == 'a'))
				return close_container(js, v);
			if (c == -1)
				return eof_or_error(js, top == 'o' ?
				    "in an object" : "in an array");
			return fail(js, top == 'o' ? "',' or '}' expected" :
			    "',' or ']' expected");
		case S_KEY:
			if (c == '}' && js->first)
				return close_container(js, v);
			if (c != '"')
				return c == -1 ? eof_or_error(js, "in an object") :
				    fail(js, "string or '}' expected");
			getc_(js);
			v->level = js->depth;
			if (lex_string(js, v, 1) == -1)
				return JT_ERROR;
			js->state = S_COLON;
			return JT_KEY;
		case S_VALUE:
			if (c == ']' && js->first)
				return close_container(js, v);
			return value(js, c, v);
		case S_ERROR:
			return JT_ERROR;
		}
	}
}

int
core_jsonstream_skip(struct jsonstream *js, enum json_tok t)
{
	struct json_tokval v;
	size_t keep = js->keep;
	int target;

	if (t != JT_OBJECT && t != JT_ARRAY)
		return t == JT_ERROR ? -1 : 0;
	/* Strings of a skipped value are counted, not kept. */
	js->keep = 0;
	target = js->depth - 1;
	while (js->depth > target)
		if (core_jsonstream_next(js, &v) == JT_ERROR)
			break;
	js->keep = keep;
	return js->state == S_ERROR ? -1 : 0;
}
