/*
 * spec.c -- parse the local-mode capture spec and fold it in C (the same
 * fold the BPF program runs in ebpf/redirect.bpf.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop/cause.h"
#include "core/net/spec.h"

/* PID_MAX_LIMIT on 64-bit kernels: larger pids cannot exist. */
#define SPEC_PID_MAX	4194304

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the item text[0..len) starting at 1-based column col into r.
 * Returns 0 or -1 with *cause.
 */
static int
parse_item(const char *s, size_t len, size_t col, int last,
    struct rd_rule *r, char **cause)
{
	size_t		i, col0 = col;
	uint64_t	pid;

	/* Trim; col follows the first byte kept. */
	while (len > 0 && blank(*s)) {
		s++;
		len--;
		col++;
	}
	while (len > 0 && blank(s[len - 1]))
		len--;
	if (len == 0) {
		if (last)
			core_cause(cause, "spec: trailing comma at column %zu",
			    col0 - 1);
		else
			core_cause(cause, "spec: empty item at column %zu", col);
		return -1;
	}

	memset(r, 0, sizeof *r);
	if (*s == '!') {
		r->flags |= RD_RULE_EXCLUDE;
		s++;
		len--;
		col++;
		while (len > 0 && blank(*s)) {
			s++;
			len--;
			col++;
		}
		if (len == 0) {
			core_cause(cause, "spec: '!' without a name or pid at "
			    "column %zu", col - 1);
			return -1;
		}
		if (*s == '!') {
			core_cause(cause, "spec: '!' twice at column %zu", col);
			return -1;
		}
	}

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			core_cause(cause, "spec: control character at column %zu",
			    col + i);
			return -1;
		}
	}

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == len) {
		pid = 0;
		for (i = 0; i < len; i++) {
			pid = pid * 10 + (uint64_t)(s[i] - '0');
			if (pid > SPEC_PID_MAX) {
				core_cause(cause, "spec: pid at column %zu is too "
				    "large (at most %d)", col, SPEC_PID_MAX);
				return -1;
			}
		}
		if (pid == 0) {
			core_cause(cause, "spec: pid 0 at column %zu is not a "
			    "process", col);
			return -1;
		}
		r->flags |= RD_RULE_PID;
		r->pid = (uint32_t)pid;
		return 0;
	}

	/* The kernel keeps 15 bytes of comm; a longer name matches those
	 * (of comm and of the executable's basename alike). */
	if (len > RD_COMM_LEN - 1)
		len = RD_COMM_LEN - 1;
	memcpy(r->comm, s, len);
	return 0;
}

int
core_spec_parse(const char *text, struct spec *out, char **cause)
{
	const char	*p, *comma;
	size_t		 len, col;

	memset(out, 0, sizeof *out);
	if (cause != NULL)
		*cause = NULL;
	if (text == NULL || *text == '\0')
		return 0;
	len = strlen(text);
	if (len > SPEC_TEXT_MAX) {
		core_cause(cause, "spec: longer than %d bytes", SPEC_TEXT_MAX);
		return -1;
	}

	p = text;
	for (;;) {
		col = (size_t)(p - text) + 1;
		comma = strchr(p, ',');
		if (out->nrules == RD_MAX_RULES) {
			core_cause(cause, "spec: more than %d items (column %zu)",
			    RD_MAX_RULES, col);
			goto fail;
		}
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (parse_item(p, len, col, comma == NULL && p != text &&
		    p[-1] == ',', &out->rules[out->nrules], cause) != 0)
			goto fail;
		out->nrules++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;

fail:
	memset(out, 0, sizeof *out);
	return -1;
}

/* Compares name (NUL-padded rule comm) with the first 15 bytes of comm. */
static int
comm_match(const char *name, const char *comm)
{
	if (comm == NULL)
		return 0;
	return strncmp(name, comm, RD_COMM_LEN - 1) == 0;
}

int
core_spec_match(const struct spec *spec, uint32_t pid, const char *comm,
    const char *leader_comm, const char *exe)
{
	const struct rd_rule	*r;
	uint32_t		 i;
	int			 capture, match;

	if (spec->nrules == 0)
		return 1;
	capture = (spec->rules[0].flags & RD_RULE_EXCLUDE) != 0;
	for (i = 0; i < spec->nrules && i < RD_MAX_RULES; i++) {
		r = &spec->rules[i];
		if (r->flags & RD_RULE_PID)
			match = r->pid == pid;
		else
			match = comm_match(r->comm, comm) ||
			    comm_match(r->comm, leader_comm) ||
			    comm_match(r->comm, exe);
		if (r->flags & RD_RULE_EXCLUDE)
			capture = capture && !match;
		else
			capture = capture || match;
	}
	return capture;
}

void
core_spec_encode(const struct spec *spec, struct rd_config *config)
{
	memset(config, 0, sizeof *config);
	config->nrules = spec->nrules;
	memcpy(config->rules, spec->rules,
	    sizeof config->rules[0] * spec->nrules);
}
