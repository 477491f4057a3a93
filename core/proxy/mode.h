/*
 * mode.h -- the --mode options, written as mitmproxy writes them:
 *
 *	regular[@[HOST:]PORT]			explicit HTTP proxy
 *	upstream:http://PROXY[:PORT][@...]	the same, through another proxy
 *	reverse:http[s]://HOST[:PORT][@...]	every request to one server
 *	socks5[@[HOST:]PORT]			SOCKS5 proxy (RFC 1928)
 *	local[:SPEC]				eBPF capture (core/proxy/local.h)
 *
 * Several may run at once; each flow records the spec of the mode it came
 * through. A mode without @ listens on the default address
 * (--listen-host, --listen-port). The modes live from core_mode_add until
 * core_mode_clear, after every connection is gone, so connections and
 * conns hold plain pointers to them.
 */
#ifndef CORE_PROXY_MODE_H
#define CORE_PROXY_MODE_H

#include <stddef.h>

#include "core/proxy/connect.h"

enum mode_kind {
	MODE_KIND_REGULAR,
	MODE_KIND_UPSTREAM,
	MODE_KIND_REVERSE,
	MODE_KIND_SOCKS5,
	MODE_KIND_LOCAL
};

struct listener;

struct proxy_mode {
	enum mode_kind		 kind;
	char			*spec;		/* as given; flows record it */
	char			*listen_host;	/* NULL: the default */
	int			 listen_port;	/* -1: the default */
	char			*local_spec;	/* local: what to capture */
	/* reverse: the server; upstream: the proxy. */
	char			*scheme;	/* "http" / "https" */
	char			*host;		/* IPv6 without brackets */
	int			 port;
	char			*authority;	/* "host[:port]" as Host says it */
	struct listener		*listener;
	struct proxy_mode	*next;
};

/* Parses spec and appends it. Returns 0, or -1 with *cause (caller
 * frees) saying what is wrong with it. */
int		 core_mode_add(const char *spec, char **cause);
/* --proxyauth USER:PASS (regular, upstream and socks5 modes ask their
 * clients for it) and --upstream-auth
 * USER:PASS (sent to upstream proxies). 0, or -1 with *cause. */
int		 core_mode_set_proxyauth(const char *, char **cause);
int		 core_mode_set_upstream_auth(const char *, char **cause);
/* After every option: the options that need a mode have one. */
int		 core_mode_check(char **cause);
/* The modes in order, NULL-terminated through ->next. */
const struct proxy_mode *core_mode_first(void);
/* The local mode, or NULL. */
const struct proxy_mode *core_mode_local(void);
/* 1 when some mode listens (any but local). */
int		 core_mode_listens(void);
/* Listens for every mode but local, at its address or host:port. */
int		 core_mode_start(const char *host, int port, char **cause);
/* Closes every listener. */
void		 core_mode_stop(void);
/* Forgets every mode (and the auth), at exit. */
void		 core_mode_clear(void);
/* What listens where, for a status line: "regular 127.0.0.1:8080, socks5
 * 127.0.0.1:1080". Local mode is left out (it has its own). */
void		 core_mode_status(char *, size_t);

/* 1 when m's clients log in with --proxyauth (regular and upstream
 * modes with Proxy-Authorization, socks5 with RFC 1929). */
int		 core_mode_asks_login(const struct proxy_mode *);
/* 1 when a Proxy-Authorization value (or NULL) carries --proxyauth's
 * login as Basic credentials, or when --proxyauth is not set. */
int		 core_mode_login_ok(const char *proxy_authorization);
/* --proxyauth, split; NULL when not given. */
const char	*core_mode_proxyauth_user(void);
const char	*core_mode_proxyauth_pass(void);
/* "Basic ..." for Proxy-Authorization, or NULL without --upstream-auth. */
const char	*core_mode_upstream_auth(void);

/*
 * The connection a request to host:port goes over in mode m (NULL: a
 * direct one): to host:port, or through an upstream proxy -- a CONNECT
 * tunnel to host:port, or with plain 1 a connection to the proxy itself,
 * for requests it gets in absolute form. Cancel with core_connect_cancel.
 */
struct connect	*core_mode_connect(const struct proxy_mode *m,
		    const char *host, int port, int plain, connect_cb,
		    void *arg);

#endif
