/*
 * h1write.c -- header fields for the next HTTP/1 hop.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/loop/buf.h"
#include "core/proxy/h1write.h"
#include "core/proxy/hop.h"

void
core_h1write_fields(struct buf *out, const struct flow_headers *h,
    enum xbody kind, uint64_t len, int flags)
{
	core_h1write_request_fields(out, h, NULL, kind, len, flags);
}

void
core_h1write_request_fields(struct buf *out, const struct flow_headers *h,
    const char *host, enum xbody kind, uint64_t len, int flags)
{
	const char *conn = core_flow_header_get(h, "connection");
	int have_len = 0, have_te = 0, have_host = 0;
	size_t i;

	for (i = 0; i < h->n; i++) {
		const struct flow_header *f = &h->v[i];

		if ((flags & H1W_KEEP_UPGRADE) &&
		    strcasecmp(f->name, "upgrade") == 0) {
			core_buf_field(out, f->name, f->value);
			continue;
		}
		if (core_hop_by_hop(f->name, conn))
			continue;
		if (strcasecmp(f->name, "host") == 0) {
			/* One Host, where the sender put it. */
			if (!have_host++)
				core_buf_field(out, f->name, host != NULL ? host :
				    f->value);
			continue;
		}
		if (strcasecmp(f->name, "content-length") == 0) {
			if (kind == XBODY_NONE)
				core_buf_field(out, f->name, f->value);
			else if (kind == XBODY_LENGTH && !have_len++)
				core_buf_printf(out, "%s: %llu\r\n", f->name,
				    (unsigned long long)len);
			continue;
		}
		if (strcasecmp(f->name, "transfer-encoding") == 0) {
			if (kind != XBODY_LENGTH) {
				core_buf_field(out, f->name, f->value);
				have_te = 1;
			}
			continue;
		}
		core_buf_field(out, f->name, f->value);
	}
	if (kind == XBODY_LENGTH && !have_len)
		core_buf_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)len);
	if (kind == XBODY_CHUNKED && !have_te)
		core_buf_printf(out, "Transfer-Encoding: chunked\r\n");
}
