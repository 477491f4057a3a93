/*
 * proxy.c -- where a client connection goes: to the sniffer when its
 * protocol is not known yet, else to the codec it speaks, on a conn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/loop/stream.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/h1down.h"
#include "core/proxy/h2down.h"
#include "core/proxy/mode.h"
#include "core/proxy/pool.h"
#include "core/proxy/proxy.h"
#include "core/proxy/sniff.h"
#include "core/proxy/socks5.h"
#include "core/proxy/tunnel.h"
#include "core/proxy/wsrelay.h"

int
core_proxy_connections(void)
{
	return core_conn_count() + core_sniff_count() + core_tunnel_count() +
	    core_socks5_count() + core_wsrelay_count();
}

void
core_proxy_stats(struct proxy_stats *st)
{
	st->clients = core_conn_count();
	st->sniffing = core_sniff_count();
	st->tunnels = core_tunnel_count() + core_wsrelay_count();
	st->idle_upstreams = core_pool_idle();
}

int
core_proxy_make_room(void)
{
	return core_conn_make_room();
}

void
core_proxy_accept(struct stream *s, const struct proxy_origin *o)
{
	struct conn *c;

	if (o->dest_host != NULL && o->scheme == NULL) {
		/* Transparent, protocol unknown: look at the bytes first. */
		struct flow *f = core_flow_new(FLOW_TCP);
		char server[300];

		core_flow_set(&f->client, o->client);
		f->pid = o->pid;
		core_flow_set(&f->comm, o->comm);
		snprintf(server, sizeof server, strchr(o->dest_host, ':') ?
		    "[%s]:%d" : "%s:%d", o->dest_host, o->dest_port);
		core_flow_set(&f->server, server);
		if (o->mode != NULL)
			core_flow_set(&f->mode, o->mode->spec);
		if (o->upstream != NULL) {
			f->t.start = f->t.dns_start = o->upstream_start;
			f->t.connect_end = o->upstream_end;
		}
		/* With the upstream already there (local mode), the server
		 * may speak first: its bytes decide at once. */
		core_sniff_start(s, o->upstream, o->upstream_addr, f,
		    o->dest_host, o->dest_port, o->pre, o->prelen,
		    core_proxy_accept, o->mode);
		return;
	}
	c = core_conn_new(s, o);
	if (c->h2)
		core_h2down_start(c, o->pre, o->prelen);
	else
		core_h1down_start(c, o->pre, o->prelen);
}

void
core_proxy_shutdown(void)
{
	core_conn_close_all();
	core_socks5_shutdown();
}
