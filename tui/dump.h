/*
 * dump.h -- the front end without a screen: one line per finished flow.
 */
#ifndef TUI_DUMP_H
#define TUI_DUMP_H

#include <stdio.h>

struct filter;
struct flow;
struct flow_msg;

/* Prints finished flows that match filter (NULL: all) to out. */
void	tui_dump_start(FILE *out, struct filter *);
/* Formats one flow's line into buf (no newline). */
void	tui_dump_line(const struct flow *, char *buf, size_t len);
/* With on, also a line per WebSocket message of a matching flow, as
 * it comes, and its close before the flow's line. */
void	tui_dump_messages(int on);
/* Formats one message's line (no newline). */
void	tui_dump_message_line(const struct flow *, const struct flow_msg *,
	    char *buf, size_t len);
/* Prints every flow already in the store that matches. */
void	tui_dump_existing(void);

#endif
