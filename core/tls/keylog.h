/*
 * keylog.h -- NSS key log lines (the SSLKEYLOGFILE format Wireshark reads)
 * for every TLS session trawl makes, toward clients and toward servers.
 *
 * Lines are appended to the file, one write(2) each on an O_APPEND fd, so
 * they interleave whole with other programs logging to the same file.
 * The file holds session secrets: it is created with mode 0600, and an
 * existing regular file is narrowed to 0600 before anything is written.
 */
#ifndef CORE_KEYLOG_H
#define CORE_KEYLOG_H

#include <openssl/ssl.h>

struct keylog;

/* The file to log to: option (--keylog) when set, else $SSLKEYLOGFILE,
 * else NULL (no key log). */
const char	*core_keylog_path(const char *option);

/* Opens path for appending. Caller frees with core_keylog_free, after the
 * last SSL_CTX it was attached to. NULL with *cause on error. */
struct keylog	*core_keylog_open(const char *path, char **cause);
void		 core_keylog_free(struct keylog *);

/* Logs the sessions of ctx to kl. Uses ctx's app data slot. */
void		 core_keylog_attach(struct keylog *, SSL_CTX *ctx);

/* Lines written so far (for tests and the status line). */
unsigned long	 core_keylog_lines(const struct keylog *);

#endif
