/*
 * core_flows_pcapflow.c -- a flow's synthesized packets: sequence and
 * acknowledgement numbers that add up, checksums that verify, IPv4 and
 * IPv6, segments of at most PCAPFLOW_MSS, and the pcapng file's blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/flows/flow.h"
#include "core/flows/pcapflow.h"

#define MAXPKT	64

struct pkt {
	uint8_t	data[60 + PCAPFLOW_MSS];
	size_t	len;
	int	from_client;
};

static struct pkt	pk[MAXPKT];
static int		npk;

static void
collect(void *arg, double t, int from_client, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)t;
	assert_true(npk < MAXPKT);
	assert_true(len <= sizeof pk[0].data);
	memcpy(pk[npk].data, p, len);
	pk[npk].len = len;
	pk[npk].from_client = from_client;
	npk++;
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static uint32_t
sum(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The TCP header of packet i after checking both checksums; *dlen gets
 * the payload length. */
static const uint8_t *
tcp(int i, size_t *dlen)
{
	const uint8_t *ip = pk[i].data;
	int v6 = ip[0] >> 4 == 6;
	size_t hlen = v6 ? 40 : 20, alen = v6 ? 16 : 4, l4len;
	uint32_t s;

	assert_true(pk[i].len >= hlen + 20);
	l4len = pk[i].len - hlen;
	if (!v6) {
		assert_int_equal(get16(ip + 2), pk[i].len);
		assert_int_equal(sum(0, ip, 20), 0xffff);
	} else
		assert_int_equal(get16(ip + 4), l4len);
	s = sum(0, ip + (v6 ? 8 : 12), 2 * alen);
	s = sum(s + 6 + (uint32_t)l4len, ip + hlen, l4len);
	assert_int_equal(s, 0xffff);
	*dlen = l4len - 20;
	return ip + hlen;
}

static struct flow *
mk(const char *client, const char *server, size_t body)
{
	struct flow *f = core_flow_new(FLOW_HTTP);
	struct flow_request *r = core_flow_request_new();
	struct flow_response *s = core_flow_response_new();
	char *b = malloc(body + 1);

	memset(b, 'x', body);
	f->request = r;
	f->response = s;
	core_flow_set(&f->client, client);
	core_flow_set(&f->server, server);
	core_flow_set(&r->method, "GET");
	core_flow_set(&r->scheme, "http");
	core_flow_set(&r->host, "example.org");
	core_flow_set(&r->path, "/pcap");
	core_flow_set(&r->version, "HTTP/1.1");
	core_flow_header_add(&r->headers, "Host", 4, "example.org", 11);
	s->status = 200;
	core_flow_set(&s->version, "HTTP/1.1");
	core_flow_body_set(&s->body, b, body);
	free(b);
	f->t.start = 1700000000.5;
	f->t.end = 1700000001.0;
	return f;
}

/* Walks the conversation: every segment's seq follows the sender's
 * previous, every ack is what the peer sent so far. */
static void
check_conv(size_t *upb, size_t *downb)
{
	uint32_t next[2] = { 0, 0 };
	int i, c;
	size_t dlen;
	const uint8_t *t;

	*upb = *downb = 0;
	assert_true(npk >= 8);
	t = tcp(0, &dlen);
	assert_int_equal(t[13], 0x02);		/* SYN */
	t = tcp(1, &dlen);
	assert_int_equal(t[13], 0x12);		/* SYN-ACK */
	assert_int_equal(get32(t + 8), get32(tcp(0, &dlen) + 4) + 1);
	for (i = 0; i < npk; i++) {
		t = tcp(i, &dlen);
		c = pk[i].from_client;
		assert_true(dlen <= PCAPFLOW_MSS);
		if (i > 1)
			assert_int_equal(get32(t + 4), next[c]);
		if (i > 0)
			assert_int_equal(get32(t + 8), next[!c]);
		next[c] = get32(t + 4) + (uint32_t)dlen +
		    !!(t[13] & 0x02) + !!(t[13] & 0x01);
		*(c ? upb : downb) += dlen;
	}
	assert_int_equal(tcp(npk - 3, &dlen)[13], 0x11);	/* FIN-ACK */
	assert_int_equal(tcp(npk - 2, &dlen)[13], 0x11);
}

static void
test_ipv4(void **state)
{
	struct flow *f = mk("127.0.0.1:40001", "127.0.0.2:8080", 5000);
	size_t up, down;

	(void)state;
	npk = 0;
	assert_int_equal(core_pcapflow_packets(f, collect, NULL, NULL), 0);
	assert_int_equal(pk[0].data[0], 0x45);
	assert_int_equal(get16(tcp(0, &up)), 40001);
	assert_int_equal(get16(tcp(0, &up) + 2), 8080);
	check_conv(&up, &down);
	assert_true(up > 20 && up < 200);
	/* Status line, headers and the 5000-byte body: four segments. */
	assert_true(down > 5000);
	assert_memory_equal(tcp(3, &up) + 20, "GET /pcap HTTP/1.1\r\n", 20);
	core_flow_free(f);
}

static void
test_ipv6(void **state)
{
	struct flow *f = mk("[::1]:40002", "[2001:db8::1]:443", 10);
	size_t up, down;

	(void)state;
	npk = 0;
	assert_int_equal(core_pcapflow_packets(f, collect, NULL, NULL), 0);
	assert_int_equal(pk[0].data[0] >> 4, 6);
	assert_int_equal(pk[0].data[6], 6);
	check_conv(&up, &down);
	core_flow_free(f);
}

/* Addresses that do not parse (a HAR's flow) get made-up ones. */
static void
test_no_address(void **state)
{
	struct flow *f = mk("bogus", NULL, 1);
	size_t up, down;

	(void)state;
	npk = 0;
	assert_int_equal(core_pcapflow_packets(f, collect, NULL, NULL), 0);
	check_conv(&up, &down);
	core_flow_free(f);
}

/* A UDP flow's kept chunks are its datagrams, one packet each. */
static void
test_udp_chunks(void **state)
{
	struct flow *f = core_flow_new(FLOW_UDP);
	const uint8_t *ip, *u;
	uint32_t s;
	int i;

	(void)state;
	core_flow_set(&f->client, "127.0.0.1:5353");
	core_flow_set(&f->server, "127.0.0.9:53");
	core_flow_msg_add(f, 1, 0, "query", 5, 5, 0);
	core_flow_msg_add(f, 0, 0, "answer!", 7, 7, 0);
	core_flow_msg_add(f, 1, 0, "q2", 2, 2, 0);
	npk = 0;
	assert_int_equal(core_pcapflow_packets(f, collect, NULL, NULL), 0);
	assert_int_equal(npk, 3);
	for (i = 0; i < npk; i++) {
		ip = pk[i].data;
		u = ip + 20;
		assert_int_equal(ip[9], 17);
		assert_int_equal(sum(0, ip, 20), 0xffff);
		assert_int_equal(get16(u + 4), pk[i].len - 20);
		s = sum(0, ip + 12, 8);
		s = sum(s + 17 + (uint32_t)(pk[i].len - 20), u,
		    pk[i].len - 20);
		assert_int_equal(s, 0xffff);
	}
	assert_int_equal(pk[1].from_client, 0);
	assert_int_equal(get16(pk[1].data + 20), 53);
	assert_memory_equal(pk[1].data + 28, "answer!", 7);
	core_flow_free(f);
}

static void
test_dns_refused(void **state)
{
	struct flow *f = core_flow_new(FLOW_DNS);
	char *cause = NULL;

	(void)state;
	assert_int_equal(core_pcapflow_packets(f, collect, NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
	core_flow_free(f);
}

static void
test_save(void **state)
{
	struct flow *f = mk("127.0.0.1:40001", "127.0.0.2:80", 100);
	char path[] = "/tmp/pcapflow-XXXXXX";
	uint8_t buf[8192];
	struct stat st;
	ssize_t n;
	uint32_t v;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fchmod(fd, 0644);
	assert_int_equal(core_pcapflow_save(f, path, NULL), 0);
	n = read(fd, buf, sizeof buf);
	assert_true(n > 48);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	memcpy(&v, buf, 4);
	assert_int_equal(v, 0x0a0d0d0a);
	memcpy(&v, buf + 28, 4);
	assert_int_equal(v, 1);
	memcpy(&v, buf + 48, 4);
	assert_int_equal(v, 6);
	close(fd);
	unlink(path);
	core_flow_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_no_address),
		cmocka_unit_test(test_udp_chunks),
		cmocka_unit_test(test_dns_refused),
		cmocka_unit_test(test_save),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
