/*
 * netns.c -- check the namespace and find the cgroup of --netns and
 * --container before the redirector starts.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/net/netns.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC	0x6e736673
#endif

/* Bytes of /proc/PID/cgroup read (one "0::/path" line under v2). */
#define NETNS_CGROUP_FILE	8192

int
core_netns_is_pid(const char *arg)
{
	size_t	n = strspn(arg, "0123456789");

	return n > 0 && n < 11 && arg[n] == '\0' && arg[0] != '0';
}

/* /proc/PID, or an error naming the pid. */
static int
check_pid(const char *pid, char **cause)
{
	char		path[32];
	struct stat	st;

	if (!core_netns_is_pid(pid)) {
		core_cause(cause, "%s is not a pid", pid);
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%s", pid);
	if (stat(path, &st) == -1) {
		core_cause(cause, "no process %s", pid);
		return -1;
	}
	return 0;
}

int
core_netns_resolve(const char *arg, char **out, char **cause)
{
	struct statfs	 sfs;
	char		*path = NULL;
	int		 fd, rc = -1;

	if (arg[0] == '\0') {
		core_cause(cause, "--netns: empty path");
		return -1;
	}
	if (core_netns_is_pid(arg)) {
		if (check_pid(arg, cause) != 0)
			return -1;
		if (asprintf(&path, "/proc/%s/ns/net", arg) == -1)
			abort();
	} else if ((path = strdup(arg)) == NULL)
		abort();
	/* Non-blocking, no tty: the path may be anything. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == EACCES || errno == EPERM)
			core_cause(cause, "netns %s: %s (another user's "
			    "namespace: run trawl as root)", path,
			    strerror(errno));
		else
			core_cause(cause, "netns %s: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC)
		core_cause(cause, "%s is not a namespace (try "
		    "/proc/PID/ns/net or /run/netns/NAME)", path);
	else if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		core_cause(cause, "%s is not a network namespace", path);
	else
		rc = 0;
	close(fd);
out:
	if (rc == 0)
		*out = path;
	else
		free(path);
	return rc;
}

/* The first cgroup2 mount's directory, into mnt (PATH_MAX). 0 or -1. */
static int
cgroup2_mount(char *mnt)
{
	struct mntent	*m;
	FILE		*f;
	int		 rc = -1;

	if ((f = setmntent("/proc/self/mounts", "r")) == NULL)
		return -1;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(mnt, PATH_MAX, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	return rc;
}

int
core_netns_cgroup(const char *pid, char **out, char **cause)
{
	char	 buf[NETNS_CGROUP_FILE], file[32], mnt[PATH_MAX];
	char	*line, *next, *rel = NULL;
	ssize_t	 n;
	int	 fd;

	if (check_pid(pid, cause) != 0)
		return -1;
	snprintf(file, sizeof file, "/proc/%s/cgroup", pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		core_cause(cause, "%s: %s", file, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		core_cause(cause, "%s: %s", file, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "0::/", 4) == 0) {
			rel = line + 3;
			break;
		}
	}
	if (rel == NULL) {
		core_cause(cause, "process %s is in no cgroup v2 (%s has no "
		    "0:: line): use --netns and --cgroup", pid, file);
		return -1;
	}
	if (cgroup2_mount(mnt) != 0) {
		core_cause(cause, "no cgroup v2 mount in /proc/self/mounts");
		return -1;
	}
	if (strcmp(rel, "/") == 0)
		rel = "";
	if (asprintf(out, "%s%s", mnt, rel) == -1)
		abort();
	return 0;
}
