/*
 * grpc.h -- gRPC bodies and protobuf messages made readable without a
 * schema, in the spirit of `protoc --decode_raw` and mitmproxy's gRPC view.
 *
 * A gRPC body (the DATA of one HTTP/2 stream, or a gRPC-Web body) is a
 * sequence of length-prefixed messages: a flag byte (bit 0 compressed,
 * bit 7 gRPC-Web trailers), a 4-byte big-endian length, the payload.
 * Compressed payloads are inflated per the grpc-encoding header with
 * core/http/decode.h.
 *
 * Protobuf wire format is shown one field a line, nested messages
 * indented two spaces a level:
 *
 *	1: 150 (zigzag 75)			varint, unsigned; its zigzag
 *	2: 18446744073709551615 (int64 -1, ...)	reading when it differs, and the
 *						two's complement one when negative
 *	3: 4607182418800017408 (double 1)	fixed64; fixed32 also as float
 *	4: "hello"				length-delimited text
 *	5 {					length-delimited that parses
 *	  1: 1 (zigzag -1)			completely as a message
 *	}
 *	6: <00 ff> (packed varints: 0, ...)	other bytes, in hex
 *
 * A length-delimited value is a string when it is printable UTF-8 with no
 * control character (such bytes are almost never a message: tags of
 * fields 1-3 are controls), else a message when it parses as one, else a
 * string when it is mostly text, else bytes. Groups (wire types 3, 4) are
 * refused: a value holding one is not a message, and at the top a note
 * says why decoding stopped.
 *
 * Every walk is capped (LIMIT_GRPC_* in core/loop/limits.h): nesting
 * depth, messages decoded, text produced, hex shown, bytes inflated.
 * Input may be a prefix of the body (flows keep a capped prefix): what is
 * there is shown, then a note; nothing is read past len. Pure: no state,
 * no curses; only the returned text outlives a call.
 */
#ifndef CORE_GRPC_H
#define CORE_GRPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GRPC_FLAG_COMPRESSED	0x01
#define GRPC_FLAG_TRAILERS	0x80	/* gRPC-Web: the payload is trailers */
#define GRPC_HEADER		5	/* flag byte + 4-byte length */

struct grpc_frame {
	unsigned	 flags;		/* GRPC_FLAG_* */
	uint32_t	 len;		/* payload bytes announced */
	const char	*payload;	/* into the input; NULL when the header is cut */
	size_t		 avail;		/* payload bytes present, <= len */
};

/*
 * Reads the message at the head of data. Returns the bytes it takes
 * (GRPC_HEADER + len); -2 when data ends first (f describes what is there;
 * f->payload is NULL when even the header is cut); -1 when the flag byte
 * has bits gRPC does not define, so this is not gRPC framing.
 */
ssize_t	 core_grpc_frame(const char *data, size_t len, struct grpc_frame *f);

/*
 * Renders protobuf wire-format bytes (truncated: they are a prefix of the
 * message). Sets *text to malloc'ed NUL-terminated text and *textlen to
 * its length (may be NULL) and returns 0; returns -1 with *cause when not
 * even the first field reads (the bytes are not protobuf). Caller frees
 * *text and *cause.
 */
int	 core_grpc_protobuf(const char *data, size_t len, int truncated,
	    char **text, size_t *textlen, char **cause);

/*
 * Renders a gRPC body: each message headed by "message N (len bytes[,
 * compressed])" and its fields below, indented. encoding is the
 * grpc-encoding header's value (NULL: identity); an unknown one leaves
 * the compressed messages in hex with a note. truncated: data is a prefix
 * of the body. Returns 0 with *text (as above), or -1 with *cause when
 * data does not start with a gRPC message header. Caller frees.
 */
int	 core_grpc_format(const char *data, size_t len, const char *encoding,
	    int truncated, char **text, size_t *textlen, char **cause);

#endif
