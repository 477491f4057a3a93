/*
 * ca.h -- trawl's certificate authority: created once in the confdir,
 * loaded on every start, and signing leaf certificates on demand for the
 * hosts whose TLS trawl intercepts.
 *
 * Files in the confdir (default $XDG_CONFIG_HOME/trawl, else
 * ~/.config/trawl):
 *   trawl-ca-key.pem   the CA private key (PKCS#8 PEM), mode 0600. It is
 *                      created 0600 and never widened; a key file that
 *                      other users can access, or that another user
 *                      owns, is refused.
 *   trawl-ca-cert.pem  the CA certificate, PEM, for trust stores.
 *   trawl-ca-cert.cer  the same certificate, DER, for browsers.
 *
 * The CA key never leaves this module: it is not printed, not put into an
 * error message, and its serialised forms are wiped before being freed.
 * Leaves share one ECDSA P-256 key made at load time and kept in memory
 * only; signed leaves are cached, LIMIT_CERT_CACHE of them at most.
 */
#ifndef CORE_CA_H
#define CORE_CA_H

#include <openssl/ssl.h>

struct ca;

#define CA_KEY_FILE	"trawl-ca-key.pem"
#define CA_CERT_FILE	"trawl-ca-cert.pem"
#define CA_CERT_DER	"trawl-ca-cert.cer"

/* The default confdir. Caller frees. NULL with *cause when neither
 * XDG_CONFIG_HOME nor HOME is usable. */
char		*core_ca_default_confdir(char **cause);

/*
 * Loads the CA from confdir, creating the directory (0700) and the CA on
 * first use: only when neither the key nor a certificate is there. A
 * certificate whose key is missing is refused with an explanation (a new
 * CA would be one that no client trusts); a key whose certificate is
 * missing gets a new certificate for the same key. Caller frees with
 * core_ca_free. NULL with *cause on error.
 */
struct ca	*core_ca_load_or_create(const char *confdir, char **cause);
void		 core_ca_free(struct ca *);

/* 1 when this call created the CA (the user has to trust it), else 0. */
int		 core_ca_created(const struct ca *);
/* What the user should hear about a loaded certificate that works but
 * that clients will refuse (expired, not yet valid, not a CA), or NULL.
 * Owned by the ca. */
const char	*core_ca_warning(const struct ca *);
/* Paths of the exported certificate, PEM and DER. Owned by the ca. */
const char	*core_ca_cert_path(const struct ca *);
const char	*core_ca_cert_der_path(const struct ca *);
/* The CA certificate. Owned by the ca. */
X509		*core_ca_cert(const struct ca *);
/* SHA-256 of the CA certificate as "AB:CD:..." (95 characters + NUL). */
void		 core_ca_fingerprint(const struct ca *, char out[96]);

/*
 * A leaf certificate for sni (a DNS name, or an IP literal) or, when sni is
 * NULL (a client that sent none), for host: the host the client asked
 * for, a DNS name (a CONNECT's) or an IP literal (the address it
 * connected to). host is also a SAN when it is an IP literal. extra_sans
 * is a NULL-terminated list of DNS names or IP literals (e.g. copied from
 * the upstream certificate; may be NULL). Returns 0 and a new reference
 * to the leaf and to the shared leaf key (caller frees with X509_free /
 * EVP_PKEY_free), or -1 and *cause. Leaves are cached by their names,
 * least recently used evicted.
 */
int		 core_ca_leaf(struct ca *, const char *sni, const char *host,
		    const char *const *extra_sans, X509 **cert, EVP_PKEY **key,
		    char **cause);
/* Same, installed straight into ssl as its certificate and key. */
int		 core_ca_use_leaf(struct ca *, SSL *ssl, const char *sni,
		    const char *host, const char *const *extra_sans,
		    char **cause);
/* Leaves in the cache now (for tests and the status line). */
size_t		 core_ca_cached(const struct ca *);

#endif
