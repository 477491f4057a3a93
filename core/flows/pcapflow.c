/*
 * pcapflow.c -- a recorded flow as synthesized packets and pcapng.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop/cause.h"
#include "core/flows/export.h"
#include "core/flows/flow.h"
#include "core/flows/pcapflow.h"

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_PSH	0x08
#define TCP_ACK	0x10

struct conv {
	int		 v6;
	int		 udp;
	uint8_t		 caddr[16], saddr[16];
	uint16_t	 cport, sport;
	uint32_t	 cseq, sseq;	/* next sequence number of each side */
	pcapflow_emit	 emit;
	void		*arg;
};

static void
put16be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32be(uint8_t *p, uint32_t v)
{
	put16be(p, v >> 16);
	put16be(p + 2, v & 0xffff);
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * "ip:port" or "[ip6]:port" into addr (4 or 16 bytes) and port. 1 for
 * IPv6, 0 for IPv4, -1 when it is neither.
 */
static int
parse_addr(const char *s, uint8_t *addr, uint16_t *port)
{
	char		 host[64];
	const char	*colon, *h = s;
	size_t		 n;
	long		 p;
	int		 v6;

	if (s == NULL)
		return -1;
	if ((v6 = s[0] == '[')) {
		h = s + 1;
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':')
			return -1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		n = (size_t)(colon - s);
	}
	if (n >= sizeof host)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	p = strtol(colon + 1, NULL, 10);
	if (p <= 0 || p > 65535 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	*port = (uint16_t)p;
	return v6;
}

/* One segment (or datagram) of len data bytes from one side. */
static void
segment(struct conv *c, int from_client, int flags, const void *data,
    size_t len, double t)
{
	uint8_t		 pkt[60 + PCAPFLOW_MSS];
	uint8_t		*ip = pkt, *l4;
	const uint8_t	*src = from_client ? c->caddr : c->saddr;
	const uint8_t	*dst = from_client ? c->saddr : c->caddr;
	size_t		 alen = c->v6 ? 16 : 4, hlen = c->v6 ? 40 : 20;
	size_t		 l4len = (c->udp ? 8 : 20) + len;
	uint32_t	 sum, *seq = from_client ? &c->cseq : &c->sseq;
	uint8_t		 proto = c->udp ? 17 : 6;

	memset(pkt, 0, hlen + l4len - len);
	if (c->v6) {
		ip[0] = 0x60;
		put16be(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45;
		put16be(ip + 2, (uint16_t)(hlen + l4len));
		put16be(ip + 6, 0x4000);	/* don't fragment */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16be(ip + 10, fold(sum16(0, ip, 20)));
	}
	l4 = pkt + hlen;
	put16be(l4, from_client ? c->cport : c->sport);
	put16be(l4 + 2, from_client ? c->sport : c->cport);
	if (c->udp)
		put16be(l4 + 4, (uint16_t)l4len);
	else {
		put32be(l4 + 4, *seq);
		if (flags & TCP_ACK)
			put32be(l4 + 8, from_client ? c->sseq : c->cseq);
		l4[12] = 5 << 4;
		l4[13] = (uint8_t)flags;
		put16be(l4 + 14, 65535);
	}
	if (len > 0)
		memcpy(l4 + (c->udp ? 8 : 20), data, len);
	/* The pseudo-header: both addresses, the protocol, the length. */
	sum = sum16(0, src, alen);
	sum = sum16(sum, dst, alen);
	sum += proto + (uint32_t)l4len;
	sum = fold(sum16(sum, l4, l4len));
	if (c->udp && sum == 0)
		sum = 0xffff;
	put16be(l4 + (c->udp ? 6 : 16), (uint16_t)sum);
	*seq += (uint32_t)len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
	c->emit(c->arg, t, from_client, pkt, hlen + l4len);
}

/* Bytes from one side in segments of at most PCAPFLOW_MSS, then the
 * other side's acknowledgement. */
static void
stream(struct conv *c, int from_client, const char *data, size_t len,
    double t)
{
	size_t	off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < PCAPFLOW_MSS ? len - off : PCAPFLOW_MSS;
		segment(c, from_client, TCP_ACK | (off + n == len ? TCP_PSH :
		    0), data + off, n, t);
	}
	if (len > 0)
		segment(c, !from_client, TCP_ACK, NULL, 0, t);
}

static void
datagrams(struct conv *c, int from_client, const char *data, size_t len,
    double t)
{
	size_t	off, n, max = 65535 - 48;

	for (off = 0; off < len; off += n) {
		n = len - off < max ? len - off : max;
		if (n > PCAPFLOW_MSS)
			n = PCAPFLOW_MSS;
		segment(c, from_client, 0, data + off, n, t);
	}
}

/*
 * A raw flow whose every chunk is kept (none dropped from the ring, none
 * cut) is written chunk by chunk, with the chunks' times: a UDP flow's
 * datagrams as they were. 1 when it was, 0 to fall back to the bytes.
 */
static int
chunks(struct conv *c, const struct flow *f)
{
	const struct flow_msg	*m;
	size_t			 i;

	if (f->msgs.n == 0 || f->msgs.total != f->msgs.n)
		return 0;
	for (i = 0; i < f->msgs.n; i++) {
		m = core_flow_msg_at(f, i);
		if (m == NULL || m->opcode != 0 || m->len != m->size)
			return 0;
	}
	for (i = 0; i < f->msgs.n; i++) {
		m = core_flow_msg_at(f, i);
		if (c->udp)
			datagrams(c, m->from_client, m->data, m->len, m->t);
		else
			stream(c, m->from_client, m->data, m->len, m->t);
	}
	return 1;
}

int
core_pcapflow_packets(const struct flow *f, pcapflow_emit emit, void *arg,
    char **cause)
{
	struct conv	 c;
	char		*req = NULL, *resp = NULL;
	const char	*up, *down;
	size_t		 uplen = 0, downlen = 0;
	double		 t0, treq, tresp, tend;
	int		 cv, sv;

	memset(&c, 0, sizeof c);
	c.emit = emit;
	c.arg = arg;
	if (f->type == FLOW_DNS) {
		core_cause(cause, "a DNS flow has no stream to write");
		return -1;
	}
	if (f->type == FLOW_HTTP) {
		if ((req = core_export_request(f, &uplen)) == NULL) {
			core_cause(cause, "the flow has no request");
			return -1;
		}
		resp = core_export_response(f, &downlen);
		up = req;
		down = resp;
	} else {
		up = f->up.data;
		uplen = f->up.len;
		down = f->down.data;
		downlen = f->down.len;
	}
	c.udp = f->type == FLOW_UDP;
	/* A flow loaded from a HAR may lack addresses: made-up ones. */
	cv = parse_addr(f->client, c.caddr, &c.cport);
	sv = parse_addr(f->server, c.saddr, &c.sport);
	if (cv == -1 || sv == -1 || cv != sv) {
		static const uint8_t cl[4] = { 10, 0, 0, 1 },
		    sr[4] = { 10, 0, 0, 2 };

		memcpy(c.caddr, cl, 4);
		memcpy(c.saddr, sr, 4);
		c.cport = 40000;
		c.sport = f->request != NULL && f->request->scheme != NULL &&
		    strcmp(f->request->scheme, "https") == 0 ? 443 : 80;
		cv = 0;
	}
	c.v6 = cv;
	c.cseq = 0x10000000;
	c.sseq = 0x20000000;
	t0 = f->t.start > 0 ? f->t.start : core_now();
	treq = f->t.request_sent > t0 ? f->t.request_sent : t0;
	tresp = f->t.response_start > treq ? f->t.response_start : treq;
	tend = f->t.end > tresp ? f->t.end : tresp;
	if (c.udp) {
		if (!chunks(&c, f)) {
			datagrams(&c, 1, up, uplen, treq);
			datagrams(&c, 0, down, downlen, tresp);
		}
	} else {
		segment(&c, 1, TCP_SYN, NULL, 0, t0);
		segment(&c, 0, TCP_SYN | TCP_ACK, NULL, 0, t0);
		segment(&c, 1, TCP_ACK, NULL, 0, t0);
		if (f->type == FLOW_HTTP || !chunks(&c, f)) {
			stream(&c, 1, up, uplen, treq);
			stream(&c, 0, down, downlen, tresp);
		}
		segment(&c, 1, TCP_FIN | TCP_ACK, NULL, 0, tend);
		segment(&c, 0, TCP_FIN | TCP_ACK, NULL, 0, tend);
		segment(&c, 1, TCP_ACK, NULL, 0, tend);
	}
	free(req);
	free(resp);
	return 0;
}

/* A pcapng file in memory. */
struct pcapng {
	uint8_t	*buf;
	size_t	 len, cap;
	int	 failed;
};

static uint8_t *
grow(struct pcapng *g, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (g->failed)
		return NULL;
	if (g->len + n > g->cap) {
		cap = g->cap ? g->cap : 65536;
		while (cap < g->len + n)
			cap *= 2;
		if ((p = realloc(g->buf, cap)) == NULL) {
			g->failed = 1;
			return NULL;
		}
		g->buf = p;
		g->cap = cap;
	}
	p = g->buf + g->len;
	memset(p, 0, n);
	g->len += n;
	return p;
}

static void
put32le(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* pcapng is in the writer's byte order */
}

static void
add_packet(void *arg, double t, int from_client, const uint8_t *pkt,
    size_t len)
{
	struct pcapng	*g = arg;
	uint64_t	 us = (uint64_t)(t * 1e6);
	size_t		 n = 28 + ((len + 3) & ~(size_t)3) + 4;
	uint8_t		*p;

	(void)from_client;
	if ((p = grow(g, n)) == NULL)
		return;
	put32le(p, 6);			/* Enhanced Packet Block */
	put32le(p + 4, (uint32_t)n);
	put32le(p + 12, (uint32_t)(us >> 32));
	put32le(p + 16, (uint32_t)us);
	put32le(p + 20, (uint32_t)len);
	put32le(p + 24, (uint32_t)len);
	memcpy(p + 28, pkt, len);
	put32le(p + n - 4, (uint32_t)n);
}

int
core_pcapflow_save(const struct flow *f, const char *path, char **cause)
{
	struct pcapng	 g = { 0 };
	uint8_t		*p;
	int		 rc;

	/* Section header (length unknown), one raw-IP interface in µs. */
	if ((p = grow(&g, 28 + 20)) != NULL) {
		put32le(p, 0x0a0d0d0a);
		put32le(p + 4, 28);
		put32le(p + 8, 0x1a2b3c4d);
		p[12] = 1;
		memset(p + 16, 0xff, 8);
		put32le(p + 24, 28);
		put32le(p + 28, 1);
		put32le(p + 32, 20);
		p[36] = 101;		/* LINKTYPE_RAW */
		put32le(p + 44, 20);
	}
	if (core_pcapflow_packets(f, add_packet, &g, cause) == -1) {
		free(g.buf);
		return -1;
	}
	if (g.failed) {
		free(g.buf);
		core_cause(cause, "out of memory");
		return -1;
	}
	rc = core_export_write(path, g.buf, g.len, cause);
	free(g.buf);
	return rc;
}
