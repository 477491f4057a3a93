/*
 * tls_peek-fuzzer.c -- core_tls_peek on arbitrary bytes: no crash, no read
 * past the end, and a consistent answer (what it consumed parses alone to
 * the same result).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls/tls_peek.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello	h, h2;
	ssize_t			r, r2;

	r = core_tls_peek(data, size, &h);
	if (r < -2 || r > (ssize_t)size)
		abort();
	if (r < 0)
		return 0;
	if (strlen(h.sni) >= sizeof h.sni || h.alpn_len > sizeof h.alpn ||
	    h.nversions > TLS_HELLO_VERSIONS || (h.has_sni && h.sni[0] == 0))
		abort();
	(void)core_tls_peek_alpn_has(&h, "http/1.1");
	(void)core_tls_peek_max_version(&h);
	r2 = core_tls_peek(data, (size_t)r, &h2);
	if (r2 != r || strcmp(h.sni, h2.sni) != 0 ||
	    h.alpn_len != h2.alpn_len ||
	    memcmp(h.alpn, h2.alpn, h.alpn_len) != 0)
		abort();
	return 0;
}
