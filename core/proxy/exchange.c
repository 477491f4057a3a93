/*
 * exchange.c -- one request and its response between two codecs: the
 * flow, intercept, upstream choice, body capture and errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/buf.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/proxy/conn.h"
#include "core/proxy/exchange.h"
#include "core/proxy/intercept.h"
#include "core/proxy/reverse.h"
#include "core/proxy/rules.h"
#include "core/proxy/serverreplay.h"
#include "core/proxy/tlsrecord.h"

enum xstate {
	XS_HELD,	/* intercepted: nothing went upstream */
	XS_WAITING,	/* waiting for an upstream connection */
	XS_SENDING,	/* the request goes up; no response head yet */
	XS_RESPONDING,	/* the response comes back */
	XS_HELD_RESPONSE /* intercepted: the whole response is kept back */
};

struct exchange {
	struct conn		*c;
	enum xstate		 state;
	const struct down_ops	*dops;
	void			*down;
	const struct up_ops	*uops;
	void			*up;		/* NULL until an upstream is ready */
	struct flow		*f;
	struct xtarget		 t;
	enum xbody		 req_body;
	uint64_t		 req_len;
	struct buf		 upq;		/* request payload waiting for up */
	struct flow_headers	 req_trailers;
	int			 req_done;	/* the client ended the request */
	int			 resp_done;
	int			 sent_any;	/* some of a response reached the client */
	int			 stored;	/* the flow is in the store */
	int			 retried;
	int			 held;		/* registered with intercept */
	struct loop_timer	*pause_timer;	/* --intercept-timeout */
	/* Rules (rules.h): held for modify-body, not for the user; a
	 * response of a rule's own, sent from the loop. */
	int			 rules_held;
	enum xbody		 resp_body;	/* a held response's framing */
	uint64_t		 resp_len;
	struct loop_timer	*rules_timer;
	/* --server-replay: the request body is kept back to match on. */
	int			 sreplay_held;
};

static int nexchanges;

static void	finish(struct exchange *, int ok);

int
core_exchange_count(void)
{
	return nexchanges;
}

struct flow *
core_exchange_flow(const struct exchange *x)
{
	return x->f;
}

const struct xtarget *
core_exchange_target(const struct exchange *x)
{
	return &x->t;
}

int
core_exchange_request_open(const struct exchange *x)
{
	return !x->req_done;
}

void
core_xtarget_clear(struct xtarget *t)
{
	free(t->scheme);
	free(t->host);
	free(t->tls_name);
	memset(t, 0, sizeof *t);
}

static void
store(struct exchange *x)
{
	if (!x->stored) {
		x->stored = 1;
		core_store_add(x->f);
	}
}

/* --- teardown ------------------------------------------------------------ */

static void
unhold(struct exchange *x)
{
	core_loop_timer_free(x->pause_timer);
	x->pause_timer = NULL;
	if (x->held)
		core_intercept_unhold(x->f);
	x->held = 0;
}

/* Lets the up side go: back to the conn's pool, or closed. */
static void
release_up(struct exchange *x, int reusable)
{
	void *up = x->up;

	if (x->state == XS_WAITING)
		core_conn_upstream_cancel(x->c, x);
	x->up = NULL;
	if (up != NULL)
		x->uops->release(up, reusable);
}

static void
x_free(struct exchange *x)
{
	unhold(x);
	core_loop_timer_free(x->rules_timer);
	release_up(x, 0);
	if (x->f != NULL) {
		if (!x->stored)
			core_flow_free(x->f);
		else if (x->f->state != FLOW_DONE)
			core_store_finish(x->f);
	}
	core_buf_free(&x->upq);
	core_flow_headers_clear(&x->req_trailers);
	core_xtarget_clear(&x->t);
	free(x);
	nexchanges--;
}

/*
 * The exchange is over. ok: both messages ended as HTTP allows, so both
 * connections may go on. The up side goes first, so that the client's
 * next request (which done() may start at once) can reuse it.
 */
static void
finish(struct exchange *x, int ok)
{
	const struct down_ops *dops = x->dops;
	void *down = x->down;

	unhold(x);
	release_up(x, ok && x->req_done);
	x->down = NULL;
	x_free(x);
	if (down != NULL)
		dops->done(down, ok);
}

/* Ends the exchange with an error: the client gets status (trawl's own
 * answer) unless part of a response reached it, then a reset. */
static void
fail(struct exchange *x, int status, const char *reason, const char *fmt,
    const char *detail)
{
	char msg[512];

	snprintf(msg, sizeof msg, fmt, detail);
	store(x);
	core_flow_error(x->f, "%s", msg);
	release_up(x, 0);
	if (x->down != NULL)
		x->dops->fail(x->down, x->sent_any ? 0 : status, reason, msg);
	finish(x, 0);
}

void
core_exchange_abort(struct exchange *x, const char *why)
{
	store(x);
	if (x->f->state != FLOW_DONE)
		core_flow_error(x->f, "%s", why);
	x->down = NULL;
	x_free(x);
}

void
core_exchange_client_gone(struct exchange *x, const char *why)
{
	x->f->client_gone = 1;
	store(x);
	core_flow_error(x->f, "client disconnected: %s", why);
	x->down = NULL;
	x_free(x);
}

/* --- toward the server ----------------------------------------------------- */

/* The request, as it now stands, goes up. */
static void
send_request(struct exchange *x)
{
	struct flow_request *r = x->f->request;

	x->state = XS_SENDING;
	x->uops->head(x->up, r, &x->t, x->req_body, x->req_len);
	if (x->upq.len > 0) {
		x->uops->data(x->up, core_buf_head(&x->upq), x->upq.len);
		core_buf_free(&x->upq);
	}
	if (x->req_done) {
		x->uops->end(x->up, x->req_trailers.n > 0 ? &x->req_trailers :
		    NULL);
		x->f->t.request_sent = core_now();
	}
	if (!x->req_done && x->down != NULL)
		x->dops->pause(x->down, 0);
}

void
core_exchange_up_ready(struct exchange *x, const struct up_ops *ops,
    void *up, const char *addr)
{
	x->uops = ops;
	x->up = up;
	if (addr != NULL)
		core_flow_set(&x->f->server, addr);
	send_request(x);
}

void
core_exchange_up_failed(struct exchange *x, const char *why, double dns_end,
    const char *addr)
{
	x->state = XS_SENDING;	/* nothing to cancel */
	x->f->t.dns_end = dns_end;
	if (addr != NULL && addr[0] != '\0')
		core_flow_set(&x->f->server, addr);
	fail(x, 502, "Bad Gateway", "%s", why);
}

void
core_exchange_up_tls(struct exchange *x, struct stream *s)
{
	core_tlsrecord_fill(s, core_flow_server_tls_w(x->f));
	x->f->t.tls_end = core_now();
}

static void
ask_upstream(struct exchange *x, int fresh)
{
	x->state = XS_WAITING;
	x->f->t.dns_start = core_now();
	core_conn_upstream(x->c, x, fresh);
}

void
core_exchange_up_drained(struct exchange *x)
{
	if (!x->req_done && x->down != NULL &&
	    (x->state == XS_SENDING || x->state == XS_RESPONDING))
		x->dops->pause(x->down, 0);
}

/* --- intercept ----------------------------------------------------------- */

static int	x_resume(void *, char **);
static int	x_kill(void *, char **);
static const struct intercept_hold_ops hold_ops = { x_resume, x_kill, NULL,
    NULL };

static void
pause_expired(void *arg)
{
	struct exchange *x = arg;

	core_intercept_resume(x->f, NULL);
}

static void
hold(struct exchange *x, enum flow_state state)
{
	double timeout = core_intercept_timeout();

	x->f->state = state;
	x->held = 1;
	core_intercept_hold(x->f, &hold_ops, x);
	if (timeout > 0) {
		x->pause_timer = core_loop_timer_new(core_loop, pause_expired, x);
		core_loop_timer_set(x->pause_timer, timeout);
	}
	core_store_update(x->f);
}

/*
 * A request whose body trawl keeps back before anything goes upstream:
 * a client that sent Expect: 100-continue waits for a 100 that no server
 * will send, so trawl sends it and drops the field, as mitmproxy does.
 */
static void
body_kept_back(struct exchange *x)
{
	struct flow_request *rq = x->f->request;
	const char *e = core_flow_header_get(&rq->headers, "expect");
	struct flow_response r;

	if (e == NULL || strcasecmp(e, "100-continue") != 0 ||
	    x->dops->interim == NULL)
		return;
	memset(&r, 0, sizeof r);
	r.status = 100;
	r.reason = "Continue";
	r.version = rq->version;
	x->dops->interim(x->down, &r);
	core_flow_header_remove(&rq->headers, "expect");
}

/* The flow's (possibly edited) response goes to the client whole. */
static void
answer_from_flow(struct exchange *x)
{
	struct flow_response *r = x->f->response;
	int bodyless = r->status < 200 || r->status == 204 || r->status == 304;
	int head = strcmp(x->f->request->method, "HEAD") == 0;

	if (!head)
		core_flow_headers_frame(&r->headers, r->body.len, !bodyless);
	x->dops->head(x->down, r, bodyless || head ? XBODY_NONE :
	    XBODY_LENGTH, bodyless || head ? 0 : r->body.len);
	if (!bodyless && !head && r->body.len > 0)
		x->dops->data(x->down, r->body.data, r->body.len);
	x->dops->end(x->down, r->trailers.n > 0 ? &r->trailers : NULL);
	x->sent_any = 1;
}

/* Whether an edit changed where the request goes. */
static int
retargeted(const struct flow_request *was, const struct flow_request *now)
{
	if (was == NULL)
		return 0;
	return was->port != now->port ||
	    strcmp(was->host ? was->host : "", now->host ? now->host : "") ||
	    strcmp(was->scheme ? was->scheme : "", now->scheme ? now->scheme : "");
}

/* intercept.c took the hold off before calling either of these. */
static int
x_resume(void *arg, char **cause)
{
	struct exchange *x = arg;
	struct flow *f = x->f;
	struct flow_request *r = f->request;

	x->held = 0;
	unhold(x);
	f->state = FLOW_ACTIVE;
	if (x->state == XS_HELD_RESPONSE || f->response != NULL) {
		/* The response stage, or a response the user wrote at the
		 * request stage (the server is never asked): answer. */
		if (x->state == XS_HELD)
			f->response->t_start = f->response->t_end = core_now();
		answer_from_flow(x);
		x->resp_done = 1;
		core_store_update(f);
		finish(x, 1);
		return 0;
	}
	if (retargeted(f->orig_request, r)) {
		/* The user pointed the request elsewhere: go there. */
		core_xtarget_clear(&x->t);
		x->t.scheme = strdup(r->scheme != NULL ? r->scheme : "http");
		x->t.host = strdup(r->host != NULL ? r->host : "");
		x->t.port = r->port;
		x->t.tls_name = strcmp(x->t.scheme, "https") == 0 ?
		    strdup(x->t.host) : NULL;
		x->t.absolute = 1;	/* Host follows the new URL */
		x->t.minor = 1;
	}
	/* Edited or not, the body is the one the flow holds: framed by
	 * length after an edit (untouched fields keep their order), as it
	 * came otherwise. */
	if (f->modified) {
		core_flow_headers_frame(&r->headers, r->body.len,
		    r->body.len > 0 || x->req_body != XBODY_NONE);
		x->req_body = r->body.len > 0 ? XBODY_LENGTH : XBODY_NONE;
		x->req_len = r->body.len;
	}
	core_buf_free(&x->upq);
	if (r->body.len > 0)
		core_buf_append(&x->upq, r->body.data, r->body.len);
	core_store_update(f);
	ask_upstream(x, 0);
	return 0;
}

static int
x_kill(void *arg, char **cause)
{
	struct exchange *x = arg;

	x->held = 0;
	fail(x, XFAIL_KILLED, "Bad Gateway", "%s", "killed by the user");
	return 0;
}

/* --- rules (rules.h) ------------------------------------------------------- */

/* A block-list or map-local rule answered: sent from the loop, since
 * the codec that made the exchange is still in core_exchange_new. */
static void
rules_answer(void *arg)
{
	struct exchange *x = arg;
	struct flow *f = x->f;

	core_loop_timer_free(x->rules_timer);
	x->rules_timer = NULL;
	if (f->response == NULL && f->error != NULL) {
		/* --server-replay-extra kill: the error says so. */
		fail(x, XFAIL_KILLED, "Bad Gateway", "%s", f->error);
		return;
	}
	if (f->response == NULL) {	/* 444: no answer at all */
		fail(x, 0, "Blocked", "%s", "closed by a --block-list rule");
		return;
	}
	f->response->t_start = f->response->t_end = core_now();
	f->t.response_start = f->response->t_start;
	answer_from_flow(x);
	x->resp_done = 1;
	core_store_update(f);
	finish(x, x->req_done);
}

static void
rules_answer_later(struct exchange *x)
{
	x->state = XS_HELD;
	x->rules_timer = core_loop_timer_new(core_loop, rules_answer, x);
	core_loop_timer_set(x->rules_timer, 0);
}

/* A held message is too large for modify-body: it goes on as it came,
 * the held bytes (the flow's whole prefix so far) first. p, n: the
 * piece that made it too large, already counted in the flow. */
static void
rules_release_request(struct exchange *x, const char *p, size_t n)
{
	struct flow_body *b = &x->f->request->body;

	x->rules_held = 0;
	core_buf_append(&x->upq, b->data, (size_t)(b->total - n));
	core_buf_append(&x->upq, p, n);
	ask_upstream(x, 0);
	x->dops->pause(x->down, 1);	/* send_request resumes it */
}

static void
rules_release_response(struct exchange *x, const char *p, size_t n)
{
	struct flow_response *r = x->f->response;

	x->rules_held = 0;
	x->state = XS_RESPONDING;
	x->dops->head(x->down, r, x->resp_body, x->resp_len);
	x->sent_any = 1;
	x->dops->data(x->down, r->body.data, (size_t)(r->body.total - n));
	x->dops->data(x->down, p, n);
}

/* A response held for modify-body ended: it goes whole, reframed. */
static void
rules_answer_held(struct exchange *x)
{
	x->rules_held = 0;
	x->f->state = FLOW_ACTIVE;
	answer_from_flow(x);
	core_store_update(x->f);
	finish(x, x->req_done);
}

/* --- server replay (serverreplay.h) ----------------------------------------- */

/* The request is whole: a saved flow answers it, or the extra option
 * kills or answers it (1, from the loop), or it goes on (0). */
static int
sreplay_decide(struct exchange *x)
{
	if (core_serverreplay_request(x->f) == SREPLAY_FORWARD)
		return 0;
	rules_answer_later(x);
	return 1;
}

/* The body grew past what is kept: no saved flow can match it. */
static void
sreplay_too_large(struct exchange *x, const char *p, size_t n)
{
	x->sreplay_held = 0;
	if (core_serverreplay_extra(x->f) == SREPLAY_FORWARD)
		rules_release_request(x, p, n);
	else
		rules_answer_later(x);
}

/* --- the request ------------------------------------------------------------ */

struct exchange *
core_exchange_new(struct conn *c, const struct down_ops *dops, void *down,
    struct flow *f, struct flow_request *req, struct xtarget *t,
    enum xbody body, uint64_t len)
{
	struct exchange *x = calloc(1, sizeof *x);

	if (x == NULL)
		abort();
	nexchanges++;
	x->c = c;
	x->dops = dops;
	x->down = down;
	x->f = f;
	f->request = req;
	x->t = *t;
	memset(t, 0, sizeof *t);
	x->req_body = body;
	x->req_len = len;
	x->req_done = body == XBODY_NONE;
	if (x->req_done)
		req->t_end = req->t_start;
	core_reverse_request(c, f, &x->t);
	store(x);
	switch (core_rules_request_head(f, &x->t)) {
	case RULES_FORWARD:
		break;
	default:		/* answered or closed by a rule */
		rules_answer_later(x);
		return x;
	}
	if (core_serverreplay_active()) {
		if (!x->req_done) {
			/* Matched on its body too: kept back until it ended. */
			x->state = XS_HELD;
			x->sreplay_held = 1;
			body_kept_back(x);
			return x;
		}
		if (sreplay_decide(x))
			return x;
	}
	if (core_intercept_wants(f, INTERCEPT_REQUEST)) {
		/* Nothing goes upstream until the user lets it. */
		x->state = XS_HELD;
		if (x->req_done)
			hold(x, FLOW_PAUSED_REQUEST);
		else
			body_kept_back(x);
		return x;
	}
	if (!x->req_done && core_rules_request_body_wanted(f)) {
		/* modify-body: the body is kept back until it ended. */
		x->state = XS_HELD;
		x->rules_held = 1;
		body_kept_back(x);
		return x;
	}
	ask_upstream(x, 0);
	return x;
}

void
core_exchange_request_data(struct exchange *x, const char *p, size_t n)
{
	core_flow_body_append(&x->f->request->body, p, n);
	switch (x->state) {
	case XS_HELD:
		if (x->rules_timer != NULL)
			return;		/* a rule answers anyway */
		if (x->f->request->body.truncated && x->sreplay_held) {
			sreplay_too_large(x, p, n);
			return;
		}
		if (x->f->request->body.truncated && x->rules_held) {
			rules_release_request(x, p, n);
			return;
		}
		if (x->f->request->body.truncated)
			fail(x, 413, "Content Too Large", "%s", "request body "
			    "over 4 MiB is too large to intercept");
		return;
	case XS_WAITING:
		core_buf_append(&x->upq, p, n);
		if (x->upq.len > LIMIT_CONN_BUFFER)
			x->dops->pause(x->down, 1);
		return;
	default:
		x->uops->data(x->up, p, n);
		if (x->uops->pending(x->up) > LIMIT_CONN_BUFFER)
			x->dops->pause(x->down, 1);
		return;
	}
}

void
core_exchange_request_end(struct exchange *x, const struct flow_headers *tr)
{
	if (x->req_done)
		return;		/* a bodyless request ended with its head */
	x->req_done = 1;
	x->f->request->t_end = core_now();
	if (tr != NULL) {
		core_flow_headers_copy(&x->req_trailers, tr);
		core_flow_headers_copy(&x->f->request->trailers, tr);
	}
	core_rules_request_end(x->f, x->state == XS_HELD &&
	    x->rules_timer == NULL);
	switch (x->state) {
	case XS_HELD:
		if (x->rules_timer != NULL)
			return;		/* rules_answer goes on */
		if (x->sreplay_held) {
			x->sreplay_held = 0;
			if (sreplay_decide(x))
				return;
			if (core_intercept_wants(x->f, INTERCEPT_REQUEST))
				hold(x, FLOW_PAUSED_REQUEST);
			else
				x_resume(x, NULL);
			return;
		}
		if (x->rules_held) {
			x->rules_held = 0;
			x_resume(x, NULL);
			return;
		}
		hold(x, FLOW_PAUSED_REQUEST);
		return;
	case XS_WAITING:
		return;		/* send_request ends it */
	case XS_SENDING:
	case XS_RESPONDING:
		x->uops->end(x->up, tr);
		x->f->t.request_sent = x->f->request->t_end;
		return;
	case XS_HELD_RESPONSE:
		return;
	}
}

/* --- the response ----------------------------------------------------------- */

void
core_exchange_response_head(struct exchange *x, struct flow_response *r,
    enum xbody body, uint64_t len)
{
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* Interim (100 Continue, 103): relay it, wait for the final. */
		x->dops->interim(x->down, r);
		core_flow_response_free(r);
		return;
	}
	core_flow_response_free(x->f->response);
	x->f->response = r;
	r->t_start = core_now();
	x->f->t.response_start = r->t_start;
	x->state = XS_RESPONDING;
	if (r->status == 101) {
		const char *pre = NULL;
		size_t prelen = 0;
		struct stream *us;
		struct flow *f = x->f;

		if (!x->t.upgrade || x->dops->switch_protocols == NULL ||
		    x->uops->detach == NULL) {
			fail(x, 502, "Bad Gateway", "server %s switched "
			    "protocols unasked", x->t.host);
			return;
		}
		/* Both streams become a relay on the same flow. */
		r->t_end = core_now();
		core_store_update(f);
		us = x->uops->detach(x->up, &pre, &prelen);
		x->up = NULL;
		x->f = NULL;
		x->dops->switch_protocols(x->down, f, us, pre, prelen);
		x->down = NULL;
		x_free(x);
		return;
	}
	core_rules_response_head(x->f);
	core_store_update(x->f);
	if (core_intercept_wants(x->f, INTERCEPT_RESPONSE)) {
		/* Kept back until the user lets it go. */
		x->state = XS_HELD_RESPONSE;
		return;
	}
	if (body != XBODY_NONE && core_rules_response_body_wanted(x->f)) {
		/* modify-body: kept back until it ended. */
		x->state = XS_HELD_RESPONSE;
		x->rules_held = 1;
		x->resp_body = body;
		x->resp_len = len;
		return;
	}
	x->dops->head(x->down, r, body, len);
	x->sent_any = 1;
}

void
core_exchange_response_data(struct exchange *x, const char *p, size_t n)
{
	core_flow_body_append(&x->f->response->body, p, n);
	if (x->state == XS_HELD_RESPONSE && x->rules_held &&
	    x->f->response->body.truncated) {
		rules_release_response(x, p, n);
		return;
	}
	if (x->state == XS_HELD_RESPONSE) {
		if (x->f->response->body.truncated)
			fail(x, 502, "Bad Gateway", "%s", "response body over "
			    "4 MiB is too large to intercept");
		return;
	}
	x->dops->data(x->down, p, n);
	/* The client is slow: stop reading the server until it drains. */
	if (x->dops->pending(x->down) > LIMIT_CONN_BUFFER)
		x->uops->pause(x->up, 1);
}

void
core_exchange_down_drained(struct exchange *x)
{
	if (x->up != NULL && x->state == XS_RESPONDING)
		x->uops->pause(x->up, 0);
}

void
core_exchange_response_end(struct exchange *x, const struct flow_headers *tr)
{
	x->resp_done = 1;
	x->f->response->t_end = core_now();
	if (tr != NULL)
		core_flow_headers_copy(&x->f->response->trailers, tr);
	core_rules_response_end(x->f, x->state == XS_HELD_RESPONSE);
	if (x->state == XS_HELD_RESPONSE) {
		/* The server's part is done; the user decides the rest. */
		release_up(x, x->req_done);
		if (x->rules_held) {
			rules_answer_held(x);
			return;
		}
		hold(x, FLOW_PAUSED_RESPONSE);
		return;
	}
	x->dops->end(x->down, tr);
	core_store_update(x->f);
	/* The server answered before the request ended (a 413, say): the
	 * rest of the request has nowhere to go; the codecs end it. */
	finish(x, x->req_done);
}

void
core_exchange_timeout(struct exchange *x)
{
	char why[64];

	snprintf(why, sizeof why, "idle timeout after %d s: the server did "
	    "not answer in time", LIMIT_IDLE_CLIENT_SEC);
	fail(x, x->state == XS_RESPONDING ? 0 : 504, "Gateway Timeout", "%s",
	    why);
}

void
core_exchange_server_gone(struct exchange *x, const char *why, int retry)
{
	/* A reused connection the server closed just as the request went
	 * out: sent once more on a fresh one, as browsers do -- for an
	 * explicit proxy's client only. A transparent client's connection
	 * mirrors the program's own: its failure is the program's to see
	 * and retry, never a second connection it did not make. */
	if (retry && !x->retried && x->c->dest_host == NULL &&
	    x->state == XS_SENDING && x->req_body == XBODY_NONE &&
	    x->f->response == NULL) {
		x->retried = 1;
		release_up(x, 0);
		ask_upstream(x, 1);
		return;
	}
	fail(x, x->state == XS_RESPONDING ? 0 : 502, "Bad Gateway", "%s",
	    why);
}
