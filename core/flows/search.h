/*
 * search.h -- finds the lines of a flow that hold a text: the URL, every
 * request and response header and trailer line ("name: value"), and the
 * bodies as the flow view shows them (content codings removed, JSON
 * pretty-printed, gRPC and protobuf decoded, binary as a hex dump; see
 * core/flows/bodyfmt.h). Raw TCP/UDP bytes count as the request (client
 * to server) and response bodies, DNS answers as the response body.
 * WebSocket messages come last, text as it is, binary as a hex dump.
 *
 * A query is plain text, or a PCRE2 regular expression when it starts
 * with "re:". Smart case: it ignores case unless it has an upper-case
 * ASCII letter (in a regex, one not right after a backslash, so \D or \S
 * do not count).
 *
 * A hit is one line that matches. Lines are what the flow view shows
 * before wrapping: a header field, or a line of a body's display text
 * (split at "\n"; a final newline opens no empty line). A regex matches
 * inside one line: ^ and $ are the line's ends.
 *
 * Pure: no curses, no loop. A compiled search owns scratch buffers that
 * it reuses, so it is not reentrant (one search at a time per struct).
 */
#ifndef CORE_SEARCH_H
#define CORE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct flow;
struct search;

/* Where a hit is; the flow view's tab follows from it. */
enum search_where {
	SEARCH_URL,		/* the flow's URL (Detail tab) */
	SEARCH_REQ_HEADER,	/* line = index of the field */
	SEARCH_REQ_BODY,	/* line = line of the display text */
	SEARCH_REQ_TRAILER,
	SEARCH_RESP_HEADER,
	SEARCH_RESP_BODY,
	SEARCH_RESP_TRAILER,
	SEARCH_MESSAGE		/* line = index of the WebSocket message
				 * among those kept (Messages tab) */
};

struct search_hit {
	enum search_where	 where;
	size_t			 line;		/* 0-based within where */
	const char		*text;		/* the line, not NUL-terminated */
	size_t			 len;
	size_t			 match;		/* first match: offset in text */
	size_t			 match_len;
};

/* Called for each hit in the order of the flow view's tabs; text is valid
 * only during the call. Returns 0 to go on, 1 to stop with this flow. */
typedef int (*search_cb)(const struct search_hit *, void *arg);

/* What a run over many flows saw; the caller zeroes it. */
struct search_tally {
	uint64_t	 flows;		/* flows searched */
	uint64_t	 flows_hit;	/* flows with a hit */
	uint64_t	 hits;
	uint64_t	 evicted;	/* bodies seen on the wire, none kept
					 * (the store's budget dropped them):
					 * not searched */
	uint64_t	 truncated;	/* bodies searched in a kept prefix */
};

/*
 * Compiles text. Returns NULL with *cause (when not NULL) set: an empty
 * query, or a bad regex ("column 3: missing closing parenthesis").
 * Caller frees with core_search_free, and *cause with free.
 */
struct search	*core_search_compile(const char *text, char **cause);
void		 core_search_free(struct search *);
/* The text as given. Owned by the search. */
const char	*core_search_text(const struct search *);
/* 1 when the query ignores case. */
int		 core_search_caseless(const struct search *);

/*
 * Calls cb for every hit in the flow. Returns the hits (those cb saw,
 * including the one it stopped at) and adds to *tally (may be NULL).
 */
size_t		 core_search_flow(struct search *, const struct flow *,
		    search_cb, void *arg, struct search_tally *);

/* Finds the first match in s[0..len): 1 with *off and *mlen set, else 0.
 * For highlighting a line the caller kept. */
int		 core_search_line(struct search *, const char *s, size_t len,
		    size_t *off, size_t *mlen);

/* "url", "req header", "resp body", ... Static. */
const char	*core_search_where_name(enum search_where);
/* "resp body line 120" (1-based) for bodies, the name for the rest.
 * Returns what snprintf would. */
int		 core_search_where_text(enum search_where, size_t line,
		    char *buf, size_t len);

#endif
