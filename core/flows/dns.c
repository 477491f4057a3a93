/*
 * dns.c -- DNS messages (RFC 1035) into text for DNS flows.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/flows/dns.h"
#include "core/flows/flow.h"
#include "core/loop/limits.h"

#define DNS_HDR		12
/* Bytes of TXT or unknown record data shown before "...". */
#define DNS_RDATA_SHOWN	512
/* One answer line: owner, a few numbers, two names (SOA) or shown data
 * escaped four bytes for one. */
#define DNS_LINE	(4 * DNS_NAME_TEXT + 4 * DNS_RDATA_SHOWN + 256)

/* A bounded text buffer: writes past the end are dropped, never made. */
struct text {
	char	*b;
	size_t	 len;
	size_t	 cap;		/* including the NUL */
	int	 full;
};

static void
put(struct text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->b + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->full = 1;
		t->b[t->len] = '\0';
		return;
	}
	t->len += (size_t)n;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Reads the (possibly compressed) name at *off into out (DNS_NAME_TEXT
 * bytes) and moves *off past it (past the first pointer). 0 or -1.
 */
static int
read_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
	size_t	p = *off, end = 0, o = 0, wire = 0, i;
	int	hops = 0, jumped = 0;
	uint8_t	l, c;

	for (;;) {
		if (p >= len)
			return -1;
		l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > DNS_MAX_HOPS)
				return -1;
			if (!jumped) {
				end = p + 2;
				jumped = 1;
			}
			p = (size_t)(l & 0x3f) << 8 | m[p + 1];
			continue;
		}
		/* 0x40 and 0x80: obsolete extended label types. */
		if (l & 0xc0)
			return -1;
		p++;
		wire += (size_t)l + 1;
		if (wire > 255)
			return -1;
		if (l == 0)
			break;
		if (p + l > len)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < l; i++) {
			c = m[p + i];
			if (c == '.' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c > 0x20 && c < 0x7f)
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, 5, "\\%03u", c);
		}
		p += l;
	}
	if (!jumped)
		end = p;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*off = end;
	return 0;
}

static int
skip_name(const uint8_t *m, size_t len, size_t *off)
{
	char	tmp[DNS_NAME_TEXT];

	return read_name(m, len, off, tmp);
}

ssize_t
core_dns_parse(const void *msg, size_t len, struct dns_msg *out)
{
	const uint8_t	*m = msg;
	size_t		 off = DNS_HDR;
	unsigned	 i, rrs;
	uint16_t	 flags;

	memset(out, 0, sizeof *out);
	if (len < DNS_HDR || len > 65535)
		return -1;
	out->id = get16(m);
	flags = get16(m + 2);
	out->qr = flags >> 15;
	out->opcode = (flags >> 11) & 0xf;
	out->aa = (flags >> 10) & 1;
	out->tc = (flags >> 9) & 1;
	out->rd = (flags >> 8) & 1;
	out->ra = (flags >> 7) & 1;
	out->rcode = flags & 0xf;
	out->qdcount = get16(m + 4);
	out->ancount = get16(m + 6);
	out->nscount = get16(m + 8);
	out->arcount = get16(m + 10);

	for (i = 0; i < out->qdcount; i++) {
		if (i == 0) {
			if (read_name(m, len, &off, out->qname) != 0)
				return -1;
		} else if (skip_name(m, len, &off) != 0)
			return -1;
		if (off + 4 > len)
			return -1;
		if (i == 0) {
			out->qtype = get16(m + off);
			out->qclass = get16(m + off + 2);
		}
		off += 4;
	}
	rrs = out->ancount + out->nscount + out->arcount;
	for (i = 0; i < rrs; i++) {
		if (skip_name(m, len, &off) != 0 || off + 10 > len)
			return -1;
		off += 10 + get16(m + off + 8);
		if (off > len)
			return -1;
	}
	if (off != len)
		return -1;
	return (ssize_t)len;
}

int
core_dns_looks_like(const void *msg, size_t len)
{
	struct dns_msg	d;

	return core_dns_parse(msg, len, &d) >= 0 && d.qdcount == 1 &&
	    d.qclass == 1 && d.opcode == 0 && d.qname[0] != '\0';
}

const char *
core_dns_type_name(int type)
{
	static const struct {
		int		 type;
		const char	*name;
	} types[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" },
		{ 12, "PTR" }, { 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" },
		{ 28, "AAAA" }, { 33, "SRV" }, { 35, "NAPTR" }, { 39, "DNAME" },
		{ 41, "OPT" }, { 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" },
		{ 48, "DNSKEY" }, { 52, "TLSA" }, { 64, "SVCB" },
		{ 65, "HTTPS" }, { 99, "SPF" }, { 255, "ANY" }, { 257, "CAA" },
	};
	size_t	i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

const char *
core_dns_rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE"
	};

	if (rcode < 0 || (size_t)rcode >= sizeof names / sizeof names[0])
		return NULL;
	return names[rcode];
}

/* A name followed by the dot of a fully qualified name. */
static void
put_fqdn(struct text *t, const char *name)
{
	put(t, "%s%s", name, strcmp(name, ".") == 0 ? "" : ".");
}

/* RFC 3597's form for data shown raw: \# LEN HEX. */
static void
put_generic(struct text *t, const uint8_t *p, size_t n)
{
	size_t	i;

	put(t, "\\# %zu", n);
	if (n > 0)
		put(t, " ");
	for (i = 0; i < n && i < DNS_RDATA_SHOWN; i++)
		put(t, "%02x", p[i]);
	if (n > DNS_RDATA_SHOWN)
		put(t, "...");
}

/* TXT: each character-string quoted, escaped like names. */
static int
put_txt(struct text *t, const uint8_t *p, size_t n)
{
	size_t	off = 0, i, shown = 0, l;
	uint8_t	c;

	if (n == 0)
		return -1;
	while (off < n) {
		l = p[off++];
		if (off + l > n)
			return -1;
		put(t, "%s\"", off > 1 ? " " : "");
		for (i = 0; i < l && shown < DNS_RDATA_SHOWN; i++, shown++) {
			c = p[off + i];
			if (c == '"' || c == '\\')
				put(t, "\\%c", c);
			else if (c >= 0x20 && c < 0x7f)
				put(t, "%c", c);
			else
				put(t, "\\%03u", c);
		}
		put(t, i < l ? "...\"" : "\"");
		off += l;
	}
	return 0;
}

/*
 * The data of one record of type at m[off..off+n). Records whose data
 * does not decode as their type says are shown raw. The name buffers are
 * static: one call at a time, on the loop thread.
 */
static void
put_rdata(struct text *t, const uint8_t *m, size_t len, size_t off, size_t n,
    int type)
{
	static char	a[DNS_NAME_TEXT], b[DNS_NAME_TEXT];
	char		addr[INET6_ADDRSTRLEN];
	size_t		p = off, end = off + n, save = t->len;

	switch (type) {
	case DNS_TYPE_A:
		if (n != 4 || inet_ntop(AF_INET, m + off, addr,
		    sizeof addr) == NULL)
			break;
		put(t, "%s", addr);
		return;
	case DNS_TYPE_AAAA:
		if (n != 16 || inet_ntop(AF_INET6, m + off, addr,
		    sizeof addr) == NULL)
			break;
		put(t, "%s", addr);
		return;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
	case 39:	/* DNAME */
		if (read_name(m, len, &p, a) != 0 || p != end)
			break;
		put_fqdn(t, a);
		return;
	case DNS_TYPE_MX:
		if (n < 3)
			break;
		p += 2;
		if (read_name(m, len, &p, a) != 0 || p != end)
			break;
		put(t, "%u ", get16(m + off));
		put_fqdn(t, a);
		return;
	case DNS_TYPE_SRV:
		if (n < 7)
			break;
		p += 6;
		if (read_name(m, len, &p, a) != 0 || p != end)
			break;
		put(t, "%u %u %u ", get16(m + off), get16(m + off + 2),
		    get16(m + off + 4));
		put_fqdn(t, a);
		return;
	case DNS_TYPE_SOA:
		if (read_name(m, len, &p, a) != 0 || p > end ||
		    read_name(m, len, &p, b) != 0 || p + 20 != end)
			break;
		put_fqdn(t, a);
		put(t, " ");
		put_fqdn(t, b);
		put(t, " %u %u %u %u %u", get32(m + p), get32(m + p + 4),
		    get32(m + p + 8), get32(m + p + 12), get32(m + p + 16));
		return;
	case DNS_TYPE_TXT:
	case 99:	/* SPF */
		if (put_txt(t, m + off, n) == 0)
			return;
		break;
	}
	/* Undo a partial rendering, then show the bytes. */
	t->len = save;
	t->b[t->len] = '\0';
	t->full = 0;
	put_generic(t, m + off, n);
}

ssize_t
core_dns_answers(const void *msg, size_t msglen, char *buf, size_t len)
{
	static char	 line[DNS_LINE], owner[DNS_NAME_TEXT];
	const uint8_t	*m = msg;
	struct dns_msg	 d;
	struct text	 out = { buf, 0, len, 0 }, lt;
	const char	*tn;
	size_t		 off = DNS_HDR, rdlen;
	unsigned	 i;
	int		 type, class;

	if (len == 0 || core_dns_parse(msg, msglen, &d) < 0)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < d.qdcount; i++) {
		skip_name(m, msglen, &off);
		off += 4;
	}
	for (i = 0; i < d.ancount; i++) {
		read_name(m, msglen, &off, owner);
		type = get16(m + off);
		class = get16(m + off + 2);
		rdlen = get16(m + off + 8);
		lt = (struct text){ line, 0, sizeof line, 0 };
		put_fqdn(&lt, owner);
		put(&lt, " %u ", get32(m + off + 4));
		if (class == 1)
			put(&lt, "IN ");
		else if (class == 3)
			put(&lt, "CH ");
		else
			put(&lt, "CLASS%d ", class);
		if ((tn = core_dns_type_name(type)) != NULL)
			put(&lt, "%s ", tn);
		else
			put(&lt, "TYPE%d ", type);
		put_rdata(&lt, m, msglen, off + 10, rdlen, type);
		off += 10 + rdlen;
		/* Room for this line, a newline and a last "..." line. */
		if (out.len + (out.len ? 1 : 0) + lt.len + 4 >= out.cap) {
			put(&out, "%s...", out.len ? "\n" : "");
			break;
		}
		put(&out, "%s%s", out.len ? "\n" : "", line);
	}
	return (ssize_t)out.len;
}

ssize_t
core_dns_fill(struct flow_dns *dst, const void *msg, size_t msglen)
{
	static char	answers[LIMIT_DNS_ANSWERS];
	struct dns_msg	d;
	ssize_t		n;

	if (core_dns_parse(msg, msglen, &d) < 0)
		return -1;
	if (d.qname[0] != '\0' && (!d.qr || dst->name == NULL)) {
		core_flow_set(&dst->name, d.qname);
		dst->qtype = d.qtype;
	}
	if (d.qr) {
		dst->rcode = d.rcode;
		n = core_dns_answers(msg, msglen, answers, sizeof answers);
		core_flow_set(&dst->answers, n > 0 ? answers : NULL);
	}
	return (ssize_t)msglen;
}

/* Appends the data of one answer line ("owner ttl class type data"). */
static void
brief_rdata(struct text *t, const char *line, size_t n)
{
	size_t	i, field = 0;

	for (i = 0; i < n && field < 4; i++)
		if (line[i] == ' ')
			field++;
	if (field < 4) {
		/* The "..." of answers that did not fit. */
		put(t, " %.*s", (int)n, line);
		return;
	}
	if (n - i > 1 && line[n - 1] == '.')
		n--;
	put(t, " %.*s", (int)(n - i), line + i);
}

char *
core_dns_brief(const struct flow_dns *d, char *buf, size_t len)
{
	struct text	 t = { buf, 0, len, 0 };
	const char	*name, *p, *nl;

	if ((name = core_dns_type_name(d->qtype)) != NULL)
		put(&t, "%s ", name);
	else
		put(&t, "TYPE%d ", d->qtype);
	put(&t, "%s << ", d->name != NULL ? d->name : "?");
	if (d->rcode < 0)
		put(&t, "no answer");
	else if ((name = core_dns_rcode_name(d->rcode)) != NULL)
		put(&t, "%s", name);
	else
		put(&t, "RCODE%d", d->rcode);
	for (p = d->answers; p != NULL && *p != '\0'; p = nl + (*nl != '\0')) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		brief_rdata(&t, p, (size_t)(nl - p));
	}
	/* What did not fit goes, and says so. */
	if (t.full && t.len > 0 && buf[t.len - 1] != ' ' && t.len + 5 <= t.cap)
		memcpy(buf + t.len, " ...", 5);
	else if (t.full && t.cap >= 4)
		memcpy(buf + (t.len + 4 <= t.cap ? t.len : t.cap - 4), "...", 4);
	return buf;
}
