/*
 * core_proxy_dnstcp.c -- DNS over TCP in a tunnel: length-prefixed
 * messages in any split become DNS flows, answers find their query, and
 * what is not DNS stops the parsing without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/proxy/dnstcp.h"

/* A query for example.org A, id 0x1234, with its 2-byte prefix. */
static const uint8_t query[] = {
	0x00, 0x1d,
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'o', 'r', 'g', 0x00,
	0x00, 0x01, 0x00, 0x01
};
/* Its answer: 192.0.2.53. */
static const uint8_t answer[] = {
	0x00, 0x2d,
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'o', 'r', 'g', 0x00,
	0x00, 0x01, 0x00, 0x01,
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,
	192, 0, 2, 53
};

static struct flow *
tcp_flow(const char *server)
{
	struct flow *f = core_flow_new(FLOW_TCP);

	core_flow_set(&f->client, "10.0.0.1:40000");
	core_flow_set(&f->server, server);
	core_flow_set(&f->comm, "dig");
	f->pid = 42;
	return f;
}

static struct flow *
dns_flow(size_t i)
{
	struct flow *f = i < core_store_count() ? core_store_at(i) : NULL;

	assert_non_null(f);
	assert_int_equal(f->type, FLOW_DNS);
	return f;
}

static void
test_split(void **state)
{
	struct flow *tcp = tcp_flow("192.0.2.1:53"), *f;
	struct dnstcp *d = core_dnstcp_new(tcp);
	uint8_t two[sizeof answer + sizeof query];
	size_t i;

	(void)state;
	assert_non_null(d);
	/* One byte at a time. */
	for (i = 0; i < sizeof query; i++)
		core_dnstcp_feed(d, 1, (const char *)query + i, 1);
	assert_int_equal(core_store_count(), 1);
	f = dns_flow(0);
	assert_string_equal(f->dns->name, "example.org");
	assert_string_equal(f->comm, "dig");
	assert_int_equal(f->pid, 42);
	assert_int_equal(f->state, FLOW_ACTIVE);
	/* The answer, split inside its prefix. */
	core_dnstcp_feed(d, 0, (const char *)answer, 1);
	core_dnstcp_feed(d, 0, (const char *)answer + 1, sizeof answer - 1);
	assert_int_equal(f->state, FLOW_DONE);
	assert_int_equal(f->dns->rcode, 0);
	assert_non_null(strstr(f->dns->answers, "IN A 192.0.2.53"));
	/* Two queries in one read: two flows. */
	memcpy(two, query, sizeof query);
	memcpy(two + sizeof query, query, sizeof query);
	core_dnstcp_feed(d, 1, (const char *)two, 2 * sizeof query);
	assert_int_equal(core_store_count(), 3);
	/* Unanswered at the end: "no answer". */
	core_dnstcp_free(d, NULL);
	assert_int_equal(dns_flow(1)->state, FLOW_DONE);
	assert_string_equal(dns_flow(2)->error, "no answer");
	core_flow_free(tcp);
	core_store_clear();
}

static void
test_not_dns(void **state)
{
	struct flow *tcp = tcp_flow("[2001:db8::1]:53");
	struct dnstcp *d = core_dnstcp_new(tcp);
	static const char junk[] = "\x00\x05hello\x00\x1d";
	static const char zero[] = "\x00\x00";
	struct flow *other = tcp_flow("192.0.2.1:853");

	(void)state;
	assert_null(core_dnstcp_new(other));
	core_flow_free(other);
	assert_non_null(d);
	core_dnstcp_feed(d, 1, junk, sizeof junk - 1);
	/* Stopped: a real query after junk is not parsed any more. */
	core_dnstcp_feed(d, 1, (const char *)query + 2, sizeof query - 2);
	assert_int_equal(core_store_count(), 0);
	core_dnstcp_free(d, NULL);
	d = core_dnstcp_new(tcp);
	core_dnstcp_feed(d, 0, zero, 2);
	core_dnstcp_feed(d, 1, (const char *)query, sizeof query);
	/* A zero length stops the direction it came in (both, here). */
	assert_int_equal(core_store_count(), 0);
	core_dnstcp_free(d, "reset");
	core_flow_free(tcp);
	core_store_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_not_dns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
