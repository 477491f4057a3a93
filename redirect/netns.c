/*
 * netns.c -- check and enter a network namespace named by path.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redirect/msg.h"
#include "redirect/netns.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC	0x6e736673
#endif

/* Groups root may hold while it stands in for the user (dropped). */
#define NETNS_GROUPS	64

/*
 * Opens path with uid/gid as the effective ids and no supplementary
 * groups: what the user could open, and nothing else. Non-blocking and
 * without a controlling terminal, should the path be a FIFO or a tty.
 */
static int
open_as(const char *path, uid_t uid, gid_t gid, int *err)
{
	gid_t	groups[NETNS_GROUPS], egid = getegid();
	int	ngroups = -1, fd = -1;
	int	flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	/* Not as root (ambient capabilities): this process is the user. */
	int	as_user = uid != 0 && geteuid() == 0;

	*err = 0;
	if (as_user && ((ngroups = getgroups(NETNS_GROUPS, groups)) == -1 ||
	    setgroups(0, NULL) == -1 || setegid(gid) == -1 ||
	    seteuid(uid) == -1)) {
		*err = errno;
		goto out;
	}
	if ((fd = open(path, flags)) == -1)
		*err = errno;
out:
	/* Back to root; failing that, this process must not go on. */
	if (as_user && (seteuid(0) == -1 || setegid(egid) == -1 ||
	    (ngroups >= 0 && setgroups((size_t)ngroups, groups) == -1)))
		_exit(1);
	return fd;
}

int
rd_netns_enter(const char *path, uid_t uid, gid_t gid, char **cause)
{
	struct statfs	sfs;
	int		fd, err, type, rc = -1;

	if (path[0] == '\0')
		return rd_fail(cause, "--netns: empty path");
	if ((fd = open_as(path, uid, gid, &err)) == -1)
		return rd_fail(cause, "netns %s: %s", path, strerror(err));
	/* nsfs first: the ioctl goes to no other kind of file. */
	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC) {
		rd_fail(cause, "%s is not a namespace (not on nsfs)", path);
		goto out;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		rd_fail(cause, "%s is not a network namespace", path);
		goto out;
	}
	if (setns(fd, CLONE_NEWNET) == -1) {
		rd_fail(cause, "entering netns %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
