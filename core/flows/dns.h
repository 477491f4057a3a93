/*
 * dns.h -- a DNS message parser (RFC 1035) for the DNS flows of local
 * mode: the question, the rcode and the answers as text.
 *
 * Contract:
 * - Input is one whole message (a UDP payload). Functions that parse
 *   return the bytes consumed (always len: trailing bytes are an error),
 *   or -1 for a malformed message. -2 (partial) is never returned: a
 *   datagram is complete by definition.
 * - Nothing here allocates except the flow fields core_dns_fill sets
 *   (name, answers), each replaced with core_flow_set.
 * - Compressed names are followed at most DNS_MAX_HOPS pointers and up to
 *   255 octets, so a pointer loop ends in -1, never in a hang.
 * - Names come out in presentation form without the trailing dot
 *   ("example.org", "." for the root), with '.', '\\' and bytes outside
 *   printable ASCII escaped as \DDD or \c (RFC 4343), so a name is always
 *   one line of printable text.
 */
#ifndef CORE_DNS_H
#define CORE_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct flow_dns;

/* Compression pointers followed for one name. */
#define DNS_MAX_HOPS		64
/* A name in presentation form: 255 wire octets, escapes (4 bytes each
 * for at most 253 of them), dots and the NUL. */
#define DNS_NAME_TEXT		1024

#define DNS_TYPE_A		1
#define DNS_TYPE_NS		2
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_SOA		6
#define DNS_TYPE_PTR		12
#define DNS_TYPE_MX		15
#define DNS_TYPE_TXT		16
#define DNS_TYPE_AAAA		28
#define DNS_TYPE_SRV		33
#define DNS_TYPE_OPT		41

struct dns_msg {
	uint16_t	id;
	int		qr;		/* 1: a response */
	int		opcode;
	int		aa, tc, rd, ra;
	int		rcode;		/* header rcode (4 bits) */
	unsigned	qdcount, ancount, nscount, arcount;
	/* The first question; qname[0] == '\0' when there is none. */
	char		qname[DNS_NAME_TEXT];
	int		qtype;
	int		qclass;
};

/* Parses and checks the whole message into *out. Returns len or -1. */
ssize_t		 core_dns_parse(const void *, size_t len, struct dns_msg *out);

/*
 * Does this datagram look like a DNS query or response (for ports other
 * than 53)? A strict check: it parses, it has exactly one question of
 * class IN, and a standard opcode. Returns 1 or 0.
 */
int		 core_dns_looks_like(const void *, size_t len);

/*
 * Writes the answer section of a response into buf (size len, at least
 * 1), one record per line in zone-file form ("example.org. 300 IN A
 * 192.0.2.1"), without a newline after the last. Records that do not fit
 * are replaced by a line "...". Returns the bytes written (without the
 * NUL) or -1 if the message is malformed.
 */
ssize_t		 core_dns_answers(const void *, size_t msglen, char *buf,
		    size_t len);

/*
 * Fills d from a query (name, qtype; rcode left alone) or a response
 * (also rcode and answers). Sets only fields the message carries; the
 * caller owns d and its strings. Returns msglen or -1 (d unchanged).
 */
ssize_t		 core_dns_fill(struct flow_dns *d, const void *, size_t msglen);

/*
 * One line for a DNS flow's query and answer, as --dump prints it: "A
 * example.org << NOERROR 192.0.2.1 192.0.2.2" (type, name, rcode, then
 * each answer's data, names without their final dot), "... << no answer"
 * before the answer; TYPE%d and RCODE%d for codes without a name. Cut with
 * "..." to fit len (at least 4). Returns buf.
 */
char		*core_dns_brief(const struct flow_dns *, char *buf, size_t len);

/* "A", "AAAA", ... or NULL for a type without a mnemonic here. */
const char	*core_dns_type_name(int type);
/* "NOERROR", "NXDOMAIN", ... or NULL. */
const char	*core_dns_rcode_name(int rcode);

#endif
