/*
 * pcap.h -- `--pcap FILE`: local mode's packets, as they crossed the tun,
 * in a pcapng file that carries the TLS secrets to decrypt them.
 *
 * One file per process (the netstack is one per process too). The file
 * is a section header, one interface (LINKTYPE_RAW: IP packets, no link
 * header), then Enhanced Packet Blocks with a timestamp (microseconds)
 * and a direction, and a Decryption Secrets Block (TLS key log) for each
 * key log line handed in, written in the order things happened so that
 * a one-pass reader (tshark) has every secret before the records it
 * opens. Packets keep the checksums the tun carried: with the tun's
 * offload, TCP's is only the pseudo-header part.
 *
 * Blocks are gathered in a buffer of LIMIT_PCAP_BUFFER bytes and written
 * when it is full and at close. The file is created 0600 (an existing
 * one is narrowed to 0600 first): it holds captured data and secrets. A
 * failed write stops the capture with a notice; the file then ends at
 * the last whole block.
 */
#ifndef CORE_PCAP_H
#define CORE_PCAP_H

#include <stddef.h>

struct iovec;

/* Direction, seen from the captured programs. */
#define PCAP_SENT	2	/* read from the tun: a program sent it */
#define PCAP_RECEIVED	1	/* written to the tun: for a program */

/* Starts the file at path (truncating it). 0, or -1 with *cause. */
int	core_pcap_open(const char *path, char **cause);
/* 1 while a file is open and writable. */
int	core_pcap_active(void);
/* One packet, whole or in pieces; nothing when no file is open. */
void	core_pcap_packet(int dir, const void *pkt, size_t len);
void	core_pcap_packetv(int dir, const struct iovec *iov, int iovcnt);
/* One packet stamped t (epoch seconds), not now: a synthesized one. */
void	core_pcap_packet_at(int dir, double t, const void *pkt, size_t len);
/* One NSS key log line (without its newline). */
void	core_pcap_secret(const char *line, size_t len);
/* Packets written so far. */
unsigned long core_pcap_packets(void);
/* Writes what is buffered and closes. 0, or -1 with *cause when some
 * of the file could not be written. Safe when nothing is open. */
int	core_pcap_close(char **cause);

#endif
