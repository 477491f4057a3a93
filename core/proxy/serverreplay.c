/*
 * serverreplay.c -- saved flows answer requests: the match key, the hash
 * index over it, the order of answers, refreshed dates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/loop/buf.h"
#include "core/loop/cause.h"
#include "core/proxy/serverreplay.h"

/* The saved flows of one key, in file order. */
struct entry {
	struct entry	 *next;		/* in its bucket */
	uint64_t	  hash;
	char		 *key;
	size_t		  keylen;
	struct flow	**flows;
	size_t		  n, cap;
	size_t		  head;		/* the next to answer */
};

struct names {
	char	**v;
	size_t	  n;
};

enum extra { EXTRA_FORWARD, EXTRA_KILL, EXTRA_STATUS };

static struct entry	**buckets;
static size_t		  nbuckets;	/* a power of two, or 0 */
static size_t		  nentries, nflows;
static int		  flags;
static struct names	  ign_params, ign_payload, use_headers;
static enum extra	  extra = EXTRA_FORWARD;
static int		  extra_status;
static int		  loaded;
/* The request's key, built again for each request without allocating
 * once it has grown to the largest. */
static struct buf	  scratch;

void
core_serverreplay_set_flags(int f)
{
	flags = f;
}

static void
names_add(struct names *l, const char *name)
{
	if ((l->v = realloc(l->v, (l->n + 1) * sizeof *l->v)) == NULL ||
	    (l->v[l->n] = strdup(name)) == NULL)
		abort();
	l->n++;
}

static int
names_has(const struct names *l, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && memcmp(l->v[i], p, n) == 0)
			return 1;
	return 0;
}

static void
names_clear(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
core_serverreplay_ignore_param(const char *name)
{
	names_add(&ign_params, name);
}

void
core_serverreplay_ignore_payload(const char *name)
{
	names_add(&ign_payload, name);
}

void
core_serverreplay_use_header(const char *name)
{
	names_add(&use_headers, name);
}

int
core_serverreplay_set_extra(const char *s, char **cause)
{
	char *end;
	long v;

	if (strcmp(s, "forward") == 0) {
		extra = EXTRA_FORWARD;
		return 0;
	}
	if (strcmp(s, "kill") == 0) {
		extra = EXTRA_KILL;
		return 0;
	}
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 100 || v > 599) {
		core_cause(cause, "bad --server-replay-extra '%s': expected "
		    "forward, kill or a status from 100 to 599", s);
		return -1;
	}
	extra = EXTRA_STATUS;
	extra_status = (int)v;
	return 0;
}

/* --- the key ---------------------------------------------------------------- */

/* One part of the key, length first, so no two keys run together. */
static void
put(struct buf *b, const char *p, size_t n)
{
	core_buf_printf(b, "%zu:", n);
	if (n > 0)
		core_buf_append(b, p, n);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The byte at p[*i] percent-decoded ('+' is a space), as form and query
 * parameters are compared; a bad escape stays as it is. */
static char
decode_at(const char *p, size_t n, size_t *i)
{
	char c = p[*i];

	if (c == '+')
		return ' ';
	if (c == '%' && *i + 2 < n && hexval(p[*i + 1]) >= 0 &&
	    hexval(p[*i + 2]) >= 0) {
		c = (char)(hexval(p[*i + 1]) * 16 + hexval(p[*i + 2]));
		*i += 2;
	}
	return c;
}

/* p[0..n) decoded, as one part of the key. */
static void
put_decoded(struct buf *b, const char *p, size_t n)
{
	size_t i, len = 0;
	char c;

	for (i = 0; i < n; i++, len++)
		(void)decode_at(p, n, &i);
	core_buf_printf(b, "%zu:", len);
	for (i = 0; i < n; i++) {
		c = decode_at(p, n, &i);
		core_buf_append(b, &c, 1);
	}
}

/* Whether the decoded form of p[0..n) is a name in l. */
static int
decoded_in(const struct names *l, const char *p, size_t n)
{
	char buf[256];
	size_t i, j = 0;

	if (l->n == 0)
		return 0;
	for (i = 0; i < n && j < sizeof buf; i++)
		buf[j++] = decode_at(p, n, &i);
	return i == n && names_has(l, buf, j);
}

/* name=value pairs separated by '&' (blank values kept, empty pieces
 * skipped), those named in skip left out. */
static void
put_params(struct buf *b, const char *p, size_t n, const struct names *skip)
{
	const char *end = p + n, *amp, *eq;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			if (!decoded_in(skip, p, (size_t)(eq - p))) {
				put_decoded(b, p, (size_t)(eq - p));
				put_decoded(b, eq < amp ? eq + 1 : eq,
				    eq < amp ? (size_t)(amp - eq - 1) : 0);
			}
		}
		p = amp + 1;
	}
}

static int
is_form(const struct flow_request *r)
{
	const char *ct = core_flow_header_get(&r->headers, "content-type");

	return ct != NULL && strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0;
}

/* The request's key into b (emptied first). */
static void
make_key(struct buf *b, const struct flow_request *r)
{
	const char *path = r->path != NULL ? r->path : "/", *q, *scheme;
	size_t plen, i;
	char num[16];
	int port;

	b->off = b->len = 0;
	scheme = r->scheme != NULL ? r->scheme : "http";
	put(b, scheme, strlen(scheme));
	put(b, r->method != NULL ? r->method : "", r->method != NULL ?
	    strlen(r->method) : 0);
	plen = strcspn(path, "?#");
	put(b, path, plen);
	if (!(flags & SREPLAY_IGNORE_CONTENT)) {
		if (ign_payload.n > 0 && is_form(r)) {
			core_buf_append(b, "F", 1);
			put_params(b, r->body.data, r->body.len, &ign_payload);
		} else
			put(b, r->body.data, r->body.len);
	}
	if (!(flags & SREPLAY_IGNORE_HOST)) {
		const char *h = r->host != NULL ? r->host : "";
		char c;

		/* Lower case, whatever its length. */
		core_buf_printf(b, "%zu:", strlen(h));
		for (i = 0; h[i] != '\0'; i++) {
			c = h[i] >= 'A' && h[i] <= 'Z' ? (char)(h[i] | 0x20) :
			    h[i];
			core_buf_append(b, &c, 1);
		}
	}
	if (!(flags & SREPLAY_IGNORE_PORT)) {
		port = r->port != 0 ? r->port : strcmp(scheme, "https") == 0 ?
		    443 : 80;
		snprintf(num, sizeof num, "%d", port);
		put(b, num, strlen(num));
	}
	core_buf_append(b, "Q", 1);
	if (path[plen] == '?') {
		q = path + plen + 1;
		put_params(b, q, strcspn(q, "#"), &ign_params);
	}
	for (i = 0; i < use_headers.n; i++) {
		const char *v = core_flow_header_get(&r->headers,
		    use_headers.v[i]);

		core_buf_append(b, v != NULL ? "H" : "h", 1);
		if (v != NULL)
			put(b, v, strlen(v));
	}
}

/* FNV-1a, 64 bits: the key is compared whole after it, so a weak hash
 * costs a longer bucket, never a wrong answer. */
static uint64_t
hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* --- the index ---------------------------------------------------------------- */

static struct entry *
lookup(uint64_t h, const char *key, size_t len)
{
	struct entry *e;

	if (nbuckets == 0)
		return NULL;
	for (e = buckets[h & (nbuckets - 1)]; e != NULL; e = e->next)
		if (e->hash == h && e->keylen == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

/* Twice as many buckets as entries, at least 64. */
static void
grow(void)
{
	struct entry **nb, *e, *next;
	size_t n = nbuckets != 0 ? nbuckets : 64, i;

	while (n < 2 * (nentries + 1))
		n *= 2;
	if (n == nbuckets)
		return;
	if ((nb = calloc(n, sizeof *nb)) == NULL)
		abort();
	for (i = 0; i < nbuckets; i++)
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(buckets);
	buckets = nb;
	nbuckets = n;
}

/*
 * Once, at load: a body saved decoded under the Content-Encoding it came
 * with (browsers' HAR files do that) loses the field, so a client never
 * gets plain bytes labelled gzip. HEAD answers and bodyless statuses
 * keep their fields as they are.
 */
static void
resp_fix(struct flow *f)
{
	struct flow_response *r = f->response;

	if (strcmp(f->request->method, "HEAD") == 0 || r->status == 204 ||
	    r->status == 304 || r->body.truncated)
		return;
	core_flow_headers_reframe(&r->headers, &r->body, 1);
}

void
core_serverreplay_add(struct flow *f)
{
	struct entry *e;
	uint64_t h;

	if (f->type != FLOW_HTTP || f->request == NULL ||
	    f->request->method == NULL || f->response == NULL ||
	    f->response->status < 200) {
		/* Nothing to answer with (an interim or a switch of
		 * protocols is no answer a replay can give). */
		core_flow_free(f);
		return;
	}
	loaded = 1;
	resp_fix(f);
	make_key(&scratch, f->request);
	h = hash(core_buf_head(&scratch), scratch.len);
	if ((e = lookup(h, core_buf_head(&scratch), scratch.len)) == NULL) {
		grow();
		if ((e = calloc(1, sizeof *e)) == NULL ||
		    (e->key = malloc(scratch.len + 1)) == NULL)
			abort();
		memcpy(e->key, core_buf_head(&scratch), scratch.len);
		e->keylen = scratch.len;
		e->hash = h;
		e->next = buckets[h & (nbuckets - 1)];
		buckets[h & (nbuckets - 1)] = e;
		nentries++;
	}
	if (e->n == e->cap) {
		e->cap = e->cap != 0 ? 2 * e->cap : 1;
		if ((e->flows = realloc(e->flows, e->cap * sizeof *e->flows)) ==
		    NULL)
			abort();
	}
	e->flows[e->n++] = f;
	nflows++;
}

static void
load_one(struct flow *f, void *arg)
{
	core_serverreplay_add(f);
}

int
core_serverreplay_load(const char *path, char **cause)
{
	char *why = NULL;
	int rc;

	rc = core_har_load(path, load_one, NULL, &why);
	if (rc != -1)
		loaded = 1;	/* even empty: every request is then extra */
	if (rc != 0)
		core_cause(cause, "--server-replay %s: %s", path, why != NULL ?
		    why : "cannot load");
	free(why);
	return rc;
}

int
core_serverreplay_active(void)
{
	return loaded;
}

size_t
core_serverreplay_left(void)
{
	return nflows;
}

/* --- answers ------------------------------------------------------------------- */

/* A date header moved by delta seconds, as mitmproxy refreshes them:
 * what was an hour old when recorded is an hour old now. */
static void
refresh_date(struct flow_headers *h, const char *name, double delta)
{
	const char *v = core_flow_header_get(h, name);
	struct tm tm;
	char out[64], *end;
	time_t t;

	if (v == NULL)
		return;
	memset(&tm, 0, sizeof tm);
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return;
	t = timegm(&tm) + (time_t)delta;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		return;
	core_flow_header_remove(h, name);
	core_flow_header_add(h, name, strlen(name), out, strlen(out));
}

static void
refresh(struct flow_response *r, double recorded)
{
	double delta = core_now() - recorded;

	if (recorded <= 0)
		return;
	refresh_date(&r->headers, "Date", delta);
	refresh_date(&r->headers, "Expires", delta);
	refresh_date(&r->headers, "Last-Modified", delta);
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 404: return "Not Found";
	case 410: return "Gone";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	}
	return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ?
	    "Client Error" : "Server Error";
}

int
core_serverreplay_extra(struct flow *f)
{
	struct flow_response *r;

	switch (extra) {
	case EXTRA_FORWARD:
		return SREPLAY_FORWARD;
	case EXTRA_KILL:
		core_flow_error(f, "%s", "killed by --server-replay-extra: no "
		    "saved response matches");
		return SREPLAY_KILL;
	case EXTRA_STATUS:
		break;
	}
	r = core_flow_response_new();
	r->status = extra_status;
	r->reason = strdup(reason_of(extra_status));
	r->version = strdup("HTTP/1.1");
	core_flow_response_free(f->response);
	f->response = r;
	return SREPLAY_ANSWER;
}

int
core_serverreplay_request(struct flow *f)
{
	struct entry *e;
	struct flow *saved;
	struct flow_response *r;
	double recorded;

	if (!loaded || f->request == NULL)
		return SREPLAY_FORWARD;
	if (f->request->body.truncated)
		return core_serverreplay_extra(f);
	make_key(&scratch, f->request);
	e = lookup(hash(core_buf_head(&scratch), scratch.len),
	    core_buf_head(&scratch), scratch.len);
	if (e == NULL || e->head >= e->n)
		return core_serverreplay_extra(f);
	saved = e->flows[(flags & SREPLAY_REUSE) ? 0 : e->head];
	if (!(flags & SREPLAY_REUSE)) {
		e->head++;
		nflows--;
	}
	if ((r = core_flow_response_dup(saved->response)) == NULL)
		abort();
	recorded = saved->response->t_start != 0 ? saved->response->t_start :
	    saved->t.start;
	if (!(flags & SREPLAY_NO_REFRESH))
		refresh(r, recorded);
	core_flow_response_free(f->response);
	f->response = r;
	f->replay = REPLAY_RESPONSE;
	return SREPLAY_ANSWER;
}

void
core_serverreplay_clear(void)
{
	struct entry *e, *next;
	size_t i, j;

	for (i = 0; i < nbuckets; i++)
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->next;
			for (j = 0; j < e->n; j++)
				core_flow_free(e->flows[j]);
			free(e->flows);
			free(e->key);
			free(e);
		}
	free(buckets);
	buckets = NULL;
	nbuckets = nentries = nflows = 0;
	names_clear(&ign_params);
	names_clear(&ign_payload);
	names_clear(&use_headers);
	core_buf_free(&scratch);
	memset(&scratch, 0, sizeof scratch);
	flags = 0;
	extra = EXTRA_FORWARD;
	extra_status = 0;
	loaded = 0;
}
