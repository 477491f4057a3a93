/*
 * spec.h -- the local-mode capture spec ("curl,!1234"): parser and fold.
 *
 * Grammar: comma-separated items, each trimmed of blanks; a leading '!'
 * excludes; an all-digit item is a pid (the process id, i.e. the tgid),
 * anything else a process name compared with the first 15 bytes of the
 * creating thread's comm, then its leader's, then the basename of the
 * process's executable (/proc/PID/exe), any of which matching.
 * An empty text captures everything. Empty items, a lone '!' and a
 * trailing comma are errors.
 *
 * The parsed spec is held in the encoding the BPF program folds
 * (ebpf/redirect.h), so core_spec_match and the kernel agree by
 * construction; the e2e tests check the kernel side.
 */
#ifndef CORE_SPEC_H
#define CORE_SPEC_H

#include <stdint.h>

#include "ebpf/redirect.h"

/* Longest spec text accepted (64 rules of 15 bytes, '!', ',' and blanks). */
#define SPEC_TEXT_MAX	4096

struct spec {
	uint32_t	nrules;
	struct rd_rule	rules[RD_MAX_RULES];
};

/*
 * Parses text (NULL or "" = capture everything) into *out. Returns 0, or
 * -1 with *cause set to a message naming the 1-based column (caller frees
 * *cause). *out is zeroed first; on error it holds nothing useful.
 */
int	core_spec_parse(const char *text, struct spec *out, char **cause);

/*
 * Returns 1 when a socket created by thread comm of process pid, whose
 * thread-group leader is called leader_comm and whose executable's
 * basename is exe, is captured; else 0. comm, leader_comm and exe may be
 * NULL (no match) and are cut at 15 bytes as the BPF program cuts them.
 */
int	core_spec_match(const struct spec *, uint32_t pid, const char *comm,
	    const char *leader_comm, const char *exe);

/* Fills config (the rd_configs map value) from the spec. */
void	core_spec_encode(const struct spec *, struct rd_config *config);

#endif
