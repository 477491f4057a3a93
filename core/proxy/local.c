/*
 * local.c -- local mode: the redirector, the netstack on its tun, and
 * where captured connections go (TCP to the proxy, UDP to the relay).
 *
 * A captured SYN is answered only once trawl's own connect to its server
 * has an outcome, so the program sees the server's: the handshake when it
 * accepted, the refusal or unreachability when not, at the same moment.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/sockstream.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/net/netstack.h"
#include "core/net/redirector.h"
#include "core/net/spec.h"
#include "core/proxy/connect.h"
#include "core/proxy/local.h"
#include "core/proxy/mode.h"
#include "core/proxy/proxy.h"
#include "core/proxy/udprelay.h"

static struct redirector	*rd;
static struct netstack		*ns;
static struct loop		*local_loop;
static int			 watching;	/* the control fd, on the loop */
static int			 gone;		/* the redirector died */
static char			*spec_text;
static char			 status[256];

/* A captured SYN whose server trawl is connecting to first. */
struct attempt {
	struct netstack_syn	*syn;		/* until answered */
	struct connect		*connecting;
	int			 fd;		/* connected: for on_tcp */
	char			 addr[64];	/* "ip:port" reached */
	char			 client[64];
	double			 start, end;	/* of trawl's connect */
	int			 pid;
	char			 comm[RD_COMM_LEN];
	struct attempt		*prev, *next;
};
static struct attempt		*attempts;
static int			 nattempts;

static void
set_status(void)
{
	const struct redirector_tun	*t = core_redirector_tun(rd);

	if (spec_text[0] == '\0')
		snprintf(status, sizeof status, "capturing every program "
		    "(local mode, %s%s)", t->ifname, core_redirector_where());
	else
		snprintf(status, sizeof status, "capturing %s (local mode, "
		    "%s%s)", spec_text, t->ifname, core_redirector_where());
}

/*
 * The redirector is gone: capture has stopped (its exit removed the BPF
 * link and the tun). Without a screen there is nothing left to do; with
 * one, the flows stay to be browsed and the status says why.
 */
static void
redirector_gone(void)
{
	if (gone)
		return;
	gone = 1;
	if (watching) {
		core_loop_del(local_loop, core_redirector_fd(rd));
		watching = 0;
	}
	snprintf(status, sizeof status, "local capture stopped: "
	    "trawl-redirector exited");
	if (opts.dump) {
		fprintf(stderr, "trawl: %s\n", status);
		trawl_quit = 1;
	}
}

static void
on_control(int fd, int events, void *unused)
{
	/* It never speaks unasked: readable means closed, or a late reply
	 * that a ping drains. */
	if ((events & LOOP_HUP) || core_redirector_ping(rd) == -1)
		redirector_gone();
}

/* The address and port of a sockaddr_in or _in6. */
static const void *
sa_addr(const struct sockaddr *sa, uint16_t *port)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		*port = ntohs(s6->sin6_port);
		return &s6->sin6_addr;
	}
	const struct sockaddr_in *s4 = (const void *)sa;

	*port = ntohs(s4->sin_port);
	return &s4->sin_addr;
}

/* Who made the socket: fills *pid and comm (RD_COMM_LEN) or leaves them. */
static void
who(int proto, const struct sockaddr *client, const struct sockaddr *server,
    int *pid, char *comm)
{
	struct rd_proc	 p;
	const void	*daddr;
	uint16_t	 sport, dport;

	*pid = 0;
	comm[0] = '\0';
	if (gone)
		return;
	sa_addr(client, &sport);
	daddr = sa_addr(server, &dport);
	switch (core_redirector_lookup(rd, client->sa_family, proto, sport,
	    daddr, dport, &p)) {
	case 1:
		*pid = (int)p.pid;
		/* The program's name: threads may be named otherwise (dig's
		 * isc-net-0000, a browser's Socket Thread). */
		memcpy(comm, p.leader_comm[0] != '\0' ? p.leader_comm :
		    p.comm, RD_COMM_LEN);
		comm[RD_COMM_LEN - 1] = '\0';
		break;
	case -1:
		redirector_gone();
		break;
	}
}

static void
attempt_free(struct attempt *a)
{
	if (a->connecting != NULL)
		core_connect_cancel(a->connecting);
	if (a->fd != -1)
		close(a->fd);
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		attempts = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	nattempts--;
	free(a);
}

/* The program's connect failed as trawl's did: a TCP flow says why. */
static void
attempt_failed(struct attempt *a, const struct connect_result *r)
{
	struct flow *f = core_flow_new(FLOW_TCP);

	core_flow_set(&f->client, a->client);
	core_flow_set(&f->server, r->addr);
	f->pid = a->pid;
	core_flow_set(&f->comm, a->comm[0] != '\0' ? a->comm : NULL);
	f->t.start = f->t.dns_start = a->start;
	if (core_mode_local() != NULL)
		core_flow_set(&f->mode, core_mode_local()->spec);
	core_store_add(f);
	core_flow_error(f, "%s", r->error);
	core_store_finish(f);
}

static void
attempt_done(void *arg, const struct connect_result *r)
{
	struct attempt *a = arg;
	struct netstack_syn *y = a->syn;

	a->connecting = NULL;
	a->syn = NULL;
	if (r->error != NULL) {
		attempt_failed(a, r);
		attempt_free(a);
		core_netstack_syn_refuse(y, r->err);
		return;
	}
	a->fd = r->fd;
	a->end = r->connect_end;
	snprintf(a->addr, sizeof a->addr, "%s", r->addr);
	/* on_tcp, or on_syn_drop, takes a from here (maybe at once). */
	core_netstack_syn_accept(y, a);
}

static void
on_syn(void *arg, struct netstack_syn *y, const struct sockaddr *client,
    const struct sockaddr *server)
{
	struct attempt *a;

	if (core_proxy_connections() + nattempts >= LIMIT_CONNECTIONS &&
	    core_proxy_make_room() == -1) {
		core_notice("%d connections open: new ones are refused",
		    LIMIT_CONNECTIONS);
		core_netstack_syn_refuse(y, ECONNREFUSED);
		return;
	}
	if ((a = calloc(1, sizeof *a)) == NULL) {
		core_netstack_syn_refuse(y, ENOMEM);
		return;
	}
	a->syn = y;
	a->fd = -1;
	a->next = attempts;
	if (attempts != NULL)
		attempts->prev = a;
	attempts = a;
	nattempts++;
	a->start = core_now();
	/* The connect first: the look-up runs while its SYN is out. */
	a->connecting = core_connect_start_addr(local_loop, server,
	    LIMIT_SYN_WAIT_SEC, attempt_done, a);
	core_connect_format(client, a->client, sizeof a->client);
	who(IPPROTO_TCP, client, server, &a->pid, a->comm);
}

static void
on_syn_drop(void *arg, struct netstack_syn *y, void *ctx)
{
	struct attempt *a = ctx;

	if (a == NULL)
		for (a = attempts; a != NULL && a->syn != y; a = a->next)
			;
	if (a != NULL)
		attempt_free(a);
}

static void
on_tcp(void *arg, struct stream *s, const struct sockaddr *client,
    const struct sockaddr *server, void *ctx)
{
	struct attempt		*a = ctx;
	struct proxy_origin	 o;
	char			 caddr[64], host[INET6_ADDRSTRLEN];
	char			 comm[RD_COMM_LEN];
	const void		*a_ip;
	uint16_t		 port;
	int			 pid;

	/* A SYN trawl answered has its upstream, counted already. */
	if (a == NULL && core_proxy_connections() >= LIMIT_CONNECTIONS &&
	    core_proxy_make_room() == -1) {
		core_notice("%d connections open: new ones are refused",
		    LIMIT_CONNECTIONS);
		core_netstack_tcp_refuse(s);
		return;
	}
	if (a != NULL) {
		pid = a->pid;
		memcpy(comm, a->comm, sizeof comm);
	} else
		who(IPPROTO_TCP, client, server, &pid, comm);
	a_ip = sa_addr(server, &port);
	if (inet_ntop(server->sa_family, a_ip, host, sizeof host) == NULL) {
		core_netstack_tcp_refuse(s);
		if (a != NULL)
			attempt_free(a);
		return;
	}
	core_connect_format(client, caddr, sizeof caddr);
	memset(&o, 0, sizeof o);
	o.client = caddr;
	o.dest_host = host;
	o.dest_port = port;
	o.pid = pid;
	o.comm = comm[0] != '\0' ? comm : NULL;
	o.mode = core_mode_local();
	if (a != NULL) {
		if ((o.upstream = core_sockstream_new(local_loop, a->fd)) ==
		    NULL) {
			core_netstack_tcp_refuse(s);
			attempt_free(a);
			return;
		}
		a->fd = -1;
		o.upstream_addr = a->addr;
		o.upstream_start = a->start;
		o.upstream_end = a->end;
	}
	core_proxy_accept(s, &o);
	if (a != NULL)
		attempt_free(a);
}

static void
on_udp(void *arg, struct netstack_udp *u, const struct sockaddr *client,
    const struct sockaddr *server)
{
	char	comm[RD_COMM_LEN];
	int	pid;

	who(IPPROTO_UDP, client, server, &pid, comm);
	core_udprelay_start(local_loop, u, client, server, pid,
	    comm[0] != '\0' ? comm : NULL);
}

/* The netstack's addresses must be the user-space side of the tun. */
static int
check_plan(const struct redirector_tun *t, char **cause)
{
	uint8_t	a4[4], a6[16];

	if (inet_pton(AF_INET, NETSTACK_IP4, a4) != 1 ||
	    inet_pton(AF_INET6, NETSTACK_IP6, a6) != 1 ||
	    memcmp(a4, t->peer4, 4) != 0 ||
	    (t->prefix6 != 0 && memcmp(a6, t->peer6, 16) != 0)) {
		core_cause(cause, "trawl-redirector uses another address plan "
		    "than this trawl: install matching versions");
		return -1;
	}
	return 0;
}

int
core_local_prepare(const char *text, const char *cgroup, char **cause)
{
	struct spec	 spec;
	char		*why = NULL;

	if (rd != NULL) {
		core_cause(cause, "local mode is running already");
		return -1;
	}
	if (text == NULL)
		text = "";
	if (core_spec_parse(text, &spec, &why) != 0) {
		core_cause(cause, "%s (in '%s')", why ? why : "bad spec", text);
		free(why);
		return -1;
	}
	rd = core_redirector_start(NULL, cgroup, &spec, cause);
	if (rd == NULL)
		return -1;
	if (check_plan(core_redirector_tun(rd), cause) != 0 ||
	    (spec_text = strdup(text)) == NULL) {
		core_redirector_free(rd);
		rd = NULL;
		return -1;
	}
	gone = 0;
	set_status();
	return 0;
}

int
core_local_start(struct loop *loop, char **cause)
{
	struct netstack_cbs	cbs;

	if (rd == NULL) {
		core_cause(cause, "local mode: the redirector is not running");
		return -1;
	}
	memset(&cbs, 0, sizeof cbs);
	cbs.on_tcp = on_tcp;
	cbs.on_udp = on_udp;
	cbs.on_syn = on_syn;
	cbs.on_syn_drop = on_syn_drop;
	local_loop = loop;
	ns = core_netstack_new(loop, core_redirector_tun(rd)->fd, &cbs, cause);
	if (ns == NULL)
		return -1;
	if (core_loop_add(loop, core_redirector_fd(rd), LOOP_READ, on_control,
	    NULL) == -1) {
		core_cause(cause, "local mode: cannot watch trawl-redirector");
		return -1;
	}
	watching = 1;
	return 0;
}

void
core_local_stop(void)
{
	core_udprelay_shutdown();
	if (ns != NULL) {
		core_netstack_free(ns);
		ns = NULL;
	}
	if (rd != NULL) {
		if (watching)
			core_loop_del(local_loop, core_redirector_fd(rd));
		watching = 0;
		/* Waits up to a second for it to undo what it did. */
		core_redirector_free(rd);
		rd = NULL;
	}
	free(spec_text);
	spec_text = NULL;
	local_loop = NULL;
	status[0] = '\0';
}

int
core_local_set_spec(const char *text, char **cause)
{
	struct spec	 spec;
	char		*why = NULL, *copy;

	if (rd == NULL) {
		core_cause(cause, "local mode is not running");
		return -1;
	}
	if (gone) {
		core_cause(cause, "trawl-redirector is gone: local capture stopped");
		return -1;
	}
	if (text == NULL)
		text = "";
	if (core_spec_parse(text, &spec, &why) != 0) {
		core_cause(cause, "%s (in '%s')", why ? why : "bad spec", text);
		free(why);
		return -1;
	}
	if ((copy = strdup(text)) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	if (core_redirector_set_spec(rd, &spec, cause) != 0) {
		free(copy);
		if (core_redirector_ping(rd) == -1)
			redirector_gone();
		return -1;
	}
	free(spec_text);
	spec_text = copy;
	set_status();
	return 0;
}

int
core_local_gone(void)
{
	return gone;
}

const char *
core_local_spec(void)
{
	return rd != NULL && !gone ? spec_text : NULL;
}

const char *
core_local_status(void)
{
	return rd != NULL ? status : NULL;
}

int
core_local_netstack_stats(struct netstack_stats *st)
{
	if (ns == NULL)
		return -1;
	core_netstack_stats(ns, st);
	return 0;
}
