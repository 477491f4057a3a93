/*
 * notice.h -- one line the user must read about trawl itself (out of
 * descriptors, a limit reached), not about a flow: the screen shows the
 * latest in its status bar, --dump prints each on standard error.
 */
#ifndef CORE_LOOP_NOTICE_H
#define CORE_LOOP_NOTICE_H

/* Says it unless it is the very notice said last (a condition that lasts
 * is said once); core_notice_clear() lets it be said again. */
void		 core_notice(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 core_notice_clear(void);
/* The latest notice and when it was said (seconds since the epoch, as
 * core_now()), or NULL. */
const char	*core_notice_text(double *when);

#endif
