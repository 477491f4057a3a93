/*
 * intercept.h -- pausing flows that match intercept rules, and what the
 * user can do with a paused flow: resume, kill, edit, revert; replaying
 * and duplicating any flow.
 *
 * Rules are filter expressions (trawl-filters(7)). A rule mentioning ~q
 * but not ~s pauses requests only, one mentioning ~s but not ~q responses
 * only, anything else both (as in mitmproxy). A flow paused at the request
 * stage has sent nothing upstream; at the response stage nothing of the
 * response has reached the client. Paused flows never stall others.
 */
#ifndef CORE_INTERCEPT_H
#define CORE_INTERCEPT_H

#include <stddef.h>

struct flow;

struct intercept_rule {
	int		 id;		/* stable while the rule exists */
	const char	*text;		/* the expression */
	int		 enabled;
};

/* Adds a rule; returns its id, or -1 with *cause (caller frees). */
int	core_intercept_add(const char *expr, char **cause);
int	core_intercept_remove(int id);
int	core_intercept_set_rule(int id, int enabled);
size_t	core_intercept_count(void);
/* The i'th rule, or NULL. Valid until rules change. */
const struct intercept_rule *core_intercept_rule(size_t i);
/* The global switch (the TUI's `I`); on by default. */
void	core_intercept_set_enabled(int on);
int	core_intercept_enabled(void);
/* Filter flags (FILTER_CASE_SENSITIVE) for rules added from now on. */
void	core_intercept_set_filter_flags(int flags);
/* Seconds after which a paused flow resumes by itself; 0: never. */
void	core_intercept_set_timeout(double seconds);

/* Each returns 0, or -1 with *cause (caller frees) when it cannot. */
int	core_intercept_resume(struct flow *, char **cause);
/* Resumes every paused flow; returns how many. */
int	core_intercept_resume_all(void);
/* The client gets an error (502 before a response started) or a reset. */
int	core_intercept_kill(struct flow *, char **cause);

/*
 * Replaces the request (or response) from raw HTTP/1.1 text: start line,
 * headers, empty line, body. Content-Length is recomputed for the new
 * body, Transfer-Encoding removed, and a Content-Encoding the body no
 * longer has is dropped. The original is kept for revert. A response set
 * on a flow paused at the request stage answers the client locally: the
 * server is never contacted. An unparsable text changes nothing.
 */
int	core_intercept_edit_request(struct flow *, const char *, size_t,
	    char **cause);
int	core_intercept_edit_response(struct flow *, const char *, size_t,
	    char **cause);
/*
 * A flow in FLOW_PAUSED_MESSAGE holds a WebSocket message: resume sends
 * it, kill drops it (the connection stays), and these replace or render
 * its payload (what a resume then sends, framed anew).
 */
int	core_intercept_edit_message(struct flow *, const char *, size_t,
	    char **cause);
char	*core_intercept_render_message(const struct flow *, size_t *len);
/* Undoes edits. */
int	core_intercept_revert(struct flow *, char **cause);

/* Raw HTTP/1.1 text of the request or response, for an editor or an
 * export. Caller frees; NULL when the flow has none. */
char	*core_intercept_render_request(const struct flow *, size_t *len);
char	*core_intercept_render_response(const struct flow *, size_t *len);

/* Adds a copy of the flow to the store; returns it (owned by the store). */
struct flow *core_duplicate(struct flow *);

/*
 * For the proxy: it pauses an exchange and registers the flow here with
 * how to resume or kill it. intercept.c takes the hold off before it calls
 * either op; the proxy takes it off itself when the exchange goes first.
 */
struct intercept_hold_ops {
	int	(*resume)(void *arg, char **cause);
	int	(*kill)(void *arg, char **cause);
	/* A held WebSocket message (NULL for an exchange): replace its
	 * payload; a copy of it (caller frees). */
	int	(*edit)(void *arg, const char *, size_t, char **cause);
	char	*(*render)(void *arg, size_t *len);
};
void	core_intercept_hold(struct flow *, const struct intercept_hold_ops *,
	    void *arg);
void	core_intercept_unhold(const struct flow *);
int	core_intercept_is_held(const struct flow *);
/* Fills out with up to max paused flows; returns how many are paused. */
int	core_intercept_held(struct flow **out, int max);

/* For the proxy: whether a flow must pause at this stage now. */
#define INTERCEPT_REQUEST	1
#define INTERCEPT_RESPONSE	2
#define INTERCEPT_MESSAGE	4	/* a WebSocket message: any rule */
int	core_intercept_wants(const struct flow *, int stage);
double	core_intercept_timeout(void);

#endif
