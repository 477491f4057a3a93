/*
 * hop.c -- hop-by-hop header fields.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/http/http1.h"
#include "core/proxy/hop.h"

int
core_hop_by_hop(const char *name, const char *connection)
{
	static const char *const fixed[] = {
		"connection", "proxy-connection", "keep-alive", "te",
		"upgrade", "proxy-authorization", "proxy-authenticate", NULL
	};
	static const char *const framing[] = {
		"content-length", "transfer-encoding", "host", NULL
	};
	size_t i;

	for (i = 0; fixed[i] != NULL; i++)
		if (strcasecmp(name, fixed[i]) == 0)
			return 1;
	for (i = 0; framing[i] != NULL; i++)
		if (strcasecmp(name, framing[i]) == 0)
			return 0;
	return connection != NULL &&
	    core_http1_list_has(connection, strlen(connection), name);
}
