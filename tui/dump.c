/*
 * dump.c -- mitmdump-style output: one line per finished flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/dns.h"
#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "tui/dump.h"
#include "tui/format.h"

static FILE		*dump_out;
static struct filter	*dump_filter;
static int		 dump_msgs;

void
tui_dump_messages(int on)
{
	dump_msgs = on;
}

/* Text with control bytes as '.', binary (or text that is not UTF-8
 * enough to print) as hex; both cut to fit a line. */
static void
payload_text(const struct flow_msg *m, char *buf, size_t len)
{
	size_t i, at = 0, max = len > 8 ? len - 8 : 0;

	if (m->opcode == 1 || (m->opcode == 0 &&
	    core_bodyfmt_is_text(m->data, m->len, m->len < m->size))) {
		for (i = 0; i < m->len && at < max; i++) {
			unsigned char c = (unsigned char)m->data[i];

			buf[at++] = c < 0x20 || c == 0x7f ? '.' : (char)c;
		}
	} else {
		for (i = 0; i < m->len && at + 2 < max && i < 64; i++)
			at += (size_t)snprintf(buf + at, len - at, "%02x",
			    (unsigned char)m->data[i]);
	}
	if (i < m->len || m->size > m->len)
		at += (size_t)snprintf(buf + at, len - at, "...");
	buf[at] = '\0';
}

void
tui_dump_message_line(const struct flow *f, const struct flow_msg *m,
    char *buf, size_t len)
{
	char when[32], size[16], text[1024];
	struct tm tm;
	time_t t = (time_t)m->t;
	int n;

	localtime_r(&t, &tm);
	n = (int)strftime(when, sizeof when, "%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03d",
	    (int)((m->t - (double)t) * 1000));
	tui_format_size(m->size, size, sizeof size);
	payload_text(m, text, sizeof text);
	/* A raw flow's chunks say its type: "tcp 7", "udp 8". */
	snprintf(buf, len, "  %s %s %llu %s %s %s%s%s%s%s%s %s", when,
	    f->ws.on || f->type == FLOW_HTTP ? "ws" :
	    core_flow_type_name(f->type), (unsigned long long)f->id, m->from_client ? "client -> server" :
	    "server -> client", m->opcode == 1 ? "text" : m->opcode == 2 ?
	    "binary" : f->type == FLOW_UDP ? "datagram" : "chunk", size,
	    m->flags & FLOW_MSG_COMPRESSED ? " deflate" : "",
	    m->flags & FLOW_MSG_INJECTED ? " injected" : "",
	    m->flags & FLOW_MSG_EDITED ? " edited" : "",
	    m->flags & FLOW_MSG_DROPPED ? " dropped" : "",
	    m->flags & FLOW_MSG_HELD ? " held" : "", text);
}

static void
print_message(const struct flow *f, const struct flow_msg *m)
{
	char line[2048];

	if (m == NULL || !core_filter_match(dump_filter, f))
		return;
	tui_dump_message_line(f, m, line, sizeof line);
	fprintf(dump_out, "%s\n", line);
	fflush(dump_out);
}

/* The close, on the line before the flow's. */
static void
print_close(const struct flow *f)
{
	if (!f->ws.on || !core_filter_match(dump_filter, f))
		return;
	if (f->ws.closed_by == 0)
		fprintf(dump_out, "  ws %llu closed without a close frame\n",
		    (unsigned long long)f->id);
	else
		fprintf(dump_out, "  ws %llu closed by %s %d%s%s\n",
		    (unsigned long long)f->id, f->ws.closed_by == 1 ? "client" :
		    "server", f->ws.close_code, f->ws.close_reason ? " " : "",
		    f->ws.close_reason ? f->ws.close_reason : "");
}

/* A proxy client's CONNECT that never reached its server. */
static int
connect_failed(const struct flow *f)
{
	const struct flow_request *rq = f->request;

	return f->type == FLOW_TCP && rq != NULL && rq->method != NULL &&
	    strcmp(rq->method, "CONNECT") == 0 && f->t.connect_end == 0 &&
	    f->error != NULL;
}

void
tui_dump_line(const struct flow *f, char *buf, size_t len)
{
	char when[32], proc[48] = "", size[16], dur[16], *url;
	struct tm tm;
	time_t t = (time_t)f->t.start;
	/* An open UDP flow is printed at its first reply (print_early). */
	double end = f->t.end ? f->t.end : f->t.response_start ?
	    f->t.response_start : f->t.start;
	int n;

	localtime_r(&t, &tm);
	n = (int)strftime(when, sizeof when, "%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03d",
	    (int)((f->t.start - (double)t) * 1000));
	if (f->comm != NULL || f->pid != 0)
		snprintf(proc, sizeof proc, " %s:%d",
		    f->comm != NULL ? f->comm : "?", f->pid);
	tui_format_duration(end - f->t.start, dur, sizeof dur);
	url = core_flow_url(f);

	if (f->type == FLOW_HTTP) {
		const struct flow_request *rq = f->request;
		char status[96];

		if (f->response != NULL)
			snprintf(status, sizeof status, "%d %s", f->response->status,
			    f->response->reason ? f->response->reason : "");
		else
			snprintf(status, sizeof status, "-");
		tui_format_size(f->response ? f->response->body.total : 0, size,
		    sizeof size);
		/* A WebSocket's size is its messages, as in the list. */
		if (f->ws.on || f->msgs.n > 0)
			snprintf(size, sizeof size, "%llu msg",
			    (unsigned long long)f->msgs.total);
		/* The version only where it is not HTTP/1: lines stay as
		 * scripts know them. */
		n = snprintf(buf, len, "%s %s%s %s %s%s%s << %s %s %s", when,
		    f->client ? f->client : "?", proc,
		    rq && rq->method ? rq->method : "?", url,
		    rq && rq->version && strncmp(rq->version, "HTTP/1", 6) ?
		    " " : "", rq && rq->version && strncmp(rq->version,
		    "HTTP/1", 6) ? rq->version : "", status, size, dur);
		if (f->replay == REPLAY_RESPONSE && n > 0 && (size_t)n < len)
			n += snprintf(buf + n, len - n, " (server replay)");
	} else if (f->type == FLOW_DNS && f->dns != NULL) {
		char brief[1024];

		/* The resolver, then what was asked and answered. */
		n = snprintf(buf, len, "%s %s%s dns %s %s %s", when,
		    f->client ? f->client : "?", proc, f->server ? f->server :
		    "?", core_dns_brief(f->dns, brief, sizeof brief), dur);
	} else if (connect_failed(f)) {
		/* Not a tcp flow that moved no bytes: a CONNECT answered 502. */
		const struct flow_request *rq = f->request;
		int v6 = rq->host != NULL && strchr(rq->host, ':') != NULL;

		n = snprintf(buf, len, "%s %s%s CONNECT %s%s%s:%d << failed %s",
		    when, f->client ? f->client : "?", proc, v6 ? "[" : "",
		    rq->host != NULL ? rq->host : "?", v6 ? "]" : "", rq->port,
		    dur);
	} else {
		char up[16];

		tui_format_size(f->up.total, up, sizeof up);
		tui_format_size(f->down.total, size, sizeof size);
		char kind[300];
		const struct flow_tls *ct = core_flow_client_tls(f);

		if (f->type == FLOW_UDP && ct->version != NULL &&
		    strcmp(ct->version, "QUIC") == 0)
			snprintf(kind, sizeof kind, "quic%s%s",
			    ct->sni ? " sni=" : "", ct->sni ? ct->sni : "");
		else if (core_flow_server_tls(f)->passthrough)
			snprintf(kind, sizeof kind, "tls-passthrough%s%s",
			    ct->sni ? " sni=" : "", ct->sni ? ct->sni : "");
		else if (ct->present)
			/* It started TLS: never shown as plain TCP. */
			snprintf(kind, sizeof kind, "tls%s%s",
			    ct->sni ? " sni=" : "", ct->sni ? ct->sni : "");
		else
			snprintf(kind, sizeof kind, "%s",
			    core_flow_type_name(f->type));
		n = snprintf(buf, len, "%s %s%s %s %s << up %s down %s %s",
		    when, f->client ? f->client : "?", proc, kind,
		    f->server ? f->server : url, up, size, dur);
	}
	if (core_flow_server_tls(f)->passthrough_reason != NULL && n > 0 &&
	    (size_t)n < len)
		n += snprintf(buf + n, len - n, " (passthrough: %s)",
		    core_flow_server_tls(f)->passthrough_reason);
	/* A DNS flow's rcode is on the line already. */
	if (f->error != NULL && n > 0 && (size_t)n < len &&
	    !(f->dns != NULL && core_dns_rcode_name(f->dns->rcode) != NULL &&
	    strcmp(f->error, core_dns_rcode_name(f->dns->rcode)) == 0))
		snprintf(buf + n, len - n, " error: %s", f->error);
	/* One flow, one line, whatever the network put in it. */
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	free(url);
}

static void
print(const struct flow *f)
{
	char line[4096];

	if (dump_out == NULL || !core_filter_match(dump_filter, f))
		return;
	tui_dump_line(f, line, sizeof line);
	fprintf(dump_out, "%s\n", line);
	fflush(dump_out);
}

/*
 * UDP flows printed at their first reply: a relay's flow lasts until it
 * is idle, and a script wants the exchange when it happens. At its end
 * such a flow is printed again only if bytes moved since (its totals).
 */
struct early {
	uint64_t	id;
	uint64_t	bytes;		/* up + down when printed */
};
static struct early	*early;
static size_t		 nearly, early_cap;

/* Forgets the flow; 1 if it was printed early with these totals. */
static int
early_take(const struct flow *f)
{
	size_t i;
	int same;

	for (i = 0; i < nearly; i++)
		if (early[i].id == f->id) {
			same = early[i].bytes == f->up.total + f->down.total;
			early[i] = early[--nearly];
			return same;
		}
	return 0;
}

static void
print_early(struct flow *f)
{
	size_t i;

	if (f->type != FLOW_UDP || f->t.response_start == 0 ||
	    f->state == FLOW_DONE)
		return;
	for (i = 0; i < nearly; i++)
		if (early[i].id == f->id)
			return;
	if (nearly == early_cap) {
		early_cap = early_cap ? early_cap * 2 : 16;
		if ((early = realloc(early, early_cap * sizeof *early)) == NULL)
			abort();
	}
	early[nearly].id = f->id;
	early[nearly++].bytes = f->up.total + f->down.total;
	print(f);
}

static void
on_event(enum store_event ev, struct flow *f, void *unused)
{
	size_t i;

	if (ev == STORE_UPDATED && dump_out != NULL)
		print_early(f);
	if (ev == STORE_REMOVED)
		early_take(f);

	if (ev == STORE_MESSAGE && dump_msgs && dump_out != NULL)
		print_message(f, core_flow_msg_at(f, f->msgs.n - 1));
	/* A flow that arrives finished (a HAR file) brings its messages. */
	if (ev == STORE_ADDED && f->state == FLOW_DONE && dump_msgs &&
	    dump_out != NULL)
		for (i = 0; i < f->msgs.n; i++)
			print_message(f, core_flow_msg_at(f, i));
	if (ev == STORE_FINISHED && dump_msgs && dump_out != NULL)
		print_close(f);
	if (ev == STORE_FINISHED && !early_take(f))
		print(f);
}

void
tui_dump_start(FILE *out, struct filter *filter)
{
	dump_out = out;
	dump_filter = filter;
	core_store_subscribe(on_event, NULL);
}

void
tui_dump_existing(void)
{
	size_t i;

	for (i = 0; i < core_store_count(); i++) {
		struct flow *f = core_store_at(i);
		size_t j;

		/* Loaded flows: their messages, then the flow's line. */
		if (dump_msgs && dump_out != NULL && f->state == FLOW_DONE) {
			for (j = 0; j < f->msgs.n; j++)
				print_message(f, core_flow_msg_at(f, j));
			print_close(f);
		}
		print(f);
	}
}
