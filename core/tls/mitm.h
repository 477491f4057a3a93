/*
 * mitm.h -- TLS interception settings shared by every connection: trawl's
 * CA, the server and client contexts, the key log, and which hosts pass
 * through untouched (--ignore-hosts, --tls-auto-ignore).
 */
#ifndef CORE_MITM_H
#define CORE_MITM_H

#include <openssl/ssl.h>

struct ca;

struct mitm_options {
	const char	*confdir;	/* NULL: $XDG_CONFIG_HOME/trawl */
	int		 insecure;	/* --ssl-insecure */
	const char	*upstream_ca;	/* --upstream-ca FILE */
	const char	*keylog;	/* --keylog FILE (else SSLKEYLOGFILE) */
	int		 auto_ignore;	/* --tls-auto-ignore */
};

/* Loads or creates the CA, builds the contexts. 0, or -1 with *cause. */
int		 core_mitm_init(const struct mitm_options *, char **cause);
void		 core_mitm_free(void);
/* NULL until core_mitm_init succeeded: TLS is then relayed raw. */
struct ca	*core_mitm_ca(void);
SSL_CTX		*core_mitm_server_ctx(void);
SSL_CTX		*core_mitm_client_ctx(void);

/* Adds an --ignore-hosts regex. 0, or -1 with *cause (caller frees). */
int		 core_mitm_ignore_add(const char *regex, char **cause);
/* Whether TLS to host:port (or with this SNI, may be NULL) passes
 * through: matched like mitmproxy against "host:port" and the SNI. */
int		 core_mitm_ignored(const char *host, int port, const char *sni);
/* A client refused trawl's certificate for host: with --tls-auto-ignore
 * its later connections pass through. */
void		 core_mitm_client_refused(const char *host);

#endif
