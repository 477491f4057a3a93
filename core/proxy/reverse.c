/*
 * reverse.c -- reverse mode's clients and how their requests are aimed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/connect.h"
#include "core/proxy/exchange.h"
#include "core/proxy/mode.h"
#include "core/proxy/proxy.h"
#include "core/proxy/reverse.h"

void
core_reverse_accept(void *mode, int fd, const struct sockaddr_storage *peer)
{
	const struct proxy_mode *m = mode;
	struct proxy_origin o;
	struct stream *s;
	char addr[80];

	if ((s = core_sockstream_new(core_loop, fd)) == NULL)
		return;
	core_connect_format(peer, addr, sizeof addr);
	memset(&o, 0, sizeof o);
	o.client = addr;
	o.dest_host = m->host;
	o.dest_port = m->port;
	o.mode = m;
	core_proxy_accept(s, &o);
}

int
core_reverse_is(const struct proxy_mode *m)
{
	return m != NULL && m->kind == MODE_KIND_REVERSE;
}

int
core_reverse_plain(const struct proxy_mode *m)
{
	return core_reverse_is(m) && strcmp(m->scheme, "http") == 0;
}

/* The Host field says the server's name, where the client put it. */
static void
set_host(struct flow_headers *h, const char *value)
{
	struct flow_headers out = { 0 };
	size_t i;
	int done = 0;

	for (i = 0; i < h->n; i++) {
		const struct flow_header *f = &h->v[i];

		if (strcasecmp(f->name, "host") != 0)
			core_flow_header_add(&out, f->name, strlen(f->name),
			    f->value, strlen(f->value));
		else if (!done++)
			core_flow_header_add(&out, f->name, strlen(f->name),
			    value, strlen(value));
	}
	core_flow_headers_clear(h);
	*h = out;
}

void
core_reverse_request(const struct conn *c, struct flow *f, struct xtarget *t)
{
	const struct proxy_mode *m = c->mode;
	struct flow_request *r = f->request;
	const char *host;

	if (!core_reverse_is(m) || r == NULL)
		return;
	host = core_flow_header_get(&r->headers, "host");
	/* What the client sent stays, as a rule's original would. */
	if (f->orig_request == NULL && (host != NULL ?
	    strcasecmp(host, m->authority) != 0 : r->host == NULL ||
	    strcmp(r->host, m->host) != 0 || r->port != m->port))
		f->orig_request = core_flow_request_dup(r);
	if (host != NULL && strcasecmp(host, m->authority) != 0)
		set_host(&r->headers, m->authority);
	core_flow_set(&r->scheme, m->scheme);
	core_flow_set(&r->host, m->host);
	r->port = m->port;
	free(t->scheme);
	free(t->host);
	free(t->tls_name);
	t->scheme = strdup(m->scheme);
	t->host = strdup(m->host);
	t->port = m->port;
	t->tls_name = strcmp(m->scheme, "https") == 0 ? strdup(m->host) : NULL;
}
