/*
 * rules.c -- modify-headers, modify-body, map-remote, map-local,
 * block-list, anticache and anticomp: compiled once, applied by the
 * exchange at a request head, a response head and a message's end.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <sys/stat.h>

#include <brotli/encode.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/http/decode.h"
#include "core/http/url.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/proxy/exchange.h"
#include "core/proxy/rules.h"

/* A piece of a replacement: literal text, or what a group captured. */
struct piece {
	int	 group;		/* -1: literal */
	size_t	 off;		/* literal: in rule->lit */
	size_t	 len;
};

struct rule {
	struct rules_rule	 pub;
	char			*text;
	struct filter		*filter;	/* NULL: every flow */
	int			 req, resp;	/* the sides it applies to */
	int			 stable;	/* see struct memo */
	char			*name;		/* modify-headers */
	char			*value;		/* NULL: remove the field */
	pcre2_code		*re;		/* body, map-remote, map-local */
	pcre2_match_data	*md;
	char			*lit;		/* replacement pieces' text */
	size_t			 lit_len;
	struct piece		*pieces;
	size_t			 npieces;
	char			*path;		/* map-local */
	int			 status;	/* block-list */
};

static struct rule	**rules;
static size_t		  nrules;
static int		  next_id = 1;
static int		  filter_flags;

/*
 * A modify-headers rule for both sides whose filter reads the request
 * head only (core_filter_request_stable) matches at the response head
 * as it did at the request head: the request head keeps its results
 * here, bit i for rules[i], so the response head need not match them
 * again (twenty such rules were forty matches a flow). Used only while
 * the flow is unmodified (a rule or an edit may have changed what the
 * filter reads) and the rules are as they were (gen). Flows in flight
 * share the slots by address; one that lost its slot matches again.
 */
#define MEMO_SLOTS	256
#define MEMO_RULES	64
struct memo {
	const struct flow	*f;
	uint64_t		 id;
	unsigned		 gen;
	uint64_t		 known;		/* rules matched at the request */
	uint64_t		 match;		/* those of them that matched */
};
static struct memo	  memo[MEMO_SLOTS];
static unsigned		  gen;		/* bumped when rules[] changes */

static const char *kind_names[RULES_NKINDS] = {
	"modify-headers", "modify-body", "map-remote", "map-local",
	"block-list", "anticache", "anticomp"
};

/* What each kind's spec looks like, for error messages. */
static const char *kind_forms[RULES_NKINDS] = {
	"[/FILTER]/NAME/[@]VALUE", "[/FILTER]/REGEX/[@]REPLACEMENT",
	"[/FILTER]/URL-REGEX/REPLACEMENT", "[/FILTER]/URL-REGEX/PATH",
	"[/FILTER]/STATUS", "", ""
};

const char *
core_rules_kind_name(enum rules_kind k)
{
	return (unsigned)k < RULES_NKINDS ? kind_names[k] : "?";
}

int
core_rules_kind_of(const char *name)
{
	int i;

	for (i = 0; i < RULES_NKINDS; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int
core_rules_kind_has_spec(enum rules_kind k)
{
	return k != RULES_ANTICACHE && k != RULES_ANTICOMP;
}

void
core_rules_set_filter_flags(int flags)
{
	filter_flags = flags;
}

/* --- compiling ------------------------------------------------------------ */

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Column (1-based, in characters) of byte offset at in s. */
static int
column(const char *s, size_t at)
{
	size_t i;
	int col = 1;

	for (i = 0; i < at && s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	if (i < at)
		col += (int)(at - i);
	return col;
}

/* "column N: message", the spec, a caret under column N. */
static int
bad(char **cause, const char *spec, size_t at, const char *fmt, ...)
{
	char msg[300], *line, *caret;
	size_t i, n = strlen(spec);
	int col = column(spec, at), c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	line = xstrndup(spec, n);
	caret = calloc(1, n + (size_t)col + 2);
	if (caret == NULL)
		abort();
	for (i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	for (i = 0, c = 1; i < n && c < col; i++) {
		if (((unsigned char)spec[i] & 0xc0) == 0x80)
			continue;
		caret[strlen(caret)] = spec[i] == '\t' ? '\t' : ' ';
		c++;
	}
	for (; c < col; c++)
		caret[strlen(caret)] = ' ';
	caret[strlen(caret)] = '^';
	core_cause(cause, "column %d: %s\n%s\n%s", col, msg, line, caret);
	free(line);
	free(caret);
	return -1;
}

/* The parts of a spec between its separators. */
struct parts {
	int		 n;
	const char	*p[4];
	size_t		 len[4];
	size_t		 off[4];	/* in the spec */
};

static int
split(const char *spec, struct parts *ps, const char *form, char **cause)
{
	unsigned char sep = (unsigned char)spec[0];
	size_t i, start = 1;

	memset(ps, 0, sizeof *ps);
	if (spec[0] == '\0')
		return bad(cause, spec, 0, "an empty rule: expected %s", form);
	if (sep >= 0x80 || !ispunct(sep))
		return bad(cause, spec, 0, "a rule starts with its separator, "
		    "a punctuation character such as '/' (expected %s)", form);
	for (i = 1;; i++) {
		if (spec[i] != (char)sep && spec[i] != '\0')
			continue;
		if (ps->n == 4)
			return bad(cause, spec, start - 1, "too many '%c' "
			    "separators: expected %s", sep, form);
		ps->p[ps->n] = spec + start;
		ps->len[ps->n] = i - start;
		ps->off[ps->n] = start;
		ps->n++;
		if (spec[i] == '\0')
			break;
		start = i + 1;
	}
	return 0;
}

/* Reads a whole file of at most max bytes. Caller frees *out. */
static int
read_file(const char *path, size_t max, char **out, size_t *len,
    const char **why)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc = -1;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto out;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		*why = "too large";
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		abort();
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	if (rc == -1 && *why == NULL)
		*why = strerror(errno);
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

/* A value as given, or read from the file after '@'. */
static int
value_of(const char *spec, const struct parts *ps, int i, size_t max,
    char **out, size_t *len, int *from_file, char **cause)
{
	const char *why;
	char *path;
	int rc;

	*from_file = ps->len[i] > 0 && ps->p[i][0] == '@';
	if (!*from_file) {
		*out = xstrndup(ps->p[i], ps->len[i]);
		*len = ps->len[i];
		return 0;
	}
	path = xstrndup(ps->p[i] + 1, ps->len[i] - 1);
	rc = read_file(path, max, out, len, &why);
	if (rc == -1)
		bad(cause, spec, ps->off[i], "cannot read %s: %s", path, why);
	free(path);
	return rc;
}

static int
compile_filter(struct rule *r, const char *spec, const struct parts *ps,
    int i, char **cause)
{
	struct filter_error err;
	char *text;

	if (ps->len[i] == 0)
		return 0;	/* "//NAME/VALUE": every flow */
	text = xstrndup(ps->p[i], ps->len[i]);
	r->filter = core_filter_compile_err(text, filter_flags, &err);
	free(text);
	if (r->filter == NULL)
		return bad(cause, spec, ps->off[i] + err.offset, "%s",
		    err.message);
	return 0;
}

static int
compile_regex(struct rule *r, const char *spec, const struct parts *ps,
    int i, char **cause)
{
	PCRE2_UCHAR msg[200];
	PCRE2_SIZE eoff;
	int ecode;

	if (ps->len[i] == 0)
		return bad(cause, spec, ps->off[i], "an empty regular "
		    "expression");
	r->re = pcre2_compile((PCRE2_SPTR)ps->p[i], ps->len[i], 0, &ecode,
	    &eoff, NULL);
	if (r->re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", ecode);
		return bad(cause, spec, ps->off[i] + eoff, "bad regular "
		    "expression: %s", (char *)msg);
	}
	pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	if ((r->md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL)
		abort();
	return 0;
}

static void
piece_add(struct rule *r, int group, const char *lit, size_t len)
{
	struct piece *p;

	if (group < 0 && len == 0)
		return;
	if (group < 0 && r->npieces > 0 && r->pieces[r->npieces - 1].group < 0 &&
	    r->pieces[r->npieces - 1].off + r->pieces[r->npieces - 1].len ==
	    r->lit_len) {
		/* Extends the literal before it. */
		p = &r->pieces[r->npieces - 1];
	} else {
		r->pieces = realloc(r->pieces, (r->npieces + 1) * sizeof *p);
		if (r->pieces == NULL)
			abort();
		p = &r->pieces[r->npieces++];
		p->group = group;
		p->off = r->lit_len;
		p->len = 0;
	}
	if (group >= 0)
		return;
	r->lit = realloc(r->lit, r->lit_len + len + 1);
	if (r->lit == NULL)
		abort();
	memcpy(r->lit + r->lit_len, lit, len);
	r->lit_len += len;
	r->lit[r->lit_len] = '\0';
	p->len += len;
}

/* Group named or numbered by s[0..n), checked against the regex. */
static int
group_of(struct rule *r, const char *s, size_t n)
{
	uint32_t count = 0;
	char *name;
	size_t i;
	int g;

	if (n == 0)
		return -1;
	pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &count);
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++)
		;
	if (i == n) {
		if (n > 4)
			return -1;
		g = 0;
		for (i = 0; i < n; i++)
			g = g * 10 + (s[i] - '0');
		return (uint32_t)g <= count ? g : -1;
	}
	name = xstrndup(s, n);
	g = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR)name);
	free(name);
	return g >= 0 ? g : -1;
}

/*
 * A replacement: $N, ${N}, ${NAME} and mitmproxy's (Python's) \N and
 * \g<NAME> insert what a group captured, $$ is a dollar sign, \\ a
 * backslash, \n \r \t those characters; the rest is literal. literal: a
 * value read from a file, taken byte for byte.
 */
static int
compile_replacement(struct rule *r, const char *spec, size_t base,
    const char *s, size_t n, int literal, char **cause)
{
	size_t i = 0, j;
	int g;

	if (literal) {
		piece_add(r, -1, s, n);
		return 0;
	}
	while (i < n) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '$') {
			piece_add(r, -1, "$", 1);
			i += 2;
		} else if (s[i] == '$') {
			if (i + 1 < n && s[i + 1] == '{') {
				for (j = i + 2; j < n && s[j] != '}'; j++)
					;
				if (j == n)
					return bad(cause, spec, base + i, "'${' "
					    "without its '}'");
				g = group_of(r, s + i + 2, j - i - 2);
				j++;
			} else {
				for (j = i + 1; j < n &&
				    isdigit((unsigned char)s[j]); j++)
					;
				g = group_of(r, s + i + 1, j - i - 1);
			}
			if (g < 0)
				return bad(cause, spec, base + i, "no such group "
				    "in the regular expression (write $$ for a "
				    "dollar sign)");
			piece_add(r, g, NULL, 0);
			i = j;
		} else if (s[i] == '\\' && i + 1 < n) {
			char c = s[i + 1];

			if (isdigit((unsigned char)c)) {
				g = group_of(r, s + i + 1, 1);
				if (g < 0)
					return bad(cause, spec, base + i, "no "
					    "such group in the regular "
					    "expression");
				piece_add(r, g, NULL, 0);
				i += 2;
			} else if (c == 'g' && i + 2 < n && s[i + 2] == '<') {
				for (j = i + 3; j < n && s[j] != '>'; j++)
					;
				if (j == n)
					return bad(cause, spec, base + i, "'\\g<' "
					    "without its '>'");
				g = group_of(r, s + i + 3, j - i - 3);
				if (g < 0)
					return bad(cause, spec, base + i, "no "
					    "such group in the regular "
					    "expression");
				piece_add(r, g, NULL, 0);
				i = j + 1;
			} else {
				const char *e = c == 'n' ? "\n" : c == 'r' ?
				    "\r" : c == 't' ? "\t" : c == '\\' ? "\\" :
				    NULL;

				if (e != NULL)
					piece_add(r, -1, e, 1);
				else
					piece_add(r, -1, s + i, 2);
				i += 2;
			}
		} else {
			for (j = i; j < n && s[j] != '$' && s[j] != '\\'; j++)
				;
			if (j == i)
				j++;	/* a lone trailing backslash */
			piece_add(r, -1, s + i, j - i);
			i = j;
		}
	}
	return 0;
}

static int
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
compile_headers(struct rule *r, const char *spec, const struct parts *ps,
    char **cause)
{
	int v = ps->n - 1, from_file;
	size_t i, len;
	char *val;

	if (ps->len[v - 1] == 0)
		return bad(cause, spec, ps->off[v - 1], "an empty header name");
	for (i = 0; i < ps->len[v - 1]; i++)
		if (!is_tchar((unsigned char)ps->p[v - 1][i]))
			return bad(cause, spec, ps->off[v - 1] + i, "%s",
			    ps->p[v - 1][0] == '@' ? "a header name cannot "
			    "start with '@' (a file path holding the separator "
			    "needs another one: |NAME|@/path)" : "a header "
			    "name is letters, digits and !#$%&'*+-.^_`|~");
	r->name = xstrndup(ps->p[v - 1], ps->len[v - 1]);
	if (value_of(spec, ps, v, LIMIT_HTTP_HEAD, &val, &len, &from_file,
	    cause) == -1)
		return -1;
	/* A file's last newline is the file's, not the value's. */
	while (from_file && len > 0 && (val[len - 1] == '\n' ||
	    val[len - 1] == '\r'))
		val[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (val[i] == '\r' || val[i] == '\n' || val[i] == '\0') {
			free(val);
			return bad(cause, spec, ps->off[v] + (from_file ? 0 : i),
			    "a header value cannot hold CR, LF or NUL");
		}
	}
	if (len == 0) {
		free(val);	/* an empty value removes the field */
		val = NULL;
	}
	r->value = val;
	return 0;
}

static int
compile_body(struct rule *r, const char *spec, const struct parts *ps,
    char **cause)
{
	int v = ps->n - 1, from_file, rc;
	size_t len;
	char *val;

	if (compile_regex(r, spec, ps, v - 1, cause) == -1)
		return -1;
	if (value_of(spec, ps, v, LIMIT_FLOW_BODY, &val, &len, &from_file,
	    cause) == -1)
		return -1;
	rc = compile_replacement(r, spec, ps->off[v], val, len, from_file,
	    cause);
	free(val);
	return rc;
}

static int
compile_map_remote(struct rule *r, const char *spec, const struct parts *ps,
    char **cause)
{
	int v = ps->n - 1;

	if (compile_regex(r, spec, ps, v - 1, cause) == -1)
		return -1;
	if (ps->len[v] == 0)
		return bad(cause, spec, ps->off[v], "an empty replacement URL");
	return compile_replacement(r, spec, ps->off[v], ps->p[v], ps->len[v],
	    0, cause);
}

static int
compile_map_local(struct rule *r, const char *spec, const struct parts *ps,
    char **cause)
{
	int v = ps->n - 1;
	struct stat st;

	if (compile_regex(r, spec, ps, v - 1, cause) == -1)
		return -1;
	if (ps->len[v] == 0)
		return bad(cause, spec, ps->off[v], "an empty path");
	r->path = xstrndup(ps->p[v], ps->len[v]);
	/* Files may come and go later (404), but a path that names
	 * nothing now is most likely a typo. */
	if (stat(r->path, &st) == -1)
		return bad(cause, spec, ps->off[v], "%s: %s", r->path,
		    strerror(errno));
	while (strlen(r->path) > 1 && r->path[strlen(r->path) - 1] == '/')
		r->path[strlen(r->path) - 1] = '\0';
	return 0;
}

static int
compile_block(struct rule *r, const char *spec, const struct parts *ps,
    char **cause)
{
	int v = ps->n - 1, status = 0;
	size_t i;

	for (i = 0; i < ps->len[v]; i++) {
		if (!isdigit((unsigned char)ps->p[v][i]) || i >= 3)
			return bad(cause, spec, ps->off[v] + i, "a status is "
			    "three digits");
		status = status * 10 + (ps->p[v][i] - '0');
	}
	if (ps->len[v] != 3 || (status != 444 && (status < 200 || status > 599)))
		return bad(cause, spec, ps->off[v], "expected a status from "
		    "200 to 599, or 444 to close the connection");
	r->status = status;
	return 0;
}

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->text);
	core_filter_free(r->filter);
	free(r->name);
	free(r->value);
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->re);
	free(r->lit);
	free(r->pieces);
	free(r->path);
	free(r);
}

int
core_rules_add(enum rules_kind kind, const char *spec, char **cause)
{
	struct rule *r;
	struct parts ps;
	int rc = -1, minparts;

	if ((unsigned)kind >= RULES_NKINDS) {
		core_cause(cause, "unknown rule kind");
		return -1;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		abort();
	r->pub.kind = kind;
	r->text = strdup(core_rules_kind_has_spec(kind) && spec != NULL ?
	    spec : "");
	if (r->text == NULL)
		abort();
	r->req = 1;
	r->resp = kind == RULES_MODIFY_HEADERS || kind == RULES_MODIFY_BODY;
	if (!core_rules_kind_has_spec(kind)) {
		rc = 0;
		goto out;
	}
	if (split(r->text, &ps, kind_forms[kind], cause) == -1)
		goto out;
	minparts = kind == RULES_BLOCK_LIST ? 1 : 2;
	if (ps.n < minparts || ps.n > minparts + 1) {
		bad(cause, r->text, ps.n < minparts ? strlen(r->text) :
		    ps.off[minparts + 1] - 1, "%s '%c' separators: expected %s",
		    ps.n < minparts ? "too few" : "too many", r->text[0],
		    kind_forms[kind]);
		goto out;
	}
	if (ps.n == minparts + 1 && compile_filter(r, r->text, &ps, 0,
	    cause) == -1)
		goto out;
	if (r->filter != NULL && r->resp) {
		r->req = core_filter_wants_request(r->filter);
		r->resp = core_filter_wants_response(r->filter);
	}
	r->stable = kind == RULES_MODIFY_HEADERS && r->req && r->resp &&
	    core_filter_request_stable(r->filter);
	switch (kind) {
	case RULES_MODIFY_HEADERS:
		rc = compile_headers(r, r->text, &ps, cause);
		break;
	case RULES_MODIFY_BODY:
		rc = compile_body(r, r->text, &ps, cause);
		break;
	case RULES_MAP_REMOTE:
		rc = compile_map_remote(r, r->text, &ps, cause);
		break;
	case RULES_MAP_LOCAL:
		rc = compile_map_local(r, r->text, &ps, cause);
		break;
	case RULES_BLOCK_LIST:
		rc = compile_block(r, r->text, &ps, cause);
		break;
	default:
		break;
	}
out:
	if (rc == -1) {
		rule_free(r);
		return -1;
	}
	r->pub.id = next_id++;
	r->pub.text = r->text;
	r->pub.enabled = 1;
	rules = realloc(rules, (nrules + 1) * sizeof *rules);
	if (rules == NULL)
		abort();
	rules[nrules++] = r;
	gen++;
	return r->pub.id;
}

int
core_rules_remove(int id)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (rules[i]->pub.id == id) {
			rule_free(rules[i]);
			memmove(&rules[i], &rules[i + 1],
			    (nrules - i - 1) * sizeof *rules);
			nrules--;
			gen++;
			return 0;
		}
	}
	return -1;
}

int
core_rules_replace(int id, const char *spec, char **cause)
{
	struct rule *nr;
	size_t i;

	for (i = 0; i < nrules && rules[i]->pub.id != id; i++)
		;
	if (i == nrules) {
		core_cause(cause, "no rule #%d", id);
		return -1;
	}
	if (core_rules_add(rules[i]->pub.kind, spec, cause) == -1)
		return -1;
	/* The new rule went last with a fresh id: it takes the old one's
	 * place, id, state and count instead. */
	nr = rules[--nrules];
	nr->pub.id = id;
	nr->pub.enabled = rules[i]->pub.enabled;
	nr->pub.flows = rules[i]->pub.flows;
	rule_free(rules[i]);
	rules[i] = nr;
	next_id--;
	gen++;
	return 0;
}

int
core_rules_set_enabled(int id, int on)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (rules[i]->pub.id == id) {
			rules[i]->pub.enabled = on;
			return 0;
		}
	}
	return -1;
}

size_t
core_rules_count(void)
{
	return nrules;
}

const struct rules_rule *
core_rules_rule(size_t i)
{
	return i < nrules ? &rules[i]->pub : NULL;
}

const struct rules_rule *
core_rules_find(int id)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (rules[i]->pub.id == id)
			return &rules[i]->pub;
	return NULL;
}

void
core_rules_clear(void)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		rule_free(rules[i]);
	free(rules);
	rules = NULL;
	nrules = 0;
	gen++;
}

char *
core_rules_describe(int id, char *buf, size_t size)
{
	const struct rules_rule *r = core_rules_find(id);

	if (r == NULL)
		snprintf(buf, size, "rule #%d (removed)", id);
	else
		snprintf(buf, size, "%s #%d%s%s", core_rules_kind_name(r->kind),
		    id, r->text[0] != '\0' ? " " : "", r->text);
	return buf;
}

/* --- matching ------------------------------------------------------------- */

#define SIDE_REQUEST	1
#define SIDE_RESPONSE	2

static int
applies(const struct rule *r, enum rules_kind kind, int side,
    const struct flow *f)
{
	if (r->pub.kind != kind || !r->pub.enabled)
		return 0;
	if ((side == SIDE_REQUEST && !r->req) ||
	    (side == SIDE_RESPONSE && !r->resp))
		return 0;
	return core_filter_match(r->filter, f);
}

/* The rule changed f: say so on the flow and count it. */
static void
note(struct flow *f, struct rule *r)
{
	int i, kept = f->nrule_ids < FLOW_RULE_IDS ? f->nrule_ids :
	    FLOW_RULE_IDS;

	for (i = 0; i < kept; i++)
		if (f->rule_ids[i] == r->pub.id)
			return;
	if (f->nrule_ids < FLOW_RULE_IDS)
		f->rule_ids[f->nrule_ids] = r->pub.id;
	f->nrule_ids++;
	r->pub.flows++;
}

/* Before the first change: the original, for revert. */
static void
keep_request(struct flow *f)
{
	if (f->orig_request == NULL)
		f->orig_request = core_flow_request_dup(f->request);
	f->modified = 1;
}

static void
keep_response(struct flow *f)
{
	if (f->orig_response == NULL)
		f->orig_response = core_flow_response_dup(f->response);
	f->modified = 1;
}

/* The request's URL as filters and map rules see it, in a buffer that
 * lives as long as trawl. NULL when it does not fit. */
static const char *
url_of(const struct flow_request *r, size_t *len)
{
	static char buf[LIMIT_HTTP_HEAD + 512];
	const char *scheme = r->scheme != NULL ? r->scheme : "http";
	const char *host = r->host != NULL ? r->host : "";
	int def = strcmp(scheme, "https") == 0 ? 443 : 80, n;
	char port[16] = "";

	if (r->port != 0 && r->port != def)
		snprintf(port, sizeof port, ":%d", r->port);
	n = snprintf(buf, sizeof buf, strchr(host, ':') != NULL ?
	    "%s://[%s]%s%s" : "%s://%s%s%s", scheme, host, port,
	    r->path != NULL && r->path[0] != '\0' ? r->path : "/");
	if (n < 0 || (size_t)n >= sizeof buf)
		return NULL;
	*len = (size_t)n;
	return buf;
}

/*
 * Substitutes every match of r->re in s[0..n) into out (a buf), up to
 * max bytes. Returns the number of matches, or -1 when the result would
 * be larger than max.
 */
static int
substitute(struct rule *r, const char *s, size_t n, struct buf *out,
    size_t max)
{
	PCRE2_SIZE *ov, pos = 0;
	size_t i, done = 0;
	int rc, count = 0;

	ov = pcre2_get_ovector_pointer(r->md);
	while (pos <= n) {
		rc = pcre2_match(r->re, (PCRE2_SPTR)s, n, pos, 0, r->md, NULL);
		if (rc < 0)
			break;
		count++;
		core_buf_append(out, s + done, ov[0] - done);
		for (i = 0; i < r->npieces; i++) {
			const struct piece *p = &r->pieces[i];

			if (p->group < 0)
				core_buf_append(out, r->lit + p->off, p->len);
			else if ((uint32_t)p->group < (uint32_t)rc &&
			    ov[2 * p->group] != PCRE2_UNSET)
				core_buf_append(out, s + ov[2 * p->group],
				    ov[2 * p->group + 1] - ov[2 * p->group]);
		}
		done = ov[1];
		/* An empty match moves on by one byte, copied as it is. */
		pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		if (ov[1] == ov[0] && ov[1] < n) {
			core_buf_append(out, s + ov[1], 1);
			done = ov[1] + 1;
		}
		if (out->len > max)
			return -1;
	}
	if (done < n)
		core_buf_append(out, s + done, n - done);
	return out->len > max ? -1 : count;
}

/* --- headers ------------------------------------------------------------- */

/* Sets name: value where the first such field was (others go), or at
 * the end. */
static void
header_set(struct flow_headers *h, const char *name, const char *value)
{
	struct flow_headers out = { 0 };
	size_t i;
	int done = 0;

	for (i = 0; i < h->n; i++) {
		const struct flow_header *f = &h->v[i];

		if (strcasecmp(f->name, name) != 0)
			core_flow_header_add(&out, f->name, strlen(f->name),
			    f->value, strlen(f->value));
		else if (!done++)
			core_flow_header_add(&out, f->name, strlen(f->name),
			    value, strlen(value));
	}
	if (!done)
		core_flow_header_add(&out, name, strlen(name), value,
		    strlen(value));
	core_flow_headers_clear(h);
	*h = out;
}

/* A field's name is the rule's: the first letter decides most. */
static int
name_is(const char *name, const struct rule *r)
{
	return (name[0] | 0x20) == (r->name[0] | 0x20) &&
	    strcasecmp(name, r->name) == 0;
}

/* Whether a modify-headers rule would change h. */
static int
header_differs(const struct flow_headers *h, const struct rule *r)
{
	size_t i, n = 0;
	int same = 0;

	for (i = 0; i < h->n; i++) {
		if (name_is(h->v[i].name, r)) {
			n++;
			same = r->value != NULL && strcmp(h->v[i].value,
			    r->value) == 0;
		}
	}
	return r->value == NULL ? n > 0 : !(n == 1 && same);
}

static struct memo *
memo_of(const struct flow *f)
{
	return &memo[((uintptr_t)f / sizeof *f) % MEMO_SLOTS];
}

/* applies() for modify-headers rules[i], through f's memo: the request
 * side fills it, the response side reads it when use. */
static int
headers_apply(size_t i, int side, const struct flow *f, struct memo *mo,
    int use)
{
	struct rule *r = rules[i];
	uint64_t bit = (uint64_t)1 << (i % MEMO_RULES);
	int m;

	if (!r->stable || i >= MEMO_RULES)
		return applies(r, RULES_MODIFY_HEADERS, side, f);
	if (!r->pub.enabled)
		return 0;
	if (side == SIDE_RESPONSE && use && (mo->known & bit))
		return (mo->match & bit) != 0;
	m = core_filter_match(r->filter, f);
	if (side == SIDE_REQUEST) {
		mo->known |= bit;
		if (m)
			mo->match |= bit;
	}
	return m;
}

/*
 * modify-headers as mitmproxy does it: every matching rule's field goes
 * first, then each rule with a value adds its field (two rules of one
 * name give two fields). keep: the side's keep_* for the original.
 */
static void
modify_headers(struct flow *f, int side)
{
	struct flow_headers *h = side == SIDE_REQUEST ? &f->request->headers :
	    &f->response->headers;
	struct flow_headers out = { 0 };
	struct rule *m[64];
	struct memo *mo = memo_of(f);
	size_t i, nm = 0, j;
	int any = 0, differs[64], use;

	use = side == SIDE_RESPONSE && mo->f == f && mo->id == f->id &&
	    mo->gen == gen && !f->modified;
	if (side == SIDE_REQUEST) {
		mo->f = f;
		mo->id = f->id;
		mo->gen = gen;
		mo->known = mo->match = 0;
	}
	/* Matching again after a change would see changed headers (~h):
	 * the set of rules is decided once, on the message as it came. */
	for (i = 0; i < nrules && nm < 64; i++) {
		if (headers_apply(i, side, f, mo, use)) {
			differs[nm] = header_differs(h, rules[i]);
			any |= differs[nm];
			m[nm++] = rules[i];
		}
	}
	if (use)
		mo->f = NULL;	/* one response head a flow */
	if (!any)
		return;
	if (side == SIDE_REQUEST)
		keep_request(f);
	else
		keep_response(f);
	for (j = 0; j < nm; j++)
		if (differs[j])
			note(f, m[j]);
	/* One new list: the fields no rule names, then the rules' own. */
	for (i = 0; i < h->n; i++) {
		for (j = 0; j < nm && !name_is(h->v[i].name, m[j]); j++)
			;
		if (j == nm)
			core_flow_header_add(&out, h->v[i].name,
			    strlen(h->v[i].name), h->v[i].value,
			    strlen(h->v[i].value));
	}
	for (j = 0; j < nm; j++)
		if (m[j]->value != NULL)
			core_flow_header_add(&out, m[j]->name, strlen(m[j]->name),
			    m[j]->value, strlen(m[j]->value));
	core_flow_headers_clear(h);
	*h = out;
}

static void
anticache(struct flow *f)
{
	struct flow_headers *h = &f->request->headers;
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (!applies(rules[i], RULES_ANTICACHE, SIDE_REQUEST, f))
			continue;
		if (core_flow_header_get(h, "if-none-match") == NULL &&
		    core_flow_header_get(h, "if-modified-since") == NULL)
			return;
		keep_request(f);
		core_flow_header_remove(&f->request->headers, "if-none-match");
		core_flow_header_remove(&f->request->headers,
		    "if-modified-since");
		note(f, rules[i]);
		return;
	}
}

static void
anticomp(struct flow *f)
{
	const char *ae;
	size_t i;

	for (i = 0; i < nrules; i++) {
		if (!applies(rules[i], RULES_ANTICOMP, SIDE_REQUEST, f))
			continue;
		ae = core_flow_header_get(&f->request->headers,
		    "accept-encoding");
		if (ae != NULL && strcasecmp(ae, "identity") == 0)
			return;
		keep_request(f);
		header_set(&f->request->headers, "Accept-Encoding", "identity");
		note(f, rules[i]);
		return;
	}
}

/* --- map-remote ----------------------------------------------------------- */

static void
retarget(struct flow *f, struct xtarget *t, struct rule *r, const char *url,
    size_t len)
{
	struct flow_request *q;
	struct url u;
	char hv[300];
	size_t i;

	if (core_url_parse_absolute(url, len, &u) == -1) {
		core_flow_error(f, "%s #%d: '%.*s' is not an http(s) URL",
		    core_rules_kind_name(r->pub.kind), r->pub.id, (int)len, url);
		return;
	}
	keep_request(f);
	q = f->request;
	core_flow_setn(&q->scheme, u.scheme, u.scheme_len);
	for (i = 0; q->scheme[i] != '\0'; i++)
		q->scheme[i] = (char)tolower((unsigned char)q->scheme[i]);
	core_flow_setn(&q->host, u.host, u.host_len);
	q->port = u.port;
	core_flow_setn(&q->path, u.path_len > 0 ? u.path : "/",
	    u.path_len > 0 ? u.path_len : 1);
	/* Host says where the request now goes, where it was. */
	if (u.port == (strcmp(q->scheme, "https") == 0 ? 443 : 80))
		snprintf(hv, sizeof hv, u.host_ipv6 ? "[%s]" : "%s", q->host);
	else
		snprintf(hv, sizeof hv, u.host_ipv6 ? "[%s]:%d" : "%s:%d",
		    q->host, u.port);
	if (core_flow_header_get(&q->headers, "host") != NULL)
		header_set(&q->headers, "Host", hv);
	/* Where to connect changes; how the client spoke does not. */
	free(t->scheme);
	free(t->host);
	free(t->tls_name);
	t->scheme = strdup(q->scheme);
	t->host = strdup(q->host);
	t->port = q->port;
	t->tls_name = strcmp(q->scheme, "https") == 0 ? strdup(q->host) : NULL;
	t->absolute = 1;
	note(f, r);
}

static void
map_remote(struct flow *f, struct xtarget *t)
{
	struct buf out = { 0 };
	const char *url;
	size_t i, len;

	for (i = 0; i < nrules; i++) {
		if (!applies(rules[i], RULES_MAP_REMOTE, SIDE_REQUEST, f))
			continue;
		if ((url = url_of(f->request, &len)) == NULL)
			return;
		core_buf_free(&out);
		if (substitute(rules[i], url, len, &out, LIMIT_HTTP_HEAD) <= 0)
			continue;
		if (out.len != len || memcmp(core_buf_head(&out), url, len) != 0)
			retarget(f, t, rules[i], core_buf_head(&out), out.len);
	}
	core_buf_free(&out);
}

/* --- answers: block-list, map-local ----------------------------------------- */

static const char *
reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 410: return "Gone";
	case 418: return "I'm a teapot";
	case 429: return "Too Many Requests";
	case 444: return "No Response";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ?
	    "Client Error" : "Server Error";
}

static void
answer(struct flow *f, int status, const char *ctype, const char *body,
    size_t len)
{
	struct flow_response *r = core_flow_response_new();

	r->status = status;
	r->reason = strdup(reason_of(status));
	r->version = strdup(f->request->version != NULL ?
	    f->request->version : "HTTP/1.1");
	if (ctype != NULL)
		core_flow_header_add(&r->headers, "Content-Type", 12, ctype,
		    strlen(ctype));
	core_flow_body_set(&r->body, body != NULL ? body : "", len);
	core_flow_response_free(f->response);
	f->response = r;
}

static const char *
content_type(const char *path)
{
	static const char *types[][2] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "xml", "application/xml" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/vnd.microsoft.icon" },
		{ "wasm", "application/wasm" },
		{ "pdf", "application/pdf" },
		{ "woff", "font/woff" },
		{ "woff2", "font/woff2" },
		{ "mp4", "video/mp4" },
		{ "csv", "text/csv" },
	};
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The file for the rest of a URL under a directory: percent-decoded,
 * without query; NULL for a path that would leave the directory. Caller
 * frees.
 */
static char *
under_dir(const char *dir, const char *rest, size_t n)
{
	struct buf p = { 0 };
	size_t i, seg;
	int a, b;

	core_buf_append(&p, dir, strlen(dir));
	for (i = 0; i < n && rest[i] != '?' && rest[i] != '#'; i++) {
		char c = rest[i];

		if (c == '%' && i + 2 < n && (a = hexval(rest[i + 1])) >= 0 &&
		    (b = hexval(rest[i + 2])) >= 0) {
			c = (char)(a * 16 + b);
			i += 2;
		}
		if (c == '\0' || c == '\\')
			goto refuse;
		if (c == '/' && p.len > 0 && core_buf_head(&p)[p.len - 1] == '/')
			continue;
		if (c != '/' && p.len > 0 && core_buf_head(&p)[p.len - 1] != '/' &&
		    p.len == strlen(dir))
			core_buf_append(&p, "/", 1);
		core_buf_append(&p, &c, 1);
	}
	core_buf_append(&p, "", 1);
	/* No segment may be ".." once decoded. */
	for (i = strlen(dir); i < p.len; i = seg + 1) {
		const char *s = core_buf_head(&p) + i;

		seg = i + strcspn(s, "/");
		if (seg - i == 2 && s[0] == '.' && s[1] == '.')
			goto refuse;
	}
	{
		char *out = strdup(core_buf_head(&p));

		core_buf_free(&p);
		return out;
	}
refuse:
	core_buf_free(&p);
	return NULL;
}

static void
map_local(struct flow *f, struct rule *r, const char *url, size_t len,
    size_t match_end)
{
	struct stat st;
	char *path, *body = NULL;
	const char *why;
	size_t blen = 0;

	if (stat(r->path, &st) == 0 && S_ISDIR(st.st_mode))
		path = under_dir(r->path, url + match_end, len - match_end);
	else
		path = strdup(r->path);
	if (path == NULL) {
		answer(f, 404, "text/plain", "not found\n", 10);
		return;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *index;

		if (asprintf(&index, "%s%sindex.html", path,
		    path[strlen(path) - 1] == '/' ? "" : "/") == -1)
			abort();
		free(path);
		path = index;
	}
	if (read_file(path, LIMIT_FLOW_BODY, &body, &blen, &why) == 0)
		answer(f, 200, content_type(path), body, blen);
	else if (strcmp(why, "too large") == 0)
		answer(f, 500, "text/plain", "file larger than 4 MiB\n", 23);
	else
		answer(f, 404, "text/plain", "not found\n", 10);
	free(body);
	free(path);
}

/* The first block-list rule that matches answers. */
static int
block(struct flow *f)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		struct rule *r = rules[i];

		if (!applies(r, RULES_BLOCK_LIST, SIDE_REQUEST, f))
			continue;
		note(f, r);
		if (r->status == 444)
			return RULES_CLOSE;
		answer(f, r->status, NULL, NULL, 0);
		return RULES_ANSWER;
	}
	return RULES_FORWARD;
}

/* The first map-local rule whose filter and URL regex match answers. */
static int
local_file(struct flow *f)
{
	PCRE2_SIZE *ov;
	const char *url;
	size_t i, len;

	for (i = 0; i < nrules; i++) {
		struct rule *r = rules[i];

		if (!applies(r, RULES_MAP_LOCAL, SIDE_REQUEST, f))
			continue;
		if ((url = url_of(f->request, &len)) == NULL)
			return RULES_FORWARD;
		if (pcre2_match(r->re, (PCRE2_SPTR)url, len, 0, 0, r->md,
		    NULL) < 0)
			continue;
		ov = pcre2_get_ovector_pointer(r->md);
		map_local(f, r, url, len, ov[1]);
		note(f, r);
		return RULES_ANSWER;
	}
	return RULES_FORWARD;
}

/* --- bodies --------------------------------------------------------------- */

static int
gzip_like(const char *in, size_t len, int wbits, struct buf *out)
{
	z_stream z;
	char chunk[16384];
	int rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof chunk;
		rc = deflate(&z, Z_FINISH);
		core_buf_append(out, chunk, sizeof chunk - z.avail_out);
	} while (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0));
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* One content coding applied to in; 0, or -1 for one trawl cannot. */
static int
encode_one(const char *coding, size_t n, const char *in, size_t len,
    struct buf *out)
{
	size_t max;
	char *b;

	if ((n == 4 && strncasecmp(coding, "gzip", 4) == 0) ||
	    (n == 6 && strncasecmp(coding, "x-gzip", 6) == 0))
		return gzip_like(in, len, 31, out);
	if (n == 7 && strncasecmp(coding, "deflate", 7) == 0)
		return gzip_like(in, len, 15, out);
	if (n == 8 && strncasecmp(coding, "identity", 8) == 0) {
		core_buf_append(out, in, len);
		return 0;
	}
	if (n == 2 && strncasecmp(coding, "br", 2) == 0) {
		max = BrotliEncoderMaxCompressedSize(len);
		if (max == 0 || (b = malloc(max)) == NULL)
			return -1;
		if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW,
		    BROTLI_MODE_GENERIC, len, (const uint8_t *)in, &max,
		    (uint8_t *)b)) {
			free(b);
			return -1;
		}
		core_buf_append(out, b, max);
		free(b);
		return 0;
	}
	if (n == 4 && strncasecmp(coding, "zstd", 4) == 0) {
		max = ZSTD_compressBound(len);
		if ((b = malloc(max)) == NULL)
			return -1;
		max = ZSTD_compress(b, max, in, len, 3);
		if (ZSTD_isError(max)) {
			free(b);
			return -1;
		}
		core_buf_append(out, b, max);
		free(b);
		return 0;
	}
	return -1;
}

/* The codings of a Content-Encoding, applied in the order listed. */
static int
encode(const char *ce, const char *in, size_t len, struct buf *out)
{
	struct buf cur = { 0 }, next = { 0 };
	const char *p = ce;
	size_t n;
	int rc = 0;

	core_buf_append(&cur, in, len);
	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		core_buf_free(&next);
		if (encode_one(p, n, core_buf_head(&cur), cur.len, &next) == -1) {
			rc = -1;
			break;
		}
		core_buf_free(&cur);
		cur = next;
		memset(&next, 0, sizeof next);
		p += n;
	}
	core_buf_free(&next);
	if (rc == 0)
		*out = cur;
	else
		core_buf_free(&cur);
	return rc;
}

static int
body_wanted(const struct flow *f, int side)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (applies(rules[i], RULES_MODIFY_BODY, side, f))
			return 1;
	return 0;
}

/* modify-body on a whole message: decode, substitute, encode again. */
static void
modify_body(struct flow *f, int side)
{
	struct flow_headers *h = side == SIDE_REQUEST ? &f->request->headers :
	    &f->response->headers;
	struct flow_body *b = side == SIDE_REQUEST ? &f->request->body :
	    &f->response->body;
	const char *ce = core_flow_header_get(h, "content-encoding");
	struct decode_out d = { 0 };
	struct buf cur = { 0 }, next = { 0 }, enc = { 0 };
	struct rule *hit[64];
	size_t i, nhit = 0;
	int coded = ce != NULL && core_decode_needed(ce);

	if (b->truncated || !body_wanted(f, side))
		return;
	if (coded) {
		if (core_decode_into(&d, ce, b->data != NULL ? b->data : "",
		    b->len, 0, NULL) == -1 || d.truncated)
			goto out;
		core_buf_append(&cur, d.buf, d.len);
	} else
		core_buf_append(&cur, b->data != NULL ? b->data : "", b->len);
	for (i = 0; i < nrules; i++) {
		if (!applies(rules[i], RULES_MODIFY_BODY, side, f))
			continue;
		core_buf_free(&next);
		if (substitute(rules[i], cur.len ? core_buf_head(&cur) : "",
		    cur.len, &next, LIMIT_DECODED_BODY) <= 0)
			continue;
		if (next.len == cur.len && (cur.len == 0 ||
		    memcmp(core_buf_head(&next), core_buf_head(&cur),
		    cur.len) == 0))
			continue;
		core_buf_free(&cur);
		cur = next;
		memset(&next, 0, sizeof next);
		if (nhit < 64)
			hit[nhit++] = rules[i];
	}
	if (nhit == 0)
		goto out;
	if (coded) {
		if (encode(ce, cur.len ? core_buf_head(&cur) : "", cur.len,
		    &enc) == -1)
			goto out;
	} else {
		enc = cur;
		memset(&cur, 0, sizeof cur);
	}
	if (enc.len > LIMIT_FLOW_BODY)
		goto out;	/* the flow could not hold it whole */
	if (side == SIDE_REQUEST)
		keep_request(f);
	else
		keep_response(f);
	b = side == SIDE_REQUEST ? &f->request->body : &f->response->body;
	core_flow_body_set(b, enc.len ? core_buf_head(&enc) : "", enc.len);
	for (i = 0; i < nhit; i++)
		note(f, hit[i]);
out:
	free(d.buf);
	core_buf_free(&cur);
	core_buf_free(&next);
	core_buf_free(&enc);
}

/* An original kept at the head has no body yet: it gets the body that
 * came after, which no rule changed. */
static void
fill_orig_body(struct flow_body *orig, const struct flow_body *now)
{
	if (orig->total != 0 || now->total == 0)
		return;
	core_flow_body_set(orig, now->data != NULL ? now->data : "", now->len);
	orig->total = now->total;
	orig->truncated = now->truncated;
}

/* --- the exchange's hooks --------------------------------------------------- */

int
core_rules_request_head(struct flow *f, struct xtarget *t)
{
	int v;

	if (nrules == 0 || f->request == NULL)
		return RULES_FORWARD;
	if ((v = block(f)) != RULES_FORWARD)
		return v;
	map_remote(f, t);
	anticache(f);
	anticomp(f);
	modify_headers(f, SIDE_REQUEST);
	/* map-local looks at the URL map-remote made, as in mitmproxy. */
	return local_file(f);
}

int
core_rules_request_body_wanted(const struct flow *f)
{
	return nrules > 0 && f->request != NULL && body_wanted(f, SIDE_REQUEST);
}

void
core_rules_request_end(struct flow *f, int held)
{
	if (nrules == 0 || f->request == NULL)
		return;
	if (f->orig_request != NULL)
		fill_orig_body(&f->orig_request->body, &f->request->body);
	if (held)
		modify_body(f, SIDE_REQUEST);
}

void
core_rules_response_head(struct flow *f)
{
	if (nrules == 0 || f->response == NULL)
		return;
	modify_headers(f, SIDE_RESPONSE);
}

int
core_rules_response_body_wanted(const struct flow *f)
{
	return nrules > 0 && f->response != NULL &&
	    body_wanted(f, SIDE_RESPONSE);
}

void
core_rules_response_end(struct flow *f, int held)
{
	if (nrules == 0 || f->response == NULL)
		return;
	if (f->orig_response != NULL)
		fill_orig_body(&f->orig_response->body, &f->response->body);
	if (held)
		modify_body(f, SIDE_RESPONSE);
}
