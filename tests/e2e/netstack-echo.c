/*
 * netstack-echo.c -- the netstack alone on a tun, serving every address:
 * the test program of tests/e2e/netstack-*.sh.
 *
 * usage: netstack-echo [--vnet] TUN-NAME
 * Creates the tun (IFF_TUN, no packet info; with --vnet also a virtio-net
 * header and checksum offload, as trawl-redirector does) in the current network
 * namespace, prints "ready" and serves until SIGTERM, by destination port
 * of whatever address the client dialled:
 *   TCP 80  GET /bytes/N: N bytes, each 8-byte little-endian word its index
 *   TCP 7   echo; EOF from the client -> FIN after the echo
 *   TCP 9   counts bytes until EOF, answers "got N\n", closes
 *   TCP 13  sends "hello\n" and shuts down (FIN) at once, then counts what
 *           the client still sends, logging "after-shutdown N" at its EOF
 *   TCP 81  refused (RST)
 *   UDP 54  refused (ICMP port unreachable); any other UDP port: echo
 * Every accepted connection logs "tcp CLIENT -> SERVER" to stderr; at exit
 * the netstack's counters go to stderr too.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/loop/limits.h"
#include "core/loop/loop.h"
#include "core/loop/stream.h"
#include "core/loop/trawl.h"
#include "core/net/netstack.h"

struct app {
	struct stream	*s;
	int		 port;
	char		 req[4096];
	size_t		 reqlen;
	uint64_t	 total;		/* bytes to send (port 80) */
	uint64_t	 off;
	uint64_t	 got;
	int		 paused;
};

static void
fill(char *b, uint64_t off, size_t n)
{
	uint64_t w;
	size_t i = 0;

	/* Byte by byte to a word boundary, then whole words. */
	for (; i < n && (off + i) % 8 != 0; i++)
		b[i] = (char)(((off + i) / 8) >> (8 * ((off + i) % 8)));
	for (; i + 8 <= n; i += 8) {
		w = htole64((off + i) / 8);
		memcpy(b + i, &w, 8);
	}
	for (; i < n; i++)
		b[i] = (char)(((off + i) / 8) >> (8 * ((off + i) % 8)));
}

static void
app_close(struct app *a)
{
	core_stream_close(a->s);
	free(a);
}

/* Port 80: keeps the stream fed up to LIMIT_CONN_BUFFER. */
static void
pump(struct app *a)
{
	static char buf[65536];
	size_t n;

	while (a->off < a->total &&
	    core_stream_pending(a->s) < LIMIT_CONN_BUFFER) {
		n = sizeof buf;
		if (a->total - a->off < n)
			n = (size_t)(a->total - a->off);
		fill(buf, a->off, n);
		core_stream_write(a->s, buf, n);
		a->off += n;
	}
	if (a->off == a->total)
		app_close(a);
}

static void
on_data(void *arg, const char *d, size_t n)
{
	struct app *a = arg;
	char hdr[256];
	char *end;
	unsigned long long len;
	int k;

	a->got += n;
	switch (a->port) {
	case 7:
		core_stream_write(a->s, d, n);
		if (core_stream_pending(a->s) > LIMIT_CONN_BUFFER) {
			a->paused = 1;
			core_stream_pause(a->s, 1);
		}
		return;
	case 80:
		if (a->total != 0)
			return;
		if (n > sizeof a->req - 1 - a->reqlen)
			n = sizeof a->req - 1 - a->reqlen;
		memcpy(a->req + a->reqlen, d, n);
		a->reqlen += n;
		a->req[a->reqlen] = '\0';
		if (strstr(a->req, "\r\n\r\n") == NULL)
			return;
		len = 0;
		if (strncmp(a->req, "GET /bytes/", 11) == 0)
			len = strtoull(a->req + 11, &end, 10);
		k = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %llu\r\nConnection: close\r\n\r\n", len);
		core_stream_write(a->s, hdr, (size_t)k);
		a->total = len;
		if (len == 0) {
			app_close(a);
			return;
		}
		pump(a);
		return;
	default:
		return;		/* 9 and 13 count */
	}
}

static void
on_drain(void *arg)
{
	struct app *a = arg;

	if (a->port == 80 && a->total != 0)
		pump(a);
	else if (a->port == 7 && a->paused) {
		a->paused = 0;
		core_stream_pause(a->s, 0);
	}
}

static void
on_eof(void *arg)
{
	struct app *a = arg;
	char msg[64];
	int k;

	switch (a->port) {
	case 9:
		k = snprintf(msg, sizeof msg, "got %llu\n",
		    (unsigned long long)a->got);
		core_stream_write(a->s, msg, (size_t)k);
		break;
	case 13:
		fprintf(stderr, "after-shutdown %llu\n",
		    (unsigned long long)a->got);
		break;
	case 80:
		if (a->total != 0)
			return;	/* still sending the response */
		break;
	}
	app_close(a);
}

static void
on_error(void *arg, const char *msg)
{
	struct app *a = arg;

	fprintf(stderr, "stream error: %s\n", msg);
	app_close(a);
}

static const char *
addr_str(const struct sockaddr *sa, char *b, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	int port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		port = ntohs(s6->sin6_port);
		snprintf(b, n, "[%s]:%d", ip, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		port = ntohs(s4->sin_port);
		snprintf(b, n, "%s:%d", ip, port);
	}
	return b;
}

static int
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
}

static void
on_tcp(void *arg, struct stream *s, const struct sockaddr *client,
    const struct sockaddr *server, void *ctx)
{
	struct stream_cbs cbs;
	char c[80], v[80];
	struct app *a;

	fprintf(stderr, "tcp %s -> %s\n", addr_str(client, c, sizeof c),
	    addr_str(server, v, sizeof v));
	if (port_of(server) == 81 || (a = calloc(1, sizeof *a)) == NULL) {
		core_netstack_tcp_refuse(s);
		return;
	}
	a->s = s;
	a->port = port_of(server);
	memset(&cbs, 0, sizeof cbs);
	cbs.on_data = on_data;
	cbs.on_drain = on_drain;
	cbs.on_eof = on_eof;
	cbs.on_error = on_error;
	cbs.arg = a;
	core_stream_set_cbs(s, &cbs);
	core_stream_pause(s, 0);
	if (a->port == 13) {
		core_stream_write(s, "hello\n", 6);
		core_stream_shutdown(s);
	}
}

static void
udp_datagram(void *arg, const char *d, size_t n)
{
	core_netstack_udp_send(arg, d, n);
}

static void
udp_expire(void *arg)
{
	core_netstack_udp_close(arg);
}

static void
on_udp(void *arg, struct netstack_udp *u, const struct sockaddr *client,
    const struct sockaddr *server)
{
	struct netstack_udp_cbs cbs;
	char c[80], v[80];

	fprintf(stderr, "udp %s -> %s\n", addr_str(client, c, sizeof c),
	    addr_str(server, v, sizeof v));
	if (port_of(server) == 54) {
		core_netstack_udp_refuse(u);
		return;
	}
	memset(&cbs, 0, sizeof cbs);
	cbs.on_datagram = udp_datagram;
	cbs.on_expire = udp_expire;
	cbs.arg = u;
	core_netstack_udp_set_cbs(u, &cbs);
}

static void
on_signal(int sig)
{
	trawl_quit = 1;
}

int
main(int argc, char **argv)
{
	struct netstack_stats st;
	struct netstack_cbs cbs;
	struct sigaction sa;
	struct netstack *ns;
	struct ifreq ifr;
	char *cause = NULL;
	int fd, vnet = 0;

	/* --vnet: the tun as trawl-redirector makes it (core/net/tunframe.h). */
	if (argc == 3 && strcmp(argv[1], "--vnet") == 0) {
		vnet = 1;
		argv++;
		argc--;
	}
	if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: netstack-echo [--vnet] TUN-NAME\n");
		return 2;
	}
	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
		perror("/dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	strcpy(ifr.ifr_name, argv[1]);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		perror("TUNSETIFF");
		return 1;
	}
	if (vnet && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == -1) {
		perror("TUNSETOFFLOAD");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	core_loop = core_loop_new();
	memset(&cbs, 0, sizeof cbs);
	cbs.on_tcp = on_tcp;
	cbs.on_udp = on_udp;
	if ((ns = core_netstack_new(core_loop, fd, &cbs, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	core_loop_run(core_loop);

	core_netstack_stats(ns, &st);
	fprintf(stderr, "stats tun_in %llu tun_out %llu tun_drop %llu "
	    "nat_entries %zu tcp %zu udp %zu mem %zu asserts %llu%s%s\n",
	    (unsigned long long)st.tun_in, (unsigned long long)st.tun_out,
	    (unsigned long long)st.tun_drop, st.nat_entries, st.tcp_conns,
	    st.udp_conns, st.mem_used, (unsigned long long)st.asserts,
	    st.last_assert ? " last: " : "",
	    st.last_assert ? st.last_assert : "");
	core_netstack_free(ns);
	core_loop_free(core_loop);
	close(fd);
	return 0;
}
