/*
 * har.h -- flows to and from HAR 1.2 files (HTTP Archive).
 *
 * Every flow type is written as a HAR entry. What HAR has no field for
 * (flow id, type, state, addresses, process, both TLS sides, absolute
 * timings, raw TCP/UDP bytes, DNS, notes, the originals of edited messages,
 * bodies that are not UTF-8 text) goes into "_"-prefixed fields, so that a
 * file trawl wrote loads back into the same flows. Files from other tools
 * (browser devtools, proxies) load as HTTP flows as far as their fields
 * allow.
 *
 * TCP and UDP flows: request.postData holds the client-to-server bytes and
 * response.content the server-to-client bytes; method "CONNECT", url
 * "tcp://server/" or "udp://server/", status 0. DNS flows: method "DNS",
 * url "dns://server/name", the question and answers in "_dns".
 *
 * Every error message (cause) is malloc'ed; the caller frees it.
 */
#ifndef CORE_HAR_H
#define CORE_HAR_H

#include <stddef.h>
#include <stdint.h>

struct flow;
struct har_writer;

/*
 * Creates or truncates path and writes an empty, valid HAR into it at once.
 * The file is made 0600 (an existing regular file too: it will hold
 * captured cookies and tokens). Returns NULL and sets *cause on error.
 * Free with core_har_writer_close.
 */
struct har_writer *core_har_writer_open(const char *path, char **cause);

/*
 * Appends one entry. After every call that returns 0 the file is complete,
 * valid JSON (the closing brackets are rewritten behind the new entry), so
 * a trawl killed between two calls leaves a readable file. Returns -1 and
 * sets *cause on a write error; the writer then refuses further entries.
 * An entry core_har_load would not take whole (past LIMIT_HAR_STRING or
 * LIMIT_HAR_ENTRY, only possible for flows loaded from other files) is
 * refused with -1 and *cause, and the writer goes on. Does not take
 * ownership of the flow.
 */
int	 core_har_writer_add(struct har_writer *, const struct flow *,
	    char **cause);

/* Closes the file and frees the writer. NULL is allowed. */
void	 core_har_writer_close(struct har_writer *);

/*
 * Writes flows[0..n) into path as one HAR file, mode 0600. The file is
 * replaced atomically (a temporary file beside it, then rename), so path
 * holds either the old contents or the whole new file. Returns 0, or -1
 * with *cause set.
 */
int	 core_har_save(const char *path, struct flow *const *flows, size_t n,
	    char **cause);

/*
 * The same save a flow at a time: core_har_saver_open makes the temporary
 * file beside path, core_har_saver_add appends a flow (-1 with *cause on
 * a write error or a refused entry, see core_har_writer_add), commit
 * syncs and renames it over path, abort removes it (path is untouched).
 * Commit and abort free the saver; abort allows NULL.
 */
struct har_saver;

struct har_saver *core_har_saver_open(const char *path, char **cause);
int	 core_har_saver_add(struct har_saver *, const struct flow *,
	    char **cause);
/* Flows added. */
size_t	 core_har_saver_count(const struct har_saver *);
int	 core_har_saver_commit(struct har_saver *, char **cause);
void	 core_har_saver_abort(struct har_saver *);

/*
 * Reads a HAR file and hands each entry to each() as a new flow, in file
 * order; each() owns the flow (core_flow_free). The file is read twice,
 * as a stream: once to check it, once to load it entry by entry, so a
 * load holds one entry at a time beyond what each() keeps, whatever the
 * file's size. Only regular files are read (a FIFO or a device is
 * refused at once). A string longer than LIMIT_HAR_STRING is cut there
 * (a body keeps its prefix and its whole size).
 *
 * Returns 0 when every entry loaded cleanly. Returns 1 when some entries
 * had unusable fields (wrong type, out of range, bad base64), were not
 * objects or were larger than LIMIT_HAR_ENTRY once parsed: those fields
 * were left unset (such entries skipped), the rest was loaded, and *cause
 * names the first problem with its entry index. Also 1 when the file
 * changed between the two passes (the entries read until then stay
 * loaded). Returns -1 with *cause set when the file cannot be read or is
 * not a HAR file at all (not JSON, cut short, no log.entries); each() has
 * then not been called.
 * cause may be NULL when the caller does not want the message.
 */
int	 core_har_load(const char *path, void (*each)(struct flow *, void *),
	    void *arg, char **cause);

/*
 * The same load a slice at a time, for a caller that must stay responsive
 * (the screen loads inside its event loop). core_har_reader_open opens
 * and checks the file (NULL with *cause when it cannot be read or is not
 * a regular file). With check set the load is core_har_load's: a first
 * pass checks the whole text before any entry is handed out. Without it
 * entries are handed out as they are read, so the first flows come at
 * once: a file that turns out cut short or broken keeps what loaded
 * before the error, and the verdict is 1 with *cause naming the entry,
 * line and column.
 *
 * core_har_reader_step reads on until about bytes more of the file were
 * consumed (a slice ends at the first entry boundary past that, or at a
 * token boundary outside the entries) and returns 1 while there is more
 * to read, 0 when the load is over. The reader may be freed at any point:
 * what was handed out stays the caller's.
 */
struct har_reader;

struct har_reader *core_har_reader_open(const char *path, int check,
	    void (*each)(struct flow *, void *), void *arg, char **cause);
int	 core_har_reader_step(struct har_reader *, size_t bytes);
/* Bytes read of total (a checked load counts the file twice) and flows
 * handed out so far; flows may be NULL. */
void	 core_har_reader_progress(const struct har_reader *, uint64_t *done,
	    uint64_t *total, size_t *flows);
/* After the last step: core_har_load's return value and *cause (NULL
 * allowed). Before it: 1 with "stopped after N flows". */
int	 core_har_reader_result(struct har_reader *, char **cause);
void	 core_har_reader_free(struct har_reader *);

#endif
