/*
 * journal.c -- session files and shared values under /run/trawl.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redirect/diag.h"
#include "redirect/journal.h"
#include "redirect/msg.h"
#include "redirect/netlink.h"
#include "redirect/sysctl.h"

/* Bytes of a session file or of the shared file (a few lines each). */
#define JOURNAL_FILE_MAX	4096

struct rd_journal {
	int	top;		/* RD_JOURNAL_DIR */
	int	dir;		/* RD_JOURNAL_DIR/<netns> */
	char	dirname[32];	/* <netns> */
	int	lock;		/* RD_JOURNAL_DIR/lock while held, else -1 */
	int	self;		/* this session's file, flock'ed for life */
	char	name[32];	/* s.<pid> */
};

/* A directory of root's that nobody else may write. */
static int
owned(int fd, const char *path, char **cause)
{
	struct stat	st;

	if (fstat(fd, &st) == -1)
		return rd_fail(cause, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return rd_fail(cause, "%s is not a directory of root's that "
		    "only root may write", path);
	return 0;
}

/* Opens RD_JOURNAL_DIR into j->top and the namespace's into j->dir. */
static int
open_dirs(struct rd_journal *j, uint64_t netns, char **cause)
{
	char	*name = j->dirname;
	int	 top, dir = -1;

	if (mkdir(RD_JOURNAL_DIR, 0700) == -1 && errno != EEXIST) {
		rd_fail(cause, "%s: %s", RD_JOURNAL_DIR, strerror(errno));
		return -1;
	}
	top = open(RD_JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (top == -1) {
		rd_fail(cause, "%s: %s", RD_JOURNAL_DIR, strerror(errno));
		return -1;
	}
	if (owned(top, RD_JOURNAL_DIR, cause) != 0)
		goto out;
	snprintf(name, sizeof j->dirname, "%llu", (unsigned long long)netns);
	if (mkdirat(top, name, 0700) == -1 && errno != EEXIST) {
		rd_fail(cause, "%s/%s: %s", RD_JOURNAL_DIR, name,
		    strerror(errno));
		goto out;
	}
	dir = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dir == -1)
		rd_fail(cause, "%s/%s: %s", RD_JOURNAL_DIR, name,
		    strerror(errno));
	else if (owned(dir, name, cause) != 0) {
		close(dir);
		dir = -1;
	}
out:
	if (dir == -1) {
		close(top);
		return -1;
	}
	j->top = top;
	j->dir = dir;
	return 0;
}

/* Removes the namespace's directory once nothing is journalled in it. */
static void
remove_dir(struct rd_journal *j)
{
	/* Under the lock: nobody else is between mkdirat and openat. */
	if (unlinkat(j->top, j->dirname, AT_REMOVEDIR) == 0) {
		close(j->dir);
		j->dir = -1;
	}
}

static int
take_lock(struct rd_journal *j, char **cause)
{
	int	fd;

	/* One lock for every namespace: it never goes away. */
	fd = openat(j->top, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return rd_fail(cause, "%s lock: %s", RD_JOURNAL_DIR,
		    strerror(errno));
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return rd_fail(cause, "%s lock: %s", RD_JOURNAL_DIR,
			    strerror(errno));
		}
	}
	j->lock = fd;
	return 0;
}

void
rd_journal_unlock(struct rd_journal *j)
{
	if (j != NULL && j->lock != -1) {
		close(j->lock);		/* releases the flock */
		j->lock = -1;
	}
}

void
rd_journal_forget_lock(struct rd_journal *j)
{
	/* The parent's descriptor of the same open file keeps the lock. */
	if (j != NULL && j->lock != -1) {
		close(j->lock);
		j->lock = -1;
	}
}

/* Reads a whole small file at fd into buf (len bytes). 0 or -1. */
static int
read_all(int fd, char *buf, size_t len)
{
	ssize_t	n;

	n = pread(fd, buf, len - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
read_session(int fd, struct rd_session *s)
{
	char	buf[JOURNAL_FILE_MAX], name[IF_NAMESIZE + 1];

	memset(s, 0, sizeof *s);
	if (read_all(fd, buf, sizeof buf) != 0)
		return -1;
	if (sscanf(buf, "ifindex %d\nifname %16s\ntable %u\nrule6 %d\n",
	    &s->ifindex, name, &s->table, &s->rule6) != 4 ||
	    strlen(name) >= IF_NAMESIZE) {
		memset(s, 0, sizeof *s);
		return -1;
	}
	if (strcmp(name, "-") != 0)
		memcpy(s->ifname, name, strlen(name) + 1);
	return 0;
}

int
rd_journal_record(struct rd_journal *j, const struct rd_session *s,
    char **cause)
{
	char	buf[256];
	int	n;

	n = snprintf(buf, sizeof buf, "ifindex %d\nifname %s\ntable %u\n"
	    "rule6 %d\n", s->ifindex, s->ifname[0] != '\0' ? s->ifname : "-",
	    s->table, s->rule6 ? 1 : 0);
	if (ftruncate(j->self, 0) == -1 ||
	    pwrite(j->self, buf, (size_t)n, 0) != n)
		return rd_fail(cause, "%s/%s: %s", RD_JOURNAL_DIR, j->name,
		    strerror(errno));
	return 0;
}

/* Undoes a session: its sockets, its IPv6 rule, its tun if still there. */
static void
undo(int nl, const struct rd_session *s, int quiet)
{
	char	*cause = NULL, name[IF_NAMESIZE];

	if (s->ifindex <= 0)
		return;
	if (rd_diag_destroy(s->ifindex) == -1 && !quiet)
		fprintf(stderr, "trawl-redirector: could not end the captured "
		    "connections (SOCK_DESTROY: CONFIG_INET_DIAG_DESTROY)\n");
	if (s->rule6 && s->ifname[0] != '\0' &&
	    rd_netlink_rule(nl, 0, s->ifname, s->table, &cause) != 0) {
		if (!quiet)
			fprintf(stderr, "trawl-redirector: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	/* Deleted even while trawl holds its fd; the name guards reuse. */
	if (if_indextoname((unsigned)s->ifindex, name) != NULL &&
	    strcmp(name, s->ifname) == 0 &&
	    rd_netlink_link_del(nl, s->ifindex, &cause) != 0) {
		if (!quiet)
			fprintf(stderr, "trawl-redirector: %s\n", cause);
		free(cause);
	}
}

/*
 * Undoes and removes the files of dead sessions. Returns how many other
 * sessions are alive.
 */
static int
scan(struct rd_journal *j, int nl)
{
	struct rd_session	 s;
	struct dirent		*de;
	DIR			*d;
	int			 fd, dup_dir, live = 0;

	if ((dup_dir = dup(j->dir)) == -1)
		return 0;
	if ((d = fdopendir(dup_dir)) == NULL) {
		close(dup_dir);
		return 0;
	}
	rewinddir(d);		/* the offset is shared with j->dir */
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "s.", 2) != 0 ||
		    strcmp(de->d_name, j->name) == 0)
			continue;
		fd = openat(j->dir, de->d_name, O_RDWR | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			live++;
			close(fd);
			continue;
		}
		/* Nobody holds it: its session died without undoing. */
		if (read_session(fd, &s) == 0)
			undo(nl, &s, 1);
		unlinkat(j->dir, de->d_name, 0);
		close(fd);
	}
	closedir(d);
	return live;
}

/* Puts back every shared value still as a session set it. */
static void
restore_shared(struct rd_journal *j)
{
	char	 buf[JOURNAL_FILE_MAX], cur[64], path[PATH_MAX];
	char	 orig[64], set[64], *line, *next, *cause = NULL;
	int	 fd;

	fd = openat(j->dir, "shared", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;
	if (read_all(fd, buf, sizeof buf) == 0) {
		for (line = buf; line != NULL && *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (sscanf(line, "%4095s %63s %63s", path, orig,
			    set) != 3)
				continue;
			/* Changed by someone else since: theirs now. */
			if (rd_sysctl_get(path, cur, sizeof cur) != 0 ||
			    strcmp(cur, set) != 0)
				continue;
			if (rd_sysctl_put(path, orig, &cause) != 0) {
				fprintf(stderr, "trawl-redirector: restoring "
				    "%s\n", cause);
				free(cause);
				cause = NULL;
			}
		}
	}
	close(fd);
	unlinkat(j->dir, "shared", 0);
}

/* Is path journalled in the shared file already? */
static int
shared_has(struct rd_journal *j, const char *path)
{
	char	 buf[JOURNAL_FILE_MAX], *line, *next;
	size_t	 len = strlen(path);
	int	 fd, found = 0;

	fd = openat(j->dir, "shared", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (read_all(fd, buf, sizeof buf) == 0) {
		for (line = buf; line != NULL && *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				next++;
			if (strncmp(line, path, len) == 0 && line[len] == ' ')
				found = 1;
		}
	}
	close(fd);
	return found;
}

int
rd_journal_lower(struct rd_journal *j, const char *path, const char *from,
    const char *to, char **cause)
{
	char	cur[64], line[PATH_MAX + 160];
	int	fd, n;

	if (rd_sysctl_get(path, cur, sizeof cur) != 0)
		return rd_fail(cause, "reading %s: %s", path, strerror(errno));
	if (strcmp(cur, from) != 0)
		return 0;
	/* Journalled before it is changed: a crash in between is harmless. */
	if (!shared_has(j, path)) {
		n = snprintf(line, sizeof line, "%s %s %s\n", path, from, to);
		fd = openat(j->dir, "shared", O_WRONLY | O_CREAT | O_APPEND |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 || write(fd, line, (size_t)n) != n) {
			rd_fail(cause, "%s/shared: %s", RD_JOURNAL_DIR,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return rd_sysctl_put(path, to, cause);
}

struct rd_journal *
rd_journal_open(uint64_t netns, int nl, char **cause)
{
	struct rd_journal	*j;
	struct rd_session	 none;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		rd_fail(cause, "out of memory");
		return NULL;
	}
	j->top = j->dir = j->lock = j->self = -1;
	snprintf(j->name, sizeof j->name, "s.%d", (int)getpid());
	if (open_dirs(j, netns, cause) != 0)
		goto fail;
	if (take_lock(j, cause) != 0)
		goto fail;
	/* Removed by another session's end since we opened it: again. */
	close(j->dir);
	j->dir = openat(j->top, j->dirname, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (j->dir == -1 && errno == ENOENT &&
	    mkdirat(j->top, j->dirname, 0700) == 0)
		j->dir = openat(j->top, j->dirname, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (j->dir == -1) {
		rd_fail(cause, "%s/%s: %s", RD_JOURNAL_DIR, j->dirname,
		    strerror(errno));
		goto fail;
	}
	if (scan(j, nl) == 0)
		restore_shared(j);
	j->self = openat(j->dir, j->name, O_RDWR | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->self == -1 || flock(j->self, LOCK_EX | LOCK_NB) == -1) {
		rd_fail(cause, "%s/%s: %s", RD_JOURNAL_DIR, j->name,
		    strerror(errno));
		goto fail;
	}
	memset(&none, 0, sizeof none);
	if (rd_journal_record(j, &none, cause) != 0)
		goto fail;
	return j;
fail:
	if (j->self != -1) {
		unlinkat(j->dir, j->name, 0);
		close(j->self);
	}
	rd_journal_unlock(j);
	if (j->dir != -1)
		close(j->dir);
	if (j->top != -1)
		close(j->top);
	free(j);
	return NULL;
}

void
rd_journal_close(struct rd_journal *j, int nl)
{
	struct rd_session	 s;
	char			*cause = NULL;

	if (j == NULL)
		return;
	if (j->lock == -1 && take_lock(j, &cause) != 0) {
		/* Undone anyway; the next start sorts out the count. */
		fprintf(stderr, "trawl-redirector: %s\n", cause);
		free(cause);
	}
	if (read_session(j->self, &s) == 0)
		undo(nl, &s, 0);
	unlinkat(j->dir, j->name, 0);
	if (scan(j, nl) == 0) {
		restore_shared(j);
		remove_dir(j);
	}
	rd_journal_unlock(j);
	close(j->self);
	if (j->dir != -1)
		close(j->dir);
	close(j->top);
	free(j);
}
