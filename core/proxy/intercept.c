/*
 * intercept.c -- intercept rules, and edits, reverts, replays and
 * duplicates of flows. The pausing itself lives with the exchange in
 * proxy.c; this file decides and changes the flow model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/http/decode.h"
#include "core/flows/export.h"
#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/http/http1.h"
#include "core/proxy/intercept.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/proxy/proxy.h"
#include "core/flows/store.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/http/url.h"

struct rule {
	struct intercept_rule	 pub;
	struct filter		*filter;
};

static struct rule	*rules;
static size_t		 nrules;
static int		 next_id = 1;
static int		 enabled = 1;
static int		 filter_flags;
static double		 timeout;

static int
fail(char **cause, const char *msg)
{
	core_cause(cause, "%s", msg);
	return -1;
}

int
core_intercept_add(const char *expr, char **cause)
{
	struct filter *f = core_filter_compile(expr, filter_flags, cause);

	if (f == NULL)
		return -1;
	rules = realloc(rules, (nrules + 1) * sizeof *rules);
	if (rules == NULL)
		abort();
	rules[nrules].filter = f;
	rules[nrules].pub.id = next_id++;
	rules[nrules].pub.text = core_filter_text(f);
	rules[nrules].pub.enabled = 1;
	return rules[nrules++].pub.id;
}

int
core_intercept_remove(int id)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (rules[i].pub.id == id) {
			core_filter_free(rules[i].filter);
			memmove(&rules[i], &rules[i + 1],
			    (nrules - i - 1) * sizeof *rules);
			nrules--;
			return 0;
		}
	}
	return -1;
}

int
core_intercept_set_rule(int id, int on)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (rules[i].pub.id == id) {
			rules[i].pub.enabled = on;
			return 0;
		}
	}
	return -1;
}

size_t
core_intercept_count(void)
{
	return nrules;
}

const struct intercept_rule *
core_intercept_rule(size_t i)
{
	return i < nrules ? &rules[i].pub : NULL;
}

void
core_intercept_set_enabled(int on)
{
	enabled = on;
}

int
core_intercept_enabled(void)
{
	return enabled;
}

void
core_intercept_set_filter_flags(int flags)
{
	filter_flags = flags;
}

void
core_intercept_set_timeout(double seconds)
{
	timeout = seconds > 0 ? seconds : 0;
}

double
core_intercept_timeout(void)
{
	return timeout;
}

int
core_intercept_wants(const struct flow *f, int stage)
{
	size_t i;

	if (!enabled || f->type != FLOW_HTTP)
		return 0;
	for (i = 0; i < nrules; i++) {
		struct filter *flt = rules[i].filter;

		if (!rules[i].pub.enabled)
			continue;
		if (stage == INTERCEPT_REQUEST && !core_filter_wants_request(flt))
			continue;
		if (stage == INTERCEPT_RESPONSE &&
		    !core_filter_wants_response(flt))
			continue;
		if (core_filter_match(flt, f))
			return 1;
	}
	return 0;
}

int
core_intercept_resume(struct flow *f, char **cause)
{
	return core_proxy_resume(f, cause);
}

int
core_intercept_resume_all(void)
{
	struct flow *list[256];
	int n, i, total = 0;

	/* Resuming can pause nothing new, so this ends. */
	while ((n = core_proxy_paused(list, 256)) > 0) {
		if (n > 256)
			n = 256;
		for (i = 0; i < n; i++)
			if (core_proxy_resume(list[i], NULL) == 0)
				total++;
	}
	return total;
}

int
core_intercept_kill(struct flow *f, char **cause)
{
	return core_proxy_kill(f, cause);
}

/* --- raw HTTP text --------------------------------------------------------- */

char *
core_intercept_render_request(const struct flow *f, size_t *len)
{
	return core_export_request(f, len);
}

char *
core_intercept_render_response(const struct flow *f, size_t *len)
{
	return core_export_response(f, len);
}

/* After an edit the body is whatever the user wrote: frame it with
 * Content-Length, and drop a Content-Encoding it no longer has. */
static void
normalize(struct flow_headers *h, const struct flow_body *body,
    int want_length)
{
	const char *ce = core_flow_header_get(h, "content-encoding");
	char *out = NULL, *err = NULL;
	size_t outlen;
	int drop_ce = 0;

	if (ce != NULL && core_decode_needed(ce)) {
		if (body->len == 0 || core_decode_body(ce, body->data, body->len,
		    &out, &outlen, &err) == -1)
			drop_ce = 1;
		free(out);
		free(err);
	}
	if (drop_ce)
		core_flow_header_remove(h, "content-encoding");
	core_flow_headers_frame(h, body->len, want_length);
}

/* Editors may turn CRLF into LF; the parser takes both. Returns the
 * offset of the body. */
int
core_intercept_edit_request(struct flow *f, const char *text, size_t len,
    char **cause)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_request r;
	struct flow_request *nr, *old = f->request;
	struct url u;
	size_t i;
	int n;

	if (old == NULL)
		return fail(cause, "the flow has no request to edit");
	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_request(text, len, &r);
	if (n == -2)
		return fail(cause, "the request head is incomplete (it needs "
		    "an empty line after the headers)");
	if (n < 0)
		return fail(cause, "the request head is malformed");
	nr = core_flow_request_new();
	nr->method = core_flow_strndup(r.method, r.method_len);
	nr->version = core_flow_strndup(r.minor == 0 ? "HTTP/1.0" :
	    "HTTP/1.1", 8);
	if (r.target_len > 0 && r.target[0] != '/') {
		if (core_url_parse_absolute(r.target, r.target_len, &u) == -1) {
			core_flow_request_free(nr);
			return fail(cause, "the request target is neither a "
			    "path nor an absolute http(s) URL");
		}
		nr->scheme = core_flow_strndup(u.scheme, u.scheme_len);
		for (i = 0; nr->scheme[i] != '\0'; i++)
			nr->scheme[i] = (char)(nr->scheme[i] | 0x20);
		nr->host = core_flow_strndup(u.host, u.host_len);
		nr->port = u.port;
		nr->path = core_flow_strndup(u.path, u.path_len);
	} else {
		nr->scheme = old->scheme != NULL ? strdup(old->scheme) : NULL;
		nr->host = old->host != NULL ? strdup(old->host) : NULL;
		nr->port = old->port;
		nr->path = core_flow_strndup(r.target, r.target_len);
	}
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&nr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	core_flow_body_set(&nr->body, text + n, len - (size_t)n);
	if (nr->body.truncated) {
		core_flow_request_free(nr);
		return fail(cause, "the body is larger than 4 MiB");
	}
	normalize(&nr->headers, &nr->body, nr->body.len > 0 ||
	    core_flow_header_get(&old->headers, "content-length") != NULL ||
	    core_flow_header_get(&old->headers, "transfer-encoding") != NULL);
	nr->t_start = old->t_start;
	nr->t_end = old->t_end;
	if (f->orig_request == NULL)
		f->orig_request = old;
	else
		core_flow_request_free(old);
	f->request = nr;
	f->modified = 1;
	core_store_update(f);
	return 0;
}

int
core_intercept_edit_response(struct flow *f, const char *text, size_t len,
    char **cause)
{
	struct http1_header hdrs[LIMIT_HTTP_HEADERS];
	struct http1_response r;
	struct flow_response *nr, *old = f->response;
	size_t i;
	int n;

	if (f->type != FLOW_HTTP)
		return fail(cause, "only HTTP flows have a response to edit");
	r.headers = hdrs;
	r.nheaders = LIMIT_HTTP_HEADERS;
	n = core_http1_parse_response(text, len, &r);
	if (n == -2)
		return fail(cause, "the response head is incomplete (it needs "
		    "an empty line after the headers)");
	if (n < 0)
		return fail(cause, "the response head is malformed");
	nr = core_flow_response_new();
	nr->status = r.status;
	nr->reason = core_flow_strndup(r.reason, r.reason_len);
	nr->version = core_flow_strndup(r.minor == 0 ? "HTTP/1.0" :
	    "HTTP/1.1", 8);
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&nr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	core_flow_body_set(&nr->body, text + n, len - (size_t)n);
	if (nr->body.truncated) {
		core_flow_response_free(nr);
		return fail(cause, "the body is larger than 4 MiB");
	}
	normalize(&nr->headers, &nr->body, !(r.status < 200 ||
	    r.status == 204 || r.status == 304));
	if (old != NULL) {
		nr->t_start = old->t_start;
		nr->t_end = old->t_end;
	}
	if (f->orig_response == NULL && old != NULL)
		f->orig_response = old;
	else
		core_flow_response_free(old);
	f->response = nr;
	f->modified = 1;
	core_store_update(f);
	return 0;
}

int
core_intercept_revert(struct flow *f, char **cause)
{
	if (!f->modified)
		return fail(cause, "the flow has no edits to revert");
	if (f->orig_request != NULL) {
		core_flow_request_free(f->request);
		f->request = f->orig_request;
		f->orig_request = NULL;
	}
	if (f->orig_response != NULL) {
		core_flow_response_free(f->response);
		f->response = f->orig_response;
		f->orig_response = NULL;
	} else if (f->state == FLOW_PAUSED_REQUEST && f->response != NULL) {
		/* A response the user set on a request: take it away. */
		core_flow_response_free(f->response);
		f->response = NULL;
	}
	f->modified = 0;
	core_store_update(f);
	return 0;
}

struct flow *
core_duplicate(struct flow *f)
{
	struct flow *d = core_flow_dup(f);

	if (d->state != FLOW_DONE) {
		/* A copy has no connection behind it. */
		d->state = FLOW_DONE;
		if (d->t.end == 0)
			d->t.end = core_now();
	}
	core_store_add(d);
	return d;
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
	if (core_proxy_is_paused(f)) {
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
	core_flow_headers_copy(&h, &r->headers);
	normalize(&h, &r->body, r->body.len > 0);
	for (i = 0; i < h.n; i++) {
		if (strcasecmp(h.v[i].name, "connection") == 0)
			continue;
		core_buf_printf(&b, "%s: %s\r\n", h.v[i].name, h.v[i].value);
	}
	core_flow_headers_clear(&h);
	core_buf_printf(&b, "Connection: close\r\n\r\n");
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
