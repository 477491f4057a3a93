/*
 * serverreplay.h -- --server-replay: requests answered from saved flows
 * (HAR files) without contacting the server, as mitmproxy's server
 * replay does.
 *
 * A saved flow matches a request when both have the same key, which is
 * mitmproxy's default: scheme, method, path, the query's parameters in
 * order (percent-decoded), the raw request body, host and port. Options
 * take parts out (ignore-params, ignore-payload-params, ignore-content,
 * ignore-host, ignore-port) or put request headers in (use-headers); set
 * them before the first load, since the index is built from them.
 *
 * The index is a hash table built once per load: matching computes the
 * request's key and looks it up, whatever the number of saved flows.
 * Saved flows of one key answer in file order, each once; with reuse the
 * first answers every time.
 */
#ifndef CORE_PROXY_SERVERREPLAY_H
#define CORE_PROXY_SERVERREPLAY_H

#include <stddef.h>

struct flow;

/* Flags for core_serverreplay_set_flags. */
#define SREPLAY_IGNORE_CONTENT	0x01	/* the body is not in the key */
#define SREPLAY_IGNORE_HOST	0x02
#define SREPLAY_IGNORE_PORT	0x04
#define SREPLAY_REUSE		0x08	/* a saved flow answers more than once */
#define SREPLAY_NO_REFRESH	0x10	/* keep Date, Expires, Last-Modified */

void	 core_serverreplay_set_flags(int flags);
/* Names, each a copy. ignore_param: a query parameter; ignore_payload:
 * a parameter of an urlencoded form body; use_header: a request header. */
void	 core_serverreplay_ignore_param(const char *name);
void	 core_serverreplay_ignore_payload(const char *name);
void	 core_serverreplay_use_header(const char *name);
/* --server-replay-extra: "forward" (the default), "kill" or a status
 * (100..599). -1 with *cause (caller frees) for anything else. */
int	 core_serverreplay_set_extra(const char *, char **cause);

/*
 * Loads a HAR file's HTTP flows that have a response. Returns 0, 1 when
 * some entries were unusable (*cause says which; the rest loaded), -1
 * with *cause naming the file when it is not a HAR file at all (nothing
 * loaded).
 */
int	 core_serverreplay_load(const char *path, char **cause);
/* Adds one saved flow (tests). Takes ownership of f. */
void	 core_serverreplay_add(struct flow *f);
/* 1 once anything was loaded. */
int	 core_serverreplay_active(void);
/* Saved responses that can still answer. */
size_t	 core_serverreplay_left(void);

/*
 * For the exchange, once the request f->request is whole (its body
 * ended, or kept up to LIMIT_FLOW_BODY: truncated never matches).
 * ANSWER: f->response is set to answer with (a saved one: f->replay is
 * REPLAY_RESPONSE; or --server-replay-extra's STATUS). KILL: the
 * request gets no answer. FORWARD: it goes to the server.
 */
#define SREPLAY_FORWARD	0
#define SREPLAY_ANSWER	1
#define SREPLAY_KILL	2
int	 core_serverreplay_request(struct flow *f);
/* What happens to a request with no match (for a truncated body). */
int	 core_serverreplay_extra(struct flow *f);

/* Drops everything (at exit, in tests); options back to defaults. */
void	 core_serverreplay_clear(void);

#endif
