/*
 * tls_peek.h -- recognise a TLS ClientHello at the start of a byte stream
 * and pull out what routing needs (SNI, ALPN, versions) before any TLS
 * library sees the bytes. TLS is told by content, never by port.
 *
 * Contract:
 * - core_tls_peek never allocates and never reads past len. It returns
 *   the bytes of the records that carry the whole ClientHello (consumed;
 *   the last of them complete, even if it goes on past the hello),
 *   -2 when the bytes so far are a valid prefix (read more, call again
 *   with everything), or -1 when they are not a TLS ClientHello or are
 *   malformed. The ClientHello may be split over several records.
 * - At most LIMIT_TLS_HELLO bytes are looked at: a prefix that long which
 *   still does not complete a ClientHello is -1, so a caller buffering
 *   while it gets -2 holds at most LIMIT_TLS_HELLO bytes.
 * - Nothing is consumed from the caller's point of view: it hands the same
 *   bytes on to the TLS layer (or relays them untouched).
 * - *out is filled only when the return value is >= 0.
 */
#ifndef CORE_TLS_PEEK_H
#define CORE_TLS_PEEK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* supported_versions entries kept; a ClientHello lists a handful. */
#define TLS_HELLO_VERSIONS	16
/* A DNS name is at most 253 characters (255 on the wire). */
#define TLS_HELLO_SNI		256
/* ALPN list kept in wire form; longer lists are cut at an entry. */
#define TLS_HELLO_ALPN		256

struct tls_hello {
	uint16_t	record_version;	/* version of the first record */
	uint16_t	legacy_version;	/* ClientHello.legacy_version */
	/* supported_versions (TLS 1.3), in the client's order. */
	uint16_t	versions[TLS_HELLO_VERSIONS];
	size_t		nversions;	/* entries kept in versions[] */
	/* server_name host_name, NUL-terminated; "" when absent. */
	char		sni[TLS_HELLO_SNI];
	int		has_sni;
	/* ALPN protocol_name_list, wire form (length-prefixed entries). */
	unsigned char	alpn[TLS_HELLO_ALPN];
	size_t		alpn_len;	/* bytes of alpn[] used */
	int		has_alpn;	/* the extension was present */
	int		alpn_truncated;	/* entries past alpn[] were dropped */
};

/* Parses a ClientHello from buf. Returns consumed / -2 / -1 (see above). */
ssize_t	core_tls_peek(const void *buf, size_t len, struct tls_hello *out);

/* 1 when the ClientHello offered ALPN protocol proto, else 0. */
int	core_tls_peek_alpn_has(const struct tls_hello *, const char *proto);

/* Highest version offered: the top supported_versions entry ignoring
 * GREASE, else legacy_version. 0x0304 is TLS 1.3. */
uint16_t core_tls_peek_max_version(const struct tls_hello *);

#endif
