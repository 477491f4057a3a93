/*
 * socks5.h -- SOCKS5 mode (`--mode socks5[@[HOST:]PORT]`, RFC 1928): no
 * authentication, or username/password (RFC 1929) with --proxyauth. A
 * CONNECT (IPv4, IPv6 or a domain name) is connected, answered with the
 * reply code its outcome calls for, and the stream goes to the sniffer
 * with its destination known, as a local-mode connection does: TLS is
 * intercepted, HTTP parsed, the rest relayed as TCP. A UDP ASSOCIATE
 * relays the client's datagrams (core/proxy/socks5udp.c) as UDP and DNS
 * flows, for as long as its TCP connection lasts. The handshake is held
 * to LIMIT_SOCKS5_HANDSHAKE bytes and LIMIT_SOCKS5_SEC seconds.
 */
#ifndef CORE_PROXY_SOCKS5_H
#define CORE_PROXY_SOCKS5_H

#include <stddef.h>
#include <sys/socket.h>

/* A listener_fn (core/proxy/listen.h); mode is the struct proxy_mode. */
void	core_socks5_accept(void *mode, int fd,
	    const struct sockaddr_storage *peer);
/* Handshakes and UDP associations open now (for the stats). */
int	core_socks5_count(void);
/* Closes every one, at exit. */
void	core_socks5_shutdown(void);
/*
 * A SOCKS5 address (ATYP DST.ADDR DST.PORT) at p, also a UDP datagram's:
 * the host as text into host (hostlen bytes) and the port. Returns the
 * bytes used, 0 when more are needed, -1 for an address type SOCKS5 does
 * not have, -2 for a domain name no resolver would take (or an address
 * that does not fit host).
 */
int	core_socks5_address(const unsigned char *p, size_t n, char *host,
	    size_t hostlen, int *port);

#endif
