/*
 * msg.c -- validate control messages.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "redirect/msg.h"

int
rd_fail(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}

size_t
rd_msg_size(int type)
{
	switch (type) {
	case RD_MSG_HELLO:
		return sizeof(struct rd_msg_hello);
	case RD_MSG_SPEC:
		return sizeof(struct rd_msg_spec);
	case RD_MSG_LOOKUP:
		return sizeof(struct rd_msg_lookup);
	case RD_MSG_PING:
		return sizeof(struct rd_msg_hdr);
	case RD_MSG_STATUS:
		return sizeof(struct rd_msg_status);
	case RD_MSG_PROC:
		return sizeof(struct rd_msg_proc);
	case RD_MSG_SOCKET:
		return sizeof(struct rd_msg_socket);
	}
	return 0;
}

void
rd_msg_init(struct rd_msg_hdr *h, int type, uint32_t seq)
{
	memset(h, 0, sizeof *h);
	h->magic = RD_PROTO_MAGIC;
	h->version = RD_PROTO_VERSION;
	h->type = (uint16_t)type;
	h->seq = seq;
}

int
rd_msg_check(const void *buf, size_t len, char **cause)
{
	struct rd_msg_hdr	h;

	if (len < sizeof h)
		return rd_fail(cause, "short message (%zu bytes)", len);
	memcpy(&h, buf, sizeof h);
	if (h.magic != RD_PROTO_MAGIC)
		return rd_fail(cause, "bad magic %#x", h.magic);
	if (h.version != RD_PROTO_VERSION)
		return rd_fail(cause, "protocol version %u, want %u", h.version,
		    RD_PROTO_VERSION);
	if (rd_msg_size(h.type) == 0)
		return rd_fail(cause, "unknown message type %u", h.type);
	if (len != rd_msg_size(h.type))
		return rd_fail(cause, "message type %u has %zu bytes, want %zu",
		    h.type, len, rd_msg_size(h.type));
	return h.type;
}

int
rd_msg_check_config(const struct rd_config *c, char **cause)
{
	const struct rd_rule	*r;
	uint32_t		 i;
	size_t			 len, j;

	if (c->nrules > RD_MAX_RULES)
		return rd_fail(cause, "spec has %u rules, at most %d", c->nrules,
		    RD_MAX_RULES);
	if (c->pad != 0)
		return rd_fail(cause, "spec: padding not zero");
	for (i = 0; i < c->nrules; i++) {
		r = &c->rules[i];
		if (r->flags & ~RD_RULE_FLAGS)
			return rd_fail(cause, "rule %u: bad flags %#x", i,
			    r->flags);
		len = strnlen(r->comm, sizeof r->comm);
		if (len == sizeof r->comm)
			return rd_fail(cause, "rule %u: name not terminated", i);
		for (j = len; j < sizeof r->comm; j++)
			if (r->comm[j] != '\0')
				return rd_fail(cause, "rule %u: name not "
				    "NUL-padded", i);
		if (r->flags & RD_RULE_PID) {
			if (r->pid == 0 || len != 0)
				return rd_fail(cause, "rule %u: bad pid rule", i);
		} else if (r->pid != 0 || len == 0)
			return rd_fail(cause, "rule %u: bad name rule", i);
	}
	return 0;
}

int
rd_msg_check_tuple(const struct rd_tuple *t, char **cause)
{
	size_t	i;

	if (t->family != AF_INET && t->family != AF_INET6)
		return rd_fail(cause, "look-up: family %u", t->family);
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP)
		return rd_fail(cause, "look-up: protocol %u", t->proto);
	if (t->pad != 0)
		return rd_fail(cause, "look-up: padding not zero");
	if (t->family == AF_INET)
		for (i = 4; i < sizeof t->daddr; i++)
			if (t->daddr[i] != 0)
				return rd_fail(cause, "look-up: IPv4 address "
				    "not zero-padded");
	return 0;
}
