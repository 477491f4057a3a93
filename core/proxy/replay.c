/*
 * replay.c -- a flow's request sent again, as a new flow marked as a
 * replay, from a client connection that is no one; and duplicates.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/stream.h"
#include "core/proxy/intercept.h"
#include "core/proxy/proxy.h"
#include "core/proxy/replay.h"

static int
fail(char **cause, const char *msg)
{
	core_cause(cause, "%s", msg);
	return -1;
}

/* --- replay: a request fed to the proxy from a client that is no one --- */

struct sink {
	struct stream	 s;
	int		 closed;
};

static void
sink_write(struct stream *s, const void *p, size_t n)
{
}

static size_t
sink_pending(struct stream *s)
{
	return 0;
}

static void
sink_pause(struct stream *s, int paused)
{
}

static void
sink_shutdown(struct stream *s)
{
}

static void
sink_close(struct stream *s)
{
	free(s->impl);
}

static const struct stream_ops sink_ops = {
	sink_write, sink_pending, sink_pause, sink_shutdown, sink_close,
	sink_close
};

struct flow *
core_replay(struct flow *f, char **cause)
{
	const struct flow_request *r = f->request;
	struct proxy_origin o;
	struct flow_headers h = { 0 };
	struct sink *sk;
	struct buf b = { 0 };
	struct flow *nf;
	size_t i, count;
	int dflt;

	if (f->type != FLOW_HTTP || r == NULL || r->method == NULL ||
	    r->host == NULL || r->host[0] == '\0') {
		fail(cause, "only HTTP flows with a request can be replayed");
		return NULL;
	}
	if (r->body.truncated) {
		fail(cause, "the request body was kept only in part: it "
		    "cannot be sent again as it was");
		return NULL;
	}
	if (core_intercept_is_held(f)) {
		fail(cause, "resume or kill the flow before replaying it");
		return NULL;
	}
	/* The request in absolute form, as a proxy client would send it. */
	dflt = (r->scheme != NULL && strcmp(r->scheme, "https") == 0) ? 443 : 80;
	core_buf_printf(&b, "%s %s://%s%s%s", r->method,
	    r->scheme != NULL ? r->scheme : "http",
	    strchr(r->host, ':') ? "[" : "", r->host,
	    strchr(r->host, ':') ? "]" : "");
	if (r->port != 0 && r->port != dflt)
		core_buf_printf(&b, ":%d", r->port);
	core_buf_printf(&b, "%s HTTP/1.1\r\n", r->path != NULL &&
	    r->path[0] == '/' ? r->path : "/");
	/* The request as recorded: its fields in order, nothing added; only
	 * a body trawl keeps decoded of its chunks is framed by length. */
	core_flow_headers_copy(&h, &r->headers);
	if (core_flow_header_get(&h, "transfer-encoding") != NULL)
		core_flow_headers_reframe(&h, &r->body, 1);
	for (i = 0; i < h.n; i++)
		core_buf_printf(&b, "%s: %s\r\n", h.v[i].name, h.v[i].value);
	core_flow_headers_clear(&h);
	core_buf_printf(&b, "\r\n");
	if (r->body.len > 0)
		core_buf_append(&b, r->body.data, r->body.len);

	sk = calloc(1, sizeof *sk);
	if (sk == NULL)
		abort();
	sk->s.ops = &sink_ops;
	sk->s.impl = sk;
	memset(&o, 0, sizeof o);
	o.client = "replay";
	o.replay_of = f->id;
	o.one_request = 1;	/* its own upstream, closed after the answer */
	count = core_store_count();
	core_proxy_accept(&sk->s, &o);
	/* The proxy is not inside a stream call here: feeding it is safe. */
	sk->s.cbs.on_data(sk->s.cbs.arg, core_buf_head(&b), b.len);
	core_buf_free(&b);
	nf = core_store_count() > count ?
	    core_store_at(core_store_count() - 1) : NULL;
	if (nf == NULL || nf->replay_of != f->id) {
		fail(cause, "the replayed request was refused");
		return NULL;
	}
	return nf;
}
