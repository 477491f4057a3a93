/*
 * tls.h -- a TLS session as a layer of a connection: a struct stream
 * (core/loop/stream.h) that carries plaintext, on top of another struct stream
 * that carries the records, whatever that one is (a kernel socket, an lwIP
 * pcb, a CONNECT tunnel). trawl is the server toward clients and the
 * client toward servers.
 *
 * Contract, on top of stream.h's:
 * - core_tls_*_new takes ownership of below (on success only), replaces
 *   its callbacks and un-pauses it. The handshake starts at once; the
 *   owner sets its callbacks right after new (none run inside new).
 * - Plaintext written before the handshake ends is queued and sent after
 *   it, counted by core_stream_pending().
 * - The handshake callback (core_tls_on_handshake) runs once, when the
 *   session is established; a failed handshake ends in on_error instead,
 *   with a message for the user (the client rejected trawl's certificate,
 *   the server's certificate did not verify and why, the peer spoke plain
 *   HTTP, the peer closed mid-handshake, ...).
 * - shutdown sends close_notify, then shuts below down. close sends
 *   close_notify and closes below; abort resets below without it.
 * - A close_notify from the peer, or below's EOF after the handshake, is
 *   on_eof. EOF from below during the handshake is on_error.
 * - ALPN: the server side chooses the one protocol its owner names (what
 *   the server chose, so the client speaks what the server speaks) when
 *   the client offers it, else none; the client side offers the list the
 *   owner gives.
 */
#ifndef CORE_TLS_H
#define CORE_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct loop;
struct stream;

/* Debian's bundle of the system trust store (ca-certificates). */
#define TLS_SYSTEM_ROOTS	"/etc/ssl/certs/ca-certificates.crt"

/* How upstream servers are verified. */
struct tls_verify {
	int		 insecure;	/* --ssl-insecure: accept any certificate */
	const char	*roots;		/* PEM bundle; NULL: TLS_SYSTEM_ROOTS */
	const char	*extra_roots;	/* --upstream-ca PEM file, or NULL */
};

/* Contexts: made once, shared by every session of one side. Caller frees
 * with SSL_CTX_free. NULL with *cause on error. */
SSL_CTX		*core_tls_server_ctx_new(char **cause);
SSL_CTX		*core_tls_client_ctx_new(const struct tls_verify *,
		    char **cause);

/*
 * trawl as the TLS server, toward a client. cert and key (new references
 * are taken; NULL to use what ctx has) are the leaf to present, usually
 * from core_ca_leaf. alpn is the protocol to choose ("h2", "http/1.1"),
 * or NULL for none. initial holds bytes already read from below (the
 * ClientHello that was peeked), len of them; copied. Takes ownership of
 * below on success. Caller frees with core_stream_close/abort. NULL with
 * *cause on error (below is then still the caller's).
 */
struct stream	*core_tls_server_new(struct loop *, struct stream *below,
		    SSL_CTX *ctx, X509 *cert, EVP_PKEY *key, const char *alpn,
		    const void *initial, size_t len, char **cause);

/*
 * trawl as the TLS client, toward a server. host is the name sent as SNI
 * and required in the server's certificate; an IP literal is not sent as
 * SNI and must be an IP SAN instead. alpn is a comma-separated list of
 * protocols to offer ("http/1.1"), or NULL to offer none. Ownership as
 * for core_tls_server_new.
 */
struct stream	*core_tls_client_new(struct loop *, struct stream *below,
		    SSL_CTX *ctx, const char *host, const char *alpn,
		    char **cause);

/* BoringSSL's reason for the last failure (never key bytes). Static. */
const char	*core_tls_reason(void);
/* 1 when s is a TLS stream made here. */
int		 core_tls_is(const struct stream *s);

/* Runs cb(arg) once when the handshake has completed. */
void		 core_tls_on_handshake(struct stream *,
		    void (*cb)(void *arg), void *arg);
/* 1 once the handshake has completed. */
int		 core_tls_established(const struct stream *);

/*
 * What the handshake showed of one side: SNI, and once open the version,
 * cipher, ALPN and, for the client side, the server certificate's
 * subject, issuer, SANs, validity and SHA-256. Strings are malloc'd, NULL
 * when unknown; the caller owns them (core_tls_facts_clear frees them).
 */
struct tls_facts {
	char	*sni;
	char	*version;	/* "TLSv1.3" */
	char	*cipher;
	char	*alpn;
	char	*cert_subject;
	char	*cert_issuer;
	char	*cert_sans;	/* comma-separated */
	char	*cert_sha256;	/* hex */
	double	 cert_not_before;
	double	 cert_not_after;
};
void		 core_tls_facts(const struct stream *, struct tls_facts *);
void		 core_tls_facts_clear(struct tls_facts *);

/* Why the server's certificate did not verify (also with insecure set,
 * when it was accepted anyway), or NULL. Owned by the stream. */
const char	*core_tls_verify_error(const struct stream *);

/* 1 when the client refused trawl's certificate with an alert, 2 when it
 * closed the connection right after receiving it (a pinning client's
 * habit), else 0. For --tls-auto-ignore. */
int		 core_tls_cert_rejected(const struct stream *);

#endif
