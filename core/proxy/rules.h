/*
 * rules.h -- rules that change traffic without a user at the keyboard,
 * with mitmproxy's option syntax: --modify-headers, --modify-body,
 * --map-remote, --map-local, --block-list, --anticache, --anticomp.
 *
 * A spec's first character is its separator; the parts between
 * separators are [FILTER] SUBJECT REPLACEMENT (block-list: [FILTER]
 * STATUS). The filter is trawl's filter language (trawl-filters(7)) and
 * may be left out (every flow). Everything is compiled once, when a rule
 * is added: the filter, the regexes, the status, and the contents of an
 * @FILE value. Matching a flow allocates nothing; changing one does.
 *
 * Sides, as intercept rules decide them: a filter that mentions ~q but
 * not ~s applies to requests only, one that mentions ~s but not ~q to
 * responses only, any other to both. Rules on a request head see the
 * head only (the body is still coming).
 * A modify-headers rule for both sides whose filter reads only the
 * request head (core_filter_request_stable) matches once a flow: the
 * response head takes the request head's result while the flow is
 * unmodified and the rules are unchanged.
 *
 * A rule that changes a flow adds its id to the flow's rule_ids (the
 * flow view says which rule), counts the flow, marks the flow modified
 * and keeps the original message in orig_request / orig_response (the
 * first rule or edit keeps it), so revert undoes rules as it undoes
 * edits.
 *
 * modify-body needs a whole body: the exchange holds a message a
 * modify-body rule wants (nothing of it goes on) until its end, up to
 * LIMIT_FLOW_BODY; past that the rule is skipped and the message goes on
 * streaming as it came (the flow's error says so). The body is decoded
 * (Content-Encoding), substituted, re-encoded with the same codings; the
 * exchange reframes it (Content-Length).
 */
#ifndef CORE_PROXY_RULES_H
#define CORE_PROXY_RULES_H

#include <stddef.h>
#include <stdint.h>

struct flow;
struct xtarget;

enum rules_kind {
	RULES_MODIFY_HEADERS,
	RULES_MODIFY_BODY,
	RULES_MAP_REMOTE,
	RULES_MAP_LOCAL,
	RULES_BLOCK_LIST,
	RULES_ANTICACHE,	/* no spec: strips conditional headers */
	RULES_ANTICOMP		/* no spec: asks for identity encoding */
};
#define RULES_NKINDS	7

struct rules_rule {
	int		 id;		/* stable while the rule exists, from 1 */
	enum rules_kind	 kind;
	const char	*text;		/* the spec as given ("" for flags) */
	int		 enabled;
	uint64_t	 flows;		/* flows it changed */
};

/* The option's name without dashes ("modify-headers"). Static. */
const char	*core_rules_kind_name(enum rules_kind);
/* The kind whose option is name ("modify-headers"), or -1. */
int		 core_rules_kind_of(const char *name);
/* 1 when the kind takes a spec (not anticache, anticomp). */
int		 core_rules_kind_has_spec(enum rules_kind);

/* Filter flags (FILTER_CASE_SENSITIVE) for rules added from now on. */
void		 core_rules_set_filter_flags(int flags);
/*
 * Compiles and adds a rule; spec is ignored for flag kinds. Returns its
 * id, or -1 with *cause (caller frees): three lines, "column N: why",
 * the spec, a caret under column N (in characters of the spec).
 */
int		 core_rules_add(enum rules_kind, const char *spec, char **cause);
int		 core_rules_remove(int id);
int		 core_rules_set_enabled(int id, int on);
/*
 * Compiles spec for rule id's kind and puts it in the rule's place,
 * keeping its id, enabled state and count. On an error (*cause as for
 * core_rules_add) the rule stays as it was.
 */
int		 core_rules_replace(int id, const char *spec, char **cause);
size_t		 core_rules_count(void);
/* The i'th rule, or NULL; by id, or NULL. Valid until rules change. */
const struct rules_rule *core_rules_rule(size_t i);
const struct rules_rule *core_rules_find(int id);
/* Drops every rule (at exit, in tests). */
void		 core_rules_clear(void);

/*
 * For the exchange, on a request head (f->request complete but for its
 * body). Applies modify-headers, anticache, anticomp and map-remote to
 * f->request (map-remote also points t elsewhere: scheme, host, port,
 * tls_name, absolute), then map-local and block-list, which set
 * f->response to answer without the server. Returns what to do:
 */
#define RULES_FORWARD	0	/* send the request on (maybe changed) */
#define RULES_ANSWER	1	/* answer with f->response, whole */
#define RULES_CLOSE	2	/* block-list 444: close, answer nothing */
int		 core_rules_request_head(struct flow *, struct xtarget *t);
/* 1 when a modify-body rule for requests matches f (at its head). */
int		 core_rules_request_body_wanted(const struct flow *);
/*
 * The request ended. held: its body is whole in f->request (the
 * exchange held it), so modify-body rules apply. Either way an original
 * a head rule kept gets the body that then came.
 */
void		 core_rules_request_end(struct flow *, int held);

/* On a final response head: modify-headers for responses. */
void		 core_rules_response_head(struct flow *);
int		 core_rules_response_body_wanted(const struct flow *);
void		 core_rules_response_end(struct flow *, int held);

/* "modify-headers #3" for the flow view, into buf. Returns buf. */
char		*core_rules_describe(int id, char *buf, size_t size);

#endif
