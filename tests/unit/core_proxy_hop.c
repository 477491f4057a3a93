/*
 * core_proxy_hop.c -- unit tests of hop-by-hop fields: the fixed names
 * in any case, the framing fields a Connection field cannot remove, and
 * the names a Connection field lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/proxy/hop.h"

static void
test_fixed(void **state)
{
	static const char *const hop[] = {
		"Connection", "proxy-connection", "KEEP-ALIVE", "te", "Upgrade",
		"Proxy-Authorization", "proxy-authenticate"
	};
	static const char *const end2end[] = {
		"content-type", "Content-Length", "Transfer-Encoding", "Host",
		"tee", "t", "", "upgrades", "connectio", "x-connection"
	};
	size_t i;

	for (i = 0; i < sizeof hop / sizeof hop[0]; i++)
		assert_true(core_hop_by_hop(hop[i], NULL));
	for (i = 0; i < sizeof end2end / sizeof end2end[0]; i++)
		assert_false(core_hop_by_hop(end2end[i], NULL));
}

static void
test_listed(void **state)
{
	const char *conn = "keep-alive, X-Trace ,HTTP2-Settings";

	assert_true(core_hop_by_hop("x-trace", conn));
	assert_true(core_hop_by_hop("http2-settings", conn));
	assert_false(core_hop_by_hop("x-tracer", conn));
	/* Framing is never removed by a Connection field. */
	assert_false(core_hop_by_hop("content-length",
	    "close, Content-Length, host, transfer-encoding"));
	assert_false(core_hop_by_hop("Host", "host"));
	assert_false(core_hop_by_hop("transfer-encoding", "transfer-encoding"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
