/*
 * netstack.c -- lwIP glue: the tun netif, lwIP's timers on the core loop,
 * TCP pcbs as struct stream, UDP 5-tuples as pseudo-connections.
 *
 * The one file that includes lwIP's headers (core/net/packet.c and core/net/nat.c
 * hold the kernel-header code). lwIP calls back into this file only from
 * core_netstack_input (tun packets) and from its timers at the end of a
 * pass; whatever the owner of a stream asks that could free a pcb (close,
 * abort, shutdown) is done in finish(), run from the end-of-pass hook, so
 * no lwIP callback ever sees its pcb vanish under it.
 *
 * With on_syn, a client's SYN never reaches lwIP's listener on arrival:
 * it is held (a conn in CONN_SYN) until the owner has tried the server,
 * then fed to lwIP, which answers SYN-ACK, or answered with a RST or an
 * ICMP error from here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* The C library's htons and friends, not lwIP's macros of the same name. */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS
#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/net/nat.h"
#include "core/net/netstack.h"
#include "core/net/packet.h"
#include "core/net/pcap.h"
#include "core/net/tunframe.h"

/* Bytes of an outgoing packet's head copied for the NAT: IPv6 + TCP
 * with options, or IPv4 with options + TCP. */
#define NETSTACK_HDR	128
/* Pbufs in one outgoing packet (lwIP chains a header and a few data
 * pbufs); more than that takes the copying path. */
#define NETSTACK_IOV	64
/* Bytes of a client's SYN that is held (IPv4 or IPv6 and TCP, with
 * options, no data); a longer one is dropped. */
#define NETSTACK_SYN_MAX	160

/* Where a TCP connection is in its life. */
enum conn_state {
	CONN_SYN,		/* the client's SYN, held (c->syn): no stream yet */
	CONN_OPEN,		/* the owner holds the stream */
	CONN_CLOSING,		/* owner closed: flush, then tcp_close */
	CONN_ABORTING,		/* owner aborted: tcp_abort at end of pass */
	CONN_DONE		/* nothing left to do: free at end of pass */
};

/* Received bytes the owner has not taken yet (paused), still counted
 * against the window (not tcp_recved). */
struct held {
	struct pbuf	*p;
	size_t		 off;		/* bytes of p already delivered */
	struct held	*next;
};

/* A client's SYN waiting for on_syn's answer (CONN_SYN). */
struct netstack_syn {
	struct conn		*c;
	int			 accepted;	/* lwIP may answer it now */
	void			*ctx;		/* for on_tcp */
	uint32_t		 seq;		/* the client's ISN */
	size_t			 len;
	uint8_t			 pkt[NETSTACK_SYN_MAX];	/* as NATed */
};

struct conn {
	struct stream		 s;		/* s.impl == this */
	struct netstack		*ns;
	struct netstack_syn	*syn;		/* CONN_SYN only */
	struct tcp_pcb		*pcb;		/* NULL once retired or freed */
	struct nat_entry	*nat;
	enum conn_state		 state;
	int			 paused;
	int			 fin_in;	/* the client sent FIN */
	int			 eof_told;	/* on_eof delivered */
	int			 shut_wanted;	/* owner asked for FIN */
	int			 shut_done;	/* FIN handed to lwIP */
	int			 drain_wanted;	/* pending was > 0 */
	const char		*error;		/* pcb died; to report */
	struct held		*held, *held_tail;
	char			*wbuf;		/* writes lwIP had no room for */
	size_t			 woff, wlen, wcap;
	int			 queued;	/* on ns->todo */
	int			 busy;		/* in finish() */
	int			 again;		/* todo() while busy */
	struct conn		*todo_next;
	struct conn		*prev, *next;	/* ns->conns */
};

struct netstack_udp {
	struct netstack		*ns;
	struct nat_entry	*nat;
	struct netstack_udp_cbs	 cbs;
	double			 last;
	int			 expired;	/* on_expire was called */
	struct netstack_udp	*prev, *next;
};

struct netstack {
	struct loop		*loop;
	int			 tun_fd;
	size_t			 frame_len;	/* virtio-net header, or 0 */
	struct netstack_cbs	 cbs;
	struct netif		 netif;
	struct nat		*nat;
	struct tcp_pcb		*listener;
	struct udp_pcb		*udp;
	struct conn		*conns;
	size_t			 nconns;
	size_t			 nsyns;		/* conns in CONN_SYN */
	struct conn		*todo;
	struct netstack_udp	*udps;
	size_t			 nudps;
	struct loop_timer	*tick;		/* once a second: expiry */
	int			 fast_due;	/* TCP input since tcp_fasttmr */
	uint32_t		 fast_last;
	struct netstack_stats	 st;
	uint8_t			 ibuf[PACKET_MAX];
	uint8_t			 obuf[PACKET_MAX];
	uint8_t			 hbuf[NETSTACK_HDR];
	uint8_t			 fin[TUNFRAME_MAX];	/* read frames */
	uint8_t			 fout[TUNFRAME_MAX];	/* written frames */
};

static const struct stream_ops conn_ops;

/* lwIP is global, so is the netstack that drives it. */
static struct netstack	*cur;
static int		 lwip_started;
static size_t		 mem_used;
static uint64_t		 n_asserts;
static char		 last_assert[160];
static uint8_t		 isn_key[16];

/* ---- lwIP's platform hooks (lwipopts.h, arch/cc.h) ---- */

u32_t
sys_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u32_t)((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
core_netstack_assert(const char *msg, const char *file, int line)
{
	n_asserts++;
	snprintf(last_assert, sizeof last_assert, "%s (%s:%d)", msg, file,
	    line);
}

/*
 * Each block carries its size in front, so the cap can be kept exactly;
 * 16 bytes keep malloc's alignment. Packet-sized blocks (all near 64 KiB)
 * are recycled: freeing them to glibc made it trim and grow the heap with
 * brk on every packet (measured: 1 brk per 6 packets, 200 µs each).
 */
#define MEM_HDR		16
#define MEM_BIG		(PACKET_MAX + 128)
#define MEM_BIG_MIN	(16 * 1024)
#define MEM_BIG_KEEP	128
static void	*big_free[MEM_BIG_KEEP];
static size_t	 nbig_free;

void *
core_netstack_mem_malloc(size_t n)
{
	size_t real = n;
	uint8_t *p;

	if (n >= MEM_BIG_MIN && n <= MEM_BIG)
		real = MEM_BIG;
	if (n > LIMIT_NETSTACK_MEM || mem_used + real > LIMIT_NETSTACK_MEM)
		return NULL;
	if (real == MEM_BIG && nbig_free > 0)
		p = big_free[--nbig_free];
	else if ((p = malloc(real + MEM_HDR)) == NULL)
		return NULL;
	memcpy(p, &real, sizeof real);
	mem_used += real;
	return p + MEM_HDR;
}

void *
core_netstack_mem_calloc(size_t k, size_t n)
{
	void *p;

	if (n != 0 && k > LIMIT_NETSTACK_MEM / n)
		return NULL;
	if ((p = core_netstack_mem_malloc(k * n)) != NULL)
		memset(p, 0, k * n);
	return p;
}

void
core_netstack_mem_free(void *v)
{
	uint8_t *p = v;
	size_t n;

	if (p == NULL)
		return;
	p -= MEM_HDR;
	memcpy(&n, p, sizeof n);
	mem_used -= n;
	if (n == MEM_BIG && nbig_free < MEM_BIG_KEEP)
		big_free[nbig_free++] = p;
	else
		free(p);
}

/*
 * The Internet checksum's one's-complement sum of data[0..len), in the
 * byte order lwIP expects (native words, as lwip_standard_chksum). The
 * sum does not depend on word size (RFC 1071), so 64 bits at a time.
 */
uint16_t
core_netstack_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	uint64_t s = 0, w;
	uint32_t w32;
	uint16_t w16;

	while (len >= 8) {
		memcpy(&w, p, 8);
		s += w;
		s += s < w;	/* end-around carry */
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		s += w32;
		s += s < w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		s += w16;
		s += s < w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* The odd byte is the first of a word in network order. */
		w16 = 0;
		memcpy(&w16, p, 1);
		s += w16;
		s += s < w16;
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* SipHash-2-4 of in[0..n) under key k (RFC 6528 wants a keyed PRF). */
#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
siphash(const uint8_t k[16], const uint8_t *in, size_t n)
{
	uint64_t k0 = le64(k), k1 = le64(k + 8), m, b = (uint64_t)n << 56;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (; i < n; i++)
		b |= (uint64_t)in[i] << (8 * (i % 8));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static size_t
addr_bytes(const ip_addr_t *a, uint8_t *out)
{
	if (IP_IS_V6(a)) {
		memcpy(out, ip_2_ip6(a)->addr, 16);
		return 16;
	}
	memcpy(out, &ip_2_ip4(a)->addr, 4);
	return 4;
}

/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
uint32_t
core_netstack_isn(const struct ip_addr *lip, uint16_t lport,
    const struct ip_addr *rip, uint16_t rport)
{
	uint8_t b[2 * 16 + 4];
	struct timespec ts;
	size_t n;

	n = addr_bytes(lip, b);
	n += addr_bytes(rip, b + n);
	memcpy(b + n, &lport, 2);
	memcpy(b + n + 2, &rport, 2);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)siphash(isn_key, b, n + 4) +
	    (uint32_t)(((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000) / 4);
}

/* ---- the tun ---- */

/*
 * Writes a packet from lwIP to the tun: a copy of its headers, NATed,
 * then the payload straight from the pbufs (no copy of the data).
 */
static err_t
tun_output(struct netif *netif, struct pbuf *p)
{
	struct netstack *ns = netif->state;
	struct iovec iov[NETSTACK_IOV];
	struct packet pk;
	struct pbuf *q;
	size_t h, skip;
	ssize_t n;
	int k = 0;

	if (ns->frame_len > 0) {
		iov[k].iov_base = ns->fout;
		iov[k++].iov_len = ns->frame_len;
	}
	/* tot_len is a u16_t: it fits obuf (PACKET_MAX). */
	h = p->len < NETSTACK_HDR ? p->len : NETSTACK_HDR;
	memcpy(ns->hbuf, p->payload, h);
	n = -1;
	if (pbuf_clen(p) < NETSTACK_IOV)
		n = core_nat_out_head(ns->nat, ns->hbuf, h, p->tot_len,
		    core_loop_now(), &pk);
	if (n < 0) {
		/* Headers split over pbufs or a long chain (never seen from
		 * lwIP's TCP and UDP): the copying way. */
		if (pbuf_copy_partial(p, ns->obuf, p->tot_len, 0) != p->tot_len)
			goto drop;
		n = core_nat_out(ns->nat, ns->obuf, p->tot_len,
		    core_loop_now(), &pk);
		if (n < 0)
			goto drop;
		core_tunframe_out(ns->fout, ns->frame_len, ns->obuf, &pk);
		iov[k].iov_base = ns->obuf;
		iov[k++].iov_len = (size_t)n;
	} else {
		core_tunframe_out(ns->fout, ns->frame_len, ns->hbuf, &pk);
		iov[k].iov_base = ns->hbuf;
		iov[k++].iov_len = h;
		for (q = p, skip = h; q != NULL; q = q->next, skip = 0) {
			if (q->len <= skip)
				continue;
			iov[k].iov_base = (char *)q->payload + skip;
			iov[k++].iov_len = q->len - skip;
		}
	}
	/* --pcap: the packet as the tun gets it, without the frame. */
	core_pcap_packetv(PCAP_RECEIVED, iov + (ns->frame_len > 0),
	    k - (ns->frame_len > 0));
	/* A full tun queue drops the packet: TCP retransmits. */
	if (ns->tun_fd == -1 ||
	    writev(ns->tun_fd, iov, k) != (ssize_t)(ns->frame_len + p->tot_len))
		goto drop;
	ns->st.tun_out++;
	return ERR_OK;
drop:
	ns->st.tun_drop++;
	return ERR_OK;
}

static err_t
out4(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
	return tun_output(netif, p);
}

static err_t
out6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
	return tun_output(netif, p);
}

static err_t
netif_setup(struct netif *netif)
{
	netif->name[0] = 't';
	netif->name[1] = 'n';
	netif->mtu = PACKET_MAX;
	netif->output = out4;
	netif->output_ip6 = out6;
	netif->flags = NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

static int	syn_in(struct netstack *, const uint8_t *, size_t);

/*
 * A client that closed (FIN) and then got data it will never read answers
 * with a RST whose sequence number is its FIN's, rcv_nxt - 1 to us. Linux
 * takes that in CLOSE_WAIT, LAST_ACK and CLOSING (tcp_reset_check);
 * lwIP drops it as out of window, and the pcb, its NAT entry and the
 * upstream behind it stayed for a minute. pkt is past the NAT (lwIP's
 * addresses): such a RST gets rcv_nxt, its checksum fixed up.
 */
static void
rst_after_fin(uint8_t *pkt, size_t len)
{
	struct packet pk;
	struct tcp_pcb *pcb;
	uint8_t a[16];
	uint32_t seq;
	uint8_t *sp;
	size_t l4;

	l4 = pkt[0] >> 4 == 4 ? (size_t)(pkt[0] & 0xf) * 4 : 40;
	if (len < l4 + 20 || (pkt[0] >> 4 == 4 ? pkt[9] : pkt[6]) !=
	    IPPROTO_TCP || !(pkt[l4 + 13] & PACKET_TCP_RST) ||
	    core_packet_parse(pkt, len, &pk) < 0)
		return;
	sp = pkt + pk.l4_off + 4;
	seq = (uint32_t)sp[0] << 24 | (uint32_t)sp[1] << 16 |
	    (uint32_t)sp[2] << 8 | sp[3];
	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
		if (pcb->remote_port != pk.sport || pcb->local_port != pk.dport ||
		    addr_bytes(&pcb->remote_ip, a) != pk.addr_len ||
		    memcmp(a, pkt + pk.src_off, pk.addr_len) != 0)
			continue;
		if ((pcb->state == CLOSE_WAIT || pcb->state == LAST_ACK ||
		    pcb->state == CLOSING) && seq + 1 == pcb->rcv_nxt) {
			uint16_t c = (uint16_t)(pkt[pk.csum_off] << 8 |
			    pkt[pk.csum_off + 1]);

			c = core_packet_csum_adjust(c, (uint16_t)(seq >> 16),
			    (uint16_t)(pcb->rcv_nxt >> 16));
			c = core_packet_csum_adjust(c, (uint16_t)seq,
			    (uint16_t)pcb->rcv_nxt);
			pkt[pk.csum_off] = (uint8_t)(c >> 8);
			pkt[pk.csum_off + 1] = (uint8_t)c;
			sp[0] = (uint8_t)(pcb->rcv_nxt >> 24);
			sp[1] = (uint8_t)(pcb->rcv_nxt >> 16);
			sp[2] = (uint8_t)(pcb->rcv_nxt >> 8);
			sp[3] = (uint8_t)pcb->rcv_nxt;
		}
		return;
	}
}

/* Rewrites pkt (in place) and hands a copy to lwIP. */
static void
input(struct netstack *ns, uint8_t *pkt, size_t len)
{
	struct pbuf *p;
	ssize_t n;

	ns->st.tun_in++;
	/* --pcap: before the NAT rewrites it in place. */
	core_pcap_packet(PCAP_SENT, pkt, len);
	n = core_nat_in(ns->nat, pkt, len, core_loop_now());
	if (n < 0)
		goto drop;
	rst_after_fin(pkt, (size_t)n);
	if (syn_in(ns, pkt, (size_t)n))
		return;
	if ((p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM)) == NULL)
		goto drop;
	memcpy(p->payload, pkt, (size_t)n);
	if (pkt[0] >> 4 == 4 ? pkt[9] == IPPROTO_TCP : pkt[6] == IPPROTO_TCP)
		ns->fast_due = 1;
	if (ns->netif.input(p, &ns->netif) != ERR_OK)
		pbuf_free(p);
	return;
drop:
	ns->st.tun_drop++;
}

void
core_netstack_input(struct netstack *ns, const void *pkt, size_t len)
{
	if (len > sizeof ns->ibuf) {
		ns->st.tun_drop++;
		return;
	}
	memcpy(ns->ibuf, pkt, len);
	input(ns, ns->ibuf, len);
}

static void
tun_readable(int fd, int events, void *arg)
{
	struct netstack *ns = arg;
	struct iovec iov[2] = {
		{ ns->fin, ns->frame_len }, { ns->ibuf, sizeof ns->ibuf }
	};
	ssize_t n;
	int i;

	/* In a batch until EAGAIN (measured: +35% upload); a cap lets the
	 * rest of the loop run under a flood. */
	for (i = 0; i < LIMIT_TUN_BATCH; i++) {
		n = readv(fd, iov, 2);
		if (n <= 0)
			break;
		/* The frame is only the kernel's word on checksums, which
		 * lwIP is told not to check on this netif. */
		if ((size_t)n <= ns->frame_len)
			continue;
		input(ns, ns->ibuf, (size_t)n - ns->frame_len);
	}
	/* The tun went away (device deleted): stop watching, or the loop
	 * would spin on its error. */
	if (i == 0 && n == -1 && errno != EAGAIN && errno != EINTR &&
	    (events & LOOP_HUP)) {
		core_loop_del(ns->loop, fd);
		ns->tun_fd = -1;
	}
}

/* ---- TCP connections ---- */

static void
todo(struct conn *c)
{
	/* finish() may free c: it queues c again itself if asked. */
	if (c->busy) {
		c->again = 1;
		return;
	}
	if (c->queued)
		return;
	c->queued = 1;
	c->todo_next = c->ns->todo;
	c->ns->todo = c;
}

static void
conn_detach(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (pcb == NULL)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	c->pcb = NULL;
}

static size_t
held_bytes(const struct conn *c)
{
	const struct held *h;
	size_t n = 0;

	for (h = c->held; h != NULL; h = h->next)
		n += h->p->tot_len - h->off;
	return n;
}

static void
held_free(struct conn *c)
{
	struct held *h;

	while ((h = c->held) != NULL) {
		c->held = h->next;
		pbuf_free(h->p);
		free(h);
	}
	c->held_tail = NULL;
}

/*
 * Hands the pcb to lwIP for good: from here lwIP finishes (or resets)
 * the connection alone. Everything received is acknowledged first, or
 * tcp_close would reset instead of closing.
 */
static void
retire(struct conn *c)
{
	size_t n;

	if (c->pcb == NULL)
		return;
	for (n = held_bytes(c); n > 0; n -= n > 0xffff ? 0xffff : n)
		tcp_recved(c->pcb, (u16_t)(n > 0xffff ? 0xffff : n));
	if (tcp_close(c->pcb) != ERR_OK) {
		/* No memory for the FIN: a reset still ends it. */
		struct tcp_pcb *pcb = c->pcb;

		conn_detach(c);
		tcp_abort(pcb);
		return;
	}
	conn_detach(c);
}

/* Hands lwIP (which copies) as much of p[0..n) as its send buffer takes.
 * Returns the bytes taken. */
static size_t
push(struct conn *c, const char *p, size_t n)
{
	size_t room, k, done = 0;

	while (c->pcb != NULL && done < n) {
		room = tcp_sndbuf(c->pcb);
		k = n - done;
		if (k > room)
			k = room;
		/* tcp_write's length is a u16_t. */
		if (k > 0xffff)
			k = 0xffff;
		if (k == 0 || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 1)
			break;
		if (tcp_write(c->pcb, p + done, (u16_t)k,
		    TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		done += k;
	}
	return done;
}

/* Moves queued writes into lwIP's send buffer. Returns whether any went. */
static int
flush(struct conn *c)
{
	size_t n;

	if (c->woff == c->wlen)
		return 0;
	n = push(c, c->wbuf + c->woff, c->wlen - c->woff);
	c->woff += n;
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	return n > 0;
}

/* Delivers held data (and then EOF) while the owner takes it. */
static void
deliver(struct conn *c)
{
	struct held *h;
	struct pbuf *q;
	size_t off, n;

	while ((h = c->held) != NULL) {
		if (c->paused || c->state != CONN_OPEN ||
		    c->s.cbs.on_data == NULL)
			return;
		off = h->off;
		for (q = h->p; q != NULL && off >= q->len; q = q->next)
			off -= q->len;
		if (q == NULL) {
			c->held = h->next;
			if (c->held == NULL)
				c->held_tail = NULL;
			pbuf_free(h->p);
			free(h);
			continue;
		}
		n = q->len - off;
		h->off += n;
		if (c->pcb != NULL)
			tcp_recved(c->pcb, (u16_t)n);
		c->s.cbs.on_data(c->s.cbs.arg, (const char *)q->payload + off,
		    n);
	}
	if (c->fin_in && !c->eof_told && !c->paused &&
	    c->state == CONN_OPEN && c->s.cbs.on_eof != NULL) {
		c->eof_told = 1;
		c->s.cbs.on_eof(c->s.cbs.arg);
	}
}

static void
report_error(struct conn *c)
{
	const char *msg = c->error;

	if (msg == NULL || c->state != CONN_OPEN)
		return;
	c->error = NULL;
	if (c->s.cbs.on_error != NULL)
		c->s.cbs.on_error(c->s.cbs.arg, msg);
}

/*
 * The one place a connection's pcb is closed, shut down, aborted or freed
 * (end of pass, outside every lwIP callback). Returns 1 if c is freed.
 */
static int
finish(struct conn *c)
{
	struct netstack *ns = c->ns;
	struct tcp_pcb *pcb;

	switch (c->state) {
	case CONN_SYN:
		return 0;	/* no owner, no stream yet: syn_free ends it */
	case CONN_OPEN:
		/* The owner may close or abort in any callback: then the
		 * new state's work is done at once. */
		deliver(c);
		if (c->state != CONN_OPEN)
			return finish(c);
		report_error(c);
		if (c->state != CONN_OPEN)
			return finish(c);
		/* conn_write has usually moved the bytes into lwIP already:
		 * send whatever is queued, or a write made outside lwIP's own
		 * callbacks (the upstream's answer) waits for its timer. */
		if (c->pcb != NULL) {
			flush(c);
			tcp_output(c->pcb);
		}
		if (c->shut_wanted && !c->shut_done && c->wlen == 0 &&
		    c->pcb != NULL) {
			if (tcp_shutdown(c->pcb, 0, 1) == ERR_OK) {
				c->shut_done = 1;
				tcp_output(c->pcb);
			}
		}
		/* Both directions done: nothing more can come from this
		 * pcb, and lwIP may free it in TIME_WAIT without a word. */
		if (c->fin_in && c->shut_done)
			retire(c);
		if (c->drain_wanted && c->wlen == 0 && c->state == CONN_OPEN) {
			c->drain_wanted = 0;
			if (c->s.cbs.on_drain != NULL)
				c->s.cbs.on_drain(c->s.cbs.arg);
		}
		return 0;
	case CONN_CLOSING:
		if (c->pcb != NULL) {
			flush(c);
			if (c->wlen > 0) {
				tcp_output(c->pcb);
				return 0; /* sent or poll brings us back */
			}
			retire(c);
		}
		break;
	case CONN_ABORTING:
		if ((pcb = c->pcb) != NULL) {
			conn_detach(c);
			tcp_abort(pcb);
		}
		break;
	case CONN_DONE:
		break;
	}
	/* Gone: free it. */
	conn_detach(c);
	if (c->nat != NULL)
		core_nat_release(ns->nat, c->nat, core_loop_now());
	held_free(c);
	free(c->wbuf);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ns->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ns->nconns--;
	free(c);
	return 1;
}

static void
run_todo(struct netstack *ns)
{
	struct conn *c;

	while ((c = ns->todo) != NULL) {
		ns->todo = c->todo_next;
		c->queued = 0;
		c->busy = 1;
		if (finish(c))
			continue;
		c->busy = 0;
		if (c->again) {
			c->again = 0;
			todo(c);
		}
	}
}

static err_t
conn_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;
	struct held *h;

	if (c == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		c->fin_in = 1;
		todo(c);
		return ERR_OK;
	}
	if (c->state != CONN_OPEN) {
		/* The owner is gone: take and drop. */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if ((h = malloc(sizeof *h)) == NULL) {
		/* Out of memory: ask lwIP to keep it (refused_data). */
		return ERR_MEM;
	}
	h->p = p;
	h->off = 0;
	h->next = NULL;
	if (c->held_tail != NULL)
		c->held_tail->next = h;
	else
		c->held = h;
	c->held_tail = h;
	deliver(c);
	if (c->held != NULL || c->fin_in || c->state != CONN_OPEN)
		todo(c);
	return ERR_OK;
}

static err_t
conn_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	if (c != NULL && (c->wlen > 0 || c->drain_wanted ||
	    c->state == CONN_CLOSING || c->shut_wanted))
		todo(c);
	return ERR_OK;
}

static err_t
conn_poll(void *arg, struct tcp_pcb *pcb)
{
	struct conn *c = arg;

	if (c != NULL)
		todo(c);
	return ERR_OK;
}

static void
conn_err(void *arg, err_t err)
{
	struct conn *c = arg;

	if (c == NULL)
		return;
	/* lwIP has freed the pcb already. */
	c->pcb = NULL;
	if (c->state == CONN_OPEN && err != ERR_CLSD)
		c->error = err == ERR_RST ? "connection reset by client" :
		    err == ERR_ABRT ? "connection aborted" : "connection lost";
	else if (c->state == CONN_OPEN)
		c->fin_in = 1;
	else
		c->state = CONN_DONE;
	todo(c);
}

static void
sockaddr_of(struct sockaddr_storage *ss, int family, const uint8_t *a,
    uint16_t port)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		s6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		s4->sin_port = htons(port);
	}
}

static struct nat_entry *
nat_of(struct netstack *ns, const ip_addr_t *client, uint16_t port,
    int proto)
{
	uint8_t a[16];
	size_t n = addr_bytes(client, a);

	return core_nat_find(ns->nat, n == 16 ? AF_INET6 : AF_INET, proto,
	    a, port);
}

/* A conn on NAT entry e, which it holds from now on. NULL if out of
 * memory. */
static struct conn *
conn_new(struct netstack *ns, struct nat_entry *e, enum conn_state state)
{
	struct conn *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->s.ops = &conn_ops;
	c->s.impl = c;
	c->ns = ns;
	c->nat = e;
	c->state = state;
	c->paused = 1;
	core_nat_hold(ns->nat, e, c);
	c->next = ns->conns;
	if (ns->conns != NULL)
		ns->conns->prev = c;
	ns->conns = c;
	ns->nconns++;
	return c;
}

/* c's pcb completed its handshake: lwIP reports to c, and the owner gets
 * the stream. */
static void
conn_open(struct conn *c, void *ctx)
{
	struct netstack *ns = c->ns;
	struct tcp_pcb *pcb = c->pcb;
	struct sockaddr_storage cl, sv;
	const struct nat_tuple *t;

	/* With keep-alive, lwIP's Nagle and Linux's delayed ACK stall
	 * about half of 1 MiB responses for 40 ms. */
	tcp_nagle_disable(pcb);
	tcp_arg(pcb, c);
	tcp_recv(pcb, conn_recv);
	tcp_sent(pcb, conn_sent);
	tcp_err(pcb, conn_err);
	tcp_poll(pcb, conn_poll, 2);
	t = core_nat_tuple(c->nat);
	sockaddr_of(&cl, t->family, t->src, t->sport);
	sockaddr_of(&sv, t->family, t->dst, t->dport);
	if (ns->cbs.on_tcp != NULL)
		ns->cbs.on_tcp(ns->cbs.arg, &c->s, (struct sockaddr *)&cl,
		    (struct sockaddr *)&sv, ctx);
	else
		core_stream_abort(&c->s);
}

static err_t	syn_established(struct conn *, struct tcp_pcb *);

static err_t
conn_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct netstack *ns = arg;
	struct nat_entry *e;
	struct conn *c;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	/* The pcb of a held SYN reports to its conn (syn_feed), not ns. */
	if (arg != cur)
		return syn_established(arg, pcb);
	e = nat_of(ns, &pcb->remote_ip, pcb->remote_port, IPPROTO_TCP);
	if (e == NULL || core_nat_owner(e) != NULL ||
	    ns->nconns >= LIMIT_CONNECTIONS ||
	    (c = conn_new(ns, e, CONN_OPEN)) == NULL) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	conn_open(c, NULL);
	return ERR_OK;
}

/* ---- held SYNs: trawl reaches the server before the client is answered ---- */

static void
ipaddr_of(ip_addr_t *a, int family, const uint8_t *b)
{
	memset(a, 0, sizeof *a);
	if (family == AF_INET6) {
		IP_SET_TYPE_VAL(*a, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(a)->addr, b, 16);
	} else {
		IP_SET_TYPE_VAL(*a, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(a)->addr, b, 4);
	}
}

/* Writes ns->obuf[0..n), a packet lwIP did not make, to the tun as is. */
static void
raw_out(struct netstack *ns, ssize_t n)
{
	struct iovec iov[2];

	if (n <= 0)
		return;
	core_pcap_packet(PCAP_RECEIVED, ns->obuf, (size_t)n);
	if (ns->tun_fd == -1)
		return;
	core_tunframe_out(ns->fout, ns->frame_len, ns->obuf, NULL);
	iov[0].iov_base = ns->fout;
	iov[0].iov_len = ns->frame_len;
	iov[1].iov_base = ns->obuf;
	iov[1].iov_len = (size_t)n;
	if (writev(ns->tun_fd, iov, 2) == (ssize_t)ns->frame_len + n)
		ns->st.tun_out++;
	else
		ns->st.tun_drop++;
}

/* The client's latest SYN is the one to answer (a new socket on the
 * same ports sends a new ISN). */
static void
syn_keep(struct netstack_syn *y, const uint8_t *pkt, size_t len,
    const struct packet *pk)
{
	const uint8_t *q = pkt + pk->l4_off + 4;

	if (len > sizeof y->pkt)
		return;
	memcpy(y->pkt, pkt, len);
	y->len = len;
	y->seq = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3];
}

static void
syn_free(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (pcb != NULL) {
		conn_detach(c);
		tcp_abort(pcb);
	}
	free(c->syn);
	c->syn = NULL;
	c->ns->nsyns--;
	c->state = CONN_DONE;
	finish(c);
}

/* The SYN goes without on_tcp: its owner forgets it. */
static void
syn_drop(struct conn *c)
{
	struct netstack *ns = c->ns;
	struct netstack_syn *y = c->syn;

	if (ns->cbs.on_syn_drop != NULL)
		ns->cbs.on_syn_drop(ns->cbs.arg, y, y->accepted ? y->ctx : NULL);
	syn_free(c);
}

/* lwIP freed the pcb of an accepted SYN before its handshake ended: the
 * client reset it, or never acknowledged lwIP's SYN-ACKs. */
static void
syn_err(void *arg, err_t err)
{
	struct conn *c = arg;

	if (c == NULL || c->state != CONN_SYN)
		return;
	c->pcb = NULL;
	syn_drop(c);
}

/* lwIP takes the held SYN (and answers SYN-ACK); its new pcb reports to
 * c. Without memory for it, the client's next SYN tries again. */
static void
syn_feed(struct conn *c)
{
	struct netstack *ns = c->ns;
	struct netstack_syn *y = c->syn;
	uint16_t port = core_nat_port(c->nat);
	int v6 = core_nat_tuple(c->nat)->family == AF_INET6;
	struct tcp_pcb *pcb;
	struct pbuf *p;

	if ((p = pbuf_alloc(PBUF_RAW, (u16_t)y->len, PBUF_RAM)) == NULL)
		return;
	memcpy(p->payload, y->pkt, y->len);
	ns->fast_due = 1;
	if (ns->netif.input(p, &ns->netif) != ERR_OK)
		pbuf_free(p);
	/* Synthetic ports are unique per family: this one is c's. */
	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next)
		if (pcb->state == SYN_RCVD && pcb->callback_arg == ns &&
		    pcb->remote_port == port &&
		    (IP_IS_V6(&pcb->remote_ip) != 0) == v6)
			break;
	if (pcb == NULL)
		return;
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_err(pcb, syn_err);
}

static err_t
syn_established(struct conn *c, struct tcp_pcb *pcb)
{
	struct netstack_syn *y = c->syn;
	void *ctx = y->ctx;

	c->syn = NULL;
	free(y);
	c->ns->nsyns--;
	c->state = CONN_OPEN;
	c->pcb = pcb;
	conn_open(c, ctx);
	return ERR_OK;
}

/*
 * A client's SYN that opens a connection is held for on_syn; its
 * retransmits are dropped while the owner decides. Returns 1 if the
 * packet (NATed) was taken, 0 to hand it to lwIP.
 */
static int
syn_in(struct netstack *ns, const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage cl, sv;
	const struct nat_tuple *t;
	struct nat_entry *e;
	struct packet pk;
	struct conn *c;
	size_t l4;

	if (ns->cbs.on_syn == NULL)
		return 0;
	/* Cheap first: the NAT passed only well-formed TCP and UDP. */
	if (pkt[0] >> 4 == 4) {
		if (pkt[9] != IPPROTO_TCP)
			return 0;
		l4 = (size_t)(pkt[0] & 0xf) * 4;
	} else {
		if (pkt[6] != IPPROTO_TCP)
			return 0;
		l4 = 40;
	}
	if (len < l4 + 20 || (pkt[l4 + 13] & (PACKET_TCP_SYN | PACKET_TCP_ACK |
	    PACKET_TCP_RST)) != PACKET_TCP_SYN)
		return 0;
	if (core_packet_parse(pkt, len, &pk) < 0 ||
	    (e = core_nat_find(ns->nat, pk.family, IPPROTO_TCP,
	    pkt + pk.src_off, pk.sport)) == NULL)
		return 0;
	if ((c = core_nat_owner(e)) != NULL) {
		/* lwIP has this connection: it answers the retransmit. */
		if (c->state != CONN_SYN || c->pcb != NULL)
			return 0;
		syn_keep(c->syn, pkt, len, &pk);
		if (c->syn->accepted)
			syn_feed(c);
		return 1;
	}
	/* Full, as a kernel's SYN queue can be: the client retries. */
	if (len > NETSTACK_SYN_MAX || ns->nsyns >= LIMIT_SYN_HELD ||
	    ns->nconns >= LIMIT_CONNECTIONS ||
	    (c = conn_new(ns, e, CONN_SYN)) == NULL) {
		ns->st.syn_drop++;
		return 1;
	}
	if ((c->syn = calloc(1, sizeof *c->syn)) == NULL) {
		c->state = CONN_DONE;
		finish(c);
		ns->st.syn_drop++;
		return 1;
	}
	c->syn->c = c;
	ns->nsyns++;
	syn_keep(c->syn, pkt, len, &pk);
	t = core_nat_tuple(e);
	sockaddr_of(&cl, t->family, t->src, t->sport);
	sockaddr_of(&sv, t->family, t->dst, t->dport);
	ns->cbs.on_syn(ns->cbs.arg, c->syn, (struct sockaddr *)&cl,
	    (struct sockaddr *)&sv);
	return 1;
}

void
core_netstack_syn_accept(struct netstack_syn *y, void *ctx)
{
	y->ctx = ctx;
	y->accepted = 1;
	syn_feed(y->c);
}

/* The ICMP code that makes Linux's connect fail with err (icmp_err_convert
 * and icmpv6_err_convert), or -1 for none. */
static int
unreach_code(int err, int v6)
{
	switch (err) {
	case ENETUNREACH:
		return 0;		/* net unreachable; no route */
	case EHOSTUNREACH:
		return v6 ? 3 : 1;	/* address / host unreachable */
	case EHOSTDOWN:
		return v6 ? 3 : 7;	/* host unknown */
	case ENONET:
		return v6 ? 3 : 8;	/* host isolated */
	case EACCES:
	case EPERM:
		/* Administratively prohibited: EACCES over IPv6; IPv4 has no
		 * code Linux reads as EACCES (this one is EHOSTUNREACH). */
		return v6 ? 1 : 13;
	}
	return -1;
}

void
core_netstack_syn_refuse(struct netstack_syn *y, int err)
{
	struct conn *c = y->c;
	struct netstack *ns = c->ns;
	const struct nat_tuple *t = core_nat_tuple(c->nat);
	int v6 = t->family == AF_INET6, code = unreach_code(err, v6);
	ip_addr_t local, remote;
	struct packet pk;

	if (code >= 0)
		raw_out(ns, core_packet_tcp_unreach(ns->obuf, sizeof ns->obuf,
		    v6 ? 16 : 4, code, t->src, t->sport, t->dst, t->dport,
		    y->seq));
	else if (err != ETIMEDOUT &&
	    core_packet_parse(y->pkt, y->len, &pk) >= 0) {
		/* What a closed port answers: RST|ACK, seq 0 (lwIP's, so
		 * the NAT puts the server's address back). */
		ipaddr_of(&local, pk.family, y->pkt + pk.dst_off);
		ipaddr_of(&remote, pk.family, y->pkt + pk.src_off);
		tcp_rst(NULL, 0, y->seq + 1, &local, &remote, pk.dport,
		    pk.sport);
	}
	/* ETIMEDOUT: silence, so the client's own SYNs time out. */
	syn_free(c);
}

/* struct stream over a conn. */

static void
conn_write(struct stream *s, const void *buf, size_t n)
{
	struct conn *c = s->impl;
	size_t need;
	char *nb;

	if (c->state != CONN_OPEN || c->shut_wanted || n == 0)
		return;
	/* Nothing queued: straight into lwIP, saving a copy. What lwIP has
	 * no room for waits in wbuf; finish() flushes it, in order. */
	if (c->wlen == 0) {
		size_t k = push(c, buf, n);

		buf = (const char *)buf + k;
		n -= k;
	}
	if (n == 0) {
		todo(c);	/* tcp_output at the end of the pass */
		return;
	}
	need = c->wlen + n;
	if (need > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 16384;

		while (cap < need)
			cap *= 2;
		if ((nb = realloc(c->wbuf, cap)) == NULL) {
			/* Out of memory: the stream cannot keep its promise;
			 * reset it rather than lose bytes silently. */
			c->error = "out of memory";
			todo(c);
			return;
		}
		c->wbuf = nb;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, n);
	c->wlen += n;
	c->drain_wanted = 1;
	todo(c);
}

static size_t
conn_pending(struct stream *s)
{
	struct conn *c = s->impl;

	return c->wlen - c->woff;
}

static void
conn_pause(struct stream *s, int paused)
{
	struct conn *c = s->impl;

	c->paused = paused;
	if (!paused)
		todo(c);
}

static void
conn_shutdown(struct stream *s)
{
	struct conn *c = s->impl;

	c->shut_wanted = 1;
	todo(c);
}

static void
conn_close(struct stream *s)
{
	struct conn *c = s->impl;

	c->state = c->pcb != NULL ? CONN_CLOSING : CONN_DONE;
	memset(&c->s.cbs, 0, sizeof c->s.cbs);
	todo(c);
}

static void
conn_abort(struct stream *s)
{
	struct conn *c = s->impl;

	c->state = c->pcb != NULL ? CONN_ABORTING : CONN_DONE;
	memset(&c->s.cbs, 0, sizeof c->s.cbs);
	todo(c);
}

static const struct stream_ops conn_ops = {
	conn_write, conn_pending, conn_pause, conn_shutdown, conn_close,
	conn_abort
};

void
core_netstack_tcp_refuse(struct stream *s)
{
	core_stream_abort(s);
}

/* ---- UDP pseudo-connections ---- */

static void
udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
    u16_t port)
{
	struct netstack *ns = arg;
	struct sockaddr_storage cl, sv;
	const struct nat_tuple *t;
	struct netstack_udp *u;
	struct nat_entry *e;
	const char *data;

	e = nat_of(ns, addr, port, IPPROTO_UDP);
	if (e == NULL)
		goto out;
	if ((u = core_nat_owner(e)) == NULL) {
		if ((u = calloc(1, sizeof *u)) == NULL)
			goto out;
		u->ns = ns;
		u->nat = e;
		core_nat_hold(ns->nat, e, u);
		u->next = ns->udps;
		if (ns->udps != NULL)
			ns->udps->prev = u;
		ns->udps = u;
		ns->nudps++;
		u->last = core_loop_now();
		t = core_nat_tuple(e);
		sockaddr_of(&cl, t->family, t->src, t->sport);
		sockaddr_of(&sv, t->family, t->dst, t->dport);
		if (ns->cbs.on_udp != NULL)
			ns->cbs.on_udp(ns->cbs.arg, u, (struct sockaddr *)&cl,
			    (struct sockaddr *)&sv);
		/* The callee may have closed it already. */
		if (core_nat_owner(e) != u)
			goto out;
	}
	u->last = core_loop_now();
	u->expired = 0;
	if (u->cbs.on_datagram == NULL)
		goto out;
	if (p->next == NULL)
		data = p->payload;
	else {
		pbuf_copy_partial(p, ns->obuf, p->tot_len, 0);
		data = (const char *)ns->obuf;
	}
	u->cbs.on_datagram(u->cbs.arg, data, p->tot_len);
out:
	pbuf_free(p);
}

void
core_netstack_udp_set_cbs(struct netstack_udp *u,
    const struct netstack_udp_cbs *cbs)
{
	u->cbs = *cbs;
}

int
core_netstack_udp_send(struct netstack_udp *u, const void *buf, size_t n)
{
	const struct nat_tuple *t = core_nat_tuple(u->nat);
	struct netstack *ns = u->ns;
	ip_addr_t dst;
	struct pbuf *p;
	err_t err;

	/* Whole datagrams only: no fragmentation on the tun. */
	if (n > PACKET_MAX - (t->family == AF_INET6 ? 48 : 28))
		return -1;
	if ((p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM)) == NULL)
		return -1;
	memcpy(p->payload, buf, n);
	memset(&dst, 0, sizeof dst);
	if (t->family == AF_INET6) {
		IP_SET_TYPE_VAL(dst, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(&dst)->addr, t->src, 16);
	} else {
		IP_SET_TYPE_VAL(dst, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(&dst)->addr, t->src, 4);
	}
	err = udp_sendto(ns->udp, p, &dst, core_nat_port(u->nat));
	pbuf_free(p);
	u->last = core_loop_now();
	return err == ERR_OK ? 0 : -1;
}

void
core_netstack_udp_close(struct netstack_udp *u)
{
	struct netstack *ns = u->ns;

	core_nat_release(ns->nat, u->nat, core_loop_now());
	if (u->prev != NULL)
		u->prev->next = u->next;
	else
		ns->udps = u->next;
	if (u->next != NULL)
		u->next->prev = u->prev;
	ns->nudps--;
	free(u);
}

void
core_netstack_udp_refuse(struct netstack_udp *u)
{
	const struct nat_tuple *t = core_nat_tuple(u->nat);
	struct netstack *ns = u->ns;

	raw_out(ns, core_packet_udp_unreach(ns->obuf, sizeof ns->obuf,
	    t->family == AF_INET6 ? 16 : 4, t->src, t->sport, t->dst,
	    t->dport));
	core_netstack_udp_close(u);
}

/* ---- timers ---- */

static void
tick(void *arg)
{
	struct netstack *ns = arg;
	struct netstack_udp *u, *next;
	double now = core_loop_now();

	for (u = ns->udps; u != NULL; u = next) {
		next = u->next;
		if (u->expired || now - u->last < LIMIT_UDP_IDLE_SEC)
			continue;
		u->expired = 1;
		if (u->cbs.on_expire != NULL)
			u->cbs.on_expire(u->cbs.arg);
		else
			core_netstack_udp_close(u);
		/* The owner may have closed others: start over next tick. */
		break;
	}
	core_nat_expire(ns->nat, now);
	core_loop_timer_set(ns->tick, 1.0);
}

/* End of every pass: connections' pending work, then lwIP's timers. */
static void
on_pass(void *arg)
{
	struct loop *loop = arg;
	struct netstack *ns = cur;
	uint32_t now, wait;

	if (ns == NULL || ns->loop != loop)
		return;
	run_todo(ns);
	sys_check_timeouts();
	now = sys_now();
	if (ns->fast_due) {
		if (now - ns->fast_last >= NETSTACK_FASTTMR_MS) {
			ns->fast_due = 0;
			ns->fast_last = now;
			tcp_fasttmr();
		} else
			core_loop_wait_at_most(loop, (int)(NETSTACK_FASTTMR_MS -
			    (now - ns->fast_last)));
	}
	run_todo(ns);
	wait = sys_timeouts_sleeptime();
	if (wait != SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		core_loop_wait_at_most(loop, wait > 60000 ? 60000 : (int)wait);
}

/* ---- the netstack ---- */

static int
fail(char **cause, const char *msg)
{
	if (cause != NULL) {
		if (errno != 0 && asprintf(cause, "netstack: %s: %s", msg,
		    strerror(errno)) == -1)
			*cause = NULL;
		else if (errno == 0 && asprintf(cause, "netstack: %s", msg) == -1)
			*cause = NULL;
	}
	return -1;
}

struct netstack *
core_netstack_new(struct loop *loop, int tun_fd,
    const struct netstack_cbs *cbs, char **cause)
{
	struct netstack *ns;
	ip4_addr_t a4, m4, gw;
	ip6_addr_t a6;
	uint8_t b4[4], b6[16];
	s8_t idx;

	if (cur != NULL) {
		errno = EBUSY;
		fail(cause, "lwIP is already running");
		return NULL;
	}
	if ((ns = calloc(1, sizeof *ns)) == NULL) {
		fail(cause, "out of memory");
		return NULL;
	}
	ns->loop = loop;
	ns->tun_fd = tun_fd;
	if (cbs != NULL)
		ns->cbs = *cbs;
	errno = 0;
	if (inet_pton(AF_INET, NETSTACK_IP4, b4) != 1 ||
	    inet_pton(AF_INET6, NETSTACK_IP6, b6) != 1) {
		fail(cause, "bad address");
		goto err;
	}
	if (getrandom(isn_key, sizeof isn_key, 0) != sizeof isn_key) {
		fail(cause, "getrandom");
		goto err;
	}
	ns->nat = core_nat_new(b4, b6, NETSTACK_LISTEN_PORT,
	    LIMIT_NAT_ENTRIES);
	if (ns->nat == NULL) {
		fail(cause, "out of memory");
		goto err;
	}
	if (tun_fd != -1) {
		int fl = fcntl(tun_fd, F_GETFL);

		if (fl == -1 || fcntl(tun_fd, F_SETFL, fl | O_NONBLOCK) == -1) {
			fail(cause, "tun");
			goto err;
		}
	}
	if (!lwip_started) {
		lwip_init();
		lwip_started = 1;
	}
	memcpy(&a4.addr, b4, 4);
	IP4_ADDR(&m4, 255, 255, 255, 252);
	ip4_addr_set_zero(&gw);
	if (netif_add(&ns->netif, &a4, &m4, &gw, ns, netif_setup,
	    ip_input) == NULL) {
		fail(cause, "netif_add");
		goto err;
	}
	memcpy(a6.addr, b6, 16);
	ip6_addr_clear_zone(&a6);
	if (netif_add_ip6_address(&ns->netif, &a6, &idx) != ERR_OK) {
		netif_remove(&ns->netif);
		fail(cause, "netif_add_ip6_address");
		goto err;
	}
	netif_ip6_addr_set_state(&ns->netif, idx, IP6_ADDR_PREFERRED);
	ns->frame_len = core_tunframe_len(tun_fd);
	if (ns->frame_len > 0)
		NETIF_SET_CHECKSUM_CTRL(&ns->netif, NETIF_CHECKSUM_ENABLE_ALL &
		    ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_CHECK_TCP |
		    NETIF_CHECKSUM_CHECK_UDP));
	netif_set_default(&ns->netif);
	netif_set_up(&ns->netif);
	netif_set_link_up(&ns->netif);

	ns->listener = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (ns->listener == NULL ||
	    tcp_bind(ns->listener, IP_ANY_TYPE, NETSTACK_LISTEN_PORT) !=
	    ERR_OK) {
		if (ns->listener != NULL)
			tcp_abort(ns->listener);
		ns->listener = NULL;
		goto err_netif;
	}
	{
		struct tcp_pcb *l = tcp_listen(ns->listener);

		/* On failure the unlistened pcb is still ours. */
		if (l == NULL) {
			tcp_abort(ns->listener);
			ns->listener = NULL;
			goto err_netif;
		}
		ns->listener = l;
	}
	tcp_arg(ns->listener, ns);
	tcp_accept(ns->listener, conn_accept);
	ns->udp = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (ns->udp == NULL ||
	    udp_bind(ns->udp, IP_ANY_TYPE, NETSTACK_LISTEN_PORT) != ERR_OK)
		goto err_netif;
	udp_recv(ns->udp, udp_in, ns);

	if (tun_fd != -1 &&
	    core_loop_add(loop, tun_fd, LOOP_READ, tun_readable, ns) == -1) {
		errno = errno ? errno : EINVAL;
		fail(cause, "watching the tun");
		goto err_netif;
	}
	ns->tick = core_loop_timer_new(loop, tick, ns);
	core_loop_timer_set(ns->tick, 1.0);
	core_loop_on_pass(loop, on_pass, loop);
	ns->fast_last = sys_now();
	cur = ns;
	return ns;

err_netif:
	if (errno == 0)
		errno = ENOMEM;
	if (cause != NULL && *cause == NULL)
		fail(cause, "lwIP set-up");
	if (ns->udp != NULL)
		udp_remove(ns->udp);
	if (ns->listener != NULL)
		tcp_close(ns->listener);
	netif_remove(&ns->netif);
err:
	core_nat_free(ns->nat);
	free(ns);
	return NULL;
}

void
core_netstack_free(struct netstack *ns)
{
	struct tcp_pcb *pcb;
	struct conn *c, *next;

	if (ns == NULL)
		return;
	/* Owners are going away with the loop: held SYNs are forgotten,
	 * the rest reset. */
	for (c = ns->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_SYN)
			syn_drop(c);
	}
	while ((c = ns->conns) != NULL) {
		if ((pcb = c->pcb) != NULL) {
			conn_detach(c);
			tcp_abort(pcb);
		}
		c->state = CONN_DONE;
		c->queued = 0;
		finish(c);
	}
	ns->todo = NULL;
	while (ns->udps != NULL)
		core_netstack_udp_close(ns->udps);
	/* Connections lwIP finishes alone (closing, TIME_WAIT) go too. */
	while ((pcb = tcp_active_pcbs) != NULL) {
		tcp_arg(pcb, NULL);
		tcp_err(pcb, NULL);
		tcp_abort(pcb);
	}
	while ((pcb = tcp_tw_pcbs) != NULL)
		tcp_abort(pcb);
	if (ns->listener != NULL)
		tcp_close(ns->listener);
	if (ns->udp != NULL)
		udp_remove(ns->udp);
	if (ns->tun_fd != -1)
		core_loop_del(ns->loop, ns->tun_fd);
	core_loop_timer_free(ns->tick);
	netif_remove(&ns->netif);
	core_nat_free(ns->nat);
	if (cur == ns)
		cur = NULL;
	free(ns);
}

void
core_netstack_stats(const struct netstack *ns, struct netstack_stats *st)
{
	struct nat_stats nst;
	struct tcp_pcb *pcb;

	*st = ns->st;
	st->tcp_pcbs = 0;
	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next)
		st->tcp_pcbs++;
	core_nat_stats(ns->nat, &nst);
	st->nat_full = nst.full;
	st->nat_entries = nst.entries;
	st->tcp_conns = ns->nconns;
	st->udp_conns = ns->nudps;
	st->mem_used = mem_used;
	st->asserts = n_asserts;
	st->last_assert = n_asserts ? last_assert : NULL;
	st->syns_held = ns->nsyns;
}
