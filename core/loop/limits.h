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
/* Idle seconds before a client connection is closed. */
#define LIMIT_IDLE_CLIENT_SEC	60
/* Idle seconds before an explicit-proxy client's idle upstream to a host
 * is closed: shorter than common servers' keep-alive (Apache and Node.js
 * wait 5 s), so trawl closes first and never sends into a closing one. */
#define LIMIT_IDLE_UPSTREAM_SEC	4
/* Seconds a client has to send a whole request head once it started
 * one (slowloris), or its first byte after connecting. */
#define LIMIT_HEAD_SEC		30
/* Idle seconds before a raw tunnel (CONNECT, TCP) is closed. */
#define LIMIT_IDLE_TUNNEL_SEC	600
/* Seconds allowed for resolving and connecting to an upstream. */
#define LIMIT_CONNECT_SEC	15
/* Concurrent client connections. */
#define LIMIT_CONNECTIONS	8192
/* Idle upstream connections one client connection keeps (one per host
 * an explicit-proxy client asked for), and kept across every client.
 * Each belongs to a client connection that is still open, so the cap
 * across clients is one per client: a lower one closed the upstreams of
 * clients merely waiting between requests, and each of their next
 * requests paid a new connection (bench/RESULTS.md (s)). */
#define LIMIT_UPSTREAMS_PER_CLIENT 8
#define LIMIT_IDLE_UPSTREAMS	LIMIT_CONNECTIONS
/* Requests queued on one client connection (pipelining). */
#define LIMIT_PIPELINE		32

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
/* Seconds a client that has started a TLS record has to complete its
 * ClientHello (past the sniffer's one quiet second). */
#define LIMIT_TLS_HELLO_SEC	10
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
/* Client SYNs held unanswered while trawl connects to their server
 * first (core/net/netstack.c); past it new SYNs are dropped, as a
 * kernel's full SYN queue does, and the clients retry. */
#define LIMIT_SYN_HELD		4096
/* Seconds such a connect may take: past Linux's own give-up (~127 s with
 * tcp_syn_retries 6), so the kernel's timeout is the one that counts. */
#define LIMIT_SYN_WAIT_SEC	150
/* Packets read from the tun in one wake-up before others get a turn. */
#define LIMIT_TUN_BATCH		256
/* Bytes of --pcap blocks held before they are written out (core/net/pcap.c). */
#define LIMIT_PCAP_BUFFER	(1024 * 1024)
/* Text of one DNS response's answers kept in its flow (core/flows/dns.c). */
#define LIMIT_DNS_ANSWERS	(16 * 1024)
/* DNS queries awaiting their answer on one UDP 5-tuple (core/proxy/udprelay.c). */
#define LIMIT_DNS_PENDING	32

/* gRPC and protobuf bodies shown without a schema (core/flows/grpc.c). */
/* Nested messages decoded inside one another; deeper ones show as bytes. */
#define LIMIT_GRPC_DEPTH	32
/* gRPC messages of one body decoded; the rest are only counted. */
#define LIMIT_GRPC_MESSAGES	1024
/* Bytes of text one body's decoding produces; past it the text is cut. */
#define LIMIT_GRPC_TEXT		(2 * 1024 * 1024)
/* Bytes of one bytes field (or undecodable rest) shown in hex. */
#define LIMIT_GRPC_HEX		256
/* Values shown when bytes also read as packed varints. */
#define LIMIT_GRPC_PACKED	32
/* Bytes inflated from compressed messages of one body, all messages. */
#define LIMIT_GRPC_INFLATED	(64 * 1024 * 1024)

/* HTTP/2 codec (core/http/h2.c), per connection unless it says stream. */
/* Streams the peer may open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
#define LIMIT_H2_STREAMS	100
/* Bytes of one received header list, counted as RFC 9113 does (name +
 * value + 32 per field); advertised as SETTINGS_MAX_HEADER_LIST_SIZE. */
#define LIMIT_H2_HEADER_LIST	(64 * 1024)
/* HPACK dynamic table, each direction (SETTINGS_HEADER_TABLE_SIZE). */
#define LIMIT_H2_HPACK_TABLE	4096
/* CONTINUATION frames after one HEADERS (CVE-2024-28182; nghttp2 counts). */
#define LIMIT_H2_CONTINUATIONS	8
/* Receive windows: what a peer may send that the receiver has not
 * consumed yet, per stream and in all. The connection window is four
 * stream windows, so a few stalled streams never stall the others. */
#define LIMIT_H2_STREAM_WINDOW	(4 * 1024 * 1024)
#define LIMIT_H2_CONN_WINDOW	(16 * 1024 * 1024)
/* Bytes queued to send on one stream before on_writable is owed; data
 * past it plus a stream window is refused. */
#define LIMIT_H2_SEND_QUEUE	(256 * 1024)
/* Bytes one core_h2_flush hands to the wire before it yields. */
#define LIMIT_H2_OUTPUT		(256 * 1024)
/* Rapid reset (CVE-2023-44487): streams the client may have reset (or
 * made trawl reset) beyond those that completed before it is cut off. */
#define LIMIT_H2_RAPID_RESET	128
/* DATA frames in a row carrying nothing (no payload, no END_STREAM). */
#define LIMIT_H2_EMPTY_FRAMES	128

/* Proxy modes (core/proxy/socks5.c, core/proxy/connect.c). */
/* Bytes of a SOCKS5 client's handshake (greeting, RFC 1929 login, request)
 * held before the reply; and seconds it has for all of it. */
#define LIMIT_SOCKS5_HANDSHAKE	1024
#define LIMIT_SOCKS5_SEC	10
/* Destinations one SOCKS5 UDP association relays to at once. */
#define LIMIT_SOCKS5_UDP_PEERS	64
/* Bytes of an upstream proxy's answer to CONNECT (its head). */
#define LIMIT_PROXY_REPLY	(16 * 1024)
/* WebSocket messages (core/http/ws.c, core/proxy/wsrelay.c, flows). */
/* Payload bytes of one message kept (after inflating); the rest is
 * counted. An intercepted, edited or injected message is at most this. */
#define LIMIT_WS_MESSAGE	(1024 * 1024)
/* Messages one flow keeps (the newest); older ones are only counted. */
#define LIMIT_WS_MESSAGES	10000
/* Payload bytes all kept messages of one flow hold; past it the oldest
 * messages go, as past LIMIT_WS_MESSAGES. */
#define LIMIT_WS_FLOW_BYTES	(16 * 1024 * 1024)
/* Wire bytes held back in one direction while a message is
 * intercepted; past it that direction's reading stops. */
#define LIMIT_WS_HOLD		(4 * 1024 * 1024)

/* Bytes of one raw TCP chunk (a read) or UDP datagram kept in the
 * flow's message list (core/proxy/tunnel.c, udprelay.c); the rest is
 * counted. */
#define LIMIT_RAW_CHUNK		(16 * 1024)
/* Payload bytes the chunks of one raw flow keep in all; later chunks keep
 * only their time and size (the bytes are in the up/down prefix). */
#define LIMIT_RAW_FLOW_BYTES	(1024 * 1024)

/* QUIC (issue 17), local mode's dispatch of UDP. A UDP datagram is at
 * most this big (the IPv4/IPv6 payload limit). */
#define LIMIT_UDP_DATAGRAM	65527
/* Bytes of CRYPTO frames reassembled from a client's Initial packets to
 * find its ClientHello; a ClientHello past them is not looked at. */
#define LIMIT_QUIC_CRYPTO	(16 * 1024)
/* A client's first datagrams held while its ClientHello is incomplete
 * (large ones span two or three Initial packets). */
#define LIMIT_QUIC_HELLO_HELD	4

/* QUIC interception (core/quic, issue 17). Streams each peer may open
 * at once (bidirectional; unidirectional ones: HTTP/3's control and
 * QPACK streams and a few more). */
#define LIMIT_QUIC_STREAMS_BIDI	100
#define LIMIT_QUIC_STREAMS_UNI	8
/* Flow-control windows trawl grants: one stream, the connection. Bytes
 * written to one stream and not yet acknowledged are capped at the
 * window too: a peer that stops acknowledging stops the relay. */
#define LIMIT_QUIC_STREAM_WINDOW (256 * 1024)
#define LIMIT_QUIC_CONN_WINDOW	(4 * 1024 * 1024)
/* Bytes of one UDP datagram trawl sends or accepts (RFC 9000 14: at
 * least 1200; the tun's MTU bounds it). */
#define LIMIT_QUIC_DATAGRAM	1452
/* Datagrams of the client held while the server's handshake is under
 * way (the client's handshake waits for it). */
#define LIMIT_QUIC_HELD		16
/* Seconds a QUIC connection may stay idle. */
#define LIMIT_QUIC_IDLE_SEC	30
/* HTTP/3 codec (core/http/h3.c): bytes of one received field section
 * (SETTINGS_MAX_FIELD_SECTION_SIZE), and bytes queued on one stream
 * beyond what QUIC took before the other side stops being read. */
#define LIMIT_H3_HEADER_LIST	(64 * 1024)
#define LIMIT_H3_SEND_QUEUE	(256 * 1024)
/* Streams one HTTP/3 connection may have blocked by QUIC at once. */
#define LIMIT_H3_BLOCKED	(LIMIT_QUIC_STREAMS_BIDI + LIMIT_QUIC_STREAMS_UNI)

#endif
