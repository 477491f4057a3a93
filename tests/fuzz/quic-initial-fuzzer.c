/*
 * quic-initial-fuzzer.c -- core/tls/quic_initial on arbitrary bytes: no
 * crash, no read past the end, and a filled hello that makes sense. The
 * first byte picks what the rest is: even, datagrams (each after a 2-byte
 * length) fed in turn; odd, decrypted Initial payloads (frames) the same
 * way, so the frame parser and CRYPTO reassembly are reached without
 * having to forge AES-GCM tags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls/quic_initial.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_initial	*q;
	struct tls_hello	 h;
	const char		*why;
	size_t			 n;
	int			 frames, rc = 0;
	uint8_t			*c;

	if (size < 1)
		return 0;
	frames = data[0] & 1;
	data++;
	size--;
	q = core_quic_initial_new();
	while (size >= 2 && rc == 0) {
		n = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		/* Exactly n bytes, so ASan sees a read past them. */
		if ((c = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(c, data, n);
		why = NULL;
		rc = frames ? core_quic_initial_feed_frames(q, c, n, &h, &why) :
		    core_quic_initial_feed(q, c, n, &h, &why);
		free(c);
		if (rc < -1 || rc > 1 || (rc == -1 && why == NULL))
			abort();
		if (rc == 1 && (strlen(h.sni) >= sizeof h.sni ||
		    h.alpn_len > sizeof h.alpn || (h.has_sni && h.sni[0] == 0)))
			abort();
		data += n;
		size -= n;
	}
	core_quic_initial_free(q);
	return 0;
}
