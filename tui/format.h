/*
 * format.h -- sizes and durations as the list and the dump show them.
 */
#ifndef TUI_FORMAT_H
#define TUI_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* 1234 → "1.2k"; 100 → "100b". */
void	tui_format_size(uint64_t, char *, size_t);
/* 0.0123 → "12ms"; 3.25 → "3.2s". */
void	tui_format_duration(double seconds, char *, size_t);

#endif
