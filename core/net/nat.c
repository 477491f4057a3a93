/*
 * nat.c -- the NAT in front of lwIP (see nat.h).
 *
 * A chained hash table on the full 5-tuple finds inbound entries; an array
 * per (family, protocol) indexed by synthetic port finds outbound ones.
 * Entries nothing holds sit on an LRU list by last packet, so expiry pops
 * from its head.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "core/loop/limits.h"
#include "core/net/nat.h"
#include "core/net/packet.h"

enum entry_state {
	ENTRY_NEW,		/* made by a packet; no connection yet */
	ENTRY_HELD,		/* a connection uses it; never expires */
	ENTRY_RELEASED		/* the connection is gone; expires */
};

struct nat_entry {
	struct nat_tuple	 t;
	uint16_t		 port;		/* synthetic, host order */
	enum entry_state	 state;
	double			 last;		/* last packet, seconds */
	void			*owner;
	struct nat_entry	*hnext;		/* hash chain */
	struct nat_entry	*lprev, *lnext;	/* LRU list, unless held */
};

struct nat {
	uint8_t			 ip4[4];
	uint8_t			 ip6[16];
	uint16_t		 listen_port;
	size_t			 cap;
	struct nat_entry	**buckets;
	size_t			 nbuckets;	/* a power of 2 */
	uint64_t		 seed;
	/* [family v6][proto udp][port] */
	struct nat_entry	**byport[2][2];
	uint16_t		 cursor[2][2];
	struct nat_entry	*lru_head, *lru_tail;
	struct nat_stats	 st;
};

static int
fam_ix(int family)
{
	return family == AF_INET6;
}

static int
proto_ix(int proto)
{
	return proto == IPPROTO_UDP;
}

struct nat *
core_nat_new(const uint8_t ip4[4], const uint8_t ip6[16],
    uint16_t listen_port, size_t cap)
{
	struct nat *n;
	int f, p;

	if (cap == 0 || cap > 65534)
		return NULL;
	n = calloc(1, sizeof *n);
	if (n == NULL)
		return NULL;
	memcpy(n->ip4, ip4, 4);
	memcpy(n->ip6, ip6, 16);
	n->listen_port = listen_port;
	n->cap = cap;
	n->nbuckets = 1024;
	while (n->nbuckets < cap)
		n->nbuckets *= 2;
	n->buckets = calloc(n->nbuckets, sizeof *n->buckets);
	if (n->buckets == NULL)
		goto fail;
	for (f = 0; f < 2; f++)
		for (p = 0; p < 2; p++) {
			n->byport[f][p] = calloc(65536, sizeof(struct nat_entry *));
			if (n->byport[f][p] == NULL)
				goto fail;
			n->cursor[f][p] = 1024;
		}
	/* A keyed hash: programs choose their ports and addresses. */
	if (getrandom(&n->seed, sizeof n->seed, 0) != sizeof n->seed)
		n->seed = (uint64_t)(uintptr_t)n ^ 0x9e3779b97f4a7c15ULL;
	return n;
fail:
	core_nat_free(n);
	return NULL;
}

void
core_nat_free(struct nat *n)
{
	struct nat_entry *e, *next;
	size_t i;
	int f, p;

	if (n == NULL)
		return;
	if (n->buckets != NULL)
		for (i = 0; i < n->nbuckets; i++)
			for (e = n->buckets[i]; e != NULL; e = next) {
				next = e->hnext;
				free(e);
			}
	free(n->buckets);
	for (f = 0; f < 2; f++)
		for (p = 0; p < 2; p++)
			free(n->byport[f][p]);
	free(n);
}

static size_t
hash(const struct nat *n, const struct nat_tuple *t)
{
	uint64_t h = n->seed ^ 0xcbf29ce484222325ULL;
	size_t alen = t->family == AF_INET6 ? 16 : 4, i;
	uint8_t b[2 * 16 + 6];

	memcpy(b, t->src, alen);
	memcpy(b + alen, t->dst, alen);
	b[2 * alen] = t->sport >> 8;
	b[2 * alen + 1] = t->sport & 0xff;
	b[2 * alen + 2] = t->dport >> 8;
	b[2 * alen + 3] = t->dport & 0xff;
	b[2 * alen + 4] = (uint8_t)t->proto;
	b[2 * alen + 5] = (uint8_t)t->family;
	for (i = 0; i < 2 * alen + 6; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (size_t)(h & (n->nbuckets - 1));
}

static int
tuple_eq(const struct nat_tuple *a, const struct nat_tuple *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->proto == b->proto &&
	    a->sport == b->sport && a->dport == b->dport &&
	    memcmp(a->src, b->src, alen) == 0 &&
	    memcmp(a->dst, b->dst, alen) == 0;
}

static void
lru_unlink(struct nat *n, struct nat_entry *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else if (n->lru_head == e)
		n->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else if (n->lru_tail == e)
		n->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_append(struct nat *n, struct nat_entry *e)
{
	e->lprev = n->lru_tail;
	e->lnext = NULL;
	if (n->lru_tail != NULL)
		n->lru_tail->lnext = e;
	else
		n->lru_head = e;
	n->lru_tail = e;
}

static void
touch(struct nat *n, struct nat_entry *e, double now)
{
	e->last = now;
	if (e->state != ENTRY_HELD && n->lru_tail != e) {
		lru_unlink(n, e);
		lru_append(n, e);
	}
}

static void
entry_free(struct nat *n, struct nat_entry *e)
{
	struct nat_entry **pp = &n->buckets[hash(n, &e->t)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	n->byport[fam_ix(e->t.family)][proto_ix(e->t.proto)][e->port] = NULL;
	if (e->state != ENTRY_HELD)
		lru_unlink(n, e);
	n->st.entries--;
	free(e);
}

static struct nat_entry *
lookup(struct nat *n, const struct nat_tuple *t)
{
	struct nat_entry *e;

	for (e = n->buckets[hash(n, t)]; e != NULL; e = e->hnext)
		if (tuple_eq(&e->t, t))
			return e;
	return NULL;
}

static struct nat_entry *
entry_new(struct nat *n, const struct nat_tuple *t, double now)
{
	struct nat_entry **ports, *e;
	int f = fam_ix(t->family), p = proto_ix(t->proto);
	uint16_t port;
	size_t h;

	if (n->st.entries >= n->cap)
		core_nat_expire(n, now);
	if (n->st.entries >= n->cap) {
		n->st.full++;
		return NULL;
	}
	/* Round-robin, so a port comes back as late as possible: lwIP may
	 * still hold a TIME_WAIT pcb for it. */
	ports = n->byport[f][p];
	port = n->cursor[f][p];
	for (;;) {
		port = port == 65535 ? 1024 : port + 1;
		if (port != n->listen_port && ports[port] == NULL)
			break;
		if (port == n->cursor[f][p])
			return NULL;	/* every port in use */
	}
	n->cursor[f][p] = port;
	e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	e->t = *t;
	e->port = port;
	e->state = ENTRY_NEW;
	e->last = now;
	h = hash(n, t);
	e->hnext = n->buckets[h];
	n->buckets[h] = e;
	ports[port] = e;
	lru_append(n, e);
	n->st.entries++;
	return e;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The one's-complement difference of replacing old[0..len) with new. */
static uint32_t
delta(uint32_t d, const uint8_t *old, const uint8_t *new, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		d += (uint16_t)~get16(old + i);
		d += get16(new + i);
	}
	return d;
}

/* Applies a delta to the checksum field at f. */
static void
adjust(uint8_t *f, uint32_t d)
{
	uint32_t s = (uint16_t)~get16(f);

	s += d;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(f, (uint16_t)~s);
}

/*
 * Writes address addr (addr_len bytes) at a, port sp at the source port,
 * dp at the destination port (each unless NULL / 0 meaning "keep"), and
 * fixes the IPv4 header and TCP/UDP checksums incrementally.
 */
static void
rewrite(uint8_t *pkt, const struct packet *pk, size_t addr_off,
    const uint8_t *addr, uint16_t sport, uint16_t dport)
{
	uint8_t *l4 = pkt + pk->l4_off, nb[2];
	uint32_t dip = 0, dl4 = 0;
	int udp_none;

	/* UDP over IPv4 may carry no checksum (0); it must stay 0. */
	udp_none = pk->proto == IPPROTO_UDP && get16(pkt + pk->csum_off) == 0;
	if (addr != NULL) {
		dip = delta(0, pkt + addr_off, addr, pk->addr_len);
		dl4 = dip;
		memcpy(pkt + addr_off, addr, pk->addr_len);
	}
	put16(nb, sport);
	dl4 = delta(dl4, l4, nb, 2);
	memcpy(l4, nb, 2);
	put16(nb, dport);
	dl4 = delta(dl4, l4 + 2, nb, 2);
	memcpy(l4 + 2, nb, 2);
	if (pk->family == AF_INET && addr != NULL)
		adjust(pkt + 10, dip);
	if (!udp_none) {
		adjust(pkt + pk->csum_off, dl4);
		if (pk->proto == IPPROTO_UDP && get16(pkt + pk->csum_off) == 0)
			put16(pkt + pk->csum_off, 0xffff);
	}
}

static void
tuple_of(const uint8_t *pkt, const struct packet *pk, struct nat_tuple *t)
{
	memset(t, 0, sizeof *t);
	t->family = pk->family;
	t->proto = pk->proto;
	memcpy(t->src, pkt + pk->src_off, pk->addr_len);
	memcpy(t->dst, pkt + pk->dst_off, pk->addr_len);
	t->sport = pk->sport;
	t->dport = pk->dport;
}

static const uint8_t *
own_addr(const struct nat *n, int family)
{
	return family == AF_INET6 ? n->ip6 : n->ip4;
}

ssize_t
core_nat_in(struct nat *n, uint8_t *pkt, size_t len, double now)
{
	struct nat_entry *e;
	struct nat_tuple t;
	struct packet pk;
	ssize_t r;
	int syn;

	r = core_packet_parse(pkt, len, &pk);
	if (r < 0)
		goto drop;
	/* Loopback and lwIP's own address would reach lwIP as its own
	 * traffic; multicast and broadcast are other programs' SSDP/mDNS. */
	if (core_packet_src_bogus(pkt, &pk) ||
	    core_packet_dst_multicast(pkt, &pk) ||
	    memcmp(pkt + pk.src_off, own_addr(n, pk.family), pk.addr_len) == 0)
		goto drop;
	tuple_of(pkt, &pk, &t);
	e = lookup(n, &t);
	syn = pk.proto == IPPROTO_TCP &&
	    (pk.tcp_flags & (PACKET_TCP_SYN | PACKET_TCP_ACK | PACKET_TCP_RST))
	    == PACKET_TCP_SYN;
	if (e != NULL && e->state == ENTRY_RELEASED && syn) {
		/* A new connection on a 5-tuple whose old one is closing:
		 * a fresh synthetic port, so lwIP sees a new 4-tuple. */
		entry_free(n, e);
		e = NULL;
	}
	if (e == NULL) {
		if (pk.proto == IPPROTO_TCP && !syn)
			goto drop;
		if ((e = entry_new(n, &t, now)) == NULL)
			goto drop;
	}
	rewrite(pkt, &pk, pk.dst_off, own_addr(n, pk.family), e->port,
	    n->listen_port);
	touch(n, e, now);
	n->st.in++;
	return r;
drop:
	n->st.dropped++;
	return -1;
}

static ssize_t
nat_out(struct nat *n, uint8_t *pkt, const struct packet *pk, ssize_t r,
    double now)
{
	struct nat_entry *e;

	if (r < 0 || pk->sport != n->listen_port ||
	    memcmp(pkt + pk->src_off, own_addr(n, pk->family),
	    pk->addr_len) != 0)
		goto drop;
	e = n->byport[fam_ix(pk->family)][proto_ix(pk->proto)][pk->dport];
	if (e == NULL ||
	    memcmp(pkt + pk->dst_off, e->t.src, pk->addr_len) != 0)
		goto drop;
	rewrite(pkt, pk, pk->src_off, e->t.dst, e->t.dport, e->t.sport);
	touch(n, e, now);
	n->st.out++;
	return r;
drop:
	n->st.dropped++;
	return -1;
}

ssize_t
core_nat_out(struct nat *n, uint8_t *pkt, size_t len, double now,
    struct packet *pk)
{
	return nat_out(n, pkt, pk, core_packet_parse(pkt, len, pk), now);
}

ssize_t
core_nat_out_head(struct nat *n, uint8_t *hdr, size_t len, size_t total,
    double now, struct packet *pk)
{
	return nat_out(n, hdr, pk, core_packet_parse_head(hdr, len, total,
	    pk), now);
}

struct nat_entry *
core_nat_find(struct nat *n, int family, int proto, const uint8_t *client,
    uint16_t port)
{
	struct nat_entry *e;

	if ((family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return NULL;
	e = n->byport[fam_ix(family)][proto_ix(proto)][port];
	if (e == NULL ||
	    memcmp(e->t.src, client, family == AF_INET6 ? 16 : 4) != 0)
		return NULL;
	return e;
}

const struct nat_tuple *
core_nat_tuple(const struct nat_entry *e)
{
	return &e->t;
}

uint16_t
core_nat_port(const struct nat_entry *e)
{
	return e->port;
}

void
core_nat_hold(struct nat *n, struct nat_entry *e, void *owner)
{
	if (e->state != ENTRY_HELD)
		lru_unlink(n, e);
	e->state = ENTRY_HELD;
	e->owner = owner;
}

void *
core_nat_owner(const struct nat_entry *e)
{
	return e->state == ENTRY_HELD ? e->owner : NULL;
}

void
core_nat_release(struct nat *n, struct nat_entry *e, double now)
{
	if (e->state != ENTRY_HELD)
		return;
	e->state = ENTRY_RELEASED;
	e->owner = NULL;
	e->last = now;
	lru_append(n, e);
}

void
core_nat_expire(struct nat *n, double now)
{
	while (n->lru_head != NULL &&
	    n->lru_head->last + LIMIT_NAT_IDLE_SEC <= now)
		entry_free(n, n->lru_head);
}

void
core_nat_stats(const struct nat *n, struct nat_stats *st)
{
	*st = n->st;
}
