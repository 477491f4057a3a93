/*
 * socks5udp.h -- one SOCKS5 UDP association (RFC 1928, section 7): a UDP
 * socket of trawl's beside the client's TCP connection. Datagrams from
 * the client's address (only it: its IP, and the port it named or first
 * sent from) carry a SOCKS5 header saying where they go; each destination
 * is a relay (core/proxy/udprelay.h), recorded as local mode's UDP are
 * (UDP flows, DNS flows for port 53), and its answers come back with the
 * header saying whence. Fragments are dropped, as the RFC allows.
 */
#ifndef CORE_PROXY_SOCKS5UDP_H
#define CORE_PROXY_SOCKS5UDP_H

#include <sys/socket.h>

struct proxy_mode;
struct socks5udp;

/*
 * tcp_fd is the client's TCP connection (the UDP socket binds to its
 * local address), peer its address, port the one the client said it
 * sends from (0: not known yet). *bound gets the UDP socket's address,
 * for the reply. Returns NULL with *cause (caller frees).
 */
struct socks5udp *core_socks5udp_new(const struct proxy_mode *, int tcp_fd,
		    const struct sockaddr_storage *peer, int port,
		    struct sockaddr_storage *bound, char **cause);
/* Ends the association and its relays (their flows finish). NULL is
 * fine. */
void		 core_socks5udp_free(struct socks5udp *);

#endif
