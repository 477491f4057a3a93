/*
 * filter.c -- parses filter expressions into a tree of PCRE2 codes and
 * matches flows against it.
 *
 * Grammar, as mitmproxy's flowfilter reads it: one or more complete
 * expressions side by side are anded, so juxtaposition binds loosest and
 * "a | b c" is "(a | b) & c"; then |, then &, and ! binds tightest.
 *
 *	expr	= or { or }
 *	or	= and { "|" and }
 *	and	= unary { "&" unary }
 *	unary	= "!" unary | primary
 *	primary	= "(" expr ")" | "~" NAME [ ARG ] | REGEX
 *
 * A regex (an ARG of a regex test, or a REGEX alone, which means ~u) is a
 * quoted string or a bare word that runs to white space, a parenthesis, a
 * ~ or a quote, as in mitmproxy, so "~m get|put" is one regex. One
 * exception: an & or | right before a ~, ! or ( is the operator, so
 * "~m GET|~m POST" is GET or POST. A REGEX alone cannot start with &, |
 * or ! (those are operators there). The argument of a comparison (~c,
 * ~dur, ...) also ends at & and |. In a quoted string a backslash before
 * the quote or another backslash stands for that character; any other
 * backslash pair reaches PCRE2 unchanged, so "\d+" means digits.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/http/decode.h"
#include "core/loop/limits.h"

/* Nesting of ( and ! the parser follows; deeper is surely a mistake. */
#define FILTER_MAX_DEPTH	100
/* JIT stack for regexes over large bodies (PCRE2's default is 32 KiB). */
#define FILTER_JIT_STACK	(1024 * 1024)

enum kind {
	/* Structure. */
	K_AND,
	K_OR,
	K_NOT,
	/* No argument. */
	K_ALL,
	K_ERROR,
	K_MARKED,
	K_HTTP,
	K_WEBSOCKET,
	K_TCP,
	K_UDP,
	K_DNS,
	K_REQUEST,
	K_RESPONSE,
	K_REPLAY,
	K_REPLAYQ,
	K_REPLAYS,
	K_ASSET,
	/* A regex. */
	K_MARKER,
	K_COMMENT,
	K_METHOD,
	K_DOMAIN,
	K_URL,
	K_HEAD,
	K_HEADQ,
	K_HEADS,
	K_CTYPE,
	K_CTYPEQ,
	K_CTYPES,
	K_BODY,
	K_BODYQ,
	K_BODYS,
	K_SRC,
	K_DST,
	K_PROC,
	K_MODE,
	/* A comparison. */
	K_CODE,
	K_PID,
	K_DUR,
	K_SIZE,
	K_SIZEQ,
	K_SIZES,
	/* An optional regex. */
	K_GRPC
};

enum arg {
	ARG_NONE,
	ARG_REGEX,
	ARG_INT,	/* integer, no unit */
	ARG_DURATION,	/* us, ms, s (default), m, h */
	ARG_SIZE,	/* b (default), k, m, g: powers of 1024 */
	ARG_OPTREGEX	/* a regex, or nothing when none follows */
};

/* Relative cost, so & and | try cheap tests before regexes over bodies. */
enum cost {
	COST_FLAG,
	COST_NUMBER,
	COST_FIELD,	/* a regex over one short string */
	COST_FIELDS,	/* up to two, one found by a header look-up */
	COST_BUILD,	/* a regex over text built first (URL, headers) */
	COST_BODY
};

struct op {
	const char	*name;
	enum kind	 kind;
	enum arg	 arg;
	enum cost	 cost;
	uint32_t	 re_flags;	/* extra PCRE2 options */
	const char	*help;
};

static const struct op ops[] = {
	{ "all", K_ALL, ARG_NONE, COST_FLAG, 0, "every flow" },
	{ "e", K_ERROR, ARG_NONE, COST_FLAG, 0, "flows with an error" },
	{ "marked", K_MARKED, ARG_NONE, COST_FLAG, 0, "marked flows" },
	{ "marker", K_MARKER, ARG_REGEX, COST_FIELD, 0, "marker matches" },
	{ "comment", K_COMMENT, ARG_REGEX, COST_FIELD,
	    PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX, "comment matches" },
	{ "http", K_HTTP, ARG_NONE, COST_FLAG, 0, "HTTP flows" },
	{ "websocket", K_WEBSOCKET, ARG_NONE, COST_FLAG, 0,
	    "WebSocket flows" },
	{ "tcp", K_TCP, ARG_NONE, COST_FLAG, 0, "raw TCP flows" },
	{ "udp", K_UDP, ARG_NONE, COST_FLAG, 0, "raw UDP flows" },
	{ "dns", K_DNS, ARG_NONE, COST_FLAG, 0, "DNS flows" },
	{ "q", K_REQUEST, ARG_NONE, COST_FLAG, 0,
	    "request without a response" },
	{ "s", K_RESPONSE, ARG_NONE, COST_FLAG, 0, "has a response" },
	{ "replay", K_REPLAY, ARG_NONE, COST_FLAG, 0, "any replay" },
	{ "replayq", K_REPLAYQ, ARG_NONE, COST_FLAG, 0, "client replay" },
	{ "replays", K_REPLAYS, ARG_NONE, COST_FLAG, 0, "server replay" },
	{ "a", K_ASSET, ARG_NONE, COST_FIELD, 0,
	    "asset response: JavaScript, CSS, image, font" },
	{ "c", K_CODE, ARG_INT, COST_NUMBER, 0, "response status code" },
	{ "m", K_METHOD, ARG_REGEX, COST_FIELD, 0, "request method" },
	{ "d", K_DOMAIN, ARG_REGEX, COST_FIELDS, 0, "host or Host header" },
	{ "u", K_URL, ARG_REGEX, COST_BUILD, 0, "URL (DNS: query name)" },
	{ "h", K_HEAD, ARG_REGEX, COST_BUILD,
	    PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX,
	    "request or response header" },
	{ "hq", K_HEADQ, ARG_REGEX, COST_BUILD,
	    PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX,
	    "request header" },
	{ "hs", K_HEADS, ARG_REGEX, COST_BUILD,
	    PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX,
	    "response header" },
	{ "t", K_CTYPE, ARG_REGEX, COST_FIELD, 0,
	    "request or response Content-Type" },
	{ "tq", K_CTYPEQ, ARG_REGEX, COST_FIELD, 0, "request Content-Type" },
	{ "ts", K_CTYPES, ARG_REGEX, COST_FIELD, 0, "response Content-Type" },
	{ "b", K_BODY, ARG_REGEX, COST_BODY, PCRE2_DOTALL,
	    "request or response body, decoded" },
	{ "bq", K_BODYQ, ARG_REGEX, COST_BODY, PCRE2_DOTALL,
	    "request body, decoded" },
	{ "bs", K_BODYS, ARG_REGEX, COST_BODY, PCRE2_DOTALL,
	    "response body, decoded" },
	{ "src", K_SRC, ARG_REGEX, COST_FIELD, 0, "client address ip:port" },
	{ "dst", K_DST, ARG_REGEX, COST_FIELD, 0, "server address ip:port" },
	{ "proc", K_PROC, ARG_REGEX, COST_FIELD, 0, "process name" },
	{ "mode", K_MODE, ARG_REGEX, COST_FIELD, 0,
	    "the --mode it came through" },
	{ "pid", K_PID, ARG_INT, COST_NUMBER, 0, "process id" },
	{ "dur", K_DUR, ARG_DURATION, COST_NUMBER, 0,
	    "duration, e.g. >500ms" },
	{ "size", K_SIZE, ARG_SIZE, COST_NUMBER, 0,
	    "response body size, e.g. >1m" },
	{ "sizeq", K_SIZEQ, ARG_SIZE, COST_NUMBER, 0, "request body size" },
	{ "sizes", K_SIZES, ARG_SIZE, COST_NUMBER, 0,
	    "response body size (as ~size)" },
	{ "grpc", K_GRPC, ARG_OPTREGEX, COST_FIELDS, 0,
	    "gRPC call; REGEX: its /package.Service/Method" },
};
#define NOPS (sizeof ops / sizeof ops[0])

static struct filter_operator op_table[NOPS];

enum cmp {
	CMP_EQ,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE,
	CMP_RANGE	/* a <= v <= b */
};

struct node {
	enum kind		 kind;
	enum cost		 cost;
	struct node		**kids;		/* K_AND, K_OR, K_NOT */
	size_t			 nkids;
	pcre2_code		*re;
	pcre2_match_data	*md;
	int			 jit;		/* JIT-compiled: take the fast path */
	enum cmp		 cmp;
	double			 a;
	double			 b;
};

struct filter {
	char			*text;
	int			 flags;
	struct node		*root;
	int			 has_q;		/* mentions ~q */
	int			 has_s;		/* mentions ~s */
	int			 reads;		/* READS_*, for prefetching */
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jit;

	/* Matching scratch, grown and reused; see filter.h. */
	char			*scratch;
	size_t			 scratch_size;
	struct decode_out	 dec[2];	/* request, response body */
	int			 dec_state[2];	/* 0 not yet, 1 ok, -1 raw */
	double			 now;		/* 0 until needed in a match */
};

struct parser {
	pcre2_compile_context	*crlf;		/* CR LF newlines (~h) */
	const char		*s;
	size_t			 len;
	size_t			 pos;
	int			 depth;
	struct filter		*f;
	struct filter_error	*err;
	int			 failed;
};

/* Header lists a filter reads. */
#define READS_REQUEST_HEADERS	0x1
#define READS_RESPONSE_HEADERS	0x2

static void	 node_free(struct node *);
static struct node *parse_expr(struct parser *);

/* Records the first error at byte offset at. Always returns NULL. */
static void *
fail(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	int col = 1;

	if (p->failed)
		return NULL;
	p->failed = 1;
	for (i = 0; i < at && i < p->len; i++) {
		if (((unsigned char)p->s[i] & 0xc0) != 0x80)
			col++;
	}
	if (at > p->len)
		col += at - p->len;
	p->err->offset = at;
	p->err->column = col;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
	va_end(ap);
	return NULL;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		abort();	/* out of memory is not survivable here */
	return p;
}

static void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size)) == NULL)
		abort();	/* out of memory is not survivable here */
	return p;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Characters that end an operator's name or a comparison's argument. */
static int
is_stop(char c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')' ||
	    c == '&' || c == '|';
}

/*
 * Whether a bare regex ends at s[i]: at white space, a parenthesis, a ~
 * or a quote, as in mitmproxy; and at an & or | that comes right before
 * a ~, ! or (, which is the operator nobody means as part of the regex.
 */
static int
is_regex_end(const struct parser *p, size_t i)
{
	char c = p->s[i], next = i + 1 < p->len ? p->s[i + 1] : '\0';

	if (is_space(c) || c == '(' || c == ')' || c == '~' || c == '"' ||
	    c == '\'')
		return 1;
	return (c == '&' || c == '|') && (next == '~' || next == '!' ||
	    next == '(');
}

static void
skip_space(struct parser *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++;
}

static char
peek(struct parser *p)
{
	skip_space(p);
	return p->pos < p->len ? p->s[p->pos] : '\0';
}

static int
reads_of(enum kind kind)
{
	switch (kind) {
	case K_URL:		/* the Host header */
	case K_DOMAIN:
	case K_HEADQ:
	case K_CTYPEQ:
	case K_BODYQ:		/* Content-Encoding */
		return READS_REQUEST_HEADERS;
	case K_HEADS:
	case K_CTYPES:
	case K_BODYS:
	case K_ASSET:
	case K_WEBSOCKET:
		return READS_RESPONSE_HEADERS;
	case K_HEAD:
	case K_CTYPE:
	case K_BODY:
	case K_GRPC:
		return READS_REQUEST_HEADERS | READS_RESPONSE_HEADERS;
	default:
		return 0;
	}
}

static struct node *
node_new(enum kind kind, enum cost cost)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->cost = cost;
	return n;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	pcre2_match_data_free(n->md);
	pcre2_code_free(n->re);
	free(n);
}

static void
node_add(struct node *n, struct node *kid)
{
	/* Doubling at powers of two keeps long & chains linear. */
	if ((n->nkids & (n->nkids - 1)) == 0)
		n->kids = xrealloc(n->kids, (n->nkids ? n->nkids * 2 : 1) *
		    sizeof *n->kids);
	n->kids[n->nkids++] = kid;
	if (kid->cost > n->cost)
		n->cost = kid->cost;
}

/*
 * Puts cheap children first, keeping their order otherwise (a stable
 * bucket sort: there are few costs). Tests have no side effects, so the
 * order of & and | operands changes only the time, never the result.
 */
static void
node_sort(struct node *n)
{
	struct node **sorted;
	size_t i, k = 0;
	int c;

	if (n->nkids < 2)
		return;
	sorted = xcalloc(n->nkids, sizeof *sorted);
	for (c = COST_FLAG; c <= COST_BODY; c++) {
		for (i = 0; i < n->nkids; i++) {
			if ((int)n->kids[i]->cost == c)
				sorted[k++] = n->kids[i];
		}
	}
	memcpy(n->kids, sorted, n->nkids * sizeof *sorted);
	free(sorted);
}

/*
 * Reads a bare or quoted word at p->pos into a malloc'ed, NUL-terminated
 * *out: a bare regex when regex is set (is_regex_end), else a word up to
 * is_stop. Returns its length, or -1 on error. *quoted tells whether it
 * was quoted (for mapping regex offsets back to columns).
 */
static ssize_t
read_word(struct parser *p, int regex, char **out, int *quoted)
{
	size_t start = p->pos, end, n = 0;
	char q = p->s[p->pos], *w;

	*quoted = (q == '"' || q == '\'');
	/* Find the end first: allocating the rest of the text per word
	 * would make a long expression quadratic. */
	end = start + *quoted;
	while (end < p->len && (*quoted ? p->s[end] != q : regex ?
	    !is_regex_end(p, end) : !is_stop(p->s[end])))
		end += (*quoted && p->s[end] == '\\' && end + 1 < p->len) ?
		    2 : 1;
	if (*quoted && end >= p->len) {
		fail(p, start, "unterminated quote");
		return -1;
	}
	w = xcalloc(1, end - start + 1);
	if (!*quoted) {
		memcpy(w, p->s + start, end - start);
		p->pos = end;
		*out = w;
		return end - start;
	}
	for (p->pos = start + 1; p->pos < end; ) {
		/* Only these two escapes are ours; PCRE2 gets the rest. */
		if (p->s[p->pos] == '\\' && p->pos + 1 <= end &&
		    (p->s[p->pos + 1] == q || p->s[p->pos + 1] == '\\')) {
			w[n++] = p->s[p->pos + 1];
			p->pos += 2;
		} else
			w[n++] = p->s[p->pos++];
	}
	p->pos = end + 1;
	*out = w;
	return n;
}

/* Byte offset in the source of byte k of a word read by read_word. */
static size_t
word_offset(const struct parser *p, size_t start, int quoted, size_t k)
{
	size_t i = start, n = 0;
	char q;

	if (!quoted)
		return start + k;
	q = p->s[start];
	for (i = start + 1; i < p->len && n < k; n++) {
		if (p->s[i] == '\\' && i + 1 < p->len &&
		    (p->s[i + 1] == q || p->s[i + 1] == '\\'))
			i += 2;
		else
			i++;
	}
	return i;
}

static int
compile_regex(struct parser *p, struct node *n, const struct op *op,
    const char *w, size_t len, size_t start, int quoted)
{
	pcre2_compile_context *ctx = NULL;
	PCRE2_UCHAR msg[200];
	PCRE2_SIZE eoff;
	uint32_t opts = op->re_flags;
	int ecode;

	if (!(p->f->flags & FILTER_CASE_SENSITIVE))
		opts |= PCRE2_CASELESS;
	/* Header blocks are "name: value" lines joined by CR LF, as
	 * mitmproxy joins them: ^ and $ then match at each line. */
	if (op->kind == K_HEAD || op->kind == K_HEADQ || op->kind == K_HEADS) {
		if (p->crlf == NULL &&
		    (p->crlf = pcre2_compile_context_create(NULL)) == NULL)
			abort();	/* out of memory is not survivable */
		pcre2_set_newline(p->crlf, PCRE2_NEWLINE_CRLF);
		ctx = p->crlf;
	}
	n->re = pcre2_compile((PCRE2_SPTR)w, len, opts, &ecode, &eoff, ctx);
	if (n->re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", ecode);
		fail(p, word_offset(p, start, quoted, eoff),
		    "bad regular expression: %s", (char *)msg);
		return -1;
	}
	/* Without JIT PCRE2 interprets: slower, but the same answers. */
	n->jit = pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE) == 0;
	if ((n->md = pcre2_match_data_create(1, NULL)) == NULL)
		abort();	/* out of memory is not survivable here */
	return 0;
}

/*
 * Parses "12", "1.5" and the like without strtod, whose decimal point
 * follows the locale the front end sets. Returns the characters used.
 */
static size_t
parse_decimal(const char *s, int allow_fraction, double *v)
{
	size_t i = 0;
	double scale = 0.1;

	*v = 0;
	while (s[i] >= '0' && s[i] <= '9' && *v < 1e18)
		*v = *v * 10 + (s[i++] - '0');
	if (i == 0)
		return 0;
	if (allow_fraction && s[i] == '.' && s[i + 1] >= '0' &&
	    s[i + 1] <= '9') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
			*v += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	return i;
}

struct unit {
	const char	*name;
	double		 factor;
};

static const struct unit duration_units[] = {
	{ "", 1 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "sec", 1 },
	{ "m", 60 }, { "min", 60 }, { "h", 3600 }, { NULL, 0 }
};
static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1024. }, { "kb", 1024. }, { "kib", 1024. },
	{ "m", 1048576. }, { "mb", 1048576. }, { "mib", 1048576. },
	{ "g", 1073741824. }, { "gb", 1073741824. }, { "gib", 1073741824. },
	{ NULL, 0 }
};

/* One quantity with its unit, the whole of s[0..len). */
static int
parse_quantity(const char *s, size_t len, enum arg arg, double *v)
{
	const struct unit *u = NULL;
	size_t i;

	if ((i = parse_decimal(s, arg != ARG_INT, v)) == 0)
		return -1;
	if (arg == ARG_INT)
		return i == len ? 0 : -1;
	u = arg == ARG_DURATION ? duration_units : size_units;
	for (; u->name != NULL; u++) {
		if (strlen(u->name) == len - i &&
		    strncasecmp(u->name, s + i, len - i) == 0) {
			*v *= u->factor;
			return 0;
		}
	}
	return -1;
}

static const char *
arg_example(enum arg arg)
{
	switch (arg) {
	case ARG_INT:
		return "a number such as 404 or >=500";
	case ARG_DURATION:
		return "a duration such as >500ms or <=2s";
	case ARG_SIZE:
		return "a size such as >1m or <=512k";
	default:
		return "a regular expression";
	}
}

/* "[OP]Q" or "A..B", where OP is one of < <= > >= = == */
static int
parse_comparison(struct node *n, const char *w, size_t len, enum arg arg)
{
	const char *dots;
	size_t i = 0;

	n->cmp = CMP_EQ;
	if (len >= 2 && w[0] == '<' && w[1] == '=')
		n->cmp = CMP_LE, i = 2;
	else if (len >= 2 && w[0] == '>' && w[1] == '=')
		n->cmp = CMP_GE, i = 2;
	else if (len >= 2 && w[0] == '=' && w[1] == '=')
		i = 2;
	else if (len >= 1 && w[0] == '<')
		n->cmp = CMP_LT, i = 1;
	else if (len >= 1 && w[0] == '>')
		n->cmp = CMP_GT, i = 1;
	else if (len >= 1 && w[0] == '=')
		i = 1;
	while (i < len && is_space(w[i]))
		i++;
	if (i == 0 && (dots = memmem(w, len, "..", 2)) != NULL) {
		n->cmp = CMP_RANGE;
		if (parse_quantity(w, dots - w, arg, &n->a) == -1 ||
		    parse_quantity(dots + 2, len - (dots + 2 - w), arg,
		    &n->b) == -1)
			return -1;
		return n->a <= n->b ? 0 : -1;
	}
	return parse_quantity(w + i, len - i, arg, &n->a);
}

static int
is_cmp_only(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (w[i] != '<' && w[i] != '>' && w[i] != '=')
			return 0;
	}
	return len > 0;
}

/* The argument of op, at p->pos (after white space). */
static int
parse_arg(struct parser *p, struct node *n, const struct op *op)
{
	char *w = NULL, *w2 = NULL, *both;
	ssize_t len, len2;
	size_t start, name_end = p->pos;
	int quoted, quoted2, ret = -1, missing;
	char c = peek(p);

	start = p->pos;
	/* "~grpc", "~grpc & ~d x", "~grpc !~e", "(~grpc)": no regex. */
	if (op->arg == ARG_OPTREGEX && (c == '\0' || c == '!' || c == '&' ||
	    c == '|' || (c != '"' && c != '\'' && is_regex_end(p, start))))
		return 0;
	if (op->arg == ARG_REGEX || op->arg == ARG_OPTREGEX)
		/* "~u !x" and "~u a|b" are regexes, but "~u&~s" has none. */
		missing = c == '\0' || (c != '"' && c != '\'' &&
		    is_regex_end(p, start)) || ((c == '&' || c == '|') &&
		    start == name_end);
	else
		missing = c == '\0' || c == '(' || c == ')' || c == '&' ||
		    c == '|' || c == '!' || c == '~';
	if (missing) {
		fail(p, start, "~%s needs %s", op->name, arg_example(op->arg));
		return -1;
	}
	if ((len = read_word(p, op->arg == ARG_REGEX ||
	    op->arg == ARG_OPTREGEX, &w, &quoted)) == -1)
		goto out;
	if (op->arg == ARG_REGEX || op->arg == ARG_OPTREGEX) {
		ret = compile_regex(p, n, op, w, len, start, quoted);
		goto out;
	}
	/* "~dur > 500ms": the operator and the quantity may stand apart. */
	if (!quoted && is_cmp_only(w, len)) {
		c = peek(p);
		if (c == '\0' || is_stop(c) || c == '!' || c == '~') {
			fail(p, p->pos, "~%s needs %s", op->name,
			    arg_example(op->arg));
			goto out;
		}
		if ((len2 = read_word(p, 0, &w2, &quoted2)) == -1)
			goto out;
		both = xcalloc(1, len + len2 + 1);
		memcpy(both, w, len);
		memcpy(both + len, w2, len2);
		free(w);
		w = both;
		len += len2;
	}
	if (parse_comparison(n, w, len, op->arg) == -1) {
		fail(p, start, "~%s needs %s, not \"%.*s\"", op->name,
		    arg_example(op->arg), (int)(len > 40 ? 40 : len), w);
		goto out;
	}
	ret = 0;
out:
	free(w);
	free(w2);
	return ret;
}

static const struct op *
find_op(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPS; i++) {
		if (strlen(ops[i].name) == len &&
		    strncmp(ops[i].name, name, len) == 0)
			return &ops[i];
	}
	return NULL;
}

static int
is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static struct node *
parse_operator(struct parser *p)
{
	const struct op *op;
	struct node *n;
	size_t start = p->pos, nlen = 0, all;
	const char *name = p->s + p->pos + 1;
	char c;

	while (p->pos + 1 + nlen < p->len && is_name(name[nlen]))
		nlen++;
	/* What follows the name may be its quoted or compared argument. */
	c = p->pos + 1 + nlen < p->len ? name[nlen] : '\0';
	op = find_op(name, nlen);
	if (op == NULL || !(is_stop(c) ||
	    (op->arg != ARG_NONE && (c == '"' || c == '\'')) ||
	    (op->arg > ARG_REGEX && op->arg != ARG_OPTREGEX &&
	    (c == '<' || c == '>' || c == '=')))) {
		for (all = nlen; p->pos + 1 + all < p->len &&
		    !is_stop(name[all]); all++)
			;
		if (all == 0)
			return fail(p, start, "~ needs an operator name");
		return fail(p, start, "unknown operator ~%.*s",
		    (int)(all > 32 ? 32 : all), name);
	}
	p->pos += 1 + nlen;
	n = node_new(op->kind, op->cost);
	p->f->reads |= reads_of(op->kind);
	if (op->kind == K_REQUEST)
		p->f->has_q = 1;
	if (op->kind == K_RESPONSE)
		p->f->has_s = 1;
	if (op->arg != ARG_NONE && parse_arg(p, n, op) == -1) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* A bare word or quoted string alone means ~u. */
static struct node *
parse_bare(struct parser *p)
{
	struct node *n;
	char *w;
	ssize_t len;
	size_t start = p->pos;
	int quoted;

	if ((len = read_word(p, 1, &w, &quoted)) == -1)
		return NULL;
	n = node_new(K_URL, COST_BUILD);
	p->f->reads |= reads_of(K_URL);
	if (compile_regex(p, n, find_op("u", 1), w, len, start, quoted) == -1) {
		node_free(n);
		n = NULL;
	}
	free(w);
	return n;
}

static struct node *
parse_primary(struct parser *p)
{
	struct node *n;
	size_t open;
	char c = peek(p);

	switch (c) {
	case '\0':
		return fail(p, p->pos, "expression expected at the end");
	case ')':
	case '&':
	case '|':
		return fail(p, p->pos, "expression expected before %c", c);
	case '(':
		open = p->pos++;
		if (++p->depth > FILTER_MAX_DEPTH)
			return fail(p, open, "nested deeper than %d",
			    FILTER_MAX_DEPTH);
		if ((n = parse_expr(p)) == NULL)
			return NULL;
		p->depth--;
		if (peek(p) != ')') {
			node_free(n);
			return fail(p, open, "unbalanced parenthesis: "
			    "( without )");
		}
		p->pos++;
		return n;
	case '~':
		return parse_operator(p);
	default:
		return parse_bare(p);
	}
}

static struct node *
parse_unary(struct parser *p)
{
	struct node *n, *kid;
	size_t at;

	if (peek(p) != '!')
		return parse_primary(p);
	at = p->pos++;
	if (++p->depth > FILTER_MAX_DEPTH)
		return fail(p, at, "nested deeper than %d", FILTER_MAX_DEPTH);
	if ((kid = parse_unary(p)) == NULL)
		return NULL;
	p->depth--;
	n = node_new(K_NOT, COST_FLAG);
	node_add(n, kid);
	return n;
}

/* Adds kid to the K_AND n, taking in the operands of a K_AND kid. */
static void
and_add(struct node *n, struct node *kid)
{
	size_t i;

	if (kid->kind != K_AND) {
		node_add(n, kid);
		return;
	}
	for (i = 0; i < kid->nkids; i++)
		node_add(n, kid->kids[i]);
	kid->nkids = 0;
	node_free(kid);
}

static struct node *
parse_and(struct parser *p)
{
	struct node *n = NULL, *kid;

	if ((kid = parse_unary(p)) == NULL)
		return NULL;
	while (peek(p) == '&') {
		p->pos++;
		if (n == NULL) {
			n = node_new(K_AND, COST_FLAG);
			and_add(n, kid);
		}
		if ((kid = parse_unary(p)) == NULL) {
			node_free(n);
			return NULL;
		}
		and_add(n, kid);
	}
	if (n == NULL)
		return kid;
	node_sort(n);
	return n;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *n = NULL, *kid;

	if ((kid = parse_and(p)) == NULL)
		return NULL;
	while (peek(p) == '|') {
		p->pos++;
		if (n == NULL) {
			n = node_new(K_OR, COST_FLAG);
			node_add(n, kid);
		}
		if ((kid = parse_and(p)) == NULL) {
			node_free(n);
			return NULL;
		}
		node_add(n, kid);
	}
	if (n == NULL)
		return kid;
	node_sort(n);
	return n;
}

/* Expressions side by side, anded as mitmproxy's OneOrMore does. */
static struct node *
parse_expr(struct parser *p)
{
	struct node *n = NULL, *kid;
	char c;

	if ((kid = parse_or(p)) == NULL)
		return NULL;
	while ((c = peek(p)) != '\0' && c != ')') {
		if (n == NULL) {
			n = node_new(K_AND, COST_FLAG);
			and_add(n, kid);
		}
		if ((kid = parse_or(p)) == NULL) {
			node_free(n);
			return NULL;
		}
		and_add(n, kid);
	}
	if (n == NULL)
		return kid;
	node_sort(n);
	return n;
}

struct filter *
core_filter_compile_err(const char *expr, int flags, struct filter_error *err)
{
	struct filter_error dummy;
	struct parser p;
	struct filter *f;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof *err);
	f = xcalloc(1, sizeof *f);
	f->flags = flags;
	if ((f->text = strdup(expr)) == NULL)
		abort();	/* out of memory is not survivable here */

	memset(&p, 0, sizeof p);
	p.s = expr;
	p.len = strlen(expr);
	p.f = f;
	p.err = err;
	if (peek(&p) == '\0') {
		fail(&p, 0, "empty expression");
		goto fail;
	}
	if ((f->root = parse_expr(&p)) == NULL)
		goto fail;
	if (peek(&p) != '\0') {
		/* parse_expr stops only at the end or at a ) it cannot use. */
		fail(&p, p.pos, "unbalanced parenthesis: ) without (");
		goto fail;
	}

	if ((f->mctx = pcre2_match_context_create(NULL)) == NULL)
		abort();	/* out of memory is not survivable here */
	f->jit = pcre2_jit_stack_create(32 * 1024, FILTER_JIT_STACK, NULL);
	if (f->jit != NULL)
		pcre2_jit_stack_assign(f->mctx, NULL, f->jit);
	pcre2_compile_context_free(p.crlf);
	p.crlf = NULL;
	/* Room for the URL or a header block of a parsed message head. */
	f->scratch_size = LIMIT_HTTP_HEAD + 1024;
	f->scratch = xcalloc(1, f->scratch_size);
	return f;
fail:
	pcre2_compile_context_free(p.crlf);
	core_filter_free(f);
	return NULL;
}

struct filter *
core_filter_compile(const char *expr, int flags, char **cause)
{
	struct filter_error err;
	struct filter *f;
	char *line, *caret;
	size_t i, n;
	int col;

	if ((f = core_filter_compile_err(expr, flags, &err)) != NULL ||
	    cause == NULL)
		return f;
	/* The expression on one line; tabs kept so the caret lines up. */
	n = strlen(expr);
	line = xcalloc(1, n + 1);
	caret = xcalloc(1, n + err.column + 1);
	for (i = 0; i < n; i++)
		line[i] = (expr[i] == '\n' || expr[i] == '\r') ? ' ' : expr[i];
	col = 1;
	for (i = 0; i < n && col < err.column; i++) {
		if (((unsigned char)expr[i] & 0xc0) == 0x80)
			continue;
		caret[strlen(caret)] = expr[i] == '\t' ? '\t' : ' ';
		col++;
	}
	for (; col < err.column; col++)
		caret[strlen(caret)] = ' ';
	caret[strlen(caret)] = '^';
	if (asprintf(cause, "column %d: %s\n%s\n%s", err.column, err.message,
	    line, caret) == -1)
		abort();	/* out of memory is not survivable here */
	free(line);
	free(caret);
	return NULL;
}

void
core_filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	node_free(f->root);
	pcre2_match_context_free(f->mctx);
	pcre2_jit_stack_free(f->jit);
	free(f->scratch);
	free(f->dec[0].buf);
	free(f->dec[1].buf);
	free(f->text);
	free(f);
}

void
core_filter_prefetch(const struct filter *f, const struct flow *fl)
{
	if (f == NULL || fl->type != FLOW_HTTP)
		return;
	if ((f->reads & READS_REQUEST_HEADERS) && fl->request != NULL) {
		__builtin_prefetch(fl->request->headers.v);
		__builtin_prefetch(fl->request->headers.arena);
	}
	if ((f->reads & READS_RESPONSE_HEADERS) && fl->response != NULL) {
		__builtin_prefetch(fl->response->headers.v);
		__builtin_prefetch(fl->response->headers.arena);
	}
}

const char *
core_filter_text(const struct filter *f)
{
	return f->text;
}

int
core_filter_wants_request(const struct filter *f)
{
	return f == NULL || !(f->has_s && !f->has_q);
}

int
core_filter_wants_response(const struct filter *f)
{
	return f == NULL || !(f->has_q && !f->has_s);
}

/* Kinds whose result a request head and the flow's first fields fix. */
static int
node_stable(const struct node *n)
{
	size_t i;

	switch (n->kind) {
	case K_AND:
	case K_OR:
	case K_NOT:
		for (i = 0; i < n->nkids; i++)
			if (!node_stable(n->kids[i]))
				return 0;
		return 1;
	case K_ALL:
	case K_HTTP:
	case K_TCP:
	case K_UDP:
	case K_DNS:
	case K_REPLAY:
	case K_REPLAYQ:
	case K_REPLAYS:
	case K_METHOD:
	case K_DOMAIN:
	case K_URL:
	case K_HEADQ:
	case K_CTYPEQ:
	case K_MODE:
		return 1;
	default:
		return 0;
	}
}

int
core_filter_request_stable(const struct filter *f)
{
	return f == NULL || node_stable(f->root);
}

const struct filter_operator *
core_filter_operators(size_t *n)
{
	static const char *arg_names[] = {
		NULL, "REGEX", "[OP]N", "[OP]DURATION", "[OP]SIZE", "[REGEX]"
	};
	static char names[NOPS][16];
	size_t i;

	if (op_table[0].name == NULL) {
		for (i = 0; i < NOPS; i++) {
			snprintf(names[i], sizeof names[i], "~%s", ops[i].name);
			op_table[i].name = names[i];
			op_table[i].arg = arg_names[ops[i].arg];
			op_table[i].help = ops[i].help;
		}
	}
	*n = NOPS;
	return op_table;
}

/* --- Matching. Nothing below allocates, but for the buffers in filter.h. */

static int
re_match(const struct filter *f, const struct node *n, const char *s,
    size_t len)
{
	if (s == NULL)
		return 0;
	/* pcre2_jit_match skips pcre2_match's checks of the subject; the
	 * strings come from trawl's own flows. */
	if (n->jit)
		return pcre2_jit_match(n->re, (PCRE2_SPTR)s, len, 0, 0, n->md,
		    f->mctx) >= 0;
	return pcre2_match(n->re, (PCRE2_SPTR)s, len, 0, 0, n->md,
	    f->mctx) >= 0;
}

static int
re_str(const struct filter *f, const struct node *n, const char *s)
{
	return s != NULL && re_match(f, n, s, strlen(s));
}

static char *
scratch(struct filter *f, size_t need)
{
	if (need > f->scratch_size) {
		f->scratch_size = need + need / 2;
		f->scratch = xrealloc(f->scratch, f->scratch_size);
	}
	return f->scratch;
}

static size_t
put(char *dst, size_t at, const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0)
		return at;
	memcpy(dst + at, s, n);
	return at + n;
}

/*
 * The host and port of a Host header, as mitmproxy's parse_authority
 * splits it: "[v6]" or "name", then ":digits" or nothing. A value of
 * another form is all host, with no port (0).
 */
static void
split_host(const char *v, const char **host, size_t *len, int *port)
{
	const char *end = v + strlen(v), *h = v, *h_end, *colon, *d;
	int pt = 0;

	*host = v;
	*len = end - v;
	*port = 0;
	if (v[0] == '[') {
		if ((h_end = strrchr(v, ']')) == NULL)
			return;
		h = v + 1;
		colon = h_end + 1;
		if (*colon != '\0' && *colon != ':')
			return;
	} else
		colon = h_end = (d = strchr(v, ':')) != NULL ? d : end;
	if (*colon == ':') {
		for (d = colon + 1; *d >= '0' && *d <= '9' && pt <= 65535; d++)
			pt = pt * 10 + (*d - '0');
		if (d == colon + 1 || *d != '\0' || pt > 65535)
			return;
	}
	if (h_end == h)
		return;
	*host = h;
	*len = h_end - h;
	*port = pt;
}

/* scheme://host[:port]/path, the port only when not the default. */
static size_t
build_url(char *buf, const char *scheme, const char *host, size_t hlen,
    int port, int dflt, const char *path)
{
	size_t at = 0;
	int v6 = memchr(host, ':', hlen) != NULL;

	at = put(buf, at, scheme);
	at = put(buf, at, "://");
	if (v6)
		buf[at++] = '[';
	memcpy(buf + at, host, hlen);
	at += hlen;
	if (v6)
		buf[at++] = ']';
	if (port != 0 && port != dflt)
		at += snprintf(buf + at, 16, ":%d", port);
	return put(buf, at, path);
}

/*
 * The URL as core_flow_url spells it, and the URL with the Host header's
 * authority instead when that names another (mitmproxy's pretty_url),
 * built in the scratch buffer.
 */
static int
match_url(struct filter *f, const struct node *n, const struct flow *fl)
{
	const struct flow_request *r = fl->request;
	const char *scheme, *path, *hh, *hv;
	size_t need, hlen, len;
	char *buf;
	int dflt, hport;

	switch (fl->type) {
	case FLOW_DNS:
		return fl->dns != NULL && re_str(f, n, fl->dns->name);
	case FLOW_TCP:
	case FLOW_UDP:
		return re_str(f, n, fl->server);
	case FLOW_HTTP:
		break;
	}
	if (r == NULL)
		return re_str(f, n, fl->server);
	if (r->host == NULL || r->host[0] == '\0')
		/* Never parsed (a bad request): the target as sent. */
		return re_str(f, n, r->path != NULL ? r->path : "");
	scheme = r->scheme != NULL ? r->scheme : "http";
	dflt = strcmp(scheme, "https") == 0 ? 443 : 80;
	path = r->path != NULL ? r->path : "/";
	if (r->method != NULL && strcmp(r->method, "CONNECT") == 0)
		path = "";
	hv = core_flow_header_get(&r->headers, "host");
	len = strlen(r->host);
	need = strlen(scheme) + 3 + len + 2 + 16 + strlen(path) + 1;
	if (hv != NULL)
		need += strlen(hv);
	buf = scratch(f, need);
	if (re_match(f, n, buf, build_url(buf, scheme, r->host, len, r->port,
	    dflt, path)))
		return 1;
	if (hv == NULL || hv[0] == '\0')
		return 0;
	split_host(hv, &hh, &hlen, &hport);
	if (hport == 0)
		hport = dflt;
	if (hlen == len && strncasecmp(hh, r->host, len) == 0 &&
	    hport == (r->port != 0 ? r->port : dflt))
		return 0;	/* the same URL */
	return re_match(f, n, buf, build_url(buf, scheme, hh, hlen, hport,
	    dflt, path));
}

/* "Name: value" lines joined by CR LF, as mitmproxy matches ~h. */
static int
match_headers(struct filter *f, const struct node *n,
    const struct flow_headers *h)
{
	size_t i, need = 1, at = 0;
	char *buf;

	for (i = 0; i < h->n; i++) {
		need += (h->v[i].name ? strlen(h->v[i].name) : 0) + 2 +
		    (h->v[i].value ? strlen(h->v[i].value) : 0) + 2;
	}
	buf = scratch(f, need);
	for (i = 0; i < h->n; i++) {
		at = put(buf, at, h->v[i].name);
		at = put(buf, at, ": ");
		at = put(buf, at, h->v[i].value);
		at = put(buf, at, "\r\n");
	}
	return re_match(f, n, buf, at);
}

/*
 * Whether a message has a body to search: a HEAD response, a 204, a
 * request without one or a stream that sent nothing has none, so not even
 * a regex that matches the empty text matches it (as in mitmproxy).
 */
static int
has_body(const struct flow_body *b)
{
	return b->len > 0 || b->total > 0;
}

/* side: 0 request, 1 response. */
static int
match_http_body(struct filter *f, const struct node *n,
    const struct flow_headers *h, const struct flow_body *b, int side)
{
	const char *ce, *data = b->data != NULL ? b->data : "";

	if (!has_body(b))
		return 0;
	ce = core_flow_header_get(h, "content-encoding");
	if (ce == NULL || !core_decode_needed(ce))
		return re_match(f, n, data, b->len);
	if (f->dec_state[side] == 0) {
		f->dec_state[side] = core_decode_into(&f->dec[side], ce, data,
		    b->len, b->truncated ? DECODE_PARTIAL : 0, NULL) == 0 ?
		    1 : -1;
	}
	if (f->dec_state[side] == 1)
		return re_match(f, n, f->dec[side].buf != NULL ?
		    f->dec[side].buf : "", f->dec[side].len);
	return re_match(f, n, data, b->len);
}

/* WebSocket messages one side sent (as mitmproxy's ~bq and ~bs read
 * them: the client's count as the request's, the server's as the
 * response's). */
static int
match_msgs(struct filter *f, const struct node *n, const struct flow *fl,
    int from_client)
{
	const struct flow_msg *m;
	size_t i;

	for (i = 0; i < fl->msgs.n; i++) {
		m = core_flow_msg_at(fl, i);
		if (m->from_client == from_client && re_match(f, n,
		    m->data != NULL ? m->data : "", m->len))
			return 1;
	}
	return 0;
}

/* side: 0 request, 1 response, 2 either. */
static int
match_body(struct filter *f, const struct node *n, const struct flow *fl,
    int side)
{
	const struct flow_body *b[2] = { &fl->up, &fl->down };
	int i;

	for (i = 0; i < 2; i++) {
		if (side != 2 && side != i)
			continue;
		switch (fl->type) {
		case FLOW_HTTP:
			if (i == 0 && fl->request != NULL &&
			    match_http_body(f, n, &fl->request->headers,
			    &fl->request->body, 0))
				return 1;
			if (i == 1 && fl->response != NULL &&
			    match_http_body(f, n, &fl->response->headers,
			    &fl->response->body, 1))
				return 1;
			if (fl->msgs.n > 0 && match_msgs(f, n, fl, i == 0))
				return 1;
			break;
		case FLOW_TCP:
		case FLOW_UDP:
			if (has_body(b[i]) && re_match(f, n, b[i]->data !=
			    NULL ? b[i]->data : "", b[i]->len))
				return 1;
			break;
		case FLOW_DNS:
			/* Question as the request, answers (once there is
			 * a response) as the response. */
			if (fl->dns == NULL || (i == 1 && fl->dns->rcode < 0))
				break;
			if (re_str(f, n, i == 0 ? (fl->dns->name != NULL ?
			    fl->dns->name : "") : (fl->dns->answers != NULL ?
			    fl->dns->answers : "")))
				return 1;
			break;
		}
	}
	return 0;
}

/*
 * The URL's host, and the host of the Host header when it names another
 * (mitmproxy's pretty_host), never with a port.
 */
static int
match_domain(const struct filter *f, const struct node *n,
    const struct flow_request *rq)
{
	const char *hv, *host;
	size_t len;
	int port;

	if (re_str(f, n, rq->host))
		return 1;
	hv = core_flow_header_get(&rq->headers, "host");
	if (hv == NULL || hv[0] == '\0')
		return 0;
	split_host(hv, &host, &len, &port);
	if (rq->host != NULL && strlen(rq->host) == len &&
	    strncasecmp(host, rq->host, len) == 0)
		return 0;
	return re_match(f, n, host, len);
}

/* Every Content-Type field of the message, as mitmproxy tests them. */
static int
match_ctype_fields(const struct filter *f, const struct node *n,
    const struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, "content-type") == 0 &&
		    re_str(f, n, h->v[i].value))
			return 1;
	}
	return 0;
}

static int
match_ctype(const struct filter *f, const struct node *n,
    const struct flow *fl, int side)
{
	if (fl->type != FLOW_HTTP)
		return 0;
	if (side != 1 && fl->request != NULL &&
	    match_ctype_fields(f, n, &fl->request->headers))
		return 1;
	if (side != 0 && fl->response != NULL &&
	    match_ctype_fields(f, n, &fl->response->headers))
		return 1;
	return 0;
}

/* A response with a Content-Type field that starts with an asset type. */
static int
is_asset(const struct flow *fl)
{
	static const char *types[] = {
		"text/javascript", "application/javascript",
		"application/x-javascript", "application/ecmascript",
		"text/css", "image/", "font/", "application/font", NULL
	};
	const struct flow_headers *h;
	const char *ct, **t;
	size_t i;

	if (fl->type != FLOW_HTTP || fl->response == NULL)
		return 0;
	h = &fl->response->headers;
	for (i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, "content-type") != 0)
			continue;
		for (ct = h->v[i].value; *ct == ' ' || *ct == '\t'; ct++)
			;
		for (t = types; *t != NULL; t++) {
			if (strncasecmp(ct, *t, strlen(*t)) == 0)
				return 1;
		}
	}
	return 0;
}

/* A gRPC call (or gRPC-Web): its request says so in Content-Type, or
 * failing that its response does (application/grpc, +proto, -web...). */
static int
is_grpc(const struct flow *fl)
{
	const struct flow_headers *hs[2];
	const char *ct;
	size_t i, k;

	hs[0] = fl->request != NULL ? &fl->request->headers : NULL;
	hs[1] = fl->response != NULL ? &fl->response->headers : NULL;
	for (k = 0; k < 2; k++) {
		for (i = 0; hs[k] != NULL && i < hs[k]->n; i++) {
			if (strcasecmp(hs[k]->v[i].name, "content-type") != 0)
				continue;
			for (ct = hs[k]->v[i].value; *ct == ' ' || *ct == '\t';
			    ct++)
				;
			if (strncasecmp(ct, "application/grpc", 16) == 0 &&
			    strchr("+-; \t", ct[16]) != NULL)
				return 1;
		}
	}
	return 0;
}

static int
compare(const struct node *n, double v)
{
	switch (n->cmp) {
	case CMP_EQ:
		return v == n->a;
	case CMP_LT:
		return v < n->a;
	case CMP_LE:
		return v <= n->a;
	case CMP_GT:
		return v > n->a;
	case CMP_GE:
		return v >= n->a;
	case CMP_RANGE:
		return v >= n->a && v <= n->b;
	}
	return 0;
}

/*
 * From the first event to the end; a flow still going is measured up to
 * now, so ~dur >10s also finds requests that hang.
 */
static int
match_duration(struct filter *f, const struct node *n, const struct flow *fl)
{
	double start = fl->t.start, end = fl->t.end;

	if (start == 0 && fl->request != NULL)
		start = fl->request->t_start;
	if (start == 0)
		return 0;
	if (end == 0 && fl->state == FLOW_DONE && fl->response != NULL)
		end = fl->response->t_end;
	if (end == 0) {
		if (f->now == 0)
			f->now = core_now();
		end = f->now;
	}
	return compare(n, end > start ? end - start : 0);
}

static int
match_size(const struct node *n, const struct flow *fl, int side)
{
	switch (fl->type) {
	case FLOW_HTTP:
		if (side == 0)
			return fl->request != NULL &&
			    compare(n, fl->request->body.total);
		return fl->response != NULL &&
		    compare(n, fl->response->body.total);
	case FLOW_TCP:
	case FLOW_UDP:
		return compare(n, side == 0 ? fl->up.total : fl->down.total);
	case FLOW_DNS:
		break;
	}
	return 0;
}

static int
eval(struct filter *f, const struct node *n, const struct flow *fl)
{
	const struct flow_request *rq = fl->request;
	const struct flow_response *rs = fl->response;
	int http = fl->type == FLOW_HTTP;
	const char *u;
	size_t i;

	switch (n->kind) {
	case K_AND:
		for (i = 0; i < n->nkids; i++) {
			if (!eval(f, n->kids[i], fl))
				return 0;
		}
		return 1;
	case K_OR:
		for (i = 0; i < n->nkids; i++) {
			if (eval(f, n->kids[i], fl))
				return 1;
		}
		return 0;
	case K_NOT:
		return !eval(f, n->kids[0], fl);
	case K_ALL:
		return 1;
	case K_ERROR:
		return fl->error != NULL;
	case K_MARKED:
		return fl->marker != NULL && fl->marker[0] != '\0';
	case K_HTTP:
		return http;
	case K_WEBSOCKET:
		/* A 101 to websocket: its messages are on the flow. A HAR
		 * entry with messages counts even without the fields. */
		if (fl->ws.on)
			return 1;
		return http && rs != NULL && rs->status == 101 &&
		    (u = core_flow_header_get(&rs->headers, "upgrade")) != NULL &&
		    strcasecmp(u, "websocket") == 0;
	case K_TCP:
		return fl->type == FLOW_TCP;
	case K_UDP:
		return fl->type == FLOW_UDP;
	case K_DNS:
		return fl->type == FLOW_DNS;
	case K_REQUEST:
		if (fl->type == FLOW_DNS)
			return fl->dns != NULL && fl->dns->rcode < 0;
		return http && rq != NULL && rs == NULL;
	case K_RESPONSE:
		if (fl->type == FLOW_DNS)
			return fl->dns != NULL && fl->dns->rcode >= 0;
		return http && rs != NULL;
	case K_REPLAY:
		return fl->replay != REPLAY_NONE;
	case K_REPLAYQ:
		return fl->replay == REPLAY_REQUEST;
	case K_REPLAYS:
		return fl->replay == REPLAY_RESPONSE;
	case K_ASSET:
		return is_asset(fl);
	case K_MARKER:
		/* No marker or comment is the empty text, as in mitmproxy. */
		return re_str(f, n, fl->marker != NULL ? fl->marker : "");
	case K_COMMENT:
		return re_str(f, n, fl->comment != NULL ? fl->comment : "");
	case K_METHOD:
		return http && rq != NULL && re_str(f, n, rq->method);
	case K_DOMAIN:
		if (fl->type == FLOW_DNS)
			return fl->dns != NULL && re_str(f, n, fl->dns->name);
		if (!http)
			return re_str(f, n, core_flow_client_tls(fl)->sni);
		return rq != NULL && match_domain(f, n, rq);
	case K_URL:
		return match_url(f, n, fl);
	case K_HEAD:
		return http && ((rq != NULL &&
		    match_headers(f, n, &rq->headers)) ||
		    (rs != NULL && match_headers(f, n, &rs->headers)));
	case K_HEADQ:
		return http && rq != NULL && match_headers(f, n, &rq->headers);
	case K_HEADS:
		return http && rs != NULL && match_headers(f, n, &rs->headers);
	case K_CTYPE:
		return match_ctype(f, n, fl, 2);
	case K_CTYPEQ:
		return match_ctype(f, n, fl, 0);
	case K_CTYPES:
		return match_ctype(f, n, fl, 1);
	case K_BODY:
		return match_body(f, n, fl, 2);
	case K_BODYQ:
		return match_body(f, n, fl, 0);
	case K_BODYS:
		return match_body(f, n, fl, 1);
	case K_SRC:
		return re_str(f, n, fl->client);
	case K_DST:
		return re_str(f, n, fl->server);
	case K_PROC:
		return re_str(f, n, fl->comm);
	case K_MODE:
		return re_str(f, n, fl->mode);
	case K_CODE:
		return http && rs != NULL && compare(n, rs->status);
	case K_PID:
		return fl->pid != 0 && compare(n, fl->pid);
	case K_DUR:
		return match_duration(f, n, fl);
	case K_SIZE:
	case K_SIZES:
		return match_size(n, fl, 1);
	case K_SIZEQ:
		return match_size(n, fl, 0);
	case K_GRPC:
		/* The path of a call is "/package.Service/Method". */
		return http && is_grpc(fl) && (n->re == NULL ||
		    (rq != NULL && re_str(f, n, rq->path)));
	}
	abort();	/* a kind without a case is a bug */
}

int
core_filter_match(struct filter *f, const struct flow *fl)
{
	if (f == NULL)
		return 1;
	/* Decoded bodies belong to the flow of this call only. */
	f->dec_state[0] = f->dec_state[1] = 0;
	f->now = 0;
	return eval(f, f->root, fl);
}
