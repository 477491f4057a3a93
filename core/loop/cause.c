/*
 * cause.c -- error messages for the user.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/loop/cause.h"

void
core_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}
