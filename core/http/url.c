/*
 * url.c -- request targets and Host values split into scheme, host, port
 * and path, in place.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/http/url.h"

/* A DNS name is at most 255 bytes; longer is no host trawl can reach. */
#define HOST_MAX	255

static int
is_host_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_');
}

/* Case-insensitive prefix match with a lower-case literal. */
static int
has_prefix(const char *s, size_t len, const char *lit)
{
	size_t		n = strlen(lit), i;
	unsigned char	c;

	if (len < n)
		return (0);
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)lit[i])
			return (0);
	}
	return (1);
}

/* inet_pton wants a C string: copy into a stack buffer of its size. */
static int
valid_ipv6(const char *s, size_t len)
{
	char		buf[INET6_ADDRSTRLEN];
	struct in6_addr	addr;

	if (len == 0 || len >= sizeof buf)
		return (0);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return (inet_pton(AF_INET6, buf, &addr) == 1);
}

/* "host[:port]" filling host and port of *u; nothing else. */
static int
authority(const char *s, size_t len, struct url *u, int default_port)
{
	const char	*p = s, *end = s + len, *host, *host_end;
	int		 ipv6 = 0, port, digits;

	if (len == 0)
		return (-1);
	if (*p == '[') {
		host = ++p;
		while (p != end && *p != ']')
			p++;
		if (p == end)
			return (-1);
		host_end = p++;
		if (!valid_ipv6(host, host_end - host))
			return (-1);
		ipv6 = 1;
	} else {
		host = p;
		while (p != end && is_host_char(*p))
			p++;
		host_end = p;
		if (host_end == host || host_end - host > HOST_MAX)
			return (-1);
	}

	if (p == end)
		port = default_port;
	else if (*p == ':') {
		/* An empty port is refused, though RFC 3986 permits it. */
		p++;
		port = 0;
		for (digits = 0; p != end; p++, digits++) {
			if (*p < '0' || *p > '9' || digits == 5)
				return (-1);
			port = port * 10 + (*p - '0');
		}
		if (digits == 0 || port < 1 || port > 65535)
			return (-1);
	} else
		return (-1);	/* '@' of userinfo lands here too */

	u->host = host;
	u->host_len = host_end - host;
	u->host_ipv6 = ipv6;
	u->port = port;
	return (0);
}

int
core_url_parse_absolute(const char *s, size_t len, struct url *u)
{
	struct url	 tmp;
	const char	*p, *end = s + len, *auth;
	size_t		 scheme_len;
	int		 default_port;

	if (has_prefix(s, len, "http://")) {
		scheme_len = 4;
		default_port = 80;
	} else if (has_prefix(s, len, "https://")) {
		scheme_len = 5;
		default_port = 443;
	} else
		return (-1);

	auth = p = s + scheme_len + 3;
	while (p != end && *p != '/' && *p != '?' && *p != '#')
		p++;
	if (authority(auth, p - auth, &tmp, default_port) != 0)
		return (-1);

	tmp.scheme = s;
	tmp.scheme_len = scheme_len;
	if (p == end) {
		tmp.path = "/";
		tmp.path_len = 1;
	} else {
		if (*p != '/')
			return (-1);
		tmp.path = p;
		tmp.path_len = end - p;
		/* As a request target would be: no SP, controls or '#'. */
		for (; p != end; p++) {
			if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
			    *p == '#')
				return (-1);
		}
	}
	*u = tmp;
	return (0);
}

int
core_url_parse_authority(const char *s, size_t len, struct url *u,
    int default_port)
{
	struct url	tmp;

	if (authority(s, len, &tmp, default_port) != 0)
		return (-1);
	tmp.scheme = "";
	tmp.scheme_len = 0;
	tmp.path = "";
	tmp.path_len = 0;
	*u = tmp;
	return (0);
}

/*
 * The same form as CONNECT's. An empty Host (allowed when the target has
 * no authority) is -1: there is then no host to go to.
 */
int
core_url_parse_host_header(const char *s, size_t len, struct url *u,
    int default_port)
{
	return (core_url_parse_authority(s, len, u, default_port));
}
