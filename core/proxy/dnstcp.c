/*
 * dnstcp.c -- DNS flows from the length-prefixed messages of a TCP
 * connection to port 53.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/dns.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"
#include "core/proxy/dnstcp.h"

/* The length prefix and the largest message it can frame. */
#define DNSTCP_MAX	(2 + 65535)

struct dir {
	uint8_t		*buf;		/* DNSTCP_MAX, once bytes come */
	size_t		 len;
};

struct dnstcp {
	const struct flow	*tcp;
	struct dir		 up, down;
	int			 broken;	/* not DNS: parsing stopped */
	struct {
		uint16_t	 id;
		struct flow	*f;
	}			 pend[LIMIT_DNS_PENDING];
	int			 npend;
};

/* The port of "ip:port" / "[ip6]:port", or -1. */
static int
port_of(const char *addr)
{
	const char *p = addr != NULL ? strrchr(addr, ':') : NULL;
	char *end;
	long v;

	if (p == NULL || p[1] == '\0')
		return -1;
	v = strtol(p + 1, &end, 10);
	return *end == '\0' && v > 0 && v < 65536 ? (int)v : -1;
}

struct dnstcp *
core_dnstcp_new(const struct flow *tcp)
{
	struct dnstcp *d;

	if (port_of(tcp->server) != 53)
		return NULL;
	if ((d = calloc(1, sizeof *d)) == NULL)
		abort();
	d->tcp = tcp;
	return d;
}

static struct flow *
flow_new(const struct dnstcp *d)
{
	struct flow *f = core_flow_new(FLOW_DNS);

	core_flow_set(&f->client, d->tcp->client);
	core_flow_set(&f->server, d->tcp->server);
	core_flow_set(&f->comm, d->tcp->comm);
	core_flow_set(&f->mode, d->tcp->mode);
	f->pid = d->tcp->pid;
	f->t.start = core_now();
	f->t.connect_end = d->tcp->t.connect_end;
	f->state = FLOW_ACTIVE;
	if ((f->dns = calloc(1, sizeof *f->dns)) == NULL)
		abort();
	f->dns->rcode = -1;
	core_store_add(f);
	return f;
}

static void
pending_finish(struct dnstcp *d, int i, const char *error)
{
	struct flow *f = d->pend[i].f;

	if (error != NULL)
		core_flow_error(f, "%s", error);
	core_store_finish(f);
	memmove(&d->pend[i], &d->pend[i + 1],
	    (size_t)(d->npend - i - 1) * sizeof d->pend[0]);
	d->npend--;
}

/* One whole message; 0, or -1 when it is not DNS. */
static int
message(struct dnstcp *d, int up, const uint8_t *p, size_t n)
{
	struct dns_msg m;
	struct flow *f;
	int i;

	if (core_dns_parse(p, n, &m) < 0 || m.qr == up)
		return -1;
	if (up) {
		if (d->npend == LIMIT_DNS_PENDING)
			pending_finish(d, 0, "no answer");
		f = flow_new(d);
		core_dns_fill(f->dns, p, n);
		core_flow_body_append(&f->up, p, n);
		f->t.request_sent = core_now();
		d->pend[d->npend].id = m.id;
		d->pend[d->npend++].f = f;
		core_store_update(f);
		return 0;
	}
	for (i = 0; i < d->npend; i++) {
		f = d->pend[i].f;
		if (d->pend[i].id != m.id || (f->dns->name != NULL &&
		    strcmp(f->dns->name, m.qname) != 0))
			continue;
		core_dns_fill(f->dns, p, n);
		core_flow_body_append(&f->down, p, n);
		f->t.response_start = core_now();
		if (m.rcode != 0)
			core_flow_error(f, "%s", core_dns_rcode_name(m.rcode) ?
			    core_dns_rcode_name(m.rcode) : "DNS error");
		pending_finish(d, i, NULL);
		return 0;
	}
	/* An answer to nothing asked here: left alone, not an error. */
	return 0;
}

void
core_dnstcp_feed(struct dnstcp *d, int from_client, const char *p, size_t n)
{
	struct dir *dr = from_client ? &d->up : &d->down;
	size_t need, take;

	while (n > 0 && !d->broken) {
		if (dr->buf == NULL && (dr->buf = malloc(DNSTCP_MAX)) == NULL)
			abort();
		/* The prefix first, then the message it announces. */
		need = dr->len < 2 ? 2 : 2 + (((size_t)dr->buf[0] << 8) |
		    dr->buf[1]);
		take = need - dr->len < n ? need - dr->len : n;
		memcpy(dr->buf + dr->len, p, take);
		dr->len += take;
		p += take;
		n -= take;
		if (dr->len < need || dr->len == 2)
			continue;
		if (message(d, from_client, dr->buf + 2, dr->len - 2) < 0)
			d->broken = 1;
		dr->len = 0;
	}
	/* A zero length frames nothing DNS sends. */
	if (dr->len >= 2 && dr->buf[0] == 0 && dr->buf[1] == 0)
		d->broken = 1;
}

void
core_dnstcp_free(struct dnstcp *d, const char *error)
{
	if (d == NULL)
		return;
	while (d->npend > 0)
		pending_finish(d, 0, error != NULL ? error : "no answer");
	free(d->up.buf);
	free(d->down.buf);
	free(d);
}
