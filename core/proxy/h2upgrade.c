/*
 * h2upgrade.c -- `Upgrade: h2c` from an HTTP/1.1 client.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/http/http1.h"
#include "core/proxy/conn.h"
#include "core/proxy/h2down.h"
#include "core/proxy/h2upgrade.h"

/* Whether the comma-separated list in value names token. */
static int
lists(const char *value, const char *token)
{
	return value != NULL &&
	    core_http1_list_has(value, strlen(value), token);
}

/* The one HTTP2-Settings field, or NULL when none or more than one. */
static const char *
settings_of(const struct flow_headers *hd)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < hd->n; i++)
		if (strcasecmp(hd->v[i].name, "http2-settings") == 0) {
			if (v != NULL)
				return NULL;
			v = hd->v[i].value;
		}
	return v;
}

int
core_h2upgrade_take(struct conn *c, struct flow *f, int minor,
    struct xtarget *t, enum xbody kind, const char *rest, size_t n)
{
	const struct flow_headers *hd = &f->request->headers;
	const char *conn = core_flow_header_get(hd, "connection");
	const char *settings = settings_of(hd);

	/*
	 * Taken only where it is defined and cheap to honour: cleartext
	 * (over TLS, ALPN says h2), HTTP/1.1, a client that is someone (a
	 * replay's is not), and no request body -- a body would have to be
	 * read whole before the first HTTP/2 frame, so such a request goes
	 * on as HTTP/1.1, as the RFC lets a server choose. Nor for an
	 * explicit proxy's request in absolute form: HTTP/2 has no such
	 * form, and the client's next requests on the connection would be
	 * malformed ones (curl 7.88 sends an absolute :path and a
	 * proxy-connection field, which nghttp2 resets).
	 */
	if (c->tls || c->h2 || c->one_request || minor != 1 || t->absolute ||
	    kind != XBODY_NONE || settings == NULL ||
	    !lists(conn, "upgrade") || !lists(conn, "http2-settings") ||
	    !lists(core_flow_header_get(hd, "upgrade"), "h2c"))
		return -1;
	return core_h2down_upgrade(c, settings, strlen(settings), f, t, rest,
	    n);
}
