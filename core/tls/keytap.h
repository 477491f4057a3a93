/*
 * keytap.h -- a hook on the key log lines (NSS format, no newline) of the
 * TLS sessions trawl terminates toward the captured programs, i.e. where
 * trawl is the server: what a packet capture of the client side needs to
 * be decrypted (core/net/pcap.h's Decryption Secrets Blocks).
 *
 * No BoringSSL type here, so the front end can wire it to the capture.
 * The lines are secrets: the hook must not keep them past its call
 * except where they are meant to go. One hook per process; NULL removes
 * it. Implemented in keylog.c, which logs every server context
 * (core_tls_server_ctx_new attaches it).
 */
#ifndef CORE_KEYTAP_H
#define CORE_KEYTAP_H

#include <stddef.h>

void	core_keytap_set(void (*fn)(const char *line, size_t len, void *arg),
	    void *arg);

#endif
