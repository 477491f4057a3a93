/*
 * search.c -- the lines of a flow that hold a text, over the text the
 * flow view shows.
 *
 * Each block of text (the header fields joined by "\n", a body's display
 * text) is searched whole, and only a match leads to its line: most
 * blocks hold no match, and one memmem or JIT scan over them is far
 * cheaper than a match call per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/flows/bodyfmt.h"
#include "core/flows/flow.h"
#include "core/flows/search.h"
#include "core/loop/buf.h"

/* A regex gives up on a line after this many backtracking steps, so a
 * pathological pattern over a 4 MiB body cannot hold the loop. */
#define SEARCH_MATCH_LIMIT	1000000
#define SEARCH_JIT_STACK	(1024 * 1024)

enum kind {
	K_EXACT,	/* plain text, case-sensitive: memmem */
	K_PCRE		/* plain text ignoring case, or a regex */
};

struct search {
	char			*text;
	enum kind		 kind;
	const char		*needle;	/* K_EXACT */
	size_t			 nlen;
	int			 caseless;
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jit_stack;
	int			 jit;
	struct buf		 scratch;	/* header blocks */
};

/* Smart case: upper-case ASCII outside escapes (\D, \S, \W...). */
static int
has_upper(const char *s, int regex)
{
	for (; *s != '\0'; s++) {
		if (regex && *s == '\\' && s[1] != '\0') {
			s++;
			continue;
		}
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	}
	return 0;
}

static int
compile_pcre(struct search *s, const char *pat, int regex, char **cause)
{
	PCRE2_UCHAR msg[200];
	PCRE2_SIZE eoff;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int ecode;

	if (!regex)
		opts |= PCRE2_LITERAL;
	if (s->caseless)
		opts |= PCRE2_CASELESS;
	if (regex)
		opts |= PCRE2_MULTILINE;
	s->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts,
	    &ecode, &eoff, NULL);
	if (s->re == NULL && !regex) {
		/* Not UTF-8: then bytes match bytes. */
		opts &= ~(uint32_t)(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF);
		s->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
		    opts, &ecode, &eoff, NULL);
	}
	if (s->re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
			snprintf((char *)msg, sizeof msg, "error %d", ecode);
		if (cause != NULL && asprintf(cause, "column %zu: %s",
		    (size_t)eoff + 1 + (regex ? 3 : 0), (char *)msg) == -1)
			*cause = NULL;
		return -1;
	}
	s->jit = pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE) == 0;
	if ((s->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (s->mctx = pcre2_match_context_create(NULL)) == NULL)
		abort();	/* out of memory is not survivable here */
	pcre2_set_match_limit(s->mctx, SEARCH_MATCH_LIMIT);
	if (s->jit && (s->jit_stack = pcre2_jit_stack_create(32 * 1024,
	    SEARCH_JIT_STACK, NULL)) != NULL)
		pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
	return 0;
}

struct search *
core_search_compile(const char *text, char **cause)
{
	struct search *s;
	int regex = strncmp(text, "re:", 3) == 0;
	const char *pat = regex ? text + 3 : text;

	if (cause != NULL)
		*cause = NULL;
	if (pat[0] == '\0') {
		if (cause != NULL)
			*cause = strdup(regex ? "empty regular expression" :
			    "empty search");
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->text = strdup(text)) == NULL)
		abort();
	s->caseless = !has_upper(pat, regex);
	if (!regex && !s->caseless) {
		s->kind = K_EXACT;
		s->needle = s->text;
		s->nlen = strlen(s->text);
		return s;
	}
	s->kind = K_PCRE;
	if (compile_pcre(s, pat, regex, cause) == -1) {
		core_search_free(s);
		return NULL;
	}
	return s;
}

void
core_search_free(struct search *s)
{
	if (s == NULL)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->jit_stack);
	pcre2_code_free(s->re);
	core_buf_free(&s->scratch);
	free(s->text);
	free(s);
}

const char *
core_search_text(const struct search *s)
{
	return s->text;
}

int
core_search_caseless(const struct search *s)
{
	return s->caseless;
}

/* First match in t[0..len): 1 with *off, *mlen. */
static int
find(struct search *s, const char *t, size_t len, size_t *off, size_t *mlen)
{
	PCRE2_SIZE *ov;
	const char *p;
	int r;

	if (s->kind == K_EXACT) {
		if ((p = memmem(t, len, s->needle, s->nlen)) == NULL)
			return 0;
		*off = (size_t)(p - t);
		*mlen = s->nlen;
		return 1;
	}
	/* pcre2_jit_match skips the subject checks; MATCH_INVALID_UTF
	 * makes any bytes a valid subject. */
	if (s->jit)
		r = pcre2_jit_match(s->re, (PCRE2_SPTR)t, len, 0, 0, s->md,
		    s->mctx);
	else
		r = pcre2_match(s->re, (PCRE2_SPTR)t, len, 0, 0, s->md,
		    s->mctx);
	if (r < 0)
		return 0;	/* no match, or a limit: not a hit */
	ov = pcre2_get_ovector_pointer(s->md);
	*off = ov[0];
	*mlen = ov[1] > ov[0] ? ov[1] - ov[0] : 0;
	return 1;
}

int
core_search_line(struct search *s, const char *t, size_t len, size_t *off,
    size_t *mlen)
{
	return find(s, t, len, off, mlen);
}

static size_t
count_nl(const char *s, size_t len)
{
	const char *p, *end = s + len;
	size_t n = 0;

	while (s < end && (p = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		n++;
		s = p + 1;
	}
	return n;
}

struct run {
	struct search		*s;
	search_cb		 cb;
	void			*arg;
	size_t			 hits;
	int			 stop;
	int			 fixed;		/* every hit gets fixed_line */
	size_t			 fixed_line;
};

static void
report(struct run *r, enum search_where where, size_t line, const char *t,
    size_t len, size_t off, size_t mlen)
{
	struct search_hit h;

	h.where = where;
	h.line = r->fixed ? r->fixed_line : line;
	h.text = t;
	h.len = len;
	h.match = off;
	h.match_len = mlen;
	r->hits++;
	if (r->cb != NULL && r->cb(&h, r->arg) != 0)
		r->stop = 1;
}

/* Every line of t[0..len) (split at '\n') that holds a match. */
static void
search_block(struct run *r, enum search_where where, const char *t,
    size_t len)
{
	size_t pos = 0, counted = 0, line = 0, m, off, mlen, ls, le;
	const char *p;

	if (len == 0)
		return;
	while (!r->stop && pos <= len) {
		if (!find(r->s, t + pos, len - pos, &off, &mlen))
			break;
		m = pos + off;
		p = m > pos ? memrchr(t + pos, '\n', m - pos) : NULL;
		ls = p != NULL ? (size_t)(p - t) + 1 : pos;
		/* After a final newline there is no line to show. */
		if (ls == len && len > 0)
			break;
		p = memchr(t + m, '\n', len - m);
		le = p != NULL ? (size_t)(p - t) : len;
		line += count_nl(t + counted, ls - counted);
		counted = ls;
		if (m + mlen <= le)
			report(r, where, line, t + ls, le - ls, m - ls, mlen);
		else if (find(r->s, t + ls, le - ls, &off, &mlen))
			/* The match ran past the line: a line only counts
			 * with a match of its own. */
			report(r, where, line, t + ls, le - ls, off, mlen);
		if (le == len)
			break;
		pos = le + 1;
	}
}

static void
search_headers(struct run *r, enum search_where where,
    const struct flow_headers *h)
{
	struct buf *b = &r->s->scratch;
	size_t i;

	if (h->n == 0)
		return;
	b->off = b->len = 0;
	for (i = 0; i < h->n; i++) {
		const char *n = h->v[i].name ? h->v[i].name : "";
		const char *v = h->v[i].value ? h->v[i].value : "";

		/* As the flow view prints them. */
		core_buf_append(b, n, strlen(n));
		core_buf_append(b, ": ", 2);
		core_buf_append(b, v, strlen(v));
		if (i + 1 < h->n)
			core_buf_append(b, "\n", 1);
	}
	search_block(r, where, core_buf_head(b), b->len);
}

static void
search_body(struct run *r, enum search_where where,
    const struct flow_headers *h, const struct flow_body *body,
    struct search_tally *tally)
{
	struct bodyfmt fmt;
	char line[128];
	size_t i, n, len, off, mlen;

	if (body->len == 0 || body->data == NULL) {
		if (body->total > 0 && tally != NULL)
			tally->evicted++;
		return;
	}
	if (body->truncated && tally != NULL)
		tally->truncated++;
	core_bodyfmt_format(h, body, &fmt);
	if (fmt.kind == BODYFMT_HEX) {
		/* The dump line by line, as the flow view makes it. */
		n = core_bodyfmt_hex_lines(fmt.len);
		for (i = 0; i < n && !r->stop; i++) {
			len = core_bodyfmt_hex_line(fmt.text, fmt.len, i, line,
			    sizeof line);
			if (find(r->s, line, len, &off, &mlen))
				report(r, where, i, line, len, off, mlen);
		}
	} else if (fmt.kind != BODYFMT_EMPTY)
		search_block(r, where, fmt.text, fmt.len);
	core_bodyfmt_free(&fmt);
}

/* Each kept message: the hits' line is the message's index. */
static void
search_msgs(struct run *r, const struct flow *f)
{
	const struct flow_msg *m;
	char line[128];
	size_t i, k, n, len, off, mlen;

	r->fixed = 1;
	for (i = 0; i < f->msgs.n && !r->stop; i++) {
		m = core_flow_msg_at(f, i);
		r->fixed_line = i;
		if (m->opcode == 1 || core_bodyfmt_is_text(m->data, m->len,
		    m->len < m->size)) {
			search_block(r, SEARCH_MESSAGE, m->data, m->len);
			continue;
		}
		n = core_bodyfmt_hex_lines(m->len);
		for (k = 0; k < n && !r->stop; k++) {
			len = core_bodyfmt_hex_line(m->data, m->len, k, line,
			    sizeof line);
			if (find(r->s, line, len, &off, &mlen))
				report(r, SEARCH_MESSAGE, i, line, len, off,
				    mlen);
		}
	}
	r->fixed = 0;
}

size_t
core_search_flow(struct search *s, const struct flow *f, search_cb cb,
    void *arg, struct search_tally *tally)
{
	struct run r = { .s = s, .cb = cb, .arg = arg };
	char *url = core_flow_url(f);

	search_block(&r, SEARCH_URL, url, strlen(url));
	free(url);
	if (f->request != NULL) {
		const struct flow_request *q = f->request;
		const struct flow_response *p = f->response;

		if (!r.stop)
			search_headers(&r, SEARCH_REQ_HEADER, &q->headers);
		if (!r.stop)
			search_body(&r, SEARCH_REQ_BODY, &q->headers, &q->body,
			    tally);
		if (!r.stop)
			search_headers(&r, SEARCH_REQ_TRAILER, &q->trailers);
		if (p != NULL && !r.stop)
			search_headers(&r, SEARCH_RESP_HEADER, &p->headers);
		if (p != NULL && !r.stop)
			search_body(&r, SEARCH_RESP_BODY, &p->headers, &p->body,
			    tally);
		if (p != NULL && !r.stop)
			search_headers(&r, SEARCH_RESP_TRAILER, &p->trailers);
	} else if (f->type == FLOW_DNS && f->dns != NULL) {
		if (f->dns->answers != NULL)
			search_block(&r, SEARCH_RESP_BODY, f->dns->answers,
			    strlen(f->dns->answers));
	} else {
		/* Raw streams: the flow view's Request and Response tabs. */
		if (!r.stop)
			search_body(&r, SEARCH_REQ_BODY, NULL, &f->up, tally);
		if (!r.stop)
			search_body(&r, SEARCH_RESP_BODY, NULL, &f->down, tally);
	}
	if (f->msgs.n > 0 && !r.stop)
		search_msgs(&r, f);
	if (tally != NULL) {
		tally->flows++;
		tally->hits += r.hits;
		if (r.hits > 0)
			tally->flows_hit++;
	}
	return r.hits;
}

const char *
core_search_where_name(enum search_where w)
{
	switch (w) {
	case SEARCH_URL:
		return "url";
	case SEARCH_REQ_HEADER:
		return "req header";
	case SEARCH_REQ_BODY:
		return "req body";
	case SEARCH_REQ_TRAILER:
		return "req trailer";
	case SEARCH_RESP_HEADER:
		return "resp header";
	case SEARCH_RESP_BODY:
		return "resp body";
	case SEARCH_RESP_TRAILER:
		return "resp trailer";
	case SEARCH_MESSAGE:
		return "message";
	}
	return "?";
}

int
core_search_where_text(enum search_where w, size_t line, char *buf,
    size_t len)
{
	if (w == SEARCH_REQ_BODY || w == SEARCH_RESP_BODY)
		return snprintf(buf, len, "%s line %zu",
		    core_search_where_name(w), line + 1);
	if (w == SEARCH_MESSAGE)
		return snprintf(buf, len, "message %zu", line + 1);
	return snprintf(buf, len, "%s", core_search_where_name(w));
}
