/*
 * journal.h -- what a session changed on the host, journalled under /run
 * so that it is undone even when the redirector is SIGKILLed, and shared
 * settings counted across the sessions of one network namespace.
 *
 * RD_JOURNAL_DIR (root's, 0700) holds "lock", flock'ed by whoever reads or
 * changes the journal, and one directory per network namespace (named by
 * its cookie, removed when empty), holding:
 *   s.<pid>   one per session, flock'ed by it (and its watchdog, which
 *             shares the open file) for its lifetime; names what to undo:
 *             the tun and the IPv6 rule;
 *   shared    "path original set" per shared sysctl changed for the
 *             sessions, put back when the last session is gone.
 * A session file nobody holds locked belongs to a dead session: the next
 * start or end in that namespace undoes what it names, and, once no live
 * session is left, puts the shared values back.
 */
#ifndef REDIRECT_JOURNAL_H
#define REDIRECT_JOURNAL_H

#include <net/if.h>
#include <stdint.h>

#define RD_JOURNAL_DIR	"/run/trawl"

struct rd_journal;

/* What a session must undo (its file's contents). */
struct rd_session {
	int		ifindex;		/* 0: no tun yet */
	char		ifname[IF_NAMESIZE];
	uint32_t	table;
	int		rule6;			/* the IPv6 rule exists */
};

/*
 * Opens the namespace's directory, takes its lock, undoes dead sessions
 * (restoring shared values when none is left) and creates this session's
 * file. Returns with the lock held (rd_journal_unlock). Caller frees with
 * rd_journal_close. NULL with *cause.
 */
struct rd_journal	*rd_journal_open(uint64_t netns, int nl, char **cause);
void			 rd_journal_unlock(struct rd_journal *);
/* In a forked child: drops its copy of the lock without releasing it. */
void			 rd_journal_forget_lock(struct rd_journal *);
/* Rewrites the session file. 0 or -1 with *cause. */
int			 rd_journal_record(struct rd_journal *,
			    const struct rd_session *, char **cause);
/*
 * A shared sysctl: when path holds from, writes to, journalled with the
 * original unless a live session did so already. Call with the lock
 * held. 0 or -1 with *cause.
 */
int			 rd_journal_lower(struct rd_journal *, const char *path,
			    const char *from, const char *to, char **cause);
/*
 * Ends the session: under the lock, destroys the captured sockets, deletes
 * the IPv6 rule and the tun its file names (read from the file, so a
 * watchdog sees what its redirector recorded), removes the file and, when
 * no live session is left, restores the shared values. Frees the journal.
 */
void			 rd_journal_close(struct rd_journal *, int nl);

#endif
