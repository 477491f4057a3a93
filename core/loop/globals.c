/*
 * globals.c -- the three globals trawl.h declares.
 */
#include "core/loop/trawl.h"

struct options		 opts;
struct loop		*core_loop;
volatile sig_atomic_t	 trawl_quit;
