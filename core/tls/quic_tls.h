/*
 * quic_tls.h -- the TLS half of an intercepted QUIC connection (issue 17):
 * BoringSSL sessions wired to ngtcp2 by its BoringSSL crypto helper.
 *
 * BoringSSL lives only in core/tls (core/README), so core/quic sees a
 * session as an opaque pointer, which it hands to ngtcp2 as the TLS native
 * handle. conn_ref is the QUIC layer's ngtcp2_crypto_conn_ref: the helper
 * finds the ngtcp2_conn through it (set as the session's app data).
 *
 * The contexts are made on first use from core/tls/mitm.c's: the client
 * one shares its trust store and verify mode (--upstream-ca, -k), so QUIC
 * upstream is verified exactly as TLS upstream is; the server one presents
 * leaves from trawl's CA. Both speak TLS 1.3 only and ALPN "h3".
 */
#ifndef CORE_QUIC_TLS_H
#define CORE_QUIC_TLS_H

/* trawl as the server, toward the client: a leaf for sni (or host when
 * sni is NULL). NULL with *cause, e.g. before core_mitm_init. */
void	*core_quic_tls_server_new(const char *sni, const char *host,
	    void *conn_ref, char **cause);
/* trawl as the client, toward the server named host (the SNI sent and
 * the name verified). NULL with *cause. */
void	*core_quic_tls_client_new(const char *host, void *conn_ref,
	    char **cause);
void	 core_quic_tls_free(void *);
/* Why the server's certificate was refused (a static string), or NULL. */
const char *core_quic_tls_verify_error(void *);
/* The ALPN both sides agreed, "h3" (static), or NULL for none. */
const char *core_quic_tls_alpn(void *);
/* Frees the contexts (at exit, after every session). */
void	 core_quic_tls_cleanup(void);

#endif
