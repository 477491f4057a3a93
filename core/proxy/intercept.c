/*
 * intercept.c -- intercept rules, the list of paused flows, and edits,
 * reverts and duplicates of flows. The pausing itself lives with the
 * exchange in proxy.c, which registers each paused flow here with how to
 * resume or kill it; this file decides and changes the flow model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/export.h"
#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/decode.h"
#include "core/http/http1.h"
#include "core/http/url.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"

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

struct hold {
	struct flow			*f;
	const struct intercept_hold_ops	*ops;
	void				*arg;
	struct hold			*next;
};
static struct hold	*holds;		/* flows paused now, newest first */

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
		if (stage == INTERCEPT_MESSAGE)
			;	/* every rule that matches the flow */
		else if (stage == INTERCEPT_REQUEST &&
		    !core_filter_wants_request(flt))
			continue;
		if (stage == INTERCEPT_RESPONSE &&
		    !core_filter_wants_response(flt))
			continue;
		if (core_filter_match(flt, f))
			return 1;
	}
	return 0;
}

/* --- paused flows: the proxy holds them, the user decides ------------- */

void
core_intercept_hold(struct flow *f, const struct intercept_hold_ops *ops,
    void *arg)
{
	struct hold *h = calloc(1, sizeof *h);

	if (h == NULL)
		abort();
	h->f = f;
	h->ops = ops;
	h->arg = arg;
	h->next = holds;
	holds = h;
}

/* Unlinks f's hold and returns it (caller frees), or NULL. */
static struct hold *
unlink_hold(const struct flow *f)
{
	struct hold **p, *h;

	for (p = &holds; *p != NULL; p = &(*p)->next) {
		if ((*p)->f == f) {
			h = *p;
			*p = h->next;
			return h;
		}
	}
	return NULL;
}

void
core_intercept_unhold(const struct flow *f)
{
	free(unlink_hold(f));
}

int
core_intercept_is_held(const struct flow *f)
{
	const struct hold *h;

	for (h = holds; h != NULL; h = h->next)
		if (h->f == f)
			return 1;
	return 0;
}

int
core_intercept_held(struct flow **out, int max)
{
	const struct hold *h;
	int n = 0;

	for (h = holds; h != NULL; h = h->next, n++)
		if (n < max)
			out[n] = h->f;
	return n;
}

/* Resumes (kill 0) or kills the exchange behind f. */
static int
decide(struct flow *f, int kill, char **cause)
{
	struct hold *h = unlink_hold(f);
	int rc;

	if (h == NULL)
		return fail(cause, "the flow is not paused");
	rc = kill ? h->ops->kill(h->arg, cause) : h->ops->resume(h->arg, cause);
	free(h);
	return rc;
}

int
core_intercept_resume(struct flow *f, char **cause)
{
	return decide(f, 0, cause);
}

int
core_intercept_resume_all(void)
{
	int total = 0;

	/* Resuming takes the hold off first and can pause nothing new at
	 * the same stage, so this ends. */
	while (holds != NULL)
		if (decide(holds->f, 0, NULL) == 0)
			total++;
	return total;
}

int
core_intercept_kill(struct flow *f, char **cause)
{
	return decide(f, 1, cause);
}

/* The hold a WebSocket message has, newest first (what resume takes). */
static struct hold *
message_hold(const struct flow *f)
{
	struct hold *h;

	for (h = holds; h != NULL; h = h->next)
		if (h->f == f && h->ops->edit != NULL)
			return h;
	return NULL;
}

int
core_intercept_edit_message(struct flow *f, const char *text, size_t len,
    char **cause)
{
	struct hold *h = message_hold(f);

	if (h == NULL)
		return fail(cause, "the flow holds no WebSocket message");
	return h->ops->edit(h->arg, text, len, cause);
}

char *
core_intercept_render_message(const struct flow *f, size_t *len)
{
	struct hold *h = message_hold(f);

	return h != NULL ? h->ops->render(h->arg, len) : NULL;
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

static int	edit_request(struct flow *, const char *, size_t, int, char **);
static int	edit_response(struct flow *, const char *, size_t, int,
		    char **);

/*
 * An HTTP/2 message is edited as HTTP/1-style text whose version says
 * HTTP/2.0 (as it was rendered); the HTTP/1 parser reads it with the
 * version swapped. Returns a copy to parse (caller frees) and sets *h2,
 * or NULL when the text is HTTP/1 already.
 */
static char *
h2_as_h1(const char *text, size_t len, int request, int *h2)
{
	const char *eol = memchr(text, '\n', len), *v;
	size_t line = eol != NULL ? (size_t)(eol - text) : len;
	char *copy;

	*h2 = 0;
	while (line > 0 && (text[line - 1] == '\r' || text[line - 1] == ' '))
		line--;
	if (request) {
		if (line < 9 || memcmp(text + line - 8, "HTTP/2.0", 8) != 0)
			return NULL;
		v = text + line - 8;
	} else {
		if (len < 8 || memcmp(text, "HTTP/2.0", 8) != 0)
			return NULL;
		v = text;
	}
	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, text, len);
	memcpy(copy + (v - text), "HTTP/1.1", 8);
	copy[len] = '\0';
	*h2 = 1;
	return copy;
}

/* Editors may turn CRLF into LF; the parser takes both. Returns the
 * offset of the body. */
int
core_intercept_edit_request(struct flow *f, const char *text, size_t len,
    char **cause)
{
	char *h1 = NULL;
	int h2, rc;

	if ((h1 = h2_as_h1(text, len, 1, &h2)) != NULL)
		text = h1;
	rc = edit_request(f, text, len, h2, cause);
	free(h1);
	return rc;
}

int
core_intercept_edit_response(struct flow *f, const char *text, size_t len,
    char **cause)
{
	char *h1 = NULL;
	int h2, rc;

	if ((h1 = h2_as_h1(text, len, 0, &h2)) != NULL)
		text = h1;
	rc = edit_response(f, text, len, h2, cause);
	free(h1);
	return rc;
}

static int
edit_request(struct flow *f, const char *text, size_t len, int h2,
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
	/* The version is the wire's, not the editor's: an HTTP/2 request
	 * stays one whatever line the user wrote. */
	if (old->version != NULL && strncmp(old->version, "HTTP/2", 6) == 0)
		h2 = 1;
	nr->version = strdup(h2 ? "HTTP/2.0" : r.minor == 0 ? "HTTP/1.0" :
	    "HTTP/1.1");
	core_flow_headers_copy(&nr->trailers, &old->trailers);
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
	core_flow_headers_reframe(&nr->headers, &nr->body, nr->body.len > 0 ||
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

static int
edit_response(struct flow *f, const char *text, size_t len, int h2,
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
	if (old != NULL && old->version != NULL &&
	    strncmp(old->version, "HTTP/2", 6) == 0)
		h2 = 1;
	nr->version = strdup(h2 ? "HTTP/2.0" : r.minor == 0 ? "HTTP/1.0" :
	    "HTTP/1.1");
	if (old != NULL)
		core_flow_headers_copy(&nr->trailers, &old->trailers);
	for (i = 0; i < r.nheaders; i++)
		core_flow_header_add(&nr->headers, hdrs[i].name,
		    hdrs[i].name_len, hdrs[i].value, hdrs[i].value_len);
	core_flow_body_set(&nr->body, text + n, len - (size_t)n);
	if (nr->body.truncated) {
		core_flow_response_free(nr);
		return fail(cause, "the body is larger than 4 MiB");
	}
	core_flow_headers_reframe(&nr->headers, &nr->body, !(r.status < 200 ||
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
