/*
 * work.h -- the screen's long work, done a slice of a few milliseconds at
 * a time from a loop timer so that the screen redraws and traffic flows
 * meanwhile: loading a HAR file (`-r`, L), saving the shown flows to one
 * (w), applying a view filter (f). One load or save at a time, and a
 * filter beside it; the status bar shows their progress ("loading
 * flows.har: 41%, 40,112 flows"), Esc stops the filter first (the one
 * before comes back), then the load or save.
 *
 * A stopped load keeps the flows it loaded; a stopped save leaves nothing
 * under the target name (it writes a temporary file beside it and renames
 * it at the end). Without a loop (tests, benchmarks) the work is done at
 * once, inside the call.
 */
#ifndef TUI_WORK_H
#define TUI_WORK_H

#include <stddef.h>

struct filter;
struct filter_error;

/* Starts loading path into the store. Returns 0, or -1 with *cause set
 * (caller frees) when the file cannot be opened or work is under way. */
int	 tui_work_load(const char *path, char **cause);
/* Starts saving the flows the view shows now into path. Same returns. */
int	 tui_work_save(const char *path, char **cause);
/* Applies expr (flags: FILTER_*) to the view; the list fills as flows
 * match. Returns 0, or -1 with *err for a bad expression (the old filter
 * stays). */
int	 tui_work_filter(const char *expr, int flags, struct filter_error *err);
/* The filter prompt's hint, "N of M match": counts the flows f matches a
 * slice at a time, the hint updated as it goes; a store that fits in one
 * slice is counted at once. Takes ownership of f (NULL: only stops the
 * count under way). Stops when the prompt closes or a new count starts. */
void	 tui_work_count(struct filter *f);
/* Completes a filter being applied, at once: for work that needs the
 * whole view (a save, a search). */
void	 tui_work_filter_finish(void);
/* 1 while work is under way. */
int	 tui_work_running(void);
/* Stops it, saying what was done. */
void	 tui_work_stop(void);
/* The status bar's progress: 1 with buf filled while work runs. */
int	 tui_work_status(char *buf, size_t len);
/* At exit: stops what runs, quietly. */
void	 tui_work_done(void);

#endif
