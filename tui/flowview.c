/*
 * flowview.c -- one flow in three tabs: Request, Response, Detail (with
 * the timings as a waterfall), and Messages for a WebSocket flow. The tab's text is laid out once into lines
 * (bodies decoded and pretty-printed, hex dumps generated line by line on
 * demand), so scrolling a large body costs only the rows drawn.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/dns.h"
#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/flows/store.h"
#include "core/http/ws.h"
#include "core/loop/buf.h"
#include "core/proxy/rules.h"
#include "core/proxy/wsrelay.h"
#include "tui/format.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"

enum { TAB_REQUEST, TAB_RESPONSE, TAB_DETAIL, TAB_MESSAGES, NTABS };

struct line {
	size_t		 off, len;
	enum tui_role	 role;
	int		 cont;		/* a wrapped line's continuation */
};

/* Where a tab's sections start, for landing on a search hit. */
enum { MARK_HEAD, MARK_BODY, MARK_TRAIL, MARK_URL, NMARKS };

struct doc {
	struct buf	 text;
	struct line	*v;
	size_t		 n, cap;
	struct bodyfmt	 body;		/* kept for hex lines */
	size_t		 hex_n;		/* hex lines after the text lines */
	int		 width;		/* wrapped for this many columns */
	size_t		 mark[NMARKS];	/* first line, or SIZE_MAX */
	size_t		*msg_line;	/* Messages: each shown one's line */
	size_t		 msg_first;	/* index of the first shown */
	size_t		 msg_n;
};

static struct {
	struct flow	*f;
	int		 gone;		/* the flow left the store */
	int		 tab;
	size_t		 scroll[NTABS];
	int		 stale;
	struct doc	 doc;
	char		 search[256];
	int		 rows;
	int		 hit;		/* opened from the hit list: n N */
	int		 hit_pending;	/* scroll to it at the next build */
	enum search_where hit_where;
	size_t		 hit_line;
} V;

static const struct tui_keyhelp keys[] = {
	{ "Tab l Right", "next tab" },
	{ "BTab h Left", "previous tab" },
	{ "j k Down Up", "scroll a line" },
	{ "PgUp PgDn space", "scroll a page" },
	{ "g G", "top, bottom" },
	{ "/", "search (case-insensitive)" },
	{ "n N", "next, previous match (from the hit list: hit)" },
	{ "e", "edit this tab's request or response in $EDITOR"
	    " (Messages: the held message)" },
	{ "> <", "Messages: send a text message to the server, the client" },
	{ "a A X V E r D m d ; x P", "as in the flow list" },
	{ "i I R w L", "as in the flow list" },
	{ "q Esc", "back to the list" },
	{ "?", "this help" },
};

const struct tui_keyhelp *
tui_flowview_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

static void
doc_clear(struct doc *d)
{
	core_buf_free(&d->text);
	core_bodyfmt_free(&d->body);
	d->n = 0;
	d->hex_n = 0;
	d->msg_n = 0;
	memset(d->mark, 0xff, sizeof d->mark);
}

static void
doc_line(struct doc *d, const char *s, size_t len, enum tui_role role)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->v = realloc(d->v, d->cap * sizeof *d->v);
		if (d->v == NULL)
			abort();
	}
	d->v[d->n].off = d->text.len;
	d->v[d->n].len = len;
	d->v[d->n].role = role;
	d->v[d->n].cont = 0;
	d->n++;
	core_buf_append(&d->text, s, len);
}

/* Splits text into lines and wraps each at the doc's width. */
static void
doc_text(struct doc *d, const char *s, size_t len, enum tui_role role)
{
	size_t i = 0, start, cut, chars;
	int w = d->width > 8 ? d->width : 8;

	while (i <= len) {
		start = i;
		while (i < len && s[i] != '\n')
			i++;
		cut = start;
		/* Wrap by characters; wide ones are cut when drawn. */
		for (;;) {
			size_t j = cut;

			for (chars = 0; j < i && chars < (size_t)w; chars++)
				do
					j++;
				while (j < i && ((unsigned char)s[j] & 0xc0) ==
				    0x80);
			doc_line(d, s + cut, (j < i ? j : i) - cut, role);
			d->v[d->n - 1].cont = cut > start;
			if (j < i) {
				cut = j;
				continue;
			}
			break;
		}
		if (i == len)
			break;
		i++;
		if (i == len)
			break;	/* a final newline opens no empty line */
	}
}

static void
doc_printf(struct doc *d, enum tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
doc_printf(struct doc *d, enum tui_role role, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	doc_text(d, buf, (size_t)n, role);
}

static void
doc_headers(struct doc *d, const struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		doc_printf(d, ROLE_NORMAL, "%s: %s", h->v[i].name,
		    h->v[i].value);
}

/* Fields after the body (chunked trailers, HTTP/2's; gRPC's status). */
static void
doc_trailers(struct doc *d, const struct flow_headers *t)
{
	if (t->n == 0)
		return;
	doc_printf(d, ROLE_NORMAL, "%s", "");
	doc_printf(d, ROLE_DIM, "[trailers]");
	d->mark[MARK_TRAIL] = d->n;
	doc_headers(d, t);
}

static void
doc_body(struct doc *d, const struct flow_headers *h,
    const struct flow_body *b)
{
	static const char *kinds[] = { "empty", "text", "JSON", "form",
	    "binary", "gRPC", "protobuf" };

	core_bodyfmt_free(&d->body);
	core_bodyfmt_format(h, b, &d->body);
	if (d->body.kind == BODYFMT_EMPTY) {
		if (b->total > 0)
			doc_printf(d, ROLE_DIM, "[%llu bytes, not kept]",
			    (unsigned long long)b->total);
		else
			doc_printf(d, ROLE_DIM, "[no body]");
		return;
	}
	doc_printf(d, ROLE_DIM, "[%s, %llu bytes%s%s%s%s]",
	    kinds[d->body.kind], (unsigned long long)b->total,
	    d->body.decoded ? ", decoded" : "",
	    b->truncated ? ", only the first " : "",
	    b->truncated ? "part kept" : "",
	    d->body.note != NULL ? ", cannot decode" : "");
	if (d->body.note != NULL)
		doc_printf(d, ROLE_ERROR, "%s", d->body.note);
	d->mark[MARK_BODY] = d->n;
	if (d->body.kind == BODYFMT_HEX)
		d->hex_n = core_bodyfmt_hex_lines(d->body.len);
	else
		doc_text(d, d->body.text, d->body.len, ROLE_NORMAL);
}

static void
build_request(struct doc *d, const struct flow *f)
{
	const struct flow_request *r = f->request;

	if (f->type == FLOW_DNS && f->dns != NULL) {
		const char *tn = core_dns_type_name(f->dns->qtype);

		if (tn != NULL)
			doc_printf(d, ROLE_KEY, "DNS query %s %s",
			    f->dns->name ? f->dns->name : "?", tn);
		else
			doc_printf(d, ROLE_KEY, "DNS query %s TYPE%d",
			    f->dns->name ? f->dns->name : "?", f->dns->qtype);
		return;
	}
	if (r == NULL) {
		doc_printf(d, ROLE_KEY, "%s %s -> %s", core_flow_type_name(f->type),
		    f->client ? f->client : "?", f->server ? f->server : "?");
		doc_body(d, NULL, &f->up);
		return;
	}
	if (f->stream_id != 0)
		doc_printf(d, ROLE_KEY, "%s %s %s (stream %d)", r->method ?
		    r->method : "?", r->path ? r->path : "/", r->version ?
		    r->version : "", (int)f->stream_id);
	else
		doc_printf(d, ROLE_KEY, "%s %s %s", r->method ? r->method : "?",
		    r->path ? r->path : "/", r->version ? r->version : "");
	d->mark[MARK_HEAD] = d->n;
	doc_headers(d, &r->headers);
	doc_printf(d, ROLE_NORMAL, "%s", "");
	doc_body(d, &r->headers, &r->body);
	doc_trailers(d, &r->trailers);
}

static enum tui_role
status_role_line(int status)
{
	if (status >= 500)
		return ROLE_5XX;
	if (status >= 400)
		return ROLE_4XX;
	if (status >= 300)
		return ROLE_3XX;
	return ROLE_2XX;
}

static void
build_response(struct doc *d, const struct flow *f)
{
	const struct flow_response *r = f->response;

	if (f->type == FLOW_DNS && f->dns != NULL) {
		if (f->dns->rcode < 0)
			doc_printf(d, ROLE_DIM, "no answer yet");
		else if (core_dns_rcode_name(f->dns->rcode) != NULL)
			doc_printf(d, f->dns->rcode ? ROLE_ERROR : ROLE_KEY,
			    "%s", core_dns_rcode_name(f->dns->rcode));
		else
			doc_printf(d, ROLE_ERROR, "RCODE%d", f->dns->rcode);
		d->mark[MARK_BODY] = d->n;
		if (f->dns->answers != NULL)
			doc_text(d, f->dns->answers, strlen(f->dns->answers),
			    ROLE_NORMAL);
		return;
	}
	if (f->request == NULL) {
		doc_printf(d, ROLE_KEY, "%s %s -> %s",
		    core_flow_type_name(f->type), f->server ? f->server : "?",
		    f->client ? f->client : "?");
		doc_body(d, NULL, &f->down);
		return;
	}
	if (f->error != NULL)
		doc_printf(d, ROLE_ERROR, "error: %s", f->error);
	if (r == NULL) {
		doc_printf(d, ROLE_DIM, "%s", f->state == FLOW_PAUSED_REQUEST ?
		    "paused before the request went upstream (a resumes, e "
		    "edits)" : "no response");
		return;
	}
	if (f->state == FLOW_PAUSED_RESPONSE)
		doc_printf(d, ROLE_PAUSED, "paused before the response reached "
		    "the client (a resumes, e edits)");
	doc_printf(d, status_role_line(r->status), "%s %d %s",
	    r->version ? r->version : "", r->status, r->reason ? r->reason : "");
	d->mark[MARK_HEAD] = d->n;
	doc_headers(d, &r->headers);
	doc_printf(d, ROLE_NORMAL, "%s", "");
	doc_body(d, &r->headers, &r->body);
	doc_trailers(d, &r->trailers);
}

static void
clock_text(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	int n;

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&s, &tm);
	n = (int)strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - (size_t)n, ".%03d", (int)((t - (double)s) * 1000));
}

static void
tls_facts(struct doc *d, const char *side, const struct flow_tls *t)
{
	char a[40], b[40];

	if (!t->present) {
		doc_printf(d, ROLE_DIM, "%s TLS: none", side);
		return;
	}
	if (!t->passthrough)
		doc_printf(d, ROLE_KEY, "%s TLS", side);
	else if (t->passthrough_reason == NULL)
		doc_printf(d, ROLE_KEY, "%s TLS (passed through untouched)",
		    side);
	else
		doc_printf(d, ROLE_KEY, "%s TLS (passed through untouched: %s)",
		    side, t->passthrough_reason);
	doc_printf(d, ROLE_NORMAL, "  version   %s", t->version ? t->version : "-");
	doc_printf(d, ROLE_NORMAL, "  cipher    %s", t->cipher ? t->cipher : "-");
	doc_printf(d, ROLE_NORMAL, "  SNI       %s", t->sni ? t->sni : "-");
	doc_printf(d, ROLE_NORMAL, "  ALPN      %s", t->alpn ? t->alpn : "-");
	if (t->cert_subject == NULL)
		return;
	clock_text(t->cert_not_before, a, sizeof a);
	clock_text(t->cert_not_after, b, sizeof b);
	doc_printf(d, ROLE_NORMAL, "  subject   %s", t->cert_subject);
	doc_printf(d, ROLE_NORMAL, "  issuer    %s",
	    t->cert_issuer ? t->cert_issuer : "-");
	doc_printf(d, ROLE_NORMAL, "  names     %s",
	    t->cert_sans ? t->cert_sans : "-");
	doc_printf(d, ROLE_NORMAL, "  valid     %s .. %s", a, b);
	doc_printf(d, ROLE_NORMAL, "  sha256    %s",
	    t->cert_sha256 ? t->cert_sha256 : "-");
}

/* One bar of the waterfall: label, duration, bar over [a, b] of span. */
static void
bar(struct doc *d, const char *label, double a, double b, double t0,
    double span)
{
	char line[1024], dur[16];
	const char *blk = tui_screen_utf8() ? "\u2588" : "#";
	size_t o, bl = strlen(blk);
	int w = d->width - 24, from, to, i;

	if (a <= 0 || b <= 0 || b < a)
		return;
	if (w < 10)
		w = 10;
	if (w > 200)
		w = 200;
	if (b - a < 1)
		snprintf(dur, sizeof dur, "%.1fms", (b - a) * 1000);
	else
		snprintf(dur, sizeof dur, "%.2fs", b - a);
	o = (size_t)snprintf(line, sizeof line, "  %-9s %8s |", label, dur);
	from = span > 0 ? (int)((a - t0) / span * w) : 0;
	to = span > 0 ? (int)((b - t0) / span * w + 0.5) : w;
	if (to <= from)
		to = from + 1;
	if (to > w)
		to = w;
	for (i = 0; i < w && o + bl + 2 < sizeof line; i++) {
		if (i >= from && i < to) {
			memcpy(line + o, blk, bl);
			o += bl;
		} else
			line[o++] = ' ';
	}
	line[o++] = '|';
	doc_line(d, line, o, ROLE_BAR);
}

static void
waterfall(struct doc *d, const struct flow *f)
{
	const struct flow_timings *t = &f->t;
	double t0 = t->start, end = t->end, prev;

	if (t0 <= 0)
		return;
	if (end <= 0) {
		end = t0;
		if (t->response_start > end)
			end = t->response_start;
		if (t->request_sent > end)
			end = t->request_sent;
		if (t->tls_end > end)
			end = t->tls_end;
	}
	doc_printf(d, ROLE_KEY, "Timings (total %.1f ms%s)", (end - t0) * 1000,
	    t->end > 0 ? "" : ", not finished");
	bar(d, "DNS", t->dns_start, t->dns_end, t0, end - t0);
	prev = t->dns_end > 0 ? t->dns_end : t0;
	bar(d, "connect", prev, t->connect_end, t0, end - t0);
	if (t->connect_end > 0)
		prev = t->connect_end;
	bar(d, "TLS", prev, t->tls_end, t0, end - t0);
	if (t->tls_end > 0)
		prev = t->tls_end;
	if (f->request != NULL && f->request->t_start > 0 &&
	    f->request->t_start < prev)
		prev = f->request->t_start;
	bar(d, "request", prev, t->request_sent, t0, end - t0);
	bar(d, "waiting", t->request_sent, t->response_start, t0, end - t0);
	bar(d, "response", t->response_start, t->end, t0, end - t0);
}

/* Which rules changed the flow, and the URL asked for when a rule
 * (map-remote) sent the request elsewhere. */
static void
rules_line(struct doc *d, const struct flow *f)
{
	const struct flow_request *o = f->orig_request, *r = f->request;
	char one[256];
	int i;

	if (f->nrule_ids == 0)
		return;
	/* One a line, with its spec: which of several alike rules it was. */
	for (i = 0; i < f->nrule_ids && i < FLOW_RULE_IDS; i++)
		doc_printf(d, ROLE_NORMAL, "  %-9s %s", i == 0 ? "rules" : "",
		    core_rules_describe(f->rule_ids[i], one, sizeof one));
	if (f->nrule_ids > FLOW_RULE_IDS)
		doc_printf(d, ROLE_NORMAL, "            and %d more",
		    f->nrule_ids - FLOW_RULE_IDS);
	if (o != NULL && r != NULL && (o->port != r->port ||
	    strcmp(o->host ? o->host : "", r->host ? r->host : "") != 0 ||
	    strcmp(o->path ? o->path : "", r->path ? r->path : "") != 0 ||
	    strcmp(o->scheme ? o->scheme : "", r->scheme ? r->scheme : "")))
		doc_printf(d, ROLE_NORMAL, "  asked     %s://%s:%d%s",
		    o->scheme ? o->scheme : "http", o->host ? o->host : "",
		    o->port, o->path ? o->path : "/");
}

/* The --mode the flow came through, and the Host its client sent when
 * the mode rewrote it (reverse). */
static void
mode_line(struct doc *d, const struct flow *f)
{
	const char *was = f->orig_request != NULL ?
	    core_flow_header_get(&f->orig_request->headers, "host") : NULL;
	const char *now = f->request != NULL ?
	    core_flow_header_get(&f->request->headers, "host") : NULL;

	if (f->mode == NULL)
		return;
	if (was != NULL && now != NULL && strcmp(was, now) != 0)
		doc_printf(d, ROLE_NORMAL, "  mode      %s (the client sent "
		    "Host: %s)", f->mode, was);
	else
		doc_printf(d, ROLE_NORMAL, "  mode      %s", f->mode);
}

static void
build_detail(struct doc *d, const struct flow *f)
{
	static const char *states[] = { "active", "paused at the request",
	    "paused at the response", "done" };
	char a[40], *url = core_flow_url(f);

	doc_printf(d, ROLE_KEY, "Flow %llu: %s", (unsigned long long)f->id,
	    core_flow_type_name(f->type));
	d->mark[MARK_URL] = d->n;
	doc_printf(d, ROLE_NORMAL, "  URL       %s", url);
	free(url);
	doc_printf(d, ROLE_NORMAL, "  state     %s%s%s",
	    (unsigned)f->state < 4 ? states[f->state] : "?",
	    f->modified ? ", edited" : "", f->client_gone ?
	    ", client left" : "");
	rules_line(d, f);
	if (f->error != NULL)
		doc_printf(d, ROLE_ERROR, "  error     %s", f->error);
	if (f->replay == REPLAY_RESPONSE)
		doc_printf(d, ROLE_NORMAL, "%s", "  replay    server replay: "
		    "the response is a saved one");
	else if (f->replay != REPLAY_NONE)
		doc_printf(d, ROLE_NORMAL, "  replay    client replay of flow %llu",
		    (unsigned long long)f->replay_of);
	if (f->marker != NULL)
		doc_printf(d, ROLE_MARK, "  marked    %s", f->marker);
	if (f->comment != NULL)
		doc_printf(d, ROLE_NORMAL, "  comment   %s", f->comment);
	doc_printf(d, ROLE_NORMAL, "%s", "");
	doc_printf(d, ROLE_KEY, "%s", "Connection");
	doc_printf(d, ROLE_NORMAL, "  client    %s", f->client ? f->client : "-");
	doc_printf(d, ROLE_NORMAL, "  server    %s", f->server ? f->server : "-");
	mode_line(d, f);
	if (f->pid != 0 || f->comm != NULL)
		doc_printf(d, ROLE_NORMAL, "  process   %s (pid %d)",
		    f->comm ? f->comm : "?", f->pid);
	else
		doc_printf(d, ROLE_NORMAL, "  process   unknown");
	clock_text(f->t.start, a, sizeof a);
	doc_printf(d, ROLE_NORMAL, "  started   %s", a);
	doc_printf(d, ROLE_NORMAL, "%s", "");
	tls_facts(d, "Client", core_flow_client_tls(f));
	tls_facts(d, "Server", core_flow_server_tls(f));
	doc_printf(d, ROLE_NORMAL, "%s", "");
	waterfall(d, f);
}

/* Messages shown at most, the newest; bytes of each shown. */
#define SHOW_MESSAGES	2000
#define SHOW_TEXT	8192
#define SHOW_HEX	1024

static int
has_messages(const struct flow *f)
{
	return f->ws.on || f->msgs.n > 0;
}

static void
message_payload(struct doc *d, const struct flow_msg *m)
{
	size_t n = m->len < SHOW_TEXT ? m->len : SHOW_TEXT, i, k;
	char line[128], *json;

	if (m->len == 0)
		return;
	if (m->opcode == WS_TEXT || core_bodyfmt_is_text(m->data, n,
	    n < m->len)) {
		if ((m->data[0] == '{' || m->data[0] == '[') &&
		    (json = core_bodyfmt_json(m->data, n, n < m->size,
		    &k)) != NULL) {
			doc_text(d, json, k, ROLE_NORMAL);
			free(json);
		} else
			doc_text(d, m->data, n, ROLE_NORMAL);
	} else {
		n = m->len < SHOW_HEX ? m->len : SHOW_HEX;
		for (i = 0; i < core_bodyfmt_hex_lines(n); i++) {
			k = core_bodyfmt_hex_line(m->data, n, i, line,
			    sizeof line);
			doc_line(d, line, k, ROLE_NORMAL);
		}
	}
	if (n < m->size)
		doc_printf(d, ROLE_DIM, "[%llu more bytes%s]",
		    (unsigned long long)(m->size - n), n < m->len ?
		    "" : ", not kept");
}

static void
build_messages(struct doc *d, const struct flow *f)
{
	const char *to = tui_screen_utf8() ? "\u2192" : "->";
	const char *from = tui_screen_utf8() ? "\u2190" : "<-";
	size_t i = f->msgs.n > SHOW_MESSAGES ? f->msgs.n - SHOW_MESSAGES : 0;
	char when[32], size[16];
	struct tm tm;
	time_t t;

	/* A raw TCP or UDP flow's messages are its reads / datagrams. */
	if (f->type == FLOW_TCP || f->type == FLOW_UDP)
		doc_printf(d, ROLE_KEY, "%s: %llu %s%s%s",
		    f->type == FLOW_TCP ? "TCP" : "UDP",
		    (unsigned long long)f->msgs.total, f->type == FLOW_TCP ?
		    "chunk" : "datagram", f->msgs.total == 1 ? "" : "s",
		    f->state == FLOW_DONE ? "" : " (open)");
	else
		doc_printf(d, ROLE_KEY, "WebSocket: %llu message%s%s",
		    (unsigned long long)f->msgs.total, f->msgs.total == 1 ?
		    "" : "s", f->state == FLOW_DONE ? "" : " (open)");
	if (f->msgs.total > f->msgs.n - i)
		doc_printf(d, ROLE_DIM, "[the newest %zu shown]", f->msgs.n - i);
	if (f->ws.extensions != NULL)
		doc_printf(d, ROLE_DIM, "extensions: %s", f->ws.extensions);
	if (f->ws.error != NULL)
		doc_printf(d, ROLE_ERROR, "%s", f->ws.error);
	if (f->state == FLOW_PAUSED_MESSAGE)
		doc_printf(d, ROLE_PAUSED, "a message is held (a sends it, e "
		    "edits it, X drops it)");
	doc_printf(d, ROLE_DIM, "%s client to server, %s server to client%s",
	    to, from, f->ws.on ? "; > and < send one" : "");
	d->mark[MARK_BODY] = d->n;
	free(d->msg_line);
	if ((d->msg_line = calloc(f->msgs.n - i + 1, sizeof *d->msg_line)) ==
	    NULL)
		abort();
	d->msg_first = i;
	for (; i < f->msgs.n; i++) {
		const struct flow_msg *m = core_flow_msg_at(f, i);

		t = (time_t)m->t;
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		tui_format_size(m->size, size, sizeof size);
		doc_printf(d, ROLE_NORMAL, "%s", "");
		d->msg_line[d->msg_n++] = d->n;
		doc_printf(d, m->flags & FLOW_MSG_HELD ? ROLE_PAUSED : ROLE_KEY,
		    "%s %s.%03d %s %s%s%s%s%s%s%s", m->from_client ? to : from,
		    when, (int)((m->t - (double)t) * 1000),
		    m->opcode == WS_TEXT ? "text" : m->opcode == WS_BINARY ?
		    "binary" : f->type == FLOW_UDP ? "datagram" : "chunk", size,
		    m->flags & FLOW_MSG_COMPRESSED ? " deflate" : "",
		    m->flags & FLOW_MSG_INJECTED ? " injected" : "",
		    m->flags & FLOW_MSG_EDITED ? " edited" : "",
		    m->flags & FLOW_MSG_DROPPED ? " dropped" : "",
		    m->flags & FLOW_MSG_BAD ? " (does not inflate)" : "",
		    m->flags & FLOW_MSG_HELD ? " HELD" : "");
		message_payload(d, m);
	}
	if (f->ws.closed_by != 0) {
		doc_printf(d, ROLE_NORMAL, "%s", "");
		doc_printf(d, ROLE_DIM, "closed by the %s: %d%s%s",
		    f->ws.closed_by == 1 ? "client" : "server",
		    f->ws.close_code, f->ws.close_reason ? " " : "",
		    f->ws.close_reason ? f->ws.close_reason : "");
	}
}

static void
build(void)
{
	struct doc *d = &V.doc;

	doc_clear(d);
	d->width = COLS;
	V.stale = 0;
	if (V.f == NULL)
		return;
	switch (V.tab) {
	case TAB_REQUEST:
		build_request(d, V.f);
		break;
	case TAB_MESSAGES:
		build_messages(d, V.f);
		break;
	case TAB_RESPONSE:
		build_response(d, V.f);
		break;
	default:
		build_detail(d, V.f);
		break;
	}
}

static size_t
doc_lines(void)
{
	return V.doc.n + V.doc.hex_n;
}

/* Line i: into tmp for a hex line. */
static const char *
doc_get(size_t i, char *tmp, size_t tmplen, size_t *len, enum tui_role *role)
{
	if (i < V.doc.n) {
		*len = V.doc.v[i].len;
		*role = V.doc.v[i].role;
		return core_buf_head(&V.doc.text) + V.doc.v[i].off;
	}
	*role = ROLE_NORMAL;
	*len = core_bodyfmt_hex_line(V.doc.body.text, V.doc.body.len,
	    i - V.doc.n, tmp, tmplen);
	return tmp;
}

static const char *
find_ci(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i, j;

	if (n == 0 || n > len)
		return NULL;
	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++)
			if (tolower((unsigned char)s[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == n)
			return s + i;
	}
	return NULL;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	if (f != V.f)
		return;
	if (ev == STORE_REMOVED) {
		V.f = NULL;
		V.gone = 1;
		doc_clear(&V.doc);
	} else
		V.stale = 1;
}

void
tui_flowview_init(void)
{
	memset(&V, 0, sizeof V);
	core_store_subscribe(on_store, NULL);
}

void
tui_flowview_done(void)
{
	core_store_unsubscribe(on_store, NULL);
	doc_clear(&V.doc);
	free(V.doc.v);
	free(V.doc.msg_line);
	memset(&V, 0, sizeof V);
}

void
tui_flowview_open(struct flow *f)
{
	V.hit = V.hit_pending = 0;
	V.f = f;
	V.gone = 0;
	memset(V.scroll, 0, sizeof V.scroll);
	/* A flow without a response opens on its request. */
	if (V.tab == TAB_RESPONSE && f->response == NULL && f->request != NULL)
		V.tab = TAB_REQUEST;
	if (V.tab == TAB_MESSAGES && !has_messages(f))
		V.tab = TAB_REQUEST;
	V.stale = 1;
}

struct flow *
tui_flowview_flow(void)
{
	return V.f;
}

/* The doc line of the pending hit: the line-th unwrapped line of its
 * section (a hex dump's lines follow the text lines). */
static void
land_on_hit(void)
{
	int m;
	size_t i, k = 0;

	V.hit_pending = 0;
	if (V.hit_where == SEARCH_MESSAGE) {
		/* The message's own line; the match is highlighted below. */
		if (V.hit_line >= V.doc.msg_first &&
		    V.hit_line - V.doc.msg_first < V.doc.msg_n)
			V.scroll[V.tab] = V.doc.msg_line[V.hit_line -
			    V.doc.msg_first];
		return;
	}
	switch (V.hit_where) {
	case SEARCH_URL:
		m = MARK_URL;
		break;
	case SEARCH_REQ_BODY:
	case SEARCH_RESP_BODY:
		m = MARK_BODY;
		break;
	case SEARCH_REQ_TRAILER:
	case SEARCH_RESP_TRAILER:
		m = MARK_TRAIL;
		break;
	default:
		m = MARK_HEAD;
		break;
	}
	if (V.doc.mark[m] == SIZE_MAX)
		return;
	if (m == MARK_BODY && V.doc.body.kind == BODYFMT_HEX) {
		V.scroll[V.tab] = V.doc.n + V.hit_line;
		return;
	}
	for (i = V.doc.mark[m]; i < V.doc.n; i++) {
		if (V.doc.v[i].cont)
			continue;
		if (k++ == V.hit_line)
			break;
	}
	V.scroll[V.tab] = i < V.doc.n ? i : V.doc.mark[m];
}

void
tui_flowview_open_hit(struct flow *f, int where, size_t line,
    const char *match, size_t mlen)
{
	tui_flowview_open(f);
	V.tab = where == SEARCH_URL ? TAB_DETAIL : where == SEARCH_MESSAGE ?
	    TAB_MESSAGES : where <= SEARCH_REQ_TRAILER ? TAB_REQUEST :
	    TAB_RESPONSE;
	if (mlen >= sizeof V.search)
		mlen = sizeof V.search - 1;
	memcpy(V.search, match, mlen);
	V.search[mlen] = '\0';
	V.hit = V.hit_pending = 1;
	V.hit_where = (enum search_where)where;
	V.hit_line = line;
}

static void
draw_tabs(int y)
{
	static const char *names[] = { "Request", "Response", "Detail",
	    "Messages" };
	int x = 1, i;

	tui_screen_fill(y, 0, ROLE_NORMAL);
	for (i = 0; i < NTABS; i++) {
		if (i == TAB_MESSAGES && !has_messages(V.f))
			continue;
		x += tui_screen_putf(y, x, COLS - x, i == V.tab ? ROLE_FOCUS :
		    ROLE_DIM, " %s ", names[i]);
		x += 1;
	}
	if (V.search[0] != '\0')
		tui_screen_putf(y, x + 2, COLS - x - 2, ROLE_DIM, "/%s",
		    V.search);
}

void
tui_flowview_draw(int top, int rows)
{
	char tmp[128], *url;
	size_t i, n, len;
	const char *s, *m;
	enum tui_role role;
	int y;

	tui_screen_fill(top, 0, ROLE_TITLE);
	if (V.f == NULL) {
		tui_screen_putf(top, 0, COLS, ROLE_TITLE, " %s",
		    V.gone ? "the flow was removed (q: back)" : "no flow");
		return;
	}
	url = core_flow_url(V.f);
	tui_screen_putf(top, 0, COLS, ROLE_TITLE, " Flow %llu  %s %s",
	    (unsigned long long)V.f->id, V.f->request && V.f->request->method ?
	    V.f->request->method : core_flow_type_name(V.f->type), url);
	free(url);
	draw_tabs(top + 1);
	if (V.stale || V.doc.width != COLS) {
		/* Messages follow the newest while the view is at the end. */
		int tail = V.tab == TAB_MESSAGES && V.scroll[V.tab] +
		    (size_t)(V.rows > 0 ? V.rows : 1) >= doc_lines();

		build();
		if (tail)
			V.scroll[V.tab] = (size_t)-1 / 2;
	}
	if (V.hit_pending)
		land_on_hit();
	V.rows = rows - 2;
	n = doc_lines();
	if (V.rows < 1)
		return;
	if (V.scroll[V.tab] + (size_t)V.rows > n)
		V.scroll[V.tab] = n > (size_t)V.rows ? n - (size_t)V.rows : 0;
	for (i = V.scroll[V.tab], y = top + 2; i < n && y < top + rows;
	    i++, y++) {
		s = doc_get(i, tmp, sizeof tmp, &len, &role);
		tui_screen_put(y, 0, COLS, s, len, role);
		if (V.search[0] == '\0')
			continue;
		for (m = find_ci(s, len, V.search); m != NULL;
		    m = find_ci(m + 1, len - (size_t)(m + 1 - s), V.search)) {
			int x = tui_screen_width(s, (size_t)(m - s));

			if (x < COLS)
				tui_screen_put(y, x, COLS - x, m,
				    strlen(V.search), ROLE_MATCH);
		}
	}
}

/* Scrolls to the next line (dir 1) or previous (-1) holding the search. */
static int
search_step(int dir, int from_current)
{
	size_t n = doc_lines(), i, k, len;
	char tmp[128];
	enum tui_role role;
	const char *s;

	if (V.search[0] == '\0' || n == 0)
		return 0;
	i = V.scroll[V.tab];
	for (k = from_current ? 0 : 1; k <= n; k++) {
		size_t j = dir > 0 ? (i + k) % n : (i + n - k % n) % n;

		s = doc_get(j, tmp, sizeof tmp, &len, &role);
		if (find_ci(s, len, V.search) != NULL) {
			V.scroll[V.tab] = j;
			return 1;
		}
	}
	tui_screen_error("not found: %s", V.search);
	return 0;
}

static int
search_submit(const char *text, void *arg)
{
	V.hit = 0;	/* n and N now search this flow */
	snprintf(V.search, sizeof V.search, "%s", text);
	if (V.stale || V.doc.width != COLS)
		build();
	search_step(1, 1);
	return 0;
}

static uint64_t	inject_id;
static int	inject_to_server;

static int
inject_submit(const char *text, void *arg)
{
	struct flow *f = core_store_find(inject_id);
	char *cause = NULL;

	if (f == NULL)
		tui_screen_error("the flow is gone");
	else if (core_wsrelay_inject(f, inject_to_server, WS_TEXT, text,
	    strlen(text), &cause) == -1)
		tui_screen_error("%s", cause);
	else
		tui_screen_message("sent to the %s", inject_to_server ?
		    "server" : "client");
	free(cause);
	return 0;
}

int
tui_flowview_key(int key)
{
	size_t page = V.rows > 1 ? (size_t)V.rows - 1 : 1, *sc = &V.scroll[V.tab];
	int flags = TUI_DIRTY;

	if (V.f == NULL) {
		tui_screen_pop();
		return TUI_DIRTY;
	}
	switch (key) {
	case 'q':
	case TUI_ESC:
		tui_screen_pop();
		break;
	case '\t':
	case 'l':
	case TUI_FN(KEY_RIGHT):
		V.tab = (V.tab + 1) % NTABS;
		if (V.tab == TAB_MESSAGES && !has_messages(V.f))
			V.tab = 0;
		V.stale = 1;
		break;
	case TUI_FN(KEY_BTAB):
	case 'h':
	case TUI_FN(KEY_LEFT):
		V.tab = (V.tab + NTABS - 1) % NTABS;
		if (V.tab == TAB_MESSAGES && !has_messages(V.f))
			V.tab--;
		V.stale = 1;
		break;
	case 'j':
	case TUI_FN(KEY_DOWN):
		(*sc)++;
		break;
	case 'k':
	case TUI_FN(KEY_UP):
		if (*sc > 0)
			(*sc)--;
		break;
	case ' ':
	case TUI_FN(KEY_NPAGE):
	case TUI_CTRL('f'):
		*sc += page;
		break;
	case TUI_FN(KEY_PPAGE):
	case TUI_CTRL('b'):
		*sc = *sc > page ? *sc - page : 0;
		break;
	case 'g':
	case TUI_FN(KEY_HOME):
		*sc = 0;
		break;
	case 'G':
	case TUI_FN(KEY_END):
		*sc = (size_t)-1 / 2;	/* clamped when drawn */
		break;
	case '/':
		tui_prompt_open("search: ", V.search, HIST_SEARCH, NULL,
		    search_submit, NULL);
		break;
	case 'n':
	case 'N':
		if (V.hit)
			flags |= tui_hits_step(key == 'n' ? 1 : -1);
		else
			search_step(key == 'n' ? 1 : -1, 0);
		break;
	case '>':
	case '<':
		if (V.tab != TAB_MESSAGES) {
			flags = 0;
			break;
		}
		inject_id = V.f->id;
		inject_to_server = key == '>';
		tui_prompt_open(key == '>' ? "text to the server: " :
		    "text to the client: ", "", HIST_COMMENT, NULL,
		    inject_submit, NULL);
		break;
	case 'e':
		if (V.tab == TAB_MESSAGES)
			tui_editor_edit(V.f, TUI_EDIT_MESSAGE);
		else if (V.tab == TAB_DETAIL)
			tui_list_flow_key(V.f, key, &flags);
		else
			tui_editor_edit(V.f, V.tab == TAB_RESPONSE);
		flags |= TUI_FULL;
		break;
	case 'd':
		tui_list_flow_key(V.f, key, &flags);
		tui_screen_pop();
		break;
	default:
		if (!tui_list_flow_key(V.f, key, &flags))
			flags = 0;
		break;
	}
	return flags;
}
