/*
 * mode.c -- the --mode specs: parsing, the listeners, the status text, and
 * where a mode's connections to servers go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http/url.h"
#include "core/loop/cause.h"
#include "core/loop/trawl.h"
#include "core/proxy/connect.h"
#include "core/proxy/listen.h"
#include "core/proxy/mode.h"
#include "core/proxy/regular.h"
#include "core/proxy/reverse.h"
#include "core/proxy/socks5.h"
#include "core/proxy/upstream.h"

static struct proxy_mode	*modes;
static char			*auth_user, *auth_pass;
static char			*auth_basic;	/* what HTTP clients must send */
static char			*upstream_auth;

static const char *const kind_names[] = {
	"regular", "upstream", "reverse", "socks5", "local"
};

static void
mode_free(struct proxy_mode *m)
{
	core_listener_free(m->listener);
	free(m->spec);
	free(m->listen_host);
	free(m->local_spec);
	free(m->scheme);
	free(m->host);
	free(m->authority);
	free(m);
}

static int
parse_port(const char *s, size_t n, int *port)
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* PORT | HOST:PORT | [V6]:PORT, after the '@'. */
static int
parse_listen(struct proxy_mode *m, const char *at, char **cause)
{
	const char *colon = strrchr(at, ':');
	size_t hl;

	if (colon == NULL) {
		if (parse_port(at, strlen(at), &m->listen_port) == -1)
			goto bad;
		return 0;
	}
	if (at[0] == '[') {
		if (colon < at + 2 || colon[-1] != ']')
			goto bad;
		m->listen_host = strndup(at + 1, (size_t)(colon - at - 2));
	} else if (memchr(at, ':', (size_t)(colon - at)) != NULL)
		goto bad;	/* an IPv6 address wants its brackets */
	else
		m->listen_host = strndup(at, (size_t)(colon - at));
	hl = strlen(m->listen_host);
	if (hl == 0 || parse_port(colon + 1, strlen(colon + 1),
	    &m->listen_port) == -1)
		goto bad;
	return 0;
bad:
	core_cause(cause, "bad listen address '@%s': expected @PORT, "
	    "@HOST:PORT or @[IPV6]:PORT", at);
	return -1;
}

/* http[s]://HOST[:PORT][/], the server (reverse) or proxy (upstream). */
static int
parse_url(struct proxy_mode *m, const char *data, char **cause)
{
	const char *what = m->kind == MODE_KIND_REVERSE ? "reverse" :
	    "upstream";
	const char *sep = strstr(data, "://");
	struct url u;
	int def;

	if (data[0] == '\0') {
		core_cause(cause, "%s needs a URL: %s:http[s]://HOST[:PORT]",
		    what, what);
		return -1;
	}
	if (sep != NULL && (sep - data != 4 || strncasecmp(data, "http", 4)) &&
	    (sep - data != 5 || strncasecmp(data, "https", 5))) {
		core_cause(cause, "%s:%.*s:// is not supported: trawl's %s "
		    "mode speaks http:// and https://", what,
		    (int)(sep - data), data, what);
		return -1;
	}
	if (core_url_parse_absolute(data, strlen(data), &u) == -1 ||
	    u.path_len > 1) {
		core_cause(cause, "bad URL '%s': expected http[s]://HOST[:PORT]",
		    data);
		return -1;
	}
	m->scheme = strndup(u.scheme, u.scheme_len);
	for (def = 0; m->scheme[def] != '\0'; def++)
		m->scheme[def] = (char)(m->scheme[def] | 0x20);
	m->host = strndup(u.host, u.host_len);
	m->port = u.port;
	def = strcmp(m->scheme, "https") == 0 ? 443 : 80;
	if (asprintf(&m->authority, u.port == def ? (u.host_ipv6 ? "[%s]" :
	    "%s") : (u.host_ipv6 ? "[%s]:%d" : "%s:%d"), m->host, u.port) == -1)
		abort();
	if (m->kind == MODE_KIND_UPSTREAM && def == 443) {
		core_cause(cause, "upstream:https:// is not supported: trawl "
		    "speaks plain HTTP to an upstream proxy (http://)");
		return -1;
	}
	return 0;
}

static int
parse(struct proxy_mode *m, const char *spec, char **cause)
{
	size_t n = strcspn(spec, ":@"), i;
	const char *rest = spec + n, *at;
	char *data;
	int rc;

	for (i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strlen(kind_names[i]) == n &&
		    strncmp(spec, kind_names[i], n) == 0)
			break;
	if (i == sizeof kind_names / sizeof kind_names[0]) {
		core_cause(cause, "unknown mode '%.*s': trawl has regular, "
		    "upstream:URL, reverse:URL, socks5 and local", (int)n, spec);
		return -1;
	}
	m->kind = (enum mode_kind)i;
	m->listen_port = -1;
	if (m->kind == MODE_KIND_LOCAL) {
		/* The capture spec is checked when local mode prepares. */
		if (rest[0] == '@') {
			core_cause(cause, "local mode listens nowhere: no @");
			return -1;
		}
		m->local_spec = strdup(rest[0] == ':' ? rest + 1 : "");
		return 0;
	}
	/* The listen address comes last, after the last '@'. */
	at = strrchr(rest, '@');
	if (at != NULL && parse_listen(m, at + 1, cause) == -1)
		return -1;
	data = strndup(rest, at != NULL ? (size_t)(at - rest) : strlen(rest));
	if (data[0] == ':')
		memmove(data, data + 1, strlen(data));
	else if (data[0] != '\0') {
		free(data);
		core_cause(cause, "bad mode '%s'", spec);
		return -1;
	}
	switch (m->kind) {
	case MODE_KIND_REGULAR:
	case MODE_KIND_SOCKS5:
		rc = data[0] == '\0' ? 0 : -1;
		if (rc == -1)
			core_cause(cause, "%s takes no ':%s' (only @[HOST:]PORT)",
			    kind_names[m->kind], data);
		break;
	default:
		rc = parse_url(m, data, cause);
		break;
	}
	free(data);
	return rc;
}

int
core_mode_add(const char *spec, char **cause)
{
	struct proxy_mode *m = calloc(1, sizeof *m), **p;
	char *why = NULL;

	if (m == NULL)
		abort();
	m->spec = strdup(spec);
	if (parse(m, spec, &why) == -1) {
		core_cause(cause, "bad --mode '%s': %s", spec, why);
		free(why);
		mode_free(m);
		return -1;
	}
	if (m->kind == MODE_KIND_LOCAL && core_mode_local() != NULL) {
		core_cause(cause, "bad --mode '%s': one local mode at a time "
		    "(one SPEC may name several programs)", spec);
		mode_free(m);
		return -1;
	}
	for (p = &modes; *p != NULL; p = &(*p)->next)
		;
	*p = m;
	return 0;
}

static int
split_auth(const char *opt, const char *v, char **user, char **pass,
    char **cause)
{
	const char *colon = strchr(v, ':');

	if (colon == NULL || colon == v) {
		core_cause(cause, "bad --%s: expected USER:PASS", opt);
		return -1;
	}
	if ((size_t)(colon - v) > 255 || strlen(colon + 1) > 255) {
		core_cause(cause, "bad --%s: user and password are 255 bytes "
		    "at most each", opt);
		return -1;
	}
	free(*user);
	*user = strndup(v, (size_t)(colon - v));
	if (pass != NULL) {
		free(*pass);
		*pass = strdup(colon + 1);
	}
	return 0;
}

int
core_mode_set_proxyauth(const char *v, char **cause)
{
	if (split_auth("proxyauth", v, &auth_user, &auth_pass, cause) == -1)
		return -1;
	free(auth_basic);
	auth_basic = core_upstream_basic(v);
	return 0;
}

int
core_mode_set_upstream_auth(const char *v, char **cause)
{
	char *user = NULL;

	if (split_auth("upstream-auth", v, &user, NULL, cause) == -1)
		return -1;
	free(user);
	free(upstream_auth);
	upstream_auth = core_upstream_basic(v);
	return 0;
}

int
core_mode_check(char **cause)
{
	const struct proxy_mode *m;
	int asks = 0, upstream = 0;

	for (m = modes; m != NULL; m = m->next) {
		asks += core_mode_asks_login(m);
		upstream += m->kind == MODE_KIND_UPSTREAM;
	}
	/* A login nobody is asked for would leave the user believing a
	 * proxy protected that is not. */
	if (auth_user != NULL && asks == 0) {
		core_cause(cause, "--proxyauth needs a mode whose clients "
		    "log in: regular, upstream or socks5");
		return -1;
	}
	if (upstream_auth != NULL && upstream == 0) {
		core_cause(cause, "--upstream-auth needs an upstream mode "
		    "(--mode upstream:http://PROXY:PORT)");
		return -1;
	}
	return 0;
}

const struct proxy_mode *
core_mode_first(void)
{
	return modes;
}

const struct proxy_mode *
core_mode_local(void)
{
	const struct proxy_mode *m;

	for (m = modes; m != NULL; m = m->next)
		if (m->kind == MODE_KIND_LOCAL)
			return m;
	return NULL;
}

int
core_mode_listens(void)
{
	const struct proxy_mode *m;

	for (m = modes; m != NULL; m = m->next)
		if (m->kind != MODE_KIND_LOCAL)
			return 1;
	return 0;
}

int
core_mode_start(const char *host, int port, char **cause)
{
	struct proxy_mode *m;
	listener_fn fn;
	char *why = NULL;

	for (m = modes; m != NULL; m = m->next) {
		switch (m->kind) {
		case MODE_KIND_REVERSE:
			fn = core_reverse_accept;
			break;
		case MODE_KIND_SOCKS5:
			fn = core_socks5_accept;
			break;
		case MODE_KIND_LOCAL:
			continue;
		default:
			fn = core_regular_accept;
			break;
		}
		m->listener = core_listener_new(m->listen_host != NULL ?
		    m->listen_host : host, m->listen_port >= 0 ?
		    m->listen_port : port, fn, m, &why);
		if (m->listener == NULL) {
			core_cause(cause, "--mode %s: %s", m->spec, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

void
core_mode_stop(void)
{
	struct proxy_mode *m;

	for (m = modes; m != NULL; m = m->next) {
		core_listener_free(m->listener);
		m->listener = NULL;
	}
}

void
core_mode_clear(void)
{
	struct proxy_mode *m;

	while ((m = modes) != NULL) {
		modes = m->next;
		mode_free(m);
	}
	free(auth_user);
	free(auth_pass);
	free(auth_basic);
	auth_basic = NULL;
	free(upstream_auth);
	auth_user = auth_pass = upstream_auth = NULL;
}

void
core_mode_status(char *buf, size_t len)
{
	const struct proxy_mode *m;
	size_t n = 0;
	int w;

	buf[0] = '\0';
	for (m = modes; m != NULL && n < len; m = m->next) {
		const char *at;

		if (m->listener == NULL)
			continue;
		at = m->kind == MODE_KIND_REVERSE ||
		    m->kind == MODE_KIND_UPSTREAM ? strrchr(m->spec, '@') :
		    strchr(m->spec, '@');
		w = snprintf(buf + n, len - n, "%s%.*s %s", n > 0 ? ", " : "",
		    at != NULL ? (int)(at - m->spec) : (int)strlen(m->spec),
		    m->spec, core_listener_address(m->listener));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int
core_mode_asks_login(const struct proxy_mode *m)
{
	return m != NULL && (m->kind == MODE_KIND_REGULAR ||
	    m->kind == MODE_KIND_UPSTREAM || m->kind == MODE_KIND_SOCKS5);
}

int
core_mode_login_ok(const char *proxy_authorization)
{
	const char *v = proxy_authorization;

	if (auth_basic == NULL)
		return 1;
	if (v == NULL || strncasecmp(v, "basic ", 6) != 0)
		return 0;
	v += 6;
	while (*v == ' ')
		v++;
	return strcmp(v, auth_basic + 6) == 0;
}

const char *
core_mode_proxyauth_user(void)
{
	return auth_user;
}

const char *
core_mode_proxyauth_pass(void)
{
	return auth_pass;
}

const char *
core_mode_upstream_auth(void)
{
	return upstream_auth;
}

struct connect *
core_mode_connect(const struct proxy_mode *m, const char *host, int port,
    int plain, connect_cb cb, void *arg)
{
	if (m == NULL || m->kind != MODE_KIND_UPSTREAM)
		return core_connect_start(core_loop, host, port, cb, arg);
	if (plain)
		return core_connect_start(core_loop, m->host, m->port, cb, arg);
	return core_connect_via(core_loop, m->host, m->port, upstream_auth,
	    host, port, cb, arg);
}
