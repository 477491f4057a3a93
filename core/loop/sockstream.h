/*
 * sockstream.h -- a struct stream (core/loop/stream.h) over a kernel socket.
 */
#ifndef CORE_SOCKSTREAM_H
#define CORE_SOCKSTREAM_H

struct stream;
struct loop;

/*
 * Wraps a connected socket; takes ownership of fd (made non-blocking) and
 * closes it when the stream goes. Reading starts paused until callbacks
 * are set and core_stream_pause(s, 0) is called.
 */
struct stream	*core_sockstream_new(struct loop *, int fd);
/* The socket, for getsockname/getpeername. */
int		 core_sockstream_fd(struct stream *);

#endif
