/*
 * trawl.h -- the only globals: the parsed options, the loop, the quit flag.
 */
#ifndef CORE_TRAWL_H
#define CORE_TRAWL_H

#include <signal.h>
#include <stdint.h>

#define TRAWL_VERSION "0.1.0"

struct loop;

enum trawl_mode {
	MODE_REGULAR,		/* explicit HTTP proxy */
	MODE_LOCAL,		/* eBPF capture of local programs */
	MODE_NONE		/* -n: no proxy at all */
};

struct options {
	enum trawl_mode	 mode;
	char		*listen_host;	/* regular mode bind address */
	int		 listen_port;
	char		*spec;		/* local mode capture spec */
	char		*cgroup;	/* local mode: capture under this cgroup v2 */
	char		*netns;		/* local mode: in this netns (a path) */
	int		 netns_upstream; /* upstream sockets from inside it */
	int		 dump;		/* no screen */
	int		 quiet;		/* -q */
	char		*read_file;	/* -r */
	char		*write_file;	/* -w */
	char		*filter;	/* positional dump filter */
	char		*view_filter;	/* --view-filter */
	int		 filter_flags;	/* FILTER_CASE_SENSITIVE */
};

extern struct options	 opts;
extern struct loop	*core_loop;
extern volatile sig_atomic_t trawl_quit;

#endif
