/*
 * flow.c -- struct flow and its parts: creation, copies, headers, bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "core/flows/flow.h"
#include "core/http/decode.h"
#include "core/loop/limits.h"

static int	packed(const struct flow_headers *);
static void	unpack(struct flow_headers *);
static void	packed_clear(struct flow_headers *);
static void	tls_strings_share(struct flow_tls *);

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();	/* out of memory is not survivable here */
	return p;
}

static char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : core_flow_strndup(s, strlen(s));
}

char *
core_flow_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* --- shared strings -------------------------------------------------------
 *
 * A finished flow's low-variety strings (method, scheme, host, versions,
 * addresses, the mode, every TLS detail) point into one refcounted copy
 * per distinct value: every flow of a connection shows the same cipher and
 * certificate, and 10,000 GETs say "GET" 10,000 times. A pointer is shared
 * when the table holds an entry whose text is at that address; anything
 * else is the flow's own malloc'ed string, so writers that set a field
 * with core_flow_set keep working on either.
 */
struct istr {
	uint32_t	refs;
	uint32_t	hash;
	char		s[];
};

static struct {
	struct istr	**v;		/* open addressing, NULL empty */
	size_t		  cap, n;	/* cap a power of two */
	size_t		  bytes;	/* heap held by entries and slots */
} shared;

static uint32_t
str_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The slot of s's entry, or the empty slot where it would go. */
static size_t
shared_slot(const char *s, uint32_t h, int by_ptr)
{
	size_t i = h & (shared.cap - 1);
	struct istr *e;

	while ((e = shared.v[i]) != NULL) {
		if (e->hash == h && (by_ptr ? e->s == s : strcmp(e->s, s) == 0))
			return i;
		i = (i + 1) & (shared.cap - 1);
	}
	return i;
}

static void
shared_grow(void)
{
	struct istr **old = shared.v;
	size_t ocap = shared.cap, i, j;

	shared.cap = ocap ? ocap * 2 : 256;
	shared.v = xcalloc(shared.cap, sizeof *shared.v);
	for (i = 0; i < ocap; i++) {
		if (old[i] == NULL)
			continue;
		j = old[i]->hash & (shared.cap - 1);
		while (shared.v[j] != NULL)
			j = (j + 1) & (shared.cap - 1);
		shared.v[j] = old[i];
	}
	free(old);
	shared.bytes += (shared.cap - ocap) * sizeof *shared.v;
}

/* The entry holding p itself, or NULL when p is an owned string. */
static struct istr *
shared_find(const char *p)
{
	struct istr *e;

	if (p == NULL || shared.n == 0)
		return NULL;
	e = shared.v[shared_slot(p, str_hash(p), 1)];
	return e;
}

/* Malloc's cost of a block: its header and rounding (glibc, 64-bit). */
static size_t
chunk(size_t n)
{
	n = (n + 8 + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

/* A reference to the shared copy of s, made if need be. */
static char *
shared_ref(const char *s)
{
	struct istr *e;
	uint32_t h;
	size_t i, len;

	if ((shared.n + 1) * 4 > shared.cap * 3)
		shared_grow();
	h = str_hash(s);
	i = shared_slot(s, h, 0);
	if ((e = shared.v[i]) == NULL) {
		len = strlen(s);
		e = malloc(sizeof *e + len + 1);
		if (e == NULL)
			abort();
		e->refs = 0;
		e->hash = h;
		memcpy(e->s, s, len + 1);
		shared.v[i] = e;
		shared.n++;
		shared.bytes += chunk(sizeof *e + len + 1);
	}
	e->refs++;
	return e->s;
}

/* Replaces the owned string *p by a shared copy of it. */
static void
share(char **p)
{
	char *q;

	if (*p == NULL || shared_find(*p) != NULL)
		return;
	q = shared_ref(*p);
	free(*p);
	*p = q;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void
shared_delete(size_t i)
{
	size_t j = i, k;

	shared.bytes -= chunk(sizeof *shared.v[i] + strlen(shared.v[i]->s) + 1);
	free(shared.v[i]);
	shared.v[i] = NULL;
	if (--shared.n == 0) {
		/* The last one: the slots go too (an empty store holds 0). */
		free(shared.v);
		memset(&shared, 0, sizeof shared);
		return;
	}
	for (;;) {
		j = (j + 1) & (shared.cap - 1);
		if (shared.v[j] == NULL)
			return;
		k = shared.v[j]->hash & (shared.cap - 1);
		/* Stays unless its home lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			shared.v[i] = shared.v[j];
			shared.v[j] = NULL;
			i = j;
		}
	}
}

/* Frees a string the flow holds, owned or shared. */
static void
str_free(char *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (shared.n > 0) {
		i = shared_slot(p, str_hash(p), 1);
		if (shared.v[i] != NULL) {
			if (--shared.v[i]->refs == 0)
				shared_delete(i);
			return;
		}
	}
	free(p);
}

/* An owned string's cost; a shared one is counted once, in the table. */
static size_t
str_size(const char *s)
{
	if (s == NULL || shared_find(s) != NULL)
		return 0;
	return chunk(strlen(s) + 1);
}

double
core_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

const char *
core_flow_type_name(enum flow_type type)
{
	switch (type) {
	case FLOW_HTTP:
		return "http";
	case FLOW_TCP:
		return "tcp";
	case FLOW_UDP:
		return "udp";
	case FLOW_DNS:
		return "dns";
	}
	return "?";
}

struct flow *
core_flow_new(enum flow_type type)
{
	struct flow *f = xcalloc(1, sizeof *f);

	f->type = type;
	f->state = FLOW_ACTIVE;
	f->t.start = core_now();
	f->ws.close_code = -1;
	return f;
}

static void
tls_free(struct flow_tls *t)
{
	str_free(t->version);
	str_free(t->cipher);
	str_free(t->sni);
	str_free(t->alpn);
	str_free(t->cert_subject);
	str_free(t->cert_issuer);
	str_free(t->cert_sans);
	str_free(t->cert_sha256);
	str_free(t->passthrough_reason);
	memset(t, 0, sizeof *t);
}

/* --- TLS records -----------------------------------------------------------
 *
 * A flow's TLS details live out of line: an HTTP flow has none, and every
 * flow of a connection has the same ones. A record a flow owns has refs 0;
 * a finished flow's record is shared (refs flows hold it) in a chained
 * table keyed by its contents, which after sharing the strings are plain
 * pointers and numbers: equal text is the same pointer.
 */
struct tls_rec {
	struct tls_rec	*next;		/* chain in its table bucket */
	uint32_t	 refs;		/* 0: owned by one flow, not in the table */
	uint32_t	 hash;
	struct flow_tls	 t;
};

static struct {
	struct tls_rec	**v;		/* buckets */
	size_t		  cap, n;	/* cap a power of two */
	size_t		  bytes;	/* heap of the shared records and buckets */
} tlsrecs;

static const struct flow_tls tls_none;

static struct tls_rec *
rec_of(struct flow_tls *t)
{
	return (struct tls_rec *)(void *)((char *)t -
	    offsetof(struct tls_rec, t));
}

static uint32_t
rec_refs(const struct flow_tls *t)
{
	return ((const struct tls_rec *)(const void *)((const char *)t -
	    offsetof(struct tls_rec, t)))->refs;
}

static uint32_t
tls_hash(const struct flow_tls *t)
{
	const void *p[] = { t->version, t->cipher, t->sni, t->alpn,
	    t->cert_subject, t->cert_issuer, t->cert_sans, t->cert_sha256,
	    t->passthrough_reason };
	uint64_t h = 1469598103934665603ull, x;
	size_t i;

	for (i = 0; i < sizeof p / sizeof p[0]; i++)
		h = (h ^ (uintptr_t)p[i]) * 1099511628211ull;
	memcpy(&x, &t->cert_not_before, sizeof x);
	h = (h ^ x) * 1099511628211ull;
	memcpy(&x, &t->cert_not_after, sizeof x);
	h = (h ^ x) * 1099511628211ull;
	h = (h ^ (uint64_t)(t->present * 2 + t->passthrough)) *
	    1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static int
tls_equal(const struct flow_tls *a, const struct flow_tls *b)
{
	return a->present == b->present && a->passthrough == b->passthrough &&
	    a->version == b->version && a->cipher == b->cipher &&
	    a->sni == b->sni && a->alpn == b->alpn &&
	    a->cert_subject == b->cert_subject &&
	    a->cert_issuer == b->cert_issuer &&
	    a->cert_sans == b->cert_sans &&
	    a->cert_not_before == b->cert_not_before &&
	    a->cert_not_after == b->cert_not_after &&
	    a->cert_sha256 == b->cert_sha256 &&
	    a->passthrough_reason == b->passthrough_reason;
}

static void
tlsrecs_grow(void)
{
	struct tls_rec **old = tlsrecs.v, *r, *next;
	size_t ocap = tlsrecs.cap, i, j;

	tlsrecs.cap = ocap ? ocap * 2 : 64;
	tlsrecs.v = xcalloc(tlsrecs.cap, sizeof *tlsrecs.v);
	for (i = 0; i < ocap; i++)
		for (r = old[i]; r != NULL; r = next) {
			next = r->next;
			j = r->hash & (tlsrecs.cap - 1);
			r->next = tlsrecs.v[j];
			tlsrecs.v[j] = r;
		}
	free(old);
	tlsrecs.bytes += (tlsrecs.cap - ocap) * sizeof *tlsrecs.v;
}

/* Drops a flow's hold on its record. */
static void
tls_release(struct flow_tls **tp)
{
	struct tls_rec *r, **pp;

	if (*tp == NULL)
		return;
	r = rec_of(*tp);
	*tp = NULL;
	if (r->refs > 1) {
		r->refs--;
		return;
	}
	if (r->refs == 1) {
		pp = &tlsrecs.v[r->hash & (tlsrecs.cap - 1)];
		while (*pp != r)
			pp = &(*pp)->next;
		*pp = r->next;
		tlsrecs.bytes -= chunk(sizeof *r);
		if (--tlsrecs.n == 0) {
			free(tlsrecs.v);
			memset(&tlsrecs, 0, sizeof tlsrecs);
		}
	}
	tls_free(&r->t);
	free(r);
}

static void
tls_copy(struct flow_tls *dst, const struct flow_tls *src)
{
	*dst = *src;
	dst->version = xstrdup(src->version);
	dst->cipher = xstrdup(src->cipher);
	dst->sni = xstrdup(src->sni);
	dst->alpn = xstrdup(src->alpn);
	dst->cert_subject = xstrdup(src->cert_subject);
	dst->cert_issuer = xstrdup(src->cert_issuer);
	dst->cert_sans = xstrdup(src->cert_sans);
	dst->cert_sha256 = xstrdup(src->cert_sha256);
	dst->passthrough_reason = xstrdup(src->passthrough_reason);
}

/* An owned copy of src (or an empty record). */
static struct flow_tls *
tls_new(const struct flow_tls *src)
{
	struct tls_rec *r = xcalloc(1, sizeof *r);

	if (src != NULL)
		tls_copy(&r->t, src);
	return &r->t;
}

static struct flow_tls *
tls_writable(struct flow_tls **tp)
{
	struct flow_tls *t;

	if (*tp == NULL)
		*tp = tls_new(NULL);
	else if (rec_refs(*tp) > 0) {
		t = tls_new(*tp);
		tls_release(tp);
		*tp = t;
	}
	return *tp;
}

size_t
core_flow_shared_bytes(void)
{
	return shared.bytes + tlsrecs.bytes;
}

const struct flow_tls *
core_flow_client_tls(const struct flow *f)
{
	return f->tls_client != NULL ? f->tls_client : &tls_none;
}

const struct flow_tls *
core_flow_server_tls(const struct flow *f)
{
	return f->tls_server != NULL ? f->tls_server : &tls_none;
}

struct flow_tls *
core_flow_client_tls_w(struct flow *f)
{
	return tls_writable(&f->tls_client);
}

struct flow_tls *
core_flow_server_tls_w(struct flow *f)
{
	return tls_writable(&f->tls_server);
}

static void
body_copy(struct flow_body *dst, const struct flow_body *src)
{
	*dst = *src;
	dst->data = NULL;
	if (src->data != NULL) {
		dst->data = malloc(src->len ? src->len : 1);
		if (dst->data == NULL)
			abort();
		memcpy(dst->data, src->data, src->len);
	}
}

static void
dns_free(struct flow_dns *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->answers);
	free(d);
}

void
core_flow_free(struct flow *f)
{
	if (f == NULL)
		return;
	str_free(f->client);
	str_free(f->server);
	str_free(f->comm);
	core_flow_request_free(f->request);
	core_flow_response_free(f->response);
	core_flow_request_free(f->orig_request);
	core_flow_response_free(f->orig_response);
	tls_release(&f->tls_client);
	tls_release(&f->tls_server);
	core_flow_body_clear(&f->up);
	core_flow_body_clear(&f->down);
	dns_free(f->dns);
	core_flow_msgs_clear(&f->msgs);
	free(f->ws.close_reason);
	free(f->ws.extensions);
	free(f->ws.error);
	free(f->error);
	free(f->marker);
	free(f->comment);
	str_free(f->mode);
	free(f);
}

static void
msgs_copy(struct flow *f, const struct flow *src)
{
	size_t i;

	memset(&f->msgs, 0, sizeof f->msgs);
	for (i = 0; i < src->msgs.n; i++) {
		const struct flow_msg *m = core_flow_msg_at(src, i);
		struct flow_msg *d = core_flow_msg_add(f, m->from_client,
		    m->opcode, m->data, m->len, m->size, m->flags);

		d->t = m->t;
		d->seq = m->seq;
	}
	f->msgs.total = src->msgs.total;
}

struct flow *
core_flow_dup(const struct flow *src)
{
	struct flow *f = xcalloc(1, sizeof *f);

	*f = *src;
	f->id = 0;
	f->front = NULL;
	f->mem = 0;
	f->client = xstrdup(src->client);
	f->server = xstrdup(src->server);
	f->comm = xstrdup(src->comm);
	f->request = core_flow_request_dup(src->request);
	f->response = core_flow_response_dup(src->response);
	f->orig_request = core_flow_request_dup(src->orig_request);
	f->orig_response = core_flow_response_dup(src->orig_response);
	if (src->tls_client != NULL)
		f->tls_client = tls_new(src->tls_client);
	if (src->tls_server != NULL)
		f->tls_server = tls_new(src->tls_server);
	body_copy(&f->up, &src->up);
	body_copy(&f->down, &src->down);
	if (src->dns != NULL) {
		f->dns = xcalloc(1, sizeof *f->dns);
		*f->dns = *src->dns;
		f->dns->name = xstrdup(src->dns->name);
		f->dns->answers = xstrdup(src->dns->answers);
	}
	msgs_copy(f, src);
	f->ws.close_reason = xstrdup(src->ws.close_reason);
	f->ws.extensions = xstrdup(src->ws.extensions);
	f->ws.error = xstrdup(src->ws.error);
	f->error = xstrdup(src->error);
	f->marker = xstrdup(src->marker);
	f->comment = xstrdup(src->comment);
	f->mode = xstrdup(src->mode);
	return f;
}

struct flow_request *
core_flow_request_new(void)
{
	return xcalloc(1, sizeof(struct flow_request));
}

void
core_flow_request_free(struct flow_request *r)
{
	if (r == NULL)
		return;
	str_free(r->method);
	str_free(r->scheme);
	str_free(r->host);
	str_free(r->path);
	str_free(r->version);
	core_flow_headers_clear(&r->headers);
	core_flow_headers_clear(&r->trailers);
	core_flow_body_clear(&r->body);
	free(r);
}

struct flow_request *
core_flow_request_dup(const struct flow_request *src)
{
	struct flow_request *r;

	if (src == NULL)
		return NULL;
	r = core_flow_request_new();
	*r = *src;
	r->method = xstrdup(src->method);
	r->scheme = xstrdup(src->scheme);
	r->host = xstrdup(src->host);
	r->path = xstrdup(src->path);
	r->version = xstrdup(src->version);
	memset(&r->headers, 0, sizeof r->headers);
	core_flow_headers_copy(&r->headers, &src->headers);
	memset(&r->trailers, 0, sizeof r->trailers);
	core_flow_headers_copy(&r->trailers, &src->trailers);
	body_copy(&r->body, &src->body);
	return r;
}

struct flow_response *
core_flow_response_new(void)
{
	return xcalloc(1, sizeof(struct flow_response));
}

void
core_flow_response_free(struct flow_response *r)
{
	if (r == NULL)
		return;
	str_free(r->reason);
	str_free(r->version);
	core_flow_headers_clear(&r->headers);
	core_flow_headers_clear(&r->trailers);
	core_flow_body_clear(&r->body);
	free(r);
}

struct flow_response *
core_flow_response_dup(const struct flow_response *src)
{
	struct flow_response *r;

	if (src == NULL)
		return NULL;
	r = core_flow_response_new();
	*r = *src;
	r->reason = xstrdup(src->reason);
	r->version = xstrdup(src->version);
	memset(&r->headers, 0, sizeof r->headers);
	core_flow_headers_copy(&r->headers, &src->headers);
	memset(&r->trailers, 0, sizeof r->trailers);
	core_flow_headers_copy(&r->trailers, &src->trailers);
	body_copy(&r->body, &src->body);
	return r;
}

void
core_flow_set(char **dst, const char *src)
{
	char *old = *dst;

	*dst = xstrdup(src);
	str_free(old);
}

void
core_flow_setn(char **dst, const char *src, size_t len)
{
	char *old = *dst;

	*dst = core_flow_strndup(src, len);
	str_free(old);
}

void
core_flow_take(char **dst, char *src)
{
	char *old = *dst;

	*dst = src;
	if (old != src)
		str_free(old);
}

void
core_flow_error(struct flow *f, const char *fmt, ...)
{
	va_list ap;

	if (f->error != NULL)
		return;	/* the first error is the cause; later ones follow */
	va_start(ap, fmt);
	if (vasprintf(&f->error, fmt, ap) == -1)
		abort();
	va_end(ap);
}

/* Around a realloc of the arena the fields hold offsets, not pointers
 * into memory that may be gone. */
static void
to_offsets(struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		h->v[i].name = (char *)(uintptr_t)(h->v[i].name - h->arena);
		h->v[i].value = (char *)(uintptr_t)(h->v[i].value - h->arena);
	}
}

static void
to_pointers(struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		h->v[i].name = h->arena + (uintptr_t)h->v[i].name;
		h->v[i].value = h->arena + (uintptr_t)h->v[i].value;
	}
}

/*
 * An arena's fill and size live at its start, not in the list: every
 * flow has four lists (headers and trailers each way) and most of them
 * are empty or packed, so 8 bytes there beat 8 in each list.
 */
struct arena_head {
	uint32_t	len;		/* bytes used, this head included */
	uint32_t	cap;		/* bytes allocated */
};

static struct arena_head *
arena_head(const struct flow_headers *h)
{
	return (struct arena_head *)(void *)h->arena;
}

static size_t
arena_len(const struct flow_headers *h)
{
	return h->arena != NULL ? arena_head(h)->len : sizeof(struct arena_head);
}

/* Makes room for more bytes in the arena. */
static void
arena_reserve(struct flow_headers *h, size_t more)
{
	size_t cap = h->arena != NULL ? arena_head(h)->cap : 64;
	size_t len = arena_len(h);
	char *p;

	if (h->arena != NULL && len + more <= cap)
		return;
	while (cap < len + more)
		cap *= 2;
	to_offsets(h);
	p = realloc(h->arena, cap);
	if (p == NULL)
		abort();
	h->arena = p;
	arena_head(h)->len = (uint32_t)len;
	arena_head(h)->cap = (uint32_t)cap;
	to_pointers(h);
}

void
core_flow_header_add(struct flow_headers *h, const char *name,
    size_t name_len, const char *value, size_t value_len)
{
	char *p;

	/* Past 2 GiB a list would outgrow its 32-bit counts; the input
	 * caps (LIMIT_HTTP_HEAD, LIMIT_HAR_ENTRY) stop far earlier. */
	if (name_len + value_len + 2 > UINT32_MAX / 2 - arena_len(h) ||
	    h->n >= UINT32_MAX / 4)
		return;
	if (packed(h))
		unpack(h);
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->v = realloc(h->v, h->cap * sizeof *h->v);
		if (h->v == NULL)
			abort();
	}
	arena_reserve(h, name_len + value_len + 2);
	p = h->arena + arena_head(h)->len;
	memcpy(p, name, name_len);
	p[name_len] = '\0';
	memcpy(p + name_len + 1, value, value_len);
	p[name_len + 1 + value_len] = '\0';
	h->v[h->n].name = p;
	h->v[h->n].value = p + name_len + 1;
	arena_head(h)->len += (uint32_t)(name_len + value_len + 2);
	h->n++;
}

void
core_flow_header_remove(struct flow_headers *h, const char *name)
{
	size_t i, j;

	/* The arena keeps the bytes; they go with the list. Shared ones
	 * (a packed list) are let go now. */
	for (i = j = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) != 0)
			h->v[j++] = h->v[i];
		else if (packed(h)) {
			str_free(h->v[i].name);
			str_free(h->v[i].value);
		}
	}
	h->n = j;
}

void
core_flow_headers_frame(struct flow_headers *h, uint64_t len, int want_length)
{
	struct flow_headers out = { 0 };
	char n[32];
	int have = 0;
	size_t i;

	/* Rebuilt in order: the length stays where the sender put it. */
	snprintf(n, sizeof n, "%llu", (unsigned long long)len);
	for (i = 0; i < h->n; i++) {
		const struct flow_header *f = &h->v[i];

		if (strcasecmp(f->name, "transfer-encoding") == 0)
			continue;
		if (strcasecmp(f->name, "content-length") == 0) {
			if (want_length && !have++)
				core_flow_header_add(&out, f->name,
				    strlen(f->name), n, strlen(n));
			continue;
		}
		core_flow_header_add(&out, f->name, strlen(f->name), f->value,
		    strlen(f->value));
	}
	if (want_length && !have)
		core_flow_header_add(&out, "Content-Length", 14, n, strlen(n));
	core_flow_headers_clear(h);
	*h = out;
}

const char *
core_flow_header_get(const struct flow_headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

void
core_flow_headers_clear(struct flow_headers *h)
{
	if (packed(h)) {
		packed_clear(h);
		return;
	}
	free(h->v);
	free(h->arena);
	memset(h, 0, sizeof *h);
}

void
core_flow_headers_copy(struct flow_headers *dst, const struct flow_headers *src)
{
	size_t i;

	core_flow_headers_clear(dst);
	for (i = 0; i < src->n; i++)
		core_flow_header_add(dst, src->v[i].name,
		    strlen(src->v[i].name), src->v[i].value,
		    strlen(src->v[i].value));
}

void
core_flow_body_append(struct flow_body *b, const void *data, size_t len)
{
	size_t room, take, cap;

	b->total += len;
	room = b->len < LIMIT_FLOW_BODY ? LIMIT_FLOW_BODY - b->len : 0;
	take = len < room ? len : room;
	if (take < len)
		b->truncated = 1;
	if (take == 0)
		return;
	/* Grow geometrically but never past the cap. */
	cap = b->len + take;
	if (b->data == NULL || cap > b->cap_alloc) {
		/* The first piece is often the whole body: fit it exactly. */
		size_t want = b->cap_alloc ? b->cap_alloc * 2 : cap;

		while (want < cap)
			want *= 2;
		if (want > LIMIT_FLOW_BODY)
			want = LIMIT_FLOW_BODY;
		b->data = realloc(b->data, want);
		if (b->data == NULL)
			abort();
		b->cap_alloc = want;
	}
	memcpy(b->data + b->len, data, take);
	b->len += take;
}

void
core_flow_body_set(struct flow_body *b, const void *data, size_t len)
{
	core_flow_body_clear(b);
	core_flow_body_append(b, data, len);
	if (b->data == NULL)
		b->data = xcalloc(1, 1);	/* an empty body, not no body */
}

void
core_flow_body_clear(struct flow_body *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* Appends src to a malloc'ed string buffer. */
static void
cat(char **buf, size_t *len, const char *src)
{
	size_t n = strlen(src);

	*buf = realloc(*buf, *len + n + 1);
	if (*buf == NULL)
		abort();
	memcpy(*buf + *len, src, n + 1);
	*len += n;
}

char *
core_flow_url(const struct flow *f)
{
	const struct flow_request *r = f->request;
	char *url = NULL, port[16];
	size_t len = 0;
	int dflt;

	if (f->type == FLOW_DNS && f->dns != NULL && f->dns->name != NULL)
		return xstrdup(f->dns->name);
	if (r == NULL)
		return xstrdup(f->server != NULL ? f->server : "");
	if (r->host == NULL || r->host[0] == '\0')
		/* Never parsed (a bad request): show the target as sent. */
		return xstrdup(r->path != NULL ? r->path : "");
	cat(&url, &len, r->scheme != NULL ? r->scheme : "http");
	cat(&url, &len, "://");
	if (r->host != NULL && strchr(r->host, ':') != NULL) {
		cat(&url, &len, "[");
		cat(&url, &len, r->host);
		cat(&url, &len, "]");
	} else
		cat(&url, &len, r->host != NULL ? r->host : "");
	dflt = (r->scheme != NULL && strcmp(r->scheme, "https") == 0) ?
	    443 : 80;
	if (r->port != 0 && r->port != dflt) {
		snprintf(port, sizeof port, ":%d", r->port);
		cat(&url, &len, port);
	}
	if (r->method != NULL && strcmp(r->method, "CONNECT") == 0)
		return url;
	cat(&url, &len, r->path != NULL ? r->path : "/");
	return url;
}

/*
 * What the store counts is what malloc hands out: each block with its
 * header and rounding (chunk), since 10,000 small strings cost their
 * overhead 10,000 times. Shared strings are counted once, by the table.
 */
static size_t
block_size(const void *p, size_t n)
{
	return p == NULL ? 0 : chunk(n);
}

static size_t
headers_size(const struct flow_headers *h)
{
	if (packed(h))
		return chunk(h->cap * sizeof *h->v);
	return block_size(h->v, h->cap * sizeof *h->v) +
	    block_size(h->arena, h->arena != NULL ? arena_head(h)->cap : 0);
}

static size_t
body_size(const struct flow_body *b)
{
	return block_size(b->data, b->cap_alloc);
}

static size_t
request_size(const struct flow_request *r)
{
	if (r == NULL)
		return 0;
	return chunk(sizeof *r) + str_size(r->method) + str_size(r->scheme) +
	    str_size(r->host) + str_size(r->path) + str_size(r->version) +
	    headers_size(&r->headers) + headers_size(&r->trailers) +
	    body_size(&r->body);
}

static size_t
response_size(const struct flow_response *r)
{
	if (r == NULL)
		return 0;
	return chunk(sizeof *r) + str_size(r->reason) +
	    str_size(r->version) + headers_size(&r->headers) +
	    headers_size(&r->trailers) + body_size(&r->body);
}

/* An owned record and its owned strings; a shared one is the table's. */
static size_t
tls_size(const struct flow_tls *t)
{
	if (t == NULL || rec_refs(t) > 0)
		return 0;
	return chunk(sizeof(struct tls_rec)) + str_size(t->version) + str_size(t->cipher) +
	    str_size(t->sni) + str_size(t->alpn) +
	    str_size(t->cert_subject) + str_size(t->cert_issuer) +
	    str_size(t->cert_sans) + str_size(t->cert_sha256) +
	    str_size(t->passthrough_reason);
}

size_t
core_flow_size(const struct flow *f)
{
	size_t n = chunk(sizeof *f);

	n += str_size(f->client) + str_size(f->server) + str_size(f->comm);
	n += request_size(f->request) + response_size(f->response);
	n += request_size(f->orig_request) + response_size(f->orig_response);
	n += body_size(&f->up) + body_size(&f->down);
	n += str_size(f->error) + str_size(f->marker) + str_size(f->comment);
	n += str_size(f->mode);
	if (f->dns != NULL)
		n += chunk(sizeof *f->dns) + str_size(f->dns->name) +
		    str_size(f->dns->answers);
	n += block_size(f->msgs.v, f->msgs.cap * sizeof *f->msgs.v);
	/* Each payload is its own block (len + 1): about 24 bytes more,
	 * without walking 10,000 messages on every add. */
	n += f->msgs.bytes + f->msgs.n * 24;
	n += str_size(f->ws.close_reason) + str_size(f->ws.extensions) +
	    str_size(f->ws.error);
	n += tls_size(f->tls_client) + tls_size(f->tls_server);
	return n;
}

static void
body_compact(struct flow_body *b)
{
	char *p;

	if (b->data == NULL || b->cap_alloc == b->len || b->len == 0)
		return;
	p = realloc(b->data, b->len);
	if (p == NULL)
		return;	/* keeping the bigger block is fine */
	b->data = p;
	b->cap_alloc = b->len;
}

/*
 * A finished list is packed: one block for the array, and every name and
 * value shared (Content-Type, Server, a site's cookies and user agent
 * repeat across flows). Unpacked lists always have an arena, so a list
 * with an array and no arena is packed.
 */
static int
packed(const struct flow_headers *h)
{
	return h->v != NULL && h->arena == NULL;
}

static void
packed_clear(struct flow_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		str_free(h->v[i].name);
		str_free(h->v[i].value);
	}
	free(h->v);
	memset(h, 0, sizeof *h);
}

/* Back to an arena before the list grows. */
static void
unpack(struct flow_headers *h)
{
	struct flow_headers out = { 0 };
	size_t i;

	for (i = 0; i < h->n; i++)
		core_flow_header_add(&out, h->v[i].name, strlen(h->v[i].name),
		    h->v[i].value, strlen(h->v[i].value));
	packed_clear(h);
	*h = out;
}

static void
headers_pack(struct flow_headers *h)
{
	struct flow_header *v;
	size_t i;

	if (h->n == 0 || packed(h))
		return;
	if ((v = malloc(h->n * sizeof *v)) == NULL)
		return;	/* keeping the arena is fine */
	for (i = 0; i < h->n; i++) {
		v[i].name = shared_ref(h->v[i].name);
		v[i].value = shared_ref(h->v[i].value);
	}
	free(h->v);
	free(h->arena);
	h->v = v;
	h->cap = h->n;
	h->arena = NULL;
}

static void
request_share(struct flow_request *r)
{
	if (r == NULL)
		return;
	share(&r->method);
	share(&r->scheme);
	share(&r->host);
	share(&r->version);
	body_compact(&r->body);
	headers_pack(&r->headers);
	headers_pack(&r->trailers);
}

static void
response_share(struct flow_response *r)
{
	if (r == NULL)
		return;
	share(&r->reason);
	share(&r->version);
	body_compact(&r->body);
	headers_pack(&r->headers);
	headers_pack(&r->trailers);
}

/* Shares the record's strings, then the record itself: the one equal
 * record in the table, or this one put there. */
static void
tls_share(struct flow_tls **tp)
{
	struct flow_tls *t = *tp;
	struct tls_rec *r, *e;
	size_t i;

	if (t == NULL || (r = rec_of(t))->refs > 0)
		return;
	tls_strings_share(t);
	r->hash = tls_hash(t);
	if (tlsrecs.cap > 0)
		for (e = tlsrecs.v[r->hash & (tlsrecs.cap - 1)]; e != NULL;
		    e = e->next)
			if (e->hash == r->hash && tls_equal(&e->t, t)) {
				e->refs++;
				tls_release(tp);
				*tp = &e->t;
				return;
			}
	if ((tlsrecs.n + 1) > tlsrecs.cap)
		tlsrecs_grow();
	i = r->hash & (tlsrecs.cap - 1);
	r->next = tlsrecs.v[i];
	tlsrecs.v[i] = r;
	r->refs = 1;
	tlsrecs.n++;
	tlsrecs.bytes += chunk(sizeof *r);
}

static void
tls_strings_share(struct flow_tls *t)
{
	share(&t->version);
	share(&t->cipher);
	share(&t->sni);
	share(&t->alpn);
	share(&t->cert_subject);
	share(&t->cert_issuer);
	share(&t->cert_sans);
	share(&t->cert_sha256);
	share(&t->passthrough_reason);
}

void
core_flow_compact(struct flow *f)
{
	share(&f->client);
	share(&f->server);
	share(&f->comm);
	share(&f->mode);
	request_share(f->request);
	response_share(f->response);
	tls_share(&f->tls_client);
	tls_share(&f->tls_server);
	body_compact(&f->up);
	body_compact(&f->down);
}

/* After an edit the body is whatever the user wrote: frame it with
 * Content-Length, and drop a Content-Encoding it no longer has. */
void
core_flow_headers_reframe(struct flow_headers *h, const struct flow_body *body,
    int want_length)
{
	const char *ce = core_flow_header_get(h, "content-encoding");
	char *out = NULL, *err = NULL;
	size_t outlen;
	int drop_ce = 0;

	if (ce != NULL && core_decode_needed(ce)) {
		if (body->len == 0 || core_decode_body(ce, body->data, body->len,
		    &out, &outlen, &err) == -1)
			drop_ce = 1;
		free(out);
		free(err);
	}
	if (drop_ce)
		core_flow_header_remove(h, "content-encoding");
	core_flow_headers_frame(h, body->len, want_length);
}

/* --- WebSocket messages --------------------------------------------------- */

struct flow_msg *
core_flow_msg_at(const struct flow *f, size_t i)
{
	const struct flow_msgs *m = &f->msgs;

	if (i >= m->n)
		return NULL;
	return &m->v[(m->head + i) % m->cap];
}

struct flow_msg *
core_flow_msg_find(const struct flow *f, uint64_t seq)
{
	uint64_t first = f->msgs.total - f->msgs.n;
	struct flow_msg *m;
	size_t i;

	if (seq < first || seq >= f->msgs.total)
		return NULL;
	m = core_flow_msg_at(f, (size_t)(seq - first));
	/* Dups and HAR loads keep their seq; look if they differ. */
	if (m != NULL && m->seq == seq)
		return m;
	for (i = 0; i < f->msgs.n; i++)
		if ((m = core_flow_msg_at(f, i))->seq == seq)
			return m;
	return NULL;
}

static void
drop_oldest(struct flow_msgs *m)
{
	struct flow_msg *o = &m->v[m->head];

	m->bytes -= o->len;
	free(o->data);
	memset(o, 0, sizeof *o);
	m->head = (m->head + 1) % m->cap;
	m->n--;
}

/* Room for one more: the ring doubles up to LIMIT_WS_MESSAGES, then the
 * oldest goes. */
static void
msgs_room(struct flow_msgs *m)
{
	struct flow_msg *nv;
	size_t ncap, i;

	if (m->n < m->cap)
		return;
	if (m->cap >= LIMIT_WS_MESSAGES) {
		drop_oldest(m);
		return;
	}
	ncap = m->cap == 0 ? 16 : m->cap * 2;
	if (ncap > LIMIT_WS_MESSAGES)
		ncap = LIMIT_WS_MESSAGES;
	nv = xcalloc(ncap, sizeof *nv);
	for (i = 0; i < m->n; i++)
		nv[i] = m->v[(m->head + i) % m->cap];
	free(m->v);
	m->v = nv;
	m->cap = ncap;
	m->head = 0;
}

struct flow_msg *
core_flow_msg_add(struct flow *f, int from_client, int opcode,
    const void *data, size_t len, uint64_t size, int flags)
{
	struct flow_msgs *m = &f->msgs;
	struct flow_msg *e;

	if (len > LIMIT_WS_MESSAGE)
		len = LIMIT_WS_MESSAGE;
	while (m->n > 0 && m->bytes + len > LIMIT_WS_FLOW_BYTES)
		drop_oldest(m);
	msgs_room(m);
	e = &m->v[(m->head + m->n) % m->cap];
	m->n++;
	e->t = core_now();
	e->seq = m->total++;
	e->from_client = from_client != 0;
	e->opcode = (uint8_t)opcode;
	e->size = size < len ? len : size;
	e->len = len;
	e->data = xcalloc(1, len + 1);	/* NUL-terminated for text */
	if (len > 0)
		memcpy(e->data, data, len);
	e->flags = (uint16_t)(flags | (e->size > len ? FLOW_MSG_TRUNCATED :
	    0));
	m->bytes += len;
	return e;
}

void
core_flow_msg_set(struct flow *f, struct flow_msg *e, const void *data,
    size_t len)
{
	if (len > LIMIT_WS_MESSAGE)
		len = LIMIT_WS_MESSAGE;
	f->msgs.bytes -= e->len;
	free(e->data);
	e->data = xcalloc(1, len + 1);
	if (len > 0)
		memcpy(e->data, data, len);
	e->len = len;
	e->size = len;
	e->flags &= (uint16_t)~(FLOW_MSG_TRUNCATED | FLOW_MSG_BAD |
	    FLOW_MSG_COMPRESSED);
	f->msgs.bytes += len;
}

void
core_flow_msgs_clear(struct flow_msgs *m)
{
	uint64_t total = m->total;

	while (m->n > 0)
		drop_oldest(m);
	free(m->v);
	memset(m, 0, sizeof *m);
	m->total = total;
}
