#!/usr/bin/python3
"""grpc-peer.py server HOST PORT [CERT KEY]
grpc-peer.py client TARGET [--ca FILE] [--proxy URL] [--authority NAME]
                    [--name HOST]

A gRPC server and client for trawl's tests, on Debian's python3-grpcio
with generic handlers (messages are bytes: no protoc). The server serves
trawl.test.Echo; each message is a protobuf message with field 1 (bytes),
so trawl's gRPC view has something to decode:
  Unary         one message back, "echo:" + what came, and a trailer
                x-trail: unary
  Fail          status NOT_FOUND, details "no such thing"
  ServerStream  a request N: N messages "part-0" ... "part-(N-1)"
  ClientStream  "got K:" + the K messages joined with "|"
  Bidi          "re:" + each message, as each arrives
The client makes each call once (TLS when --ca is given, trusting FILE;
--name overrides the name checked in the certificate), checks every
answer and prints "ok CALL" for each; it exits non-zero at the first
wrong answer. --proxy sets grpc.http_proxy (a CONNECT tunnel); --authority
the :authority sent (for h2c on a proxy's own port)."""
import argparse
import concurrent.futures
import hashlib
import os
import sys

import grpc

SERVICE = "trawl.test.Echo"


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pack(data):
    """A protobuf message: field 1, wire type 2 (bytes)."""
    return b"\x0a" + varint(len(data)) + data


def unpack(msg):
    if not msg or msg[0] != 0x0A:
        raise ValueError("not field 1: %r" % msg[:16])
    n, shift, i = 0, 0, 1
    while True:
        b = msg[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            break
    if len(msg) != i + n:
        raise ValueError("length %d, message %d" % (n, len(msg) - i))
    return msg[i:]


def serve(args):
    def unary(req, ctx):
        ctx.set_trailing_metadata((("x-trail", "unary"),))
        return pack(b"echo:" + unpack(req))

    def fail(req, ctx):
        ctx.abort(grpc.StatusCode.NOT_FOUND, "no such thing")

    def server_stream(req, ctx):
        for i in range(int(unpack(req))):
            yield pack(b"part-%d" % i)

    def client_stream(reqs, ctx):
        got = [unpack(r) for r in reqs]
        return pack(b"got %d:" % len(got) + b"|".join(got))

    def bidi(reqs, ctx):
        for r in reqs:
            yield pack(b"re:" + unpack(r))

    h = grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    })
    srv = grpc.server(concurrent.futures.ThreadPoolExecutor(8),
                      options=[("grpc.max_receive_message_length", 8 << 20)])
    srv.add_generic_rpc_handlers((h,))
    addr = "%s:%s" % (args.host, args.port)
    if args.cert:
        creds = grpc.ssl_server_credentials(
            [(open(args.key, "rb").read(), open(args.cert, "rb").read())])
        srv.add_secure_port(addr, creds)
    else:
        srv.add_insecure_port(addr)
    srv.start()
    srv.wait_for_termination()


def expect(what, got, want):
    if got != want:
        sys.exit("%s: got %r, want %r" % (what, got, want))
    print("ok", what, flush=True)


def client(args):
    opts = [("grpc.max_receive_message_length", 8 << 20),
            ("grpc.enable_retries", 0)]
    if args.proxy:
        opts.append(("grpc.http_proxy", args.proxy))
    if args.authority:
        opts.append(("grpc.default_authority", args.authority))
    if args.name:
        opts.append(("grpc.ssl_target_name_override", args.name))
    if args.ca:
        creds = grpc.ssl_channel_credentials(open(args.ca, "rb").read())
        ch = grpc.secure_channel(args.target, creds, options=opts)
    else:
        ch = grpc.insecure_channel(args.target, options=opts)
    m = "/%s/" % SERVICE
    t = 10

    r, call = ch.unary_unary(m + "Unary").with_call(pack(b"hi"), timeout=t)
    expect("unary", unpack(r), b"echo:hi")
    expect("unary trailer", dict(call.trailing_metadata()).get("x-trail"),
           "unary")
    big = os.urandom(3 << 20)
    r = ch.unary_unary(m + "Unary")(pack(big), timeout=t)
    expect("unary 3 MiB", hashlib.sha256(unpack(r)).hexdigest(),
           hashlib.sha256(b"echo:" + big).hexdigest())
    try:
        ch.unary_unary(m + "Fail")(pack(b"x"), timeout=t)
        sys.exit("fail: no error")
    except grpc.RpcError as e:
        expect("status from the trailers", (e.code(), e.details()),
               (grpc.StatusCode.NOT_FOUND, "no such thing"))
    got = [unpack(x) for x in
           ch.unary_stream(m + "ServerStream")(pack(b"50"), timeout=t)]
    expect("server-streaming", got, [b"part-%d" % i for i in range(50)])
    parts = [b"a", b"bb", b"", b"c" * 100000]
    r = ch.stream_unary(m + "ClientStream")(iter(pack(p) for p in parts),
                                           timeout=t)
    expect("client-streaming", unpack(r), b"got 4:" + b"|".join(parts))
    # Bidirectional, in lock step: each answer before the next message,
    # so the stream is open both ways the whole time.
    import queue
    q = queue.Queue()

    def gen():
        while True:
            x = q.get()
            if x is None:
                return
            yield pack(x)
    it = ch.stream_stream(m + "Bidi")(gen(), timeout=t)
    got = []
    for i in range(20):
        q.put(b"m%d" % i)
        got.append(unpack(next(it)))
    q.put(None)
    got += [unpack(x) for x in it]	# to the end: the status arrives
    expect("bidirectional", got, [b"re:m%d" % i for i in range(20)])
    expect("bidirectional status", it.code(), grpc.StatusCode.OK)
    ch.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("host")
    s.add_argument("port")
    s.add_argument("cert", nargs="?")
    s.add_argument("key", nargs="?")
    c = sub.add_parser("client")
    c.add_argument("target")
    c.add_argument("--ca")
    c.add_argument("--proxy")
    c.add_argument("--authority")
    c.add_argument("--name")
    args = p.parse_args()
    if args.mode == "server":
        serve(args)
    else:
        client(args)


main()
