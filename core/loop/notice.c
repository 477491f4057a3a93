/*
 * notice.c -- the latest line for the user about trawl itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/loop/notice.h"
#include "core/loop/trawl.h"

static char	text[256];
static double	said_at;
static int	settled;	/* the condition said last may recur */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
core_notice(const char *fmt, ...)
{
	char line[sizeof text];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (!settled && said_at != 0 && strcmp(line, text) == 0)
		return;
	memcpy(text, line, sizeof text);
	said_at = now();
	settled = 0;
	if (opts.dump)
		fprintf(stderr, "trawl: %s\n", text);
}

void
core_notice_clear(void)
{
	settled = 1;
}

const char *
core_notice_text(double *when)
{
	if (said_at == 0 || text[0] == '\0')
		return NULL;
	if (when != NULL)
		*when = said_at;
	return text;
}
