/*
 * proto.h -- the control protocol between trawl and trawl-redirector, and
 * the addresses of the tun device they share.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socketpair made by trawl; one
 * message per datagram, each exactly the size of its struct, host byte
 * order (both ends run on one machine). Every message starts with struct
 * rd_msg_hdr; a message with a wrong magic, version, type or size ends
 * the session.
 *
 * Conversation:
 *   redirector -> trawl  RD_MSG_HELLO, with the tun fd (SCM_RIGHTS) when
 *                        status is 0, else the reason in text; the BPF
 *                        program is loaded but not attached yet.
 *   trawl -> redirector  RD_MSG_SPEC; the first one attaches the program.
 *                        Reply: RD_MSG_STATUS.
 *   trawl -> redirector  RD_MSG_LOOKUP. Reply: RD_MSG_PROC.
 *   trawl -> redirector  RD_MSG_PING. Reply: RD_MSG_STATUS.
 *   trawl -> redirector  RD_MSG_SOCKET, only with --netns: a TCP or UDP
 *                        socket made in that namespace (trawl's upstream
 *                        connections leave from there). Reply:
 *                        RD_MSG_STATUS, with the socket (SCM_RIGHTS, non-
 *                        blocking) when status is 0.
 * Replies come in order and carry the request's seq. The redirector never
 * speaks unasked after the hello. Closing the socketpair makes it undo
 * everything and exit.
 */
#ifndef REDIRECT_PROTO_H
#define REDIRECT_PROTO_H

#include <stdint.h>

#include "ebpf/redirect.h"

#define RD_PROTO_MAGIC		0x6c777274u	/* "trwl" */
#define RD_PROTO_VERSION	1

/*
 * The tun: the kernel's side holds ADDR4/ADDR6 (captured sockets send
 * from them), the user-space stack answers as PEER4/PEER6. 10.213.0.0/30
 * and a ULA /64 (fd74:7261:776c::/64, "traw" "l") are unlikely to clash.
 */
#define RD_TUN_NAME		"trawl%d"	/* the kernel picks the number */
#define RD_TUN_MTU		65535
#define RD_TUN_ADDR4		"10.213.0.1"
#define RD_TUN_PEER4		"10.213.0.2"
#define RD_TUN_PREFIX4		30
#define RD_TUN_ADDR6		"fd74:7261:776c::1"
#define RD_TUN_PEER6		"fd74:7261:776c::2"
#define RD_TUN_PREFIX6		64

/* IPv6 policy rule "oif TUN lookup TABLE" and its table (base + ifindex). */
#define RD_RULE_PRIORITY	29810
#define RD_TABLE_BASE		0x74720000u

/* Bytes of a human-readable message, NUL included. */
#define RD_MSG_TEXT		256

enum rd_msg_type {
	RD_MSG_HELLO = 1,
	RD_MSG_SPEC,
	RD_MSG_LOOKUP,
	RD_MSG_PING,
	RD_MSG_STATUS,
	RD_MSG_PROC,
	RD_MSG_SOCKET,
	RD_MSG_TYPES		/* first invalid */
};

struct rd_msg_hdr {
	uint32_t	magic;
	uint16_t	version;
	uint16_t	type;
	uint32_t	seq;
	uint32_t	pad;
};

struct rd_msg_hello {
	struct rd_msg_hdr hdr;
	int32_t		status;		/* 0, or -1 with text */
	uint32_t	ifindex;
	char		ifname[16];	/* NUL-terminated */
	uint8_t		addr4[4];	/* RD_TUN_ADDR4 ... in binary */
	uint8_t		peer4[4];
	uint8_t		addr6[16];
	uint8_t		peer6[16];
	uint8_t		prefix4;
	uint8_t		prefix6;
	uint16_t	pad;
	uint32_t	mtu;
	char		text[RD_MSG_TEXT];
};

struct rd_msg_spec {
	struct rd_msg_hdr hdr;
	struct rd_config config;
};

struct rd_msg_lookup {
	struct rd_msg_hdr hdr;
	struct rd_tuple	tuple;
};

struct rd_msg_socket {
	struct rd_msg_hdr hdr;
	int32_t		family;		/* AF_INET or AF_INET6 */
	int32_t		type;		/* SOCK_STREAM or SOCK_DGRAM, no flags */
};

struct rd_msg_status {
	struct rd_msg_hdr hdr;
	int32_t		status;		/* 0, or -1 with text */
	uint32_t	pad;
	char		text[RD_MSG_TEXT];
};

struct rd_msg_proc {
	struct rd_msg_hdr hdr;
	int32_t		found;		/* 1: proc is valid */
	uint32_t	pad;
	struct rd_proc	proc;
};

/* The largest message, for receive buffers. */
union rd_msg {
	struct rd_msg_hdr	hdr;
	struct rd_msg_hello	hello;
	struct rd_msg_spec	spec;
	struct rd_msg_lookup	lookup;
	struct rd_msg_status	status;
	struct rd_msg_proc	proc;
	struct rd_msg_socket	socket;
};

#endif
