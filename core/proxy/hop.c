/*
 * hop.c -- hop-by-hop header fields.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/http/http1.h"
#include "core/proxy/hop.h"

/* Length first: most names are decided without a string compare. */
static int
is(const char *name, size_t n, const char *lit, size_t litn)
{
	return n == litn && strcasecmp(name, lit) == 0;
}

#define IS(lit)	is(name, n, lit, sizeof lit - 1)

int
core_hop_by_hop(const char *name, const char *connection)
{
	size_t n = strlen(name);

	if (IS("connection") || IS("proxy-connection") || IS("keep-alive") ||
	    IS("te") || IS("upgrade") || IS("proxy-authorization") ||
	    IS("proxy-authenticate"))
		return 1;
	if (connection == NULL || IS("content-length") ||
	    IS("transfer-encoding") || IS("host"))
		return 0;
	return core_http1_list_has(connection, strlen(connection), name);
}
