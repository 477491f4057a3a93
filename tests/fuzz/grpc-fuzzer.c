/*
 * grpc-fuzzer.c -- libFuzzer target for core/flows/grpc.c.
 *
 * The first input byte picks the decoder (gRPC body or bare protobuf),
 * whether the bytes count as a kept prefix, and the grpc-encoding; the
 * rest is the body, in a malloc of exactly its size so ASan catches a
 * read past its end. Each body also goes through every shorter prefix's
 * framing. Beyond not crashing, it checks the contract: the text is
 * NUL-terminated at its length, valid UTF-8 lines free of controls, under
 * LIMIT_GRPC_TEXT plus a note; -1 always comes with a cause; a frame's
 * size agrees with its header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows/grpc.h"
#include "core/loop/limits.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

static const char *encodings[] = { NULL, "gzip", "deflate", "identity",
    "snappy", "zstd", "gzip, br", "\x01\xc3(\x7f" };

static void
check_text(const char *t, size_t n)
{
	const unsigned char *p = (const unsigned char *)t;
	size_t i = 0, k, need;

	CHECK(strlen(t) == n);
	CHECK(n <= LIMIT_GRPC_TEXT + 64);
	CHECK(n == 0 || t[n - 1] == '\n');	/* n = 0: an empty message */
	while (i < n) {
		if (p[i] < 0x80) {
			CHECK(p[i] == '\n' || (p[i] >= 0x20 && p[i] != 0x7f));
			i++;
			continue;
		}
		need = p[i] >= 0xf0 ? 3 : p[i] >= 0xe0 ? 2 : 1;
		CHECK(p[i] >= 0xc2 && p[i] <= 0xf4);
		/* No C1 controls: they come out escaped. */
		CHECK(p[i] != 0xc2 || (i + 1 < n && p[i + 1] >= 0xa0));
		for (k = 1; k <= need; k++)
			CHECK(i + k < n && (p[i + k] & 0xc0) == 0x80);
		i += need + 1;
	}
}

static void
check_frames(const char *d, size_t len)
{
	struct grpc_frame f;
	ssize_t r;

	r = core_grpc_frame(d, len, &f);
	CHECK(r == -1 || r == -2 || r >= GRPC_HEADER);
	if (r > 0) {
		CHECK((size_t)r <= len && f.avail == f.len &&
		    (size_t)r == GRPC_HEADER + (size_t)f.len);
		CHECK(f.payload == d + GRPC_HEADER);
	} else if (r == -2 && f.payload != NULL)
		CHECK(f.avail < f.len && f.avail == len - GRPC_HEADER);
	else if (r == -2)
		CHECK(len < GRPC_HEADER);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p, *t = NULL, *cause = NULL;
	size_t len, n = 0, i;
	unsigned mode;
	int r;

	if (size == 0)
		return 0;
	mode = data[0];
	len = size - 1;
	p = malloc(len ? len : 1);
	CHECK(p != NULL);
	memcpy(p, data + 1, len);
	if (mode & 1)
		r = core_grpc_protobuf(p, len, mode & 2, &t, &n, &cause);
	else
		r = core_grpc_format(p, len, encodings[(mode >> 2) & 7],
		    mode & 2, &t, &n, &cause);
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		CHECK(cause == NULL);
		check_text(t, n);
	} else
		CHECK(t == NULL && cause != NULL && cause[0] != '\0');
	free(t);
	free(cause);
	for (i = 0; i <= len && i < 64; i++)
		check_frames(p, i);
	check_frames(p, len);
	free(p);
	return 0;
}
