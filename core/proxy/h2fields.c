/*
 * h2fields.c -- header fields for an HTTP/2 hop.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/http/h2.h"
#include "core/proxy/h2fields.h"
#include "core/proxy/hop.h"

size_t
core_h2fields_from(const struct flow_headers *h, struct h2_field **out)
{
	const char *conn = core_flow_header_get(h, "connection");
	struct h2_field *f;
	size_t i, n = 0;

	if ((f = calloc(h->n + 1, sizeof *f)) == NULL)
		abort();
	for (i = 0; i < h->n; i++) {
		const char *name = h->v[i].name, *value = h->v[i].value;

		if ((name[0] | 0x20) == 't' && strcasecmp(name, "te") == 0 &&
		    strcasecmp(value, "trailers") == 0)
			;	/* the one TE HTTP/2 allows */
		else if (core_hop_by_hop(name, conn) ||
		    ((name[0] | 0x20) == 'h' && strcasecmp(name, "host") == 0) ||
		    ((name[0] | 0x20) == 't' &&
		    strcasecmp(name, "transfer-encoding") == 0))
			continue;
		f[n].name = name;
		f[n].name_len = strlen(name);
		f[n].value = value;
		f[n].value_len = strlen(value);
		n++;
	}
	*out = f;
	return n;
}
