/*
 * dumpcmd.h -- without a screen, paused flows are resolved through a small
 * line protocol on standard input (see trawl(1), "Intercept without a
 * screen").
 */
#ifndef TUI_DUMPCMD_H
#define TUI_DUMPCMD_H

#include <stdio.h>

/* Reads commands from fd, answers on out. */
void	tui_dumpcmd_start(int fd, FILE *out);
/* Runs one command line; used by the reader and by tests. */
void	tui_dumpcmd_run(const char *line, FILE *out);

#endif
