/*
 * ws.c -- WebSocket frame parser, permessage-deflate decoding and the
 * frame writer (see ws.h for the contract).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"

/* --- the handshake's extension list ---------------------------------------- */

static int
bits_of(const char *v, size_t n)
{
	int b = 0;
	size_t i;

	for (i = 0; i < n && i < 3; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 15;
		b = b * 10 + (v[i] - '0');
	}
	return b >= 8 && b <= 15 ? b : 15;
}

/* One "name[=value]" parameter of permessage-deflate. */
static void
deflate_param(struct ws_ext *e, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n), *v = "";
	size_t nl = eq != NULL ? (size_t)(eq - p) : n, vl = 0;

	while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
		nl--;
	if (eq != NULL) {
		v = eq + 1;
		vl = n - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '"')) {
			v++;
			vl--;
		}
	}
#define IS(s) (nl == sizeof s - 1 && strncasecmp(p, s, nl) == 0)
	if (IS("client_no_context_takeover"))
		e->client_no_takeover = 1;
	else if (IS("server_no_context_takeover"))
		e->server_no_takeover = 1;
	else if (IS("client_max_window_bits"))
		e->client_bits = bits_of(v, vl);
	else if (IS("server_max_window_bits"))
		e->server_bits = bits_of(v, vl);
#undef IS
}

void
core_ws_ext_parse(const char *value, struct ws_ext *e)
{
	const char *p = value, *end, *semi;
	size_t n;

	memset(e, 0, sizeof *e);
	e->client_bits = e->server_bits = 15;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		semi = memchr(p, ';', n);
		{
			size_t nl = semi != NULL ? (size_t)(semi - p) : n;

			while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
				nl--;
			if (nl == 18 && strncasecmp(p, "permessage-deflate",
			    18) == 0 && !e->deflate) {
				e->deflate = 1;
				while (semi != NULL) {
					const char *q = semi + 1, *nx;
					size_t ql;

					while (*q == ' ' || *q == '\t')
						q++;
					nx = memchr(q, ';', (size_t)(p + n - q));
					ql = (size_t)((nx != NULL ? nx : p + n) - q);
					deflate_param(e, q, ql);
					semi = nx;
				}
			} else if (nl > 0)
				e->other = 1;
		}
		p = end;
	}
}

/* --- the parser ------------------------------------------------------------ */

void
core_ws_parser_init(struct ws_parser *w, int from_client,
    const struct ws_ext *ext)
{
	memset(w, 0, sizeof *w);
	w->from_client = from_client;
	if (ext != NULL)
		w->ext = *ext;
}

void
core_ws_parser_free(struct ws_parser *w)
{
	if (w->z != NULL) {
		inflateEnd(w->z);
		free(w->z);
	}
	free(w->msg);
	memset(w, 0, sizeof *w);
}

int
core_ws_parser_idle(const struct ws_parser *w)
{
	return !w->dead && w->hlen == 0 && !w->in_msg;
}

static ssize_t
perr(struct ws_parser *w, char **cause, const char *msg)
{
	w->dead = 1;
	core_cause(cause, "WebSocket %s: %s", w->from_client ? "client" :
	    "server", msg);
	return -1;
}

/* Keeps decoded payload bytes of the message, counting what is past
 * the cap. */
static void
keep(struct ws_parser *w, const char *p, size_t n)
{
	size_t room;

	w->msg_size += n;
	room = LIMIT_WS_MESSAGE - w->msg_len;
	if (n > room)
		n = room;
	if (w->msg_len + n > w->msg_cap) {
		/* Grown as messages need it: most are small. */
		size_t cap = w->msg_cap ? w->msg_cap : 256;

		while (cap < w->msg_len + n)
			cap *= 2;
		if (cap > LIMIT_WS_MESSAGE)
			cap = LIMIT_WS_MESSAGE;
		if ((w->msg = realloc(w->msg, cap)) == NULL)
			abort();
		w->msg_cap = cap;
	}
	if (n == 0)
		return;
	memcpy(w->msg + w->msg_len, p, n);
	w->msg_len += n;
}

/* Inflates compressed payload bytes (already unmasked); output past the
 * cap is only counted, but the whole message is inflated so that the
 * context stays right for the next one. */
static void
inflate_bytes(struct ws_parser *w, const unsigned char *p, size_t n)
{
	z_stream *z = w->z;
	unsigned char out[16384];
	int rc;

	if (w->z_broken || w->msg_zerr)
		return;
	if (z == NULL) {
		if ((z = calloc(1, sizeof *z)) == NULL)
			abort();
		/* A 15-bit window reads any smaller one the sender chose. */
		if (inflateInit2(z, -15) != Z_OK) {
			free(z);
			w->msg_zerr = w->z_broken = 1;
			return;
		}
		w->z = z;
	}
	z->next_in = (unsigned char *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	for (;;) {
		uInt before = z->avail_in;

		z->next_out = out;
		z->avail_out = sizeof out;
		rc = inflate(z, Z_SYNC_FLUSH);
		/* What came out before an error is kept, so the result
		 * does not depend on how the input was split. */
		keep(w, (const char *)out, sizeof out - z->avail_out);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			w->msg_zerr = w->z_broken = 1;
			return;
		}
		/* A final block: the sender starts afresh after it. */
		if (rc == Z_STREAM_END)
			inflateReset(z);
		if (z->avail_out != 0 && z->avail_in == 0)
			break;
		if (rc != Z_STREAM_END && z->avail_out == sizeof out &&
		    z->avail_in == before)
			break;	/* no progress */
	}
}

static void
msg_end(struct ws_parser *w, struct ws_event *ev)
{
	static const unsigned char tail[4] = { 0, 0, 0xff, 0xff };
	int reset;

	if (w->msg_compressed) {
		inflate_bytes(w, tail, sizeof tail);
		reset = w->from_client ? w->ext.client_no_takeover :
		    w->ext.server_no_takeover;
		if (reset && w->z != NULL && !w->z_broken)
			inflateReset(w->z);
	}
	ev->type = WS_EV_MESSAGE;
	ev->opcode = w->msg_opcode;
	ev->data = w->msg != NULL ? w->msg : "";
	ev->len = w->msg_len;
	ev->size = w->msg_size;
	ev->wire = w->msg_wire;
	ev->frames = w->frames;
	ev->truncated = w->msg_size > w->msg_len;
	ev->compressed = w->msg_compressed;
	ev->inflate_error = w->msg_compressed && (w->msg_zerr || w->z_broken);
	ev->close_code = -1;
	w->in_msg = 0;
	w->msg_len = 0;
	w->msg_size = w->msg_wire = 0;
	w->frames = 0;
	w->msg_zerr = 0;
}

static void
ctl_end(struct ws_parser *w, struct ws_event *ev)
{
	ev->type = WS_EV_CONTROL;
	ev->opcode = w->opcode;
	ev->data = w->ctl;
	ev->len = ev->size = ev->wire = w->ctl_len;
	ev->frames = 1;
	ev->close_code = -1;
	if (w->opcode == WS_CLOSE && w->ctl_len >= 2) {
		ev->close_code = ((unsigned char)w->ctl[0] << 8) |
		    (unsigned char)w->ctl[1];
		ev->reason = w->ctl + 2;
		ev->reason_len = w->ctl_len - 2;
	}
	w->ctl_len = 0;
}

/* The header is complete: check it and set up the payload. */
static ssize_t
header_done(struct ws_parser *w, char **cause)
{
	const unsigned char *h = w->hdr;
	int rsv = h[0] & 0x70, op = h[0] & 0x0f, ctl = op >= 8;
	size_t at = 2, i;
	uint64_t len = h[1] & 0x7f;

	w->fin = (h[0] & 0x80) != 0;
	w->rsv1 = (rsv & 0x40) != 0;
	w->opcode = op;
	w->masked = (h[1] & 0x80) != 0;
	if (len == 126) {
		len = ((uint64_t)h[2] << 8) | h[3];
		at = 4;
	} else if (len == 127) {
		if (h[2] & 0x80)
			return perr(w, cause, "frame length past 2^63");
		for (len = 0, i = 2; i < 10; i++)
			len = (len << 8) | h[i];
		at = 10;
	}
	if (w->masked)
		memcpy(w->mask, h + at, 4);
	if (w->masked != w->from_client)
		return perr(w, cause, w->from_client ? "unmasked frame" :
		    "masked frame");
	if ((rsv & 0x30) && !w->ext.other)
		return perr(w, cause, "RSV2/RSV3 set with no extension");
	if ((op > WS_BINARY && op < WS_CLOSE) || op > WS_PONG)
		return perr(w, cause, "reserved opcode");
	if (ctl) {
		if (!w->fin)
			return perr(w, cause, "fragmented control frame");
		if (len > 125)
			return perr(w, cause, "control frame over 125 bytes");
		if (w->rsv1)
			return perr(w, cause, "RSV1 on a control frame");
		if (op == WS_CLOSE && len == 1)
			return perr(w, cause, "close frame of one byte");
	} else if (op == WS_CONT) {
		if (!w->in_msg)
			return perr(w, cause, "continuation with no message");
		if (w->rsv1)
			return perr(w, cause, "RSV1 on a continuation");
	} else {
		if (w->in_msg)
			return perr(w, cause, "new message inside a "
			    "fragmented one");
		if (w->rsv1 && !w->ext.deflate && !w->ext.other)
			return perr(w, cause, "RSV1 set with no extension");
		w->in_msg = 1;
		w->msg_opcode = op;
		w->msg_compressed = w->rsv1 && w->ext.deflate;
	}
	if (!ctl) {
		w->frames++;
		w->msg_wire += len;
	}
	w->left = w->flen = len;
	return 0;
}

/* Payload bytes of the current frame. */
static void
payload(struct ws_parser *w, const char *p, size_t n)
{
	unsigned char tmp[4096];
	size_t i, k, done = 0;
	uint64_t pos = w->flen - w->left;

	while (done < n) {
		k = n - done < sizeof tmp ? n - done : sizeof tmp;
		for (i = 0; i < k; i++) {
			tmp[i] = (unsigned char)p[done + i];
			if (w->masked)
				tmp[i] ^= w->mask[(pos + done + i) & 3];
		}
		if (w->opcode >= WS_CLOSE) {
			memcpy(w->ctl + w->ctl_len, tmp, k);
			w->ctl_len += k;
		} else if (w->msg_compressed)
			inflate_bytes(w, tmp, k);
		else
			keep(w, (const char *)tmp, k);
		done += k;
	}
	w->left -= n;
}

/* The frame is complete: an event, or nothing (a fragment). */
static void
frame_done(struct ws_parser *w, struct ws_event *ev)
{
	w->hlen = 0;
	if (w->opcode >= WS_CLOSE)
		ctl_end(w, ev);
	else if (w->fin)
		msg_end(w, ev);
}

ssize_t
core_ws_parse(struct ws_parser *w, const char *p, size_t n,
    struct ws_event *ev, char **cause)
{
	size_t at = 0, k;

	memset(ev, 0, sizeof *ev);
	ev->type = WS_EV_NONE;
	if (w->dead)
		return perr(w, cause, "stream already failed");
	while (at < n) {
		if (w->hlen < 2 || w->hlen < w->hneed) {
			w->hdr[w->hlen++] = (unsigned char)p[at++];
			if (w->hlen == 2) {
				unsigned l = w->hdr[1] & 0x7f;

				w->hneed = 2 + (l == 126 ? 2 : l == 127 ? 8 :
				    0) + ((w->hdr[1] & 0x80) ? 4 : 0);
			}
			if (w->hlen < 2 || w->hlen < w->hneed)
				continue;
			if (header_done(w, cause) == -1)
				return -1;
			if (w->left > 0)
				continue;
		} else {
			k = n - at;
			if (k > w->left)
				k = (size_t)w->left;
			payload(w, p + at, k);
			at += k;
			if (w->left > 0)
				continue;
		}
		frame_done(w, ev);
		if (ev->type != WS_EV_NONE)
			return (ssize_t)at;
	}
	return (ssize_t)at;
}

/* --- the writer ------------------------------------------------------------ */

void
core_ws_frame(struct buf *out, int opcode, const void *data, size_t n,
    const unsigned char *mask)
{
	unsigned char h[14], tmp[4096];
	const unsigned char *p = data;
	size_t hl = 2, i, k, done;

	h[0] = (unsigned char)(0x80 | (opcode & 0x0f));
	if (n < 126)
		h[1] = (unsigned char)n;
	else if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (mask != NULL) {
		h[1] |= 0x80;
		memcpy(h + hl, mask, 4);
		hl += 4;
	}
	core_buf_append(out, h, hl);
	if (mask == NULL) {
		core_buf_append(out, data, n);
		return;
	}
	for (done = 0; done < n; done += k) {
		k = n - done < sizeof tmp ? n - done : sizeof tmp;
		for (i = 0; i < k; i++)
			tmp[i] = p[done + i] ^ mask[(done + i) & 3];
		core_buf_append(out, tmp, k);
	}
}

const char *
core_ws_opcode_name(int op)
{
	switch (op) {
	case WS_CONT:
		return "continuation";
	case WS_TEXT:
		return "text";
	case WS_BINARY:
		return "binary";
	case WS_CLOSE:
		return "close";
	case WS_PING:
		return "ping";
	case WS_PONG:
		return "pong";
	}
	return "reserved";
}
