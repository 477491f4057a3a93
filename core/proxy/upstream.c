/*
 * upstream.c -- what upstream mode changes in how requests leave.
 */
#include <stdlib.h>
#include <string.h>

#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/mode.h"
#include "core/proxy/upstream.h"

int
core_upstream_via(const struct conn *c, const struct xtarget *t)
{
	/* A transparent conn (inside a CONNECT) has its tunnel already. */
	return c->mode != NULL && c->mode->kind == MODE_KIND_UPSTREAM &&
	    c->dest_host == NULL && strcmp(t->scheme, "http") == 0;
}

char *
core_upstream_basic(const char *v)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v), i, o = 6;
	char *out = malloc(6 + (n + 2) / 3 * 4 + 1);

	if (out == NULL)
		abort();
	memcpy(out, "Basic ", 6);
	for (i = 0; i < n; i += 3) {
		unsigned w = (unsigned)p[i] << 16 |
		    (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		out[o++] = b64[w >> 18 & 63];
		out[o++] = b64[w >> 12 & 63];
		out[o++] = i + 1 < n ? b64[w >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[w & 63] : '=';
	}
	out[o] = '\0';
	return out;
}
