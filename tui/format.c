/*
 * format.c -- human-sized numbers.
 */
#include <stdio.h>

#include "tui/format.h"

void
tui_format_size(uint64_t n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%llub", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1fk", n / 1024.0);
	else if (n < 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.1fm", n / (1024.0 * 1024));
	else
		snprintf(buf, len, "%.1fg", n / (1024.0 * 1024 * 1024));
}

void
tui_format_duration(double s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 1)
		snprintf(buf, len, "%.0fms", s * 1000);
	else if (s < 100)
		snprintf(buf, len, "%.1fs", s);
	else
		snprintf(buf, len, "%.0fs", s);
}
