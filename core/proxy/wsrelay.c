/*
 * wsrelay.c -- an upgraded WebSocket connection: relay, parse, keep the
 * messages on the flow, hold them for intercept rules, inject (see
 * wsrelay.h for what reaches the wire).
 *
 * Each direction (a side: the stream it reads from) keeps the bytes it
 * read and has not sent on in `in`. Normally they go on at once and the
 * parser reads them beside. While an intercept rule exists (or the
 * direction re-encodes), a data message's bytes wait in `in` until the
 * message is complete, then go on as they were, or framed anew, or not
 * at all. Messages the user injects wait for a message boundary.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"
#include "core/proxy/wsrelay.h"

enum how {
	PASS,			/* the message goes on as it is */
	EDITED,			/* framed anew from pay */
	DROPPED			/* never sent */
};

struct side {
	struct wsrelay	*r;
	struct stream	*s;
	struct side	*peer;
	int		 from_client;
	int		 eof;		/* this side sent FIN */
	int		 shut;		/* and the peer got it */
	int		 raw;		/* the parser failed: bytes only */
	int		 paused;	/* reading s is stopped */
	struct ws_parser ws;
	struct buf	 in;		/* read, not yet sent to the peer */
	size_t		 parsed;	/* bytes of in the parser has had */
	int		 boundary;	/* what was sent ends between messages */
	int		 hold_msg;	/* this message waits for its end */
	int		 holding;	/* an intercept rule holds it */
	int		 edited;	/* the user changed the held one */
	uint64_t	 held_seq;
	struct buf	 pay;		/* the waiting message's payload */
	int		 msg_opcode, msg_truncated, msg_compressed;
	struct buf	 ctl;		/* control frames inside it, framed anew */
	struct buf	 inject;	/* frames the user queued this way */
	struct loop_timer *pause_timer;	/* --intercept-timeout */
	int		 takeover;	/* the sender keeps its deflate context */
	int		 reencode;	/* messages go uncompressed from now */
};

struct wsrelay {
	struct side		 client, server;
	struct flow		*f;
	struct loop_timer	*idle;
	struct loop_timer	*reap;
	struct wsrelay		*next;
	int			 done;
};

static struct wsrelay	*relays;
static int		 nrelays;

static void	process(struct side *);

int
core_wsrelay_count(void)
{
	return nrelays;
}

int
core_wsrelay_wants(const struct flow *f)
{
	const char *u;

	return f->type == FLOW_HTTP && f->response != NULL &&
	    f->response->status == 101 && (u = core_flow_header_get(
	    &f->response->headers, "upgrade")) != NULL &&
	    strcasecmp(u, "websocket") == 0;
}

/* --- teardown ---------------------------------------------------------------- */

static void
reap(void *arg)
{
	struct wsrelay *r = arg;

	core_loop_timer_free(r->idle);
	core_loop_timer_free(r->reap);
	free(r);
}

static void
side_free(struct side *sd)
{
	if (sd->holding)
		core_intercept_unhold(sd->r->f);
	core_loop_timer_free(sd->pause_timer);
	sd->pause_timer = NULL;
	core_ws_parser_free(&sd->ws);
	core_buf_free(&sd->in);
	core_buf_free(&sd->pay);
	core_buf_free(&sd->ctl);
	core_buf_free(&sd->inject);
}

/* The one way out. The relay itself goes on the next loop pass, so a
 * caller deep in process() may still look at r->done. */
static void
finish(struct wsrelay *r, const char *error, int aborted)
{
	struct wsrelay **p;

	if (r->done)
		return;
	r->done = 1;
	nrelays--;
	for (p = &relays; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	if (error != NULL)
		core_flow_error(r->f, "%s", error);
	if (aborted) {
		core_stream_abort(r->client.s);
		core_stream_abort(r->server.s);
	} else {
		core_stream_close(r->client.s);
		core_stream_close(r->server.s);
	}
	side_free(&r->client);
	side_free(&r->server);
	core_loop_timer_stop(r->idle);
	core_store_finish(r->f);
	core_loop_timer_set(r->reap, 0);
}

/* --- moving bytes -------------------------------------------------------------- */

static void
mask_key(unsigned char key[4])
{
	if (getrandom(key, 4, 0) != 4)
		memset(key, 0x5a, 4);	/* masking is not secrecy here */
}

/* Frames a message or control frame for the peer of sd (masked when the
 * peer is the server) onto out. */
static void
frame(const struct side *sd, struct buf *out, int opcode, const void *p,
    size_t n)
{
	unsigned char key[4];

	if (sd->from_client)
		mask_key(key);
	core_ws_frame(out, opcode, p, n, sd->from_client ? key : NULL);
}

static void
update_pause(struct side *sd)
{
	int want;

	if (sd->eof || sd->r->done)
		return;
	want = core_stream_pending(sd->peer->s) > LIMIT_CONN_BUFFER ||
	    (sd->holding && sd->in.len > LIMIT_WS_HOLD);
	if (want != sd->paused) {
		sd->paused = want;
		core_stream_pause(sd->s, want);
	}
}

/* Ends the connection with a close frame each way (1009: a message too
 * big for what trawl was asked to do with it). */
static void
fatal(struct wsrelay *r, int code, const char *why)
{
	unsigned char p[2] = { (unsigned char)(code >> 8),
	    (unsigned char)code };
	struct buf b = { 0 };

	frame(&r->server, &b, WS_CLOSE, p, 2);
	core_stream_write(r->client.s, core_buf_head(&b), b.len);
	core_buf_free(&b);
	frame(&r->client, &b, WS_CLOSE, p, 2);
	core_stream_write(r->server.s, core_buf_head(&b), b.len);
	core_buf_free(&b);
	finish(r, why, 0);
}

/* Sends the first upto bytes of in on as they came (write) or not. */
static void
take(struct side *sd, size_t upto, int write)
{
	if (upto == 0)
		return;
	if (write)
		core_stream_write(sd->peer->s, core_buf_head(&sd->in), upto);
	core_buf_consume(&sd->in, upto);
	sd->parsed -= upto;
	if (sd->parsed == 0)
		sd->boundary = sd->raw || core_ws_parser_idle(&sd->ws);
}

static void
flush_inject(struct side *sd)
{
	if (sd->inject.len == 0 || !sd->boundary || sd->raw || sd->shut)
		return;
	core_stream_write(sd->peer->s, core_buf_head(&sd->inject),
	    sd->inject.len);
	core_buf_consume(&sd->inject, sd->inject.len);
}

static void
maybe_shutdown(struct side *sd)
{
	struct wsrelay *r = sd->r;

	if (!sd->eof || sd->holding || sd->shut || r->done)
		return;
	/* A message cut short by the FIN goes on as far as it came. */
	sd->parsed = sd->in.len;
	take(sd, sd->in.len, 1);
	flush_inject(sd);	/* only after a whole message */
	sd->shut = 1;
	core_stream_shutdown(sd->peer->s);
	if (sd->peer->shut)
		finish(r, NULL, 0);
}

/* --- messages ----------------------------------------------------------------- */

static int
may_hold(const struct side *sd)
{
	return sd->reencode || (core_intercept_enabled() &&
	    core_intercept_count() > 0);
}

static void
held_set_flags(struct side *sd, int clear, int set)
{
	struct flow_msg *m = core_flow_msg_find(sd->r->f, sd->held_seq);

	if (m != NULL)
		m->flags = (uint16_t)((m->flags & ~clear) | set);
}

/* The waiting message is decided: on the wire as it came, framed anew
 * from pay, or not at all. */
static void
release(struct side *sd, enum how how)
{
	struct wsrelay *r = sd->r;
	int breaks = sd->msg_compressed && sd->takeover;

	if (how == PASS && !sd->reencode) {
		take(sd, sd->parsed, 1);
	} else {
		struct buf out = { 0 };

		core_buf_append(&out, core_buf_head(&sd->ctl), sd->ctl.len);
		if (how != DROPPED) {
			if (sd->msg_truncated) {
				core_buf_free(&out);
				fatal(r, 1009, "a WebSocket message past "
				    "LIMIT_WS_MESSAGE could not be re-encoded "
				    "after an edit");
				return;
			}
			frame(sd, &out, sd->msg_opcode, core_buf_head(&sd->pay),
			    sd->pay.len);
		}
		core_stream_write(sd->peer->s, core_buf_head(&out), out.len);
		core_buf_free(&out);
		take(sd, sd->parsed, 0);
		if (how != PASS && breaks)
			sd->reencode = 1;
	}
	core_buf_consume(&sd->ctl, sd->ctl.len);
	core_buf_consume(&sd->pay, sd->pay.len);
	sd->hold_msg = 0;
}

static int	hold_resume(void *, char **);
static int	hold_kill(void *, char **);
static int	hold_edit(void *, const char *, size_t, char **);
static char	*hold_render(void *, size_t *);

static const struct intercept_hold_ops hold_ops = {
	hold_resume, hold_kill, hold_edit, hold_render
};

/* --intercept-timeout: a held message goes on by itself. */
static void
pause_expired(void *arg)
{
	struct side *sd = arg;

	core_intercept_resume(sd->r->f, NULL);
}

static void
on_message(struct side *sd, const struct ws_event *ev)
{
	struct wsrelay *r = sd->r;
	struct flow *f = r->f;
	struct flow_msg *m;
	int flags = (ev->compressed ? FLOW_MSG_COMPRESSED : 0) |
	    (ev->inflate_error ? FLOW_MSG_BAD : 0);

	m = core_flow_msg_add(f, sd->from_client, ev->opcode, ev->data,
	    ev->len, ev->size, flags);
	if (!sd->hold_msg) {
		core_store_message(f);
		take(sd, sd->parsed, 1);
		return;
	}
	sd->held_seq = m->seq;
	core_buf_append(&sd->pay, ev->data, ev->len);
	sd->msg_opcode = ev->opcode;
	sd->msg_truncated = ev->truncated;
	sd->msg_compressed = ev->compressed;
	/* The rule sees the flow with this message on it (~b). */
	if (!ev->truncated && core_intercept_wants(f, INTERCEPT_MESSAGE))
		m->flags |= FLOW_MSG_HELD;
	core_store_message(f);
	if (m->flags & FLOW_MSG_HELD) {
		/* Held until the user lets it go (hold_resume). */
		sd->holding = 1;
		sd->edited = 0;
		f->state = FLOW_PAUSED_MESSAGE;
		core_intercept_hold(f, &hold_ops, sd);
		if (core_intercept_timeout() > 0) {
			if (sd->pause_timer == NULL)
				sd->pause_timer = core_loop_timer_new(core_loop,
				    pause_expired, sd);
			core_loop_timer_set(sd->pause_timer,
			    core_intercept_timeout());
		}
		core_store_update(f);
		return;
	}
	release(sd, PASS);
}

static void
on_control(struct side *sd, const struct ws_event *ev)
{
	struct flow *f = sd->r->f;

	if (ev->opcode == WS_CLOSE && f->ws.closed_by == 0) {
		f->ws.closed_by = sd->from_client ? 1 : 2;
		f->ws.close_code = ev->close_code;
		if (ev->reason_len > 0)
			core_flow_setn(&f->ws.close_reason, ev->reason,
			    ev->reason_len);
		core_store_update(f);
	}
	/* Inside a waiting message: kept to go before it if it is
	 * framed anew (its own bytes are then not sent). */
	if (sd->hold_msg && !core_ws_parser_idle(&sd->ws))
		frame(sd, &sd->ctl, ev->opcode, ev->data, ev->len);
}

static void
parse_failed(struct side *sd, const char *cause)
{
	struct flow *f = sd->r->f;

	if (sd->reencode) {
		fatal(sd->r, 1002, cause);
		return;
	}
	if (f->ws.error == NULL)
		core_flow_set(&f->ws.error, cause);
	core_flow_error(f, "%s", cause);
	sd->raw = 1;
	sd->hold_msg = 0;
	sd->parsed = sd->in.len;
	core_buf_consume(&sd->ctl, sd->ctl.len);
	core_buf_consume(&sd->pay, sd->pay.len);
	take(sd, sd->in.len, 1);
	core_store_update(f);
}

/* A waiting message grew past what may wait: it goes on as it comes
 * and is not intercepted. */
static void
too_big(struct side *sd)
{
	if (sd->reencode) {
		fatal(sd->r, 1009, "a WebSocket message past LIMIT_WS_HOLD "
		    "could not be re-encoded after an edit");
		return;
	}
	sd->hold_msg = 0;
	core_buf_consume(&sd->ctl, sd->ctl.len);
	take(sd, sd->parsed, 1);
}

static void
process(struct side *sd)
{
	struct wsrelay *r = sd->r;
	struct ws_event ev;
	char *cause;
	ssize_t n;

	while (!sd->holding && !r->done) {
		if (sd->raw) {
			sd->parsed = sd->in.len;
			take(sd, sd->in.len, 1);
			break;
		}
		if (sd->parsed == sd->in.len)
			break;
		if (core_ws_parser_idle(&sd->ws))
			sd->hold_msg = may_hold(sd);
		cause = NULL;
		n = core_ws_parse(&sd->ws, core_buf_head(&sd->in) + sd->parsed,
		    sd->in.len - sd->parsed, &ev, &cause);
		if (n < 0) {
			parse_failed(sd, cause);
			free(cause);
			continue;
		}
		sd->parsed += (size_t)n;
		if (ev.type == WS_EV_MESSAGE) {
			on_message(sd, &ev);
			continue;
		}
		if (ev.type == WS_EV_CONTROL)
			on_control(sd, &ev);
		if (!sd->hold_msg || core_ws_parser_idle(&sd->ws))
			take(sd, sd->parsed, 1);
		else if (sd->in.len > LIMIT_WS_HOLD)
			too_big(sd);
	}
	if (r->done)
		return;
	flush_inject(sd);
	maybe_shutdown(sd);
	if (!r->done)
		update_pause(sd);
}

/* --- intercept ---------------------------------------------------------------- */

static void
held_done(struct side *sd, enum how how)
{
	struct wsrelay *r = sd->r;
	struct flow *f = r->f;

	held_set_flags(sd, FLOW_MSG_HELD, how == DROPPED ? FLOW_MSG_DROPPED :
	    how == EDITED ? FLOW_MSG_EDITED : 0);
	sd->holding = 0;
	if (sd->pause_timer != NULL)
		core_loop_timer_stop(sd->pause_timer);
	f->state = sd->peer->holding ? FLOW_PAUSED_MESSAGE : FLOW_ACTIVE;
	core_store_update(f);
	release(sd, how);
	if (!r->done)
		process(sd);
}

static int
hold_resume(void *arg, char **cause)
{
	struct side *sd = arg;

	(void)cause;
	held_done(sd, sd->edited ? EDITED : PASS);
	return 0;
}

static int
hold_kill(void *arg, char **cause)
{
	(void)cause;
	held_done(arg, DROPPED);
	return 0;
}

static int
hold_edit(void *arg, const char *text, size_t len, char **cause)
{
	struct side *sd = arg;
	struct flow_msg *m;

	if (len > LIMIT_WS_MESSAGE) {
		core_cause(cause, "the message is larger than %d bytes",
		    LIMIT_WS_MESSAGE);
		return -1;
	}
	core_buf_consume(&sd->pay, sd->pay.len);
	core_buf_append(&sd->pay, text, len);
	sd->edited = 1;
	if ((m = core_flow_msg_find(sd->r->f, sd->held_seq)) != NULL) {
		core_flow_msg_set(sd->r->f, m, text, len);
		m->flags |= FLOW_MSG_EDITED;
	}
	sd->r->f->modified = 1;
	core_store_update(sd->r->f);
	return 0;
}

static char *
hold_render(void *arg, size_t *len)
{
	struct side *sd = arg;
	char *p = malloc(sd->pay.len + 1);

	if (p == NULL)
		abort();
	memcpy(p, core_buf_head(&sd->pay), sd->pay.len);
	p[sd->pay.len] = '\0';
	*len = sd->pay.len;
	return p;
}

int
core_wsrelay_inject(struct flow *f, int to_server, int opcode,
    const char *p, size_t n, char **cause)
{
	struct wsrelay *r;
	struct side *sd;

	for (r = relays; r != NULL && r->f != f; r = r->next)
		;
	if (r == NULL) {
		core_cause(cause, "the flow has no open WebSocket connection");
		return -1;
	}
	if (opcode != WS_TEXT && opcode != WS_BINARY) {
		core_cause(cause, "only text and binary messages are injected");
		return -1;
	}
	if (n > LIMIT_WS_MESSAGE) {
		core_cause(cause, "the message is larger than %d bytes",
		    LIMIT_WS_MESSAGE);
		return -1;
	}
	sd = to_server ? &r->client : &r->server;
	if (sd->raw || sd->shut || f->ws.closed_by != 0) {
		core_cause(cause, "the connection no longer carries messages "
		    "that way");
		return -1;
	}
	frame(sd, &sd->inject, opcode, p, n);
	core_flow_msg_add(f, sd->from_client, opcode, p, n, n,
	    FLOW_MSG_INJECTED);
	core_store_message(f);
	flush_inject(sd);
	return 0;
}

/* --- stream callbacks --------------------------------------------------------- */

static void
on_data(void *arg, const char *p, size_t n)
{
	struct side *sd = arg;

	core_buf_append(&sd->in, p, n);
	core_loop_timer_set(sd->r->idle, LIMIT_IDLE_TUNNEL_SEC);
	process(sd);
}

static void
on_drain(void *arg)
{
	struct side *sd = arg;

	/* sd's stream drained: its peer may read again. */
	update_pause(sd->peer);
}

static void
on_eof(void *arg)
{
	struct side *sd = arg;

	sd->eof = 1;
	maybe_shutdown(sd);
}

static void
on_error(void *arg, const char *msg)
{
	struct side *sd = arg;

	if (sd->from_client)
		sd->r->f->client_gone = 1;
	finish(sd->r, msg, 1);
}

static void
on_idle(void *arg)
{
	finish(arg, "WebSocket connection idle for too long", 1);
}

static void
side_init(struct wsrelay *r, struct side *sd, struct stream *s,
    int from_client, const struct ws_ext *ext)
{
	sd->r = r;
	sd->s = s;
	sd->from_client = from_client;
	sd->peer = from_client ? &r->server : &r->client;
	sd->boundary = 1;
	sd->paused = 1;
	sd->takeover = ext->deflate && !(from_client ?
	    ext->client_no_takeover : ext->server_no_takeover);
	core_ws_parser_init(&sd->ws, from_client, ext);
}

void
core_wsrelay_start(struct stream *client, struct stream *server,
    struct flow *f, const char *client_pre, size_t client_prelen,
    const char *server_pre, size_t server_prelen, int client_eof)
{
	struct wsrelay *r = calloc(1, sizeof *r);
	struct stream_cbs cbs = { on_data, on_drain, on_eof, on_error, NULL };
	const char *exts = core_flow_header_get(&f->response->headers,
	    "sec-websocket-extensions");
	struct ws_ext ext;

	if (r == NULL)
		abort();
	nrelays++;
	r->next = relays;
	relays = r;
	r->f = f;
	f->ws.on = 1;
	core_flow_set(&f->ws.extensions, exts);
	core_ws_ext_parse(exts, &ext);
	side_init(r, &r->client, client, 1, &ext);
	side_init(r, &r->server, server, 0, &ext);
	r->idle = core_loop_timer_new(core_loop, on_idle, r);
	r->reap = core_loop_timer_new(core_loop, reap, r);
	core_loop_timer_set(r->idle, LIMIT_IDLE_TUNNEL_SEC);
	cbs.arg = &r->client;
	core_stream_set_cbs(client, &cbs);
	cbs.arg = &r->server;
	core_stream_set_cbs(server, &cbs);
	core_store_update(f);
	if (server_prelen > 0)
		on_data(&r->server, server_pre, server_prelen);
	if (!r->done && client_prelen > 0)
		on_data(&r->client, client_pre, client_prelen);
	if (!r->done && client_eof)
		on_eof(&r->client);
	if (!r->done) {
		update_pause(&r->client);
		update_pause(&r->server);
	}
}
