/*
 * decode.h -- removes HTTP content codings (gzip, deflate, br, zstd) from a
 * body, for display and for the filter language.
 *
 * A Content-Encoding value lists codings in the order they were applied
 * ("gzip, br" = gzip first, then br), so they are removed right to left.
 * "identity" (and an empty value) decodes to a copy. The output never grows
 * past LIMIT_DECODED_BODY: a body that would is cut there and reported as
 * truncated, so a decompression bomb costs at most that much memory.
 *
 * Bodies that a flow keeps are a prefix of what crossed the wire; with
 * DECODE_PARTIAL the decoders accept input that ends in the middle of a
 * stream and return what they could decode (truncated = 1).
 */
#ifndef CORE_DECODE_H
#define CORE_DECODE_H

#include <stddef.h>

/* Input may stop before the end of the compressed stream. */
#define DECODE_PARTIAL	0x1

/* A growable output buffer, reused across calls to avoid allocating. */
struct decode_out {
	char	*buf;		/* realloc'ed as needed; the owner frees */
	size_t	 size;		/* bytes allocated */
	size_t	 len;		/* bytes decoded by the last call */
	int	 truncated;	/* cut at the cap, or the input ended early */
};

/*
 * Decodes data into a malloc'ed *out (NUL-terminated, the NUL not counted
 * in *out_len). Returns 0, or -1 with *cause (when cause is not NULL) set
 * to a malloc'ed message such as "unknown content coding: foo"; the caller
 * then shows the raw bytes. Caller frees *out and *cause.
 */
int	 core_decode_body(const char *content_encoding, const char *data,
	    size_t len, char **out, size_t *out_len, char **cause);

/*
 * Same, into o->buf, which it grows (never shrinks) as needed, so a caller
 * that decodes many bodies allocates only while the largest one grows.
 * On -1, o->len is 0 and o->buf stays valid. flags: DECODE_PARTIAL.
 * The caller owns o->buf (free it when done); cause as above.
 */
int	 core_decode_into(struct decode_out *o, const char *content_encoding,
	    const char *data, size_t len, int flags, char **cause);

/*
 * 1 when the Content-Encoding value asks for real decoding (some coding
 * other than identity), 0 when the body is already plain (NULL, empty,
 * "identity").
 */
int	 core_decode_needed(const char *content_encoding);

#endif
