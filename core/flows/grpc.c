/*
 * grpc.c -- gRPC framing and protobuf wire format as text, no schema
 * (see grpc.h for what the text looks like and why).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/grpc.h"
#include "core/http/decode.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"

/* Protobuf wire types. */
enum {
	WT_VARINT = 0,
	WT_I64 = 1,
	WT_LEN = 2,
	WT_SGROUP = 3,		/* deprecated groups: refused */
	WT_EGROUP = 4,
	WT_I32 = 5
};

/* What text_kind finds in a length-delimited value. */
enum {
	K_BINARY,
	K_TEXT,			/* UTF-8, mostly free of controls */
	K_PRINTABLE		/* UTF-8 without any control character */
};

struct field {
	uint32_t		 num;
	int			 wt;	/* -1 until the tag has been read */
	uint64_t		 v;	/* varint, fixed64, fixed32; WT_LEN: length */
	const unsigned char	*p;	/* WT_LEN: the value, NULL until known */
	size_t			 avail;	/* WT_LEN: bytes of it present */
};

struct out {
	struct buf	 b;
	int		 full;	/* LIMIT_GRPC_TEXT reached: nothing more goes in */
	int		 base;	/* indentation of depth 0, in levels */
};

static void	render(struct out *, const unsigned char *, size_t, int depth,
		    int cut);

/*
 * Reads a varint at p[*i], moving *i past it. Returns 0, -2 when len ends
 * inside it, -1 when it runs past 10 bytes or 64 bits.
 */
static int
varint(const unsigned char *p, size_t len, size_t *i, uint64_t *v)
{
	uint64_t r = 0;
	size_t k;

	for (k = 0; k < 10; k++) {
		unsigned char c;

		if (*i + k >= len)
			return -2;
		c = p[*i + k];
		if (k == 9 && c > 1)
			return -1;
		r |= (uint64_t)(c & 0x7f) << (7 * k);
		if (!(c & 0x80)) {
			*i += k + 1;
			*v = r;
			return 0;
		}
	}
	return -1;
}

static uint64_t
le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/*
 * Reads the field at p[*i] into f, moving *i past it. Returns 0; -2 when
 * len ends inside it (f->wt is set once the tag has been read; for WT_LEN
 * with its length read, f->p and f->avail hold the part present); -1 when
 * malformed, *why saying how.
 */
static int
read_field(const unsigned char *p, size_t len, size_t *i, struct field *f,
    const char **why)
{
	uint64_t tag;
	size_t j = *i;
	int r;

	memset(f, 0, sizeof *f);
	f->wt = -1;
	*why = "the data ends inside a field";
	if ((r = varint(p, len, &j, &tag)) != 0) {
		if (r == -1)
			*why = "a tag longer than 10 bytes";
		return r;
	}
	if (tag >> 3 == 0 || tag > UINT32_MAX) {
		*why = tag >> 3 == 0 ? "field number 0" :
		    "a field number past 2^29";
		return -1;
	}
	f->num = (uint32_t)(tag >> 3);
	f->wt = (int)(tag & 7);
	switch (f->wt) {
	case WT_VARINT:
		if ((r = varint(p, len, &j, &f->v)) == -1)
			*why = "a varint longer than 10 bytes";
		break;
	case WT_I64:
	case WT_I32: {
		size_t n = f->wt == WT_I64 ? 8 : 4;

		if (len - j < n) {
			r = -2;
			break;
		}
		f->v = le(p + j, (int)n);
		j += n;
		break;
	}
	case WT_LEN:
		if ((r = varint(p, len, &j, &f->v)) != 0) {
			if (r == -1)
				*why = "a length longer than 10 bytes";
			break;
		}
		f->p = p + j;
		f->avail = f->v < len - j ? (size_t)f->v : len - j;
		if (f->v > len - j) {
			*why = "a length-delimited field runs past the end";
			r = -2;
			break;
		}
		j += f->avail;
		break;
	case WT_SGROUP:
	case WT_EGROUP:
		*why = "a group (wire type 3 or 4, deprecated, not decoded)";
		r = -1;
		break;
	default:
		*why = f->wt == 6 ? "wire type 6" : "wire type 7";
		r = -1;
		break;
	}
	if (r == 0)
		*i = j;
	return r;
}

/* 0 when p[0..len) is whole fields (cut: the last may be cut short). */
static int
scan(const unsigned char *p, size_t len, int cut)
{
	struct field f;
	const char *why;
	size_t i = 0;
	int r;

	while (i < len) {
		r = read_field(p, len, &i, &f, &why);
		if (r == -2 && cut)
			return 0;
		if (r != 0)
			return -1;
	}
	return 0;
}

/*
 * Bytes of the UTF-8 character at p (len > 0), 0 when it is not valid
 * UTF-8 (overlong forms and surrogates included), -1 when len ends inside
 * what would be a valid one.
 */
static int
utf8_char(const unsigned char *p, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (k = 1; k < n; k++) {
		if ((size_t)k >= len)
			return -1;
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* C0 and C1 controls and DEL; n bytes of a valid character at p. */
static int
is_control(const unsigned char *p, int n)
{
	if (n == 1)
		return p[0] < 0x20 || p[0] == 0x7f;
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

static int
text_kind(const unsigned char *p, size_t len, int cut)
{
	size_t i = 0, ctl = 0;
	int strict = 1, n;

	while (i < len) {
		if (p[i] == 0)
			return K_BINARY;
		n = utf8_char(p + i, len - i);
		if (n < 0 && cut)
			break;
		if (n <= 0)
			return K_BINARY;
		if (is_control(p + i, n)) {
			strict = 0;
			if (p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
				ctl++;
		}
		i += (size_t)n;
	}
	if (strict)
		return K_PRINTABLE;
	/* A few stray controls in text are fine; many mean binary. */
	return ctl * 20 <= len ? K_TEXT : K_BINARY;
}

/* Appends within LIMIT_GRPC_TEXT, never cutting a UTF-8 character. */
static void
put(struct out *o, const void *s, size_t n)
{
	const unsigned char *u = s;
	size_t room;

	if (o->full)
		return;
	if (o->b.len + n > LIMIT_GRPC_TEXT) {
		room = LIMIT_GRPC_TEXT - o->b.len;
		while (room > 0 && (u[room] & 0xc0) == 0x80)
			room--;
		core_buf_append(&o->b, s, room);
		o->full = 1;
		return;
	}
	core_buf_append(&o->b, s, n);
}

static void
pf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pf(struct out *o, const char *fmt, ...)
{
	char s[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put(o, s, (size_t)n < sizeof s ? (size_t)n : sizeof s - 1);
}

static void
indent(struct out *o, int depth)
{
	static const char spaces[] = "                                ";
	int n = (o->base + depth) * 2;

	while (n > 0) {
		int k = n < 32 ? n : 32;

		put(o, spaces, (size_t)k);
		n -= k;
	}
}

/*
 * Text with controls, backslash (and, quoted, the quote) escaped. The
 * input was checked by text_kind; a character it still finds invalid
 * (the cut end) is dropped when cut, escaped otherwise.
 */
static void
put_escaped(struct out *o, const unsigned char *p, size_t len, int quoted,
    int cut)
{
	char tmp[512];
	size_t t = 0, i = 0;
	int n;

	while (i < len && !o->full) {
		char e[8];
		size_t k = 0;

		n = utf8_char(p + i, len - i);
		if (n < 0 && cut)
			break;
		if (n <= 0 || is_control(p + i, n)) {
			if (n == 2)
				k = (size_t)snprintf(e, sizeof e, "\\u%04x",
				    p[i + 1]);
			else if (p[i] == '\n')
				k = (size_t)snprintf(e, sizeof e, "\\n");
			else if (p[i] == '\t')
				k = (size_t)snprintf(e, sizeof e, "\\t");
			else if (p[i] == '\r')
				k = (size_t)snprintf(e, sizeof e, "\\r");
			else
				k = (size_t)snprintf(e, sizeof e, "\\x%02x",
				    p[i]);
			i += n == 2 ? 2 : 1;
		} else if (p[i] == '\\' || (quoted && p[i] == '"')) {
			e[0] = '\\';
			e[1] = (char)p[i];
			k = 2;
			i++;
		} else {
			memcpy(e, p + i, (size_t)n);
			k = (size_t)n;
			i += (size_t)n;
		}
		if (t + k > sizeof tmp) {
			put(o, tmp, t);
			t = 0;
		}
		memcpy(tmp + t, e, k);
		t += k;
	}
	put(o, tmp, t);
}

/* "<0a ff ...>", at most LIMIT_GRPC_HEX bytes of the total shown. */
static void
put_hex(struct out *o, const unsigned char *p, size_t len, uint64_t total)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[3 * LIMIT_GRPC_HEX + 8];
	size_t i, t = 0, n = len < LIMIT_GRPC_HEX ? len : LIMIT_GRPC_HEX;

	tmp[t++] = '<';
	for (i = 0; i < n; i++) {
		if (i > 0)
			tmp[t++] = ' ';
		tmp[t++] = hex[p[i] >> 4];
		tmp[t++] = hex[p[i] & 15];
	}
	if (n < total) {
		memcpy(tmp + t, n > 0 ? " ..." : "...", n > 0 ? 4 : 3);
		t += n > 0 ? 4 : 3;
	}
	tmp[t++] = '>';
	put(o, tmp, t);
	if (n < total)
		pf(o, " (%llu bytes)", (unsigned long long)total);
}

/* The bytes again as packed varints, when they all read as such. */
static void
put_packed(struct out *o, const unsigned char *p, size_t len)
{
	uint64_t v;
	size_t i = 0;
	int n = 0;

	while (i < len)
		if (varint(p, len, &i, &v) != 0)
			return;
	pf(o, " (packed varints:");
	for (i = 0; i < len && n < LIMIT_GRPC_PACKED; n++) {
		varint(p, len, &i, &v);
		pf(o, "%s %llu", n > 0 ? "," : "", (unsigned long long)v);
	}
	pf(o, "%s)", i < len ? ", ..." : "");
}

/* Shortest %g that reads back as the same double (or float). */
static void
fmt_real(char *s, size_t n, double d, int single)
{
	int prec;

	for (prec = single ? 6 : 15; prec < (single ? 9 : 17); prec++) {
		snprintf(s, n, "%.*g", prec, d);
		if (single ? strtof(s, NULL) == (float)d : strtod(s, NULL) == d)
			return;
	}
	snprintf(s, n, "%.*g", prec, d);
}

static void
render_len(struct out *o, const struct field *f, int depth, int cut)
{
	int kind = text_kind(f->p, f->avail, cut), deep = 0;

	if (kind != K_PRINTABLE && f->avail > 0 && scan(f->p, f->avail,
	    cut) == 0) {
		if (depth < LIMIT_GRPC_DEPTH) {
			pf(o, "%u {\n", f->num);
			render(o, f->p, f->avail, depth + 1, cut);
			indent(o, depth);
			put(o, "}\n", 2);
			return;
		}
		deep = 1;
	}
	pf(o, "%u: ", f->num);
	if (kind != K_BINARY && !deep) {
		put(o, "\"", 1);
		put_escaped(o, f->p, f->avail, 1, cut);
		put(o, cut ? "\"...\n" : "\"\n", cut ? 5 : 2);
		return;
	}
	put_hex(o, f->p, f->avail, f->v);
	if (deep)
		pf(o, " (a message nested deeper than %d, not decoded)",
		    LIMIT_GRPC_DEPTH);
	else if (!cut)
		put_packed(o, f->p, f->avail);
	put(o, "\n", 1);
}

/* One field that read completely (or, WT_LEN with cut, in part). */
static void
render_field(struct out *o, const struct field *f, int depth, int cut)
{
	char r[64];
	double d;
	float fl;
	uint32_t u32;
	int64_t z;

	indent(o, depth);
	switch (f->wt) {
	case WT_VARINT:
		z = (int64_t)(f->v >> 1) ^ -(int64_t)(f->v & 1);
		pf(o, "%u: %llu", f->num, (unsigned long long)f->v);
		/* Negative int32/int64 travel as two's complement. */
		if (f->v > INT64_MAX)
			pf(o, " (int64 %lld, zigzag %lld)",
			    (long long)(int64_t)f->v, (long long)z);
		else if (f->v != 0)	/* zigzag 0 is 0: nothing to add */
			pf(o, " (zigzag %lld)", (long long)z);
		put(o, "\n", 1);
		break;
	case WT_I64:
		memcpy(&d, &f->v, sizeof d);
		fmt_real(r, sizeof r, d, 0);
		pf(o, "%u: %llu (", f->num, (unsigned long long)f->v);
		if (f->v > INT64_MAX)
			pf(o, "int64 %lld, ", (long long)(int64_t)f->v);
		pf(o, "double %s)\n", r);
		break;
	case WT_I32:
		u32 = (uint32_t)f->v;
		memcpy(&fl, &u32, sizeof fl);
		fmt_real(r, sizeof r, fl, 1);
		pf(o, "%u: %u (", f->num, u32);
		if (u32 > INT32_MAX)
			pf(o, "int32 %d, ", (int)(int32_t)u32);
		pf(o, "float %s)\n", r);
		break;
	case WT_LEN:
		render_len(o, f, depth, cut);
		break;
	}
}

/*
 * The fields of p[0..len) at depth. cut: the bytes stop early, and a
 * "..." marks where. Malformed bytes end the walk with a note and their
 * hex.
 */
static void
render(struct out *o, const unsigned char *p, size_t len, int depth, int cut)
{
	struct field f;
	const char *why;
	size_t i = 0, at;
	int r;

	while (i < len && !o->full) {
		at = i;
		r = read_field(p, len, &i, &f, &why);
		if (r == 0) {
			render_field(o, &f, depth, 0);
			continue;
		}
		if (r == -2 && cut) {
			if (f.wt == WT_LEN && f.p != NULL)
				render_field(o, &f, depth, 1);
			else {
				indent(o, depth);
				put(o, "...\n", 4);
			}
			return;
		}
		indent(o, depth);
		pf(o, "[cannot decode from byte %zu: %s]\n", at, why);
		indent(o, depth);
		put_hex(o, p + at, len - at, len - at);
		put(o, "\n", 1);
		return;
	}
	if (cut && !o->full) {
		indent(o, depth);
		put(o, "...\n", 4);
	}
}

/* Hands the text over, with a note when it hit LIMIT_GRPC_TEXT. */
static void
finish(struct out *o, char **text, size_t *textlen)
{
	if (o->full) {
		o->full = 0;
		if (o->b.len > 0 && core_buf_head(&o->b)[o->b.len - 1] != '\n')
			core_buf_append(&o->b, "\n", 1);
		core_buf_printf(&o->b, "[text cut at %d bytes]\n",
		    LIMIT_GRPC_TEXT);
	}
	*text = core_buf_take(&o->b, textlen);
}

/* -1 with *cause when the first field of p does not read. */
static int
first_field(const unsigned char *p, size_t len, int truncated, char **cause)
{
	struct field f;
	const char *why;
	size_t i = 0;
	int r;

	if (len == 0)
		return 0;
	r = read_field(p, len, &i, &f, &why);
	if (r == -1 || (r == -2 && !truncated)) {
		core_cause(cause, "not protobuf: %s at byte 0", why);
		return -1;
	}
	return 0;
}

int
core_grpc_protobuf(const char *data, size_t len, int truncated, char **text,
    size_t *textlen, char **cause)
{
	const unsigned char *p = (const unsigned char *)data;
	struct out o = { { 0 }, 0, 0 };

	*text = NULL;
	if (first_field(p, len, truncated, cause) == -1)
		return -1;
	render(&o, p, len, 0, truncated);
	if (truncated && !o.full)
		pf(&o, "[only the first %zu bytes of the body were kept]\n",
		    len);
	finish(&o, text, textlen);
	return 0;
}

ssize_t
core_grpc_frame(const char *data, size_t len, struct grpc_frame *f)
{
	const unsigned char *p = (const unsigned char *)data;

	memset(f, 0, sizeof *f);
	if (len == 0)
		return -2;
	if (p[0] & ~(GRPC_FLAG_COMPRESSED | GRPC_FLAG_TRAILERS))
		return -1;
	f->flags = p[0];
	if (len < GRPC_HEADER)
		return -2;
	f->len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 8 | p[4];
	f->payload = data + GRPC_HEADER;
	f->avail = len - GRPC_HEADER < f->len ? len - GRPC_HEADER : f->len;
	if (f->avail < f->len)
		return -2;
	return (ssize_t)(GRPC_HEADER + (size_t)f->len);
}

/* gRPC-Web trailers: header lines, shown one a line. */
static void
render_trailers(struct out *o, const unsigned char *p, size_t len, int cut)
{
	size_t i = 0, e;

	while (i < len && !o->full) {
		for (e = i; e < len && p[e] != '\n'; e++)
			;
		indent(o, 0);
		put_escaped(o, p + i, e > i && p[e - 1] == '\r' ? e - i - 1 :
		    e - i, 0, cut && e == len);
		put(o, "\n", 1);
		i = e + 1;
	}
	if (cut && !o->full) {
		indent(o, 0);
		put(o, "...\n", 4);
	}
}

/* Budget shared by the messages of one body (LIMIT_GRPC_INFLATED). */
struct inflate {
	struct decode_out	 dec;
	size_t			 spent;
};

static void
render_message(struct out *o, const struct grpc_frame *f, size_t n,
    const char *encoding, struct inflate *inf)
{
	const unsigned char *p = (const unsigned char *)f->payload;
	size_t len = f->avail;
	int cut = f->avail < f->len;
	char *c = NULL;

	pf(o, "%s %zu (%u byte%s%s", f->flags & GRPC_FLAG_TRAILERS ?
	    "trailers" : "message", n, f->len, f->len == 1 ? "" : "s",
	    f->flags & GRPC_FLAG_COMPRESSED ? ", compressed" : "");
	if (cut)
		pf(o, ", %zu kept", f->avail);
	put(o, ")\n", 2);
	if (f->flags & GRPC_FLAG_COMPRESSED) {
		const char *why = NULL;

		if (!core_decode_needed(encoding))
			why = "compressed, but grpc-encoding is identity";
		else if (inf->spent >= LIMIT_GRPC_INFLATED)
			why = "not inflated: the body's budget is spent";
		else if (core_decode_into(&inf->dec, encoding, f->payload,
		    len, cut ? DECODE_PARTIAL : 0, &c) == -1)
			why = c;
		if (why != NULL) {
			/* The cause may quote the header: escape it. */
			indent(o, 0);
			put(o, "[", 1);
			put_escaped(o, (const unsigned char *)why, strlen(why),
			    0, 0);
			put(o, "]\n", 2);
			indent(o, 0);
			put_hex(o, p, len, f->len);
			put(o, "\n", 1);
			free(c);
			return;
		}
		inf->spent += inf->dec.len;
		p = (const unsigned char *)inf->dec.buf;
		len = inf->dec.len;
		cut = cut || inf->dec.truncated;
	}
	if (f->flags & GRPC_FLAG_TRAILERS)
		render_trailers(o, p, len, cut);
	else if (len == 0 && !cut) {
		indent(o, 0);
		put(o, "(empty)\n", 8);
	} else
		render(o, p, len, 0, cut);
}

int
core_grpc_format(const char *data, size_t len, const char *encoding,
    int truncated, char **text, size_t *textlen, char **cause)
{
	struct out o = { { 0 }, 0, 1 };
	struct inflate inf = { { 0 }, 0 };
	struct grpc_frame f;
	size_t off = 0, n = 0, more;
	ssize_t r;

	*text = NULL;
	r = core_grpc_frame(data, len, &f);
	if (r == -1 || (r == -2 && f.payload == NULL && !truncated)) {
		if (r == -1)
			core_cause(cause, "not gRPC framing: flag byte 0x%02x",
			    (unsigned char)data[0]);
		else
			core_cause(cause, "not gRPC framing: %zu bytes, less "
			    "than a message header", len);
		return -1;
	}
	while (off < len && !o.full) {
		r = core_grpc_frame(data + off, len - off, &f);
		if (r == -1) {
			pf(&o, "[not gRPC framing from byte %zu: flag byte "
			    "0x%02x]\n", off, (unsigned char)data[off]);
			o.base = 0;
			put_hex(&o, (const unsigned char *)data + off,
			    len - off, len - off);
			put(&o, "\n", 1);
			break;
		}
		if (n == LIMIT_GRPC_MESSAGES) {
			for (more = 0; off < len && r > 0; more++) {
				off += (size_t)r;
				r = core_grpc_frame(data + off, len - off, &f);
			}
			pf(&o, "[%zu more messages not decoded]\n", more +
			    (off < len));
			break;
		}
		n++;
		if (f.payload == NULL) {
			if (truncated)
				pf(&o, "[the body ends inside the header of "
				    "message %zu]\n", n);
			else
				pf(&o, "[%zu stray bytes after message %zu]\n",
				    len - off, n - 1);
			break;
		}
		render_message(&o, &f, n, encoding, &inf);
		if (r == -2) {
			if (!truncated)
				pf(&o, "[message %zu: %u bytes announced, %zu "
				    "there]\n", n, f.len, f.avail);
			break;
		}
		off += (size_t)r;
	}
	if (truncated && !o.full)
		pf(&o, "[only the first %zu bytes of the body were kept]\n",
		    len);
	free(inf.dec.buf);
	finish(&o, text, textlen);
	return 0;
}
