/*
 * replay.c -- a flow's request sent again, as a new flow marked as a
 * replay, from a client connection that is no one; and duplicates.
 */
#include <arpa/inet.h>
#include <stdio.h>
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

/* Whether an edit changed where the request goes (exchange.c's test). */
static int
retargeted(const struct flow_request *was, const struct flow_request *now)
{
	if (was == NULL)
		return 0;
	return was->port != now->port ||
	    strcmp(was->host ? was->host : "", now->host ? now->host : "") ||
	    strcmp(was->scheme ? was->scheme : "", now->scheme ? now->scheme : "");
}

/*
 * The address the flow reached, from its "ip:port" or "[ip6]:port", into
 * ip (INET6_ADDRSTRLEN bytes) and *port. -1 when it holds no address (a
 * flow that never connected, or loaded from a file without one).
 */
static int
server_address(const char *server, char *ip, int *port)
{
	const char	*p, *end;
	unsigned char	 bin[16];
	size_t		 n;
	long		 v;
	char		*stop;

	if (server == NULL)
		return -1;
	if (server[0] == '[') {
		p = server + 1;
		if ((end = strchr(p, ']')) == NULL || end[1] != ':')
			return -1;
	} else if ((end = strrchr(server, ':')) == NULL)
		return -1;
	else
		p = server;
	n = (size_t)(end - p);
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(ip, p, n);
	ip[n] = '\0';
	if (inet_pton(server[0] == '[' ? AF_INET6 : AF_INET, ip, bin) != 1)
		return -1;
	end += server[0] == '[' ? 2 : 1;
	v = strtol(end, &stop, 10);
	if (*end == '\0' || *stop != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

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
	char ip[INET6_ADDRSTRLEN];
	int dflt, port;

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
	/*
	 * Back to the address the original reached, with its SNI (the URL
	 * keeps its Host): the name may be one only the program could
	 * resolve (curl --resolve, a hosts file of its own). A URL the user
	 * edited goes where it now says, resolved afresh.
	 */
	if (!retargeted(f->orig_request, r) &&
	    server_address(f->server, ip, &port) == 0) {
		o.dest_host = ip;
		o.dest_port = port;
		o.scheme = dflt == 443 ? "https" : "http";
		o.sni = core_flow_server_tls(f)->sni != NULL ?
		    core_flow_server_tls(f)->sni : core_flow_client_tls(f)->sni;
	}
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
