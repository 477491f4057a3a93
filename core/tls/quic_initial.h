/*
 * quic_initial.h -- a QUIC client's Initial packets opened to read its
 * ClientHello (SNI, ALPN) before anything answers it. Initial packets are
 * protected with keys derived from their Destination Connection ID alone
 * (RFC 9001 5.2), so anyone on the path can read them.
 *
 * Contract:
 * - Bytes in (whole UDP datagrams, client to server), struct tls_hello
 *   out; no socket, no flow. QUIC v1 (RFC 9000) and v2 (RFC 9369).
 * - A datagram counts only if it is at least 1200 bytes (RFC 9000 14.1)
 *   and starts with a long-header Initial packet that decrypts (header
 *   protection, AES-128-GCM) and holds only frames an Initial may hold;
 *   anything else is -1, "not QUIC", and the caller treats the 5-tuple as
 *   plain UDP. Packets coalesced after the Initial are ignored.
 * - CRYPTO frames are reassembled in any order, over several datagrams,
 *   up to LIMIT_QUIC_CRYPTO bytes; a ClientHello longer than that is -1.
 * - Never reads past len; each datagram is looked at up to
 *   LIMIT_UDP_DATAGRAM bytes.
 */
#ifndef CORE_QUIC_INITIAL_H
#define CORE_QUIC_INITIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/tls/tls_peek.h"

#define QUIC_V1		0x00000001u
#define QUIC_V2		0x6b3343cfu

struct quic_initial;

struct quic_initial	*core_quic_initial_new(void);
void			 core_quic_initial_free(struct quic_initial *);
/*
 * One datagram. 1: the ClientHello is complete and *out is filled;
 * 0: a valid Initial, but the ClientHello goes on in a later datagram;
 * -1: not a QUIC Initial, or malformed (*why, if not NULL, says why;
 * a static string).
 */
int	core_quic_initial_feed(struct quic_initial *, const void *, size_t,
	    struct tls_hello *out, const char **why);
/* The same for the frames of one Initial packet already decrypted
 * (tests and fuzzing reach the frame parser and reassembly with it). */
int	core_quic_initial_feed_frames(struct quic_initial *, const void *,
	    size_t, struct tls_hello *out, const char **why);
/* The version of the last Initial accepted (QUIC_V1, QUIC_V2), else 0. */
uint32_t core_quic_initial_version(const struct quic_initial *);

#endif
