/*
 * limits.h -- every cap on memory that the network (or a file) can fill.
 *
 * One place, so a reviewer can see at a glance how much an attacker or a
 * runaway peer can make trawl hold.
 */
#ifndef CORE_LIMITS_H
#define CORE_LIMITS_H

/* Bytes of a request or response head (start line + headers). */
#define LIMIT_HTTP_HEAD		(64 * 1024)
/* Header fields in one message head. */
#define LIMIT_HTTP_HEADERS	128
/* Length of one chunk-size line (hex digits, extensions). */
#define LIMIT_HTTP_CHUNK_LINE	1024
/* Bytes of trailer fields after the last chunk. */
#define LIMIT_HTTP_TRAILERS	(16 * 1024)

/* Prefix of each body (or raw stream direction) that a flow keeps. */
#define LIMIT_FLOW_BODY		(4 * 1024 * 1024)
/* Memory budget of the flow store; past it old flows lose bodies, then go. */
#define LIMIT_STORE_BYTES	(512ULL * 1024 * 1024)
/* Flows the store holds at most, whatever their size. */
#define LIMIT_STORE_FLOWS	1000000

/* Bytes buffered toward one peer before trawl stops reading the other. */
#define LIMIT_CONN_BUFFER	(256 * 1024)
/* One read from a socket. */
#define LIMIT_READ_CHUNK	(256 * 1024)
/* Idle seconds before a client or upstream connection is closed. */
#define LIMIT_IDLE_CLIENT_SEC	60
#define LIMIT_IDLE_UPSTREAM_SEC	60
/* Idle seconds before a raw tunnel (CONNECT, TCP) is closed. */
#define LIMIT_IDLE_TUNNEL_SEC	600
/* Seconds allowed for resolving and connecting to an upstream. */
#define LIMIT_CONNECT_SEC	15
/* Idle upstream connections kept for reuse, in all. */
#define LIMIT_UPSTREAM_POOL	1024
/* Requests queued on one client connection (pipelining). */
#define LIMIT_PIPELINE		32
/* Concurrent client connections. */
#define LIMIT_CONNECTIONS	8192

/*
 * HAR files are read entry by entry, whatever their size. One string of
 * an entry keeps at most LIMIT_HAR_STRING bytes (a body of
 * LIMIT_FLOW_BODY in base64 fits), one parsed entry at most
 * LIMIT_HAR_ENTRY (core/flows/har.c measures it); the writer refuses an
 * entry past either, so that trawl reads every file it writes.
 */
#define LIMIT_HAR_STRING	(8 * 1024 * 1024)
#define LIMIT_HAR_ENTRY		(128ULL * 1024 * 1024)
/* Decoded (decompressed) body trawl produces for display or filters. */
#define LIMIT_DECODED_BODY	(16 * 1024 * 1024)

/* Leaf certificates trawl's CA keeps signed, least recently used out. */
#define LIMIT_CERT_CACHE	256
/* Bytes of TLS records that may hold one ClientHello (peeked, buffered). */
#define LIMIT_TLS_HELLO		(64 * 1024)
/* A CA key or certificate file that trawl will read. */
#define LIMIT_CA_FILE		(64 * 1024)

/* Local mode netstack (core/net/netstack.c, core/net/nat.c). */
/* Bytes lwIP may allocate for packets and queued segments, all pcbs. */
#define LIMIT_NETSTACK_MEM	(256 * 1024 * 1024)
/* NAT entries (one per TCP connection or UDP 5-tuple), all families. */
#define LIMIT_NAT_ENTRIES	32768
/* Seconds an entry no connection holds (handshake, after close) lives. */
#define LIMIT_NAT_IDLE_SEC	30
/* Idle seconds before a UDP pseudo-connection expires. */
#define LIMIT_UDP_IDLE_SEC	60
/* Packets read from the tun in one wake-up before others get a turn. */
#define LIMIT_TUN_BATCH		256
/* Text of one DNS response's answers kept in its flow (core/flows/dns.c). */
#define LIMIT_DNS_ANSWERS	(16 * 1024)
/* DNS queries awaiting their answer on one UDP 5-tuple (core/proxy/udprelay.c). */
#define LIMIT_DNS_PENDING	32

#endif
