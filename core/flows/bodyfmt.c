/*
 * bodyfmt.c -- bodies made readable for the flow view.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/flow.h"
#include "core/flows/grpc.h"
#include "core/http/decode.h"
#include "core/loop/buf.h"

static void
indent(struct buf *b, int depth)
{
	static const char spaces[] = "                                ";
	int n = depth * 2;

	core_buf_append(b, "\n", 1);
	while (n > 0) {
		int k = n < 32 ? n : 32;

		core_buf_append(b, spaces, k);
		n -= k;
	}
}

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

char *
core_bodyfmt_json(const char *s, size_t len, int partial, size_t *outlen)
{
	struct buf b = { 0 };
	char stack[256];
	int depth = 0, seen = 0;
	size_t i = skip_ws(s, len, 0), j;

	if (i >= len || (s[i] != '{' && s[i] != '['))
		return NULL;
	while (i < len) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (depth == 0 && seen)
			goto bad;	/* bytes after the document */
		switch (c) {
		case '{':
		case '[':
			if (depth == (int)sizeof stack)
				goto bad;
			stack[depth++] = c == '{' ? '}' : ']';
			seen = 1;
			core_buf_append(&b, &c, 1);
			j = skip_ws(s, len, i + 1);
			if (j < len && s[j] == stack[depth - 1]) {
				/* {} and [] stay on one line */
				core_buf_append(&b, &s[j], 1);
				depth--;
				i = j + 1;
				break;
			}
			indent(&b, depth);
			i++;
			break;
		case '}':
		case ']':
			if (depth == 0 || stack[depth - 1] != c)
				goto bad;
			depth--;
			indent(&b, depth);
			core_buf_append(&b, &c, 1);
			i++;
			break;
		case ',':
			if (depth == 0)
				goto bad;
			core_buf_append(&b, ",", 1);
			indent(&b, depth);
			i++;
			break;
		case ':':
			core_buf_append(&b, ": ", 2);
			i++;
			break;
		case '"':
			for (j = i + 1; j < len && s[j] != '"'; j++)
				if (s[j] == '\\')
					j++;
			if (j >= len && !partial)
				goto bad;
			j = j < len ? j + 1 : len;
			core_buf_append(&b, s + i, j - i);
			i = j;
			break;
		default:
			/* Numbers, true, false, null. */
			for (j = i; j < len && strchr(",:{}[]\" \t\r\n", s[j]) ==
			    NULL; j++)
				if ((unsigned char)s[j] < 0x20)
					goto bad;
			if (strspn(s + i, "0123456789+-.eEtruefalsn") < j - i)
				goto bad;
			core_buf_append(&b, s + i, j - i);
			i = j;
			break;
		}
	}
	if (depth != 0 && !partial)
		goto bad;
	return core_buf_take(&b, outlen);
bad:
	core_buf_free(&b);
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
unescape_into(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		core_buf_append(b, &c, 1);
	}
}

char *
core_bodyfmt_form(const char *s, size_t len, size_t *outlen)
{
	struct buf b = { 0 };
	size_t i = 0, end, eq;

	while (i < len) {
		for (end = i; end < len && s[end] != '&'; end++)
			;
		if (end > i) {
			for (eq = i; eq < end && s[eq] != '='; eq++)
				;
			unescape_into(&b, s + i, eq - i);
			core_buf_append(&b, ": ", 2);
			if (eq < end)
				unescape_into(&b, s + eq + 1, end - eq - 1);
			core_buf_append(&b, "\n", 1);
		}
		i = end + 1;
	}
	return core_buf_take(&b, outlen);
}

int
core_bodyfmt_is_text(const char *s, size_t len, int partial)
{
	size_t i = 0, ctl = 0;

	while (i < len) {
		unsigned char c;
		size_t need, k;
		uint64_t w;

		/* Eight bytes of 0x20..0x7f at a time: most text is that, and
		 * searching every body goes through here. */
		if (i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if (((w | (w - 0x2020202020202020ULL)) &
			    0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == 0)
				return 0;
			if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' &&
			    c != '\f' && c != 0x1b)
				ctl++;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return 0;
		for (k = 1; k <= need; k++) {
			if (i + k >= len)
				return partial;	/* cut in the middle */
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		}
		i += need + 1;
	}
	/* A few stray controls in text are fine; many mean binary. */
	return ctl * 20 <= len;
}

size_t
core_bodyfmt_hex_lines(size_t len)
{
	return (len + 15) / 16;
}

size_t
core_bodyfmt_hex_line(const char *data, size_t len, size_t n, char *out,
    size_t outlen)
{
	size_t off = n * 16, i, p;
	static const char hex[] = "0123456789abcdef";
	char line[96];

	if (off >= len || outlen == 0) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	p = (size_t)snprintf(line, sizeof line, "%08zx  ", off);
	for (i = 0; i < 16; i++) {
		if (off + i < len) {
			unsigned char c = (unsigned char)data[off + i];

			line[p++] = hex[c >> 4];
			line[p++] = hex[c & 15];
		} else {
			line[p++] = ' ';
			line[p++] = ' ';
		}
		line[p++] = ' ';
		if (i == 7)
			line[p++] = ' ';
	}
	line[p++] = ' ';
	line[p++] = '|';
	for (i = 0; i < 16 && off + i < len; i++) {
		unsigned char c = (unsigned char)data[off + i];

		line[p++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	line[p++] = '|';
	if (p >= outlen)
		p = outlen - 1;
	memcpy(out, line, p);
	out[p] = '\0';
	return p;
}

static int
ctype_has(const struct flow_headers *h, const char *what)
{
	const char *ct = h != NULL ? core_flow_header_get(h, "Content-Type") :
	    NULL;

	return ct != NULL && strcasestr(ct, what) != NULL;
}

/* The media type of Content-Type (parameters left out) is one of names. */
static int
ctype_is(const struct flow_headers *h, const char *const *names)
{
	const char *ct = h != NULL ? core_flow_header_get(h, "Content-Type") :
	    NULL;
	size_t n;

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	n = strcspn(ct, "; \t");
	for (; *names != NULL; names++)
		if (strlen(*names) == n && strncasecmp(ct, *names, n) == 0)
			return 1;
	return 0;
}

static const char *const grpc_types[] = { "application/grpc",
    "application/grpc+proto", "application/grpc-web",
    "application/grpc-web+proto", NULL };
static const char *const protobuf_types[] = { "application/x-protobuf",
    "application/protobuf", "application/x-google-protobuf",
    "application/vnd.google.protobuf", NULL };

/*
 * gRPC and protobuf bodies by their Content-Type. Returns 1 with out
 * filled, or 0 when the bytes are not what the type says (out->note then
 * says why, unless a note is there already) so the usual formats apply.
 */
static int
format_grpc(const struct flow_headers *h, const char *data, size_t len,
    int partial, struct bodyfmt *out)
{
	char *s = NULL, *cause = NULL;
	size_t n = 0;
	int grpc = ctype_is(h, grpc_types), r;

	if (!grpc && !ctype_is(h, protobuf_types))
		return 0;
	if (grpc)
		r = core_grpc_format(data, len, core_flow_header_get(h,
		    "grpc-encoding"), partial, &s, &n, &cause);
	else
		r = core_grpc_protobuf(data, len, partial, &s, &n, &cause);
	if (r == -1) {
		if (out->note == NULL)
			out->note = cause;
		else
			free(cause);
		return 0;
	}
	out->kind = grpc ? BODYFMT_GRPC : BODYFMT_PROTOBUF;
	out->text = s;
	out->len = n;
	return 1;
}

int
core_bodyfmt_format(const struct flow_headers *h, const struct flow_body *body,
    struct bodyfmt *out)
{
	const char *enc = h != NULL ? core_flow_header_get(h,
	    "Content-Encoding") : NULL;
	const char *data = body->data;
	size_t len = body->len, n;
	char *dec = NULL, *cause = NULL, *s;
	int partial;

	memset(out, 0, sizeof *out);
	out->truncated = body->truncated;
	if (len == 0 || data == NULL) {
		out->kind = BODYFMT_EMPTY;
		return 0;
	}
	if (core_decode_needed(enc)) {
		if (core_decode_body(enc, data, len, &dec, &n, &cause) == 0) {
			data = dec;
			len = n;
			out->decoded = 1;
		} else {
			out->note = cause;
			cause = NULL;
		}
	}
	partial = out->truncated;
	if (format_grpc(h, data, len, partial, out))
		goto done;
	if (!core_bodyfmt_is_text(data, len, partial)) {
		out->kind = BODYFMT_HEX;
		out->text = malloc(len);
		if (out->text == NULL)
			abort();
		memcpy(out->text, data, len);
		out->len = len;
		goto done;
	}
	if ((s = core_bodyfmt_json(data, len, partial, &n)) != NULL) {
		out->kind = BODYFMT_JSON;
		out->text = s;
		out->len = n;
		goto done;
	}
	if (ctype_has(h, "x-www-form-urlencoded")) {
		out->kind = BODYFMT_FORM;
		out->text = core_bodyfmt_form(data, len, &out->len);
		goto done;
	}
	out->kind = BODYFMT_TEXT;
	out->text = core_flow_strndup(data, len);
	out->len = len;
done:
	free(dec);
	free(cause);
	return 0;
}

void
core_bodyfmt_free(struct bodyfmt *b)
{
	free(b->text);
	free(b->note);
	memset(b, 0, sizeof *b);
}
