/* Unit tests: core/proxy/socks5.c -- SOCKS5 addresses (RFC 1928, section
 * 5), as requests and UDP datagrams carry them, whole or in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/proxy/socks5.h"

static void
test_types(void **state)
{
	static const unsigned char v4[] = { 1, 192, 0, 2, 7, 0x01, 0xbb };
	static const unsigned char v6[] = { 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80 };
	static const unsigned char dn[] = { 3, 9, 'e', 'x', 'a', 'm', 'p', 'l',
	    'e', '.', 'o', 0x1f, 0x90, 'x' };
	char host[256];
	int port = 0;

	assert_int_equal(core_socks5_address(v4, sizeof v4, host, sizeof host,
	    &port), 7);
	assert_string_equal(host, "192.0.2.7");
	assert_int_equal(port, 443);
	assert_int_equal(core_socks5_address(v6, sizeof v6, host, sizeof host,
	    &port), 19);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 80);
	/* What follows the address (a datagram's data) is not counted. */
	assert_int_equal(core_socks5_address(dn, sizeof dn, host, sizeof host,
	    &port), 13);
	assert_string_equal(host, "example.o");
	assert_int_equal(port, 8080);
}

static void
test_pieces(void **state)
{
	static const unsigned char dn[] = { 3, 4, 'a', '.', 'b', 'c', 0, 80 };
	static const unsigned char v6[19] = { 4 };
	char host[256];
	size_t n;
	int port;

	for (n = 0; n < sizeof dn; n++)
		assert_int_equal(core_socks5_address(dn, n, host, sizeof host,
		    &port), 0);
	for (n = 0; n < sizeof v6; n++)
		assert_int_equal(core_socks5_address(v6, n, host, sizeof host,
		    &port), 0);
}

static void
test_bad(void **state)
{
	static const unsigned char type[] = { 2, 1, 2, 3, 4, 0, 80 };
	static const unsigned char empty[] = { 3, 0, 0, 80 };
	static const unsigned char space[] = { 3, 3, 'a', ' ', 'b', 0, 80 };
	static const unsigned char nul[] = { 3, 3, 'a', 0, 'b', 0, 80 };
	unsigned char big[3 + 255 + 2] = { 3, 255 };
	char host[256], small[8];
	int port;

	memset(big + 2, 'a', 255);
	assert_int_equal(core_socks5_address(type, sizeof type, host,
	    sizeof host, &port), -1);
	assert_int_equal(core_socks5_address(empty, sizeof empty, host,
	    sizeof host, &port), -2);
	assert_int_equal(core_socks5_address(space, sizeof space, host,
	    sizeof host, &port), -2);
	assert_int_equal(core_socks5_address(nul, sizeof nul, host,
	    sizeof host, &port), -2);
	/* The longest name fits the caller's 256 bytes, not a smaller one. */
	assert_int_equal(core_socks5_address(big, sizeof big, host,
	    sizeof host, &port), 259);
	assert_int_equal(strlen(host), 255);
	assert_int_equal(core_socks5_address(big, sizeof big, small,
	    sizeof small, &port), -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
