/*
 * filter-fuzzer.c -- libFuzzer target for the filter language: compiles
 * the input (with the caret message on errors) and matches what compiles
 * against a fixed set of flows of every type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"

#define NFLOWS 8
static struct flow *flows[NFLOWS];

static void
header(struct flow_headers *h, const char *name, const char *value)
{
	core_flow_header_add(h, name, strlen(name), value, strlen(value));
}

static void
make_flows(void)
{
	/* "hello" gzip'ed, so ~b walks the decoder too. */
	static const unsigned char gz[] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
		0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10,
		0x36, 0x05, 0x00, 0x00, 0x00
	};
	struct flow *f;

	f = flows[0] = core_flow_new(FLOW_HTTP);
	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "POST");
	core_flow_set(&f->request->scheme, "https");
	core_flow_set(&f->request->host, "example.com");
	f->request->port = 8443;
	core_flow_set(&f->request->path, "/a?b=c");
	header(&f->request->headers, "Host", "example.com:8443");
	header(&f->request->headers, "Content-Type", "text/plain");
	core_flow_body_set(&f->request->body, "name=value", 10);
	f->response = core_flow_response_new();
	f->response->status = 200;
	header(&f->response->headers, "Content-Type", "text/css");
	header(&f->response->headers, "Content-Encoding", "gzip");
	core_flow_body_set(&f->response->body, gz, sizeof gz);
	core_flow_set(&f->client, "127.0.0.1:4000");
	core_flow_set(&f->server, "[2001:db8::1]:8443");
	core_flow_set(&f->comm, "curl");
	f->pid = 99;
	core_flow_set(&f->marker, ":x:");
	core_flow_set(&f->comment, "note");
	core_flow_set(&f->error, "reset");
	f->replay = REPLAY_REQUEST;
	f->t.end = f->t.start + 0.25;

	f = flows[1] = core_flow_new(FLOW_TCP);
	core_flow_body_append(&f->up, "up data", 7);
	core_flow_body_append(&f->down, "down data", 9);
	core_flow_set(&core_flow_client_tls_w(f)->sni, "tls.test");

	f = flows[2] = core_flow_new(FLOW_UDP);
	core_flow_body_append(&f->up, "\x00\x01", 2);

	f = flows[3] = core_flow_new(FLOW_DNS);
	f->dns = calloc(1, sizeof *f->dns);
	core_flow_set(&f->dns->name, "example.org");
	core_flow_set(&f->dns->answers, "example.org. 60 IN A 192.0.2.1");

	/* Nothing filled in at all. */
	f = flows[4] = core_flow_new(FLOW_HTTP);
	f->t.start = 0;

	/* Host headers that name another host, in every form ~d and ~u
	 * split: a bracketed IPv6 address with a port, one left open, a
	 * value of no form; and a HEAD without a body, two Content-Types. */
	f = flows[5] = core_flow_new(FLOW_HTTP);
	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "HEAD");
	core_flow_set(&f->request->host, "192.0.2.1");
	core_flow_set(&f->request->path, "/");
	header(&f->request->headers, "Host", "[2001:db8::2]:99");
	f->response = core_flow_response_new();
	f->response->status = 200;
	header(&f->response->headers, "Content-Type", "text/plain");
	header(&f->response->headers, "Content-Type", "image/png");

	f = flows[6] = core_flow_new(FLOW_HTTP);
	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "GET");
	core_flow_set(&f->request->scheme, "http");
	core_flow_set(&f->request->host, "a.test");
	f->request->port = 80;
	header(&f->request->headers, "Host", "[::1");
	header(&f->request->headers, "Host", "b.test:80");

	f = flows[7] = core_flow_new(FLOW_HTTP);
	f->request = core_flow_request_new();
	core_flow_set(&f->request->method, "CONNECT");
	core_flow_set(&f->request->host, "c.test");
	f->request->port = 443;
	header(&f->request->headers, "Host", "a:b:99999");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter *f;
	char *expr, *cause = NULL;
	size_t i;

	if (flows[0] == NULL)
		make_flows();
	if (size > 4096)
		return 0;
	if ((expr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	f = core_filter_compile(expr, size % 2 ? FILTER_CASE_SENSITIVE : 0,
	    &cause);
	if (f == NULL) {
		if (cause == NULL || strncmp(cause, "column ", 7) != 0)
			abort();
		free(cause);
	} else {
		for (i = 0; i < NFLOWS; i++) {
			core_filter_prefetch(f, flows[i]);
			(void)core_filter_match(f, flows[i]);
		}
		(void)core_filter_wants_request(f);
		(void)core_filter_wants_response(f);
		if (strcmp(core_filter_text(f), expr) != 0)
			abort();
		core_filter_free(f);
	}
	free(expr);
	return 0;
}
