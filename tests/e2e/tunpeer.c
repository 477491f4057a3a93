/*
 * tunpeer.c -- the e2e tests' stand-in for trawl: starts trawl-redirector
 * through core/net/redirector.c, reads the tun and prints one line per TCP SYN
 * or UDP datagram, with the process the redirector names for it.
 *
 * usage: tunpeer [--redirector PATH] [--cgroup PATH] [SPEC]
 * stdin: "spec TEXT" replaces the spec, "ping" asks the redirector.
 * stdout: "ready IFNAME", "spec ok" / "spec error: ...", "pong",
 *   "syn tcp4 dst=A:P sport=S pid=N comm=C leader=L", "udp4 ...".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/net/redirector.h"
#include "core/net/spec.h"
#include "core/net/tunframe.h"

static void
packet(struct redirector *r, const uint8_t *p, size_t n)
{
	struct rd_proc	 proc;
	char		 dst[INET6_ADDRSTRLEN];
	const uint8_t	*l4, *daddr;
	size_t		 hl;
	int		 family, proto, found;
	uint16_t	 sport, dport;

	if (n >= 20 && p[0] >> 4 == 4) {
		hl = (size_t)(p[0] & 0xf) * 4;
		if (hl < 20 || n < hl + 8)
			return;
		family = AF_INET;
		proto = p[9];
		daddr = p + 16;
	} else if (n >= 40 && p[0] >> 4 == 6) {
		hl = 40;
		if (n < hl + 8)
			return;
		family = AF_INET6;
		proto = p[6];
		daddr = p + 24;
	} else
		return;
	l4 = p + hl;
	sport = (uint16_t)(l4[0] << 8 | l4[1]);
	dport = (uint16_t)(l4[2] << 8 | l4[3]);
	if (proto == IPPROTO_TCP) {
		/* SYN without ACK: a new connection. */
		if (n < hl + 14 || (l4[13] & 0x12) != 0x02)
			return;
	} else if (proto != IPPROTO_UDP)
		return;
	inet_ntop(family, daddr, dst, sizeof dst);
	memset(&proc, 0, sizeof proc);
	found = core_redirector_lookup(r, family, proto, sport, daddr, dport,
	    &proc);
	printf("%s %s%d dst=%s:%u sport=%u pid=%u comm=%s leader=%s\n",
	    proto == IPPROTO_TCP ? "syn" : "udp",
	    proto == IPPROTO_TCP ? "tcp" : "udp", family == AF_INET ? 4 : 6,
	    dst, dport, sport, found == 1 ? proc.pid : 0,
	    found == 1 ? proc.comm : "?", found == 1 ? proc.leader_comm : "?");
	fflush(stdout);
}

static void
command(struct redirector *r, char *line)
{
	struct spec	 spec;
	char		*cause = NULL;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "spec", 4) == 0 &&
	    (line[4] == ' ' || line[4] == '\0')) {
		if (core_spec_parse(line[4] ? line + 5 : "", &spec,
		    &cause) != 0 ||
		    core_redirector_set_spec(r, &spec, &cause) != 0)
			printf("spec error: %s\n", cause ? cause : "?");
		else
			printf("spec ok\n");
		free(cause);
	} else if (strcmp(line, "ping") == 0)
		printf("%s\n", core_redirector_ping(r) == 0 ? "pong" : "gone");
	else
		printf("unknown command\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct redirector		*r;
	const struct redirector_tun	*tun;
	struct spec			 spec;
	struct pollfd			 pfd[3];
	const char			*path = NULL, *cgroup = NULL, *text = "";
	char				*cause = NULL, line[4096];
	uint8_t				 buf[65536 + TUNFRAME_MAX];
	size_t				 frame;
	ssize_t				 n;
	int				 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--redirector") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc)
			cgroup = argv[++i];
		else
			text = argv[i];
	}
	if (core_spec_parse(text, &spec, &cause) != 0) {
		fprintf(stderr, "tunpeer: %s\n", cause);
		return 2;
	}
	r = core_redirector_start(path, cgroup, &spec, &cause);
	if (r == NULL) {
		fprintf(stderr, "tunpeer: %s\n", cause ? cause : "?");
		return 1;
	}
	tun = core_redirector_tun(r);
	frame = core_tunframe_len(tun->fd);
	printf("ready %s %d\n", tun->ifname, tun->ifindex);
	fflush(stdout);

	pfd[0].fd = tun->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDIN_FILENO;
	pfd[1].events = POLLIN;
	pfd[2].fd = core_redirector_fd(r);
	pfd[2].events = 0;	/* only HUP */
	for (;;) {
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents & (POLLHUP | POLLERR)) {
			printf("redirector gone\n");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			/* The redirector's tun frames each packet with a
			 * virtio-net header (core/net/tunframe.h). */
			n = read(tun->fd, buf, sizeof buf);
			if (n > (ssize_t)frame)
				packet(r, buf + frame, (size_t)n - frame);
		}
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			if (fgets(line, sizeof line, stdin) != NULL)
				command(r, line);
			else
				pfd[1].fd = -1;
		}
	}
	core_redirector_free(r);
	return 0;
}
