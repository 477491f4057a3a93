/*
 * cause.h -- the message behind a -1: every function that can fail for a
 * reason the user should read sets *cause with this.
 */
#ifndef CORE_CAUSE_H
#define CORE_CAUSE_H

/* Sets *cause to a malloc'ed message (caller frees); cause may be NULL. */
void	core_cause(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
