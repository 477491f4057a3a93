/*
 * dns-fuzzer.c -- libFuzzer target for core/flows/dns.c: any datagram through
 * the parser, the answer renderer (big and tiny buffers) and the flow
 * filler. The message lives in a malloc of exactly its size, so ASan
 * catches a read past its end. Beyond not crashing, it checks the
 * contract: parse returns the length or -1, answers agree with parse,
 * fit their buffer, and are printable lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/dns.h"
#include "core/flows/flow.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

static void
check_text(const char *t, size_t n)
{
	size_t	i;

	CHECK(strlen(t) == n);
	for (i = 0; i < n; i++)
		CHECK(t[i] == '\n' || (t[i] >= 0x20 && t[i] < 0x7f));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 big[65536], tiny[16];
	struct flow_dns	 d = { NULL, 0, -1, NULL };
	struct dns_msg	 m;
	uint8_t		*p;
	ssize_t		 n, a, t;

	p = malloc(size ? size : 1);
	CHECK(p != NULL);
	memcpy(p, data, size);
	n = core_dns_parse(p, size, &m);
	CHECK(n == -1 || n == (ssize_t)size);
	a = core_dns_answers(p, size, big, sizeof big);
	t = core_dns_answers(p, size, tiny, sizeof tiny);
	CHECK((a == -1) == (n == -1) && (t == -1) == (n == -1));
	if (n != -1) {
		check_text(big, (size_t)a);
		check_text(tiny, (size_t)t);
		CHECK((size_t)t < sizeof tiny);
		check_text(m.qname, strlen(m.qname));
		CHECK(m.qname[0] != '\0' || m.qdcount == 0);
	}
	CHECK(core_dns_fill(&d, p, size) == n);
	if (n != -1 && m.qr)
		CHECK(d.rcode == m.rcode);
	(void)core_dns_looks_like(p, size);
	free(d.name);
	free(d.answers);
	free(p);
	return 0;
}
