/*
 * keylog.c -- append NSS key log lines to a file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tls/keylog.h"
#include "core/tls/keytap.h"

struct keylog {
	int		 fd;
	char		*path;
	unsigned long	 lines;
};

/* core_keytap_set's hook. */
static void	(*tap_fn)(const char *, size_t, void *);
static void	*tap_arg;

void
core_keytap_set(void (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	tap_fn = fn;
	tap_arg = arg;
}

const char *
core_keylog_path(const char *option)
{
	const char	*env;

	if (option != NULL && option[0] != '\0')
		return option;
	if ((env = getenv("SSLKEYLOGFILE")) != NULL && env[0] != '\0')
		return env;
	return NULL;
}

struct keylog *
core_keylog_open(const char *path, char **cause)
{
	struct keylog	*kl;
	struct stat	 st;

	if ((kl = calloc(1, sizeof *kl)) == NULL ||
	    (kl->path = strdup(path)) == NULL) {
		free(kl);
		if (cause != NULL && asprintf(cause, "out of memory") == -1)
			*cause = NULL;
		return NULL;
	}
	kl->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY |
	    O_CLOEXEC, 0600);
	if (kl->fd == -1) {
		if (cause != NULL && asprintf(cause, "cannot open key log %s: "
		    "%s", path, strerror(errno)) == -1)
			*cause = NULL;
		goto fail;
	}
	/*
	 * O_CREAT's mode is for new files only: a key log that already
	 * exists (SSLKEYLOGFILE shared with browsers) is narrowed to 0600
	 * before a secret goes in. A FIFO (Wireshark reading live) or a
	 * device is left alone.
	 */
	if (fstat(kl->fd, &st) == -1 || (S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) != 0600 && fchmod(kl->fd, 0600) == -1)) {
		if (cause != NULL && asprintf(cause, "cannot make key log %s "
		    "private (mode 0600): %s", path, strerror(errno)) == -1)
			*cause = NULL;
		close(kl->fd);
		goto fail;
	}
	return kl;
fail:
	free(kl->path);
	free(kl);
	return NULL;
}

void
core_keylog_free(struct keylog *kl)
{
	if (kl == NULL)
		return;
	close(kl->fd);
	free(kl->path);
	free(kl);
}

/* BoringSSL hands over one line without its newline. */
static void
keylog_cb(const SSL *ssl, const char *line)
{
	struct keylog	*kl = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	char		 buf[512];
	size_t		 n = strlen(line);
	ssize_t		 r;

	/* The client side's sessions, for a capture of its packets. */
	if (tap_fn != NULL && SSL_is_server(ssl))
		tap_fn(line, n, tap_arg);
	/* Lines are ~200 bytes; a longer one is not worth a half write. */
	if (kl == NULL || n + 1 > sizeof buf)
		return;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	do
		r = write(kl->fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r == (ssize_t)n)
		kl->lines++;
	explicit_bzero(buf, sizeof buf);
}

void
core_keylog_attach(struct keylog *kl, SSL_CTX *ctx)
{
	SSL_CTX_set_app_data(ctx, kl);
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
}

unsigned long
core_keylog_lines(const struct keylog *kl)
{
	return kl->lines;
}
