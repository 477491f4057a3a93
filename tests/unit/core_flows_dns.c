/*
 * core_dns.c -- the DNS message parser: questions, rcodes, answers as
 * text, compression and its loops, malformed messages. Table-driven: each
 * case is a message in hex and what must come out of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/flows/dns.h"
#include "core/flows/flow.h"

/*
 * Messages are written in hex with spaces anywhere; "'text'" stands for
 * the bytes of text (so labels read as 07'example'03'org'00).
 */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t	n = 0;
	int	hi = -1, v;

	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			for (s++; *s != '\'' && *s != '\0'; s++) {
				assert_true(n < cap);
				out[n++] = (uint8_t)*s;
			}
			continue;
		}
		if (*s == ' ')
			continue;
		v = *s >= 'a' ? *s - 'a' + 10 : *s - '0';
		if (hi == -1)
			hi = v;
		else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

/* Header: id 1234, then flags and counts as given. */
#define Q_HDR(flags, qd, an, ns, ar) "1234 " flags " " qd an ns ar
#define EXAMPLE	"07'example'03'org'00"

struct dns_case {
	const char	*what;
	const char	*hex;
	int		 ok;		/* parses */
	int		 qr;
	int		 rcode;
	const char	*qname;
	int		 qtype;
	const char	*answers;	/* NULL: not checked */
	int		 looks;		/* core_dns_looks_like */
};

static const struct dns_case cases[] = {
	{ "A query",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") EXAMPLE "0001 0001",
	    1, 0, 0, "example.org", 1, "", 1 },
	{ "AAAA query with EDNS",
	    Q_HDR("0120", "0001", "0000", "0000", "0001") EXAMPLE "001c 0001"
	    "00 0029 1000 00000000 0000",
	    1, 0, 0, "example.org", 28, "", 1 },
	{ "A answer through a compressed CNAME",
	    Q_HDR("8180", "0001", "0002", "0000", "0000") EXAMPLE "0001 0001"
	    /* www.example.org? no: example.org CNAME web.example.org */
	    "c00c 0005 0001 0000012c 0006 03'web'c00c"
	    "c029 0001 0001 0000003c 0004 c0000235",
	    1, 1, 0, "example.org", 1,
	    "example.org. 300 IN CNAME web.example.org.\n"
	    "web.example.org. 60 IN A 192.0.2.53", 1 },
	{ "AAAA answer",
	    Q_HDR("8180", "0001", "0001", "0000", "0000") EXAMPLE "001c 0001"
	    "c00c 001c 0001 00000e10 0010 20010db8000000000000000000000053",
	    1, 1, 0, "example.org", 28,
	    "example.org. 3600 IN AAAA 2001:db8::53", 1 },
	{ "NXDOMAIN with an SOA in authority",
	    Q_HDR("8183", "0001", "0000", "0001", "0000")
	    "02'no'" EXAMPLE "0001 0001"
	    "c00f 0006 0001 00000384 0020 02'ns'c00f 04'host'c00f"
	    "00000001 00000e10 00000384 00093a80 0000012c",
	    1, 1, 3, "no.example.org", 1, "", 1 },
	{ "MX, TXT, SRV and an unknown type",
	    Q_HDR("8180", "0001", "0004", "0000", "0000") EXAMPLE "00ff 0001"
	    "c00c 000f 0001 00000001 0007 000a 02'mx'c00c"
	    "c00c 0010 0001 00000001 000b 05'hello' 04'a\"b\\'"
	    "c00c 0021 0001 00000001 000c 0000 0005 0050 03'sip'c00c"
	    "c00c 1234 0001 00000001 0002 beef",
	    1, 1, 0, "example.org", 255,
	    "example.org. 1 IN MX 10 mx.example.org.\n"
	    "example.org. 1 IN TXT \"hello\" \"a\\\"b\\\\\"\n"
	    "example.org. 1 IN SRV 0 5 80 sip.example.org.\n"
	    "example.org. 1 IN TYPE4660 \\# 2 beef", 1 },
	{ "an A record of the wrong size is shown raw",
	    Q_HDR("8180", "0001", "0001", "0000", "0000") EXAMPLE "0001 0001"
	    "c00c 0001 0001 00000001 0003 010203",
	    1, 1, 0, "example.org", 1,
	    "example.org. 1 IN A \\# 3 010203", 1 },
	{ "a CNAME that is only a pointer",
	    Q_HDR("8180", "0001", "0001", "0000", "0000") EXAMPLE "0001 0001"
	    "c00c 0005 0001 00000001 0002 c00c",
	    1, 1, 0, "example.org", 1,
	    "example.org. 1 IN CNAME example.org.", 1 },
	{ "a CNAME with a byte past its name is shown raw",
	    Q_HDR("8180", "0001", "0001", "0000", "0000") EXAMPLE "0001 0001"
	    "c00c 0005 0001 00000001 0003 c00c00",
	    1, 1, 0, "example.org", 1,
	    "example.org. 1 IN CNAME \\# 3 c00c00", 1 },
	{ "dots, blanks and bytes in labels are escaped",
	    Q_HDR("0100", "0001", "0000", "0000", "0000")
	    "05'a.b c'02 5c07 00 0001 0001",
	    1, 0, 0, "a\\.b\\032c.\\\\\\007", 1, "", 1 },
	{ "the root",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") "00 0002 0001",
	    1, 0, 0, ".", 2, "", 1 },
	{ "no question: not DNS-looking",
	    Q_HDR("0100", "0000", "0000", "0000", "0000"),
	    1, 0, 0, "", 0, "", 0 },
	{ "class CH: not DNS-looking",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") EXAMPLE "0010 0003",
	    1, 0, 0, "example.org", 16, "", 0 },
	{ "a pointer to itself",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") "c00c 0001 0001",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "two pointers to each other",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") "c00e c00c 0001 0001",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "a label past the end",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") "07'exam'",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "an extended label type",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") "41 00 0001 0001",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "a short header", "1234 0100 0001 0000 0000",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "trailing bytes",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") EXAMPLE "0001 0001 00",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "a question without its type",
	    Q_HDR("0100", "0001", "0000", "0000", "0000") EXAMPLE "00",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "rdata past the end",
	    Q_HDR("8180", "0001", "0001", "0000", "0000") EXAMPLE "0001 0001"
	    "c00c 0001 0001 00000001 0005 01020304",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "more answers than the message holds",
	    Q_HDR("8180", "0001", "0002", "0000", "0000") EXAMPLE "0001 0001"
	    "c00c 0001 0001 00000001 0004 01020304",
	    0, 0, 0, NULL, 0, NULL, 0 },
	{ "not DNS at all", "'hello'", 0, 0, 0, NULL, 0, NULL, 0 },
};

static void
test_cases(void **state)
{
	static uint8_t		 msg[4096];
	static char		 text[4096];
	const struct dns_case	*c;
	struct dns_msg		 d;
	size_t			 i, n;
	ssize_t			 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = &cases[i];
		n = unhex(c->hex, msg, sizeof msg);
		rc = core_dns_parse(msg, n, &d);
		if (rc != (c->ok ? (ssize_t)n : -1))
			fail_msg("%s: parse returned %zd", c->what, rc);
		if (core_dns_looks_like(msg, n) != c->looks)
			fail_msg("%s: looks_like", c->what);
		if (!c->ok) {
			if (core_dns_answers(msg, n, text, sizeof text) != -1)
				fail_msg("%s: answers of a bad message", c->what);
			continue;
		}
		assert_int_equal(d.id, 0x1234);
		if (d.qr != c->qr || d.rcode != c->rcode ||
		    strcmp(d.qname, c->qname) != 0 || d.qtype != c->qtype)
			fail_msg("%s: got qr %d rcode %d qname '%s' qtype %d",
			    c->what, d.qr, d.rcode, d.qname, d.qtype);
		rc = core_dns_answers(msg, n, text, sizeof text);
		if (rc != (ssize_t)strlen(c->answers) ||
		    strcmp(text, c->answers) != 0)
			fail_msg("%s: answers\n%s\nwant\n%s", c->what, text,
			    c->answers);
	}
}

/* Every prefix of a good message is malformed, and never read past. */
static void
test_prefixes(void **state)
{
	uint8_t		 full[512], *p;
	struct dns_msg	 d;
	char		 text[256];
	size_t		 n, k;

	n = unhex(cases[2].hex, full, sizeof full);
	for (k = 0; k < n; k++) {
		/* Exactly k bytes on the heap: ASan sees an overread. */
		p = malloc(k ? k : 1);
		memcpy(p, full, k);
		assert_int_equal(core_dns_parse(p, k, &d), -1);
		assert_int_equal(core_dns_answers(p, k, text, sizeof text), -1);
		free(p);
	}
}

/* A name of more than 255 octets, even through pointers, is refused. */
static void
test_long_name(void **state)
{
	uint8_t		msg[1024];
	struct dns_msg	d;
	size_t		n = 12, i;

	memset(msg, 0, 12);
	msg[5] = 1;
	/* 4 labels of 63 octets: 4 * 64 + 1 = 257 octets. */
	for (i = 0; i < 4; i++) {
		msg[n++] = 63;
		memset(msg + n, 'a', 63);
		n += 63;
	}
	msg[n++] = 0;
	msg[n++] = 0; msg[n++] = 1; msg[n++] = 0; msg[n++] = 1;
	assert_int_equal(core_dns_parse(msg, n, &d), -1);
	/* With three labels and one of 62 octets it fits (254 + 1). */
	n = 12;
	for (i = 0; i < 4; i++) {
		msg[n++] = i == 3 ? 60 : 63;
		memset(msg + n, 'a', msg[n - 1]);
		n += msg[n - 1];
	}
	msg[n++] = 0;
	msg[n++] = 0; msg[n++] = 1; msg[n++] = 0; msg[n++] = 1;
	assert_int_equal(core_dns_parse(msg, n, &d), (ssize_t)n);
	assert_int_equal(strlen(d.qname), 63 * 3 + 60 + 3);
}

/* A long chain of pointers (each to the one before) stops at the cap. */
static void
test_hops(void **state)
{
	uint8_t		msg[1024];
	struct dns_msg	d;
	size_t		n, i;
	unsigned	hops;

	/* The question points to offset X, where X, X-2, ... hold
	 * pointers down to a root label. */
	for (hops = DNS_MAX_HOPS - 1; hops <= DNS_MAX_HOPS + 1; hops++) {
		size_t base;

		memset(msg, 0, sizeof msg);
		/* Layout: header(12), question name = pointer (2 bytes)
		 * at 12, qtype/qclass at 14..17, then rdata chain. The
		 * chain must be inside an RR: an answer with a NULL
		 * record whose rdata is [root label][pointers...]. */
		msg[5] = 1;
		msg[7] = 1;
		n = 12;
		msg[n++] = 0xc0; msg[n++] = 0;	/* filled below */
		msg[n++] = 0; msg[n++] = 1; msg[n++] = 0; msg[n++] = 1;
		msg[n++] = 0;			/* answer owner: root */
		msg[n++] = 0; msg[n++] = 10;	/* type NULL */
		msg[n++] = 0; msg[n++] = 1;
		n += 4;				/* ttl */
		msg[n++] = (uint8_t)((1 + 2 * (hops - 1)) >> 8);
		msg[n++] = (uint8_t)(1 + 2 * (hops - 1));
		base = n;
		msg[n++] = 0;			/* root label */
		for (i = 1; i < hops; i++) {
			size_t prev = i == 1 ? base : n - 2;

			msg[n++] = (uint8_t)(0xc0 | prev >> 8);
			msg[n++] = (uint8_t)prev;
		}
		/* The question's pointer is one more hop. */
		msg[12] = (uint8_t)(0xc0 | (n - 2) >> 8);
		msg[13] = (uint8_t)(n - 2);
		if (hops <= DNS_MAX_HOPS)
			assert_int_equal(core_dns_parse(msg, n, &d),
			    (ssize_t)n);
		else
			assert_int_equal(core_dns_parse(msg, n, &d), -1);
	}
}

/* A buffer too small for every answer ends in "...". */
static void
test_small_buffer(void **state)
{
	uint8_t	msg[512];
	char	text[64];
	size_t	n;
	ssize_t	rc;

	n = unhex(cases[2].hex, msg, sizeof msg);
	rc = core_dns_answers(msg, n, text, sizeof text);
	assert_int_equal(rc, (ssize_t)strlen(text));
	assert_string_equal(text,
	    "example.org. 300 IN CNAME web.example.org.\n...");
	rc = core_dns_answers(msg, n, text, 8);
	assert_true(rc >= 0 && rc < 8);
}

static void
test_fill(void **state)
{
	uint8_t		q[512], r[512];
	struct flow_dns	d = { NULL, 0, -1, NULL };
	size_t		nq, nr;

	nq = unhex(cases[0].hex, q, sizeof q);
	nr = unhex(cases[2].hex, r, sizeof r);
	assert_int_equal(core_dns_fill(&d, q, nq), (ssize_t)nq);
	assert_string_equal(d.name, "example.org");
	assert_int_equal(d.qtype, 1);
	assert_int_equal(d.rcode, -1);
	assert_null(d.answers);
	assert_int_equal(core_dns_fill(&d, r, nr), (ssize_t)nr);
	assert_int_equal(d.rcode, 0);
	assert_non_null(d.answers);
	assert_non_null(strstr(d.answers, "IN A 192.0.2.53"));
	/* A bad message changes nothing. */
	assert_int_equal(core_dns_fill(&d, r, nr - 1), -1);
	assert_non_null(d.answers);
	free(d.name);
	free(d.answers);
	assert_string_equal(core_dns_type_name(28), "AAAA");
	assert_null(core_dns_type_name(4660));
	assert_string_equal(core_dns_rcode_name(3), "NXDOMAIN");
	assert_null(core_dns_rcode_name(16));
}

static void
test_brief(void **state)
{
	struct flow_dns	d = { "example.org", 1, -1, NULL };
	char		buf[256], small[24];

	(void)state;
	assert_string_equal(core_dns_brief(&d, buf, sizeof buf),
	    "A example.org << no answer");
	d.rcode = 0;
	d.answers = "example.org. 300 IN A 192.0.2.1\n"
	    "example.org. 300 IN A 192.0.2.2";
	assert_string_equal(core_dns_brief(&d, buf, sizeof buf),
	    "A example.org << NOERROR 192.0.2.1 192.0.2.2");
	d.qtype = 28;
	d.answers = "alias.org. 60 IN CNAME www.org.\n"
	    "www.org. 60 IN AAAA 2001:db8::1\n...";
	assert_string_equal(core_dns_brief(&d, buf, sizeof buf),
	    "AAAA example.org << NOERROR www.org 2001:db8::1 ...");
	d.qtype = 4660;
	d.rcode = 3;
	d.answers = NULL;
	assert_string_equal(core_dns_brief(&d, buf, sizeof buf),
	    "TYPE4660 example.org << NXDOMAIN");
	d.rcode = 14;
	d.name = NULL;
	assert_string_equal(core_dns_brief(&d, buf, sizeof buf),
	    "TYPE4660 ? << RCODE14");
	d.qtype = 1;
	d.rcode = 0;
	d.name = "example.org";
	d.answers = "example.org. 300 IN A 192.0.2.1\n"
	    "example.org. 300 IN A 192.0.2.2";
	/* Cut to fit, at a field, with "...". */
	assert_string_equal(core_dns_brief(&d, small, sizeof small),
	    "A example.org << ...");
	assert_string_equal(core_dns_brief(&d, buf, 40),
	    "A example.org << NOERROR 192.0.2.1 ...");
	assert_string_equal(core_dns_brief(&d, buf, 4), "...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_brief),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
