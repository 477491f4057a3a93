/*
 * mkrule.c -- "make a rule from this edit" (E on a flow): what the user
 * changed in $EDITOR, against the original the flow keeps for revert,
 * becomes rules for the next flows to the same URL:
 *
 *  - a header set, changed or removed in the request (response): a
 *    modify-headers rule with the filter ~q (~s) & ~u ^URL, URL without
 *    its query;
 *  - a replaced response body: the body goes to a file under
 *    $XDG_CONFIG_HOME/trawl/bodies/ and a map-local rule answers the URL
 *    from it.
 *
 * The rules are shown first and added on y, through the command line's
 * parser, so they read and behave as typed ones. A request body edit
 * makes no rule (modify-body needs a regex the edit does not say).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/flows/flow.h"
#include "core/loop/buf.h"
#include "core/proxy/rules.h"
#include "tui/screen.h"
#include "tui/tui.h"

#define MKRULE_MAX	16	/* rules one edit makes */

struct proposal {
	enum rules_kind	 kind;
	char		*text;
};

static struct proposal	pend[MKRULE_MAX];
static int		npend;
static int		nskipped;	/* past MKRULE_MAX, or unspellable */

static void
pend_clear(void)
{
	int i;

	for (i = 0; i < npend; i++)
		free(pend[i].text);
	npend = nskipped = 0;
}

/*
 * A regex matching s literally. For a filter word (filter != 0) the
 * characters that end a bare word (white space, parentheses, ~, quotes)
 * become '.', which matches them too.
 */
static void
escape(struct buf *b, const char *s, size_t n, int filter)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (filter && (c <= ' ' || strchr("()~\"'", c) != NULL))
			core_buf_append(b, ".", 1);
		else if (c < ' ' || c == 0x7f)
			core_buf_append(b, ".", 1);
		else {
			if (strchr("\\.^$*+?()[]{}|", c) != NULL)
				core_buf_append(b, "\\", 1);
			core_buf_append(b, s + i, 1);
		}
	}
}

/* The flow's URL up to its query, as a regex anchored at the start and
 * ending where the path ends. Caller frees. */
static char *
url_regex(const struct flow *f, int filter)
{
	struct buf b = { 0 };
	char *url = core_flow_url(f);
	size_t n = strcspn(url, "?#");

	core_buf_append(&b, "^", 1);
	escape(&b, url, n, filter);
	/* A filter word cannot hold "(\?|$)": a query or nothing. */
	if (url[n] == '?')
		core_buf_append(&b, "\\?", 2);
	else if (!filter)
		core_buf_append(&b, "(\\?|$)", 6);
	else
		core_buf_append(&b, "$", 1);
	free(url);
	return core_buf_take(&b, NULL);
}

/* A separator that none of the parts holds, or 0. */
static int
separator(const char *a, const char *b, const char *c)
{
	const char *cand = "/|#!,;:%", *p;

	for (p = cand; *p != '\0'; p++)
		if (strchr(a, *p) == NULL && strchr(b, *p) == NULL &&
		    strchr(c, *p) == NULL)
			return *p;
	return 0;
}

/* Whether the rule exists: a change a rule made is no new edit. */
static int
exists(enum rules_kind kind, const char *text)
{
	const struct rules_rule *r;
	size_t i;

	for (i = 0; (r = core_rules_rule(i)) != NULL; i++)
		if (r->kind == kind && strcmp(r->text, text) == 0)
			return 1;
	return 0;
}

static void
propose(enum rules_kind kind, const char *a, const char *b, const char *c)
{
	struct buf t = { 0 };
	int sep = separator(a, b, c);

	/* A value starting with @ would be read as a file name. */
	if (sep == 0 || npend == MKRULE_MAX ||
	    (kind == RULES_MODIFY_HEADERS && c[0] == '@')) {
		nskipped++;
		return;
	}
	core_buf_printf(&t, "%c%s%c%s%c%s", sep, a, sep, b, sep, c);
	if (exists(kind, core_buf_head(&t))) {
		core_buf_free(&t);
		return;
	}
	pend[npend].kind = kind;
	pend[npend].text = core_buf_take(&t, NULL);
	npend++;
}

/* Framing the editor recomputes: never a rule of their own. */
static int
framing(const char *name)
{
	return strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "Transfer-Encoding") == 0;
}

/* Whether name came before index i in h (each name once). */
static int
seen(const struct flow_headers *h, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcasecmp(h->v[j].name, h->v[i].name) == 0)
			return 1;
	return 0;
}

static void
header_rules(const struct flow_headers *was, const struct flow_headers *now,
    const char *filter)
{
	const char *v;
	size_t i;

	for (i = 0; i < now->n; i++) {
		if (seen(now, i) || framing(now->v[i].name))
			continue;
		v = core_flow_header_get(was, now->v[i].name);
		if (v == NULL || strcmp(v, now->v[i].value) != 0)
			propose(RULES_MODIFY_HEADERS, filter, now->v[i].name,
			    now->v[i].value);
	}
	for (i = 0; i < was->n; i++) {
		if (seen(was, i) || framing(was->v[i].name))
			continue;
		if (core_flow_header_get(now, was->v[i].name) == NULL)
			propose(RULES_MODIFY_HEADERS, filter, was->v[i].name,
			    "");
	}
}

/* An extension map-local turns back into the body's content type. */
static const char *
extension(const struct flow_response *r)
{
	const char *ct = core_flow_header_get(&r->headers, "Content-Type");
	static const char *map[][2] = {
		{ "json", ".json" }, { "html", ".html" },
		{ "javascript", ".js" }, { "css", ".css" }, { "xml", ".xml" },
		{ "text/", ".txt" }, { "png", ".png" }, { "jpeg", ".jpg" },
	};
	size_t i;

	for (i = 0; ct != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strstr(ct, map[i][0]) != NULL)
			return map[i][1];
	return ".bin";
}

/* mkdir -p of path's directories (path itself is a directory). */
static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/* Writes the edited body to the bodies folder; the path, or NULL with an
 * error shown. Caller frees. */
static char *
save_body(const struct flow *f)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dir[1024], *path;
	struct buf b = { 0 };
	FILE *fp;
	int ok;

	if (xdg != NULL && xdg[0] == '/')
		snprintf(dir, sizeof dir, "%s/trawl/bodies", xdg);
	else
		snprintf(dir, sizeof dir, "%s/.config/trawl/bodies",
		    home != NULL ? home : ".");
	if (mkdirs(dir) == -1) {
		tui_screen_error("%s: %s", dir, strerror(errno));
		return NULL;
	}
	core_buf_printf(&b, "%s/flow-%llu%s", dir, (unsigned long long)f->id,
	    extension(f->response));
	path = core_buf_take(&b, NULL);
	if ((fp = fopen(path, "w")) == NULL) {
		tui_screen_error("%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	ok = fwrite(f->response->body.data, 1, f->response->body.len, fp) ==
	    f->response->body.len;
	if (fclose(fp) != 0 || !ok) {
		tui_screen_error("%s: cannot write", path);
		free(path);
		return NULL;
	}
	return path;
}

static int
body_differs(const struct flow_body *a, const struct flow_body *b)
{
	return a->len != b->len || (a->len > 0 &&
	    memcmp(a->data, b->data, a->len) != 0);
}

static void
confirmed(int key, void *arg)
{
	char *cause = NULL;
	int i, added = 0;

	if (key == 'y') {
		for (i = 0; i < npend; i++) {
			if (core_rules_add(pend[i].kind, pend[i].text,
			    &cause) == -1) {
				tui_screen_error("%s: %s", pend[i].text, cause);
				free(cause);
				cause = NULL;
			} else
				added++;
		}
		if (added > 0) {
			tui_screen_push(TUI_RULES);
			tui_screen_message("added %d rule%s", added,
			    added == 1 ? "" : "s");
		}
	}
	pend_clear();
}

void
tui_mkrule_offer(struct flow *f)
{
	char *re, *path, label[512];
	struct buf fb = { 0 };

	pend_clear();
	if (f->request == NULL || (f->orig_request == NULL &&
	    f->orig_response == NULL)) {
		tui_screen_error("no edit to make a rule from (e edits)");
		return;
	}
	re = url_regex(f, 1);
	if (f->orig_request != NULL) {
		core_buf_printf(&fb, "~q & ~u %s", re);
		header_rules(&f->orig_request->headers, &f->request->headers,
		    core_buf_head(&fb));
		core_buf_free(&fb);
	}
	if (f->orig_response != NULL && f->response != NULL) {
		core_buf_printf(&fb, "~s & ~u %s", re);
		header_rules(&f->orig_response->headers, &f->response->headers,
		    core_buf_head(&fb));
		core_buf_free(&fb);
		if (body_differs(&f->orig_response->body, &f->response->body) &&
		    (path = save_body(f)) != NULL) {
			char *ure = url_regex(f, 0);

			propose(RULES_MAP_LOCAL, "~q", ure, path);
			free(ure);
			free(path);
		}
	}
	free(re);
	if (npend == 0) {
		tui_screen_error("the edit changed no header or response "
		    "body%s", nskipped ? " a rule can say" : " (or rules say "
		    "it already)");
		return;
	}
	/* The first rule in full; R lists them all once added. */
	snprintf(label, sizeof label, "add %d rule%s%s: %s %s%s? y/n", npend,
	    npend == 1 ? "" : "s", nskipped ? " (some changes cannot be one)" :
	    "", core_rules_kind_name(pend[0].kind), pend[0].text, npend > 1 ?
	    " ..." : "");
	tui_prompt_choice(label, "yn", confirmed, NULL);
}
