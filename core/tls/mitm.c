/*
 * mitm.c -- the process-wide TLS interception state.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/loop/limits.h"
#include "core/tls/ca.h"
#include "core/tls/keylog.h"
#include "core/tls/mitm.h"
#include "core/tls/tls.h"

#define MAX_AUTO_IGNORED 1024

static struct {
	struct ca	 *ca;
	SSL_CTX		 *server;
	SSL_CTX		 *client;
	struct keylog	 *keylog;
	pcre2_code	**ignore;
	size_t		  nignore;
	char		**refused;	/* hosts passed through after refusals */
	size_t		  nrefused;
	int		  auto_ignore;
} m;

int
core_mitm_init(const struct mitm_options *o, char **cause)
{
	struct tls_verify v;
	const char *klpath;
	char *dir = NULL;

	if (o->confdir == NULL && (dir = core_ca_default_confdir(cause)) == NULL)
		return -1;
	m.ca = core_ca_load_or_create(o->confdir ? o->confdir : dir, cause);
	free(dir);
	if (m.ca == NULL)
		return -1;
	/* Before the screen takes the terminal, so the user sees it. */
	if (core_ca_warning(m.ca) != NULL)
		fprintf(stderr, "trawl: warning: %s\n", core_ca_warning(m.ca));
	memset(&v, 0, sizeof v);
	v.insecure = o->insecure;
	v.extra_roots = o->upstream_ca;
	if ((m.server = core_tls_server_ctx_new(cause)) == NULL ||
	    (m.client = core_tls_client_ctx_new(&v, cause)) == NULL) {
		core_mitm_free();
		return -1;
	}
	klpath = core_keylog_path(o->keylog);
	if (klpath != NULL) {
		if ((m.keylog = core_keylog_open(klpath, cause)) == NULL) {
			core_mitm_free();
			return -1;
		}
		core_keylog_attach(m.keylog, m.server);
		core_keylog_attach(m.keylog, m.client);
	}
	m.auto_ignore = o->auto_ignore;
	return 0;
}

void
core_mitm_free(void)
{
	size_t i;

	if (m.server != NULL)
		SSL_CTX_free(m.server);
	if (m.client != NULL)
		SSL_CTX_free(m.client);
	core_keylog_free(m.keylog);
	core_ca_free(m.ca);
	for (i = 0; i < m.nignore; i++)
		pcre2_code_free(m.ignore[i]);
	free(m.ignore);
	for (i = 0; i < m.nrefused; i++)
		free(m.refused[i]);
	free(m.refused);
	memset(&m, 0, sizeof m);
}

struct ca *
core_mitm_ca(void)
{
	return m.ca;
}

SSL_CTX *
core_mitm_server_ctx(void)
{
	return m.server;
}

SSL_CTX *
core_mitm_client_ctx(void)
{
	return m.client;
}

int
core_mitm_ignore_add(const char *regex, char **cause)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int err;

	re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS, &err, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		if (asprintf(cause, "bad --ignore-hosts '%s' at column %zu: %s",
		    regex, (size_t)off + 1, msg) == -1)
			*cause = NULL;
		return -1;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	m.ignore = realloc(m.ignore, (m.nignore + 1) * sizeof *m.ignore);
	if (m.ignore == NULL)
		abort();
	m.ignore[m.nignore++] = re;
	return 0;
}

static int
matches(const char *s)
{
	pcre2_match_data *md;
	size_t i;
	int hit = 0;

	if (s == NULL || *s == '\0' || m.nignore == 0)
		return 0;
	md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return 0;
	for (i = 0; i < m.nignore && !hit; i++)
		hit = pcre2_match(m.ignore[i], (PCRE2_SPTR)s, strlen(s), 0, 0,
		    md, NULL) >= 0;
	pcre2_match_data_free(md);
	return hit;
}

int
core_mitm_ignored(const char *host, int port, const char *sni)
{
	char hp[300];
	size_t i;

	for (i = 0; i < m.nrefused; i++)
		if ((host != NULL && strcasecmp(m.refused[i], host) == 0) ||
		    (sni != NULL && strcasecmp(m.refused[i], sni) == 0))
			return 1;
	if (host != NULL) {
		snprintf(hp, sizeof hp, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
		    host, port);
		if (matches(hp))
			return 1;
	}
	return matches(sni);
}

void
core_mitm_client_refused(const char *host)
{
	if (!m.auto_ignore || host == NULL || m.nrefused >= MAX_AUTO_IGNORED ||
	    core_mitm_ignored(host, 0, NULL))
		return;
	m.refused = realloc(m.refused, (m.nrefused + 1) * sizeof *m.refused);
	if (m.refused == NULL || (m.refused[m.nrefused] = strdup(host)) == NULL)
		abort();
	m.nrefused++;
}
