/*
 * tlsrecord.c -- a TLS stream's handshake facts into a flow.
 */
#include <stdlib.h>

#include "core/flows/flow.h"
#include "core/proxy/tlsrecord.h"
#include "core/tls/tls.h"

/* Takes ownership of src; keeps *dst when src is NULL and keep is set. */
static void
take(char **dst, char *src, int keep)
{
	if (src == NULL && keep)
		return;
	core_flow_take(dst, src);	/* the old one may be shared */
}

void
core_tlsrecord_fill(const struct stream *s, struct flow_tls *ft)
{
	struct tls_facts tf;

	core_tls_facts(s, &tf);
	ft->present = 1;
	take(&ft->sni, tf.sni, 0);
	take(&ft->version, tf.version, 1);
	take(&ft->cipher, tf.cipher, 1);
	take(&ft->alpn, tf.alpn, 1);
	take(&ft->cert_subject, tf.cert_subject, 1);
	take(&ft->cert_issuer, tf.cert_issuer, 1);
	take(&ft->cert_sans, tf.cert_sans, 1);
	take(&ft->cert_sha256, tf.cert_sha256, 1);
	if (tf.cert_sha256 != NULL) {
		ft->cert_not_before = tf.cert_not_before;
		ft->cert_not_after = tf.cert_not_after;
	}
}
