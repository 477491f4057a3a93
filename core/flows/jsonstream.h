/*
 * jsonstream.h -- a pull reader of JSON text (RFC 8259) from a file
 * descriptor, one token at a time, in memory that does not grow with the
 * text: a fixed read buffer, a fixed nesting stack and, per string, at
 * most `keep` bytes (the rest of a longer string is counted, not kept).
 *
 * It accepts what jansson's json_loadb(JSON_ALLOW_NUL) accepts, with the
 * same refusals: invalid UTF-8, lone surrogates, control characters in
 * strings, integers outside long long, reals that overflow, NUL in object
 * keys, anything but whitespace after the top-level value. It also
 * refuses nesting deeper than JSONSTREAM_DEPTH and numbers longer than
 * JSONSTREAM_NUMBER characters.
 *
 * After the first error every call returns JT_ERROR again;
 * core_jsonstream_error says what and where ("line L, column C: ...").
 */
#ifndef CORE_JSONSTREAM_H
#define CORE_JSONSTREAM_H

#include <stddef.h>
#include <stdint.h>

/* Containers open at once; HAR needs 7. */
#define JSONSTREAM_DEPTH	128
/* Characters of one number. */
#define JSONSTREAM_NUMBER	512

struct jsonstream;

enum json_tok {
	JT_ERROR = -1,		/* see core_jsonstream_error */
	JT_END,			/* the text is complete, end of file reached */
	JT_OBJECT,		/* { */
	JT_OBJECT_END,		/* } */
	JT_ARRAY,		/* [ */
	JT_ARRAY_END,		/* ] */
	JT_KEY,			/* an object member's name (a string) */
	JT_STRING,
	JT_INTEGER,
	JT_REAL,
	JT_TRUE,
	JT_FALSE,
	JT_NULL
};

/* What the last token carried. */
struct json_tokval {
	/*
	 * JT_KEY, JT_STRING: the first len bytes of the unescaped string,
	 * NUL-terminated, valid UTF-8 (never cut inside a character), owned
	 * by the reader until the next call. total is the length of the
	 * whole string; total > len when it was longer than keep. b64 counts
	 * its bytes in the base64 alphabet (A-Z a-z 0-9 + /), so that a
	 * caller can size base64 text it did not keep.
	 */
	const char	*s;
	size_t		 len;
	uint64_t	 total;
	uint64_t	 b64;
	long long	 i;		/* JT_INTEGER */
	double		 d;		/* JT_REAL */
	/* Containers around the token; for JT_*_END, around the container
	 * that ended (the same as for its opening token). */
	int		 level;
};

/*
 * A reader of fd from its current offset; keep bytes of each string are
 * kept (at least 64 are). Does not own fd. NULL when out of memory.
 */
struct jsonstream	*core_jsonstream_new(int fd, size_t keep);
void			 core_jsonstream_free(struct jsonstream *);

/* The next token; *v is filled for it. */
enum json_tok		 core_jsonstream_next(struct jsonstream *,
			    struct json_tokval *v);

/*
 * Reads past the rest of a value whose first token t was just returned
 * (nothing to do for a scalar). Returns 0, or -1 on an error.
 */
int			 core_jsonstream_skip(struct jsonstream *,
			    enum json_tok t);

/* The message of the error JT_ERROR reported; owned by the reader. */
const char		*core_jsonstream_error(const struct jsonstream *);

/* Bytes of the text consumed so far. */
uint64_t		 core_jsonstream_offset(const struct jsonstream *);

#endif
