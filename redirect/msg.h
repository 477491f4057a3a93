/*
 * msg.h -- checks on control messages from trawl (redirect/proto.h).
 *
 * The redirector runs as root on behalf of a user process: everything in
 * a message is checked before it is used.
 */
#ifndef REDIRECT_MSG_H
#define REDIRECT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "redirect/proto.h"

/* Size of a message of type, or 0 for an unknown type. */
/* Sets *cause to a malloc'ed message (caller frees); returns -1. */
int	rd_fail(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	rd_msg_size(int type);
/* Fills the header of a reply. */
void	rd_msg_init(struct rd_msg_hdr *, int type, uint32_t seq);
/*
 * Checks a received datagram of len bytes: magic, version, type, exact
 * size. Returns the type, or -1 with *cause (caller frees).
 */
int	rd_msg_check(const void *buf, size_t len, char **cause);
/* Checks a spec: rule count, flags, pids, NUL-padded names. 0 or -1. */
int	rd_msg_check_config(const struct rd_config *, char **cause);
/* Checks a look-up key: family, protocol, padding. 0 or -1. */
int	rd_msg_check_tuple(const struct rd_tuple *, char **cause);

#endif
