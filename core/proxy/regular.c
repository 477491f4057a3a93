/*
 * regular.c -- a client of regular (or upstream) mode: an explicit proxy
 * client, whose requests say where they go.
 */
#include <string.h>
#include <unistd.h>

#include "core/loop/loop.h"
#include "core/loop/sockstream.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/proxy.h"
#include "core/proxy/regular.h"

void
core_regular_accept(void *mode, int fd, const struct sockaddr_storage *peer)
{
	struct proxy_origin o;
	struct stream *s;
	char addr[80];

	if ((s = core_sockstream_new(core_loop, fd)) == NULL)
		return;
	core_connect_format(peer, addr, sizeof addr);
	memset(&o, 0, sizeof o);
	o.client = addr;
	o.mode = mode;
	core_proxy_accept(s, &o);
}
