/*
 * udprelay.c -- one captured UDP 5-tuple relayed through a kernel socket
 * of trawl's own, recorded as a UDP flow or as DNS flows.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flows/dns.h"
#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/net/netstack.h"
#include "core/net/redirector.h"
#include "core/proxy/connect.h"
#include "core/proxy/mode.h"
#include "core/proxy/udprelay.h"

/* Datagrams read from the upstream socket in one wake-up. */
#define UDPRELAY_BATCH	64

/* A DNS query that waits for its answer. */
struct pending {
	uint16_t	 id;
	struct flow	*f;
};

struct relay {
	struct loop		*loop;
	struct netstack_udp	*u;
	int			 fd;		/* connected to the server */
	int			 dns_port;	/* server port 53: DNS first */
	char			 client[64];
	char			 server[64];
	int			 pid;
	char			*comm;
	struct flow		*udp;		/* non-DNS datagrams, lazily */
	struct pending		 pend[LIMIT_DNS_PENDING];
	int			 npend;
	char			*mode;		/* the --mode, for its flows */
	struct udprelay_client	 ext;		/* without u: the client */
	struct relay		*prev, *next;
};

static struct relay	*relays;
static int		 nrelays;
/* The largest UDP payload; one read at a time on the loop thread. */
static char		 rbuf[65536];

static struct flow *
flow_new(struct relay *r, enum flow_type type)
{
	struct flow	*f = core_flow_new(type);

	core_flow_set(&f->client, r->client);
	core_flow_set(&f->server, r->server);
	core_flow_set(&f->comm, r->comm);
	core_flow_set(&f->mode, r->mode);
	f->pid = r->pid;
	f->t.start = core_now();
	f->t.connect_end = f->t.start;
	f->state = FLOW_ACTIVE;
	if (type == FLOW_DNS) {
		if ((f->dns = calloc(1, sizeof *f->dns)) == NULL)
			abort();
		f->dns->rcode = -1;
	}
	core_store_add(f);
	return f;
}

/* Finishes the oldest pending query (error may be NULL) and drops it. */
static void
pending_finish(struct relay *r, int i, const char *error)
{
	struct flow	*f = r->pend[i].f;

	if (error != NULL)
		core_flow_error(f, "%s", error);
	core_store_finish(f);
	memmove(&r->pend[i], &r->pend[i + 1],
	    (size_t)(r->npend - i - 1) * sizeof r->pend[0]);
	r->npend--;
}

/* A DNS message in direction up (client to server)? 1 if recorded. */
static int
record_dns(struct relay *r, int up, const char *data, size_t n)
{
	struct dns_msg	 m;
	struct flow	*f;
	int		 i;

	if (!r->dns_port && !core_dns_looks_like(data, n))
		return 0;
	if (core_dns_parse(data, n, &m) < 0 || m.qr == up)
		return 0;
	if (up) {
		/* Full: the oldest query will not be answered any more. */
		if (r->npend == LIMIT_DNS_PENDING)
			pending_finish(r, 0, "no answer");
		f = flow_new(r, FLOW_DNS);
		core_dns_fill(f->dns, data, n);
		core_flow_body_append(&f->up, data, n);
		f->t.request_sent = core_now();
		r->pend[r->npend].id = m.id;
		r->pend[r->npend++].f = f;
		core_store_update(f);
		return 1;
	}
	for (i = 0; i < r->npend; i++) {
		f = r->pend[i].f;
		if (r->pend[i].id != m.id || (f->dns->name != NULL &&
		    strcmp(f->dns->name, m.qname) != 0))
			continue;
		core_dns_fill(f->dns, data, n);
		core_flow_body_append(&f->down, data, n);
		f->t.response_start = core_now();
		if (m.rcode != 0)
			core_flow_error(f, "%s", core_dns_rcode_name(m.rcode) ?
			    core_dns_rcode_name(m.rcode) : "DNS error");
		pending_finish(r, i, NULL);
		return 1;
	}
	return 0;
}

static void
record(struct relay *r, int up, const char *data, size_t n)
{
	size_t	keep;

	if (record_dns(r, up, data, n))
		return;
	if (r->udp == NULL)
		r->udp = flow_new(r, FLOW_UDP);
	core_flow_body_append(up ? &r->udp->up : &r->udp->down, data, n);
	/* Each datagram is a message (opcode 0), as a raw TCP chunk is. */
	keep = n < LIMIT_RAW_CHUNK ? n : LIMIT_RAW_CHUNK;
	if (r->udp->msgs.bytes + keep > LIMIT_RAW_FLOW_BYTES)
		keep = 0;
	core_flow_msg_add(r->udp, up, 0, data, keep, n,
	    keep < n ? FLOW_MSG_TRUNCATED : 0);
	core_store_message(r->udp);
	if (!up && r->udp->t.response_start == 0)
		r->udp->t.response_start = core_now();
	core_store_update(r->udp);
}

/* Ends the relay: flows finish (with error, if any); u is closed unless
 * it is gone already (NULL). */
static void
relay_free(struct relay *r, const char *error)
{
	while (r->npend > 0)
		pending_finish(r, 0, error != NULL ? error : "no answer");
	if (r->udp != NULL) {
		if (error != NULL)
			core_flow_error(r->udp, "%s", error);
		core_store_finish(r->udp);
	}
	if (r->fd != -1) {
		core_loop_del(r->loop, r->fd);
		close(r->fd);
	}
	if (r->u != NULL)
		core_netstack_udp_close(r->u);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		relays = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	nrelays--;
	free(r->comm);
	free(r->mode);
	free(r);
}

/* Errors a connected UDP socket reports from ICMP: the upstream refused
 * or cannot be reached, and the client should hear so. */
static int
refused(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH ||
	    err == ENETUNREACH || err == EHOSTDOWN || err == ENONET ||
	    err == EACCES || err == EPERM;
}

static void
refuse(struct relay *r, int err)
{
	struct netstack_udp	*u = r->u;
	struct udprelay_client	 ext = r->ext;

	r->u = NULL;
	relay_free(r, strerror(err));
	if (u != NULL)
		core_netstack_udp_refuse(u);
	else if (ext.gone != NULL)
		ext.gone(ext.arg, err);
}

/* One datagram from the client: 0, or -1 when the relay is gone. */
static int
up_send(struct relay *r, const char *data, size_t n)
{
	record(r, 1, data, n);
	/* A full socket buffer drops the datagram, as a network would. */
	if (send(r->fd, data, n, 0) == -1 && refused(errno)) {
		refuse(r, errno);
		return -1;
	}
	return 0;
}

static void
on_datagram(void *arg, const char *data, size_t n)
{
	up_send(arg, data, n);
}

static void
on_expire(void *arg)
{
	relay_free(arg, NULL);
}

static void
upstream_readable(int fd, int events, void *arg)
{
	struct relay	*r = arg;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < UDPRELAY_BATCH; i++) {
		n = recv(fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
		if (n == -1) {
			if (refused(errno))
				refuse(r, errno);
			return;
		}
		record(r, 0, rbuf, (size_t)n);
		/* Too big for the tun, or lwIP is out of memory: lost, as
		 * on a network. */
		if (r->u != NULL)
			core_netstack_udp_send(r->u, rbuf, (size_t)n);
		else
			r->ext.send(r->ext.arg, rbuf, (size_t)n);
	}
}

static socklen_t
sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static int
sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
}

/* Lists r, then connects its socket to server and watches it: 0, or
 * the errno (r stays listed, for relay_free). */
static int
link_and_connect(struct relay *r, struct loop *loop,
    const struct sockaddr *server)
{
	int err;

	r->next = relays;
	if (relays != NULL)
		relays->prev = r;
	relays = r;
	nrelays++;
	r->fd = core_redirector_socket(server->sa_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (r->fd == -1 || connect(r->fd, server, sa_len(server)) == -1 ||
	    core_loop_add(loop, r->fd, LOOP_READ, upstream_readable, r) == -1) {
		err = errno;
		if (r->fd != -1)
			close(r->fd);
		r->fd = -1;
		return err;
	}
	return 0;
}

int
core_udprelay_start(struct loop *loop, struct netstack_udp *u,
    const struct sockaddr *client, const struct sockaddr *server, int pid,
    const char *comm)
{
	return core_udprelay_start_with(loop, u, client, server, pid, comm,
	    NULL, NULL, NULL, 0);
}

int
core_udprelay_start_with(struct loop *loop, struct netstack_udp *u,
    const struct sockaddr *client, const struct sockaddr *server, int pid,
    const char *comm, const struct udprelay_quic *quic,
    const char *const *held, const size_t *heldlen, int nheld)
{
	struct netstack_udp_cbs	 cbs;
	struct relay		*r;
	int			 err, i;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		core_netstack_udp_close(u);
		return -1;
	}
	r->loop = loop;
	r->u = u;
	r->pid = pid;
	r->comm = comm != NULL && comm[0] != '\0' ? strdup(comm) : NULL;
	r->dns_port = sa_port(server) == 53;
	if (core_mode_local() != NULL)
		r->mode = strdup(core_mode_local()->spec);
	core_connect_format(client, r->client, sizeof r->client);
	core_connect_format(server, r->server, sizeof r->server);
	if ((err = link_and_connect(r, loop, server)) != 0) {
		refuse(r, err);
		return -1;
	}
	memset(&cbs, 0, sizeof cbs);
	cbs.on_datagram = on_datagram;
	cbs.on_expire = on_expire;
	cbs.arg = r;
	core_netstack_udp_set_cbs(u, &cbs);
	if (quic != NULL) {
		/* QUIC is never DNS: its datagrams go to one UDP flow that
		 * says what the Initial said. */
		r->dns_port = 0;
		r->udp = flow_new(r, FLOW_UDP);
		core_flow_set(&core_flow_client_tls_w(r->udp)->version, "QUIC");
		core_flow_set(&core_flow_client_tls_w(r->udp)->sni, quic->sni);
		core_flow_set(&core_flow_client_tls_w(r->udp)->alpn, quic->alpn);
		core_flow_server_tls_w(r->udp)->passthrough = 1;
		core_flow_set(&core_flow_server_tls_w(r->udp)->passthrough_reason,
		    quic->reason);
		core_store_update(r->udp);
	}
	for (i = 0; i < nheld; i++)
		if (up_send(r, held[i], heldlen[i]) != 0)
			return -1;
	return 0;
}

void
core_udprelay_shutdown(void)
{
	while (relays != NULL)
		relay_free(relays, NULL);
}

int
core_udprelay_count(void)
{
	return nrelays;
}

/* --- relays of other clients (SOCKS5 UDP) --------------------------------- */

struct relay *
core_udprelay_open(struct loop *loop, const struct sockaddr *client,
    const struct sockaddr *server, const char *mode,
    const struct udprelay_client *ext)
{
	struct relay	*r;
	int		 err;

	if ((r = calloc(1, sizeof *r)) == NULL)
		abort();
	r->loop = loop;
	r->ext = *ext;
	r->mode = mode != NULL ? strdup(mode) : NULL;
	r->dns_port = sa_port(server) == 53;
	core_connect_format(client, r->client, sizeof r->client);
	core_connect_format(server, r->server, sizeof r->server);
	if ((err = link_and_connect(r, loop, server)) != 0) {
		relay_free(r, strerror(err));
		errno = err;
		return NULL;
	}
	return r;
}

void
core_udprelay_send(struct relay *r, const char *data, size_t n)
{
	up_send(r, data, n);
}

void
core_udprelay_close(struct relay *r)
{
	relay_free(r, NULL);
}
