/*
 * bodyfmt.h -- a message body made readable: content codings removed
 * (core/http/decode.h), JSON pretty-printed, form data one field a line,
 * binary as a hex dump. Pure functions, no curses.
 */
#ifndef CORE_BODYFMT_H
#define CORE_BODYFMT_H

#include <stddef.h>

struct flow_headers;
struct flow_body;

enum bodyfmt_kind {
	BODYFMT_EMPTY,
	BODYFMT_TEXT,		/* shown as is (UTF-8) */
	BODYFMT_JSON,		/* re-indented */
	BODYFMT_FORM,		/* "name: value" lines, percent-decoded */
	BODYFMT_HEX,		/* binary: see core_bodyfmt_hex_line */
	BODYFMT_GRPC,		/* application/grpc: each message decoded */
	BODYFMT_PROTOBUF	/* application/x-protobuf: fields decoded */
};

struct bodyfmt {
	enum bodyfmt_kind	 kind;
	char			*text;	/* the display text; for HEX the bytes */
	size_t			 len;
	int			 decoded;	/* a Content-Encoding was removed */
	int			 truncated;	/* only a prefix of the body */
	char			*note;	/* why decoding failed, or NULL */
};

/* Formats a body with the headers that describe it. The caller frees
 * with core_bodyfmt_free. Returns 0 (a failed decoding falls back to the
 * raw bytes with a note). */
int	core_bodyfmt_format(const struct flow_headers *,
	    const struct flow_body *, struct bodyfmt *out);
void	core_bodyfmt_free(struct bodyfmt *);

/* Lines of a hex dump of len bytes (16 bytes a line). */
size_t	core_bodyfmt_hex_lines(size_t len);
/* Line n of the hex dump into out (at least 80 bytes):
 * "00000010  68 65 6c 6c ...  |hell...|". Returns its length. */
size_t	core_bodyfmt_hex_line(const char *data, size_t len, size_t n,
	    char *out, size_t outlen);

/* Pretty-prints JSON text. Returns a malloc'ed string, or NULL when the
 * text is not JSON (unbalanced brackets, stray bytes). A truncated
 * document (partial = 1) may end open. Caller frees. */
char	*core_bodyfmt_json(const char *, size_t, int partial, size_t *outlen);
/* Decodes application/x-www-form-urlencoded text. Caller frees. */
char	*core_bodyfmt_form(const char *, size_t, size_t *outlen);
/* 1 when the bytes are text: valid UTF-8 without NUL or most controls. */
int	core_bodyfmt_is_text(const char *, size_t, int partial);

#endif
