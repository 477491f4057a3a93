/*
 * quic_tls.c -- BoringSSL sessions for QUIC, configured by ngtcp2's
 * BoringSSL crypto helper (built from Debian's ngtcp2 source, GNUmakefile).
 */
#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_boringssl.h>

#include "core/loop/cause.h"
#include "core/tls/ca.h"
#include "core/tls/mitm.h"
#include "core/tls/quic_tls.h"
#include "core/tls/tls.h"

static SSL_CTX	*qserver;
static SSL_CTX	*qclient;

static const uint8_t h3_wire[] = { 2, 'h', '3' };

/* RFC 9114 3.1: "h3" or nothing; a client offering no h3 fails. */
static int
alpn_h3(SSL *ssl, const uint8_t **out, uint8_t *outlen, const uint8_t *in,
    unsigned inlen, void *arg)
{
	unsigned	i, n;

	for (i = 0; i < inlen; i += 1 + n) {
		n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == 2 && memcmp(in + i + 1, "h3", 2) == 0) {
			*out = in + i + 1;
			*outlen = 2;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static SSL_CTX *
server_ctx(char **cause)
{
	SSL_CTX	*ctx;

	if (qserver != NULL)
		return qserver;
	if (core_mitm_ca() == NULL) {
		core_cause(cause, "TLS interception is not set up");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    ngtcp2_crypto_boringssl_configure_server_context(ctx) != 0) {
		core_cause(cause, "cannot make a QUIC TLS context: %s",
		    core_tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_h3, NULL);
	return qserver = ctx;
}

static SSL_CTX *
client_ctx(char **cause)
{
	SSL_CTX		*ctx, *tcp;
	X509_STORE	*st;

	if (qclient != NULL)
		return qclient;
	if ((tcp = core_mitm_client_ctx()) == NULL) {
		core_cause(cause, "TLS interception is not set up");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    ngtcp2_crypto_boringssl_configure_client_context(ctx) != 0) {
		core_cause(cause, "cannot make a QUIC TLS context: %s",
		    core_tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The roots and --upstream-ca loaded for TLS, and -k's choice. */
	st = SSL_CTX_get_cert_store(tcp);
	X509_STORE_up_ref(st);
	SSL_CTX_set_cert_store(ctx, st);
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(tcp),
	    SSL_CTX_get_verify_callback(tcp));
	return qclient = ctx;
}

static int
is_ip(const char *s)
{
	unsigned char	b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

void *
core_quic_tls_server_new(const char *sni, const char *host, void *conn_ref,
    char **cause)
{
	SSL_CTX	*ctx;
	SSL	*ssl;

	if ((ctx = server_ctx(cause)) == NULL)
		return NULL;
	if ((ssl = SSL_new(ctx)) == NULL) {
		core_cause(cause, "cannot start a QUIC TLS session: %s",
		    core_tls_reason());
		ERR_clear_error();
		return NULL;
	}
	if (core_ca_use_leaf(core_mitm_ca(), ssl, sni, host, NULL,
	    cause) == -1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, conn_ref);
	SSL_set_accept_state(ssl);
	return ssl;
}

void *
core_quic_tls_client_new(const char *host, void *conn_ref, char **cause)
{
	X509_VERIFY_PARAM	*param;
	SSL_CTX			*ctx;
	SSL			*ssl;

	if ((ctx = client_ctx(cause)) == NULL)
		return NULL;
	if ((ssl = SSL_new(ctx)) == NULL) {
		core_cause(cause, "cannot start a QUIC TLS session: %s",
		    core_tls_reason());
		ERR_clear_error();
		return NULL;
	}
	if (SSL_set_alpn_protos(ssl, h3_wire, sizeof h3_wire) != 0)
		goto fail;
	if (host != NULL && host[0] != '\0') {
		param = SSL_get0_param(ssl);
		/* RFC 6066 3: literal IP addresses are not sent as SNI. */
		if (is_ip(host) ? !X509_VERIFY_PARAM_set1_ip_asc(param, host) :
		    (!SSL_set_tlsext_host_name(ssl, host) ||
		    !X509_VERIFY_PARAM_set1_host(param, host, strlen(host))))
			goto fail;
	}
	SSL_set_app_data(ssl, conn_ref);
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	core_cause(cause, "cannot use \"%s\" as the QUIC server name", host);
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

void
core_quic_tls_free(void *ssl)
{
	SSL_free(ssl);
}

const char *
core_quic_tls_verify_error(void *p)
{
	SSL	*ssl = p;
	long	 r;

	if (ssl == NULL || (r = SSL_get_verify_result(ssl)) == X509_V_OK)
		return NULL;
	return X509_verify_cert_error_string(r);
}

const char *
core_quic_tls_alpn(void *p)
{
	const uint8_t	*a;
	unsigned	 n;

	SSL_get0_alpn_selected(p, &a, &n);
	return n == 2 && memcmp(a, "h3", 2) == 0 ? "h3" : NULL;
}

void
core_quic_tls_cleanup(void)
{
	SSL_CTX_free(qserver);
	SSL_CTX_free(qclient);
	qserver = qclient = NULL;
}
