/*
 * filter.h -- the flow filter language (see trawl-filters(7)): one language
 * for the view filter, intercept rules, the dump filter and selections.
 *
 * An expression is compiled once into a tree of PCRE2 codes (JIT-compiled
 * when PCRE2 can) with a match data block per regex, so matching a flow
 * allocates nothing, with two exceptions that only grow and then reuse a
 * buffer owned by the compiled filter: the scratch text for ~u and ~h
 * (sized for LIMIT_HTTP_HEAD at compile, larger only for bigger header
 * blocks, e.g. from a HAR file), and the decoded body of ~b/~bq/~bs when
 * the body has a Content-Encoding (the decoders' own state is allocated by
 * zlib/brotli/zstd for each decode). A body is decoded at most once per
 * side per core_filter_match call; nothing is cached across calls, so an
 * edited body is never matched stale.
 *
 * A compiled filter is therefore not reentrant: one thread, one match at a
 * time (trawl has one thread).
 */
#ifndef CORE_FILTER_H
#define CORE_FILTER_H

#include <stddef.h>

struct flow;
struct filter;

/* Flags of core_filter_compile. */
#define FILTER_CASE_SENSITIVE	0x1	/* regexes match case-sensitively */

/* Where and why an expression did not compile. */
struct filter_error {
	int	 column;	/* 1-based, in characters, for a caret */
	size_t	 offset;	/* the same place as a byte offset */
	char	 message[256];	/* "unknown operator ~zz", no column */
};

/* One operator of the language, for help screens and completion. */
struct filter_operator {
	const char	*name;		/* "~d" */
	const char	*arg;		/* "REGEX", "[OP]N", ..., or NULL */
	const char	*help;		/* one line */
};

/*
 * Compiles expr. Returns NULL with *cause (when not NULL) set to a
 * message of three lines: "column 7: unknown operator ~zz", the
 * expression, and a caret under the column. Caller frees the filter with
 * core_filter_free and *cause with free.
 */
struct filter	*core_filter_compile(const char *expr, int flags, char **cause);
/* Same, but the error goes to *err (which may be NULL); nothing to free. */
struct filter	*core_filter_compile_err(const char *expr, int flags,
		    struct filter_error *err);
void		 core_filter_free(struct filter *);

/* 1 when the flow matches, else 0. A NULL filter matches every flow. */
int		 core_filter_match(struct filter *, const struct flow *);

/*
 * A hint in a scan of many flows: fetches into the cache the parts of the
 * flow that this filter reads and core_store_prefetch does not (the
 * header lists). Call it for a flow a few places ahead of the one being
 * matched. Reads nothing but pointers; a NULL filter does nothing.
 */
void		 core_filter_prefetch(const struct filter *,
		    const struct flow *);

/* The expression as given to compile. Owned by the filter. */
const char	*core_filter_text(const struct filter *);

/*
 * Intercept stages, as in mitmproxy: an expression that mentions ~q but
 * not ~s only pauses requests, one that mentions ~s but not ~q only
 * responses, anything else both. A NULL filter wants both.
 */
int		 core_filter_wants_request(const struct filter *);
int		 core_filter_wants_response(const struct filter *);
/*
 * 1 when the filter reads nothing but the request head and fields fixed
 * when the flow starts (~d ~u ~m ~hq ~tq ~mode ~http ~replay ..., and
 * & | ! of them; NULL too): while the request stays as it was, its
 * result at the response head is the one at the request head.
 */
int		 core_filter_request_stable(const struct filter *);

/* The operator table, *n entries, in the order of the manual. Static. */
const struct filter_operator *core_filter_operators(size_t *n);

#endif
