/*
 * har.c -- HAR 1.2 export (an append-only writer and a whole-file save) and
 * import, with jansson.
 *
 * Import streams: a first pass over the file checks the whole text and
 * finds log.creator and log.entries without keeping anything; a second
 * pass builds one entry at a time as jansson values, turns it into a flow
 * and frees it. What a load holds beyond the flows it hands over is one
 * entry, at most LIMIT_HAR_ENTRY as measured by cost() (strings cut at
 * LIMIT_HAR_STRING), whatever the size of the file. The writer measures
 * each entry the same way and refuses one the reader would not take, so
 * that trawl reads every file it writes.
 *
 * Strings that are not valid UTF-8 cannot go into JSON as they are: the
 * standard field gets a readable copy (bad bytes as U+FFFD) and a sibling
 * "_<key>_b64" field the exact bytes. Strings HAR requires but trawl does
 * not know are written as "" and listed in the object's "_null" array.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/jsonstream.h"
#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/loop/trawl.h"

/* The file around the entries. Each entry goes on its own line. */
#define HAR_HEAD							\
	"{\n  \"log\": {\n    \"version\": \"1.2\",\n"			\
	"    \"creator\": {\"name\": \"trawl\", \"version\": \""	\
	TRAWL_VERSION "\"},\n    \"pages\": [],\n    \"entries\": [\n"
#define HAR_TAIL	"\n    ]\n  }\n}\n"

/* Latest time HAR's date format can hold (9999-12-31T23:59:59Z). */
#define HAR_TIME_MAX	253402300799.0

/*
 * What one parsed JSON value or object member costs, beyond its string
 * bytes, in the measure of LIMIT_HAR_ENTRY: about what jansson allocates
 * for it (a json_t or a hashtable pair, plus malloc's own overhead).
 */
#define COST_NODE	64

struct har_writer {
	int	 fd;
	off_t	 tail;		/* where HAR_TAIL starts: the next entry */
	size_t	 n;		/* entries written */
	int	 broken;	/* a failed write could not be undone */
};

/* A string of the entry being read that was longer than it kept. */
struct har_cut {
	json_t		*v;		/* holds a reference */
	uint64_t	 total;		/* bytes of the whole string */
	uint64_t	 b64;		/* of them in the base64 alphabet */
};

/* What a load remembers of the problems it met. */
struct har_load {
	size_t		 index;		/* entry being read */
	int		 own;		/* the file was written by trawl */
	char		*first;		/* first problem, "entry N: ..." */
	size_t		 problems;
	struct har_cut	*cuts;		/* of the entry being read */
	size_t		 ncuts;
};

/* What the first pass learnt of the file's shape. */
struct har_shape {
	int	 started;	/* the first token was read */
	int	 root_object;
	int	 log_seen;
	int	 log_object;
	int	 creator_seen;
	int	 entries_seen;
	int	 entries_array;
	int	 own;		/* log.creator.name is "trawl" */
	enum { IN_NONE, IN_LOG, IN_CREATOR } in;
	char	 key[4][16];	/* the last short key at levels 1 to 3 */
};

struct name {
	int		 value;
	const char	*name;
};

static const struct name type_names[] = {
	{ FLOW_HTTP, "http" }, { FLOW_TCP, "tcp" }, { FLOW_UDP, "udp" },
	{ FLOW_DNS, "dns" }, { 0, NULL }
};
static const struct name state_names[] = {
	{ FLOW_ACTIVE, "active" }, { FLOW_PAUSED_REQUEST, "paused_request" },
	{ FLOW_PAUSED_RESPONSE, "paused_response" }, { FLOW_DONE, "done" },
	{ FLOW_PAUSED_MESSAGE, "paused_message" },
	{ 0, NULL }
};
/* "client" and "server" are written; "request" and "response" (what
 * trawl wrote before, and mitmproxy's is_replay) still load. */
static const struct name replay_names[] = {
	{ REPLAY_NONE, "none" }, { REPLAY_REQUEST, "client" },
	{ REPLAY_RESPONSE, "server" }, { REPLAY_REQUEST, "request" },
	{ REPLAY_RESPONSE, "response" }, { 0, NULL }
};

static const char *
name_of(const struct name *t, int v)
{
	for (; t->name != NULL; t++)
		if (t->value == v)
			return t->name;
	return "?";
}

static size_t
slen(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

/* --- UTF-8 and base64 ------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A JSON string of s with every invalid byte replaced by U+FFFD. */
static json_t *
json_lossy(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *out;
	size_t i = 0, o = 0, k;

	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	j = json_stringn(out, o);
	free(out);
	return j;
}

static json_t *
jstr(const char *s, size_t n)
{
	return utf8_valid(s, n) ? json_stringn(s, n) : json_lossy(s, n);
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Caller frees. */
static char *
b64_encode(const void *data, size_t n, size_t *outlen)
{
	const unsigned char *s = data;
	char *out;
	size_t i, o = 0;
	uint32_t v;

	if ((out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = b64_chars[v >> 6 & 63];
		out[o++] = b64_chars[v & 63];
	}
	if (i < n) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes base64, skipping whitespace (some tools wrap lines). With
 * partial set, s is the first part of a longer text: a last group left
 * incomplete is dropped rather than refused. Returns a NUL-terminated
 * buffer the caller frees, or NULL on bad input.
 */
static char *
b64_decode(const char *s, size_t n, size_t *outlen, int partial)
{
	char *out;
	size_t i, o = 0, pad = 0;
	uint32_t acc = 0;
	int k = 0, v;

	if ((out = malloc(n / 4 * 3 + 4)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) == -1)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++k == 4) {
			out[o++] = acc >> 16 & 0xff;
			out[o++] = acc >> 8 & 0xff;
			out[o++] = acc & 0xff;
			acc = 0;
			k = 0;
		}
	}
	if (partial)
		k = 0;		/* the rest of that group was not kept */
	if (k == 1 || pad > 2)
		goto bad;
	if (k == 2)
		out[o++] = acc >> 4 & 0xff;
	else if (k == 3) {
		out[o++] = acc >> 10 & 0xff;
		out[o++] = acc >> 2 & 0xff;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* --- writing: small helpers ------------------------------------------ */

/* json_object_set_new ignores a NULL value (out of memory). */
static void
put(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

/* "_key_b64" for key or "_key". */
static void
b64_key(char *buf, size_t size, const char *key)
{
	snprintf(buf, size, "_%s_b64", key[0] == '_' ? key + 1 : key);
}

/* An optional string: nothing when NULL. */
static void
put_str(json_t *o, const char *key, const char *s)
{
	char k[64], *b;
	size_t n, bn;

	if (s == NULL)
		return;
	n = strlen(s);
	if (utf8_valid(s, n)) {
		put(o, key, json_stringn(s, n));
		return;
	}
	put(o, key, json_lossy(s, n));
	if ((b = b64_encode(s, n, &bn)) != NULL) {
		b64_key(k, sizeof k, key);
		put(o, k, json_stringn(b, bn));
		free(b);
	}
}

/* A string HAR requires: "" when NULL, and the key goes into "_null". */
static void
put_req_str(json_t *o, const char *key, const char *s)
{
	json_t *nulls;

	if (s != NULL) {
		put_str(o, key, s);
		return;
	}
	put(o, key, json_string(""));
	if ((nulls = json_object_get(o, "_null")) == NULL) {
		put(o, "_null", json_array());
		nulls = json_object_get(o, "_null");
	}
	if (nulls != NULL)
		json_array_append_new(nulls, json_string(key));
}

static json_t *
jnum(double d)
{
	return json_real(isfinite(d) ? d : 0);
}

static json_t *
jint(long long v)
{
	return json_integer((json_int_t)v);
}

/* --- writing: request and response ----------------------------------- */

static json_t *
headers_json(const struct flow_headers *h)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < h->n; i++) {
		o = json_object();
		put_str(o, "name", h->v[i].name != NULL ? h->v[i].name : "");
		put_str(o, "value", h->v[i].value != NULL ? h->v[i].value : "");
		json_array_append_new(a, o);
	}
	return a;
}

/* Size of the message head in HTTP/1 form: start line, fields, CRLF. */
static long long
head_size(const char *a, const char *b, const char *c,
    const struct flow_headers *h)
{
	long long n = slen(a) + 1 + slen(b) + 1 + slen(c) + 2 + 2;
	size_t i;

	for (i = 0; i < h->n; i++)
		n += slen(h->v[i].name) + 2 + slen(h->v[i].value) + 2;
	return n;
}

/* The query of an origin-form path as HAR name/value pairs, undecoded. */
static json_t *
query_json(const char *path)
{
	json_t *a = json_array(), *o;
	const char *q, *end, *amp, *eq;

	if (a == NULL || path == NULL || (q = strchr(path, '?')) == NULL)
		return a;
	q++;
	end = q + strcspn(q, "#");
	for (;;) {
		if ((amp = memchr(q, '&', end - q)) == NULL)
			amp = end;
		if (amp > q) {
			eq = memchr(q, '=', amp - q);
			o = json_object();
			put(o, "name", jstr(q, (eq != NULL ? eq : amp) - q));
			if (eq != NULL)
				put(o, "value", jstr(eq + 1, amp - eq - 1));
			else
				put(o, "value", json_string(""));
			json_array_append_new(a, o);
		}
		if (amp == end)
			break;
		q = amp + 1;
	}
	return a;
}

/* Trims spaces around [*p, *p + *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* "name=value" into a HAR cookie object. */
static json_t *
cookie_json(const char *p, size_t n)
{
	const char *eq;
	json_t *o = json_object();

	trim(&p, &n);
	eq = memchr(p, '=', n);
	put(o, "name", jstr(p, eq != NULL ? (size_t)(eq - p) : n));
	put(o, "value", eq != NULL ? jstr(eq + 1, n - (eq + 1 - p)) :
	    json_string(""));
	return o;
}

static int
attr_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Cookie (request) or Set-Cookie (response) headers as HAR cookies. */
static json_t *
cookies_json(const struct flow_headers *h, int response)
{
	json_t *a = json_array(), *c;
	const char *v, *p, *semi, *eq;
	size_t i, n, klen;

	for (i = 0; a != NULL && i < h->n; i++) {
		if (h->v[i].name == NULL || (v = h->v[i].value) == NULL)
			continue;
		if (strcasecmp(h->v[i].name,
		    response ? "set-cookie" : "cookie") != 0)
			continue;
		c = NULL;
		for (p = v; *p != '\0'; p = *semi ? semi + 1 : semi) {
			semi = p + strcspn(p, ";");
			n = semi - p;
			trim(&p, &n);
			if (n == 0)
				continue;
			if (!response) {
				json_array_append_new(a, cookie_json(p, n));
				continue;
			}
			if (c == NULL) {
				c = cookie_json(p, n);
				json_array_append_new(a, c);
				continue;
			}
			/* Attributes of the Set-Cookie's one cookie. */
			eq = memchr(p, '=', n);
			klen = eq != NULL ? (size_t)(eq - p) : n;
			if (eq != NULL && attr_is(p, klen, "path"))
				put(c, "path", jstr(eq + 1, n - klen - 1));
			else if (eq != NULL && attr_is(p, klen, "domain"))
				put(c, "domain", jstr(eq + 1, n - klen - 1));
			else if (attr_is(p, klen, "httponly"))
				put(c, "httpOnly", json_true());
			else if (attr_is(p, klen, "secure"))
				put(c, "secure", json_true());
		}
	}
	return a;
}

static json_t *
mime_json(const struct flow_headers *h)
{
	const char *v = h != NULL ? core_flow_header_get(h, "content-type") :
	    NULL;

	if (v == NULL)
		return json_string("application/octet-stream");
	return jstr(v, strlen(v));
}

static int
body_used(const struct flow_body *b)
{
	return b->data != NULL || b->total != 0 || b->truncated;
}

/* The kept prefix as "text": as is when UTF-8, else base64. */
static void
put_body(json_t *o, const struct flow_body *b)
{
	char *enc;
	size_t n;

	if (b->data != NULL) {
		if (utf8_valid(b->data, b->len))
			put(o, "text", json_stringn(b->data, b->len));
		else if ((enc = b64_encode(b->data, b->len, &n)) != NULL) {
			put(o, "text", json_stringn(enc, n));
			put(o, "encoding", json_string("base64"));
			free(enc);
		}
	}
	put(o, "_truncated", json_boolean(b->truncated));
}

/* A body with no HAR place (TCP/UDP bytes of an HTTP flow). */
static json_t *
body_json(const struct flow_body *b)
{
	json_t *o = json_object();

	put(o, "size", jint((long long)b->total));
	put_body(o, b);
	return o;
}

static json_t *
request_json(const struct flow_request *r)
{
	json_t *o = json_object(), *pd;
	struct flow tmp;
	char *url;

	if (o == NULL)
		return NULL;
	/* The URL the rest of trawl shows, from a flow holding only r. */
	memset(&tmp, 0, sizeof tmp);
	tmp.type = FLOW_HTTP;
	tmp.request = (struct flow_request *)r;
	url = core_flow_url(&tmp);
	put_req_str(o, "method", r->method);
	put(o, "url", jstr(url, strlen(url)));
	free(url);
	put_req_str(o, "httpVersion", r->version);
	put(o, "cookies", cookies_json(&r->headers, 0));
	put(o, "headers", headers_json(&r->headers));
	put(o, "queryString", query_json(r->path));
	if (body_used(&r->body)) {
		pd = json_object();
		put(pd, "mimeType", mime_json(&r->headers));
		put_body(pd, &r->body);
		put(o, "postData", pd);
	}
	put(o, "headersSize", jint(head_size(r->method, r->path, r->version,
	    &r->headers)));
	put(o, "bodySize", jint((long long)r->body.total));
	/* The URL loses which parts were unknown; these keep them. */
	put_str(o, "_scheme", r->scheme);
	put_str(o, "_host", r->host);
	put(o, "_port", jint(r->port));
	put_str(o, "_path", r->path);
	put(o, "_tStart", jnum(r->t_start));
	put(o, "_tEnd", jnum(r->t_end));
	if (r->trailers.n > 0)
		put(o, "_trailers", headers_json(&r->trailers));
	return o;
}

static json_t *
response_json(const struct flow_response *r)
{
	json_t *o = json_object(), *c;
	const char *loc;
	char status[16];

	if (o == NULL)
		return NULL;
	put(o, "status", jint(r->status));
	put_req_str(o, "statusText", r->reason);
	put_req_str(o, "httpVersion", r->version);
	put(o, "cookies", cookies_json(&r->headers, 1));
	put(o, "headers", headers_json(&r->headers));
	c = json_object();
	put(c, "size", jint((long long)r->body.total));
	put(c, "mimeType", mime_json(&r->headers));
	put_body(c, &r->body);
	put(o, "content", c);
	loc = core_flow_header_get(&r->headers, "location");
	put(o, "redirectURL", loc != NULL ? jstr(loc, strlen(loc)) :
	    json_string(""));
	snprintf(status, sizeof status, "%d", r->status);
	put(o, "headersSize", jint(head_size(r->version, status, r->reason,
	    &r->headers)));
	put(o, "bodySize", jint((long long)r->body.total));
	put(o, "_tStart", jnum(r->t_start));
	put(o, "_tEnd", jnum(r->t_end));
	if (r->trailers.n > 0)
		put(o, "_trailers", headers_json(&r->trailers));
	return o;
}

/* A request with only the fields HAR requires; body is the postData. */
static json_t *
stub_request(const char *method, const char *url, const struct flow_body *b)
{
	json_t *o = json_object(), *pd;

	if (o == NULL)
		return NULL;
	put(o, "method", json_string(method));
	put(o, "url", jstr(url, strlen(url)));
	put(o, "httpVersion", json_string(""));
	put(o, "cookies", json_array());
	put(o, "headers", json_array());
	put(o, "queryString", json_array());
	if (b != NULL && body_used(b)) {
		pd = json_object();
		put(pd, "mimeType", json_string("application/octet-stream"));
		put_body(pd, b);
		put(o, "postData", pd);
	}
	put(o, "headersSize", jint(-1));
	put(o, "bodySize", jint(b != NULL ? (long long)b->total : 0));
	return o;
}

/* A response with only the fields HAR requires; b is the content. */
static json_t *
stub_response(const struct flow_body *b)
{
	json_t *o = json_object(), *c;

	if (o == NULL)
		return NULL;
	put(o, "status", jint(0));
	put(o, "statusText", json_string(""));
	put(o, "httpVersion", json_string(""));
	put(o, "cookies", json_array());
	put(o, "headers", json_array());
	c = json_object();
	put(c, "size", jint(b != NULL ? (long long)b->total : 0));
	put(c, "mimeType", json_string("application/octet-stream"));
	if (b != NULL)
		put_body(c, b);
	put(o, "content", c);
	put(o, "redirectURL", json_string(""));
	put(o, "headersSize", jint(-1));
	put(o, "bodySize", jint(b != NULL ? (long long)b->total : 0));
	return o;
}

/* --- writing: the entry ---------------------------------------------- */

/* ISO 8601 in UTC with milliseconds, as HAR wants. */
static void
fmt_time(double t, char *buf, size_t size)
{
	struct tm tm;
	time_t s;
	long ms;
	char date[32];

	if (!isfinite(t) || t < 0)
		t = 0;
	if (t > HAR_TIME_MAX)
		t = HAR_TIME_MAX;
	s = (time_t)floor(t);
	ms = lround((t - (double)s) * 1000);
	if (ms >= 1000) {
		s++;
		ms -= 1000;
	}
	gmtime_r(&s, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", date, ms);
}

/* b - a in ms, rounded to the microsecond: epoch doubles add noise. */
static double
span_ms(double a, double b)
{
	double d = (b - a) * 1000;

	return d > 0 ? round(d * 1000) / 1000 : 0;
}

/*
 * HAR's relative phases (ms, -1 when a phase did not happen) from the
 * absolute ones. connect includes ssl, as HAR says; time is the sum.
 */
static json_t *
timings_json(const struct flow *f, double *time)
{
	const struct flow_timings *t = &f->t;
	double start = t->start, last, blocked = -1, dns = -1, connect = -1;
	double ssl = -1, send = 0, wait = 0, receive = 0, rend;
	json_t *o = json_object();

	if (start == 0 && f->request != NULL)
		start = f->request->t_start;
	last = start;
	if (t->dns_start != 0 && t->dns_end != 0) {
		if (start != 0)
			blocked = span_ms(start, t->dns_start);
		dns = span_ms(t->dns_start, t->dns_end);
		last = t->dns_end;
	}
	if (t->connect_end != 0 && last != 0) {
		connect = span_ms(last, t->connect_end);
		if (t->tls_end != 0) {
			ssl = span_ms(t->connect_end, t->tls_end);
			connect += ssl;
		}
	}
	if (t->tls_end != 0)
		last = t->tls_end;
	else if (t->connect_end != 0)
		last = t->connect_end;
	if (t->request_sent != 0 && last != 0)
		send = span_ms(last, t->request_sent);
	if (t->response_start != 0 && t->request_sent != 0)
		wait = span_ms(t->request_sent, t->response_start);
	rend = f->response != NULL && f->response->t_end != 0 ?
	    f->response->t_end : t->end;
	if (t->response_start != 0 && rend != 0)
		receive = span_ms(t->response_start, rend);
	*time = (blocked > 0 ? blocked : 0) + (dns > 0 ? dns : 0) +
	    (connect > 0 ? connect : 0) + send + wait + receive;
	put(o, "blocked", jnum(blocked));
	put(o, "dns", jnum(dns));
	put(o, "connect", jnum(connect));
	put(o, "ssl", jnum(ssl));
	put(o, "send", jnum(send));
	put(o, "wait", jnum(wait));
	put(o, "receive", jnum(receive));
	return o;
}

static json_t *
abs_timings_json(const struct flow_timings *t)
{
	json_t *o = json_object();

	put(o, "start", jnum(t->start));
	put(o, "dnsStart", jnum(t->dns_start));
	put(o, "dnsEnd", jnum(t->dns_end));
	put(o, "connectEnd", jnum(t->connect_end));
	put(o, "tlsEnd", jnum(t->tls_end));
	put(o, "requestSent", jnum(t->request_sent));
	put(o, "responseStart", jnum(t->response_start));
	put(o, "end", jnum(t->end));
	return o;
}

static int
tls_used(const struct flow_tls *t)
{
	return t->present || t->version || t->cipher || t->sni || t->alpn ||
	    t->cert_subject || t->cert_issuer || t->cert_sans ||
	    t->cert_not_before != 0 || t->cert_not_after != 0 ||
	    t->cert_sha256 || t->passthrough || t->passthrough_reason;
}

static json_t *
tls_json(const struct flow_tls *t)
{
	json_t *o = json_object();

	put(o, "present", json_boolean(t->present));
	put_str(o, "version", t->version);
	put_str(o, "cipher", t->cipher);
	put_str(o, "sni", t->sni);
	put_str(o, "alpn", t->alpn);
	put_str(o, "certSubject", t->cert_subject);
	put_str(o, "certIssuer", t->cert_issuer);
	put_str(o, "certSans", t->cert_sans);
	put(o, "certNotBefore", jnum(t->cert_not_before));
	put(o, "certNotAfter", jnum(t->cert_not_after));
	put_str(o, "certSha256", t->cert_sha256);
	put(o, "passthrough", json_boolean(t->passthrough));
	put_str(o, "passthroughReason", t->passthrough_reason);
	return o;
}

/* "1.2.3.4:80" -> "1.2.3.4", "[::1]:80" -> "::1". */
static json_t *
address_ip_json(const char *addr)
{
	const char *colon, *end;

	if (addr[0] == '[' && (end = strchr(addr, ']')) != NULL)
		return jstr(addr + 1, end - addr - 1);
	if ((colon = strrchr(addr, ':')) != NULL &&
	    strchr(addr, ':') == colon)
		return jstr(addr, colon - addr);
	return jstr(addr, strlen(addr));
}

/*
 * The ids of the rules (core/proxy/rules.h) that changed the flow, in
 * order, then {"_more": N} for the N past FLOW_RULE_IDS not kept. The
 * ids are the writing session's: a loaded flow keeps them as they were.
 */
static json_t *
rules_json(const struct flow *f)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < f->nrule_ids && i < FLOW_RULE_IDS; i++)
		json_array_append_new(a, jint(f->rule_ids[i]));
	if (f->nrule_ids > FLOW_RULE_IDS) {
		json_t *o = json_object();

		put(o, "_more", jint(f->nrule_ids - FLOW_RULE_IDS));
		json_array_append_new(a, o);
	}
	return a;
}

/* tcp://server/, udp://server/, dns://server/name. */
static char *
stream_url(const struct flow *f)
{
	char *url;

	if (asprintf(&url, "%s://%s/%s", name_of(type_names, f->type),
	    f->server != NULL ? f->server : "",
	    f->type == FLOW_DNS && f->dns != NULL && f->dns->name != NULL ?
	    f->dns->name : "") == -1)
		return NULL;
	return url;
}

/* --- writing: WebSocket messages, as Chrome's DevTools writes them ------ */

static const struct {
	int		 bit;
	const char	*name;
} msg_flags[] = {
	{ FLOW_MSG_COMPRESSED, "compressed" }, { FLOW_MSG_EDITED, "edited" },
	{ FLOW_MSG_DROPPED, "dropped" }, { FLOW_MSG_INJECTED, "injected" },
	{ FLOW_MSG_BAD, "undecodable" },
};

/* Text as a string (with "_data_b64" when it is not UTF-8), anything
 * else in base64, as Chrome writes binary frames. */
static json_t *
ws_message_json(const struct flow_msg *m)
{
	json_t *o = json_object(), *fl;
	char *b;
	size_t bn, i;

	put(o, "type", json_string(m->from_client ? "send" : "receive"));
	put(o, "time", jnum(m->t));
	put(o, "opcode", jint(m->opcode));
	if (m->opcode == 1 && utf8_valid(m->data, m->len))
		put(o, "data", json_stringn(m->data, m->len));
	else {
		if ((b = b64_encode(m->data, m->len, &bn)) == NULL)
			abort();
		if (m->opcode == 1) {
			put(o, "data", json_lossy(m->data, m->len));
			put(o, "_data_b64", json_stringn(b, bn));
		} else
			put(o, "data", json_stringn(b, bn));
		free(b);
	}
	if (m->size != m->len)
		put(o, "_size", jint((long long)m->size));
	fl = json_array();
	for (i = 0; i < sizeof msg_flags / sizeof msg_flags[0]; i++)
		if (m->flags & msg_flags[i].bit)
			json_array_append_new(fl, json_string(msg_flags[i].name));
	if (json_array_size(fl) > 0)
		put(o, "_flags", fl);
	else
		json_decref(fl);
	return o;
}

static void
put_ws(json_t *e, const struct flow *f)
{
	json_t *a = json_array(), *o = json_object();
	size_t i;

	for (i = 0; i < f->msgs.n; i++)
		json_array_append_new(a, ws_message_json(core_flow_msg_at(f,
		    i)));
	put(e, "_resourceType", json_string("websocket"));
	put(e, "_webSocketMessages", a);
	put(o, "total", jint((long long)f->msgs.total));
	if (f->ws.closed_by != 0) {
		put(o, "closedBy", json_string(f->ws.closed_by == 1 ? "client" :
		    "server"));
		put(o, "closeCode", jint(f->ws.close_code));
	}
	put_str(o, "closeReason", f->ws.close_reason);
	put_str(o, "extensions", f->ws.extensions);
	put_str(o, "error", f->ws.error);
	put(e, "_webSocket", o);
}

static json_t *
entry_json(const struct flow *f)
{
	json_t *e = json_object(), *req, *resp, *o;
	char when[64], *url;
	const char *colon;
	double start = f->t.start, time = 0;

	if (e == NULL)
		return NULL;
	if (start == 0 && f->request != NULL)
		start = f->request->t_start;
	fmt_time(start, when, sizeof when);
	put(e, "startedDateTime", json_string(when));
	o = timings_json(f, &time);
	put(e, "time", jnum(time));
	if (f->type == FLOW_HTTP) {
		if (f->request != NULL)
			req = request_json(f->request);
		else {
			url = core_flow_url(f);
			req = stub_request("", url, NULL);
			free(url);
			put(req, "_absent", json_true());
		}
		if (f->response != NULL)
			resp = response_json(f->response);
		else {
			resp = stub_response(NULL);
			put(resp, "_absent", json_true());
		}
		if (body_used(&f->up))
			put(e, "_up", body_json(&f->up));
		if (body_used(&f->down))
			put(e, "_down", body_json(&f->down));
	} else {
		/* Streams show in viewers as a request and a response body. */
		url = stream_url(f);
		req = stub_request(f->type == FLOW_DNS ? "DNS" : "CONNECT",
		    url != NULL ? url : "", &f->up);
		free(url);
		resp = stub_response(&f->down);
		if (f->request != NULL)
			put(e, "_request", request_json(f->request));
		if (f->response != NULL)
			put(e, "_response", response_json(f->response));
	}
	put(e, "request", req);
	put(e, "response", resp);
	put(e, "cache", json_object());
	put(e, "timings", o);
	if (f->server != NULL)
		put(e, "serverIPAddress", address_ip_json(f->server));
	if (f->client != NULL && (colon = strrchr(f->client, ':')) != NULL)
		put(e, "connection", jstr(colon + 1, strlen(colon + 1)));
	put_str(e, "comment", f->comment);

	put(e, "_id", jint((long long)f->id));
	put(e, "_type", json_string(name_of(type_names, f->type)));
	put(e, "_state", json_string(name_of(state_names, f->state)));
	put_str(e, "_client", f->client);
	put_str(e, "_server", f->server);
	put(e, "_pid", jint(f->pid));
	put_str(e, "_comm", f->comm);
	if (tls_used(core_flow_client_tls(f)))
		put(e, "_clientTLS", tls_json(core_flow_client_tls(f)));
	if (tls_used(core_flow_server_tls(f)))
		put(e, "_serverTLS", tls_json(core_flow_server_tls(f)));
	put(e, "_timings", abs_timings_json(&f->t));
	put_str(e, "_error", f->error);
	put_str(e, "_marker", f->marker);
	put(e, "_replay", json_string(name_of(replay_names, f->replay)));
	put(e, "_replayOf", jint((long long)f->replay_of));
	if (f->stream_id != 0)
		put(e, "_streamId", jint(f->stream_id));
	put(e, "_clientGone", json_boolean(f->client_gone));
	put(e, "_modified", json_boolean(f->modified));
	put_str(e, "_mode", f->mode);
	if (f->dns != NULL) {
		o = json_object();
		put_str(o, "name", f->dns->name);
		put(o, "qtype", jint(f->dns->qtype));
		put(o, "rcode", jint(f->dns->rcode));
		put_str(o, "answers", f->dns->answers);
		put(e, "_dns", o);
	}
	if (f->nrule_ids > 0)
		put(e, "_rules", rules_json(f));
	if (f->orig_request != NULL)
		put(e, "_origRequest", request_json(f->orig_request));
	if (f->orig_response != NULL)
		put(e, "_origResponse", response_json(f->orig_response));
	if (f->ws.on || f->msgs.n > 0)
		put_ws(e, f);
	return e;
}

/* --- writer ---------------------------------------------------------- */

static int
write_all(int fd, off_t off, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= w;
		off += w;
	}
	return 0;
}

/*
 * An existing file keeps its mode through O_CREAT: narrow it to 0600
 * before anything is written. Only regular files: a FIFO or a device is
 * not the user's to change.
 */
static int
make_private(int fd, const char *path, char **cause)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 &&
	    fchmod(fd, 0600) == -1) {
		core_cause(cause, "%s: cannot make it private (mode 0600): %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * What the reader spends on v once parsed (see build()); *big is set
 * when a string is longer than the reader keeps.
 */
static uint64_t
cost(json_t *v, int *big)
{
	uint64_t c = COST_NODE;
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_string(v)) {
		if (json_string_length(v) > LIMIT_HAR_STRING)
			*big = 1;
		return c + json_string_length(v) + 1;
	}
	if (json_is_object(v))
		json_object_foreach(v, k, m)
			c += COST_NODE + strlen(k) + 1 + cost(m, big);
	else if (json_is_array(v))
		json_array_foreach(v, i, m)
			c += cost(m, big);
	return c;
}

/* Takes ownership of fd on success. */
static struct har_writer *
writer_start(int fd, const char *path, char **cause)
{
	struct har_writer *w;
	static const char start[] = HAR_HEAD HAR_TAIL;

	if (ftruncate(fd, 0) == -1 ||
	    write_all(fd, 0, start, sizeof start - 1) == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		core_cause(cause, "out of memory");
		return NULL;
	}
	w->fd = fd;
	w->tail = sizeof HAR_HEAD - 1;
	return w;
}

struct har_writer *
core_har_writer_open(const char *path, char **cause)
{
	struct har_writer *w;
	int fd;

	/* 0600: captures hold cookies and tokens. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (make_private(fd, path, cause) == -1 ||
	    (w = writer_start(fd, path, cause)) == NULL) {
		close(fd);
		return NULL;
	}
	return w;
}

int
core_har_writer_add(struct har_writer *w, const struct flow *f, char **cause)
{
	json_t *e = NULL;
	char *s = NULL, *buf = NULL;
	size_t sl, len = 0, tl = sizeof HAR_TAIL - 1;
	uint64_t c;
	int rv = -1, big = 0;

	if (w->broken) {
		core_cause(cause, "HAR file is unusable after a write error");
		return -1;
	}
	if ((e = entry_json(f)) == NULL) {
		core_cause(cause, "out of memory");
		goto out;
	}
	/* Never an entry that core_har_load would skip. */
	if ((c = cost(e, &big)) > LIMIT_HAR_ENTRY || big) {
		core_cause(cause, "flow %llu not saved: too large for a HAR "
		    "entry trawl can read back (%s)", (unsigned long long)f->id,
		    big ? "a string over LIMIT_HAR_STRING" :
		    "over LIMIT_HAR_ENTRY once parsed");
		goto out;
	}
	if ((s = json_dumps(e, 0)) == NULL ||
	    (buf = malloc(2 + (sl = strlen(s)) + tl)) == NULL) {
		core_cause(cause, "out of memory");
		goto out;
	}
	if (w->n > 0) {
		memcpy(buf, ",\n", 2);
		len = 2;
	}
	memcpy(buf + len, s, sl);
	len += sl;
	memcpy(buf + len, HAR_TAIL, tl);
	len += tl;
	/* One write from the old tail: entry and new tail together. */
	if (write_all(w->fd, w->tail, buf, len) == -1) {
		core_cause(cause, "writing HAR: %s", strerror(errno));
		/* Put the old end back so earlier entries stay readable. */
		if (write_all(w->fd, w->tail, HAR_TAIL, tl) == -1 ||
		    ftruncate(w->fd, w->tail + tl) == -1)
			w->broken = 1;
		goto out;
	}
	w->tail += len - tl;
	w->n++;
	rv = 0;
out:
	free(buf);
	free(s);
	json_decref(e);
	return rv;
}

void
core_har_writer_close(struct har_writer *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w);
}

/* Bytes a saver writes between two starts of the kernel's write-back. */
#define SAVER_FLUSH	(8 << 20)

struct har_saver {
	char			*path;
	char			*tmp;		/* beside path, until commit */
	struct har_writer	*w;
	size_t			 n;
	off_t			 flushed;	/* write-back started up to */
};

struct har_saver *
core_har_saver_open(const char *path, char **cause)
{
	struct har_saver *s;
	int fd;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    asprintf(&s->tmp, "%s.XXXXXX", path) == -1) {
		if (s != NULL)
			free(s->path);
		free(s);
		core_cause(cause, "out of memory");
		return NULL;
	}
	if ((fd = mkostemp(s->tmp, O_CLOEXEC)) == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		free(s->tmp);
		s->tmp = NULL;
		core_har_saver_abort(s);
		return NULL;
	}
	if ((s->w = writer_start(fd, s->tmp, cause)) == NULL) {
		close(fd);
		core_har_saver_abort(s);
		return NULL;
	}
	return s;
}

int
core_har_saver_add(struct har_saver *s, const struct flow *f, char **cause)
{
	char *why = NULL;

	if (core_har_writer_add(s->w, f, &why) == -1) {
		core_cause(cause, "%s: %s", s->path,
		    why != NULL ? why : "write error");
		free(why);
		return -1;
	}
	s->n++;
	/* Write-back as it goes, not all in commit's fsync: a save in
	 * slices must not stall the screen at its end. */
	if (s->w->tail - s->flushed >= SAVER_FLUSH) {
		sync_file_range(s->w->fd, s->flushed, s->w->tail - s->flushed,
		    SYNC_FILE_RANGE_WRITE);
		s->flushed = s->w->tail;
	}
	return 0;
}

size_t
core_har_saver_count(const struct har_saver *s)
{
	return s->n;
}

int
core_har_saver_commit(struct har_saver *s, char **cause)
{
	int rv = -1;

	if (fsync(s->w->fd) == -1) {
		core_cause(cause, "%s: %s", s->path, strerror(errno));
		goto out;
	}
	core_har_writer_close(s->w);
	s->w = NULL;
	if (rename(s->tmp, s->path) == -1) {
		core_cause(cause, "%s: %s", s->path, strerror(errno));
		goto out;
	}
	free(s->tmp);
	s->tmp = NULL;
	rv = 0;
out:
	core_har_saver_abort(s);
	return rv;
}

void
core_har_saver_abort(struct har_saver *s)
{
	if (s == NULL)
		return;
	core_har_writer_close(s->w);
	if (s->tmp != NULL)
		unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	free(s);
}

int
core_har_save(const char *path, struct flow *const *flows, size_t n,
    char **cause)
{
	struct har_saver *s;
	size_t i;

	if ((s = core_har_saver_open(path, cause)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (core_har_saver_add(s, flows[i], cause) == -1) {
			core_har_saver_abort(s);
			return -1;
		}
	return core_har_saver_commit(s, cause);
}

/* --- reading: small helpers ------------------------------------------ */

static void
warn(struct har_load *l, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	l->problems++;
	if (l->first != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL || asprintf(&l->first, "entry %zu: %s", l->index,
	    msg) == -1)
		l->first = NULL;
	free(msg);
}

/* Remembers that v holds only the first part of a longer string. */
static int
cut_add(struct har_load *l, json_t *v, const struct json_tokval *t)
{
	struct har_cut *c;

	if ((c = realloc(l->cuts, (l->ncuts + 1) * sizeof *c)) == NULL)
		return -1;
	l->cuts = c;
	c += l->ncuts++;
	/* The reference keeps v's address from being reused while the
	 * entry is read, should a duplicate key free it. */
	c->v = json_incref(v);
	c->total = t->total;
	c->b64 = t->b64;
	return 0;
}

static const struct har_cut *
cut_find(const struct har_load *l, const json_t *v)
{
	size_t i;

	for (i = 0; i < l->ncuts; i++)
		if (l->cuts[i].v == v)
			return &l->cuts[i];
	return NULL;
}

static void
cuts_clear(struct har_load *l)
{
	size_t i;

	for (i = 0; i < l->ncuts; i++)
		json_decref(l->cuts[i].v);
	free(l->cuts);
	l->cuts = NULL;
	l->ncuts = 0;
}

/* A member; NULL when absent or JSON null (both mean unknown). */
static json_t *
get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

/* Whether key is listed in o's "_null" (written as "", was unknown). */
static int
is_nulled(json_t *o, const char *key)
{
	json_t *a = get(o, "_null"), *v;
	size_t i;

	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
			return 1;
	return 0;
}

/* A string into *dst (freeing the old one); absent leaves *dst alone. */
static void
load_str(struct har_load *l, json_t *o, const char *where, const char *key,
    char **dst)
{
	json_t *v;
	char k[64], *raw;
	size_t n;

	b64_key(k, sizeof k, key);
	if ((v = get(o, k)) != NULL) {
		if (json_is_string(v) && (raw = b64_decode(json_string_value(v),
		    json_string_length(v), &n, 0)) != NULL) {
			free(*dst);
			*dst = raw;
			return;
		}
		warn(l, "%s.%s is not valid base64", where, k);
	}
	if ((v = get(o, key)) == NULL)
		return;
	if (!json_is_string(v)) {
		warn(l, "%s.%s is not a string", where, key);
		return;
	}
	core_flow_setn(dst, json_string_value(v), json_string_length(v));
}

/* A string HAR requires, that trawl may have written for NULL. */
static void
load_req_str(struct har_load *l, json_t *o, const char *where,
    const char *key, char **dst)
{
	if (!is_nulled(o, key))
		load_str(l, o, where, key, dst);
}

/* Returns 0 and sets *dst when key holds a finite number. */
static int
load_num(struct har_load *l, json_t *o, const char *where, const char *key,
    double *dst)
{
	json_t *v = get(o, key);
	double d;

	if (v == NULL)
		return -1;
	if (!json_is_number(v) || !isfinite(d = json_number_value(v))) {
		warn(l, "%s.%s is not a number", where, key);
		return -1;
	}
	*dst = d;
	return 0;
}

/* Returns 0 and sets *dst when key holds an integer in [lo, hi]. */
static int
load_int(struct har_load *l, json_t *o, const char *where, const char *key,
    long long lo, long long hi, long long *dst)
{
	json_t *v = get(o, key);
	double d;

	if (v == NULL)
		return -1;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < lo || json_integer_value(v) > hi)
			goto range;
		*dst = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		/* Some tools write integers as 200.0. */
		d = json_real_value(v);
		if (d != floor(d) || d < (double)lo ||
		    d >= (double)hi + 1.0)
			goto range;
		*dst = (long long)d;
		return 0;
	}
	warn(l, "%s.%s is not an integer", where, key);
	return -1;
range:
	warn(l, "%s.%s is out of range", where, key);
	return -1;
}

/* trawl writes uint64 values as their int64 bit pattern. */
static void
load_u64(struct har_load *l, json_t *o, const char *where, const char *key,
    uint64_t *dst)
{
	long long v;

	if (load_int(l, o, where, key, LLONG_MIN, LLONG_MAX, &v) == 0)
		*dst = (uint64_t)v;
}

static void
load_int32(struct har_load *l, json_t *o, const char *where, const char *key,
    int *dst)
{
	long long v;

	if (load_int(l, o, where, key, INT_MIN, INT_MAX, &v) == 0)
		*dst = (int)v;
}

static void
load_bool(struct har_load *l, json_t *o, const char *where, const char *key,
    int *dst)
{
	json_t *v = get(o, key);

	if (v == NULL)
		return;
	if (json_is_boolean(v))
		*dst = json_is_true(v);
	else if (json_is_integer(v))
		*dst = json_integer_value(v) != 0;
	else
		warn(l, "%s.%s is not a boolean", where, key);
}

/* "_rules", as rules_json writes it; anything else there is warned. */
static void
load_rules(struct har_load *l, json_t *e, struct flow *f)
{
	json_t *a = get(e, "_rules"), *v;
	size_t i;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		warn(l, "entry._rules is not an array");
		return;
	}
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		if (json_is_integer(v) && f->nrule_ids < FLOW_RULE_IDS &&
		    json_integer_value(v) > 0 &&
		    json_integer_value(v) <= INT32_MAX)
			f->rule_ids[f->nrule_ids++] = json_integer_value(v);
		else if (json_is_object(v) && f->nrule_ids == FLOW_RULE_IDS &&
		    json_is_integer(get(v, "_more")) &&
		    json_integer_value(get(v, "_more")) > 0 &&
		    json_integer_value(get(v, "_more")) < INT32_MAX -
		    FLOW_RULE_IDS)
			f->nrule_ids += json_integer_value(get(v, "_more"));
		else
			warn(l, "entry._rules[%zu] is not a rule id", i);
	}
}

static void
load_name(struct har_load *l, json_t *o, const char *where, const char *key,
    const struct name *t, int *dst)
{
	json_t *v = get(o, key);

	if (v == NULL)
		return;
	if (json_is_string(v))
		for (; t->name != NULL; t++)
			if (strcmp(t->name, json_string_value(v)) == 0) {
				*dst = t->value;
				return;
			}
	warn(l, "%s.%s is not a known name", where, key);
}

/* A member that must be an object when present. */
static json_t *
get_obj(struct har_load *l, json_t *o, const char *where, const char *key)
{
	json_t *v = get(o, key);

	if (v != NULL && !json_is_object(v)) {
		warn(l, "%s%s%s is not an object", where, *where ? "." : "",
		    key);
		return NULL;
	}
	return v;
}

/* --- reading: request and response ----------------------------------- */

static void
headers_load(struct har_load *l, json_t *a, const char *where,
    struct flow_headers *h)
{
	json_t *o;
	char lbl[64], *name, *value;
	size_t i;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		warn(l, "%s.headers is not an array", where);
		return;
	}
	json_array_foreach(a, i, o) {
		snprintf(lbl, sizeof lbl, "%s.headers[%zu]", where, i);
		if (!json_is_object(o)) {
			warn(l, "%s is not an object", lbl);
			continue;
		}
		name = value = NULL;
		load_str(l, o, lbl, "name", &name);
		load_str(l, o, lbl, "value", &value);
		if (name == NULL)
			warn(l, "%s has no name", lbl);
		/* HTTP/2 pseudo-headers from browsers: the URL has them. */
		else if (l->own || name[0] != ':')
			core_flow_header_add(h, name, strlen(name),
			    value != NULL ? value : "", slen(value));
		free(name);
		free(value);
	}
}

/* name=value&... from a browser's postData.params (form posts). */
static char *
params_text(json_t *a, size_t *len)
{
	json_t *o, *n, *v;
	char *out = NULL, *p;
	size_t i, cap = 0, nl, vl;

	*len = 0;
	json_array_foreach(a, i, o) {
		n = json_object_get(o, "name");
		v = json_object_get(o, "value");
		if (!json_is_string(n))
			continue;
		nl = json_string_length(n);
		vl = json_is_string(v) ? json_string_length(v) : 0;
		if ((p = realloc(out, cap + nl + vl + 3)) == NULL) {
			free(out);
			return NULL;
		}
		out = p;
		cap += nl + vl + 3;
		if (*len > 0)
			out[(*len)++] = '&';
		memcpy(out + *len, json_string_value(n), nl);
		*len += nl;
		out[(*len)++] = '=';
		if (vl > 0)
			memcpy(out + *len, json_string_value(v), vl);
		*len += vl;
	}
	return out;
}

/*
 * A body from a postData, content or trawl body object. size is the
 * total the enclosing object claims, or -1.
 */
static void
body_load(struct har_load *l, json_t *o, const char *where, long long size,
    struct flow_body *b)
{
	const struct har_cut *cut;
	json_t *v, *enc, *mime;
	char *raw = NULL;
	size_t n = 0;
	uint64_t whole = 0;	/* bytes of the whole body, kept or not */
	const char *s;
	int have = 0, trunc;

	if (!json_is_object(o)) {
		warn(l, "%s is not an object", where);
		return;
	}
	enc = get(o, "encoding");
	if ((v = get(o, "text")) != NULL) {
		cut = cut_find(l, v);
		if (!json_is_string(v))
			warn(l, "%s.text is not a string", where);
		else if (enc != NULL && json_is_string(enc) &&
		    strcasecmp(json_string_value(enc), "base64") == 0) {
			raw = b64_decode(json_string_value(v),
			    json_string_length(v), &n, cut != NULL);
			if (raw == NULL)
				warn(l, "%s.text is not valid base64", where);
			else
				have = 1;
		} else {
			if (enc != NULL && (!json_is_string(enc) ||
			    *json_string_value(enc) != '\0'))
				warn(l, "%s.encoding is not \"base64\"", where);
			n = json_string_length(v);
			if ((raw = malloc(n + 1)) != NULL) {
				memcpy(raw, json_string_value(v), n);
				have = 1;
			}
		}
		/* A text longer than the reader kept: count what it had. */
		if (have && cut != NULL)
			whole = enc != NULL && json_is_string(enc) &&
			    strcasecmp(json_string_value(enc), "base64") == 0 ?
			    cut->b64 * 3 / 4 : cut->total;
	} else if (json_is_array(v = get(o, "params"))) {
		/* A browser left out the text of a form post. */
		mime = get(o, "mimeType");
		s = json_is_string(mime) ? json_string_value(mime) : "";
		if (strncasecmp(s, "application/x-www-form-urlencoded",
		    33) == 0 && (raw = params_text(v, &n)) != NULL)
			have = 1;
	}
	if (have) {
		core_flow_body_set(b, raw, n);	/* keeps LIMIT_FLOW_BODY */
		free(raw);
	}
	if (whole < n)
		whole = n;
	b->total = size > 0 && (uint64_t)size > whole ? (uint64_t)size : whole;
	trunc = b->total > b->len;
	if (get(o, "_truncated") != NULL) {
		trunc = 0;
		load_bool(l, o, where, "_truncated", &trunc);
		trunc = trunc || b->len < whole;
	}
	b->truncated = trunc;
}

/* The size fields some HAR writers put -1 into. */
static long long
load_size(struct har_load *l, json_t *o, const char *where, const char *key)
{
	long long v = -1;

	load_int(l, o, where, key, LLONG_MIN, LLONG_MAX, &v);
	return v;
}

/* scheme://[user@]host[:port]/path?query#fragment into r. */
static void
url_load(struct har_load *l, const char *where, const char *url,
    struct flow_request *r)
{
	const char *p, *a, *at, *host, *hend, *colon, *path;
	size_t alen, i;
	char *end;
	long port;

	if ((p = strstr(url, "://")) == NULL || p == url) {
		warn(l, "%s.url has no scheme", where);
		core_flow_set(&r->path, url);
		return;
	}
	core_flow_setn(&r->scheme, url, p - url);
	for (i = 0; r->scheme[i] != '\0'; i++)
		r->scheme[i] = tolower((unsigned char)r->scheme[i]);
	a = p + 3;
	alen = strcspn(a, "/?#");
	path = a + alen;
	host = a;
	for (at = a; at < a + alen; at++)
		if (*at == '@')
			host = at + 1;
	hend = a + alen;
	colon = NULL;
	if (*host == '[' && (p = memchr(host, ']', hend - host)) != NULL) {
		core_flow_setn(&r->host, host + 1, p - host - 1);
		if (p + 1 < hend && p[1] == ':')
			colon = p + 1;
	} else {
		colon = memchr(host, ':', hend - host);
		core_flow_setn(&r->host, host,
		    (colon != NULL ? colon : hend) - host);
	}
	r->port = strcmp(r->scheme, "https") == 0 ||
	    strcmp(r->scheme, "wss") == 0 ? 443 : 80;
	if (colon != NULL && colon + 1 < hend) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end != hend || port < 1 || port > 65535)
			warn(l, "%s.url has a bad port", where);
		else
			r->port = (int)port;
	}
	i = strcspn(path, "#");
	if (*path == '/')
		core_flow_setn(&r->path, path, i);
	else {
		/* "http://host?q" has the empty path "/". */
		free(r->path);
		if (asprintf(&r->path, "/%.*s", (int)i, path) == -1)
			r->path = NULL;
	}
}

static struct flow_request *
request_load(struct har_load *l, json_t *o, const char *where)
{
	struct flow_request *r;
	json_t *v;
	char lbl[64];

	if (!json_is_object(o)) {
		warn(l, "%s is not an object", where);
		return NULL;
	}
	if (json_is_true(get(o, "_absent")))
		return NULL;
	r = core_flow_request_new();
	load_req_str(l, o, where, "method", &r->method);
	load_req_str(l, o, where, "httpVersion", &r->version);
	if (get(o, "_port") != NULL) {
		/* trawl's own: the parts as they were, unknown ones too. */
		load_str(l, o, where, "_scheme", &r->scheme);
		load_str(l, o, where, "_host", &r->host);
		load_str(l, o, where, "_path", &r->path);
		load_int32(l, o, where, "_port", &r->port);
	} else if ((v = get(o, "url")) == NULL)
		warn(l, "%s.url is missing", where);
	else if (!json_is_string(v))
		warn(l, "%s.url is not a string", where);
	else
		url_load(l, where, json_string_value(v), r);
	headers_load(l, get(o, "headers"), where, &r->headers);
	snprintf(lbl, sizeof lbl, "%s.postData", where);
	if ((v = get(o, "postData")) != NULL)
		body_load(l, v, lbl, load_size(l, o, where, "bodySize"),
		    &r->body);
	load_num(l, o, where, "_tStart", &r->t_start);
	load_num(l, o, where, "_tEnd", &r->t_end);
	if ((v = get(o, "_trailers")) != NULL)
		headers_load(l, v, where, &r->trailers);
	return r;
}

static struct flow_response *
response_load(struct har_load *l, json_t *o, const char *where)
{
	struct flow_response *r;
	json_t *v;
	char lbl[64];

	if (!json_is_object(o)) {
		warn(l, "%s is not an object", where);
		return NULL;
	}
	if (json_is_true(get(o, "_absent")))
		return NULL;
	r = core_flow_response_new();
	load_int32(l, o, where, "status", &r->status);
	load_req_str(l, o, where, "statusText", &r->reason);
	load_req_str(l, o, where, "httpVersion", &r->version);
	headers_load(l, get(o, "headers"), where, &r->headers);
	snprintf(lbl, sizeof lbl, "%s.content", where);
	if ((v = get(o, "content")) != NULL)
		body_load(l, v, lbl, json_is_object(v) ?
		    load_size(l, v, lbl, "size") : -1, &r->body);
	load_num(l, o, where, "_tStart", &r->t_start);
	load_num(l, o, where, "_tEnd", &r->t_end);
	if ((v = get(o, "_trailers")) != NULL)
		headers_load(l, v, where, &r->trailers);
	return r;
}

/* --- reading: the entry ---------------------------------------------- */

/* ISO 8601 date and time with optional fraction and zone, to epoch s. */
static int
parse_time(const char *s, double *out)
{
	struct tm tm;
	const char *p;
	double frac = 0, scale = 0.1;
	long off = 0;
	int Y, M, D, h, m, sec, n = 0, oh = 0, om = 0, sign;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec,
	    &n) != 6 || n == 0)
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 ||
	    m < 0 || m > 59 || sec < 0 || sec > 60 || Y < 1970)
		return -1;
	p = s + n;
	if (*p == '.' || *p == ',')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!isdigit((unsigned char)p[0]) ||
		    !isdigit((unsigned char)p[1]))
			return -1;
		oh = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)p[0]) &&
		    isdigit((unsigned char)p[1])) {
			om = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		off = sign * (oh * 3600L + om * 60L);
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = (double)t + frac - (double)off;
	return 0;
}

/* One relative phase of HAR's timings, in seconds; -1 when n/a. */
static double
phase(struct har_load *l, json_t *o, const char *key)
{
	double ms = -1;

	if (o != NULL)
		load_num(l, o, "timings", key, &ms);
	return ms < 0 ? -1 : ms / 1000;
}

/* Absolute timings of a file from another tool, from the relative ones. */
static void
timings_derive(struct har_load *l, json_t *e, struct flow *f)
{
	struct flow_timings *t = &f->t;
	json_t *v, *o;
	double cur, blocked, dns, connect, ssl, send, wait, receive, time;

	if ((v = get(e, "startedDateTime")) == NULL)
		return;
	if (!json_is_string(v) || parse_time(json_string_value(v),
	    &t->start) == -1) {
		warn(l, "startedDateTime is not an ISO 8601 time");
		return;
	}
	o = get_obj(l, e, "", "timings");
	blocked = phase(l, o, "blocked");
	dns = phase(l, o, "dns");
	connect = phase(l, o, "connect");
	ssl = phase(l, o, "ssl");
	send = phase(l, o, "send");
	wait = phase(l, o, "wait");
	receive = phase(l, o, "receive");
	cur = t->start;
	if (blocked > 0)
		cur += blocked;
	if (dns > 0) {
		t->dns_start = cur;
		cur += dns;
		t->dns_end = cur;
	}
	if (connect > 0) {
		/* HAR's connect includes ssl. */
		if (ssl > 0 && ssl <= connect) {
			t->connect_end = cur + connect - ssl;
			t->tls_end = cur + connect;
		} else
			t->connect_end = cur + connect;
		cur += connect;
	}
	if (send >= 0) {
		cur += send;
		t->request_sent = cur;
	}
	if (wait >= 0) {
		cur += wait;
		t->response_start = cur;
	}
	if (receive >= 0)
		cur += receive;
	if (o == NULL && load_num(l, e, "entry", "time", &time) == 0 &&
	    time > 0)
		cur = t->start + time / 1000;
	t->end = cur;
	if (f->request != NULL) {
		f->request->t_start = t->start;
		f->request->t_end = t->request_sent;
	}
	if (f->response != NULL) {
		f->response->t_start = t->response_start;
		f->response->t_end = t->end;
	}
}

static void
tls_load(struct har_load *l, json_t *o, const char *where,
    struct flow_tls *t)
{
	if (o == NULL)
		return;
	load_bool(l, o, where, "present", &t->present);
	load_str(l, o, where, "version", &t->version);
	load_str(l, o, where, "cipher", &t->cipher);
	load_str(l, o, where, "sni", &t->sni);
	load_str(l, o, where, "alpn", &t->alpn);
	load_str(l, o, where, "certSubject", &t->cert_subject);
	load_str(l, o, where, "certIssuer", &t->cert_issuer);
	load_str(l, o, where, "certSans", &t->cert_sans);
	load_num(l, o, where, "certNotBefore", &t->cert_not_before);
	load_num(l, o, where, "certNotAfter", &t->cert_not_after);
	load_str(l, o, where, "certSha256", &t->cert_sha256);
	load_bool(l, o, where, "passthrough", &t->passthrough);
	load_str(l, o, where, "passthroughReason", &t->passthrough_reason);
}

/* serverIPAddress and the URL's port, for files from other tools. */
static void
server_derive(struct flow *f, json_t *e)
{
	json_t *v = get(e, "serverIPAddress");
	const char *ip;
	size_t n;

	if (!json_is_string(v) || f->request == NULL ||
	    *(ip = json_string_value(v)) == '\0')
		return;
	n = strlen(ip);
	if (ip[0] == '[' && ip[n - 1] == ']') {
		ip++;
		n -= 2;
	}
	if (asprintf(&f->server, memchr(ip, ':', n) != NULL ? "[%.*s]:%d" :
	    "%.*s:%d", (int)n, ip, f->request->port) == -1)
		f->server = NULL;
}

/* One of _webSocketMessages (trawl's or Chrome's). */
static void
ws_message_load(struct har_load *l, json_t *o, struct flow *f)
{
	json_t *v, *fl;
	const char *type, *s;
	long long opcode = 1, size = -1;
	double t = 0;
	char *raw = NULL;
	size_t n, i, k;
	int flags = 0;
	struct flow_msg *m;

	if (!json_is_object(o) || !json_is_string(v = get(o, "type")) ||
	    ((type = json_string_value(v)), strcmp(type, "send") != 0 &&
	    strcmp(type, "receive") != 0)) {
		warn(l, "_webSocketMessages: an item is not a sent or received "
		    "message");
		return;
	}
	load_num(l, o, "_webSocketMessages", "time", &t);
	load_int(l, o, "_webSocketMessages", "opcode", 0, 15, &opcode);
	load_int(l, o, "_webSocketMessages", "_size", 0, LLONG_MAX, &size);
	if (!json_is_string(v = get(o, "data"))) {
		s = "";
		n = 0;
	} else {
		s = json_string_value(v);
		n = json_string_length(v);
	}
	if (json_is_string(v = get(o, "_data_b64")))
		raw = b64_decode(json_string_value(v), json_string_length(v),
		    &k, 0);
	else if (opcode != 1)
		raw = b64_decode(s, n, &k, 0);	/* else kept as text */
	if (raw != NULL) {
		s = raw;
		n = k;
	}
	if (json_is_array(fl = get(o, "_flags")))
		json_array_foreach(fl, i, v) {
			for (k = 0; k < sizeof msg_flags / sizeof msg_flags[0];
			    k++)
				if (json_is_string(v) && strcmp(
				    json_string_value(v), msg_flags[k].name) == 0)
					flags |= msg_flags[k].bit;
		}
	m = core_flow_msg_add(f, strcmp(type, "send") == 0, (int)opcode, s, n,
	    size >= 0 ? (uint64_t)size : n, flags);
	m->t = t;
	free(raw);
}

static void
ws_load(struct har_load *l, json_t *e, struct flow *f)
{
	json_t *a = get(e, "_webSocketMessages"), *o = get(e, "_webSocket"), *v;
	long long total = 0, code = -1;
	size_t i;

	if (a == NULL && o == NULL)
		return;
	/* A raw TCP or UDP flow's chunks are kept the same way. */
	f->ws.on = f->type == FLOW_HTTP;
	if (a != NULL && !json_is_array(a))
		warn(l, "_webSocketMessages is not an array");
	else if (a != NULL)
		json_array_foreach(a, i, v)
			ws_message_load(l, v, f);
	if (!json_is_object(o))
		return;
	if (load_int(l, o, "_webSocket", "total", 0, LLONG_MAX, &total) == 0 &&
	    (uint64_t)total > f->msgs.total)
		f->msgs.total = (uint64_t)total;
	if (json_is_string(v = get(o, "closedBy")))
		f->ws.closed_by = strcmp(json_string_value(v), "client") == 0 ?
		    1 : 2;
	if (load_int(l, o, "_webSocket", "closeCode", -1, 65535, &code) == 0)
		f->ws.close_code = (int)code;
	load_str(l, o, "_webSocket", "closeReason", &f->ws.close_reason);
	load_str(l, o, "_webSocket", "extensions", &f->ws.extensions);
	load_str(l, o, "_webSocket", "error", &f->ws.error);
}

static struct flow *
entry_load(struct har_load *l, json_t *e)
{
	struct flow *f;
	json_t *req, *resp, *v, *o;
	int type = FLOW_HTTP, state = FLOW_DONE, replay = REPLAY_NONE;

	load_name(l, e, "entry", "_type", type_names, &type);
	f = core_flow_new(type);
	memset(&f->t, 0, sizeof f->t);
	load_name(l, e, "entry", "_state", state_names, &state);
	f->state = state;
	load_u64(l, e, "entry", "_id", &f->id);
	load_str(l, e, "entry", "_client", &f->client);
	load_str(l, e, "entry", "_server", &f->server);
	load_int32(l, e, "entry", "_pid", &f->pid);
	load_str(l, e, "entry", "_comm", &f->comm);
	if ((o = get_obj(l, e, "", "_clientTLS")) != NULL)
		tls_load(l, o, "_clientTLS", core_flow_client_tls_w(f));
	if ((o = get_obj(l, e, "", "_serverTLS")) != NULL)
		tls_load(l, o, "_serverTLS", core_flow_server_tls_w(f));
	load_str(l, e, "entry", "comment", &f->comment);
	load_str(l, e, "entry", "_error", &f->error);
	load_str(l, e, "entry", "_marker", &f->marker);
	load_name(l, e, "entry", "_replay", replay_names, &replay);
	f->replay = replay;
	load_u64(l, e, "entry", "_replayOf", &f->replay_of);
	{
		int sid = 0;

		load_int32(l, e, "entry", "_streamId", &sid);
		f->stream_id = sid;
	}
	load_bool(l, e, "entry", "_clientGone", &f->client_gone);
	load_bool(l, e, "entry", "_modified", &f->modified);
	load_str(l, e, "entry", "_mode", &f->mode);
	load_rules(l, e, f);
	if ((o = get_obj(l, e, "", "_dns")) != NULL) {
		if ((f->dns = calloc(1, sizeof *f->dns)) == NULL)
			abort();
		f->dns->rcode = -1;
		load_str(l, o, "_dns", "name", &f->dns->name);
		load_int32(l, o, "_dns", "qtype", &f->dns->qtype);
		load_int32(l, o, "_dns", "rcode", &f->dns->rcode);
		load_str(l, o, "_dns", "answers", &f->dns->answers);
	}

	req = get(e, "request");
	resp = get(e, "response");
	if (req == NULL)
		warn(l, "request is missing");
	if (type == FLOW_HTTP) {
		if (req != NULL)
			f->request = request_load(l, req, "request");
		if (resp != NULL)
			f->response = response_load(l, resp, "response");
		if ((v = get(e, "_up")) != NULL)
			body_load(l, v, "_up", json_is_object(v) ?
			    load_size(l, v, "_up", "size") : -1, &f->up);
		if ((v = get(e, "_down")) != NULL)
			body_load(l, v, "_down", json_is_object(v) ?
			    load_size(l, v, "_down", "size") : -1, &f->down);
	} else {
		/* Streams keep their bytes in postData and content. */
		if (req != NULL && !json_is_object(req))
			warn(l, "request is not an object");
		else if (req != NULL && (v = get(req, "postData")) != NULL)
			body_load(l, v, "request.postData",
			    load_size(l, req, "request", "bodySize"), &f->up);
		if (resp != NULL && !json_is_object(resp))
			warn(l, "response is not an object");
		else if (resp != NULL && (v = get(resp, "content")) != NULL)
			body_load(l, v, "response.content", json_is_object(v) ?
			    load_size(l, v, "response.content", "size") : -1,
			    &f->down);
		if ((v = get(e, "_request")) != NULL)
			f->request = request_load(l, v, "_request");
		if ((v = get(e, "_response")) != NULL)
			f->response = response_load(l, v, "_response");
	}
	ws_load(l, e, f);
	if ((v = get(e, "_origRequest")) != NULL)
		f->orig_request = request_load(l, v, "_origRequest");
	if ((v = get(e, "_origResponse")) != NULL)
		f->orig_response = response_load(l, v, "_origResponse");

	if ((o = get_obj(l, e, "", "_timings")) != NULL) {
		load_num(l, o, "_timings", "start", &f->t.start);
		load_num(l, o, "_timings", "dnsStart", &f->t.dns_start);
		load_num(l, o, "_timings", "dnsEnd", &f->t.dns_end);
		load_num(l, o, "_timings", "connectEnd", &f->t.connect_end);
		load_num(l, o, "_timings", "tlsEnd", &f->t.tls_end);
		load_num(l, o, "_timings", "requestSent", &f->t.request_sent);
		load_num(l, o, "_timings", "responseStart",
		    &f->t.response_start);
		load_num(l, o, "_timings", "end", &f->t.end);
	} else if (!l->own)
		timings_derive(l, e, f);
	if (f->server == NULL && !l->own)
		server_derive(f, e);
	/* Chrome puts a failed request's net error here. */
	if (f->error == NULL && json_is_object(resp) &&
	    json_is_string(v = get(resp, "_error")) &&
	    *json_string_value(v) != '\0')
		core_flow_set(&f->error, json_string_value(v));
	return f;
}

/* --- reading: the file ----------------------------------------------- */

/* Whether a key token is exactly word. */
static int
key_is(const char *key, const char *word)
{
	return strcmp(key, word) == 0;
}

/*
 * Reads tokens and notes the file's shape: the first log object, its
 * creator's name, its entries array. With stop set, returns 1 right
 * after the '[' of log.entries; else reads to the end of the text.
 * Returns 0 at the end of the text, -1 on a syntax error, 2 when the
 * reader's offset reached limit first (call again to go on: sh keeps
 * where it was).
 */
static int
walk(struct jsonstream *js, struct har_shape *sh, int stop, uint64_t limit)
{
	struct json_tokval v;
	enum json_tok t;
	int lv;

	for (;;) {
		if (core_jsonstream_offset(js) >= limit)
			return 2;
		if ((t = core_jsonstream_next(js, &v)) == JT_ERROR)
			return -1;
		if (t == JT_END)
			return 0;
		lv = v.level;
		if (!sh->started) {
			sh->root_object = t == JT_OBJECT;
			sh->started = 1;
			continue;
		}
		if (!sh->root_object)
			continue;
		if (t == JT_KEY) {
			if (lv >= 1 && lv <= 3)
				snprintf(sh->key[lv], sizeof sh->key[lv], "%s",
				    v.total == v.len && v.len < sizeof
				    sh->key[lv] ? v.s : "");
			continue;
		}
		if (t == JT_OBJECT_END || t == JT_ARRAY_END) {
			if (sh->in == IN_CREATOR && lv == 2)
				sh->in = IN_LOG;
			else if (sh->in == IN_LOG && lv == 1)
				sh->in = IN_NONE;
			continue;
		}
		/* A value, inside lv containers. */
		if (lv == 1 && !sh->log_seen && key_is(sh->key[1], "log")) {
			sh->log_seen = 1;
			sh->log_object = t == JT_OBJECT;
			if (t == JT_OBJECT)
				sh->in = IN_LOG;
		} else if (lv == 2 && sh->in == IN_LOG) {
			if (!sh->entries_seen && key_is(sh->key[2], "entries")) {
				sh->entries_seen = 1;
				sh->entries_array = t == JT_ARRAY;
				if (t == JT_ARRAY && stop)
					return 1;
			} else if (!sh->creator_seen &&
			    key_is(sh->key[2], "creator")) {
				sh->creator_seen = 1;
				if (t == JT_OBJECT)
					sh->in = IN_CREATOR;
			}
		} else if (lv == 3 && sh->in == IN_CREATOR && t == JT_STRING &&
		    key_is(sh->key[3], "name"))
			sh->own = v.total == v.len && strcmp(v.s, "trawl") == 0;
	}
}

/* Reads to the end of the value whose first token was at level. */
static int
skip_to_level(struct jsonstream *js, int level)
{
	struct json_tokval v;
	enum json_tok t;

	for (;;) {
		if ((t = core_jsonstream_next(js, &v)) == JT_ERROR ||
		    t == JT_END)
			return -1;
		if ((t == JT_OBJECT_END || t == JT_ARRAY_END) &&
		    v.level == level)
			return 0;
	}
}

/*
 * Builds the value whose first token t (in *v) was just read, as jansson
 * values. Returns it; or NULL with *err set on a syntax error, or NULL
 * with *err clear when it would cost more than LIMIT_HAR_ENTRY (then it
 * is read past and a problem is noted).
 */
static json_t *
build(struct har_load *l, struct jsonstream *js, enum json_tok t,
    struct json_tokval *v, int *err)
{
	json_t *stack[JSONSTREAM_DEPTH], *root = NULL, *node, *top;
	char *keys[JSONSTREAM_DEPTH];
	uint64_t cost = 0;
	int depth = 0, level = v->level;

	*err = 0;
	for (;;) {
		switch (t) {
		case JT_OBJECT:
			node = json_object();
			break;
		case JT_ARRAY:
			node = json_array();
			break;
		case JT_STRING:
			node = json_stringn_nocheck(v->s, v->len);
			cost += v->len + 1;
			break;
		case JT_INTEGER:
			node = json_integer((json_int_t)v->i);
			break;
		case JT_REAL:
			node = json_real(v->d);
			break;
		case JT_TRUE:
			node = json_true();
			break;
		case JT_FALSE:
			node = json_false();
			break;
		case JT_NULL:
			node = json_null();
			break;
		case JT_KEY:
			free(keys[depth - 1]);
			if ((keys[depth - 1] = strdup(v->s)) == NULL)
				goto oom;
			cost += COST_NODE + v->len + 1;
			goto next;
		case JT_OBJECT_END:
		case JT_ARRAY_END:
			free(keys[--depth]);
			if (depth == 0)
				return root;
			goto next;
		default:
			*err = 1;
			goto fail;
		}
		if (node == NULL)
			goto oom;
		cost += COST_NODE;
		if (t == JT_STRING && v->total > v->len &&
		    cut_add(l, node, v) == -1) {
			json_decref(node);
			goto oom;
		}
		if (depth == 0)
			root = node;
		else if (json_is_array(top = stack[depth - 1]))
			json_array_append_new(top, node);
		else
			json_object_set_new_nocheck(top, keys[depth - 1], node);
		if (t == JT_OBJECT || t == JT_ARRAY) {
			stack[depth] = node;
			keys[depth++] = NULL;
		} else if (depth == 0)
			return root;
		if (cost > LIMIT_HAR_ENTRY) {
			warn(l, "larger than %llu bytes once parsed, skipped",
			    (unsigned long long)LIMIT_HAR_ENTRY);
			if (skip_to_level(js, level) == -1)
				*err = 1;
			goto fail;
		}
next:
		t = core_jsonstream_next(js, v);
	}
oom:
	warn(l, "out of memory, skipped");
	if (skip_to_level(js, level) == -1)
		*err = 1;
fail:
	while (depth > 0)
		free(keys[--depth]);
	json_decref(root);
	return NULL;
}

/*
 * The file, checked to be a regular file (a FIFO or a device would block
 * or never end), past a byte order mark some Windows tools write.
 */
static int
open_har(const char *path, char **cause)
{
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		core_cause(cause, "%s: %s", path, strerror(errno));
		goto bad;
	}
	if (S_ISDIR(st.st_mode)) {
		core_cause(cause, "%s: is a directory", path);
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		core_cause(cause, "%s: not a regular file (a HAR file is read "
		    "twice, from the start)", path);
		goto bad;
	}
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
bad:
	close(fd);
	return -1;
}

/* Puts fd at the start of the JSON text, *start bytes into the file. */
static int
rewind_har(int fd, uint64_t *start)
{
	unsigned char bom[3];
	off_t at = 0;

	if (pread(fd, bom, 3, 0) == 3 && memcmp(bom, "\xef\xbb\xbf", 3) == 0)
		at = 3;
	*start = (uint64_t)at;
	return lseek(fd, at, SEEK_SET) == -1 ? -1 : 0;
}

/* --- reading: the reader, a slice at a time --------------------------- */

enum har_phase {
	HP_CHECK,	/* checked loads: the whole text is JSON and a HAR */
	HP_SEEK,	/* up to the '[' of log.entries */
	HP_ENTRIES,	/* one entry at a time, each handed out */
	HP_TAIL,	/* unchecked loads: the text after the entries */
	HP_DONE
};

struct har_reader {
	char			*path;
	int			 fd;
	int			 check;
	enum har_phase		 phase;
	struct jsonstream	*js;
	struct har_load		 l;
	struct har_shape	 sh;
	uint64_t		 start;		/* of the text in the file */
	uint64_t		 size;		/* of the file when opened */
	size_t			 flows;		/* handed to each() */
	size_t			 i;		/* entry index */
	void			(*each)(struct flow *, void *);
	void			*arg;
	int			 rv;
	char			*cause;
};

/* Ends the load with the verdict of core_har_load. */
static void
reader_done(struct har_reader *r)
{
	struct har_load *l = &r->l;

	r->phase = HP_DONE;
	if (l->problems == 0)
		return;
	r->rv = 1;
	if (l->problems == 1)
		core_cause(&r->cause, "%s: %s", r->path,
		    l->first != NULL ? l->first : "?");
	else
		core_cause(&r->cause, "%s: %s (and %zu more problems)",
		    r->path, l->first != NULL ? l->first : "?",
		    l->problems - 1);
}

/* Ends the load as not a HAR file at all: nothing was handed out. */
static void
reader_refuse(struct har_reader *r, int syntax)
{
	r->phase = HP_DONE;
	r->rv = -1;
	if (syntax)
		core_cause(&r->cause, "%s: %s", r->path,
		    core_jsonstream_error(r->js));
	else if (!r->sh.root_object || !r->sh.log_object)
		core_cause(&r->cause, "%s: not a HAR file (no \"log\" object)",
		    r->path);
	else
		core_cause(&r->cause, "%s: not a HAR file (no \"log.entries\" "
		    "array)", r->path);
}

/* A reader of the text from its start, keeping keep bytes a string. */
static int
reader_restart(struct har_reader *r, size_t keep)
{
	core_jsonstream_free(r->js);
	r->js = NULL;
	memset(&r->sh, 0, sizeof r->sh);
	errno = 0;
	if (rewind_har(r->fd, &r->start) == -1 ||
	    (r->js = core_jsonstream_new(r->fd, keep)) == NULL) {
		r->phase = HP_DONE;
		r->rv = -1;
		core_cause(&r->cause, "%s: %s", r->path,
		    strerror(errno ? errno : ENOMEM));
		return -1;
	}
	return 0;
}

/* The text ended inside the entries: a checked file changed under us. */
static void
reader_broke(struct har_reader *r)
{
	warn(&r->l, "%s%s", core_jsonstream_error(r->js), r->check ?
	    " (the file changed while it was read)" : "");
	reader_done(r);
}

/* Reads one entry (or the end of log.entries) and hands it out. */
static void
reader_entry(struct har_reader *r)
{
	struct json_tokval v;
	enum json_tok t;
	struct flow *f;
	json_t *e;
	int err;

	r->l.index = r->i;
	t = core_jsonstream_next(r->js, &v);
	if (t == JT_ARRAY_END) {
		if (r->check)
			reader_done(r);
		else
			r->phase = HP_TAIL;
		return;
	}
	if (t == JT_ERROR || t == JT_END) {
		reader_broke(r);
		return;
	}
	r->i++;
	if (t != JT_OBJECT) {
		warn(&r->l, "not an object, skipped");
		if (core_jsonstream_skip(r->js, t) == -1)
			reader_broke(r);
		return;
	}
	e = build(&r->l, r->js, t, &v, &err);
	if (e != NULL) {
		f = entry_load(&r->l, e);
		if (f != NULL)
			r->flows++;
		r->each(f, r->arg);
	}
	json_decref(e);
	cuts_clear(&r->l);
	if (err) {
		r->l.index = r->i - 1;
		reader_broke(r);
	}
}

struct har_reader *
core_har_reader_open(const char *path, int check,
    void (*each)(struct flow *, void *), void *arg, char **cause)
{
	struct har_reader *r;
	struct stat st;
	int fd;

	if ((fd = open_har(path, cause)) == -1)
		return NULL;
	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		close(fd);
		core_cause(cause, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	r->fd = fd;
	r->check = check;
	r->each = each;
	r->arg = arg;
	if (fstat(fd, &st) == 0)
		r->size = (uint64_t)st.st_size;
	r->phase = check ? HP_CHECK : HP_SEEK;
	/* The first pass keeps only short strings: the shape's keys. */
	reader_restart(r, check ? 64 : LIMIT_HAR_STRING);
	return r;
}

int
core_har_reader_step(struct har_reader *r, size_t bytes)
{
	uint64_t off, limit;
	int w;

	if (r->phase == HP_DONE)
		return 0;
	off = core_jsonstream_offset(r->js);
	if (bytes == 0)
		bytes = 1;
	limit = bytes > UINT64_MAX - off ? UINT64_MAX : off + bytes;
	switch (r->phase) {
	case HP_CHECK:
		if ((w = walk(r->js, &r->sh, 0, limit)) == 2)
			break;
		if (w == -1 || !r->sh.root_object || !r->sh.log_object ||
		    !r->sh.entries_array) {
			reader_refuse(r, w == -1);
			break;
		}
		r->l.own = r->sh.own;
		if (reader_restart(r, LIMIT_HAR_STRING) == 0)
			r->phase = HP_SEEK;
		break;
	case HP_SEEK:
		if ((w = walk(r->js, &r->sh, 1, limit)) == 2)
			break;
		if (w == 1) {
			/* Unchecked, only a creator before the entries
			 * counts (trawl writes it there). */
			if (!r->check)
				r->l.own = r->sh.own;
			r->phase = HP_ENTRIES;
		} else if (r->check) {
			warn(&r->l, "the file changed while it was read");
			reader_done(r);
		} else
			reader_refuse(r, w == -1);
		break;
	case HP_ENTRIES:
		/* Whole entries: a slice ends at the first one past limit. */
		while (r->phase == HP_ENTRIES &&
		    core_jsonstream_offset(r->js) < limit)
			reader_entry(r);
		break;
	case HP_TAIL:
		if ((w = walk(r->js, &r->sh, 0, limit)) == 2)
			break;
		if (w == -1)
			warn(&r->l, "after the entries: %s",
			    core_jsonstream_error(r->js));
		reader_done(r);
		break;
	case HP_DONE:
		break;
	}
	return r->phase != HP_DONE;
}

void
core_har_reader_progress(const struct har_reader *r, uint64_t *done,
    uint64_t *total, size_t *flows)
{
	uint64_t at = r->js != NULL ? r->start + core_jsonstream_offset(r->js) :
	    0;

	if (at > r->size)
		at = r->size;
	if (r->phase == HP_DONE)
		at = r->size;
	/* A checked load reads the file twice. */
	if (r->check) {
		*total = r->size * 2;
		*done = r->phase == HP_CHECK ? at : r->size + at;
	} else {
		*total = r->size;
		*done = at;
	}
	if (flows != NULL)
		*flows = r->flows;
}

int
core_har_reader_result(struct har_reader *r, char **cause)
{
	if (r->phase != HP_DONE) {
		core_cause(cause, "%s: stopped after %zu flows", r->path,
		    r->flows);
		return 1;
	}
	if (r->cause != NULL && cause != NULL) {
		*cause = r->cause;
		r->cause = NULL;
	}
	return r->rv;
}

void
core_har_reader_free(struct har_reader *r)
{
	if (r == NULL)
		return;
	cuts_clear(&r->l);
	free(r->l.first);
	core_jsonstream_free(r->js);
	close(r->fd);
	free(r->cause);
	free(r->path);
	free(r);
}

int
core_har_load(const char *path, void (*each)(struct flow *, void *),
    void *arg, char **cause)
{
	struct har_reader *r;
	int rv;

	if ((r = core_har_reader_open(path, 1, each, arg, cause)) == NULL)
		return -1;
	while (core_har_reader_step(r, SIZE_MAX))
		;
	rv = core_har_reader_result(r, cause);
	core_har_reader_free(r);
	return rv;
}

