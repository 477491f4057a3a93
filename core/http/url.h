/*
 * url.h -- the host, port and path of an HTTP request target.
 *
 * Parses the absolute-form target a client sends to a proxy
 * ("http://host:port/path?query"), the authority-form target of CONNECT
 * ("host:port") and a Host header value. Nothing is allocated or copied:
 * the pointers in struct url point into the caller's buffer (or at static
 * strings), and the counts say how long each part is. Each function
 * returns 0, or -1 when the text is not of its form; then *u is untouched.
 *
 * Userinfo ("user@host") is refused: no HTTP client sends it on the wire
 * and it is a known way to make a host read two ways. Hosts are a
 * registered name of letters, digits, '-', '.' and '_' (at most 255
 * bytes), or a bracketed IPv6 address without a zone. Ports are 1..65535.
 */
#ifndef CORE_URL_H
#define CORE_URL_H

#include <stddef.h>

struct url {
	const char	*scheme;	/* as sent ("HTTP"); "" if none */
	size_t		 scheme_len;
	const char	*host;		/* IPv6 without its brackets */
	size_t		 host_len;
	int		 host_ipv6;	/* host was [an IPv6 address] */
	int		 port;		/* given, or the default */
	const char	*path;		/* origin-form; "" if none */
	size_t		 path_len;
};

/*
 * "http://" or "https://" (any case), authority, then nothing or a path
 * starting with '/' (none gives "/"). The default port is 80 or 443 from
 * the scheme. A query without a path ("http://h?q") and fragments are
 * refused, as the origin-form could not be given without copying.
 */
int	core_url_parse_absolute(const char *, size_t, struct url *);
/* "host[:port]" as CONNECT sends it; no scheme, no path. */
int	core_url_parse_authority(const char *, size_t, struct url *,
	    int default_port);
/* A Host header value (OWS already trimmed): "host[:port]". */
int	core_url_parse_host_header(const char *, size_t, struct url *,
	    int default_port);

#endif
