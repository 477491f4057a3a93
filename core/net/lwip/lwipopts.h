/*
 * lwipopts.h -- trawl's lwIP configuration (DESIGN.md, Core).
 *
 * lwIP runs NO_SYS on trawl's one epoll thread, behind the NAT in
 * core/net/nat.c, on a tun of MTU 65535. The numbers come from measurements on
 * the target machine: MSS 65495 and 1 MiB windows moved ~2.2 GB/s where
 * Debian's prebuilt liblwip (MSS 1460, 64 KiB window) did ~300 MB/s.
 * Only lwIP's own sources and core/net/netstack.c include this file.
 */
#ifndef TRAWL_LWIPOPTS_H
#define TRAWL_LWIPOPTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop/limits.h"

/* One thread, raw API only, no OS layer. */
#define NO_SYS				1
#define SYS_LIGHTWEIGHT_PROT		0
#define LWIP_NETCONN			0
#define LWIP_SOCKET			0
#define LWIP_NETIF_API			0
#define LWIP_TIMERS			1

/* Protocols: IPv4 and IPv6, TCP and UDP; nothing that talks by itself. */
#define LWIP_IPV4			1
#define LWIP_IPV6			1
#define LWIP_TCP			1
#define LWIP_UDP			1
#define LWIP_ICMP			1
#define LWIP_RAW			0
#define LWIP_ARP			0
#define LWIP_ETHERNET			0
#define LWIP_DHCP			0
#define LWIP_AUTOIP			0
#define LWIP_IGMP			0
#define LWIP_DNS			0
#define LWIP_ALTCP			0
#define LWIP_IPV6_MLD			0
#define LWIP_IPV6_AUTOCONFIG		0
#define LWIP_IPV6_DHCP6			0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT	0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS	0
#define LWIP_ND6_ALLOW_RA_UPDATES	0
#define LWIP_IPV6_NUM_ADDRESSES		3
#define IP_FORWARD			0
#define LWIP_IPV6_FORWARD		0
/* The tun's MTU (65535) carries every datagram whole; the NAT drops
 * fragments before lwIP sees them. */
#define IP_REASSEMBLY			0
#define IP_FRAG				0
#define LWIP_IPV6_REASS			0
#define LWIP_IPV6_FRAG			0
#define IP_DEFAULT_TTL			64

/* The prebuilt library's loopback path aborts without a tcpip thread;
 * nothing of trawl's needs it. */
#define LWIP_HAVE_LOOPIF		0
#define LWIP_NETIF_LOOPBACK		0
#define LWIP_SINGLE_NETIF		1
#define LWIP_NETIF_STATUS_CALLBACK	0
#define LWIP_NETIF_LINK_CALLBACK	0

/* No link layer in front of IP on a tun. */
#define PBUF_LINK_HLEN			0
#define PBUF_LINK_ENCAPSULATION_HLEN	0

/*
 * TCP: MSS 65495 fills a 65535-byte IPv4 packet (lwIP lowers it to 65475
 * for IPv6 from the netif's MTU). Windows of 1 MiB with scaling; Nagle is
 * turned off per pcb in core/net/netstack.c.
 */
#define TCP_MSS				65495
#define TCP_CALCULATE_EFF_SEND_MSS	1
#define LWIP_WND_SCALE			1
#define TCP_RCV_SCALE			5
#define TCP_WND				(1024 * 1024)
#define TCP_SND_BUF			(1024 * 1024)
/* Segments one pcb may queue: the proxy writes up to LIMIT_READ_CHUNK at a
 * time, but small writes (headers) each take one. */
#define TCP_SND_QUEUELEN		1024
#define TCP_SNDLOWAT			(TCP_SND_BUF / 2)
#define TCP_SNDQUEUELOWAT		(TCP_SND_QUEUELEN / 2)
/* lwIP's sanity checks assume 16-bit windows and PBUF_POOL input (the
 * low-water marks are only read by the netconn API, which is off). */
#define LWIP_DISABLE_TCP_SANITY_CHECKS	1
#define TCP_OVERSIZE			TCP_MSS
#define TCP_QUEUE_OOSEQ			1
#define TCP_OOSEQ_MAX_BYTES		TCP_WND
#define TCP_OOSEQ_MAX_PBUFS		64
#define LWIP_TCP_SACK_OUT		1
#define LWIP_TCP_TIMESTAMPS		0
#define TCP_LISTEN_BACKLOG		0
#define LWIP_TCP_KEEPALIVE		1
/* A tun does not reorder or delay; TIME_WAIT of 2 * 5 s is enough and
 * frees synthetic NAT ports sooner (LIMIT_NAT_IDLE_SEC > 2 * TCP_MSL). */
#define TCP_MSL				5000UL
#define TCP_MAXRTX			8
#define TCP_SYNMAXRTX			4
/* Off: on trawl's tun the kernel owns TCP checksums (core/net/tunframe.h),
 * so a checksum computed while copying would be wasted. */
#define LWIP_CHECKSUM_ON_COPY		0
/* ISN keyed per 4-tuple (RFC 6528), see core_netstack_isn. */
struct ip_addr;
uint32_t core_netstack_isn(const struct ip_addr *, uint16_t,
    const struct ip_addr *, uint16_t);
#define LWIP_HOOK_TCP_ISN		core_netstack_isn

/*
 * Memory. Packet buffers and queued segments come from the C heap through
 * a counter that refuses past LIMIT_NETSTACK_MEM; pcbs and segment headers
 * come from fixed pools, so all of lwIP's memory is bounded.
 */
#define MEM_LIBC_MALLOC			1
#define MEM_ALIGNMENT			8
/* Above 64000, mem_size_t is 32 bits: a 65535-byte pbuf plus headers. */
#define MEM_SIZE			LIMIT_NETSTACK_MEM
void	*core_netstack_mem_malloc(size_t);
void	*core_netstack_mem_calloc(size_t, size_t);
void	 core_netstack_mem_free(void *);
#define mem_clib_malloc			core_netstack_mem_malloc
#define mem_clib_calloc			core_netstack_mem_calloc
#define mem_clib_free			core_netstack_mem_free
#define MEMP_MEM_MALLOC			0
#define MEMP_NUM_TCP_PCB		(LIMIT_CONNECTIONS + 256)
#define MEMP_NUM_TCP_PCB_LISTEN		2
#define MEMP_NUM_UDP_PCB		2
#define MEMP_NUM_TCP_SEG		65535
#define MEMP_NUM_PBUF			256
#define PBUF_POOL_SIZE			16
#define PBUF_POOL_BUFSIZE		2048

/* Checksums: generated for the kernel, checked on input (a NAT bug must
 * not become corrupt data) -- except on a tun with a virtio-net header,
 * where the netstack turns off TCP's and the check of UDP's per netif and
 * the kernel does without them (core/net/tunframe.h). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF	1
#define CHECKSUM_GEN_IP			1
#define CHECKSUM_GEN_TCP		1
#define CHECKSUM_GEN_UDP		1
#define CHECKSUM_CHECK_IP		1
#define CHECKSUM_CHECK_TCP		1
#define CHECKSUM_CHECK_UDP		1
/* lwIP's own sum goes 16 bits at a time (20% of the CPU of a download);
 * core_netstack_chksum adds 64 bits at a time. */
uint16_t core_netstack_chksum(const void *, int);
#define LWIP_CHKSUM			core_netstack_chksum

/* LWIP_DEBUG stays undefined: lwIP tests it with #ifdef. */
#define LWIP_STATS			0
#define LWIP_PERF			0

#endif
