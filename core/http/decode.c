/*
 * decode.c -- removes gzip, deflate, br and zstd content codings.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "core/http/decode.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"

/* No real server stacks more codings than this; more is an attack. */
#define DECODE_MAX_CODINGS	8
/* RFC 9659 lets zstd decoders refuse windows above 8 MiB (log 23). */
#define DECODE_ZSTD_WINDOW_LOG	23

enum coding {
	CODING_GZIP,
	CODING_DEFLATE,
	CODING_BR,
	CODING_ZSTD
};

static const char *coding_names[] = { "gzip", "deflate", "br", "zstd" };

/*
 * Splits a Content-Encoding value into codings, identity dropped. Returns
 * the number of codings or -1 on an unknown one.
 */
static int
parse_codings(const char *ce, enum coding *v, char **cause)
{
	const char *p = ce, *tok;
	size_t len;
	int n = 0;

	if (ce == NULL)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ',')
			p++;
		len = p - tok;
		while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			len--;
		if (len == 8 && strncasecmp(tok, "identity", len) == 0)
			continue;
		if (n == DECODE_MAX_CODINGS) {
			core_cause(cause, "more than %d content codings",
			    DECODE_MAX_CODINGS);
			return -1;
		}
		if ((len == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (len == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			v[n++] = CODING_GZIP;
		else if (len == 7 && strncasecmp(tok, "deflate", 7) == 0)
			v[n++] = CODING_DEFLATE;
		else if (len == 2 && strncasecmp(tok, "br", 2) == 0)
			v[n++] = CODING_BR;
		else if (len == 4 && strncasecmp(tok, "zstd", 4) == 0)
			v[n++] = CODING_ZSTD;
		else {
			core_cause(cause, "unknown content coding: %.*s",
			    (int)(len > 64 ? 64 : len), tok);
			return -1;
		}
	}
	return n;
}

int
core_decode_needed(const char *content_encoding)
{
	enum coding v[DECODE_MAX_CODINGS];

	/* Unknown codings count as needed: decoding then fails, honestly. */
	return parse_codings(content_encoding, v, NULL) != 0;
}

/*
 * Makes room for more output. Returns the bytes writable at
 * o->buf + o->len (never past the cap, one byte kept for the NUL), 0 at
 * the cap.
 */
static size_t
room(struct decode_out *o)
{
	size_t want;
	char *nb;

	if (o->len >= LIMIT_DECODED_BODY)
		return 0;
	if (o->size < o->len + 2) {
		want = o->size < 16384 ? 16384 : o->size * 2;
		if (want > (size_t)LIMIT_DECODED_BODY + 1)
			want = (size_t)LIMIT_DECODED_BODY + 1;
		if ((nb = realloc(o->buf, want)) == NULL)
			abort();	/* out of memory: not survivable */
		o->buf = nb;
		o->size = want;
	}
	want = o->size - 1 - o->len;
	if (want > LIMIT_DECODED_BODY - o->len)
		want = LIMIT_DECODED_BODY - o->len;
	/* zlib counts in uInt. */
	return want > UINT_MAX ? UINT_MAX : want;
}

/* The end of the input came before the end of the stream. */
static int
ended_early(struct decode_out *o, enum coding c, int flags, char **cause)
{
	if (flags & DECODE_PARTIAL) {
		o->truncated = 1;
		return 0;
	}
	core_cause(cause, "%s: body ends before the end of the stream",
	    coding_names[c]);
	return -1;
}

static int
is_zlib_header(const unsigned char *p, size_t len)
{
	return len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 &&
	    ((p[0] << 8) | p[1]) % 31 == 0;
}

static int
dec_zlib(struct decode_out *o, enum coding c, const char *in, size_t len,
    int flags, char **cause)
{
	z_stream z;
	size_t n;
	int rc, ret = -1, wbits;

	if (len > UINT_MAX) {
		core_cause(cause, "%s: body too large", coding_names[c]);
		return -1;
	}
	/*
	 * "deflate" means zlib-wrapped deflate, but servers send raw deflate
	 * often enough that browsers accept both; the header tells them
	 * apart. gzip also accepts a zlib stream (15 + 32: auto-detect).
	 */
	if (c == CODING_GZIP)
		wbits = 15 + 32;
	else if (is_zlib_header((const unsigned char *)in, len))
		wbits = 15;
	else
		wbits = -15;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, wbits) != Z_OK) {
		core_cause(cause, "%s: cannot start zlib", coding_names[c]);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = len;
	for (;;) {
		if ((n = room(o)) == 0) {
			o->truncated = 1;
			ret = 0;
			break;
		}
		z.next_out = (Bytef *)o->buf + o->len;
		z.avail_out = n;
		rc = inflate(&z, Z_NO_FLUSH);
		o->len += n - z.avail_out;
		if (rc == Z_STREAM_END) {
			/* gzip allows several members one after another. */
			if (c == CODING_GZIP && z.avail_in >= 2 &&
			    z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
				inflateReset(&z);
				continue;
			}
			ret = 0;	/* bytes after the end are ignored */
			break;
		}
		if (rc == Z_OK || rc == Z_BUF_ERROR) {
			if (z.avail_out == 0)
				continue;	/* more output to come */
			if (z.avail_in == 0) {
				ret = ended_early(o, c, flags, cause);
				break;
			}
		}
		core_cause(cause, "%s: %s", coding_names[c],
		    z.msg != NULL ? z.msg : "corrupt stream");
		break;
	}
	inflateEnd(&z);
	return ret;
}

static int
dec_br(struct decode_out *o, const char *in, size_t len, int flags,
    char **cause)
{
	BrotliDecoderState *s;
	BrotliDecoderResult r;
	const uint8_t *next_in = (const uint8_t *)in;
	uint8_t *next_out;
	size_t avail_in = len, avail_out, n;
	int ret = -1;

	if ((s = BrotliDecoderCreateInstance(NULL, NULL, NULL)) == NULL)
		abort();	/* out of memory is not survivable here */
	for (;;) {
		if ((n = room(o)) == 0) {
			o->truncated = 1;
			ret = 0;
			break;
		}
		next_out = (uint8_t *)o->buf + o->len;
		avail_out = n;
		r = BrotliDecoderDecompressStream(s, &avail_in, &next_in,
		    &avail_out, &next_out, NULL);
		o->len += n - avail_out;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			ret = 0;
			break;
		}
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
			continue;
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
			ret = ended_early(o, CODING_BR, flags, cause);
			break;
		}
		core_cause(cause, "br: %s",
		    BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
		break;
	}
	BrotliDecoderDestroyInstance(s);
	return ret;
}

static int
dec_zstd(struct decode_out *o, const char *in, size_t len, int flags,
    char **cause)
{
	ZSTD_DCtx *d;
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob;
	size_t n, rc = 1;
	int ret = -1;

	if ((d = ZSTD_createDCtx()) == NULL)
		abort();	/* out of memory is not survivable here */
	/* A hostile frame could otherwise ask for a 2 GiB window. */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, DECODE_ZSTD_WINDOW_LOG);
	for (;;) {
		if ((n = room(o)) == 0) {
			o->truncated = 1;
			ret = 0;
			break;
		}
		ob.dst = o->buf + o->len;
		ob.size = n;
		ob.pos = 0;
		rc = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(rc)) {
			core_cause(cause, "zstd: %s", ZSTD_getErrorName(rc));
			break;
		}
		o->len += ob.pos;
		/* rc == 0: a frame ended and is flushed; more may follow. */
		if (rc == 0 && ib.pos == ib.size) {
			ret = 0;
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size) {
			ret = ended_early(o, CODING_ZSTD, flags, cause);
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return ret;
}

static int
dec_one(struct decode_out *o, enum coding c, const char *in, size_t len,
    int flags, char **cause)
{
	o->len = 0;
	switch (c) {
	case CODING_GZIP:
	case CODING_DEFLATE:
		return dec_zlib(o, c, in, len, flags, cause);
	case CODING_BR:
		return dec_br(o, in, len, flags, cause);
	case CODING_ZSTD:
		return dec_zstd(o, in, len, flags, cause);
	}
	abort();
}

static void
copy_plain(struct decode_out *o, const char *data, size_t len)
{
	size_t n, take;

	o->len = 0;
	while (o->len < len && (n = room(o)) != 0) {
		take = len - o->len < n ? len - o->len : n;
		memcpy(o->buf + o->len, data + o->len, take);
		o->len += take;
	}
	if (o->len < len)
		o->truncated = 1;
}

int
core_decode_into(struct decode_out *o, const char *content_encoding,
    const char *data, size_t len, int flags, char **cause)
{
	enum coding v[DECODE_MAX_CODINGS];
	struct decode_out tmp[2];
	const char *in = data;
	size_t in_len = len;
	int n, i, ret = -1, truncated = 0, t = 0;

	if (cause != NULL)
		*cause = NULL;
	memset(tmp, 0, sizeof tmp);
	o->len = 0;
	o->truncated = 0;
	if ((n = parse_codings(content_encoding, v, cause)) == -1)
		goto out;
	if (n == 0) {
		copy_plain(o, data, len);
		truncated = o->truncated;
		ret = 0;
		goto out;
	}
	/* Right to left; every stage but the last writes to a temporary. */
	for (i = n - 1; i >= 0; i--) {
		struct decode_out *dst = (i == 0) ? o : &tmp[t];

		dst->truncated = 0;
		/* After a cut stage the next one only sees a prefix. */
		if (dec_one(dst, v[i], in, in_len,
		    truncated ? flags | DECODE_PARTIAL : flags, cause) == -1)
			goto out;
		truncated |= dst->truncated;
		in = dst->buf != NULL ? dst->buf : "";
		in_len = dst->len;
		t ^= 1;
	}
	ret = 0;
out:
	free(tmp[0].buf);
	free(tmp[1].buf);
	if (ret == -1)
		o->len = 0;
	o->truncated = ret == 0 ? truncated : 0;
	if (o->buf != NULL)
		o->buf[o->len] = '\0';
	return ret;
}

int
core_decode_body(const char *content_encoding, const char *data, size_t len,
    char **out, size_t *out_len, char **cause)
{
	struct decode_out o;

	memset(&o, 0, sizeof o);
	*out = NULL;
	*out_len = 0;
	if (core_decode_into(&o, content_encoding, data, len, 0, cause) == -1) {
		free(o.buf);
		return -1;
	}
	if (o.buf == NULL && (o.buf = calloc(1, 1)) == NULL)
		abort();	/* out of memory is not survivable here */
	*out = o.buf;
	*out_len = o.len;
	return 0;
}
