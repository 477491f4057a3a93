/*
 * quic.c -- a new captured UDP 5-tuple told QUIC or not by its first
 * datagrams, then relayed, blocked, or handed to QUIC interception.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"
#include "core/net/netstack.h"
#include "core/proxy/connect.h"
#include "core/proxy/mode.h"
#include "core/proxy/quic.h"
#include "core/proxy/quicintercept.h"
#include "core/proxy/udprelay.h"
#include "core/tls/mitm.h"
#include "core/tls/quic_initial.h"
#include "core/tls/tls_peek.h"

/* RFC 9000 14.1: a client's datagram with an Initial is this big. */
#define QUIC_MIN_DATAGRAM	1200

/* A 5-tuple whose first datagrams are being looked at. */
struct qwait {
	struct loop		*loop;
	struct netstack_udp	*u;
	struct sockaddr_storage	 client, server;
	int			 pid;
	char			*comm;
	struct quic_initial	*qi;
	char			*held[LIMIT_QUIC_HELD];
	size_t			 heldlen[LIMIT_QUIC_HELD];
	int			 nheld;
	struct qwait		*prev, *next;
};

/* As mitmproxy's local mode: HTTP/3 is intercepted like HTTPS. */
static enum quic_mode	 mode = QUIC_INTERCEPT;
static struct qwait	*waits;

/* 5-tuples blocked lately: a client that ignores ICMP and resends its
 * Initial is refused again without a flow for each resend. */
#define QUIC_BLOCKED_KEEP	16
static struct {
	char	client[64], server[64];
	double	when;
} blocked[QUIC_BLOCKED_KEEP];
static int	nextblocked;

int
core_quic_set_mode(const char *s)
{
	if (strcmp(s, "intercept") == 0)
		mode = QUIC_INTERCEPT;
	else if (strcmp(s, "passthrough") == 0)
		mode = QUIC_PASSTHROUGH;
	else if (strcmp(s, "block") == 0)
		mode = QUIC_BLOCK;
	else
		return -1;
	return 0;
}

enum quic_mode
core_quic_mode(void)
{
	return mode;
}

/* Unlists and frees w; u is closed if w still has it. */
static void
wait_free(struct qwait *w)
{
	int i;

	if (w->u != NULL)
		core_netstack_udp_close(w->u);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		waits = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	for (i = 0; i < w->nheld; i++)
		free(w->held[i]);
	if (w->qi != NULL)
		core_quic_initial_free(w->qi);
	free(w->comm);
	free(w);
}

/* The 5-tuple goes to udprelay with what was held (quic may be NULL). */
static void
relay(struct qwait *w, const struct udprelay_quic *quic)
{
	struct netstack_udp *u = w->u;

	w->u = NULL;
	core_udprelay_start_with(w->loop, u, (struct sockaddr *)&w->client,
	    (struct sockaddr *)&w->server, w->pid, w->comm, quic,
	    (const char *const *)w->held, w->heldlen, w->nheld);
	wait_free(w);
}

/* --quic block: a finished flow says what was refused. */
static void
block(struct qwait *w, const char *sni, const char *alpn)
{
	struct flow		*f;
	struct netstack_udp	*u = w->u;
	char			 cl[64], sv[64];
	double			 now = core_now();
	int			 i;

	core_connect_format((struct sockaddr *)&w->client, cl, sizeof cl);
	core_connect_format((struct sockaddr *)&w->server, sv, sizeof sv);
	for (i = 0; i < QUIC_BLOCKED_KEEP; i++)
		if (now - blocked[i].when < LIMIT_UDP_IDLE_SEC &&
		    strcmp(blocked[i].client, cl) == 0 &&
		    strcmp(blocked[i].server, sv) == 0)
			goto refuse;
	i = nextblocked++ % QUIC_BLOCKED_KEEP;
	snprintf(blocked[i].client, sizeof blocked[i].client, "%s", cl);
	snprintf(blocked[i].server, sizeof blocked[i].server, "%s", sv);
	blocked[i].when = now;
	f = core_flow_new(FLOW_UDP);
	core_flow_set(&f->client, cl);
	core_flow_set(&f->server, sv);
	core_flow_set(&f->comm, w->comm);
	if (core_mode_local() != NULL)
		core_flow_set(&f->mode, core_mode_local()->spec);
	f->pid = w->pid;
	f->t.start = core_now();
	f->state = FLOW_ACTIVE;
	core_flow_set(&core_flow_client_tls_w(f)->version, "QUIC");
	core_flow_set(&core_flow_client_tls_w(f)->sni, sni);
	core_flow_set(&core_flow_client_tls_w(f)->alpn, alpn);
	for (i = 0; i < w->nheld; i++)
		core_flow_body_append(&f->up, w->held[i], w->heldlen[i]);
	core_store_add(f);
	core_flow_error(f, "QUIC blocked (--quic block)");
	core_store_finish(f);
refuse:
	w->u = NULL;
	core_netstack_udp_refuse(u);
	wait_free(w);
}

/* ALPN wire form as "h3,h3-29" into buf. */
static void
alpn_text(const struct tls_hello *h, char *buf, size_t len)
{
	size_t	i = 0, o = 0, n;

	buf[0] = '\0';
	while (i < h->alpn_len) {
		n = h->alpn[i++];
		if (n > h->alpn_len - i || o + n + 2 > len)
			break;
		if (o > 0)
			buf[o++] = ',';
		memcpy(buf + o, h->alpn + i, n);
		o += n;
		buf[o] = '\0';
		i += n;
	}
}

static int
sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
}

/* The ClientHello is complete: block, relay or intercept. */
static void
decide(struct qwait *w, const struct tls_hello *h)
{
	struct udprelay_quic	 q;
	char			 alpn[TLS_HELLO_ALPN + 1], host[64], *c;
	const char		*sni = h->has_sni && h->sni[0] ? h->sni : NULL;
	struct netstack_udp	*u;

	alpn_text(h, alpn, sizeof alpn);
	memset(&q, 0, sizeof q);
	q.sni = sni;
	q.alpn = alpn[0] ? alpn : NULL;
	if (mode == QUIC_BLOCK) {
		block(w, sni, q.alpn);
		return;
	}
	/* The address alone, as --ignore-hosts sees a TLS destination. */
	core_connect_format((struct sockaddr *)&w->server, host, sizeof host);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		if ((c = strchr(host, ']')) != NULL)
			*c = '\0';
	} else if ((c = strrchr(host, ':')) != NULL)
		*c = '\0';
	if (core_mitm_ignored(host, sa_port(&w->server), sni)) {
		q.reason = "--ignore-hosts";
		relay(w, &q);
		return;
	}
	if (mode == QUIC_PASSTHROUGH) {
		q.reason = "--quic passthrough";
		relay(w, &q);
		return;
	}
	u = w->u;
	if (core_quic_intercept_start(w->loop, u, (struct sockaddr *)&w->client,
	    (struct sockaddr *)&w->server, w->pid, w->comm, sni,
	    (const char *const *)w->held, w->heldlen, w->nheld) == 0) {
		w->u = NULL;
		wait_free(w);
		return;
	}
	q.reason = errno == ENOSYS ? "QUIC interception not built in" :
	    "QUIC interception failed";
	relay(w, &q);
}

static void
on_datagram(void *arg, const char *data, size_t n)
{
	struct qwait		*w = arg;
	struct tls_hello	 h;
	struct udprelay_quic	 q;
	const char		*why = NULL;
	int			 rc;

	/* Most UDP (DNS) is told at its first byte or size, before the
	 * reassembly buffer is made. */
	if (w->qi == NULL) {
		if (n < QUIC_MIN_DATAGRAM || (data[0] & 0xc0) != 0xc0) {
			if ((w->held[0] = malloc(n ? n : 1)) == NULL)
				abort();
			memcpy(w->held[0], data, n);
			w->heldlen[w->nheld++] = n;
			relay(w, NULL);
			return;
		}
		w->qi = core_quic_initial_new();
	}
	if ((w->held[w->nheld] = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(w->held[w->nheld], data, n);
	w->heldlen[w->nheld++] = n;
	memset(&h, 0, sizeof h);
	rc = core_quic_initial_feed(w->qi, data, n, &h, &why);
	if (rc == 1) {
		decide(w, &h);
		return;
	}
	memset(&q, 0, sizeof q);
	if (rc == -1 && w->nheld == 1) {
		relay(w, NULL);		/* not QUIC: plain UDP */
		return;
	}
	if (rc == -1 || w->nheld == LIMIT_QUIC_HELD) {
		/* QUIC, but its hello could not be read. */
		q.reason = rc == -1 ? why : "ClientHello too long";
		relay(w, &q);
	}
}

static void
on_expire(void *arg)
{
	wait_free(arg);
}

void
core_quic_dispatch(struct loop *loop, struct netstack_udp *u,
    const struct sockaddr *client, const struct sockaddr *server, int pid,
    const char *comm)
{
	struct netstack_udp_cbs	 cbs;
	struct qwait		*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		abort();
	w->loop = loop;
	w->u = u;
	memcpy(&w->client, client, client->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	memcpy(&w->server, server, server->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	w->pid = pid;
	w->comm = comm != NULL && comm[0] != '\0' ? strdup(comm) : NULL;
	w->next = waits;
	if (waits != NULL)
		waits->prev = w;
	waits = w;
	memset(&cbs, 0, sizeof cbs);
	cbs.on_datagram = on_datagram;
	cbs.on_expire = on_expire;
	cbs.arg = w;
	core_netstack_udp_set_cbs(u, &cbs);
}

void
core_quic_shutdown(void)
{
	while (waits != NULL)
		wait_free(waits);
	core_quic_intercept_shutdown();
}
