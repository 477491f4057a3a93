/*
 * tunnel.c -- relay bytes between two streams and count them.
 */
#include <stdlib.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/dnstcp.h"
#include "core/proxy/tunnel.h"

struct side {
	struct tunnel	*t;
	struct stream	*s;
	struct side	*peer;
	int		 eof;		/* this side sent FIN */
};

struct tunnel {
	struct side		 client, server;
	struct flow		*f;
	struct loop_timer	*idle;
	struct dnstcp		*dns;	/* to port 53: DNS flows too */
};

static int ntunnels;

int
core_tunnel_count(void)
{
	return ntunnels;
}

static void
finish(struct tunnel *t, const char *error, int aborted)
{
	ntunnels--;
	if (error != NULL)
		core_flow_error(t->f, "%s", error);
	if (aborted) {
		core_stream_abort(t->client.s);
		core_stream_abort(t->server.s);
	} else {
		core_stream_close(t->client.s);
		core_stream_close(t->server.s);
	}
	core_loop_timer_free(t->idle);
	core_dnstcp_free(t->dns, error);
	core_store_finish(t->f);
	free(t);
}

void
core_tunnel_record(struct flow *f, int from_client, const char *p, size_t n)
{
	size_t keep = n < LIMIT_RAW_CHUNK ? n : LIMIT_RAW_CHUNK;

	core_flow_body_append(from_client ? &f->up : &f->down, p, n);
	if (f->msgs.bytes + keep > LIMIT_RAW_FLOW_BYTES)
		keep = 0;
	core_flow_msg_add(f, from_client, 0, p, keep, n,
	    keep < n ? FLOW_MSG_TRUNCATED : 0);
	/* Before the tunnel the flow may not be in the store yet. */
	if (f->id != 0)
		core_store_message(f);
}

static void
record(struct tunnel *t, int from_client, const char *p, size_t n)
{
	core_tunnel_record(t->f, from_client, p, n);
	if (t->dns != NULL)
		core_dnstcp_feed(t->dns, from_client, p, n);
}

static void
on_data(void *arg, const char *p, size_t n)
{
	struct side *sd = arg;
	struct tunnel *t = sd->t;

	record(t, sd == &t->client, p, n);
	core_stream_write(sd->peer->s, p, n);
	if (core_stream_pending(sd->peer->s) > LIMIT_CONN_BUFFER)
		core_stream_pause(sd->s, 1);
	core_loop_timer_set(t->idle, LIMIT_IDLE_TUNNEL_SEC);
}

static void
on_drain(void *arg)
{
	struct side *sd = arg;

	if (!sd->peer->eof)
		core_stream_pause(sd->peer->s, 0);
}

static void
on_eof(void *arg)
{
	struct side *sd = arg;
	struct tunnel *t = sd->t;

	sd->eof = 1;
	core_stream_shutdown(sd->peer->s);
	if (sd->peer->eof)
		finish(t, NULL, 0);
}

static void
on_error(void *arg, const char *msg)
{
	struct side *sd = arg;
	struct tunnel *t = sd->t;

	if (sd == &t->client)
		t->f->client_gone = 1;
	finish(t, msg, 1);
}

static void
on_idle(void *arg)
{
	finish(arg, "tunnel idle for too long", 1);
}

void
core_tunnel_start(struct stream *client, struct stream *server, struct flow *f,
    const char *pre, size_t prelen, int client_eof)
{
	struct tunnel *t = calloc(1, sizeof *t);
	struct stream_cbs cbs = { on_data, on_drain, on_eof, on_error, NULL };

	if (t == NULL)
		abort();
	ntunnels++;
	t->f = f;
	t->client.t = t->server.t = t;
	t->client.s = client;
	t->server.s = server;
	t->client.peer = &t->server;
	t->server.peer = &t->client;
	t->idle = core_loop_timer_new(core_loop, on_idle, t);
	t->dns = core_dnstcp_new(f);
	core_loop_timer_set(t->idle, LIMIT_IDLE_TUNNEL_SEC);
	cbs.arg = &t->client;
	core_stream_set_cbs(client, &cbs);
	cbs.arg = &t->server;
	core_stream_set_cbs(server, &cbs);
	if (prelen > 0) {
		record(t, 1, pre, prelen);
		core_stream_write(server, pre, prelen);
	}
	if (client_eof) {
		t->client.eof = 1;
		core_stream_shutdown(server);
	} else
		core_stream_pause(client, 0);
	core_stream_pause(server, 0);
}
