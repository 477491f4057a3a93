/*
 * sysctl.c -- /proc/sys writes with an undo list.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redirect/sysctl.h"

#define SYSCTL_VALUE	64

struct saved {
	char	path[PATH_MAX];
	char	value[SYSCTL_VALUE];
};

static struct saved	saved[RD_SYSCTL_MAX];
static int		nsaved;

static int
sysctl_write(const char *path, const char *value)
{
	char	full[PATH_MAX];
	int	fd, rc = -1;
	size_t	len = strlen(value);

	if (snprintf(full, sizeof full, "/proc/sys/%s", path) >=
	    (int)sizeof full) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (write(fd, value, len) == (ssize_t)len)
		rc = 0;
	close(fd);
	return rc;
}

int
rd_sysctl_get(const char *path, char *buf, size_t len)
{
	char	full[PATH_MAX];
	ssize_t	n;
	int	fd;

	if (len == 0 || snprintf(full, sizeof full, "/proc/sys/%s", path) >=
	    (int)sizeof full)
		return -1;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int
rd_sysctl_set(const char *path, const char *value, char **cause)
{
	char	old[SYSCTL_VALUE];

	if (rd_sysctl_get(path, old, sizeof old) != 0) {
		if (asprintf(cause, "reading %s: %s", path,
		    strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	if (strcmp(old, value) == 0)
		return 0;
	if (nsaved == RD_SYSCTL_MAX)
		abort();
	if (sysctl_write(path, value) != 0) {
		if (asprintf(cause, "setting %s=%s: %s", path, value,
		    strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	snprintf(saved[nsaved].path, sizeof saved[nsaved].path, "%s", path);
	snprintf(saved[nsaved].value, sizeof saved[nsaved].value, "%s", old);
	nsaved++;
	return 0;
}

int
rd_sysctl_put(const char *path, const char *value, char **cause)
{
	if (sysctl_write(path, value) != 0) {
		if (asprintf(cause, "setting %s=%s: %s", path, value,
		    strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	return 0;
}

void
rd_sysctl_restore(void)
{
	while (nsaved > 0) {
		nsaved--;
		/* A tun's own values vanish with it: nothing to restore. */
		if (sysctl_write(saved[nsaved].path, saved[nsaved].value) != 0 &&
		    errno != ENOENT)
			fprintf(stderr, "trawl-redirector: restoring %s=%s: "
			    "%s\n", saved[nsaved].path, saved[nsaved].value,
			    strerror(errno));
	}
}
