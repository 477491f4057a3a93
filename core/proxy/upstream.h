/*
 * upstream.h -- upstream mode (`--mode upstream:http://PROXY[:PORT]`):
 * regular mode toward clients, and everything goes on through another
 * HTTP proxy. Plain HTTP requests go to it in absolute form on a
 * connection to the proxy; everything else (CONNECT from the client,
 * https:// requests) through a CONNECT tunnel it opens (core_connect_via),
 * inside which trawl intercepts as it does without a proxy. With
 * --upstream-auth both carry Proxy-Authorization: Basic.
 */
#ifndef CORE_PROXY_UPSTREAM_H
#define CORE_PROXY_UPSTREAM_H

struct conn;
struct xtarget;

/* 1 when c's request to t goes to the upstream proxy in absolute form. */
int	 core_upstream_via(const struct conn *, const struct xtarget *);
/* "Basic base64(userpass)". Caller frees. */
char	*core_upstream_basic(const char *userpass);

#endif
